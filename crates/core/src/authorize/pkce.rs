//! Proof Key for Code Exchange (RFC 7636). Only `S256`: `plain` is refused (RFC 9700 §2.1.1).

use crate::error::OAuthError;
use crate::secret::{constant_time_eq, s256};

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
fn is_pkce_token(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Check `code_challenge` / `code_challenge_method` at the authorization endpoint.
/// `required`: the client, or its profile, requires PKCE. Returns the S256 challenge when
/// present.
pub fn check_challenge(
    required: bool,
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<String>, OAuthError> {
    match (challenge, method) {
        (None, Some(_)) => Err(OAuthError::invalid_request(
            "code_challenge_method without code_challenge",
        )),
        (None, None) if required => Err(OAuthError::invalid_request(
            "code_challenge is required for this client (PKCE, RFC 7636)",
        )),
        (None, None) => Ok(None),
        (Some(_), None | Some("plain")) => Err(OAuthError::invalid_request(
            "code_challenge_method must be S256; plain is not allowed",
        )),
        (Some(_), Some(m)) if m != "S256" => Err(OAuthError::invalid_request(
            "code_challenge_method must be S256",
        )),
        (Some(c), Some(_)) if !is_pkce_token(c) => Err(OAuthError::invalid_request(
            "code_challenge must be 43 to 128 unreserved characters (RFC 7636 §4.2)",
        )),
        (Some(c), Some(_)) => Ok(Some(c.to_string())),
    }
}

/// RFC 7636 §4.6: does `verifier` match the stored S256 `challenge`? Constant-time.
pub fn verify(challenge: &str, verifier: &str) -> bool {
    is_pkce_token(verifier) && constant_time_eq(s256(verifier).as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_matches_rfc7636_appendix_b() {
        assert!(verify(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!verify(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl"
        ));
        assert!(!verify("short", "short"));
    }
}
