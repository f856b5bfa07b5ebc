//! JSON Web Key and JWK Set (RFC 7517), key types of RFC 7518 §6 and RFC 8037 §2,
//! and the JWK thumbprint (RFC 7638).

use std::fmt;

use aws_lc_rs::{constant_time, digest};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use zeroize::Zeroizing;

use crate::alg::{EcCurve, KeyType, OkpCurve};
use crate::b64;
use crate::error::{JoseError, Result, truncated};
use crate::json::parse_value_strict;
use crate::material::{self, PublicMaterial};

pub(crate) mod private;

/// A JSON Web Key (RFC 7517 §4).
///
/// Key-type members are in [`JwkParams`]; binary members stay as their base64url text and are
/// decoded (strictly) when a key is built from them. Unknown members are dropped.
/// `Debug` never prints private members.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type and its members (`kty`, RFC 7517 §4.1).
    #[serde(flatten)]
    pub params: JwkParams,
    /// Public key use: `sig` or `enc` (RFC 7517 §4.2).
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// Key operations (RFC 7517 §4.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// The algorithm this key is meant for (RFC 7517 §4.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Key ID (RFC 7517 §4.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// X.509 URL (RFC 7517 §4.6). Never fetched by this crate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5u: Option<String>,
    /// X.509 certificate chain, standard base64 DER (RFC 7517 §4.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5c: Option<Vec<String>>,
    /// X.509 certificate SHA-1 thumbprint (RFC 7517 §4.8). Kept, never relied on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    /// X.509 certificate SHA-256 thumbprint (RFC 7517 §4.9).
    #[serde(rename = "x5t#S256", default, skip_serializing_if = "Option::is_none")]
    pub x5t_s256: Option<String>,
}

/// The key-type-specific members of a JWK, tagged by `kty` (RFC 7518 §6.1).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kty")]
pub enum JwkParams {
    /// `"kty":"RSA"` (RFC 7518 §6.3).
    #[serde(rename = "RSA")]
    Rsa(RsaParams),
    /// `"kty":"EC"` (RFC 7518 §6.2).
    #[serde(rename = "EC")]
    Ec(EcParams),
    /// `"kty":"OKP"` (RFC 8037 §2).
    #[serde(rename = "OKP")]
    Okp(OkpParams),
    /// `"kty":"oct"` (RFC 7518 §6.4).
    #[serde(rename = "oct")]
    Oct(OctParams),
}

/// RSA key members (RFC 7518 §6.3.1, §6.3.2). Multi-prime keys (`oth`) are not supported.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaParams {
    /// Modulus (§6.3.1.1).
    pub n: String,
    /// Exponent (§6.3.1.2).
    pub e: String,
    /// Private exponent (§6.3.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
    /// First prime factor (§6.3.2.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<String>,
    /// Second prime factor (§6.3.2.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// First factor CRT exponent (§6.3.2.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dp: Option<String>,
    /// Second factor CRT exponent (§6.3.2.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dq: Option<String>,
    /// First CRT coefficient (§6.3.2.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qi: Option<String>,
}

/// Elliptic curve key members (RFC 7518 §6.2.1, §6.2.2).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcParams {
    /// Curve (§6.2.1.1).
    pub crv: EcCurve,
    /// X coordinate, full length (§6.2.1.2).
    pub x: String,
    /// Y coordinate, full length (§6.2.1.3).
    pub y: String,
    /// Private key, full length (§6.2.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
}

/// Octet key pair members (RFC 8037 §2).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OkpParams {
    /// Curve: `Ed25519` or `X25519`.
    pub crv: OkpCurve,
    /// Public key.
    pub x: String,
    /// Private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
}

/// Symmetric key members (RFC 7518 §6.4).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OctParams {
    /// The key value (§6.4.1).
    pub k: String,
}

fn redact(v: &Option<String>) -> Option<&'static str> {
    v.as_ref().map(|_| "<redacted>")
}

impl fmt::Debug for JwkParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwkParams::Rsa(p) => f
                .debug_struct("Rsa")
                .field("n", &p.n)
                .field("e", &p.e)
                .field("d", &redact(&p.d))
                .field("p", &redact(&p.p))
                .field("q", &redact(&p.q))
                .field("dp", &redact(&p.dp))
                .field("dq", &redact(&p.dq))
                .field("qi", &redact(&p.qi))
                .finish(),
            JwkParams::Ec(p) => f
                .debug_struct("Ec")
                .field("crv", &p.crv)
                .field("x", &p.x)
                .field("y", &p.y)
                .field("d", &redact(&p.d))
                .finish(),
            JwkParams::Okp(p) => f
                .debug_struct("Okp")
                .field("crv", &p.crv)
                .field("x", &p.x)
                .field("d", &redact(&p.d))
                .finish(),
            JwkParams::Oct(_) => f.debug_struct("Oct").field("k", &"<redacted>").finish(),
        }
    }
}

