//! Pushed authorization requests (RFC 9126; SPEC §6): what `/par` accepts (stage 1 of the
//! pipeline, [`super::run`] with `Endpoint::Par`), the `request_uri` that `/par` hands out,
//! and its one-time use at `/authorize`. (That a client must push is checked in stage 6,
//! [`super::validated`].)
//!
//! `/par` runs the same stages as `/authorize` and stores the [`ValidatedRequest`] under the
//! SHA-256 of a random reference ([`push`]); `/authorize` takes it back, once, for the client
//! that pushed it, before it expires ([`take`]). **The row is removed by one atomic statement
//! of the store (`pushed_request_take`)**, so of any number of uses across any number of nodes
//! sharing the store exactly one succeeds.

use super::params::{RawParams, printable};
use super::request_object::refusal::{Check, Refusal};
use super::source::PAR_URN_PREFIX;
use super::validated::ValidatedRequest;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::ports::{Payload, PushedRecord, Record, Rng, Store, StoredPushedRequest, UnixTime};
use crate::secret::{ordered_token, secret_key};

/// Longest reference looked up (a real one is 54 characters: an [`ordered_token`], whose 256
/// random bits are above the 128 that SPEC §6 asks for, so that a reference cannot be
/// guessed, RFC 9126 §7.1; one made before that form is 43); longer ones are refused
/// without touching the store.
const MAX_REFERENCE_CHARS: usize = 128;

/// Client-authentication parameters (RFC 6749 §2.3.1, RFC 7523 §2.2): the only ones that may
/// stand beside a pushed `request` object (SPEC §6), and never part of the request itself.
pub const CLIENT_AUTHENTICATION: &[&str] = &[
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

/// What `/par` answers (RFC 9126 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PushedAuthorizationResponse {
    /// `urn:ietf:params:oauth:request_uri:<reference>`.
    pub request_uri: String,
    /// Seconds until it expires.
    pub expires_in: i64,
}

/// Stage 1 at `/par`: what may be pushed. `request_uri` is refused (RFC 9126 §2.1), and
/// beside a `request` object only client authentication may stand (RFC 9126 §3).
pub fn check_shape(raw: &RawParams) -> Result<(), OAuthError> {
    if raw.get("request_uri").is_some() {
        return Err(OAuthError::invalid_request(
            "request_uri must not be sent to the pushed authorization request endpoint \
             (RFC 9126 §2.1)",
        ));
    }
    if raw.get("request").is_some()
        && let Some((name, _)) = raw
            .iter()
            .find(|(k, _)| *k != "request" && !CLIENT_AUTHENTICATION.contains(k))
    {
        return Err(OAuthError::invalid_request(format!(
            "parameter {} must be inside the request object, not beside it (RFC 9126 §3)",
            printable(name)
        )));
    }
    Ok(())
}

/// A stored pushed request's payload is the [`ValidatedRequest`] that `/par` validated (RFC
/// 9126 §2.2): read back only by [`take`].
impl Record for PushedRecord {
    type Value = ValidatedRequest;
}

/// A validated request encoded for the store, its size known before anything is written.
#[derive(Debug)]
pub struct Admitted {
    client_id: String,
    payload: Payload<PushedRecord>,
}

impl Admitted {
    /// Encode `request` for the store.
    pub fn encode(request: &ValidatedRequest) -> Result<Self, OAuthError> {
        Ok(Admitted {
            client_id: request.client_id().to_string(),
            payload: Payload::encode(request).map_err(|e| OAuthError::server(e.to_string()))?,
        })
    }

    /// Refuse it when larger than `max` bytes (a public client's push, issue 16 finding 2).
    pub fn at_most(self, max: usize) -> Result<Self, OAuthError> {
        if self.payload.as_stored().len() > max {
            return Err(OAuthError::invalid_request(format!(
                "a public client's pushed request may hold at most {max} bytes; send large \
                 values as a confidential client"
            )));
        }
        Ok(self)
    }
}

/// Store `request` (validated at `/par`, pushed by its client) for `lifetime` seconds and
/// return its `request_uri`. `millis` (`Clock::now_millis`) only orders the row among the
/// others ([`ordered_token`]).
pub async fn push(
    store: &dyn Store,
    rng: &dyn Rng,
    request: Admitted,
    now: UnixTime,
    millis: i64,
    lifetime: i64,
) -> Result<PushedAuthorizationResponse, OAuthError> {
    let Admitted { client_id, payload } = request;
    let reference = ordered_token(millis, rng);
    store
        .pushed_request_insert(&StoredPushedRequest {
            uri_hash: secret_key(&reference),
            client_id,
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

/// Stage 2 for a pushed `request_uri` (RFC 9126 §4): take the pushed request `reference` of
/// `client`, once, unexpired, only for the client that pushed it. It is the whole request:
/// the other query parameters are not used.
pub async fn take(
    store: &dyn Store,
    client: &Client,
    reference: &str,
    now: UnixTime,
) -> Result<ValidatedRequest, OAuthError> {
    if reference.is_empty() || reference.chars().count() > MAX_REFERENCE_CHARS {
        return Err(unusable());
    }
    // The one place a pushed request is consumed: atomically, once across every node.
    let row = store
        .pushed_request_take(&secret_key(reference), client.id(), now)
        .await?
        .ok_or_else(unusable)?;
    let request = row
        .payload
        .decode()
        .map_err(|e| OAuthError::server(e.to_string()))?;
    if request.client_id() != client.id() {
        return Err(OAuthError::server(
            "a stored pushed request names another client than its row",
        ));
    }
    // The registration may have changed since the push: the redirect_uri must still be one
    // of the client's.
    if !client.has_redirect_uri(request.redirect_uri()) {
        return Err(Refusal::new(
            Check::Pushed,
            "the pushed request's redirect_uri is no longer registered for this client",
        )
        .into_error());
    }
    Ok(request)
}
