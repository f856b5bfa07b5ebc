//! Envelope encryption of the server's stored private keys (issue 16, finding 5): with a
//! key-encryption key (KEK) configured, every private key (signing, decryption, interaction
//! sealing) is kept in the store only as AES-256-GCM ciphertext (NIST SP 800-38D) under that
//! KEK, so a copy of the database (a backup, a replica, a leaked dump) carries no usable key.
//!
//! The stored form ("envelope") is `MAGIC ‖ kek_id ‖ nonce ‖ ciphertext ‖ tag`, with the key's
//! `kid`, `use` and `alg` as additional authenticated data: a row's ciphertext cannot be moved
//! to another row, and a changed byte is detected. `kek_id` (8 bytes of a SHA-256 of the KEK)
//! names the KEK an envelope needs, so that a node started with the wrong KEK refuses to start
//! with a message that says so instead of failing on a tag.
//!
//! Rotation of the KEK: start with the new KEK as `kek` and the old one as `previous_kek`;
//! every envelope still under the previous KEK is opened with it and re-sealed under the new
//! one, at start-up (and by `writ keys list` and `rotate`); then drop `previous_kek`. Turning
//! the KEK on seals the plaintext keys already stored in the same way.

use crate::ports::{KeyUse, Rng, StoredKey};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::digest;
use std::fmt;

/// The first bytes of an envelope. A PKCS#8 DER key starts with `0x30` and a plaintext
/// sealing secret is 32 random bytes, so a stored value that starts with these 8 bytes is an
/// envelope (a random secret would start with them once in 2^64).
const MAGIC: &[u8; 8] = b"WRITKEK1";
/// Length of the KEK id inside an envelope.
const KEK_ID_LEN: usize = 8;
/// Length of a KEK: AES-256 (the configuration decodes it to exactly this).
const KEK_LEN: usize = writ_protocol::keys::KEK_BYTES;
/// AES-GCM's tag length.
const TAG_LEN: usize = 16;

/// One key-encryption key, with its id. The key bytes never leave this type (and its `Debug`
/// shows only the id).
pub struct Kek {
    id: [u8; KEK_ID_LEN],
    key: LessSafeKey,
}

impl Kek {
    /// A KEK from its 32 bytes.
    pub fn new(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() != KEK_LEN {
            return Err(format!(
                "a key-encryption key is {KEK_LEN} bytes (AES-256), this one is {}",
                bytes.len()
            ));
        }
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| "the key-encryption key is not a valid AES-256 key".to_owned())?;
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(b"writ key-encryption key id\0");
        ctx.update(bytes);
        let hash = ctx.finish();
        let mut id = [0u8; KEK_ID_LEN];
        id.copy_from_slice(&hash.as_ref()[..KEK_ID_LEN]);
        Ok(Kek {
            id,
            key: LessSafeKey::new(unbound),
        })
    }

    /// The KEK id, in hex: safe to log and to show (it identifies the KEK, it does not reveal it).
    pub fn id(&self) -> String {
        hex(&self.id)
    }
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kek").field("id", &self.id()).finish()
    }
}

/// The configured KEKs: none (private keys stored as plaintext), or the current one and,
/// during a rotation, the previous one.
#[derive(Debug, Default)]
pub struct KeyEncryption {
    current: Option<Kek>,
    previous: Option<Kek>,
}

/// What opening a stored key found.
#[derive(Debug)]
pub struct Opened {
    /// The private key's bytes.
    pub plaintext: Vec<u8>,
    /// Whether the stored form should be replaced by [`KeyEncryption::seal`]'s: it is
    /// plaintext while a KEK is configured, or sealed under the previous KEK.
    pub reseal: bool,
}

/// Why a stored key cannot be opened. Each stops start-up (or the admin command).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KekError {
    /// The key is sealed but no KEK is configured.
    #[error(
        "it is encrypted under key-encryption key {0}, and no key-encryption key is configured ([keys] kek or kek_file)"
    )]
    NotConfigured(String),
    /// The key is sealed under a KEK that is neither the current nor the previous one.
    #[error(
        "it is encrypted under key-encryption key {needed}, and the configured key-encryption key is {configured}: wrong key, or a rotation that needs the old key as [keys] previous_kek"
    )]
    WrongKey {
        /// The id the envelope names.
        needed: String,
        /// The configured KEKs' ids.
        configured: String,
    },
    /// The envelope does not open with the KEK it names: changed, truncated, or moved from
    /// another key's row.
    #[error("its envelope does not decrypt under key-encryption key {0} (changed or moved)")]
    Tampered(String),
    /// Sealing failed (never expected).
    #[error("sealing failed")]
    Seal,
}

