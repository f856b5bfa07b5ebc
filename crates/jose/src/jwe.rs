//! JWE Compact Serialization (RFC 7516 §7.1): strict parsing, decryption and encryption with
//! the key management algorithms of RFC 7518 §4 that Writ accepts.
//!
//! Refused on purpose: `RSA1_5` (Bleichenbacher/Marvin), `PBES2-*` (`p2c` work factor DoS),
//! `A*GCMKW`, 192-bit AES variants, `zip` (decompression bombs), `crit`, and the JSON
//! serializations.

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::alg::{JweAlg, JweEnc};
use crate::b64;
use crate::compact::{self, Compact, check_crit_and_b64};
use crate::content;
use crate::error::{JoseError, Result};
use crate::jwe_header::JweHeader;
use crate::jwe_keys::{AgreementCurve, DecryptionKey, EncryptionKey};
use crate::key_management::{self, cek::random_bytes};
use crate::material::MAX_RSA_MODULUS_BYTES;

/// A JWE whose structure has been checked but that has not been decrypted (RFC 7516 §5.2
/// steps 1-6).
#[derive(Debug, Clone)]
pub struct EncryptedJwe {
    header: JweHeader,
    protected_b64: String,
    encrypted_key: Vec<u8>,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
}

impl EncryptedJwe {
    /// Parses a JWE Compact Serialization (RFC 7516 §7.1).
    ///
    /// Refuses: input over `max_bytes` (before decoding); anything but five parts; a header
    /// over [`MAX_HEADER_BYTES`](crate::MAX_HEADER_BYTES); non-strict base64url; a header
    /// that is not a JSON object, has duplicate names, an unsupported `alg` or `enc`, `zip`,
    /// `crit`, or (for ECDH-ES) a missing or private `epk`; an Encrypted Key that is present
    /// for `dir`/`ECDH-ES` or absent otherwise; an IV or tag of the wrong length; a CBC
    /// ciphertext that is not whole blocks.
    pub fn parse(token: &str, max_bytes: usize) -> Result<Self> {
        let Compact {
            parts: [header_b64, key_b64, iv_b64, ct_b64, tag_b64],
            header_json,
        } = compact::parse::<5>(token, max_bytes, "JWE header")?;
        let header = JweHeader::from_json(&header_json)?;
        if key_b64.len() > b64::encoded_len(MAX_RSA_MODULUS_BYTES) {
            return Err(JoseError::Malformed("JWE encrypted key too long"));
        }
        let encrypted_key = b64::decode(key_b64, "JWE encrypted key")?;
        if header.alg.has_empty_encrypted_key() != encrypted_key.is_empty() {
            return Err(JoseError::Malformed(if encrypted_key.is_empty() {
                "JWE encrypted key missing"
            } else {
                "JWE encrypted key must be empty for dir and ECDH-ES"
            }));
        }
        let iv = b64::decode(iv_b64, "JWE IV")?;
        if iv.len() != header.enc.iv_len() {
            return Err(JoseError::Malformed("JWE IV has the wrong length"));
        }
        let ciphertext = b64::decode(ct_b64, "JWE ciphertext")?;
        if matches!(header.enc, JweEnc::A128CbcHs256 | JweEnc::A256CbcHs512)
            && (ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16))
        {
            return Err(JoseError::Malformed(
                "JWE CBC ciphertext is not whole blocks",
            ));
        }
        let tag = b64::decode(tag_b64, "JWE tag")?;
        if tag.len() != header.enc.tag_len() {
            return Err(JoseError::Malformed("JWE tag has the wrong length"));
        }
        Ok(EncryptedJwe {
            header,
            protected_b64: header_b64.to_owned(),
            encrypted_key,
            iv,
            ciphertext,
            tag,
        })
    }

    /// The protected header (authenticated only once decryption succeeds).
    #[must_use]
    pub fn header(&self) -> &JweHeader {
        &self.header
    }

    /// Decrypts with `key` (RFC 7516 §5.2 steps 7-16).
    ///
    /// The key must fit `alg`/`enc` ([`DecryptionKey::check_alg`]): that refusal names the
    /// problem. After that every failure — key unwrap, tag, padding — is the one
    /// [`JoseError::DecryptionFailed`], and a failed unwrap carries on with a random CEK so
    /// that it costs the same as a bad tag (RFC 7516 §11.5).
    pub fn decrypt(&self, key: &DecryptionKey) -> Result<DecryptedJwe> {
        let alg = self.header.alg;
        let enc = self.header.enc;
        key.check_alg(alg, enc)?;
        let cek = self.content_key(key)?;
        let plaintext = content::decrypt(
            enc,
            &cek,
            &self.iv,
            self.protected_b64.as_bytes(),
            &self.ciphertext,
            &self.tag,
        )?;
        Ok(DecryptedJwe {
            header: self.header.clone(),
            plaintext,
        })
    }

    /// Recovers the CEK (RFC 7516 §5.2 steps 8-11); a failed unwrap gives a random CEK
    /// (RFC 7516 §11.5).
    fn content_key(&self, key: &DecryptionKey) -> Result<Zeroizing<Vec<u8>>> {
        key_management::decrypt_cek(&self.header, &self.encrypted_key, key)
    }
}

