//! The introspection endpoint (RFC 7662; RFC 9701 for its signed form): a client or resource
//! server asks whether a token is active and what it stands for.
//!
//! In this order: client authentication (every method of SPEC §2 but `none`, RFC 7662 §2.1);
//! the `token` parameter; then the token by its shape, whatever `token_type_hint` says (the
//! hint only ever orders a search, RFC 7662 §2.1, and the two kinds cannot be confused): a JWS
//! is an access token ([`Provider::verify_access_token`]: signature, expiry, grant and
//! revocation), anything else a refresh token (live in the store). An active token is
//! described only to the client it was issued to, or, for an access token, to a resource
//! server (a client registered with no grant type); any other caller is told
//! `{"active": false}`, as for an expired, revoked or unknown token (RFC 7662 §2.2).

use super::issue::{RefreshPayload, TOKEN_TYPE_BEARER, TOKEN_TYPE_DPOP};
use super::userinfo::MAX_ACCESS_TOKEN_BYTES;
use crate::authorize::params::RawParams;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::ports::UnixTime;
use crate::provider::Provider;
use crate::secret::secret_key;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use writ_protocol::ErrorCode;

/// Largest introspection or revocation request body (bytes).
pub const MAX_TOKEN_REQUEST_BYTES: usize = 16 * 1024;

/// `typ` of a signed introspection response (RFC 9701 §5).
pub const TYP_TOKEN_INTROSPECTION: &str = "token-introspection+jwt";

/// The answer about one token (RFC 7662 §2.2). `active: false` carries nothing else.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Introspection {
    /// Whether the token is active.
    pub active: bool,
    /// What an active token stands for.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub token: Option<ActiveToken>,
}

/// What an active token stands for (RFC 7662 §2.2).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActiveToken {
    /// Space-separated scope.
    pub scope: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The user.
    pub sub: String,
    /// Expiry (Unix seconds).
    pub exp: UnixTime,
    /// Issue time (access tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<UnixTime>,
    /// This server.
    pub iss: String,
    /// The token's audience (access tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Value>,
    /// `Bearer` or `DPoP` for an access token (RFC 6749 §5.1, RFC 9449 §5); `refresh_token`
    /// for a refresh token (RFC 7662 §2.2 leaves the value to the server).
    pub token_type: &'static str,
    /// The key the token is bound to (RFC 9449 §6.1: `{"jkt": ...}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Value>,
    /// The access token's identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// What the token is for (RFC 9396 §9.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Value>,
}

impl Introspection {
    /// `{"active": false}`.
    pub const INACTIVE: Introspection = Introspection {
        active: false,
        token: None,
    };
}

/// A token found, before the caller's right to see it is checked.
pub(crate) enum Found {
    /// A valid access token's claims.
    Access(Map<String, Value>),
    /// A live refresh token: its grant and what it stands for.
    Refresh {
        grant_id: String,
        expires_at: UnixTime,
        payload: RefreshPayload,
    },
}

impl Found {
    /// The client the token was issued to.
    pub(crate) fn client_id(&self) -> &str {
        match self {
            Found::Access(claims) => claims
                .get("client_id")
                .and_then(Value::as_str)
                .unwrap_or(""),
            Found::Refresh { payload, .. } => &payload.client_id,
        }
    }
}

impl Provider {
    /// `POST /introspect`. `form` is the raw body; `authorization` the `Authorization`
    /// header. Returns the caller (for a signed answer) and the answer.
    pub async fn introspect(
        &self,
        form: &[u8],
        authorization: Option<&str>,
    ) -> Result<(Arc<Client>, Introspection), OAuthError> {
        let form = RawParams::parse(form, MAX_TOKEN_REQUEST_BYTES)?;
        let caller = self
            .authenticate_client(&form, authorization, "/introspect", &[])
            .await?;
        // RFC 7662 §4: a caller that proves nothing could probe for active tokens.
        if caller.config.is_public() {
            return Err(OAuthError::new(
                ErrorCode::InvalidClient,
                "a public client (token_endpoint_auth_method none) cannot introspect tokens",
            ));
        }
        let token = form
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is required (RFC 7662 §2.1)"))?;
        let answer = match self.find_token(token).await? {
            Some(found) if may_see(&caller, &found) => describe(&self.settings.issuer, found),
            _ => Introspection::INACTIVE,
        };
        Ok((caller, answer))
    }

