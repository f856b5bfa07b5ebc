//! The `refresh_token` grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700
//! §4.14.2): each refresh token works once, and a reuse revokes the grant. With
//! `[tokens] refresh_rotation = "off"` (FAPI 2.0 Security Profile §5.3.2) the token stays
//! valid and each use starts its idle lifetime again. A refresh token
//! bound to a DPoP key (a public client's, RFC 9449 §5) works only with a proof of that key;
//! used without one it is treated as stolen, and the grant is revoked as on a reuse.

use super::grant::{self, Reuse, invalid_grant};
use super::issue::{Issuance, RefreshIssue, TokenResponse};
use crate::authorize::authorization_details;
use crate::authorize::params::RawParams;
use crate::clients::Client;
use crate::dpop::{self, CheckedProof, DpopCheck};
use crate::error::OAuthError;
use crate::provider::Provider;
use crate::secret::secret_key;
use std::sync::Arc;
use writ_protocol::ErrorCode;
use writ_protocol::config::RefreshRotation;

impl Provider {
    /// RFC 6749 §6 with rotation (RFC 9700 §4.14.2): each refresh token works once; using
    /// one twice revokes the grant.
    pub(crate) async fn refresh(
        &self,
        client: &Arc<Client>,
        form: &RawParams,
        proof: Option<&CheckedProof>,
    ) -> Result<TokenResponse, OAuthError> {
        let token = form
            .get("refresh_token")
            .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
        // A malformed `authorization_details` is refused before the token is used up.
        if let Some(raw) = form.get("authorization_details") {
            authorization_details::check(&self.settings.rar, client, raw)?;
        }
        let now = self.clock.now();
        let rotate = self.settings.refresh_rotation(client) == RefreshRotation::Rotate;
        let stored = if rotate {
            let consumed = self.store.refresh_consume(&secret_key(token), now).await?;
            grant::consume_or_revoke(self, client, consumed, Reuse::REFRESH_TOKEN, now).await?
        } else {
            // Without rotation the token stays valid; its idle lifetime starts again.
            let until = now + self.settings.refresh_token_lifetime(client);
            self.store
                .refresh_touch(&secret_key(token), now, until)
                .await?
                .ok_or_else(|| invalid_grant(Reuse::REFRESH_TOKEN.missing))?
        };
        let p = stored
            .payload
            .decode()
            .map_err(|e| OAuthError::server(e.to_string()))?;
        if p.client_id != client.id() {
            return Err(invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        let grant = self.store.grant_get(&stored.grant_id).await?;
        if grant.is_none_or(|g| g.revoked_at.is_some()) {
            return Err(invalid_grant("the grant was revoked"));
        }
        if let Some(bound) = &p.dpop_jkt
            && proof.is_none_or(|pf| pf.jkt() != bound)
        {
            self.store.grant_revoke(&stored.grant_id, now).await?;
            let e = dpop::refused(
                DpopCheck::Binding,
                "the refresh token is bound to a DPoP key and needs a proof of that key (RFC 9449 §5); the grant is revoked",
            );
            dpop::audit_refused(&e, Some(client.id()), "/token");
            return Err(e);
        }
        let scope = match form.get("scope") {
            None => p.scope.clone(),
            Some(s) => {
                let asked: Vec<String> = s
                    .split(' ')
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect();
                if asked.iter().any(|a| !p.scope.contains(a)) {
                    return Err(OAuthError::new(
                        ErrorCode::InvalidScope,
                        "a refresh may not widen the scope (RFC 6749 §6)",
                    ));
                }
                asked
            }
        };
        // RFC 9396 §6.1: a refresh may narrow the granted details, as it may the scope.
        let details = authorization_details::narrow(
            &self.settings.rar,
            client,
            p.authorization_details.as_deref(),
            form.get("authorization_details"),
        )?;
        // RFC 6749 §6: a new refresh token keeps the scope (and details) of the one used.
        let grant = Issuance {
            grant_id: &stored.grant_id,
            subject: &p.subject,
            scope: &scope,
            granted_scope: &p.scope,
            authorization_details: details.as_deref(),
            granted_details: p.authorization_details.as_deref(),
            auth_time: p.auth_time,
            nonce: None,
            dpop_jkt: proof.map(CheckedProof::jkt),
            refresh: if rotate {
                RefreshIssue::New
            } else {
                RefreshIssue::Kept
            },
        };
        self.issue_tokens(client, &grant, now).await
    }
}
