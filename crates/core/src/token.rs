//! The token endpoint (RFC 6749 §3.2, §4.1.3, §6; OpenID Connect Core §3.1.3): the
//! `authorization_code` grant with PKCE, and `refresh_token` with rotation and reuse detection.

use crate::authorize::params::RawParams;
use crate::authorize::pkce;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::ports::{Consumed, StoredRefreshToken, UnixTime};
use crate::provider::Provider;
use crate::secret::{hash_token, random_token};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;
use writ_jose::JwsAlg;
use writ_protocol::ErrorCode;

/// Algorithm of ID tokens (the OpenID Connect default).
pub const ID_TOKEN_ALG: JwsAlg = JwsAlg::RS256;
/// Algorithm of access tokens (only Writ verifies them).
pub const ACCESS_TOKEN_ALG: JwsAlg = JwsAlg::ES256;

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
}

/// What a refresh token stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshPayload {
    /// The client it was issued to.
    pub client_id: String,
    /// Scope of the grant.
    pub scope: Vec<String>,
    /// The user.
    pub subject: String,
    /// When the user authenticated.
    pub auth_time: UnixTime,
}

/// RFC 6749 §5.1.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token (a JWT, RFC 9068).
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds.
    pub expires_in: i64,
    /// Space-separated scope.
    pub scope: String,
    /// A refresh token, when the client may use the `refresh_token` grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The ID token, for `openid` requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

fn invalid_grant(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, description)
}

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

    /// RFC 6749 §4.1.3 with RFC 7636 §4.6. A code is redeemed once; a second redemption
    /// fails and revokes everything the first one issued (RFC 6749 §4.1.2, §10.5).
    async fn redeem_code(
        &self,
        client: &Arc<Client>,
        form: &RawParams,
    ) -> Result<TokenResponse, OAuthError> {
        let code = form
            .get("code")
            .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
        let now = self.clock.now();
        let stored = match self.store.code_consume(&hash_token(code), now).await? {
            Consumed::Now(c) => c,
            Consumed::Already(c) => {
                self.store.grant_revoke(&c.grant_id, now).await?;
                tracing::warn!(target: "audit", client_id = client.id(), grant_id = %c.grant_id,
                    "authorization code reused: grant revoked");
                return Err(invalid_grant("the authorization code was already used"));
            }
            Consumed::Missing => {
                return Err(invalid_grant(
                    "the authorization code is invalid or expired",
                ));
            }
        };
        let p: CodePayload = serde_json::from_str(&stored.payload)
            .map_err(|e| OAuthError::server(format!("code payload: {e}")))?;
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
        self.issue_tokens(
            client,
            &stored.grant_id,
            &p.subject,
            &p.scope,
            p.auth_time,
            p.nonce.as_deref(),
            now,
        )
        .await
    }

    /// RFC 6749 §6 with rotation (RFC 9700 §4.14.2): each refresh token works once; using
    /// one twice revokes the grant.
    async fn refresh(
        &self,
        client: &Arc<Client>,
        form: &RawParams,
    ) -> Result<TokenResponse, OAuthError> {
        let token = form
            .get("refresh_token")
            .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
        let now = self.clock.now();
        let stored = match self.store.refresh_consume(&hash_token(token), now).await? {
            Consumed::Now(t) => t,
            Consumed::Already(t) => {
                self.store.grant_revoke(&t.grant_id, now).await?;
                tracing::warn!(target: "audit", client_id = client.id(), grant_id = %t.grant_id,
                    "refresh token reused: grant revoked");
                return Err(invalid_grant("the refresh token was already used"));
            }
            Consumed::Missing => {
                return Err(invalid_grant("the refresh token is invalid or expired"));
            }
        };
        let p: RefreshPayload = serde_json::from_str(&stored.payload)
            .map_err(|e| OAuthError::server(format!("refresh payload: {e}")))?;
        if p.client_id != client.id() {
            return Err(invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        let grant = self.store.grant_get(&stored.grant_id).await?;
        if grant.is_none_or(|g| g.revoked_at.is_some()) {
            return Err(invalid_grant("the grant was revoked"));
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
        self.issue_tokens(
            client,
            &stored.grant_id,
            &p.subject,
            &scope,
            p.auth_time,
            None,
            now,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn issue_tokens(
        &self,
        client: &Arc<Client>,
        grant_id: &str,
        subject: &str,
        scope: &[String],
        auth_time: UnixTime,
        nonce: Option<&str>,
        now: UnixTime,
    ) -> Result<TokenResponse, OAuthError> {
        let l = &self.settings.lifetimes;
        let scope_str = scope.join(" ");
        let access_claims = json!({
            "iss": self.settings.issuer,
            "sub": subject,
            "aud": self.settings.issuer,
            "client_id": client.id(),
            "scope": scope_str,
            "jti": random_token(self.rng.as_ref(), 16),
            "gid": grant_id,
            "iat": now,
            "exp": now + l.access_token,
        });
        let access_token = self
            .keys
            .sign(ACCESS_TOKEN_ALG, "at+jwt", &access_claims)
            .map_err(|e| OAuthError::server(e.to_string()))?;
        let id_token = if scope.iter().any(|s| s == "openid") {
            // OpenID Connect Core §3.1.3.6: at_hash is the left half of SHA-256 (RS256).
            let digest =
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
            let at_hash = URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]);
            let mut claims = json!({
                "iss": self.settings.issuer,
                "sub": subject,
                "aud": client.id(),
                "azp": client.id(),
                "iat": now,
                "exp": now + l.id_token,
                "auth_time": auth_time,
                "at_hash": at_hash,
            });
            if let (Some(n), Some(obj)) = (nonce, claims.as_object_mut()) {
                obj.insert("nonce".into(), json!(n));
            }
            Some(
                self.keys
                    .sign(ID_TOKEN_ALG, "JWT", &claims)
                    .map_err(|e| OAuthError::server(e.to_string()))?,
            )
        } else {
            None
        };
        let refresh_token = if client.allows_grant("refresh_token") {
            let rt = random_token(self.rng.as_ref(), 32);
            let payload = RefreshPayload {
                client_id: client.id().to_string(),
                scope: scope.to_vec(),
                subject: subject.to_string(),
                auth_time,
            };
            self.store
                .refresh_insert(&StoredRefreshToken {
                    token_hash: hash_token(&rt),
                    grant_id: grant_id.to_string(),
                    payload: serde_json::to_string(&payload)
                        .map_err(|e| OAuthError::server(format!("refresh encode: {e}")))?,
                    expires_at: now + l.refresh_token,
                })
                .await?;
            Some(rt)
        } else {
            None
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: l.access_token,
            scope: scope_str,
            refresh_token,
            id_token,
        })
    }
}
