//! JSON parsing that refuses duplicate member names.
//!
//! RFC 7515 §5.2 and RFC 7516 §5.2 require that a header with duplicate Header Parameter
//! names be rejected; serde_json keeps the last one silently. This parser checks every
//! object at every depth (serde_json's recursion limit of 128 still applies).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

use crate::error::{JoseError, Result, truncated};

const DUPLICATE_PREFIX: &str = "duplicate member ";

/// A `serde_json::Value` whose objects had no duplicate member names.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let StrictValue(value) = map.next_value()?;
            // One walk of the map for both the check and the insert.
            match out.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(taken) => {
                    return Err(de::Error::custom(format_args!(
                        "{DUPLICATE_PREFIX}{}",
                        truncated(taken.key())
                    )));
                }
            }
        }
        Ok(Value::Object(out))
    }
}

/// Parses `bytes` as one JSON value, refusing duplicate member names at any depth.
pub fn parse_value_strict(bytes: &[u8], part: &'static str) -> Result<Value> {
    match serde_json::from_slice::<StrictValue>(bytes) {
        Ok(StrictValue(v)) => Ok(v),
        Err(e) => {
            let text = e.to_string();
            if let Some(rest) = text.strip_prefix(DUPLICATE_PREFIX) {
                let name = rest.split(" at line ").next().unwrap_or(rest);
                Err(JoseError::DuplicateMember(name.to_owned()))
            } else {
                Err(JoseError::Json { part, detail: text })
            }
        }
    }
}

/// Parses `bytes` as a JSON object, refusing duplicate member names at any depth.
///
/// Useful for JWT claim sets too (RFC 7519 §4: "Claim Names within a JWT Claims Set MUST
/// be unique"; parsers MUST either reject duplicates or keep the last — this one rejects).
pub fn parse_object_strict(bytes: &[u8], part: &'static str) -> Result<Map<String, Value>> {
    match parse_value_strict(bytes, part)? {
        Value::Object(map) => Ok(map),
        _ => Err(JoseError::Json {
            part,
            detail: "not a JSON object".to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_objects() {
        let m =
            parse_object_strict(br#"{"a":1,"b":[1,2,{"c":null}],"d":1.5,"e":-3}"#, "t").unwrap();
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn refuses_top_level_duplicates() {
        let e = parse_object_strict(br#"{"alg":"HS256","alg":"none"}"#, "t").unwrap_err();
        assert_eq!(e, JoseError::DuplicateMember("alg".into()));
    }

    #[test]
    fn refuses_nested_duplicates() {
        let e = parse_object_strict(br#"{"a":{"x":1,"x":2}}"#, "t").unwrap_err();
        assert_eq!(e, JoseError::DuplicateMember("x".into()));
        let e = parse_object_strict(br#"{"a":[{"x":1,"x":2}]}"#, "t").unwrap_err();
        assert_eq!(e, JoseError::DuplicateMember("x".into()));
    }

    #[test]
    fn refuses_escaped_duplicates() {
        // "\u0061lg" is "alg".
        let e = parse_object_strict(br#"{"alg":"HS256","\u0061lg":"none"}"#, "t").unwrap_err();
        assert_eq!(e, JoseError::DuplicateMember("alg".into()));
    }

    #[test]
    fn refuses_non_objects_and_trailing_data() {
        assert!(matches!(
            parse_object_strict(b"[1]", "t"),
            Err(JoseError::Json { .. })
        ));
        assert!(matches!(
            parse_object_strict(b"{} x", "t"),
            Err(JoseError::Json { .. })
        ));
        assert!(matches!(
            parse_object_strict(b"{\"a\":\"\xff\"}", "t"),
            Err(JoseError::Json { .. })
        ));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(parse_value_strict(deep.as_bytes(), "t").is_err());
    }
}
