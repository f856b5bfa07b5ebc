//! JWE Compact Serialization (RFC 7516 §7.1): strict parsing, decryption and encryption with
//! the key management algorithms of RFC 7518 §4 that Writ accepts.
//!
//! Refused on purpose: `RSA1_5` (Bleichenbacher/Marvin), `PBES2-*` (`p2c` work factor DoS),
//! `A*GCMKW`, 192-bit AES variants, `zip` (decompression bombs), `crit`, and the JSON
//! serializations.

use aws_lc_rs::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
use aws_lc_rs::kdf::{SskdfDigestAlgorithmId, get_sskdf_digest_algorithm, sskdf_digest};
use aws_lc_rs::key_wrap::{AES_128, AES_256, AesKek, KeyWrap as _};
use aws_lc_rs::rand::{self, SystemRandom};
use aws_lc_rs::rsa::{OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::alg::{JweAlg, JweEnc, OkpCurve};
use crate::b64;
use crate::compact::{self, Compact, check_crit_and_b64, header_object, optional_string};
use crate::content;
use crate::error::{JoseError, Result};
use crate::jwe_keys::{
    AgreementCurve, DecryptionKey, DecryptionMaterial, EncryptionKey, EncryptionMaterial,
};
use crate::jwk::{EcParams, Jwk, JwkParams, OkpParams};
use crate::material::MAX_RSA_MODULUS_BYTES;

/// A parsed JWE Protected Header (RFC 7516 §4).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JweHeader {
    /// `alg` (RFC 7516 §4.1.1).
    pub alg: JweAlg,
    /// `enc` (RFC 7516 §4.1.2).
    pub enc: JweEnc,
    /// `kid` (RFC 7516 §4.1.6).
    pub kid: Option<String>,
    /// `typ` (RFC 7516 §4.1.11).
    pub typ: Option<String>,
    /// `cty` (RFC 7516 §4.1.12); `JWT` for a nested JWT (RFC 7519 §5.2).
    pub cty: Option<String>,
    /// `epk` (RFC 7518 §4.6.1.1), for ECDH-ES algorithms: an EC or OKP X25519 (RFC 8037 §3.2)
    /// public key without `d`.
    pub epk: Option<Jwk>,
    /// `apu`, decoded (RFC 7518 §4.6.1.2).
    pub apu: Option<Vec<u8>>,
    /// `apv`, decoded (RFC 7518 §4.6.1.3).
    pub apv: Option<Vec<u8>>,
    /// Every header parameter as sent.
    pub raw: Map<String, Value>,
}

/// Largest `apu`/`apv` accepted, decoded.
const MAX_PARTY_INFO_BYTES: usize = 1024;

fn optional_b64(map: &Map<String, Value>, name: &'static str) -> Result<Option<Vec<u8>>> {
    match optional_string(map, name)? {
        None => Ok(None),
        Some(s) => {
            let v = b64::decode(&s, name)?;
            if v.len() > MAX_PARTY_INFO_BYTES {
                return Err(JoseError::InvalidHeaderParameter(name));
            }
            Ok(Some(v))
        }
    }
}

impl JweHeader {
    /// Checks a decoded header: a JSON object without duplicate names, known `alg` and `enc`,
    /// no `zip`, no `crit`, string `kid`/`typ`/`cty`, and for ECDH-ES a public `epk` (EC, or
    /// OKP X25519) without `d`.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let raw = header_object(json, "JWE header")?;
        let alg = match raw.get("alg") {
            None => return Err(JoseError::MissingAlg),
            Some(Value::String(s)) => s.parse::<JweAlg>()?,
            Some(_) => return Err(JoseError::InvalidHeaderParameter("alg")),
        };
        let enc = match raw.get("enc") {
            None => return Err(JoseError::InvalidHeaderParameter("enc")),
            Some(Value::String(s)) => s.parse::<JweEnc>()?,
            Some(_) => return Err(JoseError::InvalidHeaderParameter("enc")),
        };
        if raw.contains_key("zip") {
            return Err(JoseError::UnsupportedHeaderParameter("zip"));
        }
        check_crit_and_b64(&raw)?;
        let epk = if alg.is_ecdh() {
            let value = raw
                .get("epk")
                .ok_or(JoseError::InvalidHeaderParameter("epk"))?;
            let jwk: Jwk = serde_json::from_value(value.clone())
                .map_err(|_| JoseError::InvalidHeaderParameter("epk"))?;
            match &jwk.params {
                JwkParams::Ec(EcParams { d: None, .. })
                | JwkParams::Okp(OkpParams {
                    crv: OkpCurve::X25519,
                    d: None,
                    ..
                }) => {}
                _ => return Err(JoseError::InvalidHeaderParameter("epk")),
            }
            Some(jwk)
        } else {
            None
        };
        Ok(JweHeader {
            alg,
            enc,
            kid: optional_string(&raw, "kid")?,
            typ: optional_string(&raw, "typ")?,
            cty: optional_string(&raw, "cty")?,
            epk,
            apu: optional_b64(&raw, "apu")?,
            apv: optional_b64(&raw, "apv")?,
            raw,
        })
    }

    /// A header parameter by name.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }

    /// Whether `cty` says the plaintext is a JWT (RFC 7519 §5.2; compared case-insensitively
    /// as RFC 7515 §4.1.10 allows).
    #[must_use]
    pub fn is_nested_jwt(&self) -> bool {
        self.cty
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("JWT"))
    }
}

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

    /// Recovers the CEK; a failed unwrap gives a random CEK (RFC 7516 §11.5).
    fn content_key(&self, key: &DecryptionKey) -> Result<Zeroizing<Vec<u8>>> {
        let alg = self.header.alg;
        let enc = self.header.enc;
        match (alg, key.material()) {
            (JweAlg::RsaOaep | JweAlg::RsaOaep256, DecryptionMaterial::Rsa { key: rsa, .. }) => {
                // aws-lc checks the OAEP padding in constant time; whatever its outcome, we go
                // on to the tag with a CEK (RFC 7516 §11.5, RFC 8017 §7.1.2 note).
                let mut out = Zeroizing::new(vec![0u8; rsa.min_output_size()]);
                let unwrapped = rsa
                    .decrypt(oaep(alg), &self.encrypted_key, &mut out[..], None)
                    .ok()
                    .map(|p| &*p);
                Ok(accept_or_random(unwrapped, enc.cek_len()))
            }
            (JweAlg::A128Kw | JweAlg::A256Kw, DecryptionMaterial::Symmetric { secret }) => Ok(
                unwrap_or_random(secret.as_slice(), &self.encrypted_key, enc),
            ),
            (JweAlg::Dir, DecryptionMaterial::Symmetric { secret }) => {
                Ok(Zeroizing::new(secret.as_slice().to_vec()))
            }
            (
                _,
                DecryptionMaterial::Agreement {
                    curve,
                    key: private,
                },
            ) if alg.is_ecdh() => {
                let point = epk_public(&self.header, *curve)?;
                let (id, len) = ecdh_kdf_target(alg, enc);
                // aws-lc-rs refuses an EC point off the curve and an X25519 key of small
                // order (an all-zero shared secret, RFC 7748 §6.1).
                let derived = agreement::agree(
                    private,
                    UnparsedPublicKey::new(curve.algorithm(), &point),
                    JoseError::InvalidKey("epk is not a valid public key on the curve".into()),
                    |z| concat_kdf(z, id, &self.header, len),
                )?;
                if alg == JweAlg::EcdhEs {
                    Ok(derived)
                } else {
                    Ok(unwrap_or_random(&derived, &self.encrypted_key, enc))
                }
            }
            _ => Err(JoseError::AlgKeyMismatch {
                alg: alg.as_str().to_owned(),
                kty: key.kty().as_str().to_owned(),
            }),
        }
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

fn oaep(alg: JweAlg) -> &'static OaepAlgorithm {
    match alg {
        JweAlg::RsaOaep256 => &OAEP_SHA256_MGF1SHA256,
        _ => &OAEP_SHA1_MGF1SHA1,
    }
}

