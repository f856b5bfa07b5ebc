//! The interaction pages of SPEC §8: `GET /interaction/{id}` (HTML, or JSON for a custom UI),
//! `POST /interaction/{id}/login`, `POST /interaction/{id}/consent`.

use super::session::{SessionCookie, set_session_cookie};
use crate::AppState;
use crate::errors::InteractionFailure;
use crate::pages::render;
use crate::respond::{no_store, see_other, wants_json};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use writ_core::authorize::Transport;
use writ_core::authorize::request_object::{RequestObjectHeader, RequestObjectInfo};
use writ_core::flows::interaction::{Interaction, InteractionError};

fn page(html: String, status: StatusCode) -> Response {
    let mut r = (status, Html(html)).into_response();
    no_store(r.headers_mut());
    r
}

async fn display_name(s: &AppState, i: &Interaction) -> String {
    match s.provider.clients.get(i.request.client_id()).await {
        Ok(Some(c)) => c.config.display_name().to_string(),
        _ => i.request.client_id().to_string(),
    }
}

/// The language of the pages of interaction `i`: its request's `ui_locales`, then the
/// browser's `Accept-Language`.
fn page_language(i: &Interaction, headers: &HeaderMap) -> String {
    let ui_locales = i.request.parameters().get("ui_locales").map(String::as_str);
    crate::pages::language(ui_locales, headers)
}

/// The login form; `username` is what the person typed before (kept after a wrong password),
/// else the request's `login_hint`.
fn login_page(
    s: &AppState,
    id: &str,
    i: &Interaction,
    name: &str,
    lang: &str,
    error: Option<String>,
    username: Option<&str>,
) -> String {
    render(
        "login.html",
        lang,
        minijinja::context! {
            client_name => name,
            action => s.provider.settings.endpoint(&format!("/interaction/{id}/login")),
            csrf_token => i.csrf,
            username => username.unwrap_or(i.request.login_hint().unwrap_or_default()),
            error => error,
        },
    )
}

/// What the consent page says about how the request was protected (SPEC §8), for a person:
/// signed or not and with what kind of key, encrypted or not. The key id, algorithm and
/// encryption go to [`Technical`], behind a disclosure.
fn request_origin(i: &Interaction, name: &str, lang: &str) -> String {
    use crate::pages::text;
    use writ_core::clients::KeySource;
    let r = &i.request;
    let client = [("client", name)];
    let Some(ro) = r.request_object() else {
        let key = if r.transport() == Transport::Pushed {
            // Public clients push without authenticating: this says nothing about who sent it.
            "origin.pushed_plain"
        } else {
            "origin.plain"
        };
        return text(lang, key, &client);
    };
    let signed = match &ro.signer {
        None => text(lang, "origin.unsigned_object", &client),
        Some(signer) => {
            let source = match signer.source {
                KeySource::Jwk | KeySource::Jwks => "source.registered_key",
                KeySource::X509 => "source.certificate",
                KeySource::JwksUri => "source.published_key",
                KeySource::Shared => "source.client_secret",
            };
            let source = text(lang, source, &[]);
            text(
                lang,
                "origin.signed",
                &[("client", name), ("source", source.as_str())],
            )
        }
    };
    let encrypted = if ro.encryption.is_some() {
        text(lang, "origin.encrypted", &[])
    } else {
        text(lang, "origin.not_encrypted", &[])
    };
    format!("{signed} {encrypted}")
}

/// The request object's technical facts, behind the consent page's disclosure.
#[derive(Debug, Default, Serialize)]
struct Technical {
    alg: Option<String>,
    kid: Option<String>,
    thumbprint: Option<String>,
    encryption: Option<String>,
}

fn technical(i: &Interaction) -> Technical {
    let Some(ro) = i.request.request_object() else {
        return Technical::default();
    };
    Technical {
        alg: Some(ro.header.alg.to_string()),
        kid: ro.signer.as_ref().and_then(|s| s.kid.clone()),
        thumbprint: ro.signer.as_ref().and_then(|s| s.thumbprint.clone()),
        encryption: ro
            .encryption
            .as_ref()
            .map(|e| format!("{} / {}", e.alg, e.enc)),
    }
}

