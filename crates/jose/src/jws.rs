//! JWS Compact Serialization (RFC 7515 §7.1): signing, strict parsing, verification and key
//! selection.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::alg::JwsAlg;
use crate::b64;
use crate::compact::{self, Compact, check_crit_and_b64, header_object, optional_string};
use crate::error::{JoseError, Result, truncated};
use crate::json::parse_object_strict;
use crate::jws_keys::{SigningKey, VerifyingKey};

/// A parsed JWS Protected Header (RFC 7515 §4).
///
/// `jwk`, `jku`, `x5c`, `x5u` and any other parameters are only in [`JwsHeader::raw`]: this
/// crate never takes a verification key from the header (RFC 8725 §3.10).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JwsHeader {
    /// `alg` (RFC 7515 §4.1.1).
    pub alg: JwsAlg,
    /// `kid` (RFC 7515 §4.1.4).
    pub kid: Option<String>,
    /// `typ` (RFC 7515 §4.1.9).
    pub typ: Option<String>,
    /// `cty` (RFC 7515 §4.1.10).
    pub cty: Option<String>,
    /// `crit` (RFC 7515 §4.1.11). No extension is supported, so a parsed header never has one.
    pub crit: Option<Vec<String>>,
    /// Every header parameter as sent.
    pub raw: Map<String, Value>,
}

impl JwsHeader {
    /// Checks a decoded header: a JSON object without duplicate names, a known `alg`
    /// (`none` gives [`JoseError::AlgNone`]), no `crit`/`b64`, string `kid`/`typ`/`cty`.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        let raw = header_object(json, "JWS header")?;
        let alg = match raw.get("alg") {
            None => return Err(JoseError::MissingAlg),
            Some(Value::String(s)) => s.parse::<JwsAlg>()?,
            Some(_) => return Err(JoseError::InvalidHeaderParameter("alg")),
        };
        check_crit_and_b64(&raw)?;
        Ok(JwsHeader {
            alg,
            kid: optional_string(&raw, "kid")?,
            typ: optional_string(&raw, "typ")?,
            cty: optional_string(&raw, "cty")?,
            crit: None,
            raw,
        })
    }

    /// A header parameter by name.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.raw.get(name)
    }
}

/// The decoded header and payload, shared (not copied) between an [`UnverifiedJws`] and the
/// [`VerifiedJws`] that each successful verification makes.
#[derive(Debug)]
struct Decoded {
    header: JwsHeader,
    payload: Vec<u8>,
}

/// A JWS whose structure has been checked but whose signature has not (RFC 7515 §5.2 steps
/// 1-8). Only [`UnverifiedJws::verify`] gives the payload as trusted.
#[derive(Debug, Clone)]
pub struct UnverifiedJws {
    decoded: Arc<Decoded>,
    signing_input: String,
    signature: Vec<u8>,
}

impl UnverifiedJws {
    /// Parses a JWS Compact Serialization (RFC 7515 §7.1).
    ///
    /// Refuses, in this order: input over `max_bytes` (before any decoding); anything but
    /// three parts; a header over [`MAX_HEADER_BYTES`](crate::MAX_HEADER_BYTES); base64url
    /// that is not strict (no padding, no whitespace, no trailing bits); a header that is not
    /// a JSON object, has duplicate names, lacks `alg`, names `none` ([`JoseError::AlgNone`])
    /// or an unknown algorithm, or has `crit`/`b64`; an empty signature.
    pub fn parse(token: &str, max_bytes: usize) -> Result<Self> {
        let Compact {
            parts: [header_b64, payload_b64, signature_b64],
            header_json,
        } = compact::parse::<3>(token, max_bytes, "JWS header")?;
        let header = JwsHeader::from_json(&header_json)?;
        let payload = b64::decode(payload_b64, "JWS payload")?;
        let signature = b64::decode(signature_b64, "JWS signature")?;
        if signature.is_empty() {
            return Err(JoseError::Malformed("empty JWS signature"));
        }
        let signing_input_len = header_b64.len() + 1 + payload_b64.len();
        Ok(UnverifiedJws {
            decoded: Arc::new(Decoded { header, payload }),
            signing_input: token[..signing_input_len].to_owned(),
            signature,
        })
    }

    /// The protected header (not yet verified).
    #[must_use]
    pub fn header(&self) -> &JwsHeader {
        &self.decoded.header
    }

    /// The payload, NOT verified: for routing decisions only (e.g. reading `iss` to find the
    /// client whose keys will verify it).
    #[must_use]
    pub fn payload_bytes(&self) -> &[u8] {
        &self.decoded.payload
    }

    /// Verifies the signature with `key` (RFC 7515 §5.2 step 8). The key must fit the header's
    /// `alg` ([`VerifyingKey::check_alg`]); HMAC tags are compared in constant time.
    ///
    /// The header and payload are shared with the result, not copied.
    pub fn verify(&self, key: &VerifyingKey) -> Result<VerifiedJws> {
        key.verify_signature(
            self.decoded.header.alg,
            self.signing_input.as_bytes(),
            &self.signature,
        )?;
        Ok(VerifiedJws {
            decoded: Arc::clone(&self.decoded),
        })
    }
}

