//! Server-provided DPoP nonces (RFC 9449 §8, §9), valid on every node without shared state.
//!
//! A nonce names a time window of [`ROTATION_SECS`] and authenticates it: base64url of the
//! window number (8 bytes, big-endian) and the first 16 bytes of HMAC-SHA256 over it, under a
//! key derived from the interaction sealing key that every node loads from the store. A node
//! issues the nonce of the current window; it accepts that one and the previous window's, so
//! a nonce lives between one and two windows and rotates by itself. A key rotation keeps the
//! retiring key's nonces valid for as long as that key is loaded.

use crate::ports::UnixTime;
use crate::secret::constant_time_eq;
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How long one nonce is issued (seconds); it is accepted for up to twice this.
pub const ROTATION_SECS: i64 = 300;

/// Domain separation: a nonce key is never the sealing key itself.
const LABEL: &[u8] = b"writ dpop nonce v1";
const TAG_BYTES: usize = 16;
const NONCE_BYTES: usize = 8 + TAG_BYTES;
/// Length of an encoded nonce (base64url of 24 bytes).
pub const NONCE_CHARS: usize = 32;

/// A key that makes and checks nonces.
pub struct NonceKey {
    kid: String,
    key: hmac::Key,
}

impl std::fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceKey").field("kid", &self.kid).finish()
    }
}

impl NonceKey {
    /// The nonce key of the sealing key `kid` with secret `secret`.
    pub fn derive(kid: &str, secret: &[u8]) -> Self {
        let extract = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let derived = hmac::sign(&extract, LABEL);
        NonceKey {
            kid: kid.to_string(),
            key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()),
        }
    }

    /// The sealing key it was derived from.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    fn tag(&self, window: i64) -> hmac::Tag {
        hmac::sign(&self.key, &window.to_be_bytes())
    }

    /// The nonce of the window `now` falls in.
    pub fn issue(&self, now: UnixTime) -> String {
        let window = now.div_euclid(ROTATION_SECS);
        let mut bytes = [0u8; NONCE_BYTES];
        bytes[..8].copy_from_slice(&window.to_be_bytes());
        bytes[8..].copy_from_slice(&self.tag(window).as_ref()[..TAG_BYTES]);
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

/// Whether `nonce` is the current or the previous window's under one of `keys`.
pub fn accept(keys: &[NonceKey], nonce: &str, now: UnixTime) -> bool {
    if nonce.len() != NONCE_CHARS {
        return false;
    }
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(nonce) else {
        return false;
    };
    let Some((window, tag)) = bytes.split_first_chunk::<8>() else {
        return false;
    };
    let window = i64::from_be_bytes(*window);
    let current = now.div_euclid(ROTATION_SECS);
    if window != current && window != current - 1 {
        return false;
    }
    keys.iter()
        .any(|k| constant_time_eq(&k.tag(window).as_ref()[..TAG_BYTES], tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str) -> NonceKey {
        NonceKey::derive(kid, &[7u8; 32])
    }

    #[test]
    fn a_nonce_is_accepted_in_its_window_and_the_next() {
        let k = [key("a")];
        let t = 1_000 * ROTATION_SECS;
        let n = k[0].issue(t);
        assert_eq!(n.len(), NONCE_CHARS);
        assert!(accept(&k, &n, t));
        assert!(accept(&k, &n, t + ROTATION_SECS - 1));
        assert!(accept(&k, &n, t + 2 * ROTATION_SECS - 1));
    }

    #[test]
    fn a_nonce_two_windows_old_is_stale() {
        let k = [key("a")];
        let t = 1_000 * ROTATION_SECS;
        let n = k[0].issue(t);
        assert!(!accept(&k, &n, t + 2 * ROTATION_SECS));
        // Nor is a nonce from the future.
        assert!(!accept(&k, &k[0].issue(t + ROTATION_SECS), t));
    }

    #[test]
    fn a_nonce_rotates_every_window() {
        let k = key("a");
        let t = 1_000 * ROTATION_SECS;
        assert_eq!(k.issue(t), k.issue(t + ROTATION_SECS - 1));
        assert_ne!(k.issue(t), k.issue(t + ROTATION_SECS));
    }

    #[test]
    fn a_nonce_under_another_key_or_altered_is_refused() {
        let t = 1_000 * ROTATION_SECS;
        let other = NonceKey::derive("b", &[8u8; 32]).issue(t);
        assert!(!accept(&[key("a")], &other, t));
        let mut n = key("a").issue(t).into_bytes();
        n[NONCE_CHARS - 1] = if n[NONCE_CHARS - 1] == b'A' {
            b'B'
        } else {
            b'A'
        };
        assert!(!accept(&[key("a")], std::str::from_utf8(&n).unwrap(), t));
        for junk in ["", "x", &"A".repeat(NONCE_CHARS), &"é".repeat(16)] {
            assert!(!accept(&[key("a")], junk, t), "{junk}");
        }
    }

    #[test]
    fn a_retiring_keys_nonce_stays_valid_while_it_is_loaded() {
        let t = 1_000 * ROTATION_SECS;
        let old = key("old");
        let n = old.issue(t);
        assert!(accept(&[NonceKey::derive("new", &[9u8; 32]), old], &n, t));
    }
}