/// A scope as the consent page lists it.
#[derive(Debug, Serialize)]
struct ScopeView {
    name: String,
    description: Option<String>,
}

/// One `authorization_details` object for a person (RFC 9396 §2; SPEC §16): its type, then
/// rows of label and text: the common fields, an amount with its currency, the creditor, and
/// the rest by name.
#[derive(Debug, Serialize)]
struct DetailView {
    r#type: String,
    rows: Vec<(String, String)>,
}

/// Longest text shown for one value.
const MAX_DETAIL_TEXT: usize = 300;

fn detail_text(v: &serde_json::Value) -> String {
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) if items.iter().all(|x| x.is_string()) => items
            .iter()
            .filter_map(|x| x.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    match text.char_indices().nth(MAX_DETAIL_TEXT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn details_view(details: &[serde_json::Value]) -> Vec<DetailView> {
    use serde_json::Value;
    const COMMON: [(&str, &str); 5] = [
        ("actions", "Actions"),
        ("locations", "Where"),
        ("datatypes", "Data"),
        ("identifier", "Identifier"),
        ("privileges", "Privileges"),
    ];
    details
        .iter()
        .filter_map(Value::as_object)
        .map(|o| {
            let mut rows = Vec::new();
            let mut shown = vec!["type"];
            for (key, label) in COMMON {
                if let Some(v) = o.get(key) {
                    rows.push((label.to_owned(), detail_text(v)));
                    shown.push(key);
                }
            }
            // Amounts: `{ "amount": "12.50", "currency": "EUR" }` under any name.
            for (key, v) in o {
                if let (Some(amount), Some(currency)) = (
                    v.get("amount").map(detail_text),
                    v.get("currency").and_then(Value::as_str),
                ) {
                    let label = if key == "instructedAmount" {
                        "Amount"
                    } else {
                        key.as_str()
                    };
                    rows.push((label.to_owned(), format!("{amount} {currency}")));
                    shown.push(key);
                }
            }
            if let Some(v) = o.get("creditorName") {
                rows.push(("Creditor".to_owned(), detail_text(v)));
                shown.push("creditorName");
            }
            if let Some(acct) = o.get("creditorAccount") {
                let text = acct
                    .get("iban")
                    .map(|i| format!("IBAN {}", detail_text(i)))
                    .unwrap_or_else(|| detail_text(acct));
                rows.push(("Creditor account".to_owned(), text));
                shown.push("creditorAccount");
            }
            for (key, v) in o {
                if !shown.contains(&key.as_str()) {
                    rows.push((key.clone(), detail_text(v)));
                }
            }
            DetailView {
                r#type: o.get("type").map(detail_text).unwrap_or_default(),
                rows,
            }
        })
        .collect()
}

fn consent_page(s: &AppState, id: &str, i: &Interaction, name: &str, lang: &str) -> String {
    let details = i.request.authorization_details().map(details_view);
    let details_signed = i
        .request
        .trusted()
        .iter()
        .any(|t| t == "authorization_details");
    let scopes: Vec<ScopeView> = i
        .request
        .scope()
        .iter()
        .map(|sc| ScopeView {
            name: sc.clone(),
            description: crate::pages::scope_description(lang, sc),
        })
        .collect();
    render(
        "consent.html",
        lang,
        minijinja::context! {
            client_name => name,
            client_id => i.request.client_id(),
            redirect_uri => i.request.redirect_uri(),
            username => i.login.as_ref().map(|l| l.username.clone()).unwrap_or_default(),
            scopes => scopes,
            details => details,
            details_signed => details_signed,
            origin => request_origin(i, name, lang),
            technical => technical(i),
            transport => i.request.transport(),
            action => s.provider.settings.endpoint(&format!("/interaction/{id}/consent")),
            csrf_token => i.csrf,
        },
    )
}

/// What `GET /interaction/{id}` answers a custom UI asking for `application/json` (SPEC §8):
/// the pending request, what of it the signed request object vouches for, and where to post
/// the person's answers. Documented in `docs/configuration.md` ("A custom interaction UI").
#[derive(Debug, Serialize)]
struct InteractionView<'a> {
    /// The interaction's id (the `{id}` of the URL).
    interaction_id: &'a str,
    /// The client: its id and display name.
    client: ClientView<'a>,
    /// The effective request parameters (SPEC §4.8).
    parameters: &'a BTreeMap<String, String>,
    /// Names of the parameters that came from a signed request object.
    trusted: &'a [String],
    /// The request object's full claim set, when there was one.
    request_object_values: Option<&'a serde_json::Map<String, serde_json::Value>>,
    /// The request object's JWS header (`alg`, `kid`, `typ`), when there was one.
    request_object_header: Option<&'a RequestObjectHeader>,
    /// The request object's header, signer and encryption, when there was one.
    request_object: Option<&'a RequestObjectInfo>,
    /// How the request arrived: `query`, `by_value`, `by_reference` or `pushed`.
    transport: Transport,
    /// The thumbprint of the DPoP key the code will be bound to (RFC 9449 §10), when the
    /// request named one (`dpop_jkt`) or was pushed with a proof.
    dpop_jkt: Option<&'a str>,
    /// The scope the person is asked to grant.
    scope: &'a [String],
    /// The `authorization_details` the person is asked to grant (RFC 9396), checked; whether
    /// they came from the signed request object is in `trusted`.
    authorization_details: Option<&'a [serde_json::Value]>,
    /// Where the answer goes.
    redirect_uri: &'a str,
    /// The signed-in person, once they signed in.
    login: Option<LoginView<'a>>,
    /// The anti-CSRF token to post with the forms.
    csrf_token: &'a str,
    /// The URLs to post the login and consent forms to.
    endpoints: EndpointsView,
}

#[derive(Debug, Serialize)]
struct ClientView<'a> {
    client_id: &'a str,
    client_name: &'a str,
}

