//! Writ's protocol vocabulary: the error codes of the RFCs, the client registration, and the
//! configuration surface of SPEC §2. Pure data and validation; no I/O.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod alg;
pub mod claims;
pub mod client;
pub mod config;
pub mod error;
pub mod http;
pub mod keys;
pub mod login;
pub mod preset;
pub mod profile;
pub mod rar;
pub mod tokens;
pub mod units;

pub use error::ErrorCode;
