//! OAuth 2.0 and OpenID Connect error codes.

use std::fmt;

/// An error code of RFC 6749 §4.1.2.1 / §5.2, OpenID Connect Core §3.1.2.6, RFC 9101 §7,
/// RFC 9126 §2.3, RFC 6750 §3.1 or RFC 9449 §5, §7.1, §8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// RFC 6749: malformed request.
    InvalidRequest,
    /// RFC 6749 §5.2: client authentication failed.
    InvalidClient,
    /// RFC 6749 §5.2: bad code, refresh token or redirect_uri.
    InvalidGrant,
    /// RFC 6749: the client may not use this grant or response type.
    UnauthorizedClient,
    /// RFC 6749 §5.2.
    UnsupportedGrantType,
    /// RFC 6749 §4.1.2.1.
    UnsupportedResponseType,
    /// RFC 6749: scope unknown or not allowed for the client.
    InvalidScope,
    /// RFC 6749 §4.1.2.1: the resource owner or server denied the request.
    AccessDenied,
    /// RFC 6749 §4.1.2.1.
    ServerError,
    /// RFC 6749 §4.1.2.1.
    TemporarilyUnavailable,
    /// OpenID Connect Core §3.1.2.6: `prompt=none` but no session.
    LoginRequired,
    /// OpenID Connect Core §3.1.2.6: `prompt=none` but consent is needed.
    ConsentRequired,
    /// OpenID Connect Core §3.1.2.6.
    InteractionRequired,
    /// RFC 9101 §7: the `request_uri` is invalid or could not be used.
    InvalidRequestUri,
    /// RFC 9101 §7: the request object is invalid.
    InvalidRequestObject,
    /// RFC 9101 §7: `request` is not supported.
    RequestNotSupported,
    /// RFC 9101 §7: `request_uri` is not supported.
    RequestUriNotSupported,
    /// RFC 6750 §3.1: the access token is invalid.
    InvalidToken,
    /// RFC 9449 §5, §7.1: the DPoP proof is invalid.
    InvalidDpopProof,
    /// RFC 9449 §8, §9: the proof must carry the server's current nonce.
    UseDpopNonce,
    /// RFC 9396 §5: `authorization_details` is malformed, of an unknown type, or not
    /// allowed for the client.
    InvalidAuthorizationDetails,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::InvalidRequestUri => "invalid_request_uri",
            ErrorCode::InvalidRequestObject => "invalid_request_object",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InvalidDpopProof => "invalid_dpop_proof",
            ErrorCode::UseDpopNonce => "use_dpop_nonce",
            ErrorCode::InvalidAuthorizationDetails => "invalid_authorization_details",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
