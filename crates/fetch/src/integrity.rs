//! The content hash a URL fragment may carry (SPEC §5; OpenID Connect Core §6.2: "the fragment
//! can be the base64url-encoded SHA-256 hash of the file contents").

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::FetchError;

/// Length of an unpadded base64url SHA-256 digest.
const SHA256_B64_LEN: usize = 43;

/// The expected hash if `fragment` is one: exactly 43 base64url characters. Any other fragment
/// is left alone (it still distinguishes cache entries).
pub(crate) fn expected_hash(fragment: Option<&str>) -> Option<&str> {
    fragment.filter(|f| {
        f.len() == SHA256_B64_LEN
            && f.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// Check `body` against the base64url SHA-256 `expected`. The hash is public (the client put
/// it in the URL), so a plain comparison is fine.
pub(crate) fn verify(body: &[u8], expected: &str) -> Result<(), FetchError> {
    let actual = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, body));
    if actual == expected {
        Ok(())
    } else {
        Err(FetchError::HashMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// base64url(SHA-256("abc")), FIPS 180-2 test vector.
    const ABC: &str = "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0";

    #[test]
    fn hash_fragment_is_43_base64url_characters() {
        assert_eq!(expected_hash(Some(ABC)), Some(ABC));
        assert_eq!(expected_hash(None), None);
        assert_eq!(expected_hash(Some("section-2")), None);
        assert_eq!(expected_hash(Some(&ABC[..42])), None);
        assert_eq!(expected_hash(Some(&format!("{ABC}A"))), None);
        let with_plus = ABC.replace('-', "+");
        assert_eq!(expected_hash(Some(&with_plus)), None);
    }

    #[test]
    fn hash_fragment_must_match_the_body() {
        assert_eq!(verify(b"abc", ABC), Ok(()));
        assert_eq!(verify(b"abd", ABC), Err(FetchError::HashMismatch));
    }
}
