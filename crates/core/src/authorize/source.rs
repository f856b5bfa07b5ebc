//! Stage 2: where the request's parameters come from (SPEC §4.2; RFC 9101 §5; RFC 9126 §4).
//!
//! [`classify`] decides the source from the raw parameters, the server's policy and the
//! client's registration, without any I/O; the pipeline ([`super::run`]) then resolves it:
//! by value the object is the `request` parameter itself, by reference it is fetched
//! ([`super::request_uri`]), and a pushed request is taken from the store
//! ([`super::pushed`]).

use super::params::RawParams;
use super::pushed::PAR_URN_PREFIX;
use super::request_object::policy::JarPolicy;
use super::request_uri::{self, MAX_REQUEST_URI_CHARS};
use crate::clients::Client;
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
    /// `request_uri=` naming a client-hosted request object (RFC 9101 §5.2), already checked
    /// against the client's `request_uris` and the length limit.
    ByReference(&'a str),
    /// `request_uri=urn:ietf:params:oauth:request_uri:<reference>` from `/par`
    /// (RFC 9126 §4): the reference part.
    Pushed(&'a str),
}

/// Decide the source (SPEC §4.2). `request` and `request_uri` together were already refused
/// by stage 1. `par_enabled` is `[par] enabled`.
pub fn classify<'a>(
    raw: &'a RawParams,
    policy: &JarPolicy,
    par_enabled: bool,
    client: &Client,
) -> Result<Source<'a>, OAuthError> {
    if let Some(token) = raw.get("request") {
        if !policy.request_parameter {
            return Err(OAuthError::new(
                ErrorCode::RequestNotSupported,
                "request objects by value (the request parameter) are not accepted by this server",
            ));
        }
        return Ok(Source::ByValue(token));
    }
    let Some(uri) = raw.get("request_uri") else {
        return Ok(Source::Query);
    };
    if uri.chars().count() > MAX_REQUEST_URI_CHARS {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequestUri,
            format!("the request_uri is longer than {MAX_REQUEST_URI_CHARS} characters"),
        ));
    }
    if let Some(reference) = uri.strip_prefix(PAR_URN_PREFIX) {
        if !par_enabled {
            return Err(OAuthError::new(
                ErrorCode::InvalidRequestUri,
                "pushed authorization requests are not enabled on this server",
            ));
        }
        return Ok(Source::Pushed(reference));
    }
    if !policy.request_uri_parameter {
        return Err(OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "this server does not fetch client-hosted request_uri values (RFC 9101 §10.4); \
             push the request to the pushed authorization request endpoint instead",
        ));
    }
    if client.config.request_uris.is_empty() {
        return Err(OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "this client has registered no request_uris, so request_uri is not accepted from it",
        ));
    }
    if !request_uri::is_registered(&client.config.request_uris, uri) {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequestUri,
            "the request_uri does not match any of the client's registered request_uris",
        ));
    }
    Ok(Source::ByReference(uri))
}