impl fmt::Debug for Jwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwk")
            .field("params", &self.params)
            .field("use", &self.key_use)
            .field("key_ops", &self.key_ops)
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("x5u", &self.x5u)
            .field("x5c", &self.x5c.as_ref().map(Vec::len))
            .field("x5t#S256", &self.x5t_s256)
            .finish()
    }
}

impl Jwk {
    /// A JWK with these key members and no other members.
    #[must_use]
    pub fn new(params: JwkParams) -> Self {
        Jwk {
            params,
            key_use: None,
            key_ops: None,
            alg: None,
            kid: None,
            x5u: None,
            x5c: None,
            x5t: None,
            x5t_s256: None,
        }
    }

    /// Parses one JWK from JSON, refusing duplicate member names. The `x5c` rule is checked
    /// too ([`Jwk::check_x5c`]).
    pub fn from_json(json: &[u8]) -> Result<Self> {
        if json.len() > MAX_JWK_SET_BYTES {
            return Err(JoseError::TooLarge {
                len: json.len(),
                limit: MAX_JWK_SET_BYTES,
            });
        }
        let value = parse_value_strict(json, "JWK")?;
        let jwk: Jwk = serde_json::from_value(value).map_err(|e| JoseError::Json {
            part: "JWK",
            detail: e.to_string(),
        })?;
        jwk.check_x5c()?;
        Ok(jwk)
    }

    /// The key type (`kty`).
    #[must_use]
    pub fn kty(&self) -> KeyType {
        match self.params {
            JwkParams::Rsa(_) => KeyType::Rsa,
            JwkParams::Ec(_) => KeyType::Ec,
            JwkParams::Okp(_) => KeyType::Okp,
            JwkParams::Oct(_) => KeyType::Oct,
        }
    }

    /// Whether this JWK holds secret material (a private member, or a symmetric key).
    #[must_use]
    pub fn is_private(&self) -> bool {
        match &self.params {
            JwkParams::Rsa(p) => {
                p.d.is_some()
                    || p.p.is_some()
                    || p.q.is_some()
                    || p.dp.is_some()
                    || p.dq.is_some()
                    || p.qi.is_some()
            }
            JwkParams::Ec(p) => p.d.is_some(),
            JwkParams::Okp(p) => p.d.is_some(),
            JwkParams::Oct(_) => true,
        }
    }

    /// The same key without its private members (RFC 7517 §4, RFC 7518 §6.2.2, §6.3.2);
    /// `None` for a symmetric (`oct`) key, which has no public form.
    #[must_use]
    pub fn to_public(&self) -> Option<Jwk> {
        let params = match &self.params {
            JwkParams::Rsa(p) => JwkParams::Rsa(RsaParams {
                n: p.n.clone(),
                e: p.e.clone(),
                ..RsaParams::default()
            }),
            JwkParams::Ec(p) => JwkParams::Ec(EcParams {
                d: None,
                ..p.clone()
            }),
            JwkParams::Okp(p) => JwkParams::Okp(OkpParams {
                d: None,
                ..p.clone()
            }),
            JwkParams::Oct(_) => return None,
        };
        Some(Jwk {
            params,
            ..self.clone()
        })
    }

    /// The JWK SHA-256 thumbprint, base64url (RFC 7638 §3; OKP members from RFC 8037 §2).
    ///
    /// The hash input is the required members in lexicographic order without whitespace.
    pub fn thumbprint_sha256(&self) -> String {
        // Required members only, in lexicographic order (RFC 7638 §3.2, §3.3).
        let members: [(&str, &str); 4] = match &self.params {
            JwkParams::Rsa(p) => [("e", &p.e), ("kty", "RSA"), ("n", &p.n), ("", "")],
            JwkParams::Ec(p) => [
                ("crv", p.crv.as_str()),
                ("kty", "EC"),
                ("x", &p.x),
                ("y", &p.y),
            ],
            JwkParams::Okp(p) => [
                ("crv", p.crv.as_str()),
                ("kty", "OKP"),
                ("x", &p.x),
                ("", ""),
            ],
            JwkParams::Oct(p) => [("k", &p.k), ("kty", "oct"), ("", ""), ("", "")],
        };
        // One buffer, each member written as JSON (`serde_json` escapes any string).
        let mut text = Vec::with_capacity(160);
        text.push(b'{');
        for (i, (name, value)) in members.iter().filter(|(n, _)| !n.is_empty()).enumerate() {
            if i > 0 {
                text.push(b',');
            }
            // Writing a `&str` to a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut text, name);
            text.push(b':');
            let _ = serde_json::to_writer(&mut text, value);
        }
        text.push(b'}');
        b64::encode(digest::digest(&digest::SHA256, &text).as_ref())
    }

