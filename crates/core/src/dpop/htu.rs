//! The `htu` check (RFC 9449 §4.2, §4.3 step 9): the proof names the URI of the request it
//! is attached to, without query and fragment, compared after the syntax-based normalization
//! of RFC 3986 §6.2.2 (scheme and host case-insensitive, percent-encoding and dot segments
//! normalized) and the scheme-based one of §6.2.3 (a default port is the same as none).

use url::Url;

/// Why an `htu` does not match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HtuMismatch {
    /// Not an absolute http(s) URI.
    NotAUri,
    /// It carries a query or a fragment (RFC 9449 §4.2: "without query and fragment parts").
    QueryOrFragment,
    /// Another scheme, host, port or path than the endpoint's.
    OtherTarget,
}

impl HtuMismatch {
    /// The public description.
    pub(crate) fn description(self) -> &'static str {
        match self {
            HtuMismatch::NotAUri => "the DPoP proof's htu is not an absolute http(s) URI",
            HtuMismatch::QueryOrFragment => {
                "the DPoP proof's htu must not carry a query or a fragment (RFC 9449 §4.2)"
            }
            HtuMismatch::OtherTarget => {
                "the DPoP proof's htu is not the URI of this endpoint (RFC 9449 §4.3)"
            }
        }
    }
}

/// Whether `htu` names `endpoint` (the server's own absolute URL of the endpoint called,
/// without query and fragment).
///
/// A client normally sends the endpoint exactly as discovery spells it: the same string is
/// the same URI, decided without parsing either. Anything else is compared after
/// normalization.
pub(crate) fn matches(htu: &str, endpoint: &str) -> Result<(), HtuMismatch> {
    if htu == endpoint {
        return Ok(());
    }
    let endpoint = Url::parse(endpoint).map_err(|_| HtuMismatch::OtherTarget)?;
    let u = Url::parse(htu).map_err(|_| HtuMismatch::NotAUri)?;
    if !matches!(u.scheme(), "http" | "https") || u.cannot_be_a_base() {
        return Err(HtuMismatch::NotAUri);
    }
    // `Url::parse` keeps an empty `?` or `#` as `Some("")`: any marker counts.
    if u.query().is_some() || u.fragment().is_some() {
        return Err(HtuMismatch::QueryOrFragment);
    }
    // `Url` lowercases the scheme and a domain host, drops a default port, resolves dot
    // segments and normalizes percent-encoding case.
    let same = u.scheme() == endpoint.scheme()
        && u.username() == endpoint.username()
        && u.password() == endpoint.password()
        && u.host() == endpoint.host()
        && u.port_or_known_default() == endpoint.port_or_known_default()
        && u.path() == endpoint.path();
    if same {
        Ok(())
    } else {
        Err(HtuMismatch::OtherTarget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> &'static str {
        "https://as.example.com/token"
    }

    #[test]
    fn htu_scheme_and_host_compare_case_insensitively() {
        assert_eq!(matches("HTTPS://AS.Example.COM/token", token()), Ok(()));
    }

    #[test]
    fn htu_default_port_is_the_same_as_none() {
        assert_eq!(matches("https://as.example.com:443/token", token()), Ok(()));
        assert_eq!(
            matches("https://as.example.com:8443/token", token()),
            Err(HtuMismatch::OtherTarget)
        );
    }

    #[test]
    fn htu_path_compares_case_sensitively_after_dot_segments() {
        assert_eq!(
            matches("https://as.example.com/a/../token", token()),
            Ok(())
        );
        assert_eq!(
            matches("https://as.example.com/Token", token()),
            Err(HtuMismatch::OtherTarget)
        );
        assert_eq!(
            matches("https://as.example.com/token/", token()),
            Err(HtuMismatch::OtherTarget)
        );
    }

    #[test]
    fn htu_with_another_host_scheme_or_user_is_refused() {
        for htu in [
            "https://evil.example.com/token",
            "http://as.example.com/token",
            "https://user@as.example.com/token",
        ] {
            assert_eq!(
                matches(htu, token()),
                Err(HtuMismatch::OtherTarget),
                "{htu}"
            );
        }
    }

    #[test]
    fn htu_with_a_query_or_fragment_is_refused() {
        for htu in [
            "https://as.example.com/token?a=b",
            "https://as.example.com/token?",
            "https://as.example.com/token#x",
            "https://as.example.com/token#",
        ] {
            assert_eq!(
                matches(htu, token()),
                Err(HtuMismatch::QueryOrFragment),
                "{htu}"
            );
        }
    }

    #[test]
    fn htu_that_is_not_an_http_uri_is_refused() {
        for htu in ["/token", "urn:x:token", "ftp://as.example.com/token", ""] {
            assert_eq!(matches(htu, token()), Err(HtuMismatch::NotAUri), "{htu}");
        }
    }
}
