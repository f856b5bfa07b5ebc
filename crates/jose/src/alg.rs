//! JWA identifiers (RFC 7518): JWS algorithms (§3.1; RFC 8037 §3.1; RFC 9864 §2.2), JWE key
//! management algorithms (§4.1) and content encryption algorithms (§5.1), elliptic curves
//! (§6.2.1.1; RFC 8037 §2) and key types (§6.1).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{JoseError, truncated};

/// A JWS signature or MAC algorithm (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864 §2.2).
///
/// `none` (RFC 7518 §3.6) is deliberately not a variant: it cannot be named, so it cannot be
/// verified. Parsing the string `"none"` gives [`JoseError::AlgNone`].
///
/// Ed25519 signatures have two names: the polymorphic `EdDSA` of RFC 8037 (deprecated by
/// RFC 9864 §4.1.2) and the fully-specified `Ed25519` of RFC 9864 §2.2. Both compute the
/// same thing and both need an OKP key of curve Ed25519 ([`AlgFamily::Ed25519`]), but they
/// stay two identifiers: a JWK whose `alg` names one is not usable under the other
/// (RFC 7517 §4.4; RFC 9864 §7, one key for a single algorithm). Ed448 is not supported under
/// either name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JwsAlg {
    /// HMAC using SHA-256 (RFC 7518 §3.2).
    HS256,
    /// HMAC using SHA-384 (RFC 7518 §3.2).
    HS384,
    /// HMAC using SHA-512 (RFC 7518 §3.2).
    HS512,
    /// RSASSA-PKCS1-v1_5 using SHA-256 (RFC 7518 §3.3).
    RS256,
    /// RSASSA-PKCS1-v1_5 using SHA-384 (RFC 7518 §3.3).
    RS384,
    /// RSASSA-PKCS1-v1_5 using SHA-512 (RFC 7518 §3.3).
    RS512,
    /// ECDSA using P-256 and SHA-256, fixed-size `r || s` (RFC 7518 §3.4).
    ES256,
    /// ECDSA using P-384 and SHA-384, fixed-size `r || s` (RFC 7518 §3.4).
    ES384,
    /// ECDSA using P-521 and SHA-512, fixed-size `r || s` (RFC 7518 §3.4).
    ES512,
    /// RSASSA-PSS using SHA-256 and MGF1 with SHA-256 (RFC 7518 §3.5).
    PS256,
    /// RSASSA-PSS using SHA-384 and MGF1 with SHA-384 (RFC 7518 §3.5).
    PS384,
    /// RSASSA-PSS using SHA-512 and MGF1 with SHA-512 (RFC 7518 §3.5).
    PS512,
    /// EdDSA (RFC 8037 §3.1), polymorphic: deprecated by RFC 9864 §4.1.2 but still what most
    /// libraries send. Only with Ed25519 keys here; Ed448 is not supported.
    EdDSA,
    /// EdDSA using the Ed25519 parameter set (RFC 9864 §2.2; RFC 8032 §5.1), only with an OKP
    /// key of curve Ed25519: the same signature as [`JwsAlg::EdDSA`] under its fully-specified
    /// name.
    Ed25519,
}

/// The family of keys an algorithm needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlgFamily {
    /// HMAC: a symmetric (`oct`) key.
    Hmac,
    /// RSASSA-PKCS1-v1_5 or RSASSA-PSS: an RSA key.
    Rsa,
    /// ECDSA on the given curve.
    Ecdsa(EcCurve),
    /// An OKP key of curve Ed25519 (RFC 8037 §2): `EdDSA` and `Ed25519` (RFC 9864 §2.2).
    Ed25519,
}

impl JwsAlg {
    /// Every supported algorithm.
    pub const ALL: [JwsAlg; 14] = [
        JwsAlg::HS256,
        JwsAlg::HS384,
        JwsAlg::HS512,
        JwsAlg::RS256,
        JwsAlg::RS384,
        JwsAlg::RS512,
        JwsAlg::ES256,
        JwsAlg::ES384,
        JwsAlg::ES512,
        JwsAlg::PS256,
        JwsAlg::PS384,
        JwsAlg::PS512,
        JwsAlg::EdDSA,
        JwsAlg::Ed25519,
    ];

