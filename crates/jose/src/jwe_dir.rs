//! A compact JWE encrypter for one symmetric key of the server's own: `alg: dir`,
//! `enc: A256GCM` (RFC 7516 §5.1 and §7.1, RFC 7518 §4.5 and §5.3), with the AES key schedule
//! and the encoded protected header computed once per key instead of once per message.
//!
//! [`crate::encrypt_compact`] is the general path (every `alg`/`enc`, a header per call, its
//! own random IV). A server that seals many small documents under one key (Writ's pending
//! interactions, on the `/authorize` hot path) uses this one; what it makes is an ordinary
//! compact JWE that [`crate::EncryptedJwe`] parses and decrypts with the same key.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use serde_json::{Map, Value};

use crate::b64;
use crate::compact::{self, check_crit_and_b64};
use crate::error::{JoseError, Result};

/// Bytes of an AES-256-GCM key (RFC 7518 §5.3: the CEK of `A256GCM` is 256 bits).
pub const DIR_A256GCM_KEY_BYTES: usize = 32;

/// Bytes of an AES-GCM initialization vector (RFC 7518 §5.3: 96 bits).
pub const GCM_IV_BYTES: usize = NONCE_LEN;

/// Seals compact JWEs with `alg: dir`, `enc: A256GCM` under one key and one protected header.
pub struct DirA256GcmSealer {
    key: LessSafeKey,
    /// BASE64URL(UTF8(JWE Protected Header)), also the additional authenticated data
    /// (RFC 7516 §5.1 steps 14–15).
    protected: String,
}

impl DirA256GcmSealer {
    /// A sealer for `secret` (32 bytes) whose protected header is `header` plus `alg` and
    /// `enc`. `header` may not set `alg`, `enc`, `epk`, `zip` or `crit`.
    pub fn new(secret: &[u8], header: &Map<String, Value>) -> Result<Self> {
        if secret.len() != DIR_A256GCM_KEY_BYTES {
            return Err(JoseError::Crypto("an A256GCM key has 32 bytes"));
        }
        for reserved in ["alg", "enc", "epk", "zip"] {
            if header.contains_key(reserved) {
                return Err(JoseError::UnsupportedHeaderParameter(reserved));
            }
        }
        let mut full = Map::new();
        full.insert("alg".into(), Value::String("dir".into()));
        full.insert("enc".into(), Value::String("A256GCM".into()));
        full.extend(header.iter().map(|(k, v)| (k.clone(), v.clone())));
        check_crit_and_b64(&full)?;
        let protected = compact::encode_header(&full)?;
        let key = UnboundKey::new(&AES_256_GCM, secret)
            .map(LessSafeKey::new)
            .map_err(|_| JoseError::Crypto("AES-GCM key"))?;
        Ok(DirA256GcmSealer { key, protected })
    }

    /// The length of the compact JWE that [`Self::seal`] makes of `plaintext_len` bytes.
    #[must_use]
    pub fn sealed_len(&self, plaintext_len: usize) -> usize {
        // header . (empty encrypted key) . iv . ciphertext . tag
        self.protected.len()
            + 2
            + b64::encoded_len(GCM_IV_BYTES)
            + 1
            + b64::encoded_len(plaintext_len)
            + 1
            + b64::encoded_len(AES_256_GCM.tag_len())
    }

    /// The compact JWE of `plaintext`, encrypted in place (its buffer holds the ciphertext
    /// afterwards), under `iv`.
    ///
    /// `iv` must never repeat under this key: the caller draws it from a cryptographically
    /// secure random source, 96 bits, as RFC 7518 §5.3 and NIST SP 800-38D §8.2.2 allow.
    pub fn seal(&self, iv: &[u8; GCM_IV_BYTES], plaintext: &mut [u8]) -> Result<String> {
        let mut out = String::with_capacity(self.sealed_len(plaintext.len()));
        out.push_str(&self.protected);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(*iv),
                Aad::from(self.protected.as_bytes()),
                plaintext,
            )
            .map_err(|_| JoseError::Crypto("AES-GCM seal"))?;
        out.push_str("..");
        b64::encode_into(iv, &mut out);
        out.push('.');
        b64::encode_into(plaintext, &mut out);
        out.push('.');
        b64::encode_into(tag.as_ref(), &mut out);
        Ok(out)
    }
}

impl std::fmt::Debug for DirA256GcmSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirA256GcmSealer")
            .field("protected", &self.protected)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DecryptionKey, EncryptedJwe, JweAlg, JweEnc};
    use serde_json::json;

    fn header() -> Map<String, Value> {
        json!({"kid": "k1", "typ": "t"})
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn what_the_sealer_makes_is_a_compact_jwe_the_general_path_decrypts() {
        let secret = [9u8; 32];
        let s = DirA256GcmSealer::new(&secret, &header()).unwrap();
        for n in [0usize, 1, 2, 3, 100, 1500] {
            let plain: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
            let mut buf = plain.clone();
            let jwe = s.seal(&[7u8; 12], &mut buf).unwrap();
            assert_eq!(jwe.len(), s.sealed_len(n), "length for {n} bytes");
            let parsed = EncryptedJwe::parse(&jwe, 1 << 20).unwrap();
            let h = parsed.header();
            assert_eq!((h.alg, h.enc), (JweAlg::Dir, JweEnc::A256Gcm));
            assert_eq!(h.kid.as_deref(), Some("k1"));
            assert_eq!(h.typ.as_deref(), Some("t"));
            let key = DecryptionKey::from_symmetric(&secret).unwrap();
            assert_eq!(parsed.decrypt(&key).unwrap().plaintext(), plain.as_slice());
        }
    }

    #[test]
    fn another_key_or_a_changed_iv_does_not_decrypt() {
        let s = DirA256GcmSealer::new(&[9u8; 32], &header()).unwrap();
        let jwe = s.seal(&[7u8; 12], &mut b"hello".to_vec()).unwrap();
        let other = DecryptionKey::from_symmetric(&[8u8; 32]).unwrap();
        let parsed = EncryptedJwe::parse(&jwe, 1 << 20).unwrap();
        assert!(parsed.decrypt(&other).is_err());
        let parts: Vec<&str> = jwe.split('.').collect();
        let iv = b64::encode(&[6u8; 12]);
        let changed = format!("{}..{iv}.{}.{}", parts[0], parts[3], parts[4]);
        let key = DecryptionKey::from_symmetric(&[9u8; 32]).unwrap();
        let parsed = EncryptedJwe::parse(&changed, 1 << 20).unwrap();
        assert!(parsed.decrypt(&key).is_err());
    }

    #[test]
    fn a_sealer_refuses_a_short_key_and_reserved_or_critical_header_parameters() {
        assert!(DirA256GcmSealer::new(&[9u8; 16], &header()).is_err());
        for bad in [
            json!({"alg": "A256KW"}),
            json!({"enc": "A128GCM"}),
            json!({"zip": "DEF"}),
            json!({"epk": {}}),
            json!({"crit": ["exp"], "exp": 1}),
        ] {
            let h = bad.as_object().cloned().unwrap_or_default();
            assert!(DirA256GcmSealer::new(&[9u8; 32], &h).is_err(), "{bad}");
        }
    }
}