    /// Checks `x5c` (RFC 7517 §4.7): when present it must be non-empty and its first
    /// certificate must carry the same public key as the JWK; when `x5t#S256` is present too,
    /// it must be the SHA-256 of that certificate (RFC 7517 §4.9). The chain is not validated.
    pub fn check_x5c(&self) -> Result<()> {
        let Some(chain) = &self.x5c else {
            return Ok(());
        };
        let first = chain.first().ok_or(JoseError::X5cMismatch("empty x5c"))?;
        let der = b64::decode_standard(first, "x5c")?;
        let from_cert = PublicMaterial::from_certificate_der(&der)?;
        let from_jwk = self
            .params
            .public_material()?
            .ok_or(JoseError::X5cMismatch("x5c on a symmetric key"))?;
        if from_cert != from_jwk {
            return Err(JoseError::X5cMismatch(
                "x5c[0] public key differs from the JWK",
            ));
        }
        if let Some(t) = &self.x5t_s256 {
            let expected = b64::decode(t, "x5t#S256")?;
            let actual = digest::digest(&digest::SHA256, &der);
            constant_time::verify_slices_are_equal(&expected, actual.as_ref())
                .map_err(|_| JoseError::X5cMismatch("x5t#S256 differs from x5c[0]"))?;
        }
        Ok(())
    }

    /// The normalized public key, `None` for `oct`.
    pub(crate) fn public_material(&self) -> Result<Option<PublicMaterial>> {
        self.params.public_material()
    }

    /// What a key is built from: the secret of an `oct` JWK (RFC 7518 §6.4.1; never empty) or
    /// the normalized public key of any other (private members ignored).
    pub(crate) fn key_material(&self) -> Result<KeyMaterial> {
        match &self.params {
            JwkParams::Oct(p) => {
                let k = Zeroizing::new(b64::decode(&p.k, "JWK k")?);
                if k.is_empty() {
                    return Err(JoseError::InvalidKey("empty symmetric key".into()));
                }
                Ok(KeyMaterial::Secret(k))
            }
            _ => self
                .public_material()?
                .map(KeyMaterial::Public)
                .ok_or(JoseError::Crypto("asymmetric JWK without public key")),
        }
    }
}

impl JwkParams {
    /// The normalized public key of these members (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2),
    /// strictly decoded and checked; `None` for a symmetric (`oct`) key. Private members are
    /// ignored.
    pub(crate) fn public_material(&self) -> Result<Option<PublicMaterial>> {
        Ok(Some(match self {
            JwkParams::Rsa(p) => {
                material::rsa(&b64::decode(&p.n, "JWK n")?, &b64::decode(&p.e, "JWK e")?)?
            }
            JwkParams::Ec(p) => material::ec(
                p.crv,
                b64::decode(&p.x, "JWK x")?,
                b64::decode(&p.y, "JWK y")?,
            )?,
            JwkParams::Okp(p) => material::okp(p.crv, b64::decode(&p.x, "JWK x")?)?,
            JwkParams::Oct(_) => return Ok(None),
        }))
    }

    /// The JWK members of a public key (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2).
    pub(crate) fn from_public(public: &PublicMaterial) -> Self {
        match public {
            PublicMaterial::Rsa { n, e } => JwkParams::Rsa(RsaParams {
                n: b64::encode(n),
                e: b64::encode(e),
                ..RsaParams::default()
            }),
            PublicMaterial::Ec { curve, x, y } => JwkParams::Ec(EcParams {
                crv: *curve,
                x: b64::encode(x),
                y: b64::encode(y),
                d: None,
            }),
            PublicMaterial::Okp { curve, x } => JwkParams::Okp(OkpParams {
                crv: *curve,
                x: b64::encode(x),
                d: None,
            }),
        }
    }
}

/// See [`Jwk::key_material`].
pub(crate) enum KeyMaterial {
    Secret(Zeroizing<Vec<u8>>),
    Public(PublicMaterial),
}

