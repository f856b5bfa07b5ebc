//! The authorization request pipeline (SPEC §4). Each stage is one module; the order is here,
//! on one screen, in [`run`]. `/authorize` and `/par` share the stages.
//!
//! | # | stage | module | errors |
//! |---|-------|--------|--------|
//! | 1 | size and shape, duplicates | [`params`] | `invalid_request`, page |
//! | 1 | client | [`crate::clients`] | unknown → page |
//! | 2 | source (query, `request`, `request_uri`, pushed) | [`source`] | RFC 9101 §7 codes |
//! | 2 | fetch a client-hosted `request_uri` | [`request_uri`], the server's fetcher | `invalid_request_uri` |
//! | 2 | take a pushed request (then done) | [`pushed`] | `invalid_request_uri` |
//! | 2 | request object size | [`request_object`] | `invalid_request_object` |
//! | 3 | decrypt | [`request_object::decrypt`] | `invalid_request_object` |
//! | 4 | verify the JWS | [`request_object::verify`] | `invalid_request_object` |
//! | 5 | claims, `jti` replay | [`request_object::claims`] | `invalid_request_object` |
//! | 6 | effective parameters (`parameter_policy`) | [`request_object::merge`] | `invalid_request` |
//! | 6 | `redirect_uri` registered | [`redirect_uri`] | page; **after this, errors redirect** |
//! | 6 | `response_type`, `response_mode` | [`response_type`] | redirect |
//! | 6 | `scope` | [`scope`] | redirect |
//! | 6 | PKCE | [`pkce`] | redirect |
//! | 6 | `prompt`, `max_age`, `nonce` | [`prompt`] | redirect |
//! | 6 | client and server policy (JAR, PAR required) | here | redirect |
//!
//! `/par` ([`run_pushed`]) runs the same stages on what is pushed and stores the result;
//! `/authorize` with the pushed `request_uri` then takes it back whole ([`pushed::take`]).
//!
//! Errors of stages 2–5 are redirected (SPEC §4.7) when the query's `redirect_uri` (or, once
//! the signature verified, the object's) is registered for the client; `state` is echoed from
//! the object only after its signature verified.

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

use crate::clients::Client;
use crate::error::{OAuthError, RedirectTarget};
use crate::settings::Settings;
use params::RawParams;
use prompt::PromptRequest;
use request_object::merge::{self, Effective};
use request_object::refusal::{Check, Refusal};
use request_object::{Failure, RequestObjectInfo, ResolvedRequestObject, VerifiedRequestObject};
use serde::{Deserialize, Serialize};
use source::{Source, Transport};
use std::collections::BTreeMap;
use std::sync::Arc;
use writ_protocol::ErrorCode;
use writ_protocol::config::ParameterPolicy;

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
    /// The request object's header, signer and encryption, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object: Option<RequestObjectInfo>,
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

/// Stages 2–6 of `/authorize` for a request whose client is already loaded (stage 1's client
/// lookup is the caller's, because an unknown client is answered with a page, never a
/// redirect).
pub async fn run(
    settings: &Settings,
    ro_ctx: &request_object::Context<'_>,
    client: &Arc<Client>,
    raw: &RawParams,
) -> Result<ValidatedRequest, OAuthError> {
    let policy = &settings.jar_policy;
    // Stage 2: source. Until an object verified, errors go to the query's registered
    // redirect_uri (or to a page).
    let early = |e: OAuthError| match failure_target(client, raw, None, policy.parameter_policy) {
        Some(t) => e.redirect_to(&t),
        None => e,
    };
    let source = source::classify(raw, policy, settings.par.enabled, client).map_err(early)?;
    match source {
        Source::Query => finish(
            settings,
            client,
            merge::query_only(raw),
            None,
            Transport::Query,
        ),
        Source::ByValue(token) => {
            from_object(
                settings,
                ro_ctx,
                client,
                raw,
                token.to_string(),
                Transport::ByValue,
            )
            .await
        }
        Source::ByReference(uri) => {
            let token = fetch_request_object(ro_ctx, uri).await.map_err(early)?;
            from_object(settings, ro_ctx, client, raw, token, Transport::ByReference).await
        }
        Source::Pushed(reference) => {
            let store = ro_ctx
                .store
                .ok_or_else(|| OAuthError::server("no store to take a pushed request from"))?;
            // RFC 9126 §4: the pushed request is the whole request; other query parameters
            // are not used.
            pushed::take(store, client, reference, ro_ctx.now)
                .await
                .map_err(early)
        }
    }
}