    /// The registered name (RFC 7518 §7.1.2).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            JwsAlg::HS256 => "HS256",
            JwsAlg::HS384 => "HS384",
            JwsAlg::HS512 => "HS512",
            JwsAlg::RS256 => "RS256",
            JwsAlg::RS384 => "RS384",
            JwsAlg::RS512 => "RS512",
            JwsAlg::ES256 => "ES256",
            JwsAlg::ES384 => "ES384",
            JwsAlg::ES512 => "ES512",
            JwsAlg::PS256 => "PS256",
            JwsAlg::PS384 => "PS384",
            JwsAlg::PS512 => "PS512",
            JwsAlg::EdDSA => "EdDSA",
            JwsAlg::Ed25519 => "Ed25519",
        }
    }

    /// The key family this algorithm needs.
    #[must_use]
    pub const fn family(self) -> AlgFamily {
        match self {
            JwsAlg::HS256 | JwsAlg::HS384 | JwsAlg::HS512 => AlgFamily::Hmac,
            JwsAlg::RS256
            | JwsAlg::RS384
            | JwsAlg::RS512
            | JwsAlg::PS256
            | JwsAlg::PS384
            | JwsAlg::PS512 => AlgFamily::Rsa,
            JwsAlg::ES256 => AlgFamily::Ecdsa(EcCurve::P256),
            JwsAlg::ES384 => AlgFamily::Ecdsa(EcCurve::P384),
            JwsAlg::ES512 => AlgFamily::Ecdsa(EcCurve::P521),
            // RFC 9864 §2.2: "Ed25519" is EdDSA restricted to the Ed25519 curve, which is all
            // that "EdDSA" means in this crate.
            JwsAlg::EdDSA | JwsAlg::Ed25519 => AlgFamily::Ed25519,
        }
    }

    /// For HMAC algorithms, the minimum key length in bytes: the hash output size
    /// (RFC 7518 §3.2: "A key of the same size as the hash output ... or larger MUST be used").
    #[must_use]
    pub const fn min_hmac_key_len(self) -> Option<usize> {
        match self {
            JwsAlg::HS256 => Some(32),
            JwsAlg::HS384 => Some(48),
            JwsAlg::HS512 => Some(64),
            _ => None,
        }
    }
}

impl fmt::Display for JwsAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JwsAlg {
    type Err = JoseError;

    /// Parses a registered name, case-sensitively (RFC 7515 §4.1.1). `Ed448` (RFC 9864 §2.2)
    /// is registered but not supported, and its error says so.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "none" {
            return Err(JoseError::AlgNone);
        }
        if s == "Ed448" {
            return Err(JoseError::UnsupportedAlg(ED448_UNSUPPORTED.to_owned()));
        }
        JwsAlg::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| JoseError::UnsupportedAlg(truncated(s)))
    }
}

/// The [`JoseError::UnsupportedAlg`] text for `Ed448`: registered (RFC 9864 §2.2), but aws-lc-rs
/// has no Ed448, so neither the alg nor an Ed448 key can be used.
pub(crate) const ED448_UNSUPPORTED: &str = "Ed448 (Ed448 keys are not supported, only Ed25519)";

