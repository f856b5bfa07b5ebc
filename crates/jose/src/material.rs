//! Public key material in one normalized form, whatever it came from: a JWK (RFC 7517/7518),
//! an X.509 SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, RFC 5480, RFC 8410) or an aws-lc-rs key.
//! Comparing two of these is how `x5c[0]` is checked against its JWK.
//!
//! This module knows nothing of JWKs: the conversions between JWK members and this form are
//! in `jwk.rs`, which builds on it.

use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::alg::{EcCurve, OkpCurve};
use crate::b64;
use crate::error::{JoseError, Result};

/// The largest RSA modulus accepted, in bytes (8192 bits; aws-lc-rs's own upper bound).
pub(crate) const MAX_RSA_MODULUS_BYTES: usize = 1024;
/// Largest accepted RSA public exponent, in bytes.
const MAX_RSA_EXPONENT_BYTES: usize = 8;
/// Largest accepted certificate, in bytes.
pub(crate) const MAX_CERTIFICATE_BYTES: usize = 64 * 1024;

const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_X25519: &str = "1.3.101.110";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";

/// A public key, normalized: RSA `n`/`e` without leading zeros, EC coordinates full length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicMaterial {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ec {
        curve: EcCurve,
        x: Vec<u8>,
        y: Vec<u8>,
    },
    Okp {
        curve: OkpCurve,
        x: Vec<u8>,
    },
}

fn strip_leading_zeros(v: &[u8]) -> &[u8] {
    let first = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    &v[first..]
}

/// Checks and normalizes RSA public components (RFC 7518 §6.3.1).
pub(crate) fn rsa(n: &[u8], e: &[u8]) -> Result<PublicMaterial> {
    let n = strip_leading_zeros(n);
    let e = strip_leading_zeros(e);
    if n.is_empty() || e.is_empty() {
        return Err(JoseError::InvalidKey("RSA n or e is zero".into()));
    }
    if n.len() > MAX_RSA_MODULUS_BYTES {
        return Err(JoseError::InvalidKey("RSA modulus over 8192 bits".into()));
    }
    if e.len() > MAX_RSA_EXPONENT_BYTES {
        return Err(JoseError::InvalidKey("RSA exponent too large".into()));
    }
    if n[n.len() - 1] & 1 == 0 || e[e.len() - 1] & 1 == 0 {
        return Err(JoseError::InvalidKey("RSA n and e must be odd".into()));
    }
    Ok(PublicMaterial::Rsa {
        n: n.to_vec(),
        e: e.to_vec(),
    })
}

/// Checks EC public coordinates: each the curve's full length (RFC 7518 §6.2.1.2, §6.2.1.3).
pub(crate) fn ec(curve: EcCurve, x: Vec<u8>, y: Vec<u8>) -> Result<PublicMaterial> {
    let len = curve.coordinate_len();
    if x.len() != len || y.len() != len {
        return Err(JoseError::InvalidKey(format!(
            "{curve} coordinates must be {len} bytes (RFC 7518 §6.2.1.2)"
        )));
    }
    Ok(PublicMaterial::Ec { curve, x, y })
}

/// Checks an OKP public key: 32 bytes for Ed25519 and X25519 (RFC 8037 §2).
pub(crate) fn okp(curve: OkpCurve, x: Vec<u8>) -> Result<PublicMaterial> {
    if x.len() != 32 {
        return Err(JoseError::InvalidKey(format!(
            "{curve} public key must be 32 bytes (RFC 8037 §2)"
        )));
    }
    Ok(PublicMaterial::Okp { curve, x })
}

impl PublicMaterial {
    /// The public key of a DER SubjectPublicKeyInfo (RFC 5280 §4.1).
    pub(crate) fn from_spki_der(der: &[u8]) -> Result<Self> {
        let (rest, spki) = SubjectPublicKeyInfo::from_der(der)
            .map_err(|_| JoseError::InvalidKey("malformed SubjectPublicKeyInfo".into()))?;
        if !rest.is_empty() {
            return Err(JoseError::InvalidKey(
                "trailing data after SubjectPublicKeyInfo".into(),
            ));
        }
        Self::from_spki(&spki)
    }

