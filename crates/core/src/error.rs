//! The one protocol error type (DESIGN "Errors know where they go").
//!
//! An [`OAuthError`] carries the RFC error code, a public description (safe to show to the
//! client and the person), an internal detail (logged, never sent) and, for a refused request
//! object, the audit record. Where an authorization error goes (a redirect or a page) is not
//! the error's business: [`crate::response::AuthorizeError`] carries that.

use crate::dpop::check::DpopCheck;
use crate::ports::StoreError;
use std::borrow::Cow;
use writ_protocol::ErrorCode;

/// A protocol error.
#[derive(Debug, Clone)]
pub struct OAuthError {
    /// The RFC error code.
    pub code: ErrorCode,
    /// Public, one-line, safe description (`error_description`).
    pub description: Cow<'static, str>,
    /// Internal detail for logs; never sent.
    pub detail: Option<String>,
    /// Set when a request object was refused: what the audit log records (SPEC §12).
    pub request_object: Option<Box<RequestObjectAudit>>,
    /// Set when a DPoP proof was refused: the check that failed.
    pub dpop_check: Option<DpopCheck>,
}

/// What the audit log records about a refused request object (SPEC §12): the check that
/// failed and the object's `kid` and `alg` (made printable and bounded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestObjectAudit {
    /// The client, once known.
    pub client_id: Option<String>,
    /// The failed check's stable name (`signature`, `exp`, ...).
    pub check: &'static str,
    /// The JWS (or JWE) `kid`, when there was one.
    pub kid: Option<String>,
    /// The JWS (or JWE) `alg`, when there was one.
    pub alg: Option<String>,
}

impl OAuthError {
    /// A new error.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            code,
            description: description.into(),
            detail: None,
            request_object: None,
            dpop_check: None,
        }
    }
    /// `invalid_request`.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }
    /// `server_error`, with the internal detail (never shown).
    pub fn server(detail: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::ServerError,
            "the server could not complete the request",
        )
        .with_detail(detail)
    }
    /// Attach internal detail.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    /// The HTTP status for direct (non-redirect) responses (RFC 6749 §5.2, RFC 6750 §3.1).
    pub fn http_status(&self) -> u16 {
        match self.code {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            ErrorCode::AccessDenied => 403,
            _ => 400,
        }
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for OAuthError {}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "the server is temporarily unable to handle the request",
        )
        .with_detail(e.to_string())
    }
}
