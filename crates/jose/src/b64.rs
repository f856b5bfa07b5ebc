//! Strict base64url (RFC 7515 §2 and Appendix C): URL-safe alphabet, no padding, no trailing
//! bits, no whitespace.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::error::{JoseError, Result};

/// Decodes strict base64url without padding; `part` names the input in the error.
pub(crate) fn decode(input: &str, part: &'static str) -> Result<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(input.as_bytes())
        .map_err(|_| JoseError::Base64(part))
}

/// Encodes as base64url without padding.
pub(crate) fn encode(input: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(input)
}

/// Appends the base64url (no padding) encoding of `input` to `out`.
pub(crate) fn encode_into(input: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(input, out);
}

/// Decodes standard base64 with padding, as `x5c` uses (RFC 7517 §4.7).
pub(crate) fn decode_standard(input: &str, part: &'static str) -> Result<Vec<u8>> {
    STANDARD
        .decode(input.as_bytes())
        .map_err(|_| JoseError::Base64(part))
}

/// The length of the base64url (no padding) encoding of `n` bytes.
pub(crate) const fn encoded_len(n: usize) -> usize {
    (n / 3) * 4 + [0, 2, 3][n % 3]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for n in 0..20 {
            let data: Vec<u8> = (0..n).map(|i| (i as u8).wrapping_mul(37)).collect();
            let e = encode(&data);
            assert_eq!(e.len(), encoded_len(n));
            assert_eq!(decode(&e, "t").unwrap(), data);
        }
    }

    #[test]
    fn refuses_padding_standard_alphabet_whitespace_and_trailing_bits() {
        assert_eq!(decode("QQ", "t").unwrap(), b"A");
        assert!(decode("QQ==", "t").is_err(), "padding");
        assert!(decode("+/8", "t").is_err(), "standard alphabet");
        assert!(decode("QQ ", "t").is_err(), "whitespace");
        assert!(decode("QR", "t").is_err(), "non-zero trailing bits");
        assert!(decode("Q", "t").is_err(), "impossible length");
    }
}