impl Serialize for JwsAlg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JwsAlg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An elliptic curve for ECDSA and ECDH-ES (RFC 7518 §6.2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EcCurve {
    /// NIST P-256 (secp256r1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
    /// NIST P-521 (secp521r1).
    P521,
}

impl EcCurve {
    /// The registered `crv` name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            EcCurve::P256 => "P-256",
            EcCurve::P384 => "P-384",
            EcCurve::P521 => "P-521",
        }
    }

    /// The length in bytes of one coordinate (and of the private scalar), RFC 7518 §6.2.1.2.
    #[must_use]
    pub const fn coordinate_len(self) -> usize {
        match self {
            EcCurve::P256 => 32,
            EcCurve::P384 => 48,
            EcCurve::P521 => 66,
        }
    }

    /// The ECDSA algorithm that uses this curve.
    #[must_use]
    pub const fn jws_alg(self) -> JwsAlg {
        match self {
            EcCurve::P256 => JwsAlg::ES256,
            EcCurve::P384 => JwsAlg::ES384,
            EcCurve::P521 => JwsAlg::ES512,
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Self> {
        match s {
            "P-256" => Some(EcCurve::P256),
            "P-384" => Some(EcCurve::P384),
            "P-521" => Some(EcCurve::P521),
            _ => None,
        }
    }
}

impl fmt::Display for EcCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EcCurve {
    type Err = JoseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EcCurve::from_name(s)
            .ok_or_else(|| JoseError::InvalidKey(format!("unsupported curve {:?}", truncated(s))))
    }
}

impl Serialize for EcCurve {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EcCurve {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An Octet Key Pair curve (RFC 8037 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OkpCurve {
    /// Ed25519 signing keys.
    Ed25519,
    /// X25519 key agreement keys.
    X25519,
}

impl OkpCurve {
    /// The registered `crv` name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            OkpCurve::Ed25519 => "Ed25519",
            OkpCurve::X25519 => "X25519",
        }
    }

    pub(crate) fn from_name(s: &str) -> Option<Self> {
        match s {
            "Ed25519" => Some(OkpCurve::Ed25519),
            "X25519" => Some(OkpCurve::X25519),
            _ => None,
        }
    }
}

impl fmt::Display for OkpCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OkpCurve {
    type Err = JoseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "Ed448" {
            return Err(JoseError::InvalidKey(format!(
                "unsupported curve: {ED448_UNSUPPORTED}"
            )));
        }
        OkpCurve::from_name(s)
            .ok_or_else(|| JoseError::InvalidKey(format!("unsupported curve {:?}", truncated(s))))
    }
}

impl Serialize for OkpCurve {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for OkpCurve {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A JWK key type (RFC 7518 §6.1, RFC 8037 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `RSA`.
    Rsa,
    /// `EC`.
    Ec,
    /// `OKP`.
    Okp,
    /// `oct`.
    Oct,
}

impl KeyType {
    /// The registered `kty` name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa => "RSA",
            KeyType::Ec => "EC",
            KeyType::Okp => "OKP",
            KeyType::Oct => "oct",
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A JWE key management algorithm (RFC 7518 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JweAlg {
    /// RSAES OAEP with SHA-1 and MGF1-SHA-1 (RFC 7518 §4.3).
    RsaOaep,
    /// RSAES OAEP with SHA-256 and MGF1-SHA-256 (RFC 7518 §4.3).
    RsaOaep256,
    /// ECDH-ES, the agreed key is the CEK (RFC 7518 §4.6).
    EcdhEs,
    /// ECDH-ES with the agreed key wrapping the CEK with AES-128 Key Wrap (RFC 7518 §4.6).
    EcdhEsA128Kw,
    /// ECDH-ES with the agreed key wrapping the CEK with AES-256 Key Wrap (RFC 7518 §4.6).
    EcdhEsA256Kw,
    /// AES-128 Key Wrap (RFC 7518 §4.4, RFC 3394).
    A128Kw,
    /// AES-256 Key Wrap (RFC 7518 §4.4, RFC 3394).
    A256Kw,
    /// The shared symmetric key is the CEK (RFC 7518 §4.5).
    Dir,
}

/// A JWE content encryption algorithm (RFC 7518 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JweEnc {
    /// AES-128 GCM (RFC 7518 §5.3).
    A128Gcm,
    /// AES-256 GCM (RFC 7518 §5.3).
    A256Gcm,
    /// AES-128 CBC with HMAC-SHA-256 (RFC 7518 §5.2.3).
    A128CbcHs256,
    /// AES-256 CBC with HMAC-SHA-512 (RFC 7518 §5.2.5).
    A256CbcHs512,
}

impl JweAlg {
    /// Every supported algorithm.
    pub const ALL: [JweAlg; 8] = [
        JweAlg::RsaOaep,
        JweAlg::RsaOaep256,
        JweAlg::EcdhEs,
        JweAlg::EcdhEsA128Kw,
        JweAlg::EcdhEsA256Kw,
        JweAlg::A128Kw,
        JweAlg::A256Kw,
        JweAlg::Dir,
    ];

