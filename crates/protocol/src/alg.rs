//! Algorithm names in the configuration (SPEC §2): `[jar] signing_algs`, `[jar.encryption]
//! algs` / `encs`, and a client's `request_object_signing_alg`, `request_object_encryption_alg`
//! and `request_object_encryption_enc`.
//!
//! They are held as the `writ-jose` enums ([`JwsAlg`] RFC 7518 §3.1, [`JweAlg`] RFC 7518 §4.1,
//! [`JweEnc`] RFC 7518 §5.1), parsed once, when the file or the JSON is read, by the enums' own
//! `FromStr`: the names Writ accepts are exactly the names those enums have. A name that does
//! not parse is kept as [`Configured::Refused`] so that validation can report it with its key,
//! together with every other problem of the file (`Config::validate`, `ClientConfig::validate`),
//! and nothing downstream ever sees it: a configuration with a refused name does not start, and
//! a client with one cannot be registered or loaded.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
pub use writ_jose::{JweAlg, JweEnc, JwsAlg};

/// An algorithm named in the configuration: the typed value when the name is one Writ
/// implements, else the name as written, kept only so that validation can say which key holds
/// it and why it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Configured<T> {
    /// A name that parsed.
    Known(T),
    /// A name that did not parse (unknown, `none` where it is not allowed, `Ed448`, `RSA1_5`,
    /// `PBES2-*`, ...): configuration validation reports it.
    Refused(String),
}

impl<T: Copy + PartialEq> Configured<T> {
    /// Whether this is exactly `value`. A refused name is nothing, so it never matches.
    pub fn is(&self, value: T) -> bool {
        matches!(self, Configured::Known(k) if *k == value)
    }

    /// The name that did not parse, if any.
    pub fn refused(&self) -> Option<&str> {
        match self {
            Configured::Known(_) => None,
            Configured::Refused(name) => Some(name),
        }
    }
}

impl<T: FromStr> Configured<T> {
    /// Parse one name.
    pub fn parse(name: &str) -> Self {
        name.parse()
            .map_or_else(|_| Configured::Refused(name.to_owned()), Configured::Known)
    }
}

impl<T: fmt::Display> fmt::Display for Configured<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Configured::Known(k) => k.fmt(f),
            Configured::Refused(name) => f.write_str(name),
        }
    }
}

impl<T: fmt::Display> Serialize for Configured<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de, T: FromStr> Deserialize<'de> for Configured<T> {
    /// A string (anything else is a type error, as before); its name is parsed by `T`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Configured::parse(&s))
    }
}

/// A list of algorithm names (`[jar] signing_algs`, `[jar.encryption] algs` / `encs`): the
/// typed algorithms in the order written, and apart from them the names that did not parse,
/// for validation to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgList<T> {
    known: Vec<T>,
    refused: Vec<String>,
}

impl<T> AlgList<T> {
    /// The algorithms, in the order written.
    pub fn algs(&self) -> &[T] {
        &self.known
    }

    /// The algorithms, in the order written.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.known.iter()
    }

    /// The names that did not parse, in the order written.
    pub fn refused(&self) -> &[String] {
        &self.refused
    }

    /// Whether the list names nothing at all (neither an algorithm nor a refused name).
    pub fn is_empty(&self) -> bool {
        self.known.is_empty() && self.refused.is_empty()
    }
}

impl<T: PartialEq> AlgList<T> {
    /// Whether `alg` is listed.
    pub fn contains(&self, alg: &T) -> bool {
        self.known.contains(alg)
    }
}

impl<T> From<Vec<T>> for AlgList<T> {
    fn from(known: Vec<T>) -> Self {
        AlgList {
            known,
            refused: Vec::new(),
        }
    }
}

impl<T> FromIterator<T> for AlgList<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Vec::from_iter(iter).into()
    }
}

impl<'a, T> IntoIterator for &'a AlgList<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: fmt::Display> Serialize for AlgList<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let names: Vec<String> = self
            .known
            .iter()
            .map(ToString::to_string)
            .chain(self.refused.iter().cloned())
            .collect();
        names.serialize(s)
    }
}

