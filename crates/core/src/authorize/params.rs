//! Stage 1: the raw parameters of an authorization request (SPEC §4.1).
//!
//! RFC 6749 §3.1: parameters sent without a value are treated as omitted, and request
//! parameters MUST NOT be included more than once. `request` and `request_uri` together are
//! refused (RFC 9101 §5).

use crate::error::OAuthError;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Longest accepted parameter value other than `request` (bytes).
pub const MAX_PARAM_BYTES: usize = 4096;
/// Most distinct parameters accepted.
pub const MAX_PARAMS: usize = 64;

/// The parameters as received, each at most once, empty values dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawParams(BTreeMap<String, String>);

impl RawParams {
    /// Parse `application/x-www-form-urlencoded` (a query string or a form body).
    /// `max_bytes` bounds the whole input before parsing.
    pub fn parse(input: &[u8], max_bytes: usize) -> Result<Self, OAuthError> {
        if input.len() > max_bytes {
            return Err(OAuthError::invalid_request(format!(
                "the request parameters exceed {max_bytes} bytes"
            )));
        }
        let mut map = BTreeMap::new();
        for pair in pairs(input).filter(|p| !p.is_empty()) {
            let (k, v) = decode_pair(pair)?;
            if map.len() >= MAX_PARAMS {
                return Err(OAuthError::invalid_request("too many parameters"));
            }
            if k.len() > 64 {
                return Err(OAuthError::invalid_request("a parameter name is too long"));
            }
            if k != "request" && v.len() > MAX_PARAM_BYTES {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {} is longer than {MAX_PARAM_BYTES} bytes",
                    printable(&k)
                )));
            }
            if map.contains_key(k.as_ref()) {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {} is included more than once (RFC 6749 §3.1)",
                    printable(&k)
                )));
            }
            map.insert(k.into_owned(), v.into_owned());
        }
        map.retain(|_, v| !v.is_empty());
        if map.contains_key("request") && map.contains_key("request_uri") {
            return Err(OAuthError::invalid_request(
                "request and request_uri must not both be present (RFC 9101 §5)",
            ));
        }
        Ok(RawParams(map))
    }

    /// From an already-built map (tests, PAR).
    pub fn from_map(map: BTreeMap<String, String>) -> Self {
        RawParams(map)
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Every parameter.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The map.
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// The map, taken.
    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }
}

