//! Authorization codes (RFC 6749 §4.1.2, §4.1.3; RFC 7636 §4.6): issued at consent for the
//! validated request, and redeemed once at `/token` against the same client, redirect URI and
//! PKCE verifier. What a code stands for ([`CodePayload`]) is written and read here only.

use super::grant::{self, Reuse, invalid_grant};
use super::interaction::LoginState;
use super::issue::{Issuance, RefreshIssue, TokenResponse};
use crate::authorize::params::RawParams;
use crate::authorize::{ValidatedRequest, authorization_details, pkce};
use crate::clients::Client;
use crate::dpop::{self, CheckedProof, DpopCheck};
use crate::error::OAuthError;
use crate::ports::{CodeRecord, Payload, Record, StoredCode, StoredGrant, UnixTime};
use crate::provider::Provider;
use crate::secret::{ordered_id, ordered_token, secret_key};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// A stored code's payload is a [`CodePayload`].
impl Record for CodeRecord {
    type Value = CodePayload;
}

/// What an authorization code stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodePayload {
    /// The client it was issued to.
    pub client_id: String,
    /// The redirect URI of the authorization request.
    pub redirect_uri: String,
    /// Approved scope.
    pub scope: Vec<String>,
    /// `nonce` for the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// The user.
    pub subject: String,
    /// When the user authenticated.
    pub auth_time: UnixTime,
    /// The DPoP key the code is bound to (RFC 9449 §10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// The approved `authorization_details` (RFC 9396 §7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Vec<Value>>,
}

impl Provider {
    pub(crate) async fn issue_code(
        &self,
        client: &Client,
        request: &ValidatedRequest,
        login: &LoginState,
        now: UnixTime,
    ) -> Result<String, OAuthError> {
        let millis = self.clock.now_millis();
        let grant_id = ordered_id(millis, self.rng.as_ref(), 16);
        let code_lifetime = self.settings.code_lifetime(client);
        self.store
            .grant_insert(&StoredGrant {
                id: grant_id.clone(),
                client_id: request.client_id().to_string(),
                subject: login.user_id.clone(),
                created_at: now,
                // As long as the tokens of the code's redemption can live: the code's lifetime
                // and then the longest-lived token. The purge cannot remove the grant while a
                // token of it lives, and the redemption's write of the grant's expiry
                // (`tokens_issued`) changes no row.
                expires_at: now
                    + code_lifetime
                    + self
                        .settings
                        .access_token_lifetime(client)
                        .max(self.settings.refresh_token_lifetime(client)),
                revoked_at: None,
            })
            .await?;
        let code = ordered_token(millis, self.rng.as_ref());
        let payload = CodePayload {
            client_id: request.client_id().to_string(),
            redirect_uri: request.redirect_uri().to_string(),
            scope: request.scope().to_vec(),
            nonce: request.nonce().map(str::to_string),
            code_challenge: request.code_challenge().map(str::to_string),
            subject: login.user_id.clone(),
            auth_time: login.auth_time,
            dpop_jkt: request.dpop_jkt().map(str::to_string),
            authorization_details: request.authorization_details().map(<[Value]>::to_vec),
        };
        self.store
            .code_insert(&StoredCode {
                code_hash: secret_key(&code),
                grant_id,
                payload: Payload::encode(&payload)
                    .map_err(|e| OAuthError::server(e.to_string()))?,
                expires_at: now + code_lifetime,
            })
            .await?;
        Ok(code)
    }

    /// RFC 6749 §4.1.3 with RFC 7636 §4.6. A code is redeemed once; a second redemption
    /// fails and revokes everything the first one issued (RFC 6749 §4.1.2, §10.5).
    pub(crate) async fn redeem_code(
        &self,
        client: &Arc<Client>,
        form: &RawParams,
        proof: Option<&CheckedProof>,
    ) -> Result<TokenResponse, OAuthError> {
        let code = form
            .get("code")
            .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
        // A malformed `authorization_details` is refused before the code is used up.
        if let Some(raw) = form.get("authorization_details") {
            authorization_details::check(&self.settings.rar, client, raw)?;
        }
        let now = self.clock.now();
        let consumed = self.store.code_consume(&secret_key(code), now).await?;
        let stored = grant::consume_or_revoke(self, client, consumed, Reuse::CODE, now).await?;
        let p = stored
            .payload
            .decode()
            .map_err(|e| OAuthError::server(e.to_string()))?;
        if p.client_id != client.id() {
            return Err(invalid_grant(
                "the authorization code was issued to another client",
            ));
        }
        // RFC 6749 §4.1.3: redirect_uri must be identical when it was in the request.
        if form.get("redirect_uri") != Some(p.redirect_uri.as_str()) {
            return Err(invalid_grant(
                "redirect_uri does not match the authorization request",
            ));
        }
        // RFC 9449 §10.1: a bound code is redeemed only with a proof of its key.
        if let Some(bound) = &p.dpop_jkt
            && proof.is_none_or(|pf| pf.jkt() != bound)
        {
            let e = dpop::refused(
                DpopCheck::Binding,
                "the authorization code is bound to a DPoP key (dpop_jkt); redeem it with a proof of that key (RFC 9449 §10.1)",
            );
            dpop::audit_refused(&e, Some(client.id()), "/token");
            return Err(e);
        }
        match (&p.code_challenge, form.get("code_verifier")) {
            (Some(ch), Some(v)) if pkce::verify(ch, v) => {}
            (Some(_), Some(_)) => return Err(invalid_grant("code_verifier does not match")),
            (Some(_), None) => return Err(invalid_grant("code_verifier is required (RFC 7636)")),
            (None, Some(_)) => {
                return Err(invalid_grant(
                    "code_verifier sent but the authorization request had no code_challenge",
                ));
            }
            (None, None) => {}
        }
        // RFC 9396 §6.1: the token request may narrow the approved details.
        let details = authorization_details::narrow(
            &self.settings.rar,
            client,
            p.authorization_details.as_deref(),
            form.get("authorization_details"),
        )?;
        let grant = Issuance {
            grant_id: &stored.grant_id,
            subject: &p.subject,
            scope: &p.scope,
            granted_scope: &p.scope,
            authorization_details: details.as_deref(),
            granted_details: p.authorization_details.as_deref(),
            auth_time: p.auth_time,
            nonce: p.nonce.as_deref(),
            dpop_jkt: proof.map(CheckedProof::jkt),
            refresh: RefreshIssue::New,
        };
        self.issue_tokens(client, &grant, now).await
    }
}
