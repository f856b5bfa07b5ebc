//! `POST /token` (RFC 6749 §3.2) and `/userinfo` (OpenID Connect Core §5.3).

use crate::AppState;
use crate::respond::{authorization, is_form, json_error, log, no_store};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use writ_core::OAuthError;
use writ_protocol::ErrorCode;

/// `POST /token`.
pub async fn token(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let authz = authorization(&headers);
    let result = if is_form(&headers) {
        s.provider.token(&body, authz).await
    } else {
        Err(OAuthError::invalid_request(
            "the token request must be application/x-www-form-urlencoded",
        ))
    };
    match result {
        Ok(t) => {
            metrics::counter!("writ_token_total", "outcome" => "ok").increment(1);
            let mut r = axum::Json(t).into_response();
            no_store(r.headers_mut());
            r
        }
        Err(e) => {
            log("token", &e);
            metrics::counter!("writ_token_total", "outcome" => e.code.as_str()).increment(1);
            let mut r = json_error(&e);
            if e.code == ErrorCode::InvalidClient && authz.is_some() {
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"writ\""),
                );
            }
            r
        }
    }
}

/// `GET|POST /userinfo` with `Authorization: Bearer` (RFC 6750 §2.1).
pub async fn userinfo(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, t) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| t.trim())
        });
    let Some(token) = token else {
        let mut r = axum::http::StatusCode::UNAUTHORIZED.into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"writ\""),
        );
        return r;
    };
    match s.provider.userinfo(token).await {
        Ok(v) => {
            let mut r = axum::Json(v).into_response();
            no_store(r.headers_mut());
            r
        }
        Err(e) => {
            log("userinfo", &e);
            let mut r = json_error(&e);
            if e.code == ErrorCode::InvalidToken {
                let v = format!(
                    "Bearer realm=\"writ\", error=\"invalid_token\", error_description=\"{}\"",
                    e.description.replace('"', "'")
                );
                if let Ok(v) = HeaderValue::from_str(&v) {
                    r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
            }
            r
        }
    }
}
