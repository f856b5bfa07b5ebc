//! The bodies of Writ's fuzz targets (issue 16, deliverable 8).
//!
//! Each function takes the fuzzer's bytes, drives one parser or check of the server with them,
//! and panics only when a property of that code does not hold: a panic inside the code under
//! test, or an invariant the function asserts (a refusal described with characters RFC 6749
//! §4.1.2.1 forbids, an error delivered to an unregistered redirect URI, a proof accepted
//! twice, ...). `fuzz/` runs them under libFuzzer (`cargo +nightly fuzz run <target>`); the
//! test `tests/regressions.rs` replays every seed and every kept crasher of `fuzz/` through
//! the same functions on stable, in the normal test suite.
//!
//! | target | function | what it drives |
//! |--------|----------|----------------|
//! | `jws_compact` | [`jose::jws_compact`] | JWS compact parsing and verification |
//! | `jwe_compact` | [`jose::jwe_compact`] | JWE compact parsing and decryption |
//! | `jwk_set` | [`jose::jwk_set`] | JWK, JWK Set and certificate parsing |
//! | `authorize_query` | [`authorize::query`] | the query and form parser, then the whole authorization pipeline |
//! | `request_object_claims` | [`authorize::request_object_claims`] | a request object signed with the client's key around arbitrary claims |
//! | `dpop_proof` | [`dpop::proof`] | the DPoP proof checks, with the replay cache |
//! | `config` | [`config::file`] | the configuration file parser and validation |
#![forbid(unsafe_code)]
#![allow(clippy::panic)]

pub mod authorize;
pub mod config;
pub mod dpop;
pub mod jose;

/// One fuzz target's body: the fuzzer's bytes in, a panic when a property fails.
pub type Target = fn(&[u8]);

/// Every target, by the name `fuzz/` and its seed and regression folders use.
pub const TARGETS: &[(&str, Target)] = &[
    ("jws_compact", jose::jws_compact),
    ("jwe_compact", jose::jwe_compact),
    ("jwk_set", jose::jwk_set),
    ("authorize_query", authorize::query),
    ("request_object_claims", authorize::request_object_claims),
    ("dpop_proof", dpop::proof),
    ("config", config::file),
];

/// RFC 6749 §4.1.2.1: `error_description` is `%x20-21 / %x23-5B / %x5D-7E`.
pub fn assert_description_chars(description: &str) {
    assert!(
        description
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)),
        "an error_description has a character RFC 6749 §4.1.2.1 forbids: {description:?}"
    );
}

#[cfg(test)]
mod tests {
    use super::assert_description_chars;

    #[test]
    fn a_description_of_allowed_characters_passes() {
        assert_description_chars("the request object's signature does not verify (kid 'k1')");
    }

    #[test]
    #[should_panic(expected = "RFC 6749 §4.1.2.1")]
    fn a_description_with_a_quote_mark_fails() {
        assert_description_chars("bad \"value\"");
    }

    #[test]
    #[should_panic(expected = "RFC 6749 §4.1.2.1")]
    fn a_description_with_a_control_character_fails() {
        assert_description_chars("line\nbreak");
    }
}
