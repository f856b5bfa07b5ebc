//! The UserInfo endpoint (OpenID Connect Core §5.3) with bearer tokens (RFC 6750) and
//! DPoP-bound tokens (RFC 9449 §7): a token with `cnf.jkt` is accepted only under the `DPoP`
//! scheme with a proof of that key carrying `ath`; a token without one only as Bearer.

use crate::dpop::{self, DpopCheck, Sent};
use crate::error::OAuthError;
use crate::ports::StoredUser;
use crate::provider::Provider;
use serde_json::{Map, Value, json};
use writ_jose::{UnverifiedJws, select_verifying_keys};
use writ_protocol::ErrorCode;

/// The replay-cache namespace of revoked access tokens' `jti`s ([`super::revoke`]).
pub const REVOKED_ACCESS_TOKENS: &str = "at-revoked";

/// Largest access token accepted.
pub const MAX_ACCESS_TOKEN_BYTES: usize = 8 * 1024;

fn invalid_token(detail: impl Into<String>) -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidToken,
        "the access token is invalid or expired",
    )
    .with_detail(detail)
}

/// The `Authorization` scheme an access token came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Bearer` (RFC 6750 §2.1).
    Bearer,
    /// `DPoP` (RFC 9449 §7.1).
    Dpop,
}

/// An access token as a protected resource received it.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    /// The scheme.
    pub scheme: Scheme,
    /// The token.
    pub token: &'a str,
    /// The request's method and `DPoP` headers.
    pub dpop: Sent<'a>,
}

impl Provider {
    /// Check an access token issued by this server: signature by a current key, `typ`
    /// `at+jwt` (RFC 9068 §4), issuer, expiry, that its grant is not revoked, and that it was
    /// not revoked itself (RFC 7009).
    pub async fn verify_access_token(&self, token: &str) -> Result<Map<String, Value>, OAuthError> {
        let parsed = UnverifiedJws::parse(token, MAX_ACCESS_TOKEN_BYTES)
            .map_err(|e| invalid_token(format!("parse: {e}")))?;
        let h = parsed.header();
        if h.typ.as_deref() != Some("at+jwt") {
            return Err(invalid_token("typ is not at+jwt"));
        }
        let kid = h.kid.as_deref().ok_or_else(|| invalid_token("no kid"))?;
        let snap = self.keys.current();
        let keys = select_verifying_keys(snap.verifying_keys(), Some(kid), h.alg);
        let key = keys.first().ok_or_else(|| invalid_token("unknown kid"))?;
        let claims = parsed
            .verify(key)
            .and_then(|v| v.payload_json())
            .map_err(|e| invalid_token(format!("verify: {e}")))?;
        if claims.get("iss").and_then(Value::as_str) != Some(self.settings.issuer.as_str()) {
            return Err(invalid_token("wrong iss"));
        }
        let now = self.clock.now();
        if claims
            .get("exp")
            .and_then(Value::as_i64)
            .is_none_or(|e| e <= now)
        {
            return Err(invalid_token("expired"));
        }
        let gid = claims
            .get("gid")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid_token("no grant"))?;
        match self.store.grant_get(gid).await? {
            Some(g) if g.revoked_at.is_none() => {}
            _ => return Err(invalid_token("grant revoked")),
        }
        // RFC 7009 §2: a token its client revoked stays refused until it expires.
        let jti = claims
            .get("jti")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid_token("no jti"))?;
        if self
            .store
            .replay_seen(REVOKED_ACCESS_TOKENS, jti, now)
            .await?
        {
            return Err(invalid_token("revoked"));
        }
        Ok(claims)
    }

    /// RFC 9449 §7: the token's binding against the scheme and the proof it came with.
    async fn check_sender(
        &self,
        claims: &Map<String, Value>,
        presented: &Presented<'_>,
        path: &str,
    ) -> Result<(), OAuthError> {
        let bound = claims
            .get("cnf")
            .and_then(|c| c.get("jkt"))
            .and_then(Value::as_str);
        let client_id = claims.get("client_id").and_then(Value::as_str);
        match (presented.scheme, bound) {
            (Scheme::Bearer, None) => Ok(()),
            (Scheme::Bearer, Some(_)) => Err(OAuthError::new(
                ErrorCode::InvalidToken,
                "this access token is DPoP-bound: present it with Authorization: DPoP and a proof (RFC 9449 §7.2)",
            )),
            (Scheme::Dpop, None) => Err(OAuthError::new(
                ErrorCode::InvalidToken,
                "this access token is not DPoP-bound: present it as Bearer",
            )),
            (Scheme::Dpop, Some(jkt)) => {
                let proof = self
                    .dpop_proof(&presented.dpop, path, Some(presented.token), client_id)
                    .await?
                    .ok_or_else(|| {
                        dpop::refused(
                            DpopCheck::Missing,
                            "a DPoP-bound access token needs a DPoP proof (RFC 9449 §7.1)",
                        )
                    })?;
                if proof.jkt() == jkt {
                    Ok(())
                } else {
                    let e = dpop::refused(
                        DpopCheck::Binding,
                        "the DPoP proof is not signed by the key the access token is bound to",
                    );
                    dpop::audit_refused(&e, client_id, path);
                    Err(e)
                }
            }
        }
    }

    /// The claims about the token's user allowed by its scope (OpenID Connect Core §5.4).
    pub async fn userinfo(&self, presented: Presented<'_>) -> Result<Value, OAuthError> {
        let claims = self.verify_access_token(presented.token).await?;
        self.check_sender(&claims, &presented, "/userinfo").await?;
        let scope: Vec<&str> = claims
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or("")
            .split(' ')
            .collect();
        if !scope.contains(&"openid") {
            return Err(OAuthError::new(
                ErrorCode::InvalidToken,
                "the access token was not issued for openid",
            ));
        }
        let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
        let user = self
            .store
            .user_get(sub)
            .await?
            .ok_or_else(|| invalid_token("user no longer exists"))?;
        let mut out = Map::new();
        out.insert("sub".into(), json!(user.id));
        release_claims(&mut out, &user, &scope);
        Ok(Value::Object(out))
    }
}

/// OpenID Connect Core §5.4: the profile attributes `scope` releases, into `out`;
/// `preferred_username` (the account's username) with `profile`.
pub(crate) fn release_claims(out: &mut Map<String, Value>, user: &StoredUser, scope: &[&str]) {
    if scope.contains(&"profile") {
        out.insert("preferred_username".into(), json!(user.username));
    }
    let stored: Map<String, Value> = serde_json::from_str(&user.claims).unwrap_or_default();
    for (name, value) in writ_protocol::claims::released(&stored, scope) {
        out.insert(name.into(), value.clone());
    }
}