/// Stages 2–6 of `/par` (RFC 9126 §2.1): the same validation as `/authorize` on plain
/// parameters or a `request` object; `request_uri` is refused. The result is marked
/// [`Transport::Pushed`]; errors are never redirected (the caller answers JSON).
pub async fn run_pushed(
    settings: &Settings,
    ro_ctx: &request_object::Context<'_>,
    client: &Arc<Client>,
    raw: &RawParams,
) -> Result<ValidatedRequest, OAuthError> {
    if raw.get("request_uri").is_some() {
        return Err(OAuthError::invalid_request(
            "request_uri must not be sent to the pushed authorization request endpoint \
             (RFC 9126 §2.1)",
        ));
    }
    let policy = &settings.jar_policy;
    let result = match source::classify(raw, policy, settings.par.enabled, client)? {
        Source::ByValue(token) => {
            from_object(
                settings,
                ro_ctx,
                client,
                raw,
                token.to_string(),
                Transport::Pushed,
            )
            .await
        }
        _ => finish(
            settings,
            client,
            merge::query_only(raw),
            None,
            Transport::Pushed,
        ),
    };
    result.map_err(|mut e| {
        e.redirect = None;
        e
    })
}

/// Fetch a client-hosted request object (SPEC §5). Every failure is `invalid_request_uri`
/// naming the limit that tripped.
async fn fetch_request_object(
    ro_ctx: &request_object::Context<'_>,
    uri: &str,
) -> Result<String, OAuthError> {
    let refused = |public: String, detail: String| {
        Refusal::new(Check::RequestUri, public)
            .detail(detail)
            .into_error()
    };
    let fetcher = ro_ctx.request_uri_fetcher.ok_or_else(|| {
        OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "this server cannot fetch request_uri values",
        )
    })?;
    let body = fetcher.fetch_request_object(uri).await.map_err(|f| {
        refused(
            format!("the request_uri could not be used: {}", f.public),
            f.detail,
        )
    })?;
    let token = String::from_utf8(body).map_err(|_| {
        refused(
            "the request_uri could not be used: the response is not UTF-8 text".into(),
            "non-UTF-8 body".into(),
        )
    })?;
    // A trailing newline from a static file server is not part of the JWT.
    let trimmed = token.trim_ascii();
    if trimmed.len() == token.len() {
        return Ok(token);
    }
    Ok(trimmed.to_owned())
}

/// Stages 3–6 for a request object that arrived as `transport` (by value or by reference at
/// `/authorize`, by value at `/par` when `transport` is [`Transport::Pushed`]).
async fn from_object(
    settings: &Settings,
    ro_ctx: &request_object::Context<'_>,
    client: &Arc<Client>,
    raw: &RawParams,
    token: String,
    transport: Transport,
) -> Result<ValidatedRequest, OAuthError> {
    let policy = &settings.jar_policy;
    let query_client_id = raw.get("client_id").unwrap_or_default();
    let object_transport = match transport {
        Transport::Pushed => Transport::ByValue,
        t => t,
    };
    let resolved = ResolvedRequestObject {
        token,
        transport: object_transport,
    };
    // Stages 3–5.
    let validated = request_object::process(ro_ctx, client, query_client_id, resolved)
        .await
        .map_err(|f| deliver_failure(policy.parameter_policy, client, raw, f))?;
    // Stage 6: the effective request.
    let effective = merge::effective(
        policy.parameter_policy,
        raw,
        validated.claims(),
        validated.is_signed(),
    )
    .map_err(|r| {
        let target = failure_target(
            client,
            raw,
            Some(validated.claims()),
            policy.parameter_policy,
        );
        let e = r.into_error();
        match target {
            Some(t) => e.redirect_to(&t),
            None => e,
        }
    })?;
    finish(
        settings,
        client,
        effective,
        Some(validated.into_parts()),
        transport,
    )
}