/// The `&`-separated parts of `input`. The scans of a query use `memchr` (vector
/// instructions): a request object by value is most of a ~1 kB query, and byte-by-byte
/// scans of it cost ~10 k instructions per `/authorize` (issue 18).
fn pairs(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(input);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memchr(b'&', r) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// One `name=value` of `application/x-www-form-urlencoded` (URL Standard §5.1), decoded:
/// `+` is a space, `%XX` a byte, a `%` not followed by two hex digits stays as it is, and a
/// missing `=` gives an empty value. The bytes must be UTF-8 (RFC 6749 Appendix B) and may not
/// contain U+FFFD: a decoder that replaced invalid bytes would have produced it, so it is
/// refused whether it was sent or made.
///
/// The common pair (a request object, an id, a URL-safe token) has no `%` and no `+`; it is
/// checked with `memchr` and borrowed, not copied. Others go through `form_urlencoded`.
fn decode_pair(pair: &[u8]) -> Result<(Cow<'_, str>, Cow<'_, str>), OAuthError> {
    let not_utf8 = || OAuthError::invalid_request("parameters must be UTF-8 (RFC 6749 Appendix B)");
    let escaped = memchr::memchr2(b'%', b'+', pair).is_some();
    let (k, v) = if escaped {
        match url::form_urlencoded::parse(pair).next() {
            Some((k, v)) => (k, v),
            None => (Cow::Borrowed(""), Cow::Borrowed("")),
        }
    } else {
        let (k, v) = match memchr::memchr(b'=', pair) {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let k = std::str::from_utf8(k).map_err(|_| not_utf8())?;
        let v = std::str::from_utf8(v).map_err(|_| not_utf8())?;
        (Cow::Borrowed(k), Cow::Borrowed(v))
    };
    if k.contains('\u{FFFD}') || v.contains('\u{FFFD}') {
        return Err(not_utf8());
    }
    Ok((k, v))
}

/// A parameter's value, refused with `invalid_request` when longer than `max` bytes (SPEC
/// §11: every size bounded).
pub fn bounded(
    v: Option<&str>,
    name: &'static str,
    max: usize,
) -> Result<Option<String>, OAuthError> {
    match v {
        Some(s) if s.len() > max => Err(OAuthError::invalid_request(format!(
            "{name} is longer than {max} bytes"
        ))),
        other => Ok(other.map(str::to_string)),
    }
}

/// A parameter name made safe to quote in a description (printable ASCII, at most 40 chars).
pub fn printable(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(40)
        .collect();
    format!("\"{cleaned}\"")
}

/// A value from the input made safe for logs and descriptions: printable ASCII only, at most
/// 64 characters.
pub fn printable_value(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_parameter_is_refused_rfc6749_3_1() {
        let e = RawParams::parse(b"client_id=a&scope=x&scope=y", 10_000).unwrap_err();
        assert_eq!(e.code, writ_protocol::ErrorCode::InvalidRequest);
        assert!(e.description.contains("scope"));
    }

    #[test]
    fn empty_values_are_omitted_rfc6749_3_1() {
        let p = RawParams::parse(b"client_id=a&state=", 10_000).unwrap();
        assert_eq!(p.get("state"), None);
        assert_eq!(p.get("client_id"), Some("a"));
    }

    #[test]
    fn request_and_request_uri_together_are_refused() {
        assert!(RawParams::parse(b"client_id=a&request=x&request_uri=y", 10_000).is_err());
    }

    #[test]
    fn oversized_input_is_refused_before_parsing() {
        let big = vec![b'a'; 2000];
        assert!(RawParams::parse(&big, 1000).is_err());
    }

    /// The fast path (no `%`, no `+`) and the slow one decode as the URL Standard does: the
    /// same pairs as `form_urlencoded` for every input that is valid UTF-8 once decoded.
    #[test]
    fn decoding_agrees_with_the_url_standard() {
        let inputs: [&[u8]; 12] = [
            b"a=b&c=d",
            b"a=b+c&d=%41%42",
            b"a==b&=c&d",
            b"&&a=1&&b=2&",
            b"a=%zz&b=%4&c=%",
            b"n%61me=v%2Bal+ue",
            b"x=%E2%9C%93&y=\xE2\x9C\x93",
            b"request=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhIn0.c2ln&client_id=c",
            b"a=b%26c%3Dd",
            b"only-a-name",
            b"a=",
            b"=",
        ];
        for input in inputs {
            let ours: Vec<(String, String)> = input
                .split(|b| *b == b'&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = decode_pair(p).unwrap();
                    (k.into_owned(), v.into_owned())
                })
                .collect();
            let standard: Vec<(String, String)> = url::form_urlencoded::parse(input)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            assert_eq!(ours, standard, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn non_utf8_is_refused_escaped_or_raw_and_so_is_u_fffd() {
        for input in [
            &b"client_id=a&state=\xFF"[..],
            b"client_id=a&st\xC3ate=1",
            b"client_id=a&state=%C3",
            b"client_id=a&state=\xEF\xBF\xBD",
            b"client_id=a&state=%EF%BF%BD",
        ] {
            let e = RawParams::parse(input, 10_000).unwrap_err();
            assert!(e.description.contains("UTF-8"), "{}", e.description);
        }
    }

    #[test]
    fn unescaped_values_are_taken_as_they_are() {
        let p = RawParams::parse(b"client_id=a.b-c_d~e&request=x.y.z", 10_000).unwrap();
        assert_eq!(p.get("client_id"), Some("a.b-c_d~e"));
        assert_eq!(p.get("request"), Some("x.y.z"));
    }

    #[test]
    fn non_utf8_is_refused() {
        assert!(RawParams::parse(b"client_id=%FF%FE", 10_000).is_err());
    }
}
