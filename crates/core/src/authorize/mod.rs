//! The authorization request pipeline (SPEC §4). Each stage is one module; the order is here,
//! on one screen. `/authorize` and (later) `/par` share the stages.
//!
//! | # | stage | module | errors |
//! |---|-------|--------|--------|
//! | 1 | size and shape, duplicates | [`params`] | `invalid_request`, page |
//! | 1 | client | [`crate::clients`] | unknown → page |
//! | 2 | source (query, `request`, `request_uri`) | [`source`] | RFC 9101 §7 codes, page |
//! | 6 | `redirect_uri` registered | [`redirect_uri`] | page; **after this, errors redirect** |
//! | 6 | `response_type`, `response_mode` | [`response_type`] | redirect |
//! | 6 | `scope` | [`scope`] | redirect |
//! | 6 | PKCE | [`pkce`] | redirect |
//! | 6 | `prompt`, `max_age`, `nonce` | [`prompt`] | redirect |
//! | 6 | client and server policy (JAR, PAR required) | here | redirect |

pub mod params;
pub mod pkce;
pub mod prompt;
pub mod redirect_uri;
pub mod response_type;
pub mod scope;
pub mod source;

use crate::clients::Client;
use crate::error::{OAuthError, RedirectTarget};
use crate::settings::Settings;
use params::RawParams;
use prompt::PromptRequest;
use serde::{Deserialize, Serialize};
use source::Transport;
use std::collections::BTreeMap;
use std::sync::Arc;
use writ_protocol::ErrorCode;

/// Longest accepted `state` and `nonce` (bytes).
pub const MAX_STATE_BYTES: usize = 2048;

/// An authorization request that passed every stage. Only this type reaches login, consent
/// and code issuance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatedRequest {
    /// The client.
    pub client_id: String,
    /// A redirect URI registered for the client.
    pub redirect_uri: String,
    /// Always `code`.
    pub response_type: String,
    /// Granted-if-approved scope.
    pub scope: Vec<String>,
    /// `state`, echoed.
    pub state: Option<String>,
    /// `nonce`, put in the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// `prompt` / `max_age`.
    pub prompt: PromptRequest,
    /// `login_hint`.
    pub login_hint: Option<String>,
    /// The effective parameters (SPEC §4.8).
    pub parameters: BTreeMap<String, String>,
    /// Names of parameters that came from a signed request object (none for plain requests).
    pub trusted: Vec<String>,
    /// The request object's full claim set, when there was one.
    pub request_object_values: Option<serde_json::Map<String, serde_json::Value>>,
    /// How the request arrived.
    pub transport: Transport,
}

impl ValidatedRequest {
    /// Whether this is an OpenID Connect request.
    pub fn is_openid(&self) -> bool {
        self.scope.iter().any(|s| s == "openid")
    }
    /// Where errors and the response go.
    pub fn redirect_target(&self) -> RedirectTarget {
        RedirectTarget {
            redirect_uri: self.redirect_uri.clone(),
            state: self.state.clone(),
        }
    }
}

/// Stages 1–6 for a request whose client is already loaded (stage 1's client lookup is the
/// caller's, because an unknown client is answered with a page, never a redirect).
pub fn validate(
    settings: &Settings,
    client: &Arc<Client>,
    raw: &RawParams,
) -> Result<ValidatedRequest, OAuthError> {
    // Stage 2: source.
    let transport = source::resolve(raw)?;

    // Stage 6: the effective parameters are the query's (no request object in this build).
    let p = raw;
    let state = bounded(p.get("state"), "state")?;
    let scope_raw = p.get("scope");
    let openid = scope_raw.is_some_and(|s| s.split(' ').any(|x| x == "openid"));

    let redirect_uri = redirect_uri::resolve(client, p.get("redirect_uri"), openid)?;
    let target = RedirectTarget {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
    };
    // From here on, errors are redirected to the client (RFC 6749 §4.1.2.1).
    let redirectable = |e: OAuthError| e.redirect_to(&target);

    response_type::check(client, p.get("response_type"), p.get("response_mode"))
        .map_err(redirectable)?;
    let scope = scope::check(client, scope_raw).map_err(redirectable)?;
    let code_challenge = pkce::check_challenge(
        client,
        p.get("code_challenge"),
        p.get("code_challenge_method"),
    )
    .map_err(redirectable)?;
    let prompt = prompt::check(p.get("prompt"), p.get("max_age")).map_err(redirectable)?;
    let nonce = bounded(p.get("nonce"), "nonce").map_err(redirectable)?;
    let login_hint = bounded(p.get("login_hint"), "login_hint").map_err(redirectable)?;

    if settings.jar.require_signed_request_object || client.config.require_signed_request_object {
        return Err(redirectable(OAuthError::invalid_request(
            "this client must send a signed request object (RFC 9101 §10.5)",
        )));
    }
    if settings.par.require || client.config.require_par {
        return Err(redirectable(OAuthError::invalid_request(
            "this client must use pushed authorization requests (RFC 9126 §6)",
        )));
    }

    Ok(ValidatedRequest {
        client_id: client.id().to_string(),
        redirect_uri,
        response_type: "code".into(),
        scope,
        state,
        nonce,
        code_challenge,
        prompt,
        login_hint,
        parameters: p.as_map().clone(),
        trusted: Vec::new(),
        request_object_values: None,
        transport,
    })
}

fn bounded(v: Option<&str>, name: &'static str) -> Result<Option<String>, OAuthError> {
    match v {
        Some(s) if s.len() > MAX_STATE_BYTES => Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            format!("{name} is longer than {MAX_STATE_BYTES} bytes"),
        )),
        other => Ok(other.map(str::to_string)),
    }
}
