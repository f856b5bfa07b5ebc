//! Key agreement with Elliptic Curve Diffie-Hellman Ephemeral Static (RFC 7518 §4.6), on
//! P-256/384/521 or X25519 (RFC 8037 §3.2): `ECDH-ES` (the agreed key is the CEK) and
//! `ECDH-ES+A128KW`/`ECDH-ES+A256KW` (the agreed key wraps the CEK, RFC 7518 §4.4), with the
//! Concat KDF of RFC 7518 §4.6.2.

use aws_lc_rs::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey};
use aws_lc_rs::kdf::{SskdfDigestAlgorithmId, get_sskdf_digest_algorithm, sskdf_digest};
use aws_lc_rs::rand::SystemRandom;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::alg::{JweAlg, JweEnc};
use crate::error::{JoseError, Result};
use crate::jwe_header::{JweHeader, optional_b64};
use crate::jwe_keys::AgreementCurve;
use crate::jwk::{Jwk, JwkParams};
use crate::key_management::aes_kw;
use crate::key_management::cek::random_bytes;

/// The recipient's side (RFC 7518 §4.6.2): agrees with the header's `epk`, derives the key and
/// for `ECDH-ES+A*KW` unwraps the CEK with it (a random CEK when that fails, RFC 7516 §11.5).
pub(crate) fn recipient_cek(
    header: &JweHeader,
    encrypted_key: &[u8],
    curve: AgreementCurve,
    private: &agreement::PrivateKey,
) -> Result<Zeroizing<Vec<u8>>> {
    let alg = header.alg;
    let enc = header.enc;
    let point = epk_public(header, curve)?;
    let (id, len) = ecdh_kdf_target(alg, enc);
    // aws-lc-rs refuses an EC point off the curve and an X25519 key of small
    // order (an all-zero shared secret, RFC 7748 §6.1).
    let derived = agreement::agree(
        private,
        UnparsedPublicKey::new(curve.algorithm(), &point),
        JoseError::InvalidKey("epk is not a valid public key on the curve".into()),
        |z| concat_kdf(z, id, header, len),
    )?;
    if alg == JweAlg::EcdhEs {
        Ok(derived)
    } else {
        Ok(aes_kw::unwrap_or_random(&derived, encrypted_key, enc))
    }
}

/// The sender's side (RFC 7518 §4.6.1, §4.6.2): a fresh ephemeral key on the recipient's
/// curve, whose public half goes into `header` as `epk`; the key derived from the agreement
/// with `public` (and `apu`/`apv` from `header`) is the CEK for `ECDH-ES`, or wraps a random
/// CEK for `ECDH-ES+A*KW`. Returns the CEK and the JWE Encrypted Key.
pub(crate) fn sender_cek(
    alg: JweAlg,
    enc: JweEnc,
    curve: AgreementCurve,
    public: &[u8],
    header_map: &mut Map<String, Value>,
) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>)> {
    let rng = SystemRandom::new();
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
        apu: optional_b64(header_map, "apu")?,
        apv: optional_b64(header_map, "apv")?,
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
        Ok((derived, Vec::new()))
    } else {
        let cek = random_bytes(enc.cek_len());
        let wrapped = aes_kw::wrap(&derived, &cek)?;
        Ok((cek, wrapped))
    }
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

/// `datalen || data`: a 32-bit big-endian length, then the data (RFC 7518 §4.6.2).
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
