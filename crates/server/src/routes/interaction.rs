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

fn login_page(
    s: &AppState,
    id: &str,
    i: &Interaction,
    name: &str,
    error: Option<String>,
) -> String {
    render(
        "login.html",
        minijinja::context! {
            client_name => name,
            action => s.provider.settings.endpoint(&format!("/interaction/{id}/login")),
            csrf_token => i.csrf,
            login_hint => i.request.login_hint().unwrap_or_default(),
            error => error,
        },
    )
}

/// What the consent page says about how the request was protected (SPEC §8): signed or not,
/// by which registered key and algorithm, and whether it was encrypted.
fn request_origin(i: &Interaction, name: &str) -> String {
    use writ_core::clients::KeySource;
    let r = &i.request;
    let Some(ro) = r.request_object() else {
        if r.transport() == Transport::Pushed {
            // Public clients push without authenticating, so this says nothing about who sent it.
            return "This request was pushed to this server directly by the application, as \
                    plain parameters: it was not signed."
                .into();
        }
        return "This request was sent as plain parameters: it was not signed by the application."
            .into();
    };
    let how = match r.transport() {
        Transport::ByReference => " (fetched from the application)",
        Transport::Pushed => " (pushed by the application)",
        _ => "",
    };
    let mut text = match &ro.signer {
        None => format!(
            "This request object{how} was not signed (alg none): nothing proves it came from {name}."
        ),
        Some(signer) => {
            let source = match signer.source {
                KeySource::Jwk | KeySource::Jwks => "a key registered for it",
                KeySource::X509 => "the key of its registered certificate",
                KeySource::JwksUri => "a key published at its jwks_uri",
                KeySource::Shared => "its client secret",
            };
            let key = match (&signer.kid, &signer.thumbprint) {
                (Some(kid), _) => format!(" (key id {kid})"),
                (None, Some(t)) => format!(" (key thumbprint {t})"),
                (None, None) => String::new(),
            };
            format!(
                "This request{how} was signed by {name} with {source}{key}, using {}.",
                ro.header.alg
            )
        }
    };
    match &ro.encryption {
        Some(e) => text.push_str(&format!(
            " It was encrypted to this server ({} with {}).",
            e.alg, e.enc
        )),
        None => text.push_str(" It was not encrypted."),
    }
    text
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

fn consent_page(s: &AppState, id: &str, i: &Interaction, name: &str) -> String {
    let origin = request_origin(i, name);
    let details = i.request.authorization_details().map(details_view);
    let details_signed = i
        .request
        .trusted()
        .iter()
        .any(|t| t == "authorization_details");
    render(
        "consent.html",
        minijinja::context! {
            client_name => name,
            client_id => i.request.client_id(),
            redirect_uri => i.request.redirect_uri(),
            username => i.login.as_ref().map(|l| l.username.clone()).unwrap_or_default(),
            scopes => i.request.scope(),
            details => details,
            details_signed => details_signed,
            request_origin => origin,
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
    Ok(if i.login.is_none() {
        page(login_page(&s, &id, &i, &name, None), StatusCode::OK)
    } else {
        page(consent_page(&s, &id, &i, &name), StatusCode::OK)
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
                see_other(&s.provider.settings.endpoint(&format!("/interaction/{id}")))
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
            let msg = format!("Wrong username or password. {remaining} attempt(s) left.");
            login_again(&s, &id, session.value(), msg, StatusCode::UNAUTHORIZED)
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
                let minutes = (retry_after + 59) / 60;
                let msg = format!(
                    "Too many failed sign-ins for this username. Try again in {minutes} minute(s)."
                );
                login_again(&s, &id, session.value(), msg, StatusCode::TOO_MANY_REQUESTS)
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

/// The login form of interaction `id` again, with `msg` above it.
async fn login_again(
    s: &AppState,
    id: &str,
    session: Option<&str>,
    msg: String,
    status: StatusCode,
) -> Result<Response, InteractionError> {
    let i = s.provider.interaction(id, session).await?;
    let name = display_name(s, &i).await;
    Ok(page(login_page(s, id, &i, &name, Some(msg)), status))
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
    Ok(crate::respond::deliver(&delivery))
}
