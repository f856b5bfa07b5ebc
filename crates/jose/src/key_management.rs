//! JWE key management (RFC 7518 §4; RFC 7516 §2 "Key Management Mode"): how the Content
//! Encryption Key is made and carried for each `alg`, on the sender's side (RFC 7516 §5.1
//! steps 1-8) and recovered on the recipient's (RFC 7516 §5.2 steps 8-11).
//!
//! One module per family: [`rsa_oaep`] (key encryption, RFC 7518 §4.3), [`aes_kw`] (key
//! wrapping, §4.4), [`ecdh_es`] (key agreement, directly or with key wrapping, §4.6; X25519
//! per RFC 8037 §3.2); `dir` (direct encryption with a shared key, §4.5) is only a copy and is
//! here. [`cek`] holds the random CEK that a failed unwrap continues with (RFC 7516 §11.5).

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::alg::{JweAlg, JweEnc};
use crate::error::{JoseError, Result};
use crate::jwe_header::JweHeader;
use crate::jwe_keys::{DecryptionKey, DecryptionMaterial, EncryptionKey, EncryptionMaterial};

pub(crate) mod aes_kw;
pub(crate) mod cek;
pub(crate) mod ecdh_es;
pub(crate) mod rsa_oaep;

/// Recovers the CEK of a JWE with `key` (RFC 7516 §5.2 steps 8-11, RFC 7518 §4); a failed
/// unwrap gives a random CEK (RFC 7516 §11.5), so that only the tag check fails.
///
/// `key` has been checked against `alg`/`enc` ([`DecryptionKey::check_alg`]).
pub(crate) fn decrypt_cek(
    header: &JweHeader,
    encrypted_key: &[u8],
    key: &DecryptionKey,
) -> Result<Zeroizing<Vec<u8>>> {
    let alg = header.alg;
    let enc = header.enc;
    match (alg, key.material()) {
        (JweAlg::RsaOaep | JweAlg::RsaOaep256, DecryptionMaterial::Rsa { key: rsa, .. }) => {
            Ok(rsa_oaep::decrypt_or_random(rsa, alg, encrypted_key, enc))
        }
        (JweAlg::A128Kw | JweAlg::A256Kw, DecryptionMaterial::Symmetric { secret }) => Ok(
            aes_kw::unwrap_or_random(secret.as_slice(), encrypted_key, enc),
        ),
        // RFC 7518 §4.5: the shared key is the CEK.
        (JweAlg::Dir, DecryptionMaterial::Symmetric { secret }) => {
            Ok(Zeroizing::new(secret.as_slice().to_vec()))
        }
        (
            _,
            DecryptionMaterial::Agreement {
                curve,
                key: private,
            },
        ) if alg.is_ecdh() => ecdh_es::recipient_cek(header, encrypted_key, *curve, private),
        _ => Err(JoseError::AlgKeyMismatch {
            alg: alg.as_str().to_owned(),
            kty: key.kty().as_str().to_owned(),
        }),
    }
}

/// Makes the CEK of a new JWE for `key` and what carries it, the JWE Encrypted Key (empty for
/// `dir` and `ECDH-ES`), RFC 7516 §5.1 steps 1-8, RFC 7518 §4. For ECDH-ES the ephemeral
/// public key goes into `header` as `epk`, and `apu`/`apv` are read from it.
///
/// `key` has been checked against `alg`/`enc` ([`EncryptionKey::check_alg`]).
pub(crate) fn encrypt_cek(
    alg: JweAlg,
    enc: JweEnc,
    key: &EncryptionKey,
    header: &mut Map<String, Value>,
) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>)> {
    match (alg, key.material()) {
        (JweAlg::RsaOaep | JweAlg::RsaOaep256, EncryptionMaterial::Rsa { key: rsa, .. }) => {
            rsa_oaep::encrypt_new_cek(rsa, alg, enc)
        }
        (JweAlg::A128Kw | JweAlg::A256Kw, EncryptionMaterial::Symmetric { secret }) => {
            let cek = cek::random_bytes(enc.cek_len());
            let wrapped = aes_kw::wrap(secret.as_slice(), &cek)?;
            Ok((cek, wrapped))
        }
        // RFC 7518 §4.5: the shared key is the CEK, and the Encrypted Key is empty.
        (JweAlg::Dir, EncryptionMaterial::Symmetric { secret }) => {
            Ok((Zeroizing::new(secret.as_slice().to_vec()), Vec::new()))
        }
        (_, EncryptionMaterial::Agreement { curve, public }) if alg.is_ecdh() => {
            ecdh_es::sender_cek(alg, enc, *curve, public, header)
        }
        _ => Err(JoseError::AlgKeyMismatch {
            alg: alg.as_str().to_owned(),
            kty: key.kty().as_str().to_owned(),
        }),
    }
}
