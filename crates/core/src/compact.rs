//! A compact binary form for what only this server writes and reads back: the pending
//! interaction sealed into its id (`crate::interaction_handle`). Every `/authorize` writes one,
//! encrypts it and base64url-encodes it into the `Location`, so its size and the cost of
//! writing it are on the hot path (issue 18): no member names, no quotes, no escaping.
//!
//! The form: unsigned integers as LEB128 (at most 10 bytes), signed ones zig-zag encoded,
//! byte strings and UTF-8 strings as their length then their bytes, an absent value as `0`
//! and a present one as `1` then the value. Rare, open-ended values (a JSON claim that is not
//! a string or an integer, `authorization_details`) are their JSON text as a string.
//!
//! Reading is bounded by the input: a length or a count larger than the bytes left is an
//! error before anything is allocated, and so are a truncated value, bytes that are not UTF-8
//! where a string is read, an integer past 64 bits, and bytes left over at the end.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a compact form did not read (or, for a JSON part, did not write).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("compact form: {0}")]
pub struct FormError(pub &'static str);

/// A value with a compact form.
pub trait Compact: Sized {
    /// Appends the compact form of `self` to `w`.
    fn write(&self, w: &mut Writer) -> Result<(), FormError>;
    /// Reads one value from `r`.
    fn read(r: &mut Reader<'_>) -> Result<Self, FormError>;
}

/// Writes a compact form into a buffer.
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// A writer appending to `buf`.
    pub fn new(buf: Vec<u8>) -> Self {
        Writer { buf }
    }

    /// The bytes written.
    pub fn into_inner(self) -> Vec<u8> {
        self.buf
    }

    /// One byte.
    pub fn u8(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// An unsigned integer, LEB128.
    pub fn uint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.buf.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        self.buf.push(n as u8);
    }

    /// A signed integer, zig-zag then LEB128.
    pub fn int(&mut self, n: i64) {
        self.uint(((n << 1) ^ (n >> 63)) as u64);
    }

    /// A byte string: its length, then its bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        self.uint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }

    /// A UTF-8 string.
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// An optional string: `0`, or `1` and the string.
    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }

    /// A list of strings: the count, then each.
    pub fn strs<S: AsRef<str>>(&mut self, list: &[S]) {
        self.uint(list.len() as u64);
        for s in list {
            self.str(s.as_ref());
        }
    }

    /// A value as its JSON text.
    pub fn json<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), FormError> {
        let text = serde_json::to_vec(v).map_err(|_| FormError("a JSON part did not write"))?;
        self.bytes(&text);
        Ok(())
    }
}

/// Reads a compact form.
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader of `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Reader { rest: input }
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, FormError> {
        let (&b, rest) = self.rest.split_first().ok_or(FormError("truncated"))?;
        self.rest = rest;
        Ok(b)
    }

    /// `0` or `1`.
    pub fn flag(&mut self) -> Result<bool, FormError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(FormError("a flag is neither 0 nor 1")),
        }
    }

    /// An unsigned integer (LEB128, at most 64 bits).
    pub fn uint(&mut self) -> Result<u64, FormError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(FormError("an integer past 64 bits"));
            }
            n |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(FormError("an integer past 64 bits"))
    }

    /// A signed integer (zig-zag).
    pub fn int(&mut self) -> Result<i64, FormError> {
        let z = self.uint()?;
        Ok((z >> 1) as i64 ^ -((z & 1) as i64))
    }

    /// A length or a count: at most the bytes left, since every item takes at least one.
    pub fn count(&mut self) -> Result<usize, FormError> {
        let n = self.uint()?;
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= self.rest.len())
            .ok_or(FormError("a length past the end"))
    }

    /// A byte string.
    pub fn bytes(&mut self) -> Result<&'a [u8], FormError> {
        let n = self.count()?;
        let (b, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(b)
    }

    /// A UTF-8 string.
    pub fn str(&mut self) -> Result<&'a str, FormError> {
        std::str::from_utf8(self.bytes()?).map_err(|_| FormError("a string is not UTF-8"))
    }

    /// A UTF-8 string, owned.
    pub fn string(&mut self) -> Result<String, FormError> {
        self.str().map(str::to_string)
    }

    /// An optional string.
    pub fn opt_string(&mut self) -> Result<Option<String>, FormError> {
        if self.flag()? {
            self.string().map(Some)
        } else {
            Ok(None)
        }
    }

    /// A list of strings.
    pub fn strings(&mut self) -> Result<Vec<String>, FormError> {
        let n = self.count()?;
        (0..n).map(|_| self.string()).collect()
    }

    /// A value from its JSON text.
    pub fn json<T: DeserializeOwned>(&mut self) -> Result<T, FormError> {
        serde_json::from_slice(self.bytes()?).map_err(|_| FormError("a JSON part did not read"))
    }

    /// The end: no bytes may be left.
    pub fn end(self) -> Result<(), FormError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(FormError("bytes after the end"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_strings_and_lists_read_back_as_written() {
        let mut w = Writer::new(Vec::new());
        let uints = [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        let ints = [0, -1, 1, i64::MIN, i64::MAX, -300];
        for n in uints {
            w.uint(n);
        }
        for n in ints {
            w.int(n);
        }
        w.str("état \"quoted\"");
        w.opt_str(None);
        w.opt_str(Some(""));
        w.strs(&["a", "b"]);
        w.json(&serde_json::json!({"x": [1, 2]})).unwrap();
        let bytes = w.into_inner();
        let mut r = Reader::new(&bytes);
        for n in uints {
            assert_eq!(r.uint().unwrap(), n);
        }
        for n in ints {
            assert_eq!(r.int().unwrap(), n);
        }
        assert_eq!(r.str().unwrap(), "état \"quoted\"");
        assert_eq!(r.opt_string().unwrap(), None);
        assert_eq!(r.opt_string().unwrap(), Some(String::new()));
        assert_eq!(r.strings().unwrap(), ["a", "b"]);
        let v: serde_json::Value = r.json().unwrap();
        assert_eq!(v, serde_json::json!({"x": [1, 2]}));
        r.end().unwrap();
    }

    #[test]
    fn bad_input_is_an_error_before_any_allocation() {
        // A length past the end: refused before a buffer of that size is made.
        let mut w = Writer::new(Vec::new());
        w.uint(u64::MAX);
        assert_eq!(
            Reader::new(&w.into_inner()).strings(),
            Err(FormError("a length past the end"))
        );
        // Truncated, past 64 bits, not UTF-8, a flag of 2, bytes left over.
        assert!(Reader::new(&[0x80]).uint().is_err());
        assert!(Reader::new(&[0xff; 11]).uint().is_err());
        assert!(
            Reader::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])
                .uint()
                .is_err()
        );
        assert!(Reader::new(&[1, 0xff]).str().is_err());
        assert!(Reader::new(&[2]).flag().is_err());
        assert!(Reader::new(&[0]).end().is_err());
    }
}