impl KeyEncryption {
    /// No KEK: private keys are stored as plaintext.
    pub fn none() -> Self {
        KeyEncryption::default()
    }

    /// `current` seals; `previous`, during a rotation, only opens.
    pub fn new(current: Kek, previous: Option<Kek>) -> Self {
        KeyEncryption {
            current: Some(current),
            previous,
        }
    }

    /// The current KEK's id, if any.
    pub fn current_id(&self) -> Option<String> {
        self.current.as_ref().map(Kek::id)
    }

    /// The stored form of `private` for the key `key`: an envelope under the current KEK, or
    /// `private` itself when none is configured.
    pub fn seal(
        &self,
        key: &StoredKey,
        private: &[u8],
        rng: &dyn Rng,
    ) -> Result<Vec<u8>, KekError> {
        let Some(kek) = &self.current else {
            return Ok(private.to_vec());
        };
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce);
        let mut out = Vec::with_capacity(envelope_len(private.len()));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&kek.id);
        out.extend_from_slice(&nonce);
        let mut body = private.to_vec();
        kek.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(&kek.id, key)),
                &mut body,
            )
            .map_err(|_| KekError::Seal)?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// The private key of the stored `key`.
    pub fn open(&self, key: &StoredKey) -> Result<Opened, KekError> {
        let stored = &key.private_pkcs8;
        let Some(rest) = stored.strip_prefix(MAGIC.as_slice()) else {
            return Ok(Opened {
                plaintext: stored.clone(),
                reseal: self.current.is_some(),
            });
        };
        let needed = rest.get(..KEK_ID_LEN).unwrap_or(rest);
        let (kek, previous) = match (&self.current, &self.previous) {
            (None, _) => return Err(KekError::NotConfigured(hex(needed))),
            (Some(c), _) if c.id == needed => (c, false),
            (Some(_), Some(p)) if p.id == needed => (p, true),
            (Some(c), p) => {
                let configured = match p {
                    Some(p) => format!("{} (previous {})", c.id(), p.id()),
                    None => c.id(),
                };
                return Err(KekError::WrongKey {
                    needed: hex(needed),
                    configured,
                });
            }
        };
        let rest = &rest[KEK_ID_LEN..];
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(KekError::Tampered(kek.id()));
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| KekError::Tampered(kek.id()))?;
        let mut body = sealed.to_vec();
        let plaintext = kek
            .key
            .open_in_place(nonce, Aad::from(aad(&kek.id, key)), &mut body)
            .map_err(|_| KekError::Tampered(kek.id()))?
            .to_vec();
        Ok(Opened {
            plaintext,
            reseal: previous,
        })
    }
}

fn envelope_len(plaintext: usize) -> usize {
    MAGIC.len() + KEK_ID_LEN + NONCE_LEN + plaintext + TAG_LEN
}

