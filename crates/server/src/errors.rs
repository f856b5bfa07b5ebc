//! The error of each endpoint, as a type that implements [`IntoResponse`]: handlers return
//! `Result<_, E>`, and each `E` logs, counts and answers in one place.
//!
//! | type | endpoints | answer |
//! |------|-----------|--------|
//! | [`AuthorizeFailure`] | `/authorize` | delivered to the client, or a page / JSON (SPEC §4.7) |
//! | [`ClientError`] | `/token`, `/par` | JSON (RFC 6749 §5.2, RFC 9126 §2.3), `WWW-Authenticate: Basic` after a failed Basic login |
//! | [`BearerError`] | `/userinfo` | `WWW-Authenticate: Bearer` (RFC 6750 §3) and `DPoP` (RFC 9449 §7.1) |
//! | [`InteractionFailure`] | `/interaction/{id}` and its posts | a page / JSON, or the redirect that ends the flow |

use crate::respond::{html_error, json_error, log};
use crate::{AppState, respond};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use writ_core::OAuthError;
use writ_core::flows::interaction::InteractionError;
use writ_core::flows::userinfo::Scheme;
use writ_core::response::{AuthorizationResponse, AuthorizeError, Delivery};
use writ_protocol::ErrorCode;

/// SPEC §12: a refused request object is counted by the check that failed.
fn count_refused_request_object(e: &OAuthError) {
    if let Some(a) = &e.request_object {
        metrics::counter!(
            "writ_request_objects_total",
            "outcome" => "refused",
            "reason" => a.check
        )
        .increment(1);
    }
}

/// SPEC §12 for DPoP: a refused proof is counted by the check that failed.
fn count_refused_dpop_proof(e: &OAuthError) {
    if let Some(check) = e.dpop_check {
        metrics::counter!("writ_dpop_proofs_total", "outcome" => "refused", "reason" => check.as_str())
            .increment(1);
    }
}

/// An `/authorize` error, with its delivery when it goes to the client.
#[derive(Debug)]
pub struct AuthorizeFailure {
    error: OAuthError,
    redirect: Option<Delivery>,
    json: bool,
    /// The language of an error page.
    lang: String,
    /// The `client_id` the request named, for the log of a page error (the person is not
    /// sent back to a client that could not be confirmed).
    client_id: Option<String>,
}

impl AuthorizeFailure {
    /// `error` for the browser that sent `headers`. A redirect that cannot be built falls
    /// back to a page.
    pub async fn new(state: &AppState, headers: &HeaderMap, error: AuthorizeError) -> Self {
        Self::for_request(state, headers, &[], error).await
    }

