//! JOSE for Writ: JWS (RFC 7515), JWE (RFC 7516), JWK (RFC 7517), JWA (RFC 7518), JWK
//! thumbprints (RFC 7638) and Ed25519 (RFC 8037), on aws-lc-rs primitives only.
//!
//! Security posture:
//! - `alg: none` has no representation ([`JwsAlg`] has no such variant) and is refused by the
//!   parser with its own error, [`JoseError::AlgNone`].
//! - Keys are never taken from a token's header; the caller selects them
//!   ([`select_verifying_keys`]) and each key enforces its own algorithm family, curve, size,
//!   `alg`, `use` and `key_ops` ([`VerifyingKey::check_alg`]).
//! - Sizes are bounded before decoding; base64url and JSON are parsed strictly (duplicate
//!   member names are refused).
//! - MACs are compared in constant time.
//! - No I/O, no `unsafe`, no panics on any input.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
#![warn(missing_docs)]

mod alg;
mod b64;
mod compact;
mod content;
mod error;
mod json;
mod jwe;
mod jwe_dir;
mod jwe_header;
mod jwe_keys;
mod jwk;
mod jws;
mod jws_keys;
mod key_common;
mod key_management;
mod material;

pub use alg::{AlgFamily, EcCurve, JweAlg, JweEnc, JwsAlg, KeyType, OkpCurve};
pub use compact::MAX_HEADER_BYTES;
pub use error::{JoseError, Result};
pub use json::{parse_object_strict, parse_value_strict};
pub use jwe::{DecryptedJwe, EncryptedJwe, encrypt_compact, select_decryption_keys};
pub use jwe_dir::{DIR_A256GCM_KEY_BYTES, DirA256GcmSealer, GCM_IV_BYTES};
pub use jwe_header::JweHeader;
pub use jwe_keys::{
    DecryptionKey, DecryptionKeyKind, EncryptionKey, derive_key_from_client_secret,
};
pub use jwk::{
    EcParams, Jwk, JwkParams, JwkSet, MAX_JWK_SET_BYTES, OctParams, OkpParams, RsaParams,
};
pub use jws::{
    JwsHeader, UnsecuredJws, UnverifiedJws, VerifiedJws, select_verifying_keys, sign_compact,
};
pub use jws_keys::{SigningKey, SigningKeyKind, VerifyingKey};
pub use key_common::MIN_RSA_BITS;
