//! The redirect boundary (SPEC §4.6–4.7; RFC 6749 §3.1.2.3 and §4.1.2.1, OpenID Connect Core
//! §3.1.2.1, RFC 9101 §6.3): exact string comparison of `redirect_uri` with a registered
//! value. Until it passes, no error may be redirected; the [`RedirectTarget`] that the
//! pipeline's later errors carry is made here and nowhere else during validation.

use super::params::{RawParams, bounded};
use super::request_object::VerifiedRequestObject;
use super::request_object::merge::Effective;
use crate::clients::Client;
use crate::error::OAuthError;
use crate::response::{RedirectTarget, ResponseMode};
use crate::settings::Settings;
use writ_protocol::config::ParameterPolicy;

/// Longest accepted `state`, `nonce` and `login_hint` (bytes).
pub const MAX_STATE_BYTES: usize = 2048;

/// The redirect URI to use: the requested one if registered, or the only registered one when
/// the request names none and the request is not OpenID (OIDC Core requires it there).
pub fn resolve(
    client: &Client,
    requested: Option<&str>,
    openid: bool,
) -> Result<String, OAuthError> {
    match requested {
        Some(uri) if client.has_redirect_uri(uri) => Ok(uri.to_string()),
        Some(_) => Err(OAuthError::invalid_request(
            "redirect_uri is not registered for this client",
        )),
        None if openid => Err(OAuthError::invalid_request(
            "redirect_uri is required (OpenID Connect Core §3.1.2.1)",
        )),
        None => match client.config.redirect_uris.as_slice() {
            [only] => Ok(only.clone()),
            _ => Err(OAuthError::invalid_request(
                "redirect_uri is required when a client has several registered",
            )),
        },
    }
}

/// Stage 6, the boundary: where the effective request's response and errors go. Its
/// `state` is bounded first (an oversized one is refused on a page, never echoed), then its
/// `redirect_uri` must be registered. The response goes by its `response_mode` when the
/// client may use it, else by the client's default (SPEC §14).
pub fn target(
    settings: &Settings,
    client: &Client,
    effective: &Effective,
) -> Result<RedirectTarget, OAuthError> {
    let state = bounded(effective.get("state"), "state", MAX_STATE_BYTES)?;
    let openid = effective
        .get("scope")
        .is_some_and(|s| s.split(' ').any(|x| x == "openid"));
    let redirect_uri = resolve(client, effective.get("redirect_uri"), openid)?;
    let mode = ResponseMode::resolve(settings, client, effective.get("response_mode"));
    Ok(RedirectTarget::registered(
        client.id(),
        redirect_uri,
        state,
        mode,
    ))
}

/// Where a refusal of stages 2–6a may go (SPEC §4.7), before the effective request exists:
/// the object's `redirect_uri` and `state` once its signature verified, else the query's, and
/// only to a URI registered for the client, by the `response_mode` of the same source (SPEC
/// §14). `None`: to a page. An unverified object's `state` is never echoed.
pub fn early_target(
    settings: &Settings,
    client: &Client,
    raw: &RawParams,
    verified: Option<&VerifiedRequestObject>,
    policy: ParameterPolicy,
) -> Option<RedirectTarget> {
    let registered = |uri: Option<&str>| resolve(client, uri, false).ok();
    let bounded_state =
        |s: Option<&str>| s.filter(|s| s.len() <= MAX_STATE_BYTES).map(str::to_string);
    match verified {
        Some(ro) => {
            let redirect_uri = match ro.claim_str("redirect_uri") {
                Some(u) => registered(Some(u))?,
                None => registered(raw.get("redirect_uri"))?,
            };
            // Under `strict`, the query's values are not the request's (RFC 9101 §5).
            let object_or_query = |name: &str| match (ro.claim_str(name), policy) {
                (Some(v), _) => Some(v),
                (None, ParameterPolicy::Strict) => None,
                (None, _) => raw.get(name),
            };
            let state = bounded_state(object_or_query("state"));
            let mode = ResponseMode::resolve(settings, client, object_or_query("response_mode"));
            Some(RedirectTarget::registered(
                client.id(),
                redirect_uri,
                state,
                mode,
            ))
        }
        None => Some(RedirectTarget::registered(
            client.id(),
            registered(raw.get("redirect_uri"))?,
            bounded_state(raw.get("state")),
            ResponseMode::resolve(settings, client, raw.get("response_mode")),
        )),
    }
}
