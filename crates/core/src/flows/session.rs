//! The browser session's cookie (SPEC §8): how it is made and recognised.

use crate::secret::random_token;

/// Random bytes in a session cookie (256 bits, base64url: 43 characters).
pub(crate) const SESSION_COOKIE_BYTES: usize = 32;

/// Whether `c` could be a cookie made by [`random_token`] with [`SESSION_COOKIE_BYTES`]:
/// 43 base64url characters.
pub(crate) fn is_session_cookie_shaped(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A new session cookie value.
pub(crate) fn new_cookie(rng: &dyn crate::ports::Rng) -> String {
    random_token(rng, SESSION_COOKIE_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::SystemRng;

    #[test]
    fn session_cookie_shape_is_what_random_token_makes() {
        assert!(is_session_cookie_shaped(&new_cookie(&SystemRng)));
        assert!(!is_session_cookie_shaped("short"));
        assert!(!is_session_cookie_shaped(&"a".repeat(44)));
        assert!(!is_session_cookie_shaped(&format!("{}=", "a".repeat(42))));
    }
}