    /// An active token by its shape: an access token if it is a JWS this server signed and
    /// still honours, else a live refresh token; `None` for anything else.
    pub(crate) async fn find_token(&self, token: &str) -> Result<Option<Found>, OAuthError> {
        if token.len() > MAX_ACCESS_TOKEN_BYTES {
            return Ok(None);
        }
        if token.contains('.') {
            return match self.verify_access_token(token).await {
                Ok(claims) => Ok(Some(Found::Access(claims))),
                // A store failure is not an inactive token.
                Err(e) if e.code == ErrorCode::InvalidToken => Ok(None),
                Err(e) => Err(e),
            };
        }
        let now = self.clock.now();
        let Some(stored) = self.store.refresh_get_live(&secret_key(token), now).await? else {
            return Ok(None);
        };
        let payload = stored
            .payload
            .decode()
            .map_err(|e| OAuthError::server(format!("refresh token payload: {e}")))?;
        Ok(Some(Found::Refresh {
            grant_id: stored.grant_id,
            expires_at: stored.expires_at,
            payload,
        }))
    }

    /// The signed form of an answer (RFC 9701 §5): `iss`, `aud` = the caller, `iat`, and the
    /// answer as `token_introspection`, signed with the caller's
    /// `introspection_signed_response_alg`, then encrypted to it when it registered
    /// `introspection_encrypted_response_alg` (RFC 9701 §6).
    pub async fn sign_introspection(
        &self,
        caller: &Client,
        answer: &Introspection,
    ) -> Result<String, OAuthError> {
        let claims = json!({
            "iss": self.settings.issuer,
            "aud": caller.id(),
            "iat": self.clock.now(),
            "token_introspection": answer,
        });
        let jwt = self
            .keys
            .sign(
                self.settings.introspection_alg(caller),
                TYP_TOKEN_INTROSPECTION,
                &claims,
            )
            .map_err(|e| OAuthError::server(e.to_string()))?;
        let c = &caller.config;
        self.encrypt_to(
            caller,
            c.introspection_encrypted_response_alg.as_ref(),
            c.introspection_encrypted_response_enc.as_ref(),
            jwt,
        )
        .await
    }
}

/// RFC 7662 §2.2, §4: the client the token was issued to sees it; a resource server (a client
/// with no grant type) sees access tokens; nobody else learns that the token is active.
fn may_see(caller: &Client, found: &Found) -> bool {
    if found.client_id() == caller.id() {
        return true;
    }
    matches!(found, Found::Access(_)) && caller.config.grant_types.is_empty()
}

/// What an active token stands for.
fn describe(issuer: &str, found: Found) -> Introspection {
    let token = match found {
        Found::Access(mut claims) => {
            let text = |c: &Map<String, Value>, k: &str| {
                c.get(k).and_then(Value::as_str).unwrap_or("").to_string()
            };
            let cnf = claims.remove("cnf");
            ActiveToken {
                scope: text(&claims, "scope"),
                client_id: text(&claims, "client_id"),
                sub: text(&claims, "sub"),
                exp: claims.get("exp").and_then(Value::as_i64).unwrap_or(0),
                iat: claims.get("iat").and_then(Value::as_i64),
                iss: issuer.to_string(),
                aud: claims.remove("aud"),
                token_type: if cnf.is_some() {
                    TOKEN_TYPE_DPOP
                } else {
                    TOKEN_TYPE_BEARER
                },
                cnf,
                jti: claims
                    .get("jti")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                authorization_details: claims.remove("authorization_details"),
            }
        }
        Found::Refresh {
            expires_at,
            payload,
            ..
        } => ActiveToken {
            scope: payload.scope.join(" "),
            client_id: payload.client_id,
            sub: payload.subject,
            exp: expires_at,
            iat: None,
            iss: issuer.to_string(),
            aud: None,
            token_type: "refresh_token",
            cnf: payload.dpop_jkt.map(|jkt| json!({ "jkt": jkt })),
            jti: None,
            authorization_details: payload.authorization_details.map(Value::Array),
        },
    };
    Introspection {
        active: true,
        token: Some(token),
    }
}