    /// The public key of a parsed SubjectPublicKeyInfo: RSA (RFC 3279 §2.3.1), EC with a named
    /// curve and an uncompressed point (RFC 5480 §2), Ed25519/X25519 (RFC 8410 §4).
    pub(crate) fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Result<Self> {
        let oid = spki.algorithm.algorithm.to_id_string();
        let key = spki.subject_public_key.data.as_ref();
        match oid.as_str() {
            OID_RSA_ENCRYPTION => match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(k)) => rsa(k.modulus, k.exponent),
                _ => Err(JoseError::InvalidKey("malformed RSA public key".into())),
            },
            OID_EC_PUBLIC_KEY => {
                let curve_oid = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string())
                    .ok_or_else(|| JoseError::InvalidKey("EC key without a named curve".into()))?;
                let curve = match curve_oid.as_str() {
                    OID_P256 => EcCurve::P256,
                    OID_P384 => EcCurve::P384,
                    OID_P521 => EcCurve::P521,
                    _ => return Err(JoseError::InvalidKey("unsupported EC curve".into())),
                };
                let len = curve.coordinate_len();
                match key {
                    [4, rest @ ..] if rest.len() == 2 * len => {
                        ec(curve, rest[..len].to_vec(), rest[len..].to_vec())
                    }
                    _ => Err(JoseError::InvalidKey(
                        "EC point must be uncompressed and of the curve's size".into(),
                    )),
                }
            }
            OID_ED25519 => okp(OkpCurve::Ed25519, key.to_vec()),
            OID_X25519 => okp(OkpCurve::X25519, key.to_vec()),
            _ => Err(JoseError::InvalidKey(
                "unsupported public key algorithm".into(),
            )),
        }
    }

    /// The public key of a DER X.509 certificate (RFC 5280 §4.1.2.7).
    pub(crate) fn from_certificate_der(der: &[u8]) -> Result<Self> {
        if der.len() > MAX_CERTIFICATE_BYTES {
            return Err(JoseError::InvalidCertificate(
                "certificate too large".into(),
            ));
        }
        let (rest, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| JoseError::InvalidCertificate(e.to_string()))?;
        if !rest.is_empty() {
            return Err(JoseError::InvalidCertificate(
                "trailing data after certificate".into(),
            ));
        }
        Self::from_spki(cert.public_key())
    }

    /// The RSA modulus size in bits.
    pub(crate) fn rsa_bits(n: &[u8]) -> usize {
        match n.first() {
            Some(&b) => (n.len() - 1) * 8 + (8 - b.leading_zeros() as usize),
            None => 0,
        }
    }

    /// `0x04 || x || y` (SEC 1 §2.3.3).
    pub(crate) fn uncompressed_point(x: &[u8], y: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + x.len() + y.len());
        out.push(4);
        out.extend_from_slice(x);
        out.extend_from_slice(y);
        out
    }
}

/// Turns certificate text into DER: PEM (`-----BEGIN CERTIFICATE-----`; the first certificate
/// block is used) or base64 DER (standard alphabet, whitespace ignored; what .NET calls
/// `X509CertificateBase64`).
pub(crate) fn certificate_der_from_text(text: &str) -> Result<Vec<u8>> {
    // base64 of the largest certificate, plus room for whitespace and PEM armour.
    if text.len() > MAX_CERTIFICATE_BYTES * 2 {
        return Err(JoseError::InvalidCertificate(
            "certificate too large".into(),
        ));
    }
    let trimmed = text.trim();
    if trimmed.starts_with("-----BEGIN") {
        let blocks = pem::parse_many(trimmed)
            .map_err(|e| JoseError::InvalidCertificate(format!("PEM: {e}")))?;
        let block = blocks
            .into_iter()
            .find(|b| b.tag() == "CERTIFICATE")
            .ok_or_else(|| JoseError::InvalidCertificate("no CERTIFICATE block".into()))?;
        return Ok(block.into_contents());
    }
    let compact: String = trimmed
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    b64::decode_standard(&compact, "certificate")
        .map_err(|_| JoseError::InvalidCertificate("not PEM and not base64 DER".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_normalization() {
        let m = rsa(&[0, 0, 0xc1, 3], &[0, 1, 0, 1]).unwrap();
        assert_eq!(
            m,
            PublicMaterial::Rsa {
                n: vec![0xc1, 3],
                e: vec![1, 0, 1]
            }
        );
        assert!(rsa(&[0, 0], &[3]).is_err(), "zero modulus");
        assert!(rsa(&[0xc1, 2], &[3]).is_err(), "even modulus");
        assert!(rsa(&vec![0xff; 1025], &[3]).is_err(), "over 8192 bits");
        assert!(rsa(&[0xc1, 3], &[1; 9]).is_err(), "huge exponent");
    }

    #[test]
    fn rsa_bits() {
        assert_eq!(PublicMaterial::rsa_bits(&[0x80, 0]), 16);
        assert_eq!(PublicMaterial::rsa_bits(&[0x01, 0]), 9);
        assert_eq!(PublicMaterial::rsa_bits(&[]), 0);
    }

    #[test]
    fn ec_and_okp_lengths() {
        assert!(ec(EcCurve::P256, vec![1; 32], vec![1; 32]).is_ok());
        assert!(ec(EcCurve::P256, vec![1; 31], vec![1; 32]).is_err());
        assert!(ec(EcCurve::P521, vec![1; 65], vec![1; 66]).is_err());
        assert!(okp(OkpCurve::Ed25519, vec![1; 31]).is_err());
    }

    #[test]
    fn garbage_certificates_are_errors() {
        assert!(certificate_der_from_text("not base64 !").is_err());
        assert!(certificate_der_from_text("-----BEGIN CERTIFICATE-----\nxx\n").is_err());
        assert!(PublicMaterial::from_certificate_der(&[0x30, 0x03, 1, 2, 3]).is_err());
        assert!(PublicMaterial::from_spki_der(&[]).is_err());
    }
}
