//! What a fetch is for, which decides the `Accept` header and the media types accepted.

/// Media types of a request object: RFC 9101 §4 (`application/oauth-authz-req+jwt`) and the
/// OpenID Connect Core §6.2 era `application/jwt`. The default of SPEC §2
/// `allowed_content_types`.
pub const REQUEST_OBJECT_CONTENT_TYPES: [&str; 2] =
    ["application/oauth-authz-req+jwt", "application/jwt"];

/// Media types of a JWK set: RFC 7517 §8.5.1 `application/jwk-set+json`, and plain
/// `application/json`, which most key servers send.
pub const JWK_SET_CONTENT_TYPES: [&str; 2] = ["application/jwk-set+json", "application/json"];

/// Why a URL is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// A client-hosted request object named by `request_uri` (RFC 9101 §5.2, SPEC §5):
    /// `Accept` lists the policy's `allowed_content_types`, and the response must have one.
    RequestObject,
    /// A client's JWK set named by `jwks_uri` (SPEC §2 `[[clients]]`): `Accept:
    /// application/jwk-set+json, application/json`, and the response must have one of them.
    JwkSet,
}

/// The media type of a `Content-Type` value: `type/subtype`, lowercased, with parameters
/// (`; charset=...`) and surrounding whitespace removed.
pub(crate) fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether `s` is a lowercase `type/subtype` made of RFC 6838 restricted-name characters.
pub(crate) fn is_media_type(s: &str) -> bool {
    let name = |part: &str| {
        !part.is_empty()
            && part.len() <= 127
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$&-^_.+".contains(&b))
    };
    match s.split_once('/') {
        Some((kind, sub)) => name(kind) && name(sub),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_parameters_and_case_are_ignored() {
        assert_eq!(
            media_type("Application/OAuth-Authz-Req+JWT; charset=utf-8"),
            "application/oauth-authz-req+jwt"
        );
        assert_eq!(media_type("  application/json  "), "application/json");
        assert_eq!(media_type(""), "");
    }

    #[test]
    fn media_type_syntax() {
        assert!(is_media_type("application/jwt"));
        assert!(is_media_type("application/oauth-authz-req+jwt"));
        assert!(!is_media_type("application"));
        assert!(!is_media_type("application/JWT"));
        assert!(!is_media_type("application/jwt; q=1"));
        assert!(!is_media_type("/jwt"));
    }
}