/// The restrictions a JWK puts on its own use: `use` (RFC 7517 §4.2), `key_ops` (§4.3) and
/// `alg` (§4.4). A key built from a JWK keeps them and checks them on every operation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Restrictions {
    alg: Option<String>,
    key_use: Option<String>,
    key_ops: Option<Vec<String>>,
}

impl Restrictions {
    /// The restrictions of `jwk`.
    pub(crate) fn of(jwk: &Jwk) -> Self {
        Restrictions {
            alg: jwk.alg.clone(),
            key_use: jwk.key_use.clone(),
            key_ops: jwk.key_ops.clone(),
        }
    }

    /// Allows `alg` for the use `key_use` (`sig` or `enc`) by one of the operations `ops`: the
    /// JWK's `alg` and `use`, when present, must be these, and its `key_ops`, when present,
    /// must include one of `ops`.
    ///
    /// `alg` is compared as a name. So a key marked `EdDSA` is not used under the header
    /// `Ed25519` nor the reverse, although both compute the same Ed25519 signature: RFC 9864
    /// registers them as distinct identifiers (§2.2, §4.1) and asks for one key per algorithm
    /// (§7). A JWK without `alg` serves both.
    pub(crate) fn check(&self, alg: &str, key_use: &str, ops: &[&str]) -> Result<()> {
        if let Some(a) = &self.alg
            && a != alg
        {
            return Err(JoseError::KeyRestricted(format!(
                "key is for alg {a}, not {alg}"
            )));
        }
        if let Some(u) = &self.key_use
            && u != key_use
        {
            return Err(JoseError::KeyRestricted(format!(
                "key use is {u:?}, not {key_use:?}"
            )));
        }
        if let Some(key_ops) = &self.key_ops
            && !key_ops.iter().any(|o| ops.contains(&o.as_str()))
        {
            return Err(JoseError::KeyRestricted(format!(
                "key_ops includes none of {ops:?}"
            )));
        }
        Ok(())
    }

    /// Copies the restrictions into `jwk` (its `alg`, `use` and `key_ops`).
    pub(crate) fn copy_to(&self, jwk: &mut Jwk) {
        jwk.alg = self.alg.clone();
        jwk.key_use = self.key_use.clone();
        jwk.key_ops = self.key_ops.clone();
    }
}

/// Largest JWK Set accepted by [`JwkSet::from_json`], in bytes.
pub const MAX_JWK_SET_BYTES: usize = 256 * 1024;

/// A JWK Set (RFC 7517 §5).
///
/// Deserializing skips members whose `kty` (or `crv`) is not supported, as RFC 7517 §5
/// advises, instead of failing the whole set; a member of a supported type that is malformed
/// is an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct JwkSet {
    /// The keys (RFC 7517 §5.1).
    pub keys: Vec<Jwk>,
}

fn is_supported_entry(v: &Value) -> bool {
    let kty = v.get("kty").and_then(Value::as_str);
    let crv = v.get("crv").and_then(Value::as_str);
    match kty {
        Some("RSA" | "oct") => true,
        Some("EC") => crv.is_none_or(|c| EcCurve::from_name(c).is_some()),
        Some("OKP") => crv.is_none_or(|c| OkpCurve::from_name(c).is_some()),
        _ => false,
    }
}

impl<'de> Deserialize<'de> for JwkSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct RawSet {
            keys: Vec<Value>,
        }
        let raw = RawSet::deserialize(d)?;
        let mut keys = Vec::with_capacity(raw.keys.len());
        for (i, v) in raw.keys.into_iter().enumerate() {
            if !v.is_object() {
                return Err(serde::de::Error::custom(format_args!(
                    "keys[{i}] is not an object"
                )));
            }
            if !is_supported_entry(&v) {
                continue;
            }
            let jwk = Jwk::deserialize(v)
                .map_err(|e| serde::de::Error::custom(format_args!("keys[{i}]: {e}")))?;
            keys.push(jwk);
        }
        Ok(JwkSet { keys })
    }
}

