//! The token endpoint (RFC 6749 §3.2; OpenID Connect Core §3.1.3): client authentication,
//! then the grant type: `authorization_code` ([`super::code`]) or `refresh_token`
//! ([`super::refresh`]).

use super::issue::TokenResponse;
use crate::authorize::params::RawParams;
use crate::error::OAuthError;
use crate::provider::Provider;
use writ_protocol::ErrorCode;

impl Provider {
    /// `POST /token`. `form` is the raw body; `authorization` the `Authorization` header.
    pub async fn token(
        &self,
        form: &[u8],
        authorization: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let form = RawParams::parse(form, 64 * 1024)?;
        let client = self
            .authenticate_client(&form, authorization, "/token", &[])
            .await?;
        let grant_type = form
            .get("grant_type")
            .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
        match grant_type {
            "authorization_code" | "refresh_token" if !client.allows_grant(grant_type) => {
                Err(OAuthError::new(
                    ErrorCode::UnauthorizedClient,
                    "the client is not registered for this grant type",
                ))
            }
            "authorization_code" => self.redeem_code(&client, &form).await,
            "refresh_token" => self.refresh(&client, &form).await,
            _ => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "grant_type must be authorization_code or refresh_token",
            )),
        }
    }
}
