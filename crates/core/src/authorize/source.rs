//! Stage 2: where the request's parameters come from (SPEC §4.2; RFC 9101 §5).
//!
//! [`classify`] decides the source from the raw parameters and the server's policy; the
//! pipeline then resolves it into a
//! [`ResolvedRequestObject`](super::request_object::ResolvedRequestObject). By value, the
//! object is the `request` parameter itself. The by-reference (`request_uri`) and pushed
//! (PAR URN) sources are further variants of [`Source`]; until they are built, `request_uri`
//! is refused with `request_uri_not_supported`.

use super::params::RawParams;
use super::request_object::policy::JarPolicy;
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

impl Transport {
    /// The stable name (`query`, `by_value`, `by_reference`, `pushed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Query => "query",
            Transport::ByValue => "by_value",
            Transport::ByReference => "by_reference",
            Transport::Pushed => "pushed",
        }
    }
}

/// The source of an authorization request's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// Plain parameters.
    Query,
    /// `request=`: a request object by value (RFC 9101 §5.1).
    ByValue(&'a str),
}

/// Decide the source (SPEC §4.2). `request` and `request_uri` together were already refused
/// by stage 1.
pub fn classify<'a>(raw: &'a RawParams, policy: &JarPolicy) -> Result<Source<'a>, OAuthError> {
    if let Some(token) = raw.get("request") {
        if !policy.request_parameter {
            return Err(OAuthError::new(
                ErrorCode::RequestNotSupported,
                "request objects by value (the request parameter) are not accepted by this server",
            ));
        }
        return Ok(Source::ByValue(token));
    }
    if raw.get("request_uri").is_some() {
        return Err(OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "the request_uri parameter is not supported by this server",
        ));
    }
    Ok(Source::Query)
}
