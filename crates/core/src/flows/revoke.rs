//! The revocation endpoint (RFC 7009): a client says it no longer needs a token.
//!
//! In this order: client authentication (every method of SPEC §2; a public client names
//! itself, RFC 7009 §5); the `token` parameter; the token by its shape, as at introspection
//! ([`Provider::find_token`]); then, for a token issued to this client: a refresh token
//! revokes its grant, with every code, refresh token and access token of it (RFC 7009 §2.1);
//! an access token is remembered as revoked until it expires, on every node (the store's
//! replay cache, namespace [`REVOKED_ACCESS_TOKENS`]). An unknown, expired or already revoked
//! token answers as a success (RFC 7009 §2.2); a live token of another client is refused.

use super::introspect::{Found, MAX_TOKEN_REQUEST_BYTES};
use super::userinfo::REVOKED_ACCESS_TOKENS;
use crate::authorize::params::RawParams;
use crate::error::OAuthError;
use crate::provider::Provider;
use serde_json::Value;

impl Provider {
    /// `POST /revoke`. `form` is the raw body; `authorization` the `Authorization` header.
    pub async fn revoke(&self, form: &[u8], authorization: Option<&str>) -> Result<(), OAuthError> {
        let form = RawParams::parse(form, MAX_TOKEN_REQUEST_BYTES)?;
        let caller = self
            .authenticate_client(&form, authorization, "/revoke", &[])
            .await?;
        let token = form
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is required (RFC 7009 §2.1)"))?;
        let Some(found) = self.find_token(token).await? else {
            return Ok(());
        };
        // RFC 7009 §2.1: the server "verifies whether the token was issued to the client
        // making the revocation request"; if not, the request is refused.
        if found.client_id() != caller.id() {
            return Err(OAuthError::invalid_request(
                "the token was not issued to this client",
            ));
        }
        let now = self.clock.now();
        match found {
            Found::Refresh { grant_id, .. } => {
                self.store.grant_revoke(&grant_id, now).await?;
                tracing::info!(target: "audit", client_id = caller.id(), grant_id, "grant revoked by its client (refresh token revoked)");
            }
            Found::Access(claims) => {
                let jti = claims.get("jti").and_then(Value::as_str).unwrap_or("");
                let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(now);
                self.store
                    .replay_insert_once(REVOKED_ACCESS_TOKENS, jti, exp, now)
                    .await?;
                tracing::info!(target: "audit", client_id = caller.id(), jti, "access token revoked by its client");
            }
        }
        Ok(())
    }
}