impl JwkSet {
    /// Parses a JWK Set from JSON: at most `max_bytes` (and never more than
    /// [`MAX_JWK_SET_BYTES`]), no duplicate member names, unsupported key types skipped,
    /// every `x5c` checked, and no two different keys under one `kid` for the same use.
    pub fn from_json(json: &[u8], max_bytes: usize) -> Result<Self> {
        let limit = max_bytes.min(MAX_JWK_SET_BYTES);
        if json.len() > limit {
            return Err(JoseError::TooLarge {
                len: json.len(),
                limit,
            });
        }
        let value = parse_value_strict(json, "JWK Set")?;
        let set: JwkSet = serde_json::from_value(value).map_err(|e| JoseError::Json {
            part: "JWK Set",
            detail: e.to_string(),
        })?;
        for k in &set.keys {
            k.check_x5c()?;
        }
        set.check_duplicate_kids()?;
        Ok(set)
    }

    /// Refuses two different keys with the same `kid` unless their `use` differs.
    fn check_duplicate_kids(&self) -> Result<()> {
        for (i, a) in self.keys.iter().enumerate() {
            let Some(kid) = &a.kid else { continue };
            for b in &self.keys[i + 1..] {
                if b.kid.as_ref() != Some(kid) {
                    continue;
                }
                let uses_differ = matches!((&a.key_use, &b.key_use), (Some(x), Some(y)) if x != y);
                if uses_differ {
                    continue;
                }
                if a.thumbprint_sha256() != b.thumbprint_sha256() {
                    return Err(JoseError::DuplicateKid(truncated(kid)));
                }
            }
        }
        Ok(())
    }

