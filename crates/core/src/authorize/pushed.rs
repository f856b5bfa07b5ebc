//! Pushed authorization requests (RFC 9126; SPEC §6): the `request_uri` that `/par` hands
//! out, and its one-time use at `/authorize`.
//!
//! `/par` runs the same stages as `/authorize` ([`super::run_pushed`]) and stores the
//! [`ValidatedRequest`] under the SHA-256 of a random reference; `/authorize` takes it back,
//! once, for the client that pushed it, before it expires ([`take`]). The row is removed by
//! one atomic statement, so of any number of uses across any number of nodes sharing the
//! store exactly one succeeds.

use super::ValidatedRequest;
use super::request_object::refusal::{Check, Refusal};
use super::source::Transport;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::ports::{Rng, Store, StoredPushedRequest, UnixTime};
use crate::secret::{hash_token, random_token};

/// RFC 9126 §2.2: the `request_uri` is this URN followed by the reference.
pub const PAR_URN_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Random bytes in a reference: 256 bits, above the 128 that SPEC §6 asks for, so that a
/// reference cannot be guessed (RFC 9126 §7.1).
pub const REFERENCE_BYTES: usize = 32;

/// Longest reference looked up (a real one is 43 characters); longer ones are refused
/// without touching the store.
const MAX_REFERENCE_CHARS: usize = 128;

/// What `/par` answers (RFC 9126 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PushedAuthorizationResponse {
    /// `urn:ietf:params:oauth:request_uri:<reference>`.
    pub request_uri: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// Store `request` (already validated, pushed by `request.client_id`) for `lifetime` seconds
/// and return its `request_uri`.
pub async fn push(
    store: &dyn Store,
    rng: &dyn Rng,
    mut request: ValidatedRequest,
    now: UnixTime,
    lifetime: i64,
) -> Result<PushedAuthorizationResponse, OAuthError> {
    request.transport = Transport::Pushed;
    let reference = random_token(rng, REFERENCE_BYTES);
    let payload = serde_json::to_string(&request)
        .map_err(|e| OAuthError::server(format!("pushed request encode: {e}")))?;
    store
        .pushed_request_insert(&StoredPushedRequest {
            uri_hash: hash_token(&reference),
            client_id: request.client_id.clone(),
            payload,
            expires_at: now + lifetime,
        })
        .await?;
    Ok(PushedAuthorizationResponse {
        request_uri: format!("{PAR_URN_PREFIX}{reference}"),
        expires_in: lifetime,
    })
}

fn unusable() -> OAuthError {
    Refusal::new(
        Check::Pushed,
        "the pushed request_uri is unknown, expired, already used, or was pushed by another client",
    )
    .into_error()
}

/// Take the pushed request `reference` of `client_id` (RFC 9126 §4): once, unexpired, only
/// for the client that pushed it.
pub async fn take(
    store: &dyn Store,
    client: &Client,
    reference: &str,
    now: UnixTime,
) -> Result<ValidatedRequest, OAuthError> {
    if reference.is_empty() || reference.chars().count() > MAX_REFERENCE_CHARS {
        return Err(unusable());
    }
    let row = store
        .pushed_request_take(&hash_token(reference), client.id(), now)
        .await?
        .ok_or_else(unusable)?;
    let request: ValidatedRequest = serde_json::from_str(&row.payload)
        .map_err(|e| OAuthError::server(format!("pushed request decode: {e}")))?;
    if request.client_id != client.id() {
        return Err(OAuthError::server(
            "a stored pushed request names another client than its row",
        ));
    }
    // The registration may have changed since the push: the redirect_uri must still be one
    // of the client's.
    if !client.has_redirect_uri(&request.redirect_uri) {
        return Err(Refusal::new(
            Check::Pushed,
            "the pushed request's redirect_uri is no longer registered for this client",
        )
        .into_error());
    }
    Ok(request)
}