    /// The registered name (RFC 7518 §7.1.2).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            JweAlg::RsaOaep => "RSA-OAEP",
            JweAlg::RsaOaep256 => "RSA-OAEP-256",
            JweAlg::EcdhEs => "ECDH-ES",
            JweAlg::EcdhEsA128Kw => "ECDH-ES+A128KW",
            JweAlg::EcdhEsA256Kw => "ECDH-ES+A256KW",
            JweAlg::A128Kw => "A128KW",
            JweAlg::A256Kw => "A256KW",
            JweAlg::Dir => "dir",
        }
    }

    /// Whether the algorithm is based on ECDH-ES (and so needs `epk`).
    #[must_use]
    pub const fn is_ecdh(self) -> bool {
        matches!(
            self,
            JweAlg::EcdhEs | JweAlg::EcdhEsA128Kw | JweAlg::EcdhEsA256Kw
        )
    }

    /// Whether the JWE Encrypted Key is empty for this algorithm (RFC 7518 §4.5, §4.6).
    #[must_use]
    pub const fn has_empty_encrypted_key(self) -> bool {
        matches!(self, JweAlg::Dir | JweAlg::EcdhEs)
    }

    /// The AES Key Wrap key length in bytes, for the key-wrapping algorithms.
    #[must_use]
    pub const fn key_wrap_len(self) -> Option<usize> {
        match self {
            JweAlg::A128Kw | JweAlg::EcdhEsA128Kw => Some(16),
            JweAlg::A256Kw | JweAlg::EcdhEsA256Kw => Some(32),
            _ => None,
        }
    }

    /// Whether the algorithm uses a shared symmetric key (`dir`, `A*KW`).
    #[must_use]
    pub const fn is_symmetric(self) -> bool {
        matches!(self, JweAlg::A128Kw | JweAlg::A256Kw | JweAlg::Dir)
    }
}

impl JweEnc {
    /// Every supported content encryption algorithm.
    pub const ALL: [JweEnc; 4] = [
        JweEnc::A128Gcm,
        JweEnc::A256Gcm,
        JweEnc::A128CbcHs256,
        JweEnc::A256CbcHs512,
    ];

    /// The registered name (RFC 7518 §7.1.2).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            JweEnc::A128Gcm => "A128GCM",
            JweEnc::A256Gcm => "A256GCM",
            JweEnc::A128CbcHs256 => "A128CBC-HS256",
            JweEnc::A256CbcHs512 => "A256CBC-HS512",
        }
    }

    /// Content Encryption Key length in bytes (RFC 7518 §5.2.3, §5.2.5, §5.3).
    #[must_use]
    pub const fn cek_len(self) -> usize {
        match self {
            JweEnc::A128Gcm => 16,
            JweEnc::A256Gcm | JweEnc::A128CbcHs256 => 32,
            JweEnc::A256CbcHs512 => 64,
        }
    }

    /// Initialization Vector length in bytes (96 bits for GCM, 128 for CBC).
    #[must_use]
    pub const fn iv_len(self) -> usize {
        match self {
            JweEnc::A128Gcm | JweEnc::A256Gcm => 12,
            JweEnc::A128CbcHs256 | JweEnc::A256CbcHs512 => 16,
        }
    }

    /// Authentication Tag length in bytes (exactly; shorter tags are refused).
    #[must_use]
    pub const fn tag_len(self) -> usize {
        match self {
            JweEnc::A128Gcm | JweEnc::A256Gcm | JweEnc::A128CbcHs256 => 16,
            JweEnc::A256CbcHs512 => 32,
        }
    }
}

