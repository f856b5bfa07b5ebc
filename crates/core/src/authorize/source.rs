//! Stage 2: where the request's parameters come from (SPEC §4.2).
//!
//! This build takes parameters from the query or form only. Request objects by value
//! (`request`), by reference (`request_uri`) and pushed requests arrive as further sources
//! here; until a source is enabled, its parameter is refused with the RFC 9101 §7 code.

use super::params::RawParams;
use crate::error::OAuthError;
use writ_protocol::ErrorCode;

/// How the parameters reached the server (SPEC §4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// Plain query or form parameters.
    Query,
    /// A request object by value (`request`).
    ByValue,
    /// A request object fetched from a client-hosted `request_uri`.
    ByReference,
    /// A pushed authorization request (RFC 9126).
    Pushed,
}

/// Decide the source of the parameters.
pub fn resolve(raw: &RawParams) -> Result<Transport, OAuthError> {
    if raw.get("request").is_some() {
        return Err(OAuthError::new(
            ErrorCode::RequestNotSupported,
            "request objects (the request parameter) are not supported by this server",
        ));
    }
    if raw.get("request_uri").is_some() {
        return Err(OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "the request_uri parameter is not supported by this server",
        ));
    }
    Ok(Transport::Query)
}
