//! Request objects (RFC 9101): stages 3–5 of SPEC §4, and the parameter policy of stage 6.
//!
//! | # | stage | module | type after it (made only there) |
//! |---|-------|--------|---------------|
//! | 2 | size, before any parsing | [`resolve`] | [`ResolvedRequestObject`] |
//! | 3 | decrypt a JWE; the inside must be a JWS | [`decrypt`] | [`DecryptedRequestObject`] |
//! | 4 | `alg`, `typ`, `crit`, key, signature | [`verify`] | [`VerifiedRequestObject`] |
//! | 5 | `iss`, `aud`, `exp`, `nbf`, `iat`, lifetime, `client_id`, nesting, required claims, `jti` replay | [`claims`] | [`ValidatedRequestObject`] |
//! | 6 | effective parameters by `parameter_policy` | [`merge`] | [`merge::Effective`] |
//!
//! Each state's fields are private and its one constructor is the stage that proves it, so
//! nothing unverified can be used by mistake. The effective policy (server `[jar]`, profile,
//! client registration) is [`policy`]; every refusal names its [`refusal::Check`].

pub mod claims;
pub mod decrypt;
pub mod inspect;
pub mod merge;
pub mod policy;
pub mod refusal;
pub mod resolve;
pub mod types;
pub mod verify;

use crate::client_keys::RemoteKeys;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::ports::{Store, UnixTime};
pub use claims::ValidatedRequestObject;
pub use decrypt::DecryptedRequestObject;
use policy::JarPolicy;
use refusal::{Check, Refusal};
pub use resolve::ResolvedRequestObject;
use std::sync::Arc;
pub use types::{Encryption, RequestObjectHeader, RequestObjectInfo, Signer};
pub use verify::VerifiedRequestObject;
use writ_jose::DecryptionKey;

/// Replay-cache namespace of request-object `jti`s.
pub const REPLAY_NAMESPACE: &str = "request_object";

/// What stages 3–5 need.
pub struct Context<'a> {
    /// The server-wide policy.
    pub policy: &'a JarPolicy,
    /// This server's issuer identifier.
    pub issuer: &'a str,
    /// Now.
    pub now: UnixTime,
    /// The server's decryption keys (active and retiring).
    pub decryption_keys: &'a [DecryptionKey],
    /// Keys from clients' `jwks_uri`.
    pub remote_keys: &'a RemoteKeys,
    /// The replay cache and pushed requests; `None` offline (`writ request inspect`), where
    /// replay is not checked.
    pub store: Option<&'a dyn Store>,
}

/// A refused request object: the error, and the object if its signature verified (its
/// `state` and `redirect_uri` may then be used to deliver the error, SPEC §4.7).
#[derive(Debug)]
pub struct Failure {
    /// The protocol error (with the audit record).
    pub error: OAuthError,
    /// The verified object, when the failure came after stage 4.
    pub verified: Option<VerifiedRequestObject>,
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Self {
        Failure {
            error: r.into_error(),
            verified: None,
        }
    }
}

/// Stages 3–5 for one request object.
pub async fn process(
    ctx: &Context<'_>,
    client: &Arc<Client>,
    query_client_id: &str,
    ro: ResolvedRequestObject,
) -> Result<ValidatedRequestObject, Failure> {
    let policy = ctx.policy;
    // Stage 3.
    let decrypted = decrypt::decrypt(ro, policy, client, ctx.decryption_keys, ctx.now)?;

    // Stage 4, with the client's jwks_uri keys when it has one.
    // No allocation on the hot path for clients without a jwks_uri.
    let remote = match client.config.jwks_uri {
        Some(_) => Some(
            ctx.remote_keys
                .get(client, ctx.now)
                .await
                .map_err(|f| Refusal::new(Check::Key, f.public).detail(f.detail))?,
        ),
        None => None,
    };
    let remote: &[crate::clients::ClientKey] = remote.as_deref().unwrap_or(&[]);
    let mut verified = verify::verify(
        &decrypted,
        policy,
        client,
        &[&client.public_keys, remote],
        ctx.now,
    );
    if let Err(r) = &verified
        && r.check == Check::Key
        && r.kid.is_some()
        && client.config.jwks_uri.is_some()
        && let Some(fresh) = ctx
            .remote_keys
            .refetch_for_unknown_kid(client, ctx.now)
            .await
            .map_err(|f| Refusal::new(Check::Key, f.public).detail(f.detail))?
    {
        verified = verify::verify(
            &decrypted,
            policy,
            client,
            &[&client.public_keys, &fresh],
            ctx.now,
        );
    }
    let verified = verified?;

    // Stage 5.
    let cctx = claims::ClaimsContext {
        policy,
        client,
        query_client_id,
        issuer: ctx.issuer,
        now: ctx.now,
    };
    let (validated, replay) = claims::check(verified, &cctx).map_err(|b| {
        let (r, v) = *b;
        Failure {
            error: r.into_error(),
            verified: Some(v),
        }
    })?;
    if let (Some(store), Some(replay)) = (ctx.store, replay) {
        let fresh = store
            .replay_insert_once(REPLAY_NAMESPACE, &replay.key, replay.expires_at, ctx.now)
            .await;
        let refused = |e: OAuthError, v: ValidatedRequestObject| Failure {
            error: e,
            verified: Some(v.into_verified()),
        };
        match fresh {
            Ok(true) => {}
            Ok(false) => {
                let h = validated.info().header.clone();
                let r = Refusal::new(
                    Check::Replay,
                    "the request object was used before (its jti was seen)",
                )
                .about(h.kid.as_deref(), &h.alg);
                return Err(refused(r.into_error(), validated));
            }
            Err(e) => return Err(refused(OAuthError::from(e), validated)),
        }
    }
    Ok(validated)
}