/// The additional authenticated data: the envelope's header and the row it belongs to.
fn aad(kek_id: &[u8; KEK_ID_LEN], key: &StoredKey) -> Vec<u8> {
    let key_use = match key.key_use {
        KeyUse::Sig => "sig",
        KeyUse::Enc => "enc",
    };
    let mut aad = Vec::with_capacity(64 + key.kid.len() + key.alg.len());
    aad.extend_from_slice(MAGIC);
    aad.extend_from_slice(kek_id);
    for part in [key.kid.as_str(), key_use, key.alg.as_str()] {
        aad.extend_from_slice(part.as_bytes());
        aad.push(0);
    }
    aad
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::KeyState;
    use crate::testing::SeededRng;

    fn kek(byte: u8) -> Kek {
        Kek::new(&[byte; KEK_LEN]).unwrap()
    }

    fn row(kid: &str, private: Vec<u8>) -> StoredKey {
        StoredKey {
            kid: kid.into(),
            key_use: KeyUse::Sig,
            alg: "ES256".into(),
            private_pkcs8: private,
            public_jwk: "{}".into(),
            state: KeyState::Active,
            created_at: 0,
        }
    }

    fn sealed(enc: &KeyEncryption, kid: &str, private: &[u8]) -> StoredKey {
        let mut r = row(kid, Vec::new());
        r.private_pkcs8 = enc.seal(&r, private, &SeededRng::new(7)).unwrap();
        r
    }

    #[test]
    fn a_sealed_key_opens_with_its_kek_and_holds_no_plaintext() {
        let enc = KeyEncryption::new(kek(1), None);
        let secret = b"0\x82private key material of some length".to_vec();
        let r = sealed(&enc, "k1", &secret);
        assert!(r.private_pkcs8.starts_with(MAGIC));
        assert!(!r.private_pkcs8.windows(secret.len()).any(|w| w == secret));
        let opened = enc.open(&r).unwrap();
        assert_eq!(opened.plaintext, secret);
        assert!(!opened.reseal);
    }

    #[test]
    fn a_wrong_kek_is_refused_naming_both_ids() {
        let r = sealed(&KeyEncryption::new(kek(1), None), "k1", b"secret");
        let err = KeyEncryption::new(kek(2), None).open(&r).unwrap_err();
        assert_eq!(
            err,
            KekError::WrongKey {
                needed: kek(1).id(),
                configured: kek(2).id()
            }
        );
    }

    #[test]
    fn a_sealed_key_without_a_kek_is_refused() {
        let r = sealed(&KeyEncryption::new(kek(1), None), "k1", b"secret");
        assert_eq!(
            KeyEncryption::none().open(&r).unwrap_err(),
            KekError::NotConfigured(kek(1).id())
        );
    }

    #[test]
    fn an_envelope_moved_to_another_row_does_not_open() {
        let enc = KeyEncryption::new(kek(1), None);
        let mut r = sealed(&enc, "k1", b"secret");
        r.kid = "k2".into();
        assert_eq!(enc.open(&r).unwrap_err(), KekError::Tampered(kek(1).id()));
        let mut r = sealed(&enc, "k1", b"secret");
        r.alg = "RS256".into();
        assert_eq!(enc.open(&r).unwrap_err(), KekError::Tampered(kek(1).id()));
    }

    #[test]
    fn a_changed_or_truncated_envelope_does_not_open() {
        let enc = KeyEncryption::new(kek(1), None);
        let r = sealed(&enc, "k1", b"secret");
        for i in MAGIC.len() + KEK_ID_LEN..r.private_pkcs8.len() {
            let mut bad = r.clone();
            bad.private_pkcs8[i] ^= 1;
            assert_eq!(
                enc.open(&bad).unwrap_err(),
                KekError::Tampered(kek(1).id()),
                "byte {i}"
            );
        }
        // Shorter than the magic it is no envelope: plaintext, which the key parsers refuse.
        for len in MAGIC.len()..r.private_pkcs8.len() {
            let mut bad = r.clone();
            bad.private_pkcs8.truncate(len);
            assert!(enc.open(&bad).is_err(), "length {len}");
        }
    }

    #[test]
    fn the_previous_kek_opens_and_asks_for_a_reseal() {
        let old = sealed(&KeyEncryption::new(kek(1), None), "k1", b"secret");
        let rotating = KeyEncryption::new(kek(2), Some(kek(1)));
        let opened = rotating.open(&old).unwrap();
        assert_eq!(opened.plaintext, b"secret");
        assert!(opened.reseal);
        let mut new = old.clone();
        new.private_pkcs8 = rotating
            .seal(&old, &opened.plaintext, &SeededRng::new(8))
            .unwrap();
        assert_eq!(
            KeyEncryption::new(kek(2), None)
                .open(&new)
                .unwrap()
                .plaintext,
            b"secret"
        );
    }

    #[test]
    fn plaintext_is_kept_without_a_kek_and_resealed_with_one() {
        let r = row("k1", b"0plain".to_vec());
        let none = KeyEncryption::none().open(&r).unwrap();
        assert_eq!(
            (none.plaintext.as_slice(), none.reseal),
            (b"0plain".as_slice(), false)
        );
        assert!(KeyEncryption::new(kek(1), None).open(&r).unwrap().reseal);
        assert_eq!(
            KeyEncryption::none()
                .seal(&r, b"0plain", &SeededRng::new(1))
                .unwrap(),
            b"0plain"
        );
    }

    #[test]
    fn a_kek_of_the_wrong_length_is_refused() {
        assert!(Kek::new(&[0u8; 16]).is_err());
        assert!(Kek::new(&[0u8; 33]).is_err());
    }

    #[test]
    fn two_seals_of_one_key_differ() {
        let enc = KeyEncryption::new(kek(1), None);
        let r = row("k1", Vec::new());
        let a = enc.seal(&r, b"secret", &SeededRng::new(1)).unwrap();
        let b = enc.seal(&r, b"secret", &SeededRng::new(2)).unwrap();
        assert_ne!(a, b);
    }
}