    /// [`AuthorizeFailure::new`] for the request whose parameters are `params` (the query or
    /// form): its `client_id` goes to the log of a page error, its `ui_locales` choose the
    /// page's language.
    pub async fn for_request(
        state: &AppState,
        headers: &HeaderMap,
        params: &[u8],
        error: AuthorizeError,
    ) -> Self {
        let param = |name: &str| {
            url::form_urlencoded::parse(params)
                .take(64)
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let client_id = param("client_id");
        let lang = crate::pages::language(param("ui_locales").as_deref(), headers);
        let redirect = match &error {
            AuthorizeError::Redirect(e, target) => state
                .provider
                .deliver(target, AuthorizationResponse::Error(e))
                .await
                .ok(),
            AuthorizeError::Page(_) => None,
        };
        AuthorizeFailure {
            error: error.into_error(),
            redirect,
            json: respond::wants_json(headers),
            lang,
            client_id,
        }
    }
}

impl IntoResponse for AuthorizeFailure {
    fn into_response(self) -> Response {
        let e = &self.error;
        match (&self.redirect, &self.client_id) {
            // A page: the person cannot be sent back, so the log says which client it was
            // (Debug-formatted: control characters and quotes escaped).
            (None, Some(id)) => tracing::info!(
                endpoint = "authorize",
                client_id = ?id,
                error = %e.code,
                detail = e.detail.as_deref().unwrap_or(""),
                "{}",
                e.description
            ),
            _ => log("authorize", e),
        }
        metrics::counter!("writ_authorize_total", "outcome" => "error", "reason" => e.code.as_str())
            .increment(1);
        count_refused_request_object(e);
        if let Some(d) = &self.redirect {
            return respond::deliver(d, &self.lang);
        }
        let mut r = if self.json {
            json_error(e)
        } else {
            html_error(e, &self.lang)
        };
        // A page for a person: no HTTP authentication challenge is meant by an unknown client.
        if r.status() == StatusCode::UNAUTHORIZED {
            *r.status_mut() = StatusCode::BAD_REQUEST;
        }
        r
    }
}

/// The endpoints a client calls directly, each with its log label and counter.
#[derive(Debug, Clone, Copy)]
pub enum ClientEndpoint {
    /// `POST /token` (`writ_token_total`).
    Token,
    /// `POST /par` (`writ_par_total`).
    Par,
    /// `POST /introspect` (`writ_introspect_total`).
    Introspect,
    /// `POST /revoke` (`writ_revoke_total`).
    Revoke,
}

/// An error of an endpoint a client calls directly (RFC 6749 §5.2).
#[derive(Debug)]
pub struct ClientError {
    endpoint: ClientEndpoint,
    error: OAuthError,
    basic_challenge: bool,
}

impl ClientError {
    /// `error` at `endpoint`; `tried_basic` when the request carried an `Authorization`
    /// header, so that a refused client gets the Basic challenge (RFC 6749 §5.2).
    pub fn new(endpoint: ClientEndpoint, error: OAuthError, tried_basic: bool) -> Self {
        ClientError {
            endpoint,
            error,
            basic_challenge: tried_basic,
        }
    }
}

impl IntoResponse for ClientError {
    fn into_response(self) -> Response {
        let e = &self.error;
        match self.endpoint {
            ClientEndpoint::Token => {
                log("token", e);
                metrics::counter!("writ_token_total", "outcome" => e.code.as_str()).increment(1);
            }
            ClientEndpoint::Par => {
                log("par", e);
                metrics::counter!("writ_par_total", "outcome" => e.code.as_str()).increment(1);
                count_refused_request_object(e);
            }
            ClientEndpoint::Introspect => {
                log("introspect", e);
                metrics::counter!("writ_introspect_total", "outcome" => e.code.as_str())
                    .increment(1);
            }
            ClientEndpoint::Revoke => {
                log("revoke", e);
                metrics::counter!("writ_revoke_total", "outcome" => e.code.as_str()).increment(1);
            }
        }
        count_refused_dpop_proof(e);
        let mut r = json_error(e);
        if e.code == ErrorCode::InvalidClient && self.basic_challenge {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"writ\""),
            );
        }
        r
    }
}

/// A refusal at a protected resource (RFC 6750 §3, RFC 9449 §7.1).
#[derive(Debug)]
pub struct BearerError {
    /// `None`: no usable `Authorization` header (RFC 6750 §3.1: the bare challenge).
    error: Option<OAuthError>,
    /// The scheme the token came with.
    scheme: Option<Scheme>,
    /// `[dpop] algs` when DPoP is on: a `DPoP` challenge is offered beside `Bearer`.
    dpop_algs: Option<String>,
}

impl BearerError {
    /// No `Authorization: Bearer` or `DPoP` header.
    pub fn missing(dpop_algs: Option<String>) -> Self {
        BearerError {
            error: None,
            scheme: None,
            dpop_algs,
        }
    }

    /// `error` for a token presented with `scheme`.
    pub fn refused(error: OAuthError, scheme: Scheme, dpop_algs: Option<String>) -> Self {
        BearerError {
            error: Some(error),
            scheme: Some(scheme),
            dpop_algs,
        }
    }
}