/// A decrypted JWE. For a nested JWT the plaintext is a JWS still to be verified.
#[derive(Debug, Clone)]
pub struct DecryptedJwe {
    header: JweHeader,
    plaintext: Vec<u8>,
}

impl DecryptedJwe {
    /// The protected header (authenticated).
    #[must_use]
    pub fn header(&self) -> &JweHeader {
        &self.header
    }

    /// The plaintext.
    #[must_use]
    pub fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }

    /// The plaintext, by value.
    #[must_use]
    pub fn into_plaintext(self) -> Vec<u8> {
        self.plaintext
    }
}

/// Encrypts `plaintext` into a JWE Compact Serialization (RFC 7516 §5.1, §7.1).
///
/// `header` is copied and `alg`/`enc` set (and `epk` for ECDH-ES; `apu`/`apv`, when given in
/// `header` as base64url, enter the KDF). For a nested JWT set `"cty":"JWT"`.
pub fn encrypt_compact(
    header: &Map<String, Value>,
    plaintext: &[u8],
    alg: JweAlg,
    enc: JweEnc,
    key: &EncryptionKey,
) -> Result<String> {
    key.check_alg(alg, enc)?;
    let mut header_map = Map::new();
    header_map.insert("alg".into(), Value::String(alg.as_str().into()));
    header_map.insert("enc".into(), Value::String(enc.as_str().into()));
    for (k, v) in header {
        if k != "alg" && k != "enc" && k != "epk" {
            header_map.insert(k.clone(), v.clone());
        }
    }
    if header_map.contains_key("zip") {
        return Err(JoseError::UnsupportedHeaderParameter("zip"));
    }
    check_crit_and_b64(&header_map)?;

    let (cek, encrypted_key) = key_management::encrypt_cek(alg, enc, key, &mut header_map)?;

    let protected = compact::encode_header(&header_map)?;
    let iv = random_bytes(enc.iv_len());
    let (ciphertext, tag) = content::encrypt(enc, &cek, &iv, protected.as_bytes(), plaintext)?;
    Ok(format!(
        "{protected}.{}.{}.{}.{}",
        b64::encode(&encrypted_key),
        b64::encode(&iv),
        b64::encode(&ciphertext),
        b64::encode(&tag)
    ))
}

/// The decryption keys that may decrypt this JWE: when the header has a `kid`, only keys
/// with that `kid`; only keys that fit its `alg`/`enc` ([`DecryptionKey::check_alg`]); and for
/// ECDH-ES, only keys on the curve of its `epk` (P-256/384/521 or X25519).
#[must_use]
pub fn select_decryption_keys<'a>(
    keys: &'a [DecryptionKey],
    header: &JweHeader,
) -> Vec<&'a DecryptionKey> {
    let epk_curve = header
        .epk
        .as_ref()
        .and_then(|j| AgreementCurve::of_params(&j.params));
    keys.iter()
        .filter(|k| {
            header
                .kid
                .as_deref()
                .is_none_or(|want| k.kid() == Some(want))
        })
        .filter(|k| k.check_alg(header.alg, header.enc).is_ok())
        .filter(|k| !header.alg.is_ecdh() || k.agreement_curve() == epk_curve)
        .collect()
}

#[cfg(test)]
mod tests;
