//! The `redirect_uri` check (RFC 6749 §3.1.2.3, OpenID Connect Core §3.1.2.1): exact string
//! comparison with a registered value. Until it passes, no error may be redirected.

use crate::clients::Client;
use crate::error::OAuthError;

/// The redirect URI to use: the requested one if registered, or the only registered one when
/// the request names none and the request is not OpenID (OIDC Core requires it there).
pub fn resolve(
    client: &Client,
    requested: Option<&str>,
    openid: bool,
) -> Result<String, OAuthError> {
    match requested {
        Some(uri) if client.has_redirect_uri(uri) => Ok(uri.to_string()),
        Some(_) => Err(OAuthError::invalid_request(
            "redirect_uri is not registered for this client",
        )),
        None if openid => Err(OAuthError::invalid_request(
            "redirect_uri is required (OpenID Connect Core §3.1.2.1)",
        )),
        None => match client.config.redirect_uris.as_slice() {
            [only] => Ok(only.clone()),
            _ => Err(OAuthError::invalid_request(
                "redirect_uri is required when a client has several registered",
            )),
        },
    }
}
