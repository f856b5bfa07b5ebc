//! The pieces every endpoint's error type ([`crate::errors`]) answers with: an HTML page
//! (escaped), JSON (RFC 6749 §5.2), a `303`, `no-store`. The internal detail is logged, never
//! sent.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use writ_core::OAuthError;

/// Whether the body is declared `application/x-www-form-urlencoded`.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
}

/// The `Authorization` header, when it is text.
pub fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// Whether the caller prefers JSON.
pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

fn status(e: &OAuthError) -> StatusCode {
    StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
}

/// Log an error with its internal detail.
pub fn log(endpoint: &'static str, e: &OAuthError) {
    if e.http_status() >= 500 {
        tracing::error!(endpoint, error = %e.code, detail = e.detail.as_deref().unwrap_or(""), "{}", e.description);
    } else {
        tracing::info!(endpoint, error = %e.code, detail = e.detail.as_deref().unwrap_or(""), "{}", e.description);
    }
}

/// A JSON error body (RFC 6749 §5.2).
pub fn json_error(e: &OAuthError) -> Response {
    let body = serde_json::json!({ "error": e.code.as_str(), "error_description": e.description });
    let mut r = (status(e), axum::Json(body)).into_response();
    no_store(r.headers_mut());
    if let Some(seconds) = e.retry_after {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    r
}

/// An HTML error page.
pub fn html_error(e: &OAuthError) -> Response {
    let html = crate::pages::render(
        "error.html",
        minijinja::context! { error => e.code.as_str(), description => e.description.as_ref() },
    );
    let mut r = (status(e), axum::response::Html(html)).into_response();
    no_store(r.headers_mut());
    r
}

/// `303 See Other` to `url`.
pub fn see_other(url: &str) -> Response {
    match HeaderValue::from_str(url) {
        Ok(v) => {
            let mut r = StatusCode::SEE_OTHER.into_response();
            r.headers_mut().insert(header::LOCATION, v);
            no_store(r.headers_mut());
            r
        }
        Err(_) => html_error(&OAuthError::server("redirect URL is not a valid header")),
    }
}

/// `Cache-Control: no-store` (RFC 6749 §5.1).
pub fn no_store(h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}
