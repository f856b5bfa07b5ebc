//! `POST /par`: pushed authorization requests (RFC 9126 §2). JSON in both directions of
//! failure (RFC 9126 §2.3); `201 Created` with the `request_uri` on success (§2.2).

use crate::AppState;
use crate::errors::{ClientEndpoint, ClientError};
use crate::respond::{authorization, is_form, no_store};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use writ_core::OAuthError;
use writ_core::dpop::Sent;

use super::dpop::{dpop_headers, with_dpop_nonce};

/// `POST /par`.
pub async fn push(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let answer = push_answer(&s, &headers, &body).await.into_response();
    with_dpop_nonce(&s, answer)
}

async fn push_answer(
    s: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ClientError> {
    let authz = authorization(headers);
    let refused = |e| ClientError::new(ClientEndpoint::Par, e, authz.is_some());
    if !is_form(headers) {
        return Err(refused(OAuthError::invalid_request(
            "the pushed authorization request must be application/x-www-form-urlencoded",
        )));
    }
    let proofs = dpop_headers(headers);
    let dpop = Sent {
        method: "POST",
        proofs: &proofs,
    };
    let pushed = s.provider.push(body, authz, dpop).await.map_err(refused)?;
    metrics::counter!("writ_par_total", "outcome" => "ok").increment(1);
    let mut r = (StatusCode::CREATED, axum::Json(pushed)).into_response();
    no_store(r.headers_mut());
    Ok(r)
}