    /// The keys whose `kid` is `kid`.
    pub fn find_kid<'a>(&'a self, kid: &'a str) -> impl Iterator<Item = &'a Jwk> + 'a {
        self.keys
            .iter()
            .filter(move |k| k.kid.as_deref() == Some(kid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7638 §3.1 example key.
    const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    fn rfc7638_jwk() -> Jwk {
        Jwk::from_json(
            format!(
                r#"{{"kty":"RSA","n":"{RFC7638_N}","e":"AQAB","alg":"RS256","kid":"2011-04-29"}}"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn rfc7638_thumbprint() {
        assert_eq!(
            rfc7638_jwk().thumbprint_sha256(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn rfc8037_okp_thumbprint() {
        // RFC 8037 Appendix A.3.
        let jwk = Jwk::from_json(
            br#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
        )
        .unwrap();
        assert_eq!(
            jwk.thumbprint_sha256(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn restrictions_check_alg_use_and_key_ops() {
        let jwk = Jwk::from_json(
            br#"{"kty":"oct","k":"AAAA","alg":"A128KW","use":"enc","key_ops":["wrapKey"]}"#,
        )
        .unwrap();
        let r = Restrictions::of(&jwk);
        r.check("A128KW", "enc", &["encrypt", "wrapKey"]).unwrap();
        for (alg, key_use, ops) in [
            ("A256KW", "enc", &["wrapKey"][..]),
            ("A128KW", "sig", &["wrapKey"][..]),
            ("A128KW", "enc", &["encrypt", "deriveKey"][..]),
        ] {
            assert!(matches!(
                r.check(alg, key_use, ops),
                Err(JoseError::KeyRestricted(_))
            ));
        }
        // No restrictions: anything goes; and they copy back into a JWK.
        Restrictions::default()
            .check("HS256", "sig", &["verify"])
            .unwrap();
        let mut out = Jwk::new(jwk.params.clone());
        r.copy_to(&mut out);
        assert_eq!(out, jwk);
    }

    #[test]
    fn x25519_jwks_parse_with_thumbprints() {
        // RFC 8037 Appendix A.6: the recipient's public key.
        let jwk = Jwk::from_json(
            br#"{"kty":"OKP","crv":"X25519","kid":"Bob","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"}"#,
        )
        .unwrap();
        assert_eq!(jwk.kty(), KeyType::Okp);
        assert!(!jwk.is_private());
        // RFC 7638 §3.2 with the OKP members of RFC 8037 §2: crv, kty, x in that order.
        let input =
            r#"{"crv":"X25519","kty":"OKP","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"}"#;
        let expected = b64::encode(digest::digest(&digest::SHA256, input.as_bytes()).as_ref());
        assert_eq!(jwk.thumbprint_sha256(), expected);

        // With `d` (RFC 7748 §6.1, Bob's private key): private, same thumbprint, and the
        // public form drops `d`.
        let private = Jwk::from_json(
            br#"{"kty":"OKP","crv":"X25519","kid":"Bob","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08","d":"XasIfmJKikt54X-Lg4AO5m87sSkmGLb9HC-LJ_-I4Os"}"#,
        )
        .unwrap();
        assert!(private.is_private());
        assert_eq!(private.thumbprint_sha256(), expected);
        assert_eq!(private.to_public().unwrap(), jwk);
        assert!(!format!("{private:?}").contains("XasIfm"));

        let set = JwkSet::from_json(
            br#"{"keys":[{"kty":"OKP","crv":"X25519","kid":"Bob","use":"enc","x":"3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"}]}"#,
            10_000,
        )
        .unwrap();
        assert_eq!(set.find_kid("Bob").count(), 1);
        assert!(Jwk::from_json(br#"{"kty":"OKP","crv":"X25519"}"#).is_err());
    }

    #[test]
    fn serde_round_trip_and_members() {
        let jwk = rfc7638_jwk();
        assert_eq!(jwk.kty(), KeyType::Rsa);
        assert_eq!(jwk.kid.as_deref(), Some("2011-04-29"));
        let text = serde_json::to_string(&jwk).unwrap();
        assert!(text.contains(r#""kty":"RSA""#));
        let back: Jwk = serde_json::from_str(&text).unwrap();
        assert_eq!(back, jwk);
    }

    #[test]
    fn to_public_strips_private_members() {
        let jwk = Jwk::from_json(
            br#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cLyhyaA_QwvyuRAQpEl5Kk","kid":"e1"}"#,
        )
        .unwrap();
        assert!(jwk.is_private());
        let public = jwk.to_public().unwrap();
        assert!(!public.is_private());
        assert_eq!(public.kid.as_deref(), Some("e1"));
        assert!(!serde_json::to_string(&public).unwrap().contains("\"d\""));
        let oct = Jwk::from_json(br#"{"kty":"oct","k":"AAAA"}"#).unwrap();
        assert!(oct.to_public().is_none());
    }

    #[test]
    fn debug_redacts_private_members() {
        let jwk = Jwk::from_json(br#"{"kty":"oct","k":"c2VjcmV0c2VjcmV0"}"#).unwrap();
        assert!(!format!("{jwk:?}").contains("c2VjcmV0c2VjcmV0"));
    }

    #[test]
    fn jwk_refuses_duplicates_and_bad_types() {
        assert_eq!(
            Jwk::from_json(br#"{"kty":"oct","k":"AAAA","k":"BBBB"}"#),
            Err(JoseError::DuplicateMember("k".into()))
        );
        assert!(Jwk::from_json(br#"{"kty":"EC","crv":"P-256","x":"AA"}"#).is_err());
        assert!(Jwk::from_json(br#"{"kty":"RSA","n":1,"e":"AQAB"}"#).is_err());
    }

    #[test]
    fn set_skips_unknown_kty_and_curves() {
        let set = JwkSet::from_json(
            br#"{"keys":[
                {"kty":"PQC","x":"zz"},
                {"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"},
                {"kty":"OKP","crv":"Ed448","x":"AA"},
                {"kty":"oct","k":"AAAA","kid":"s"}
            ]}"#,
            10_000,
        )
        .unwrap();
        assert_eq!(set.keys.len(), 1);
        assert_eq!(set.find_kid("s").count(), 1);
    }

    #[test]
    fn set_refuses_malformed_known_entries_and_size() {
        assert!(JwkSet::from_json(br#"{"keys":[{"kty":"RSA","n":"AQAB"}]}"#, 10_000).is_err());
        assert!(JwkSet::from_json(br#"{"keys":[1]}"#, 10_000).is_err());
        assert!(JwkSet::from_json(br#"{"nokeys":[]}"#, 10_000).is_err());
        assert!(matches!(
            JwkSet::from_json(br#"{"keys":[]}"#, 5),
            Err(JoseError::TooLarge { .. })
        ));
    }

    #[test]
    fn set_refuses_duplicate_kid_with_different_keys() {
        let dup =
            br#"{"keys":[{"kty":"oct","k":"AAAA","kid":"a"},{"kty":"oct","k":"BBBB","kid":"a"}]}"#;
        assert_eq!(
            JwkSet::from_json(dup, 10_000),
            Err(JoseError::DuplicateKid("a".into()))
        );
        let same =
            br#"{"keys":[{"kty":"oct","k":"AAAA","kid":"a"},{"kty":"oct","k":"AAAA","kid":"a"}]}"#;
        assert!(JwkSet::from_json(same, 10_000).is_ok());
        let uses = br#"{"keys":[{"kty":"oct","k":"AAAA","kid":"a","use":"sig"},{"kty":"oct","k":"BBBB","kid":"a","use":"enc"}]}"#;
        assert!(JwkSet::from_json(uses, 10_000).is_ok());
    }
}