#[derive(Debug, Serialize)]
struct LoginView<'a> {
    sub: &'a str,
    username: &'a str,
    auth_time: i64,
}

#[derive(Debug, Serialize)]
struct EndpointsView {
    login: String,
    consent: String,
}

impl<'a> InteractionView<'a> {
    fn new(s: &AppState, id: &'a str, i: &'a Interaction, name: &'a str) -> Self {
        let r = &i.request;
        let endpoint = |path: &str| {
            s.provider
                .settings
                .endpoint(&format!("/interaction/{id}{path}"))
        };
        InteractionView {
            interaction_id: id,
            client: ClientView {
                client_id: r.client_id(),
                client_name: name,
            },
            parameters: r.parameters(),
            trusted: r.trusted(),
            request_object_values: r.request_object_values(),
            request_object_header: r.request_object().map(|ro| &ro.header),
            request_object: r.request_object(),
            transport: r.transport(),
            dpop_jkt: r.dpop_jkt(),
            scope: r.scope(),
            authorization_details: r.authorization_details(),
            redirect_uri: r.redirect_uri(),
            login: i.login.as_ref().map(|l| LoginView {
                sub: &l.user_id,
                username: &l.username,
                auth_time: l.auth_time,
            }),
            csrf_token: &i.csrf,
            endpoints: EndpointsView {
                login: endpoint("/login"),
                consent: endpoint("/consent"),
            },
        }
    }
}

/// `GET /interaction/{id}`.
pub async fn show(
    State(s): State<AppState>,
    Path(id): Path<String>,
    session: SessionCookie,
    headers: HeaderMap,
) -> Result<Response, InteractionFailure> {
    let i = s
        .provider
        .interaction(&id, session.value())
        .await
        .map_err(|e| InteractionFailure::new(&headers, e))?;
    let name = display_name(&s, &i).await;
    if wants_json(&headers) {
        let body = InteractionView::new(&s, &id, &i, &name);
        let mut r = axum::Json(body).into_response();
        no_store(r.headers_mut());
        return Ok(r);
    }
    let lang = page_language(&i, &headers);
    Ok(if i.login.is_none() {
        page(
            login_page(&s, &id, &i, &name, &lang, None, None),
            StatusCode::OK,
        )
    } else {
        page(consent_page(&s, &id, &i, &name, &lang), StatusCode::OK)
    })
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: Option<String>,
    password: Option<String>,
    csrf_token: Option<String>,
}