impl<'de, T: FromStr> Deserialize<'de> for AlgList<T> {
    /// A list of strings; each name is parsed by `T`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut list = AlgList {
            known: Vec::new(),
            refused: Vec::new(),
        };
        for name in Vec::<Configured<T>>::deserialize(d)? {
            match name {
                Configured::Known(k) => list.known.push(k),
                Configured::Refused(name) => list.refused.push(name),
            }
        }
        Ok(list)
    }
}

/// The value of a client's `request_object_signing_alg` (OpenID Connect Dynamic Client
/// Registration §2; RFC 9101 §10.5): a JWS algorithm (RFC 7518 §3.1), or `none`, which names
/// unsigned request objects (RFC 7518 §3.6) and needs `allow_unsigned_by_value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestObjectSigningAlg {
    /// `none`: an unsigned request object (RFC 7518 §3.6), by value only.
    Unsigned,
    /// Signed with exactly this algorithm.
    Signed(JwsAlg),
}

impl RequestObjectSigningAlg {
    /// The registered name: `none`, or the algorithm's (RFC 7518 §7.1.2).
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestObjectSigningAlg::Unsigned => "none",
            RequestObjectSigningAlg::Signed(a) => a.as_str(),
        }
    }
}

impl fmt::Display for RequestObjectSigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RequestObjectSigningAlg {
    type Err = writ_jose::JoseError;

    /// `none` (exactly, RFC 7518 §3.6), else a JWS algorithm, case-sensitively (RFC 7515
    /// §4.1.1).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "none" {
            return Ok(RequestObjectSigningAlg::Unsigned);
        }
        s.parse().map(RequestObjectSigningAlg::Signed)
    }
}

/// The error for a signing algorithm `field` names that does not parse as a [`JwsAlg`].
/// `Ed448` (RFC 9864 §2.2) is registered but not supported, and the message says what to use.
pub(crate) fn unknown_jws_alg(field: &str, alg: &str) -> String {
    if alg == "Ed448" {
        format!(
            "{field}: \"Ed448\" is not supported (no Ed448 keys); an Ed25519 key signs as \"Ed25519\" or \"EdDSA\""
        )
    } else {
        format!("{field}: unknown algorithm {alg:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_into_the_jose_enums_rfc7518_7_1_2() {
        let l: AlgList<JwsAlg> =
            serde_json::from_str(r#"["PS256","Ed448","ES256","none"]"#).unwrap();
        assert_eq!(l.algs(), [JwsAlg::PS256, JwsAlg::ES256]);
        assert_eq!(l.refused(), ["Ed448", "none"]);
        assert!(!l.is_empty());
        assert_eq!(
            serde_json::to_string(&l).unwrap(),
            r#"["PS256","ES256","Ed448","none"]"#
        );
        let e: Configured<JweEnc> = serde_json::from_str(r#""A256GCM""#).unwrap();
        assert!(e.is(JweEnc::A256Gcm));
        let a: Configured<JweAlg> = serde_json::from_str(r#""RSA1_5""#).unwrap();
        assert_eq!(a.refused(), Some("RSA1_5"));
        assert!(!a.is(JweAlg::RsaOaep));
        assert_eq!(serde_json::to_string(&a).unwrap(), r#""RSA1_5""#);
        assert!(serde_json::from_str::<Configured<JweAlg>>("5").is_err());
        assert!(
            serde_json::from_str::<AlgList<JweAlg>>(r#"[]"#)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn request_object_signing_alg_names_none_or_a_jws_alg() {
        for (name, want) in [
            ("none", RequestObjectSigningAlg::Unsigned),
            ("ES256", RequestObjectSigningAlg::Signed(JwsAlg::ES256)),
            ("Ed25519", RequestObjectSigningAlg::Signed(JwsAlg::Ed25519)),
        ] {
            let got: RequestObjectSigningAlg = name.parse().unwrap();
            assert_eq!(got, want);
            assert_eq!(got.to_string(), name);
        }
        for name in ["NONE", "None", "Ed448", "es256", ""] {
            assert!(name.parse::<RequestObjectSigningAlg>().is_err(), "{name}");
        }
    }
}
