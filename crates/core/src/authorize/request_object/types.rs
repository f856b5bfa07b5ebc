//! What a validated request remembers about its request object (SPEC §4.8, §8; RFC 9101 §4
//! header, RFC 7516 §4.1 JWE parameters): plain data for the interaction, the consent page
//! and a custom UI. The object's states themselves live with the stage that proves each one.

use crate::clients::KeySource;
use serde::{Deserialize, Serialize};

/// The JWE parameters of an encrypted request object (SPEC §4.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    /// JWE `alg`.
    pub alg: String,
    /// JWE `enc`.
    pub enc: String,
    /// JWE `kid`, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// The JWS header fields a custom UI and the consent page show (SPEC §4.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestObjectHeader {
    /// `alg` (`none` for an allowed unsigned object).
    pub alg: String,
    /// `kid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `typ`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// The registered key whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    /// The key's registered `kid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Key type (`RSA`, `EC`, `OKP`, `oct`).
    pub kty: String,
    /// Where the key came from.
    pub source: KeySource,
    /// RFC 7638 SHA-256 thumbprint (asymmetric keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
}

/// What the validated request remembers about its request object (SPEC §4.8, §8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestObjectInfo {
    /// The JWS header.
    pub header: RequestObjectHeader,
    /// The key that verified it; `None` for an allowed unsigned object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
    /// The JWE parameters when it was encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
}