/// `POST /interaction/{id}/login`.
pub async fn login(
    State(s): State<AppState>,
    Path(id): Path<String>,
    session: SessionCookie,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, InteractionFailure> {
    let failed = |e| InteractionFailure::new(&headers, e);
    let result = s
        .provider
        .login(
            &id,
            session.value(),
            f.csrf_token.as_deref(),
            f.username.as_deref().unwrap_or(""),
            f.password.as_deref().unwrap_or(""),
        )
        .await;
    match result {
        Ok(done) => {
            let mut r = if wants_json(&headers) {
                (
                    StatusCode::OK,
                    axum::Json(serde_json::json!({"status": "logged_in"})),
                )
                    .into_response()
            } else {
                // Back to wherever the interaction is shown: the built-in page or the custom UI.
                see_other(&s.provider.settings.interaction_location(&id))
            };
            // The session was rotated at login: the browser must switch to the new cookie.
            set_session_cookie(
                &mut r,
                s.provider.settings.secure_cookies(),
                &done.session_cookie,
            );
            Ok(r)
        }
        Err(InteractionError::BadCredentials { remaining }) => {
            tracing::info!(
                target: "audit",
                interaction = %writ_core::interaction_handle::log_name(&id),
                "failed sign-in"
            );
            if wants_json(&headers) {
                return Ok((
                    StatusCode::UNAUTHORIZED,
                    axum::Json(serde_json::json!({"error": "invalid_credentials", "attempts_left": remaining})),
                )
                    .into_response());
            }
            let attempts = remaining.to_string();
            login_again(
                &s,
                &id,
                session.value(),
                &headers,
                ("login.wrong_password", ("attempts", attempts.as_str())),
                f.username.as_deref(),
                StatusCode::UNAUTHORIZED,
            )
            .await
            .map_err(failed)
        }
        Err(InteractionError::Locked { retry_after }) => {
            let retry = axum::http::HeaderValue::from(retry_after);
            let mut r = if wants_json(&headers) {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    axum::Json(serde_json::json!({"error": "temporarily_locked", "retry_after": retry_after})),
                )
                    .into_response()
            } else {
                let minutes = ((retry_after + 59) / 60).to_string();
                login_again(
                    &s,
                    &id,
                    session.value(),
                    &headers,
                    ("login.locked", ("minutes", minutes.as_str())),
                    f.username.as_deref(),
                    StatusCode::TOO_MANY_REQUESTS,
                )
                .await
                .map_err(failed)?
            };
            r.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, retry);
            Ok(r)
        }
        Err(e) => Err(failed(e)),
    }
}

/// The login form of interaction `id` again, with the catalogue's `message` (key and its one
/// argument) above it and the username the person typed kept.
async fn login_again(
    s: &AppState,
    id: &str,
    session: Option<&str>,
    headers: &HeaderMap,
    message: (&str, (&str, &str)),
    username: Option<&str>,
    status: StatusCode,
) -> Result<Response, InteractionError> {
    let i = s.provider.interaction(id, session).await?;
    let name = display_name(s, &i).await;
    let lang = page_language(&i, headers);
    let (key, arg) = message;
    let msg = crate::pages::text(&lang, key, &[arg]);
    Ok(page(
        login_page(s, id, &i, &name, &lang, Some(msg), username),
        status,
    ))
}

/// The consent form.
#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    decision: Option<String>,
    csrf_token: Option<String>,
}

/// `POST /interaction/{id}/consent`.
pub async fn consent(
    State(s): State<AppState>,
    Path(id): Path<String>,
    session: SessionCookie,
    headers: HeaderMap,
    Form(f): Form<ConsentForm>,
) -> Result<Response, InteractionFailure> {
    let delivery = s
        .provider
        .consent(
            &id,
            session.value(),
            f.csrf_token.as_deref(),
            f.decision.as_deref().unwrap_or(""),
        )
        .await
        .map_err(|e| InteractionFailure::new(&headers, e))?;
    let lang = crate::pages::language(None, &headers);
    Ok(crate::respond::deliver(&delivery, &lang))
}
