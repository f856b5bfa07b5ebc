//! `prompt`, `max_age` (OpenID Connect Core §3.1.2.1).

use crate::error::OAuthError;

/// What the request asks of the interaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PromptRequest {
    /// `prompt=none`: no UI may be shown.
    pub none: bool,
    /// `prompt=login`: re-authenticate even with a session.
    pub login: bool,
    /// `max_age`, seconds.
    pub max_age: Option<i64>,
}

/// Parse `prompt` and `max_age`.
pub fn check(prompt: Option<&str>, max_age: Option<&str>) -> Result<PromptRequest, OAuthError> {
    let mut p = PromptRequest::default();
    let mut count = 0;
    for v in prompt.unwrap_or("").split(' ').filter(|s| !s.is_empty()) {
        count += 1;
        match v {
            "none" => p.none = true,
            "login" => p.login = true,
            "consent" | "select_account" => {}
            _ => {
                return Err(OAuthError::invalid_request(format!(
                    "prompt value {} is not supported",
                    super::params::printable(v)
                )));
            }
        }
    }
    if p.none && count > 1 {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values (OpenID Connect Core §3.1.2.1)",
        ));
    }
    if let Some(m) = max_age {
        p.max_age =
            Some(m.parse::<u32>().map(i64::from).map_err(|_| {
                OAuthError::invalid_request("max_age must be a non-negative integer")
            })?);
    }
    Ok(p)
}
