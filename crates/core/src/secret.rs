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

/// Hex digits of the time prefix of [`ordered_token`] and [`ordered_id`]: they last until the
/// year 2527; later times are longer and still sort after.
const TIME_DIGITS: usize = 11;

/// Random bytes of a bearer secret (authorization code, refresh token): 256 bits.
pub const SECRET_BYTES: usize = 32;

/// Characters of [`SECRET_BYTES`] in base64url without padding.
const SECRET_CHARS: usize = (SECRET_BYTES * 4).div_ceil(3);

/// A fresh bearer secret whose store key sorts by creation time: `millis`
/// (`Clock::now_millis`) as 11 lowercase hex digits, then [`SECRET_BYTES`] random bytes
/// (base64url; 54 characters in all, none of them a `.`, which marks a JWS). The random part
/// alone makes it unguessable; the prefix only places its row ([`secret_key`]) next to the
/// rows made just before it in the store's primary-key index, so that a group of inserts
/// touches a page or two of the index instead of one page per row, and a code redeemed soon
/// after it was issued is found in a page still cached. It says when the secret was made,
/// which its holder knows anyway.
pub fn ordered_token(millis: i64, rng: &dyn Rng) -> String {
    ordered_id(millis, rng, SECRET_BYTES)
}

/// A fresh identifier that sorts by creation time: `millis` as 11 lowercase hex digits, then
/// `bytes` random bytes (base64url).
pub fn ordered_id(millis: i64, rng: &dyn Rng, bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rng.fill(&mut buf);
    ordered_text(millis, &buf)
}

/// Random bytes drawn earlier as an identifier that sorts by creation time, as
/// [`ordered_id`] makes: `millis` as 11 lowercase hex digits, then the bytes (base64url).
pub fn ordered_text(millis: i64, random: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(TIME_DIGITS + random.len().div_ceil(3) * 4);
    // Writing into a String cannot fail.
    let _ = write!(text, "{:0width$x}", millis.max(0), width = TIME_DIGITS);
    URL_SAFE_NO_PAD.encode_string(random, &mut text);
    text
}

/// How a bearer secret (authorization code, refresh token) is stored and looked up: its
/// SHA-256 ([`hash_token`]), after its time prefix when it has the shape of an
/// [`ordered_token`], so that keys sort as the secrets were made. A secret of the earlier
/// form (43 characters) keeps the key it was stored under.
pub fn secret_key(secret: &str) -> String {
    let ordered = secret.len() == TIME_DIGITS + SECRET_CHARS
        && secret.as_bytes()[..TIME_DIGITS]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
    if ordered {
        let mut key = String::with_capacity(TIME_DIGITS + SECRET_CHARS);
        key.push_str(&secret[..TIME_DIGITS]);
        URL_SAFE_NO_PAD.encode_string(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes()),
            &mut key,
        );
        key
    } else {
        hash_token(secret)
    }
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
    fn ordered_tokens_key_by_time_then_hash() {
        let rng = crate::testing::SeededRng::new(7);
        let a = ordered_token(0x18f_0000_0001, &rng);
        let b = ordered_token(0x18f_0000_0002, &rng);
        assert_eq!(&a[..11], "18f00000001");
        assert_eq!(a.len(), 54);
        assert!(!a.contains('.'), "a `.` would make it look like a JWS");
        let (ka, kb) = (secret_key(&a), secret_key(&b));
        assert_eq!(ka, format!("18f00000001{}", hash_token(&a)));
        assert!(ka < kb, "keys sort as the secrets were made");
        // Secrets of the earlier form keep their key.
        let old = random_token(&rng, SECRET_BYTES);
        assert_eq!(secret_key(&old), hash_token(&old));
        // Anything else of that length whose start is not lowercase hex is hashed whole.
        let upper = format!("18F00000001{}", &a[11..]);
        let short = &a[..53];
        for odd in [upper.as_str(), short, "", "18f00000001"] {
            assert_eq!(secret_key(odd), hash_token(odd), "{odd}");
        }
        assert!(ordered_id(0x18f_0000_0001, &rng, 16) < ordered_id(0x18f_0000_0002, &rng, 16));
        assert!(ordered_id(-5, &rng, 16).starts_with("00000000000"));
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
