//! What a grant issues at `/token` (RFC 6749 §5.1; RFC 9068 access tokens; OpenID Connect
//! Core §3.1.3.6 ID tokens; refresh tokens, stored as SHA-256 hashes), bound to a DPoP key
//! when the request proved one (RFC 9449 §5, §6.1).

use crate::clients::Client;
use crate::error::OAuthError;
use crate::ports::{IssuedTokens, Payload, Record, RefreshRecord, StoredRefreshToken, UnixTime};
use crate::provider::Provider;
use crate::secret::{ordered_token, random_token, secret_key};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use writ_jose::JwsAlg;
use writ_protocol::claims::CLAIM_SCOPES;

/// Algorithm of access tokens (only Writ verifies them).
pub const ACCESS_TOKEN_ALG: JwsAlg = JwsAlg::ES256;

/// A stored refresh token's payload is a [`RefreshPayload`].
impl Record for RefreshRecord {
    type Value = RefreshPayload;
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
    /// The DPoP key the token is bound to (RFC 9449 §5: a public client's refresh token is;
    /// a confidential client's is already bound to its authentication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// The granted `authorization_details` (RFC 9396 §7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Vec<Value>>,
}

/// What the tokens of one `/token` answer are about.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Issuance<'a> {
    /// The grant they belong to.
    pub(crate) grant_id: &'a str,
    /// The user.
    pub(crate) subject: &'a str,
    /// The scope of the access token: the grant's, or less (RFC 6749 §6).
    pub(crate) scope: &'a [String],
    /// The scope of the grant, which a new refresh token keeps (RFC 6749 §6).
    pub(crate) granted_scope: &'a [String],
    /// The `authorization_details` of the access token: the grant's, or fewer (RFC 9396 §6.1).
    pub(crate) authorization_details: Option<&'a [Value]>,
    /// The grant's `authorization_details`, which a new refresh token keeps.
    pub(crate) granted_details: Option<&'a [Value]>,
    /// When the user authenticated.
    pub(crate) auth_time: UnixTime,
    /// `nonce` of the authorization request, for the ID token.
    pub(crate) nonce: Option<&'a str>,
    /// The thumbprint of the key the request's DPoP proof showed (RFC 9449 §6.1).
    pub(crate) dpop_jkt: Option<&'a str>,
    /// What becomes of refresh tokens: a new one, the one used kept, or none at all.
    pub(crate) refresh: RefreshIssue,
}

/// The refresh token of a `/token` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshIssue {
    /// Issue a new one (a code redeemed, a refresh with rotation), if the client may refresh.
    New,
    /// The one used stays valid (a refresh without rotation, RFC 6749 §6): none is issued,
    /// and the grant lives as long as it.
    Kept,
    /// There is none, and never will be (`client_credentials`, RFC 6749 §4.4.3).
    Never,
}

/// `token_type` of an access token bound to a DPoP key (RFC 9449 §5).
pub const TOKEN_TYPE_DPOP: &str = "DPoP";
/// `token_type` of a bearer access token (RFC 6750).
pub const TOKEN_TYPE_BEARER: &str = "Bearer";

/// RFC 6749 §5.1.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token (a JWT, RFC 9068).
    pub access_token: String,
    /// `Bearer`, or `DPoP` for a token bound to a key (RFC 9449 §5).
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
    /// What the access token is for (RFC 9396 §7), when the request named it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Vec<Value>>,
}