fn random_bytes(len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    // A failing system RNG leaves zeros; the value only has to be unusable, and a zero CEK
    // still fails the tag check.
    let _ = rand::fill(&mut out);
    out
}

/// The CEK to go on with after a key unwrap (RFC 7516 §11.5): the unwrapped key when there is
/// one of the right length, otherwise a random key of that length, so that a failed unwrap
/// (bad OAEP padding, AES-KW integrity check, wrong length) is only found at the tag, with the
/// same [`JoseError::DecryptionFailed`] as a bad tag. The random key is drawn in every case:
/// both outcomes do the same work but a 16- to 64-byte copy.
fn accept_or_random(candidate: Option<&[u8]>, len: usize) -> Zeroizing<Vec<u8>> {
    let mut cek = random_bytes(len);
    if let Some(unwrapped) = candidate.filter(|c| c.len() == len) {
        cek.copy_from_slice(unwrapped);
    }
    cek
}

/// AES Key Unwrap (RFC 3394, RFC 7518 §4.4) of the CEK; a random CEK when it fails.
fn unwrap_or_random(kek: &[u8], wrapped: &[u8], enc: JweEnc) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let kek = match kek.len() {
        16 => AesKek::new(&AES_128, kek).ok(),
        32 => AesKek::new(&AES_256, kek).ok(),
        _ => None,
    };
    let unwrapped = kek.and_then(|kek| kek.unwrap(wrapped, &mut out[..]).ok().map(|u| u.len()));
    accept_or_random(unwrapped.map(|len| &out[..len]), enc.cek_len())
}

fn aes_wrap(kek: &[u8], cek: &[u8]) -> Result<Vec<u8>> {
    let kek = match kek.len() {
        16 => AesKek::new(&AES_128, kek),
        32 => AesKek::new(&AES_256, kek),
        _ => return Err(JoseError::Crypto("key wrap key length")),
    }
    .map_err(|_| JoseError::Crypto("key wrap key"))?;
    let mut out = vec![0u8; cek.len() + 8];
    let len = kek
        .wrap(cek, &mut out)
        .map_err(|_| JoseError::Crypto("key wrap"))?
        .len();
    out.truncate(len);
    Ok(out)
}

/// The `epk` public key (RFC 7518 §4.6.1.1; RFC 8037 §3.2), which must be on our key's curve.
fn epk_public(header: &JweHeader, curve: AgreementCurve) -> Result<Vec<u8>> {
    let epk = header
        .epk
        .as_ref()
        .ok_or(JoseError::InvalidHeaderParameter("epk"))?;
    let public = epk
        .public_material()?
        .ok_or(JoseError::InvalidHeaderParameter("epk"))?;
    match AgreementCurve::public_bytes(&public) {
        Some((c, bytes)) if c == curve => Ok(bytes),
        Some(_) => Err(JoseError::AlgKeyMismatch {
            alg: header.alg.as_str().to_owned(),
            kty: "epk on another curve".to_owned(),
        }),
        None => Err(JoseError::InvalidHeaderParameter("epk")),
    }
}

/// The Concat KDF's AlgorithmID and key length: `enc` and its CEK length for direct
/// ECDH-ES, `alg` and its key-wrap length otherwise (RFC 7518 §4.6.2).
fn ecdh_kdf_target(alg: JweAlg, enc: JweEnc) -> (&'static str, usize) {
    match alg.key_wrap_len() {
        Some(len) => (alg.as_str(), len),
        None => (enc.as_str(), enc.cek_len()),
    }
}