/// Stage 6 with the client's and server's JAR requirement.
fn finish(
    settings: &Settings,
    client: &Arc<Client>,
    effective: Effective,
    ro: Option<(
        RequestObjectInfo,
        serde_json::Map<String, serde_json::Value>,
    )>,
    transport: Transport,
) -> Result<ValidatedRequest, OAuthError> {
    let requires_signed = settings.jar_policy.requires_signed(client);
    let signed = ro.as_ref().is_some_and(|(info, _)| info.signer.is_some());
    validate_effective(
        settings,
        client,
        &effective,
        transport,
        ro,
        requires_signed && !signed,
    )
}

/// Where a refused request object's error goes (SPEC §4.7): the object's `redirect_uri` and
/// `state` once its signature verified, else the query's — and only to a URI registered for
/// the client.
fn deliver_failure(
    policy: ParameterPolicy,
    client: &Client,
    raw: &RawParams,
    f: Failure,
) -> OAuthError {
    let claims = f.verified.as_ref().map(VerifiedRequestObject::claims);
    match failure_target(client, raw, claims, policy) {
        Some(t) => f.error.redirect_to(&t),
        None => f.error,
    }
}

fn failure_target(
    client: &Client,
    raw: &RawParams,
    verified_claims: Option<&serde_json::Map<String, serde_json::Value>>,
    policy: ParameterPolicy,
) -> Option<RedirectTarget> {
    let registered = |uri: Option<&str>| redirect_uri::resolve(client, uri, false).ok();
    let bounded_state =
        |s: Option<&str>| s.filter(|s| s.len() <= MAX_STATE_BYTES).map(str::to_string);
    match verified_claims {
        Some(c) => {
            let ro_uri = c.get("redirect_uri").and_then(|v| v.as_str());
            let redirect_uri = match ro_uri {
                Some(u) => registered(Some(u))?,
                None => registered(raw.get("redirect_uri"))?,
            };
            let ro_state = c.get("state").and_then(|v| v.as_str());
            let state = match (ro_state, policy) {
                (Some(s), _) => bounded_state(Some(s)),
                (None, ParameterPolicy::Strict) => None,
                (None, _) => bounded_state(raw.get("state")),
            };
            Some(RedirectTarget {
                redirect_uri,
                state,
            })
        }
        None => Some(RedirectTarget {
            redirect_uri: registered(raw.get("redirect_uri"))?,
            state: bounded_state(raw.get("state")),
        }),
    }
}

/// Stage 6 on an effective request built from a request object (for `writ request inspect`).
pub fn check_effective(
    settings: &Settings,
    client: &Arc<Client>,
    effective: &Effective,
    policy: &request_object::policy::JarPolicy,
    signed: bool,
) -> Result<ValidatedRequest, OAuthError> {
    validate_effective(
        settings,
        client,
        effective,
        Transport::ByValue,
        None,
        policy.requires_signed(client) && !signed,
    )
}

/// Stage 6 on the effective request.
fn validate_effective(
    settings: &Settings,
    client: &Arc<Client>,
    p: &Effective,
    transport: Transport,
    ro: Option<(
        RequestObjectInfo,
        serde_json::Map<String, serde_json::Value>,
    )>,
    missing_signed_request_object: bool,
) -> Result<ValidatedRequest, OAuthError> {
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

    if missing_signed_request_object {
        return Err(redirectable(OAuthError::invalid_request(
            "this client must send a signed request object (RFC 9101 §10.5)",
        )));
    }
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

    if transport != Transport::Pushed && settings.par_required(client) {
        return Err(redirectable(OAuthError::invalid_request(
            "this client must use pushed authorization requests (RFC 9126 §6)",
        )));
    }
    let (request_object, request_object_values) = match ro {
        Some((info, claims)) => (Some(info), Some(claims)),
        None => (None, None),
    };
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
        parameters: p.params.clone(),
        trusted: p.trusted.clone(),
        request_object_values,
        transport,
        request_object,
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
