//! The front of the Compact Serializations, shared by JWS (RFC 7515 §7.1) and JWE
//! (RFC 7516 §7.1): the size bound, the split into exactly `N` parts, the decoding of the
//! protected header under [`MAX_HEADER_BYTES`] into a strict JSON object, the refusal of
//! `crit`/`b64`, the header parameter helpers, and the encoding of a header on the way out.
//!
//! What a part means after the header is the business of `jws.rs` and `jwe.rs`.

use serde_json::{Map, Value};

use crate::b64;
use crate::error::{JoseError, Result, truncated};
use crate::json::parse_object_strict;

/// Largest decoded protected header accepted, in bytes.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// A compact serialization cut into its parts, with the protected header decoded but not yet
/// parsed (RFC 7515 §5.2 steps 1-2; RFC 7516 §5.2 steps 1-2).
pub(crate) struct Compact<'a, const N: usize> {
    /// The parts as sent; `parts[0]` is BASE64URL(UTF8(JWS/JWE Protected Header)).
    pub(crate) parts: [&'a str; N],
    /// The decoded protected header, JSON text still to be parsed ([`header_object`]).
    pub(crate) header_json: Vec<u8>,
}

/// Cuts a compact serialization (RFC 7515 §7.1: 3 parts; RFC 7516 §7.1: 5 parts), refusing,
/// in this order: input over `max_bytes` (before any decoding); anything but exactly `N`
/// parts; an encoded header longer than [`MAX_HEADER_BYTES`] can encode to; a header that is
/// not strict base64url (RFC 7515 §2). `header_part` names the header in the error.
pub(crate) fn parse<'a, const N: usize>(
    token: &'a str,
    max_bytes: usize,
    header_part: &'static str,
) -> Result<Compact<'a, N>> {
    if token.len() > max_bytes {
        return Err(JoseError::TooLarge {
            len: token.len(),
            limit: max_bytes,
        });
    }
    let parts = split_parts::<N>(token)?;
    let header_b64 = parts[0];
    if header_b64.len() > b64::encoded_len(MAX_HEADER_BYTES) {
        return Err(JoseError::HeaderTooLarge {
            limit: MAX_HEADER_BYTES,
        });
    }
    let header_json = b64::decode(header_b64, header_part)?;
    Ok(Compact { parts, header_json })
}

/// Splits a compact serialization into exactly `N` parts.
pub(crate) fn split_parts<const N: usize>(token: &str) -> Result<[&str; N]> {
    let mut out = [""; N];
    let mut parts = token.split('.');
    for slot in &mut out {
        *slot = parts.next().ok_or(JoseError::Malformed(if N == 3 {
            "a JWS has 3 parts"
        } else {
            "a JWE has 5 parts"
        }))?;
    }
    if parts.next().is_some() {
        return Err(JoseError::Malformed(if N == 3 {
            "a JWS has 3 parts"
        } else {
            "a JWE has 5 parts"
        }));
    }
    Ok(out)
}

/// A decoded protected header as a JSON object (RFC 7515 §5.2 step 3; RFC 7516 §5.2 step 3):
/// at most [`MAX_HEADER_BYTES`], no duplicate member names (RFC 7515 §4, RFC 7516 §4).
pub(crate) fn header_object(json: &[u8], part: &'static str) -> Result<Map<String, Value>> {
    if json.len() > MAX_HEADER_BYTES {
        return Err(JoseError::HeaderTooLarge {
            limit: MAX_HEADER_BYTES,
        });
    }
    parse_object_strict(json, part)
}

/// Refuses `crit` (RFC 7515 §4.1.11, RFC 7516 §4.1.13: every listed extension must be
/// understood, and none is; RFC 7515 §5.2 step 5, RFC 7516 §5.2 step 5) and `b64` (RFC 7797, unencoded payloads).
pub(crate) fn check_crit_and_b64(map: &Map<String, Value>) -> Result<()> {
    if let Some(crit) = map.get("crit") {
        let names = crit
            .as_array()
            .filter(|a| !a.is_empty())
            .ok_or(JoseError::InvalidHeaderParameter("crit"))?;
        let first = names
            .first()
            .and_then(Value::as_str)
            .ok_or(JoseError::InvalidHeaderParameter("crit"))?;
        return Err(JoseError::UnsupportedCritical(truncated(first)));
    }
    if map.contains_key("b64") {
        return Err(JoseError::UnsupportedCritical("b64".into()));
    }
    Ok(())
}

/// A header parameter that must be a string when present (`kid`, `typ`, `cty`, ...).
pub(crate) fn optional_string(
    map: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(JoseError::InvalidHeaderParameter(name)),
    }
}

/// BASE64URL(UTF8(header)), the first part of a compact serialization (RFC 7515 §5.1
/// step 4; RFC 7516 §5.1 step 14), refusing a header over [`MAX_HEADER_BYTES`].
pub(crate) fn encode_header(header: &Map<String, Value>) -> Result<String> {
    let header_json = serde_json::to_vec(header).map_err(|_| JoseError::Crypto("header JSON"))?;
    if header_json.len() > MAX_HEADER_BYTES {
        return Err(JoseError::HeaderTooLarge {
            limit: MAX_HEADER_BYTES,
        });
    }
    Ok(b64::encode(&header_json))
}
