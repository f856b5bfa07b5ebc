//! The authorization request pipeline (SPEC §4; RFC 9101, RFC 9126, RFC 6749 §4.1.1): one
//! ordered list of stages in [`run`], shared by `/authorize` and `/par` ([`Endpoint`]). The
//! order a reader sees there is the order that runs; each stage is one module.
//!
//! | # | stage | module | refused with |
//! |---|-------|--------|--------------|
//! | 1 | size and shape, duplicates (the caller, before the client is known) | [`params`] | `invalid_request`, page |
//! | 1 | what `/par` accepts: no `request_uri`, nothing beside `request` | [`pushed::check_shape`] | `invalid_request` |
//! | 2 | source: query, `request`, client-hosted `request_uri`, pushed `request_uri` | [`source`] | RFC 9101 §7 codes |
//! | 2 | fetch a client-hosted `request_uri` | [`request_uri::fetch`] | `invalid_request_uri` |
//! | 2 | take a pushed request, once (then done) | [`pushed::take`] | `invalid_request_uri` |
//! | 2 | request object size | [`request_object::resolve`] | `invalid_request_object` |
//! | 3 | decrypt | [`request_object::decrypt`] | `invalid_request_object` |
//! | 4 | verify the JWS | [`request_object::verify`] | `invalid_request_object` |
//! | 5 | claims, `jti` replay | [`request_object::claims`] | `invalid_request_object` |
//! | 6 | effective parameters (`parameter_policy`) | [`request_object::merge`] | `invalid_request` |
//! | 6 | `state` size, `redirect_uri` registered: **the redirect boundary** | [`redirect_uri::target`] | page |
//! | 6 | signed request object required | [`validated`] | redirect |
//! | 6 | `response_type` | [`response_type`] | redirect |
//! | 6 | `response_mode` usable by the client (SPEC §14) | [`crate::response::check_requested`] | redirect (default mode) |
//! | 6 | `scope` | [`scope`] | redirect |
//! | 6 | `authorization_details` (RFC 9396) | [`authorization_details`] | redirect (`invalid_authorization_details`) |
//! | 6 | PKCE | [`pkce`] | redirect |
//! | 6 | `prompt`, `max_age`, `nonce`, `login_hint` | [`prompt`], [`validated`] | redirect |
//! | 6 | `dpop_jkt` (RFC 9449 §10) | [`dpop_jkt`] | redirect |
//! | 6 | pushed request required (RFC 9126 §6) | [`validated`] | redirect |
//!
//! Where an error goes is decided by type ([`AuthorizeError`]): before the boundary a refusal
//! goes to the query's registered `redirect_uri` (or, once the object's signature verified,
//! the object's) when there is one, else to a page ([`redirect_uri::early_target`]); after
//! it, to the validated target. `/par` answers every error as JSON.

pub mod authorization_details;
pub mod dpop_jkt;
pub mod params;
pub mod pkce;
pub mod prompt;
pub mod pushed;
pub mod redirect_uri;
pub mod request_object;
pub mod request_uri;
pub mod response_type;
pub mod scope;
pub mod source;
pub mod transport;
pub mod validated;

use crate::clients::Client;
use crate::error::OAuthError;
use crate::response::AuthorizeError;
use crate::settings::Settings;
use params::RawParams;
use request_object::merge;
use request_object::{ResolvedRequestObject, VerifiedRequestObject};
use request_uri::RequestUriFetcher;
use source::Source;
use std::sync::Arc;

pub use redirect_uri::MAX_STATE_BYTES;
pub use transport::{Endpoint, Transport};
pub use validated::ValidatedRequest;

/// What the pipeline needs besides the request.
pub struct Context<'a> {
    /// The server's settings.
    pub settings: &'a Settings,
    /// What stages 3–5 need.
    pub objects: request_object::Context<'a>,
    /// Stage 2: the fetcher of client-hosted `request_uri`s (`None`: refused).
    pub request_uri_fetcher: Option<&'a dyn RequestUriFetcher>,
}

/// Stages 1–6 for a request of `client` at `endpoint`. The client is the caller's (stage 1):
/// looked up at `/authorize`, where an unknown one gets a page, and authenticated at `/par`.
pub async fn run(
    ctx: &Context<'_>,
    endpoint: Endpoint,
    client: &Arc<Client>,
    raw: &RawParams,
) -> Result<ValidatedRequest, AuthorizeError> {
    let settings = ctx.settings;
    let policy = &settings.jar_policy;
    // Before the boundary of stage 6, a refusal goes where the query (or a verified object)
    // says, if that is registered (SPEC §4.7).
    let early =
        |e: OAuthError, verified: Option<&VerifiedRequestObject>| match redirect_uri::early_target(
            settings,
            client,
            raw,
            verified,
            policy.parameter_policy,
        ) {
            Some(target) => AuthorizeError::Redirect(e, Box::new(target)),
            None => AuthorizeError::Page(e),
        };

    // 1. What /par accepts (RFC 9126 §2.1, §3).
    if endpoint == Endpoint::Par {
        pushed::check_shape(raw)?;
    }
    // 2. Source (RFC 9101 §5, RFC 9126 §4).
    let source = source::classify(raw, policy, settings.par.enabled, client)
        .map_err(|r| early(r.into_error(), None))?;
    let transport = match (endpoint, source) {
        (Endpoint::Par, _) => Transport::Pushed,
        (Endpoint::Authorize, Source::Query) => Transport::Query,
        (Endpoint::Authorize, Source::ByValue(_)) => Transport::ByValue,
        (Endpoint::Authorize, Source::ByReference(_)) => Transport::ByReference,
        (Endpoint::Authorize, Source::Pushed(_)) => Transport::Pushed,
    };
    let resolved = match source {
        Source::Query => None,
        Source::ByValue(token) => Some(ResolvedRequestObject::new(
            token.to_owned(),
            Transport::ByValue,
            policy.max_bytes,
        )),
        Source::ByReference(uri) => {
            let registered = &client.config.request_uris;
            Some(
                request_uri::fetch(ctx.request_uri_fetcher, uri, registered, policy.max_bytes)
                    .await,
            )
        }
        // The pushed request is the whole request, validated when it was pushed.
        Source::Pushed(reference) => {
            let store = ctx.objects.store.ok_or_else(|| {
                AuthorizeError::Page(OAuthError::server("no store to take a pushed request from"))
            })?;
            return pushed::take(store, client, reference, ctx.objects.now)
                .await
                .map_err(|e| early(e, None));
        }
    };
    // 3–5. Decrypt, verify, check the claims (RFC 9101 §6).
    let object = match resolved {
        None => None,
        Some(resolved) => {
            let resolved = resolved.map_err(|r| early(r.into_error(), None))?;
            let query_client_id = raw.get("client_id").unwrap_or_default();
            let validated =
                request_object::process(&ctx.objects, client, query_client_id, resolved)
                    .await
                    .map_err(|f| early(f.error, f.verified.as_ref()))?;
            Some(validated)
        }
    };
    // 6. The effective request (RFC 9101 §5, OpenID Connect Core §6.3.3) ...
    let effective = merge::effective(policy.parameter_policy, raw, object.as_ref())
        .map_err(|r| early(r.into_error(), object.as_ref().map(|o| o.verified())))?;
    // ... and its validation, across the redirect boundary.
    validated::check(settings, endpoint, client, effective, object, transport)
}