macro_rules! name_traits {
    ($ty:ident, $err:expr) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = JoseError;
            /// Parses a registered name, case-sensitively.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::ALL
                    .into_iter()
                    .find(|a| a.as_str() == s)
                    .ok_or_else(|| $err(truncated(s)))
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

name_traits!(JweAlg, JoseError::UnsupportedAlg);
name_traits!(JweEnc, JoseError::UnsupportedEnc);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in JwsAlg::ALL {
            assert_eq!(alg.as_str().parse::<JwsAlg>().unwrap(), alg);
            assert_eq!(alg.to_string(), alg.as_str());
            let json = serde_json::to_string(&alg).unwrap();
            assert_eq!(serde_json::from_str::<JwsAlg>(&json).unwrap(), alg);
        }
    }

    #[test]
    fn none_is_its_own_error() {
        assert_eq!("none".parse::<JwsAlg>(), Err(JoseError::AlgNone));
        assert!(serde_json::from_str::<JwsAlg>("\"none\"").is_err());
    }

    #[test]
    fn names_are_case_sensitive_and_unknown_refused() {
        for s in ["hs256", "NONE", "None", "ES256K", "Ed448", "RSA1_5", ""] {
            assert!(
                matches!(s.parse::<JwsAlg>(), Err(JoseError::UnsupportedAlg(_))),
                "{s}"
            );
        }
    }

    #[test]
    fn ed25519_is_the_fully_specified_eddsa_rfc9864_2_2() {
        assert_eq!("Ed25519".parse::<JwsAlg>().unwrap(), JwsAlg::Ed25519);
        assert_eq!(JwsAlg::Ed25519.as_str(), "Ed25519");
        // Same key family as EdDSA: an OKP key of curve Ed25519 and nothing else.
        assert_eq!(JwsAlg::Ed25519.family(), AlgFamily::Ed25519);
        assert_eq!(JwsAlg::EdDSA.family(), AlgFamily::Ed25519);
        assert_eq!(JwsAlg::Ed25519.min_hmac_key_len(), None);
        for s in ["ed25519", "ED25519", "Ed25519 ", "EdDsa"] {
            assert!(s.parse::<JwsAlg>().is_err(), "{s}");
        }
    }

    #[test]
    fn ed448_is_refused_with_a_reason() {
        let err = "Ed448".parse::<JwsAlg>().unwrap_err();
        assert!(matches!(&err, JoseError::UnsupportedAlg(_)));
        assert!(
            err.to_string().contains("Ed448 keys are not supported"),
            "{err}"
        );
        let err = "Ed448".parse::<OkpCurve>().unwrap_err();
        assert!(
            err.to_string().contains("Ed448 keys are not supported"),
            "{err}"
        );
    }

    #[test]
    fn curves() {
        for c in [EcCurve::P256, EcCurve::P384, EcCurve::P521] {
            assert_eq!(c.as_str().parse::<EcCurve>().unwrap(), c);
            assert_eq!(c.jws_alg().family(), AlgFamily::Ecdsa(c));
        }
        assert!("secp256k1".parse::<EcCurve>().is_err());
        assert!("Ed448".parse::<OkpCurve>().is_err());
    }

    #[test]
    fn jwe_names_round_trip() {
        for alg in JweAlg::ALL {
            assert_eq!(alg.as_str().parse::<JweAlg>().unwrap(), alg);
            let json = serde_json::to_string(&alg).unwrap();
            assert_eq!(serde_json::from_str::<JweAlg>(&json).unwrap(), alg);
        }
        for enc in JweEnc::ALL {
            assert_eq!(enc.as_str().parse::<JweEnc>().unwrap(), enc);
            assert_eq!(enc.to_string(), enc.as_str());
        }
        assert!("a128kw".parse::<JweAlg>().is_err());
    }
}
