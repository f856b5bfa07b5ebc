//! SSRF-safe outbound HTTP for Writ: client-hosted request objects (`request_uri`, RFC 9101
//! §5.2, SPEC §5) and client JWK sets (`jwks_uri`, SPEC §2).
//!
//! RFC 9101 §10.4 warns that fetching a URL chosen by the client turns the authorization server
//! into a tool for reaching places the client cannot (SSRF). This first piece is the deny table
//! of addresses never fetched from ([`is_forbidden_address`]).
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
#![warn(missing_docs)]

mod address;

pub use address::is_forbidden_address;
