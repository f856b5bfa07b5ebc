//! `GET|POST /logout`: the end-session endpoint of OpenID Connect RP-Initiated Logout 1.0
//! (§2: both methods; POST as a form). The confirmation page posts back here.

use super::session::{SessionCookie, clear_session_cookie};
use crate::AppState;
use crate::errors::LogoutFailure;
use crate::pages::render;
use crate::respond::{is_form, no_store, see_other};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use writ_core::OAuthError;
use writ_core::flows::logout::LogoutStep;

/// `GET /logout`.
pub async fn get(
    State(s): State<AppState>,
    session: SessionCookie,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, LogoutFailure> {
    handle(&s, &session, &headers, q.unwrap_or_default().as_bytes()).await
}

/// `POST /logout` (form): from the client, or the confirmation page.
pub async fn post(
    State(s): State<AppState>,
    session: SessionCookie,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, LogoutFailure> {
    if !is_form(&headers) {
        return Err(LogoutFailure::new(
            &headers,
            OAuthError::invalid_request(
                "POST /logout needs Content-Type application/x-www-form-urlencoded",
            ),
        ));
    }
    handle(&s, &session, &headers, &body).await
}

async fn handle(
    s: &AppState,
    session: &SessionCookie,
    headers: &HeaderMap,
    form: &[u8],
) -> Result<Response, LogoutFailure> {
    let ui_locales = url::form_urlencoded::parse(form)
        .take(64)
        .find(|(k, _)| k == "ui_locales")
        .map(|(_, v)| v.into_owned());
    let lang = crate::pages::language(ui_locales.as_deref(), headers);
    let step = s
        .provider
        .end_session(form, session.value())
        .await
        .map_err(|e| LogoutFailure::in_language(lang.clone(), e))?;
    Ok(match step {
        LogoutStep::Confirm {
            client_name,
            fields,
            csrf_token,
        } => {
            let html = render(
                "logout.html",
                &lang,
                minijinja::context! {
                    client_name => client_name,
                    fields => fields,
                    csrf_token => csrf_token,
                    action => s.provider.settings.endpoint("/logout"),
                },
            );
            let mut r = Html(html).into_response();
            no_store(r.headers_mut());
            r
        }
        LogoutStep::Done { redirect, ended } => {
            let mut r = match redirect {
                Some(url) => see_other(&url),
                None => {
                    let mut r = Html(render("signed_out.html", &lang, minijinja::context! {}))
                        .into_response();
                    no_store(r.headers_mut());
                    r
                }
            };
            if ended {
                clear_session_cookie(&mut r, s.provider.settings.secure_cookies());
            }
            r
        }
    })
}
