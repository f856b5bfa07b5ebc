//! `GET|POST /authorize` (RFC 6749 §3.1: both methods; POST as a form).

use super::session::{SessionCookie, set_session_cookie};
use crate::AppState;
use crate::errors::AuthorizeFailure;
use crate::respond::{is_form, see_other};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use metrics::Counter;
use std::sync::OnceLock;
use writ_core::OAuthError;
use writ_core::authorize::Transport;

/// `GET /authorize`.
pub async fn get(
    State(s): State<AppState>,
    session: SessionCookie,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, AuthorizeFailure> {
    handle(&s, &session, &headers, q.unwrap_or_default().as_bytes()).await
}

/// `POST /authorize` (form).
pub async fn post(
    State(s): State<AppState>,
    session: SessionCookie,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AuthorizeFailure> {
    if !is_form(&headers) {
        let e = OAuthError::invalid_request(
            "POST /authorize needs Content-Type application/x-www-form-urlencoded",
        );
        return Err(AuthorizeFailure::new(&s, &headers, e.into()).await);
    }
    handle(&s, &session, &headers, &body).await
}

async fn handle(
    s: &AppState,
    session: &SessionCookie,
    headers: &HeaderMap,
    params: &[u8],
) -> Result<Response, AuthorizeFailure> {
    let next = match s.provider.authorize(params, session.value()).await {
        Ok(next) => next,
        Err(e) => return Err(AuthorizeFailure::for_request(s, headers, params, e).await),
    };
    accepted().increment(1);
    if let Some(transport) = next.request_object_transport {
        object_accepted(transport).increment(1);
    }
    let mut r = see_other(&next.location);
    if let Some(c) = next.set_session_cookie {
        set_session_cookie(&mut r, s.provider.settings.secure_cookies(), &c);
    }
    Ok(r)
}

/// `writ_authorize_total{outcome="interaction"}`, registered once and kept: a labelled
/// `metrics::counter!` builds and looks up its key on every call (issue 18). The recorder is
/// installed before the router serves (`crate::metrics_handle`).
fn accepted() -> &'static Counter {
    static KEPT: OnceLock<Counter> = OnceLock::new();
    KEPT.get_or_init(
        || metrics::counter!("writ_authorize_total", "outcome" => "interaction", "reason" => "ok"),
    )
}

/// `writ_request_objects_total{outcome="accepted"}` per transport, kept as [`accepted`] is.
fn object_accepted(transport: Transport) -> &'static Counter {
    static KEPT: [OnceLock<Counter>; 4] = [const { OnceLock::new() }; 4];
    let slot = match transport {
        Transport::Query => 0,
        Transport::ByValue => 1,
        Transport::ByReference => 2,
        Transport::Pushed => 3,
    };
    KEPT[slot].get_or_init(|| {
        metrics::counter!(
            "writ_request_objects_total",
            "outcome" => "accepted",
            "reason" => "ok",
            "transport" => transport.as_str()
        )
    })
}
