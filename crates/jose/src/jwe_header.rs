//! The JWE Protected Header (RFC 7516 §4): its registered parameters (§4.1) and the ECDH-ES
//! parameters `epk`, `apu` and `apv` (RFC 7518 §4.6.1), parsed strictly.

use serde_json::{Map, Value};

use crate::alg::{JweAlg, JweEnc, OkpCurve};
use crate::b64;
use crate::compact::{check_crit_and_b64, header_object, optional_string};
use crate::error::{JoseError, Result};
use crate::jwk::{EcParams, Jwk, JwkParams, OkpParams};

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

/// `apu` or `apv` (RFC 7518 §4.6.1.2, §4.6.1.3): when present, a base64url string of at most
/// 1024 bytes decoded.
pub(crate) fn optional_b64(
    map: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<Vec<u8>>> {
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
