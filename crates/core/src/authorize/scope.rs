//! `scope` (RFC 6749 §3.3): space-delimited tokens, each registered for the client.

use crate::clients::Client;
use crate::error::OAuthError;
use writ_protocol::ErrorCode;

/// Split and check the requested scope. Duplicates are collapsed, order kept.
pub fn check(client: &Client, scope: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.unwrap_or("").split(' ').filter(|s| !s.is_empty()) {
        if !s
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "scope contains characters RFC 6749 §3.3 does not allow",
            ));
        }
        if !client.config.scopes.iter().any(|a| a == s) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!(
                    "scope {} is not allowed for this client",
                    super::params::printable(s)
                ),
            ));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}
