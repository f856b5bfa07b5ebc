//! `POST /par`: pushed authorization requests (RFC 9126 §2). JSON in both directions of
//! failure (RFC 9126 §2.3); `201 Created` with the `request_uri` on success (§2.2).

use crate::AppState;
use crate::respond::{authorization, is_form, json_error, log, no_store};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use writ_core::OAuthError;
use writ_protocol::ErrorCode;

/// `POST /par`.
pub async fn push(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let authz = authorization(&headers);
    let result = if is_form(&headers) {
        s.provider.push(&body, authz).await
    } else {
        Err(OAuthError::invalid_request(
            "the pushed authorization request must be application/x-www-form-urlencoded",
        ))
    };
    match result {
        Ok(pushed) => {
            metrics::counter!("writ_par_total", "outcome" => "ok").increment(1);
            let mut r = (StatusCode::CREATED, axum::Json(pushed)).into_response();
            no_store(r.headers_mut());
            r
        }
        Err(e) => {
            log("par", &e);
            metrics::counter!("writ_par_total", "outcome" => e.code.as_str()).increment(1);
            if let Some(a) = &e.request_object {
                metrics::counter!(
                    "writ_request_objects_total",
                    "outcome" => "refused",
                    "reason" => a.check
                )
                .increment(1);
            }
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
