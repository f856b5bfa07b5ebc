//! Random identifiers and one-way hashes of bearer secrets.
//!
//! Codes, refresh tokens and session cookies are random 256-bit values; the store keeps only
//! their SHA-256, so a leaked database does not leak usable credentials.

use crate::ports::Rng;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A fresh random value of `bytes` bytes, base64url without padding.
pub fn random_token(rng: &dyn Rng, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rng.fill(&mut buf);
    token_text(&buf)
}

/// Random bytes drawn earlier (one draw for several values) as a token: base64url without
/// padding, as [`random_token`] makes.
pub fn token_text(random: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// SHA-256 of `value`, base64url without padding: how bearer secrets are stored and looked up.
pub fn hash_token(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        value.as_bytes(),
    ))
}

/// The replay-cache key of a `jti` sent by `client_id` (request objects, client assertions):
/// hashed, so that whatever a client puts in its `jti` (a NUL byte, which PostgreSQL refuses
/// in text; any length up to the claim's limit) is stored as 43 safe characters.
pub fn replay_key(client_id: &str, jti: &str) -> String {
    hash_token(&format!("{client_id}\u{1f}{jti}"))
}

/// Constant-time equality of two byte strings (length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// base64url (no padding) of SHA-256: the PKCE S256 transform (RFC 7636 §4.2).
pub fn s256(value: &str) -> String {
    hash_token(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
