//! `POST /token` (RFC 6749 §3.2) and `/userinfo` (OpenID Connect Core §5.3).

use crate::AppState;
use crate::errors::{BearerError, ClientEndpoint, ClientError};
use crate::respond::{authorization, is_form, no_store};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use writ_core::OAuthError;

/// `POST /token`.
pub async fn token(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ClientError> {
    let authz = authorization(&headers);
    let refused = |e| ClientError::new(ClientEndpoint::Token, e, authz.is_some());
    if !is_form(&headers) {
        return Err(refused(OAuthError::invalid_request(
            "the token request must be application/x-www-form-urlencoded",
        )));
    }
    let t = s.provider.token(&body, authz).await.map_err(refused)?;
    metrics::counter!("writ_token_total", "outcome" => "ok").increment(1);
    let mut r = axum::Json(t).into_response();
    no_store(r.headers_mut());
    Ok(r)
}

/// `GET|POST /userinfo` with `Authorization: Bearer` (RFC 6750 §2.1).
pub async fn userinfo(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, BearerError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, t) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| t.trim())
        })
        .ok_or(BearerError::Missing)?;
    let v = s
        .provider
        .userinfo(token)
        .await
        .map_err(BearerError::Refused)?;
    let mut r = axum::Json(v).into_response();
    no_store(r.headers_mut());
    Ok(r)
}
