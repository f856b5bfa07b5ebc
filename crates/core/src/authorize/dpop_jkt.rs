//! `dpop_jkt` (RFC 9449 §10): the authorization request names the JWK thumbprint of the DPoP
//! key the authorization code will be bound to; `/token` then redeems the code only with a
//! proof of that key (RFC 9449 §10.1). At `/par` a `DPoP` header binds it too
//! ([`super::ValidatedRequest::bind_dpop_key`]).

use crate::error::OAuthError;

/// Length of a base64url SHA-256 thumbprint (RFC 7638 §3.1 with SHA-256).
pub const THUMBPRINT_CHARS: usize = 43;

/// Stage 6: a present `dpop_jkt` must be a base64url SHA-256 thumbprint. With DPoP off it is
/// not a parameter this server knows, and is ignored like any other.
pub fn check(value: Option<&str>, dpop_enabled: bool) -> Result<Option<String>, OAuthError> {
    match value {
        Some(v) if dpop_enabled => {
            let well_formed = v.len() == THUMBPRINT_CHARS
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if well_formed {
                Ok(Some(v.to_string()))
            } else {
                Err(OAuthError::invalid_request(
                    "dpop_jkt must be the base64url SHA-256 thumbprint of a JWK (43 characters, RFC 9449 §10)",
                ))
            }
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpop_jkt_must_be_a_sha256_thumbprint() {
        let good = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
        assert_eq!(check(Some(good), true).unwrap().as_deref(), Some(good));
        for bad in ["", "short", &format!("{good}A"), &good.replace('N', "+")] {
            assert!(check(Some(bad), true).is_err(), "{bad}");
        }
        assert_eq!(check(None, true).unwrap(), None);
    }

    #[test]
    fn dpop_jkt_is_ignored_when_dpop_is_off() {
        assert_eq!(check(Some("anything"), false).unwrap(), None);
    }
}