/// A JWS whose signature verified.
#[derive(Debug, Clone)]
pub struct VerifiedJws {
    decoded: Arc<Decoded>,
}

impl VerifiedJws {
    /// The protected header.
    #[must_use]
    pub fn header(&self) -> &JwsHeader {
        &self.decoded.header
    }

    /// The verified payload.
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        &self.decoded.payload
    }

    /// The verified payload, by value (copied only if the [`UnverifiedJws`] it came from, or a
    /// clone, is still alive).
    #[must_use]
    pub fn into_payload(self) -> Vec<u8> {
        match Arc::try_unwrap(self.decoded) {
            Ok(decoded) => decoded.payload,
            Err(shared) => shared.payload.clone(),
        }
    }

    /// The verified payload as a JSON object (a JWT Claims Set, RFC 7519 §7.2 step 10),
    /// refusing duplicate claim names.
    pub fn payload_json(&self) -> Result<Map<String, Value>> {
        parse_object_strict(&self.decoded.payload, "JWS payload")
    }
}

/// An Unsecured JWS (RFC 7515 Appendix A.5; RFC 7519 §6): `"alg":"none"` and an empty
/// signature. Nothing about it is authenticated.
///
/// It exists only for a policy that explicitly accepts unsigned input (Writ's
/// `allow_unsigned_by_value` request objects); [`UnverifiedJws::parse`] never accepts one, and
/// there is no way to turn this into a [`VerifiedJws`].
#[derive(Debug, Clone)]
pub struct UnsecuredJws {
    header: Map<String, Value>,
    payload: Vec<u8>,
}

impl UnsecuredJws {
    /// Parses an Unsecured JWS with the same strictness as [`UnverifiedJws::parse`] (size first,
    /// three parts, strict base64url, a header object without duplicates and without
    /// `crit`/`b64`), requiring `alg` to be exactly `none` and the signature part to be empty.
    pub fn parse(token: &str, max_bytes: usize) -> Result<Self> {
        let Compact {
            parts: [_, payload_b64, signature_b64],
            header_json,
        } = compact::parse::<3>(token, max_bytes, "JWS header")?;
        let header = header_object(&header_json, "JWS header")?;
        match header.get("alg") {
            Some(Value::String(a)) if a == "none" => {}
            Some(Value::String(a)) => return Err(JoseError::UnsupportedAlg(truncated(a))),
            Some(_) => return Err(JoseError::InvalidHeaderParameter("alg")),
            None => return Err(JoseError::MissingAlg),
        }
        check_crit_and_b64(&header)?;
        if !signature_b64.is_empty() {
            return Err(JoseError::Malformed(
                "an unsecured JWS has an empty signature",
            ));
        }
        Ok(UnsecuredJws {
            header,
            payload: b64::decode(payload_b64, "JWS payload")?,
        })
    }

    /// The header parameters.
    #[must_use]
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The payload (not authenticated).
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The payload as a JSON object, refusing duplicate claim names.
    pub fn payload_json(&self) -> Result<Map<String, Value>> {
        parse_object_strict(&self.payload, "JWS payload")
    }
}

/// Signs `payload` into a JWS Compact Serialization (RFC 7515 §5.1, §7.1).
///
/// `header` is copied and its `alg` set to `alg`; the key must fit `alg`
/// ([`SigningKey::check_alg`]).
pub fn sign_compact(
    header: &Map<String, Value>,
    payload: &[u8],
    alg: JwsAlg,
    key: &SigningKey,
) -> Result<String> {
    key.check_alg(alg)?;
    // `alg` first, then the caller's parameters (in its order when serde_json keeps order).
    let mut header_out = Map::new();
    header_out.insert("alg".to_owned(), Value::String(alg.as_str().to_owned()));
    for (k, v) in header {
        if k != "alg" {
            header_out.insert(k.clone(), v.clone());
        }
    }
    let header = header_out;
    check_crit_and_b64(&header)?;
    let mut out = compact::encode_header(&header)?;
    out.push('.');
    out.push_str(&b64::encode(payload));
    let signature = key.sign(alg, out.as_bytes())?;
    out.push('.');
    out.push_str(&b64::encode(&signature));
    Ok(out)
}

/// The keys that may verify a JWS with this `kid` and `alg`: when `kid` is present, only keys
/// with that `kid`; and only keys whose type, curve, size, `alg`, `use` and `key_ops` allow
/// `alg` ([`VerifyingKey::check_alg`]). Keys are never taken from the JWS header.
///
/// The caller decides what to do with more than one candidate (e.g. require a `kid`).
#[must_use]
pub fn select_verifying_keys<'a>(
    keys: &'a [VerifyingKey],
    kid: Option<&str>,
    alg: JwsAlg,
) -> Vec<&'a VerifyingKey> {
    keys.iter()
        .filter(|k| kid.is_none_or(|want| k.kid() == Some(want)))
        .filter(|k| k.check_alg(alg).is_ok())
        .collect()
}

#[cfg(test)]
mod tests;