impl Provider {
    pub(crate) async fn issue_tokens(
        &self,
        client: &Arc<Client>,
        grant: &Issuance<'_>,
        now: UnixTime,
    ) -> Result<TokenResponse, OAuthError> {
        let Issuance {
            grant_id,
            subject,
            scope,
            granted_scope,
            authorization_details,
            granted_details,
            auth_time,
            nonce,
            dpop_jkt,
            refresh,
        } = *grant;
        let l = &self.settings.lifetimes;
        let access_lifetime = self.settings.access_token_lifetime(client);
        let refresh_lifetime = self.settings.refresh_token_lifetime(client);
        let scope_str = scope.join(" ");
        let mut access_claims = json!({
            "iss": self.settings.issuer,
            "sub": subject,
            "aud": self.settings.issuer,
            "client_id": client.id(),
            "scope": scope_str,
            "jti": random_token(self.rng.as_ref(), 16),
            "gid": grant_id,
            "iat": now,
            "exp": now + access_lifetime,
        });
        if let Some(obj) = access_claims.as_object_mut() {
            // RFC 9449 §6.1: the confirmation claim names the key's thumbprint.
            if let Some(jkt) = dpop_jkt {
                obj.insert("cnf".into(), json!({ "jkt": jkt }));
            }
            // RFC 9396 §9.1: what the token is for travels in it.
            if let Some(d) = authorization_details {
                obj.insert("authorization_details".into(), json!(d));
            }
        }
        let access_token = self
            .keys
            .sign(ACCESS_TOKEN_ALG, "at+jwt", &access_claims)
            .map_err(|e| OAuthError::server(e.to_string()))?;
        let id_token = if scope.iter().any(|s| s == "openid") {
            let alg = self.settings.id_token_alg(client);
            let at_hash = at_hash(alg, &access_token);
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
            if let Some(obj) = claims.as_object_mut() {
                if let Some(n) = nonce {
                    obj.insert("nonce".into(), json!(n));
                }
                // OpenID Connect Core §5.4: the profile attributes the scope releases travel in
                // the ID token as well as at /userinfo; the user is read only when a scope asks.
                if scope.iter().any(|s| CLAIM_SCOPES.contains(&s.as_str())) {
                    let scope: Vec<&str> = scope.iter().map(String::as_str).collect();
                    if let Some(user) = self.store.user_get(subject).await? {
                        super::userinfo::release_claims(obj, &user, &scope);
                    }
                }
            }
            Some(
                self.keys
                    .sign(alg, "JWT", &claims)
                    .map_err(|e| OAuthError::server(e.to_string()))?,
            )
        } else {
            None
        };
        let refresh_token = (refresh == RefreshIssue::New && client.allows_grant("refresh_token"))
            .then(|| ordered_token(self.clock.now_millis(), self.rng.as_ref()));
        let stored_refresh = match &refresh_token {
            Some(rt) => {
                let payload = RefreshPayload {
                    client_id: client.id().to_string(),
                    scope: granted_scope.to_vec(),
                    subject: subject.to_string(),
                    auth_time,
                    dpop_jkt: dpop_jkt
                        .filter(|_| client.config.is_public())
                        .map(str::to_string),
                    authorization_details: granted_details.map(<[Value]>::to_vec),
                };
                Some(StoredRefreshToken {
                    token_hash: secret_key(rt),
                    grant_id: grant_id.to_string(),
                    payload: Payload::encode(&payload)
                        .map_err(|e| OAuthError::server(e.to_string()))?,
                    expires_at: now + refresh_lifetime,
                })
            }
            None => None,
        };
        // A grant lives as long as the longest-lived token it has (a refresh token without
        // rotation was extended by its use); the store never shortens it. The new refresh
        // token and the grant's new expiry are one write.
        let keep = if refresh_token.is_some() || refresh == RefreshIssue::Kept {
            access_lifetime.max(refresh_lifetime)
        } else {
            access_lifetime
        };
        self.store
            .tokens_issued(IssuedTokens {
                grant_id: grant_id.to_string(),
                grant_expires_at: now + keep,
                refresh: stored_refresh,
            })
            .await?;
        Ok(TokenResponse {
            access_token,
            token_type: if dpop_jkt.is_some() {
                TOKEN_TYPE_DPOP
            } else {
                TOKEN_TYPE_BEARER
            }
            .into(),
            expires_in: access_lifetime,
            scope: scope_str,
            refresh_token,
            id_token,
            authorization_details: authorization_details.map(<[Value]>::to_vec),
        })
    }
}

/// OpenID Connect Core §3.1.3.6: `at_hash` is the left half of the hash of the access token,
/// with the hash of the ID token's `alg` (SHA-256 for RS256, PS256, ES256; SHA-512 for
/// EdDSA with Ed25519, as OpenID Connect Core errata set 2 and other servers do).
pub fn at_hash(alg: JwsAlg, access_token: &str) -> String {
    let hash = match alg {
        JwsAlg::EdDSA | JwsAlg::Ed25519 | JwsAlg::RS512 | JwsAlg::PS512 | JwsAlg::ES512 => {
            &aws_lc_rs::digest::SHA512
        }
        JwsAlg::RS384 | JwsAlg::PS384 | JwsAlg::ES384 => &aws_lc_rs::digest::SHA384,
        _ => &aws_lc_rs::digest::SHA256,
    };
    let digest = aws_lc_rs::digest::digest(hash, access_token.as_bytes());
    let d = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&d[..d.len() / 2])
}