fn length_prefixed(out: &mut Vec<u8>, data: &[u8]) -> Result<()> {
    let len = u32::try_from(data.len()).map_err(|_| JoseError::Crypto("KDF input length"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(data);
    Ok(())
}

/// The Concat KDF of NIST SP 800-56A §5.8.1 with SHA-256, as JWA uses it (RFC 7518 §4.6.2):
/// `OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo`, each datalen-prefixed
/// except SuppPubInfo (the key length in bits).
fn concat_kdf(
    z: &[u8],
    algorithm_id: &str,
    header: &JweHeader,
    key_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut info = Vec::with_capacity(64);
    length_prefixed(&mut info, algorithm_id.as_bytes())?;
    length_prefixed(&mut info, header.apu.as_deref().unwrap_or_default())?;
    length_prefixed(&mut info, header.apv.as_deref().unwrap_or_default())?;
    let bits = u32::try_from(key_len * 8).map_err(|_| JoseError::Crypto("KDF length"))?;
    info.extend_from_slice(&bits.to_be_bytes());
    let mut out = Zeroizing::new(vec![0u8; key_len]);
    sskdf_digest(
        get_sskdf_digest_algorithm(SskdfDigestAlgorithmId::Sha256)
            .ok_or(JoseError::Crypto("SSKDF SHA-256"))?,
        z,
        &info,
        &mut out,
    )
    .map_err(|_| JoseError::Crypto("Concat KDF"))?;
    Ok(out)
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

    let rng = SystemRandom::new();
    let (cek, encrypted_key) = match (alg, key.material()) {
        (JweAlg::RsaOaep | JweAlg::RsaOaep256, EncryptionMaterial::Rsa { key: rsa, .. }) => {
            let cek = random_bytes(enc.cek_len());
            let mut out = vec![0u8; rsa.ciphertext_size()];
            let len = rsa
                .encrypt(oaep(alg), &cek, &mut out, None)
                .map_err(|_| JoseError::Crypto("RSA-OAEP encrypt"))?
                .len();
            out.truncate(len);
            (cek, out)
        }
        (JweAlg::A128Kw | JweAlg::A256Kw, EncryptionMaterial::Symmetric { secret }) => {
            let cek = random_bytes(enc.cek_len());
            let wrapped = aes_wrap(secret.as_slice(), &cek)?;
            (cek, wrapped)
        }
        (JweAlg::Dir, EncryptionMaterial::Symmetric { secret }) => {
            (Zeroizing::new(secret.as_slice().to_vec()), Vec::new())
        }
        (_, EncryptionMaterial::Agreement { curve, public }) if alg.is_ecdh() => {
            let ephemeral = EphemeralPrivateKey::generate(curve.algorithm(), &rng)
                .map_err(|_| JoseError::Crypto("ECDH key generation"))?;
            let ephemeral_public = ephemeral
                .compute_public_key()
                .map_err(|_| JoseError::Crypto("ECDH public key"))?;
            let epk = curve.public_material(ephemeral_public.as_ref())?;
            let epk_value = serde_json::to_value(Jwk::new(JwkParams::from_public(&epk)))
                .map_err(|_| JoseError::Crypto("epk JSON"))?;
            header_map.insert("epk".into(), epk_value);
            // The KDF reads apu/apv from the header as the recipient will.
            let for_kdf = JweHeader {
                alg,
                enc,
                kid: None,
                typ: None,
                cty: None,
                epk: None,
                apu: optional_b64(&header_map, "apu")?,
                apv: optional_b64(&header_map, "apv")?,
                raw: Map::new(),
            };
            let (id, key_len) = ecdh_kdf_target(alg, enc);
            let derived = agreement::agree_ephemeral(
                ephemeral,
                UnparsedPublicKey::new(curve.algorithm(), public),
                JoseError::Crypto("ECDH agreement"),
                |z| concat_kdf(z, id, &for_kdf, key_len),
            )?;
            if alg == JweAlg::EcdhEs {
                (derived, Vec::new())
            } else {
                let cek = random_bytes(enc.cek_len());
                let wrapped = aes_wrap(&derived, &cek)?;
                (cek, wrapped)
            }
        }
        _ => {
            return Err(JoseError::AlgKeyMismatch {
                alg: alg.as_str().to_owned(),
                kty: key.kty().as_str().to_owned(),
            });
        }
    };

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
mod tests {
    use super::*;
    use crate::alg::EcCurve;
    use crate::compact::MAX_HEADER_BYTES;
    use crate::jwe_keys::DecryptionKeyKind;
    use serde_json::json;

    const MAX: usize = 256 * 1024;

    fn header(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    /// A decryption key for `alg`/`enc` (RSA from a fixture, EC generated, symmetric fixed).
    fn key_for(alg: JweAlg, enc: JweEnc, curve: EcCurve) -> DecryptionKey {
        match alg {
            JweAlg::RsaOaep | JweAlg::RsaOaep256 => DecryptionKey::from_pkcs8(
                DecryptionKeyKind::Rsa,
                include_bytes!("../tests/data/rsa2048.pk8.der"),
            )
            .unwrap(),
            JweAlg::EcdhEs | JweAlg::EcdhEsA128Kw | JweAlg::EcdhEsA256Kw => {
                DecryptionKey::generate_ec(curve).unwrap()
            }
            JweAlg::A128Kw => DecryptionKey::from_symmetric(&[1; 16]).unwrap(),
            JweAlg::A256Kw => DecryptionKey::from_symmetric(&[2; 32]).unwrap(),
            JweAlg::Dir => DecryptionKey::from_symmetric(&vec![3; enc.cek_len()]).unwrap(),
        }
    }

    fn pairs() -> Vec<(JweAlg, JweEnc, EcCurve)> {
        let mut out = Vec::new();
        for alg in JweAlg::ALL {
            for enc in JweEnc::ALL {
                if alg.is_ecdh() {
                    for curve in [EcCurve::P256, EcCurve::P384, EcCurve::P521] {
                        out.push((alg, enc, curve));
                    }
                } else {
                    out.push((alg, enc, EcCurve::P256));
                }
            }
        }
        out
    }

    fn encrypt_for(key: &DecryptionKey, alg: JweAlg, enc: JweEnc, plaintext: &[u8]) -> String {
        encrypt_compact(
            &header(json!({"kid": "k", "cty": "JWT"})),
            plaintext,
            alg,
            enc,
            &key.encryption_key().unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn round_trip_every_alg_enc_and_curve() {
        for (alg, enc, curve) in pairs() {
            let key = key_for(alg, enc, curve);
            for plaintext in [&b""[..], b"x", &[7u8; 1000]] {
                let token = encrypt_for(&key, alg, enc, plaintext);
                let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
                assert_eq!(jwe.header().alg, alg);
                assert_eq!(jwe.header().enc, enc);
                assert_eq!(jwe.header().kid.as_deref(), Some("k"));
                assert!(jwe.header().is_nested_jwt());
                let out = jwe.decrypt(&key).unwrap();
                assert_eq!(out.plaintext(), plaintext, "{alg} {enc} {curve}");
            }
        }
    }

    /// Changing any one byte of `token` makes parsing or decryption with `key` fail.
    fn assert_every_changed_byte_fails(token: &str, key: &DecryptionKey, label: &str) {
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            let mut t = bytes.to_vec();
            t[i] = if t[i] == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(t).unwrap();
            let result = EncryptedJwe::parse(&t, MAX).and_then(|j| j.decrypt(key));
            assert!(
                result.is_err(),
                "{label}: byte {i} changed and still decrypted"
            );
        }
    }

    #[test]
    fn any_changed_byte_fails_for_every_pair() {
        for (alg, enc, curve) in pairs() {
            if alg.is_ecdh() && curve != EcCurve::P256 {
                continue; // the curves are covered by the round trip; keep this test quick
            }
            let key = key_for(alg, enc, curve);
            let token = encrypt_for(&key, alg, enc, b"{\"iss\":\"c\"}");
            assert_every_changed_byte_fails(&token, &key, &format!("{alg} {enc}"));
        }
    }

    #[test]
    fn failed_key_unwrap_looks_like_a_bad_tag() {
        // Decrypting with another key of the right kind: the unwrap fails (RSA-OAEP, A*KW,
        // ECDH-ES+A*KW) or derives another key, and the error is always DecryptionFailed.
        for (alg, enc, curve) in pairs() {
            if alg.is_ecdh() && curve != EcCurve::P256 {
                continue;
            }
            let key = key_for(alg, enc, curve);
            let other = match alg {
                JweAlg::RsaOaep | JweAlg::RsaOaep256 => DecryptionKey::generate_rsa(2048).unwrap(),
                JweAlg::A128Kw => DecryptionKey::from_symmetric(&[9; 16]).unwrap(),
                JweAlg::A256Kw => DecryptionKey::from_symmetric(&[9; 32]).unwrap(),
                JweAlg::Dir => DecryptionKey::from_symmetric(&vec![9; enc.cek_len()]).unwrap(),
                _ => DecryptionKey::generate_ec(curve).unwrap(),
            };
            let token = encrypt_for(&key, alg, enc, b"secret");
            let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
            assert_eq!(
                jwe.decrypt(&other).unwrap_err(),
                JoseError::DecryptionFailed,
                "{alg} {enc}"
            );
        }
    }

    /// The token with its JWE Encrypted Key replaced.
    fn with_encrypted_key(token: &str, key: &[u8]) -> String {
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = b64::encode(key);
        parts.join(".")
    }

    /// The token with the last byte of its tag changed.
    fn with_bad_tag(token: &str) -> String {
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let mut tag = b64::decode(&parts[4], "tag").unwrap();
        let last = tag.len() - 1;
        tag[last] ^= 1;
        parts[4] = b64::encode(&tag);
        parts.join(".")
    }

    #[test]
    fn bad_oaep_padding_bad_key_wrap_and_bad_tag_are_one_error_with_a_random_cek() {
        // RFC 7516 §11.5: an unwrap failure must not be distinguishable from a bad tag, so it
        // goes on with a random CEK; the public error is the same in every case.
        let rsa = key_for(JweAlg::RsaOaep, JweEnc::A128Gcm, EcCurve::P256);
        let rsa_encryption = rsa.encryption_key().unwrap();
        let EncryptionMaterial::Rsa {
            key: rsa_public, ..
        } = rsa_encryption.material()
        else {
            panic!("not RSA");
        };
        for (alg, enc, curve) in pairs() {
            if alg == JweAlg::Dir || alg == JweAlg::EcdhEs || curve != EcCurve::P256 {
                continue; // no Encrypted Key to unwrap
            }
            let key = key_for(alg, enc, curve);
            let token = encrypt_for(&key, alg, enc, b"secret");
            let real_cek = EncryptedJwe::parse(&token, MAX)
                .unwrap()
                .content_key(&key)
                .unwrap();

            let mut forged: Vec<(&str, String)> = Vec::new();
            match alg {
                JweAlg::RsaOaep | JweAlg::RsaOaep256 => {
                    // 256 bytes below the modulus that are not an OAEP encoding.
                    let mut garbage = vec![0x5au8; 256];
                    garbage[0] = 0;
                    forged.push(("bad OAEP padding", with_encrypted_key(&token, &garbage)));
                    // A valid OAEP encoding of a CEK of the wrong length.
                    let mut out = vec![0u8; rsa_public.ciphertext_size()];
                    let short = rsa_public
                        .encrypt(oaep(alg), &[7u8; 5], &mut out, None)
                        .unwrap()
                        .to_vec();
                    forged.push(("OAEP of a 5-byte CEK", with_encrypted_key(&token, &short)));
                }
                _ => {
                    let len = 8 + enc.cek_len();
                    forged.push((
                        "bad AES-KW integrity",
                        with_encrypted_key(&token, &vec![0x33; len]),
                    ));
                }
            }
            forged.push(("bad tag", with_bad_tag(&token)));

            for (what, t) in forged {
                let jwe = EncryptedJwe::parse(&t, MAX).unwrap();
                let err = jwe.decrypt(&key).unwrap_err();
                assert_eq!(err, JoseError::DecryptionFailed, "{alg} {enc}: {what}");
                assert_eq!(err.to_string(), JoseError::DecryptionFailed.to_string());
                if what != "bad tag" {
                    // The unwrap failed silently: a fresh random CEK each time, of the length
                    // `enc` needs, and never the real one.
                    let a = jwe.content_key(&key).unwrap();
                    let b = jwe.content_key(&key).unwrap();
                    assert_eq!(a.len(), enc.cek_len(), "{alg} {enc}: {what}");
                    assert_ne!(a, b, "{alg} {enc}: {what}");
                    assert_ne!(a, real_cek, "{alg} {enc}: {what}");
                }
            }
        }
    }

    #[test]
    fn accept_or_random_takes_only_a_key_of_the_right_length() {
        assert_eq!(&accept_or_random(Some(&[1; 16]), 16)[..], &[1; 16]);
        for candidate in [None, Some(&[1u8; 15][..]), Some(&[1u8; 17][..])] {
            let a = accept_or_random(candidate, 16);
            let b = accept_or_random(candidate, 16);
            assert_eq!(a.len(), 16);
            assert_ne!(a, b);
        }
    }

    fn raw(header_json: &str, parts: [&[u8]; 4]) -> String {
        format!(
            "{}.{}.{}.{}.{}",
            b64::encode(header_json.as_bytes()),
            b64::encode(parts[0]),
            b64::encode(parts[1]),
            b64::encode(parts[2]),
            b64::encode(parts[3])
        )
    }

    fn parse_err(header_json: &str, parts: [&[u8]; 4]) -> JoseError {
        EncryptedJwe::parse(&raw(header_json, parts), MAX).unwrap_err()
    }

    const GCM: [&[u8]; 4] = [b"wrapped-key-bytes-24byte", &[0; 12], b"ct", &[0; 16]];

    #[test]
    fn refuses_size_shape_and_encoding() {
        assert!(matches!(
            EncryptedJwe::parse(&"a".repeat(101), 100),
            Err(JoseError::TooLarge { .. })
        ));
        for t in ["", "a.b.c", "a.b.c.d", "a.b.c.d.e.f"] {
            assert!(matches!(
                EncryptedJwe::parse(t, MAX),
                Err(JoseError::Malformed(_))
            ));
        }
        let ok = raw(r#"{"alg":"A128KW","enc":"A128GCM"}"#, GCM);
        EncryptedJwe::parse(&ok, MAX).unwrap();
        assert!(matches!(
            EncryptedJwe::parse(&format!("{ok}="), MAX),
            Err(JoseError::Base64(_))
        ));
        let big = format!(
            r#"{{"alg":"A128KW","enc":"A128GCM","x":"{}"}}"#,
            "a".repeat(MAX_HEADER_BYTES)
        );
        assert!(matches!(
            parse_err(&big, GCM),
            JoseError::HeaderTooLarge { .. }
        ));
    }

    #[test]
    fn refuses_bad_headers() {
        let p = |h: &str| parse_err(h, GCM);
        assert_eq!(
            p(r#"{"alg":"A128KW","alg":"dir","enc":"A128GCM"}"#),
            JoseError::DuplicateMember("alg".into())
        );
        assert_eq!(p(r#"{"enc":"A128GCM"}"#), JoseError::MissingAlg);
        assert_eq!(
            p(r#"{"alg":"A128KW"}"#),
            JoseError::InvalidHeaderParameter("enc")
        );
        assert_eq!(
            p(r#"{"alg":"A128KW","enc":"A192GCM"}"#),
            JoseError::UnsupportedEnc("A192GCM".into())
        );
        for refused in [
            "RSA1_5",
            "PBES2-HS256+A128KW",
            "A128GCMKW",
            "A192KW",
            "ECDH-ES+A192KW",
            "none",
            "RSA-OAEP-512",
        ] {
            assert_eq!(
                p(&format!(r#"{{"alg":"{refused}","enc":"A128GCM"}}"#)),
                JoseError::UnsupportedAlg(refused.into())
            );
        }
        assert_eq!(
            p(r#"{"alg":"A128KW","enc":"A128GCM","zip":"DEF"}"#),
            JoseError::UnsupportedHeaderParameter("zip")
        );
        assert_eq!(
            p(r#"{"alg":"A128KW","enc":"A128GCM","crit":["exp"],"exp":1}"#),
            JoseError::UnsupportedCritical("exp".into())
        );
        assert_eq!(
            p(r#"{"alg":"A128KW","enc":"A128GCM","kid":7}"#),
            JoseError::InvalidHeaderParameter("kid")
        );
        assert_eq!(
            p(r#"{"alg":"A128KW","enc":"A128GCM","apu":"!!"}"#),
            JoseError::Base64("apu")
        );
        assert!(matches!(p("[]"), JoseError::Json { .. }));
    }

    #[test]
    fn refuses_wrong_part_lengths() {
        let h = r#"{"alg":"A128KW","enc":"A128GCM"}"#;
        assert!(matches!(
            parse_err(h, [b"", &[0; 12], b"ct", &[0; 16]]),
            JoseError::Malformed(_)
        ));
        assert!(matches!(
            parse_err(h, [b"k", &[0; 16], b"ct", &[0; 16]]),
            JoseError::Malformed(_)
        ));
        assert!(matches!(
            parse_err(h, [b"k", &[0; 12], b"ct", &[0; 12]]),
            JoseError::Malformed(_)
        ));
        let dir = r#"{"alg":"dir","enc":"A128GCM"}"#;
        assert!(matches!(parse_err(dir, GCM), JoseError::Malformed(_)));
        EncryptedJwe::parse(&raw(dir, [b"", &[0; 12], b"", &[0; 16]]), MAX).unwrap();
        let cbc = r#"{"alg":"dir","enc":"A128CBC-HS256"}"#;
        assert!(matches!(
            parse_err(cbc, [b"", &[0; 16], &[0; 15], &[0; 16]]),
            JoseError::Malformed(_)
        ));
        assert!(matches!(
            parse_err(cbc, [b"", &[0; 16], b"", &[0; 16]]),
            JoseError::Malformed(_)
        ));
        assert!(matches!(
            parse_err(cbc, [b"", &[0; 16], &[0; 16], &[0; 8]]),
            JoseError::Malformed(_)
        ));
    }

    fn ecdh_token_with_epk(epk: Value) -> String {
        let h = json!({"alg": "ECDH-ES", "enc": "A128GCM", "epk": epk}).to_string();
        raw(&h, [b"", &[0; 12], b"ct", &[0; 16]])
    }

    #[test]
    fn ecdh_epk_must_be_a_public_point_on_the_curve() {
        let key = DecryptionKey::generate_ec(EcCurve::P256).unwrap();
        let good = serde_json::to_value(key.public_jwk("x").unwrap()).unwrap();
        // Structurally fine: fails only at the tag.
        let jwe = EncryptedJwe::parse(&ecdh_token_with_epk(good.clone()), MAX).unwrap();
        assert_eq!(jwe.decrypt(&key).unwrap_err(), JoseError::DecryptionFailed);

        let missing = raw(
            r#"{"alg":"ECDH-ES","enc":"A128GCM"}"#,
            [b"", &[0; 12], b"ct", &[0; 16]],
        );
        assert_eq!(
            EncryptedJwe::parse(&missing, MAX).unwrap_err(),
            JoseError::InvalidHeaderParameter("epk")
        );
        let mut private = good.clone();
        private["d"] = json!("AAAA");
        assert_eq!(
            EncryptedJwe::parse(&ecdh_token_with_epk(private), MAX).unwrap_err(),
            JoseError::InvalidHeaderParameter("epk")
        );
        // An X25519 epk parses (RFC 8037 §3.2) but does not fit a P-256 key.
        let okp =
            json!({"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"});
        let jwe = EncryptedJwe::parse(&ecdh_token_with_epk(okp), MAX).unwrap();
        assert!(matches!(
            jwe.decrypt(&key),
            Err(JoseError::AlgKeyMismatch { .. })
        ));
        assert!(select_decryption_keys(std::slice::from_ref(&key), jwe.header()).is_empty());
        let ed25519 =
            json!({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        assert_eq!(
            EncryptedJwe::parse(&ecdh_token_with_epk(ed25519), MAX).unwrap_err(),
            JoseError::InvalidHeaderParameter("epk")
        );

        // Off the curve: y + 1.
        let mut off = good.clone();
        let mut y = b64::decode(off["y"].as_str().unwrap(), "y").unwrap();
        let last = y.len() - 1;
        y[last] ^= 1;
        off["y"] = json!(b64::encode(&y));
        let jwe = EncryptedJwe::parse(&ecdh_token_with_epk(off), MAX).unwrap();
        assert!(matches!(jwe.decrypt(&key), Err(JoseError::InvalidKey(_))));

        // A point of another curve.
        let p384 = DecryptionKey::generate_ec(EcCurve::P384).unwrap();
        let other = serde_json::to_value(p384.public_jwk("x").unwrap()).unwrap();
        let jwe = EncryptedJwe::parse(&ecdh_token_with_epk(other), MAX).unwrap();
        assert!(matches!(
            jwe.decrypt(&key),
            Err(JoseError::AlgKeyMismatch { .. })
        ));
        assert!(select_decryption_keys(std::slice::from_ref(&key), jwe.header()).is_empty());
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 7748 §6.1 (the keys of RFC 8037 Appendix A.6): Bob's private key as a JWK, Alice's
    /// public key as the `epk`, and the shared secret Z they agree on.
    const X25519_BOB_D: &str = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    const X25519_BOB_X: &str = "3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08";
    const X25519_ALICE_X: &str = "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo";
    const X25519_Z: &str = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    fn x25519_jwk(d: &str, x: &str) -> Jwk {
        Jwk::from_json(
            json!({"kty": "OKP", "crv": "X25519", "kid": "Bob", "d": d, "x": x})
                .to_string()
                .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn x25519_rfc7748_vector_through_a_private_jwk() {
        let bob =
            DecryptionKey::from_jwk(&x25519_jwk(&b64::encode(&hex(X25519_BOB_D)), X25519_BOB_X))
                .unwrap();
        assert_eq!(bob.kid(), Some("Bob"));
        assert_eq!(bob.kty(), crate::KeyType::Okp);
        assert_eq!(bob.kind(), Some(DecryptionKeyKind::X25519));
        assert_eq!(bob.ec_curve(), None);
        let public = bob.public_jwk("Bob").unwrap();
        assert!(!public.is_private());
        match &public.params {
            JwkParams::Okp(p) => assert_eq!(p.x, X25519_BOB_X),
            other => panic!("{other:?}"),
        }
        let DecryptionMaterial::Agreement { key, .. } = bob.material() else {
            panic!("not an agreement key");
        };
        let z = agreement::agree(
            key,
            UnparsedPublicKey::new(
                &agreement::X25519,
                b64::decode(X25519_ALICE_X, "x").unwrap(),
            ),
            (),
            |z| Ok(z.to_vec()),
        )
        .unwrap();
        assert_eq!(z, hex(X25519_Z));

        // `d` must match `x`, be present and be 32 bytes.
        let d = b64::encode(&hex(X25519_BOB_D));
        for bad in [
            x25519_jwk(&d, X25519_ALICE_X),
            x25519_jwk(&b64::encode(&[7; 31]), X25519_BOB_X),
            Jwk::from_json(
                json!({"kty": "OKP", "crv": "X25519", "x": X25519_BOB_X})
                    .to_string()
                    .as_bytes(),
            )
            .unwrap(),
        ] {
            assert!(
                matches!(DecryptionKey::from_jwk(&bad), Err(JoseError::InvalidKey(_))),
                "{bad:?}"
            );
        }
        // An Ed25519 key neither decrypts nor encrypts.
        let ed = Jwk::from_json(
            br#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}"#,
        )
        .unwrap();
        assert!(DecryptionKey::from_jwk(&ed).is_err());
        assert!(EncryptionKey::from_jwk(&ed.to_public().unwrap()).is_err());
    }

    #[test]
    fn x25519_every_ecdh_alg_and_enc_round_trips_and_any_changed_byte_fails() {
        let key = DecryptionKey::generate_x25519().unwrap();
        let other = DecryptionKey::generate_x25519().unwrap();
        let p256 = DecryptionKey::generate_ec(EcCurve::P256).unwrap();
        for alg in [JweAlg::EcdhEs, JweAlg::EcdhEsA128Kw, JweAlg::EcdhEsA256Kw] {
            for enc in JweEnc::ALL {
                let token = encrypt_for(&key, alg, enc, b"{\"iss\":\"c\"}");
                let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
                let epk = jwe.header().epk.as_ref().unwrap();
                assert!(!epk.is_private());
                assert!(matches!(&epk.params, JwkParams::Okp(p) if p.crv == OkpCurve::X25519));
                assert_eq!(jwe.decrypt(&key).unwrap().plaintext(), b"{\"iss\":\"c\"}");
                // Another X25519 key derives another key: the same error as a bad tag.
                assert_eq!(
                    jwe.decrypt(&other).unwrap_err(),
                    JoseError::DecryptionFailed,
                    "{alg} {enc}"
                );
                assert!(matches!(
                    jwe.decrypt(&p256),
                    Err(JoseError::AlgKeyMismatch { .. })
                ));
                // (encrypt_for sets "kid":"k")
                let keys = [
                    p256.clone().with_kid(Some("k")),
                    key.clone().with_kid(Some("k")),
                ];
                let selected = select_decryption_keys(&keys, jwe.header());
                assert_eq!(selected.len(), 1);
                assert_eq!(selected[0].kind(), Some(DecryptionKeyKind::X25519));
                assert_every_changed_byte_fails(&token, &key, &format!("X25519 {alg} {enc}"));
            }
        }
        // A P-256 epk does not fit an X25519 key.
        let token = encrypt_for(&p256, JweAlg::EcdhEs, JweEnc::A128Gcm, b"x");
        let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
        assert!(matches!(
            jwe.decrypt(&key),
            Err(JoseError::AlgKeyMismatch { .. })
        ));
    }

    #[test]
    fn x25519_epk_of_small_order_or_wrong_length_is_refused() {
        let key = DecryptionKey::generate_x25519().unwrap();
        // u = 0 and u = 1 are of small order: the shared secret would be all zeros
        // (RFC 7748 §6.1).
        let mut one = [0u8; 32];
        one[0] = 1;
        for u in [[0u8; 32], one] {
            let epk = json!({"kty": "OKP", "crv": "X25519", "x": b64::encode(&u)});
            let jwe = EncryptedJwe::parse(&ecdh_token_with_epk(epk), MAX).unwrap();
            assert!(
                matches!(jwe.decrypt(&key), Err(JoseError::InvalidKey(_))),
                "{u:?}"
            );
            // And such a key is refused as a recipient.
            let jwk = Jwk::from_json(
                json!({"kty": "OKP", "crv": "X25519", "x": b64::encode(&u)})
                    .to_string()
                    .as_bytes(),
            )
            .unwrap();
            assert!(matches!(
                EncryptionKey::from_jwk(&jwk),
                Err(JoseError::InvalidKey(_))
            ));
        }
        let short = json!({"kty": "OKP", "crv": "X25519", "x": b64::encode(&[9; 31])});
        let jwe = EncryptedJwe::parse(&ecdh_token_with_epk(short), MAX).unwrap();
        assert!(matches!(jwe.decrypt(&key), Err(JoseError::InvalidKey(_))));
        let private =
            json!({"kty": "OKP", "crv": "X25519", "x": X25519_ALICE_X, "d": X25519_ALICE_X});
        assert_eq!(
            EncryptedJwe::parse(&ecdh_token_with_epk(private), MAX).unwrap_err(),
            JoseError::InvalidHeaderParameter("epk")
        );
    }

    #[test]
    fn x25519_pkcs8_round_trip_and_family() {
        let key = DecryptionKey::generate_x25519().unwrap();
        let der = key.to_pkcs8().unwrap();
        assert_eq!(der.len(), 48);
        let back = DecryptionKey::from_pkcs8(DecryptionKeyKind::X25519, &der).unwrap();
        assert_eq!(back.public_jwk("k").unwrap(), key.public_jwk("k").unwrap());
        let token = encrypt_compact(
            &Map::new(),
            b"persisted",
            JweAlg::EcdhEsA256Kw,
            JweEnc::A256Gcm,
            &EncryptionKey::from_jwk(&key.public_jwk("k").unwrap()).unwrap(),
        )
        .unwrap();
        let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
        assert_eq!(jwe.decrypt(&back).unwrap().plaintext(), b"persisted");
        assert!(DecryptionKey::from_pkcs8(DecryptionKeyKind::X25519, &der[..47]).is_err());
        assert!(
            DecryptionKey::from_pkcs8(
                DecryptionKeyKind::X25519,
                include_bytes!("../tests/data/p256.pk8.der")
            )
            .is_err()
        );
        assert!(DecryptionKey::from_pkcs8(DecryptionKeyKind::Ec(EcCurve::P256), &der).is_err());

        for (alg, ok) in [
            (JweAlg::EcdhEs, true),
            (JweAlg::EcdhEsA128Kw, true),
            (JweAlg::EcdhEsA256Kw, true),
            (JweAlg::RsaOaep, false),
            (JweAlg::A128Kw, false),
            (JweAlg::Dir, false),
        ] {
            assert_eq!(key.check_alg(alg, JweEnc::A128Gcm).is_ok(), ok, "{alg}");
            let enc_key = key.encryption_key().unwrap();
            assert_eq!(enc_key.kty(), crate::KeyType::Okp);
            assert_eq!(enc_key.check_alg(alg, JweEnc::A128Gcm).is_ok(), ok, "{alg}");
        }
        assert_eq!(
            key.public_jwk_for_alg("k", JweAlg::EcdhEs)
                .unwrap()
                .alg
                .as_deref(),
            Some("ECDH-ES")
        );
        assert!(key.public_jwk_for_alg("k", JweAlg::RsaOaep).is_err());
    }

    #[test]
    fn key_family_must_fit() {
        let rsa = key_for(JweAlg::RsaOaep, JweEnc::A128Gcm, EcCurve::P256);
        let ec = DecryptionKey::generate_ec(EcCurve::P256).unwrap();
        let k16 = DecryptionKey::from_symmetric(&[1; 16]).unwrap();
        let k32 = DecryptionKey::from_symmetric(&[1; 32]).unwrap();
        for (key, alg, enc, ok) in [
            (&rsa, JweAlg::RsaOaep, JweEnc::A128Gcm, true),
            (&rsa, JweAlg::EcdhEs, JweEnc::A128Gcm, false),
            (&rsa, JweAlg::Dir, JweEnc::A128Gcm, false),
            (&ec, JweAlg::EcdhEsA256Kw, JweEnc::A256Gcm, true),
            (&ec, JweAlg::RsaOaep256, JweEnc::A256Gcm, false),
            (&ec, JweAlg::A128Kw, JweEnc::A256Gcm, false),
            (&k16, JweAlg::A128Kw, JweEnc::A256CbcHs512, true),
            (&k16, JweAlg::A256Kw, JweEnc::A128Gcm, false),
            (&k16, JweAlg::Dir, JweEnc::A128Gcm, true),
            (&k16, JweAlg::Dir, JweEnc::A256Gcm, false),
            (&k32, JweAlg::Dir, JweEnc::A128CbcHs256, true),
            (&k32, JweAlg::Dir, JweEnc::A256Gcm, true),
            (&k32, JweAlg::A256Kw, JweEnc::A128Gcm, true),
            (&k32, JweAlg::RsaOaep, JweEnc::A128Gcm, false),
            (&k32, JweAlg::EcdhEs, JweEnc::A128Gcm, false),
        ] {
            assert_eq!(
                key.check_alg(alg, enc).is_ok(),
                ok,
                "{:?} {alg} {enc}",
                key.kty()
            );
            let enc_key = key.encryption_key().unwrap();
            assert_eq!(
                enc_key.check_alg(alg, enc).is_ok(),
                ok,
                "{:?} {alg} {enc}",
                key.kty()
            );
        }
    }

    #[test]
    fn select_by_kid_alg_and_curve() {
        let keys = vec![
            DecryptionKey::generate_ec(EcCurve::P256)
                .unwrap()
                .with_kid(Some("e1")),
            DecryptionKey::generate_ec(EcCurve::P384)
                .unwrap()
                .with_kid(Some("e2")),
            key_for(JweAlg::RsaOaep, JweEnc::A128Gcm, EcCurve::P256).with_kid(Some("r1")),
        ];
        let token = encrypt_for(&keys[1], JweAlg::EcdhEs, JweEnc::A128Gcm, b"x");
        let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
        // The header's kid is "k", which no key has.
        assert!(select_decryption_keys(&keys, jwe.header()).is_empty());
        let no_kid = encrypt_compact(
            &Map::new(),
            b"x",
            JweAlg::EcdhEs,
            JweEnc::A128Gcm,
            &keys[1].encryption_key().unwrap(),
        )
        .unwrap();
        let jwe = EncryptedJwe::parse(&no_kid, MAX).unwrap();
        let selected = select_decryption_keys(&keys, jwe.header());
        assert_eq!(selected.len(), 1);
        assert_eq!(selected[0].kid(), Some("e2"));
        let with_kid = encrypt_compact(
            &header(json!({"kid": "r1"})),
            b"x",
            JweAlg::RsaOaep256,
            JweEnc::A128Gcm,
            &keys[2].encryption_key().unwrap(),
        )
        .unwrap();
        let jwe = EncryptedJwe::parse(&with_kid, MAX).unwrap();
        let selected = select_decryption_keys(&keys, jwe.header());
        assert_eq!(selected.len(), 1);
        assert_eq!(selected[0].decrypt_check(&jwe), b"x");
    }

    impl DecryptionKey {
        fn decrypt_check(&self, jwe: &EncryptedJwe) -> Vec<u8> {
            jwe.decrypt(self).unwrap().into_plaintext()
        }
    }

    #[test]
    fn client_secret_keys_follow_oidc_core_10_2() {
        use crate::jwe_keys::derive_key_from_client_secret;
        let secret = b"a client secret";
        let sha256 = digest_of(&aws_lc_rs::digest::SHA256, secret);
        let sha512 = digest_of(&aws_lc_rs::digest::SHA512, secret);
        assert_eq!(
            &derive_key_from_client_secret(secret, JweAlg::A128Kw, JweEnc::A256Gcm).unwrap()[..],
            &sha256[..16]
        );
        assert_eq!(
            &derive_key_from_client_secret(secret, JweAlg::A256Kw, JweEnc::A128Gcm).unwrap()[..],
            &sha256[..]
        );
        assert_eq!(
            &derive_key_from_client_secret(secret, JweAlg::Dir, JweEnc::A128Gcm).unwrap()[..],
            &sha256[..16]
        );
        assert_eq!(
            &derive_key_from_client_secret(secret, JweAlg::Dir, JweEnc::A256CbcHs512).unwrap()[..],
            &sha512[..]
        );
        assert!(derive_key_from_client_secret(secret, JweAlg::RsaOaep, JweEnc::A128Gcm).is_err());
        assert!(derive_key_from_client_secret(b"", JweAlg::Dir, JweEnc::A128Gcm).is_err());
        // And the derived keys round-trip.
        for alg in [JweAlg::A128Kw, JweAlg::A256Kw, JweAlg::Dir] {
            for enc in JweEnc::ALL {
                let d = DecryptionKey::from_client_secret(secret, alg, enc).unwrap();
                let e = EncryptionKey::from_client_secret(secret, alg, enc).unwrap();
                let token = encrypt_compact(&Map::new(), b"hi", alg, enc, &e).unwrap();
                let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
                assert_eq!(jwe.decrypt(&d).unwrap().plaintext(), b"hi");
            }
        }
    }

    fn digest_of(alg: &'static aws_lc_rs::digest::Algorithm, data: &[u8]) -> Vec<u8> {
        aws_lc_rs::digest::digest(alg, data).as_ref().to_vec()
    }

    #[test]
    fn apu_and_apv_enter_the_kdf() {
        let key = DecryptionKey::generate_ec(EcCurve::P256).unwrap();
        let token = encrypt_compact(
            &header(json!({"apu": b64::encode(b"Alice"), "apv": b64::encode(b"Bob")})),
            b"x",
            JweAlg::EcdhEs,
            JweEnc::A128Gcm,
            &key.encryption_key().unwrap(),
        )
        .unwrap();
        let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
        assert_eq!(jwe.header().apu.as_deref(), Some(&b"Alice"[..]));
        assert_eq!(jwe.decrypt(&key).unwrap().plaintext(), b"x");
    }

    #[test]
    fn encrypt_refuses_zip_crit_and_mismatched_keys() {
        let key = DecryptionKey::from_symmetric(&[1; 16]).unwrap();
        let ek = key.encryption_key().unwrap();
        assert_eq!(
            encrypt_compact(
                &header(json!({"zip": "DEF"})),
                b"",
                JweAlg::A128Kw,
                JweEnc::A128Gcm,
                &ek
            )
            .unwrap_err(),
            JoseError::UnsupportedHeaderParameter("zip")
        );
        assert!(
            encrypt_compact(
                &header(json!({"crit": ["x"]})),
                b"",
                JweAlg::A128Kw,
                JweEnc::A128Gcm,
                &ek
            )
            .is_err()
        );
        assert!(encrypt_compact(&Map::new(), b"", JweAlg::RsaOaep, JweEnc::A128Gcm, &ek).is_err());
    }

    #[test]
    fn encryption_key_jwk_restrictions() {
        let key = DecryptionKey::generate_ec(EcCurve::P256).unwrap();
        let mut jwk = key.public_jwk("k").unwrap();
        EncryptionKey::from_jwk(&jwk)
            .unwrap()
            .check_alg(JweAlg::EcdhEs, JweEnc::A128Gcm)
            .unwrap();
        jwk.key_use = Some("sig".into());
        assert!(matches!(
            EncryptionKey::from_jwk(&jwk)
                .unwrap()
                .check_alg(JweAlg::EcdhEs, JweEnc::A128Gcm),
            Err(JoseError::KeyRestricted(_))
        ));
        jwk.key_use = None;
        jwk.alg = Some("ECDH-ES+A128KW".into());
        assert!(matches!(
            EncryptionKey::from_jwk(&jwk)
                .unwrap()
                .check_alg(JweAlg::EcdhEs, JweEnc::A128Gcm),
            Err(JoseError::KeyRestricted(_))
        ));
        jwk.alg = None;
        jwk.key_ops = Some(vec!["verify".into()]);
        assert!(matches!(
            EncryptionKey::from_jwk(&jwk)
                .unwrap()
                .check_alg(JweAlg::EcdhEs, JweEnc::A128Gcm),
            Err(JoseError::KeyRestricted(_))
        ));
    }

    #[test]
    fn decryption_key_persistence_and_jwk() {
        for key in [
            DecryptionKey::generate_rsa(2048).unwrap(),
            DecryptionKey::generate_ec(EcCurve::P256).unwrap(),
            DecryptionKey::generate_ec(EcCurve::P521).unwrap(),
        ] {
            let kind = key.kind().unwrap();
            let back = DecryptionKey::from_pkcs8(kind, &key.to_pkcs8().unwrap()).unwrap();
            let jwk = key.public_jwk("enc-1").unwrap();
            assert_eq!(jwk.key_use.as_deref(), Some("enc"));
            assert!(!jwk.is_private());
            assert_eq!(back.public_jwk("enc-1").unwrap(), jwk);
            let alg = if kind == DecryptionKeyKind::Rsa {
                JweAlg::RsaOaep256
            } else {
                JweAlg::EcdhEsA128Kw
            };
            assert_eq!(
                key.public_jwk_for_alg("k", alg).unwrap().alg.as_deref(),
                Some(alg.as_str())
            );
            let token = encrypt_compact(
                &Map::new(),
                b"persisted",
                alg,
                JweEnc::A256Gcm,
                &EncryptionKey::from_jwk(&jwk).unwrap(),
            )
            .unwrap();
            let jwe = EncryptedJwe::parse(&token, MAX).unwrap();
            assert_eq!(jwe.decrypt(&back).unwrap().plaintext(), b"persisted");
        }
        assert!(DecryptionKey::generate_rsa(1024).is_err());
        assert!(
            DecryptionKey::from_symmetric(&[1; 16])
                .unwrap()
                .to_pkcs8()
                .is_err()
        );
        assert!(
            DecryptionKey::from_symmetric(&[1; 16])
                .unwrap()
                .public_jwk("k")
                .is_err()
        );
        assert!(DecryptionKey::from_symmetric(&[]).is_err());
        assert!(
            DecryptionKey::from_pkcs8(
                DecryptionKeyKind::Rsa,
                include_bytes!("../tests/data/rsa1024.pk8.der")
            )
            .is_err()
        );
        assert!(
            DecryptionKey::from_pkcs8(
                DecryptionKeyKind::Ec(EcCurve::P384),
                include_bytes!("../tests/data/p256.pk8.der")
            )
            .is_err()
        );
    }
}
