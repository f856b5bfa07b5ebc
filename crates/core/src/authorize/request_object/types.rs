//! The request object's states (DESIGN "Types carry the state"):
//! [`ResolvedRequestObject`] (stage 2) → [`DecryptedRequestObject`](super::decrypt::DecryptedRequestObject)
//! (stage 3) → [`VerifiedRequestObject`] (stage 4) → [`ValidatedRequestObject`] (stage 5).
//! Only stage 4 can make a `VerifiedRequestObject` and only stage 5 a
//! `ValidatedRequestObject`; only the latter's claims become request parameters.

use crate::authorize::source::Transport;
use crate::clients::KeySource;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Stage 2's output: the request object as received, with its transport.
#[derive(Debug, Clone)]
pub struct ResolvedRequestObject {
    /// The compact JWS or JWE.
    pub token: String,
    /// How it arrived.
    pub transport: Transport,
}

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

/// Stage 4's output: the signature verified (or an allowed unsigned object), claims not
/// yet checked.
#[derive(Debug, Clone)]
pub struct VerifiedRequestObject {
    pub(super) info: RequestObjectInfo,
    pub(super) claims: Map<String, Value>,
}

impl VerifiedRequestObject {
    /// What is known about the object.
    pub fn info(&self) -> &RequestObjectInfo {
        &self.info
    }
    /// The claims (authentic, not yet checked).
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }
    /// Whether it was signed (as opposed to an allowed `alg: none`).
    pub fn is_signed(&self) -> bool {
        self.info.signer.is_some()
    }
    /// A string claim.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

/// Stage 5's output: a request object whose claims passed every check.
#[derive(Debug, Clone)]
pub struct ValidatedRequestObject(pub(super) VerifiedRequestObject);

impl ValidatedRequestObject {
    /// What is known about the object.
    pub fn info(&self) -> &RequestObjectInfo {
        &self.0.info
    }
    /// The checked claims.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.0.claims
    }
    /// Whether it was signed.
    pub fn is_signed(&self) -> bool {
        self.0.is_signed()
    }
    /// Split into its parts.
    pub fn into_parts(self) -> (RequestObjectInfo, Map<String, Value>) {
        (self.0.info, self.0.claims)
    }
}