/// A parameter value as RFC 6750 §3 allows it: printable ASCII without `"` and `\`.
fn challenge_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '"' | '\\' => out.push('\''),
            '§' => out.push_str("section "),
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// One challenge: `scheme` with `params` (quoted-string values, RFC 9110 §11.6.1).
fn challenge(scheme: &str, params: &[(&str, &str)]) -> Option<HeaderValue> {
    let params: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", challenge_value(v)))
        .collect();
    HeaderValue::from_str(&format!("{scheme} {}", params.join(", "))).ok()
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let mut challenges = Vec::new();
        let mut r = match &self.error {
            None => StatusCode::UNAUTHORIZED.into_response(),
            Some(e) => {
                log("userinfo", e);
                count_refused_dpop_proof(e);
                json_error(e)
            }
        };
        // The error goes with the scheme it concerns: a DPoP proof's or a token presented as
        // DPoP under `DPoP`, a bearer token's under `Bearer`.
        let failure = self.error.as_ref().and_then(|e| match e.code {
            ErrorCode::InvalidToken | ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce => {
                Some(e)
            }
            _ => None,
        });
        let dpop_error = failure.filter(|e| {
            self.scheme == Some(Scheme::Dpop)
                || matches!(
                    e.code,
                    ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce
                )
        });
        let bearer_error = failure.filter(|_| dpop_error.is_none());
        match bearer_error {
            Some(e) => challenges.extend(challenge(
                "Bearer",
                &[
                    ("realm", "writ"),
                    ("error", e.code.as_str()),
                    ("error_description", &e.description),
                ],
            )),
            None => challenges.extend(challenge("Bearer", &[("realm", "writ")])),
        }
        if let Some(algs) = &self.dpop_algs {
            match dpop_error {
                Some(e) => challenges.extend(challenge(
                    "DPoP",
                    &[
                        ("algs", algs),
                        ("error", e.code.as_str()),
                        ("error_description", &e.description),
                    ],
                )),
                None => challenges.extend(challenge("DPoP", &[("algs", algs)])),
            }
        }
        // RFC 6750 §3.1 and RFC 9449 §7.1: every refusal of the token or proof is a 401.
        if failure.is_some() {
            *r.status_mut() = StatusCode::UNAUTHORIZED;
        }
        for c in challenges {
            r.headers_mut().append(header::WWW_AUTHENTICATE, c);
        }
        r
    }
}

/// An error of an interaction step (SPEC §8).
#[derive(Debug)]
pub struct InteractionFailure {
    error: InteractionError,
    json: bool,
    lang: String,
}

impl InteractionFailure {
    /// `error` for the browser (or custom UI) that sent `headers`.
    pub fn new(headers: &HeaderMap, error: InteractionError) -> Self {
        InteractionFailure {
            error,
            json: respond::wants_json(headers),
            lang: crate::pages::language(None, headers),
        }
    }
}

impl IntoResponse for InteractionFailure {
    fn into_response(self) -> Response {
        match self.error {
            InteractionError::Page(e) => {
                log("interaction", &e);
                if self.json {
                    json_error(&e)
                } else {
                    html_error(&e, &self.lang)
                }
            }
            InteractionError::Redirect(d) => respond::deliver(&d, &self.lang),
            InteractionError::BadCredentials { .. } => StatusCode::UNAUTHORIZED.into_response(),
            InteractionError::Locked { .. } => StatusCode::TOO_MANY_REQUESTS.into_response(),
        }
    }
}

/// A refused sign-out request (OpenID Connect RP-Initiated Logout 1.0 §3): a page, never a
/// redirect.
#[derive(Debug)]
pub struct LogoutFailure {
    error: OAuthError,
    lang: String,
}

impl LogoutFailure {
    /// `error` for the browser that sent `headers`.
    pub fn new(headers: &HeaderMap, error: OAuthError) -> Self {
        Self::in_language(crate::pages::language(None, headers), error)
    }

    /// `error` shown in `lang` (the request's `ui_locales` considered).
    pub fn in_language(lang: String, error: OAuthError) -> Self {
        LogoutFailure { error, lang }
    }
}

impl IntoResponse for LogoutFailure {
    fn into_response(self) -> Response {
        log("logout", &self.error);
        html_error(&self.error, &self.lang)
    }
}
