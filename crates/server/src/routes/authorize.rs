//! `GET|POST /authorize` (RFC 6749 §3.1: both methods; POST as a form).

use super::{cookie, session_cookie_name};
use crate::AppState;
use crate::respond::{authorize_error, is_form, see_other};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

/// `GET /authorize`.
pub async fn get(State(s): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    handle(&s, &headers, q.unwrap_or_default().as_bytes()).await
}

/// `POST /authorize` (form).
pub async fn post(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !is_form(&headers) {
        let e = writ_core::OAuthError::invalid_request(
            "POST /authorize needs Content-Type application/x-www-form-urlencoded",
        );
        return authorize_error(&s, &headers, &e.into());
    }
    handle(&s, &headers, &body).await
}

/// Add the browser-session cookie to `r`: host-only, `Path=/`, `HttpOnly`, `SameSite=Lax`,
/// `Secure` (and the `__Host-` name) when the issuer is https (RFC 6265bis §4.1.3.2). A
/// session cookie in the browser's sense: no `Max-Age`, the server-side row bounds its life.
pub(super) fn set_session_cookie(r: &mut Response, secure: bool, value: &str) {
    let name = session_cookie_name(secure);
    let attrs = if secure { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{attrs}");
    if let Ok(v) = HeaderValue::from_str(&v) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

async fn handle(s: &AppState, headers: &HeaderMap, params: &[u8]) -> Response {
    let secure = s.provider.settings.secure_cookies();
    let name = session_cookie_name(secure);
    match s.provider.authorize(params, cookie(headers, name)).await {
        Ok(next) => {
            metrics::counter!("writ_authorize_total", "outcome" => "interaction", "reason" => "ok")
                .increment(1);
            if let Some(transport) = next.request_object_transport {
                metrics::counter!(
                    "writ_request_objects_total",
                    "outcome" => "accepted",
                    "reason" => "ok",
                    "transport" => transport.as_str()
                )
                .increment(1);
            }
            let mut r = see_other(&next.location);
            if let Some(c) = next.set_session_cookie {
                set_session_cookie(&mut r, secure, &c);
            }
            r
        }
        Err(e) => {
            if let Some(a) = &e.error().request_object {
                // SPEC §12: refused request objects by the check that failed.
                metrics::counter!(
                    "writ_request_objects_total",
                    "outcome" => "refused",
                    "reason" => a.check
                )
                .increment(1);
            }
            authorize_error(s, headers, &e)
        }
    }
}
