//! `response_type` (RFC 6749 §3.1.1, OAuth 2.0 Multiple Response Types §3). The
//! `response_mode` is checked beside it, in [`crate::response::check_requested`].

use crate::clients::Client;
use crate::error::OAuthError;
use writ_protocol::ErrorCode;

/// Check `response_type` (only `code`) against the client's registration.
pub fn check(client: &Client, response_type: Option<&str>) -> Result<(), OAuthError> {
    let rt =
        response_type.ok_or_else(|| OAuthError::invalid_request("response_type is required"))?;
    if rt != "code" {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            "only response_type=code is supported",
        ));
    }
    if !client.config.response_types.iter().any(|r| r == rt) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "the client is not registered for response_type=code",
        ));
    }
    if !client.allows_grant("authorization_code") {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "the client is not registered for the authorization_code grant",
        ));
    }
    Ok(())
}
