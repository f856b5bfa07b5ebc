//! The `client_credentials` grant (RFC 6749 §4.4): a confidential client, already
//! authenticated, gets an access token for itself. No user, so no ID token and no refresh
//! token (§4.4.3); `sub` is the client id (RFC 9068 §2.2); the scope is the client's own
//! registered scopes or fewer, never the user-facing OpenID ones.

use super::issue::{Issuance, RefreshIssue, TokenResponse};
use crate::authorize::authorization_details;
use crate::authorize::params::RawParams;
use crate::clients::Client;
use crate::dpop::CheckedProof;
use crate::error::OAuthError;
use crate::ports::StoredGrant;
use crate::provider::Provider;
use crate::secret::ordered_id;
use std::sync::Arc;
use writ_protocol::ErrorCode;

/// Scopes that stand for a person (OpenID Connect Core §3.1.2.1, §5.4, §11): meaningless
/// without one, so never granted to a client acting for itself.
pub const USER_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

fn invalid_scope(detail: String) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidScope, detail)
}

/// RFC 6749 §3.3 for a client acting for itself: the requested scope, each token registered
/// for the client and none of [`USER_SCOPES`]; without `scope`, every registered scope that is
/// not a user scope.
pub(crate) fn granted_scope(
    client: &Client,
    asked: Option<&str>,
) -> Result<Vec<String>, OAuthError> {
    let registered = &client.config.scopes;
    let Some(asked) = asked else {
        return Ok(registered
            .iter()
            .filter(|s| !USER_SCOPES.contains(&s.as_str()))
            .cloned()
            .collect());
    };
    let mut scope: Vec<String> = Vec::new();
    for s in asked.split(' ').filter(|s| !s.is_empty()) {
        if USER_SCOPES.contains(&s) {
            return Err(invalid_scope(format!(
                "{s:?} stands for a user; client_credentials has none (RFC 6749 §4.4)"
            )));
        }
        if !registered.iter().any(|r| r == s) {
            return Err(invalid_scope(format!(
                "{s:?} is not among the client's registered scopes"
            )));
        }
        if !scope.iter().any(|x| x == s) {
            scope.push(s.to_string());
        }
    }
    Ok(scope)
}

impl Provider {
    /// RFC 6749 §4.4.2. The client is authenticated and allowed the grant by the caller
    /// ([`super::token`]); a public client never reaches here.
    pub(crate) async fn client_credentials(
        &self,
        client: &Arc<Client>,
        form: &RawParams,
        proof: Option<&CheckedProof>,
    ) -> Result<TokenResponse, OAuthError> {
        if client.config.is_public() {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "client_credentials is for confidential clients only (RFC 6749 §4.4)",
            ));
        }
        let scope = granted_scope(client, form.get("scope"))?;
        // RFC 9396 §6: what the token is for may be said precisely here too.
        let details = form
            .get("authorization_details")
            .map(|raw| authorization_details::check(&self.settings.rar, client, raw))
            .transpose()?;
        let now = self.clock.now();
        let grant_id = ordered_id(self.clock.now_millis(), self.rng.as_ref(), 16);
        self.store
            .grant_insert(&StoredGrant {
                id: grant_id.clone(),
                client_id: client.id().to_string(),
                subject: client.id().to_string(),
                created_at: now,
                expires_at: now + self.settings.access_token_lifetime(client),
                revoked_at: None,
            })
            .await?;
        let grant = Issuance {
            grant_id: &grant_id,
            subject: client.id(),
            scope: &scope,
            granted_scope: &scope,
            authorization_details: details.as_deref(),
            granted_details: details.as_deref(),
            auth_time: now,
            nonce: None,
            dpop_jkt: proof.map(CheckedProof::jkt),
            refresh: RefreshIssue::Never,
        };
        self.issue_tokens(client, &grant, now).await
    }
}
