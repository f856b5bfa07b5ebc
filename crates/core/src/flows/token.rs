//! The token endpoint (RFC 6749 §3.2; OpenID Connect Core §3.1.3), in this order: client
//! authentication; the DPoP proof, when one is sent or the client must send one (RFC 9449
//! §5); then the grant type: `authorization_code` ([`super::code`]), `refresh_token`
//! ([`super::refresh`]) or `client_credentials` ([`super::client_credentials`]).

use super::issue::TokenResponse;
use crate::authorize::params::RawParams;
use crate::dpop::{self, DpopCheck, Sent};
use crate::error::OAuthError;
use crate::provider::Provider;
use writ_protocol::ErrorCode;

impl Provider {
    /// `POST /token`. `form` is the raw body; `authorization` the `Authorization` header;
    /// `dpop` the request's `DPoP` headers.
    pub async fn token(
        &self,
        form: &[u8],
        authorization: Option<&str>,
        dpop: Sent<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let form = RawParams::parse(form, 64 * 1024)?;
        let client = self
            .authenticate_client(&form, authorization, "/token", &[])
            .await?;
        let proof = self.client_dpop_proof(&dpop, "/token", &client).await?;
        // RFC 9449 §5.2: `dpop_bound_access_tokens` (or a FAPI 2.0 profile, FAPI 2.0 Security
        // Profile §5.3.2) refuses a request without a proof.
        if proof.is_none() && self.settings.dpop_required(&client) {
            let e = dpop::refused(
                DpopCheck::Missing,
                "this client's access tokens must be DPoP-bound: send a DPoP proof (RFC 9449 §5.2)",
            );
            dpop::audit_refused(&e, Some(client.id()), "/token");
            return Err(e);
        }
        let proof = proof.as_ref();
        let grant_type = form
            .get("grant_type")
            .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
        match grant_type {
            "authorization_code" | "refresh_token" | "client_credentials"
                if !client.allows_grant(grant_type) =>
            {
                Err(OAuthError::new(
                    ErrorCode::UnauthorizedClient,
                    "the client is not registered for this grant type",
                ))
            }
            "authorization_code" => self.redeem_code(&client, &form, proof).await,
            "refresh_token" => self.refresh(&client, &form, proof).await,
            "client_credentials" => self.client_credentials(&client, &form, proof).await,
            _ => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "grant_type must be authorization_code, refresh_token or client_credentials",
            )),
        }
    }
}
