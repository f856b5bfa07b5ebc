//! `POST /introspect` (RFC 7662, RFC 9701) and `POST /revoke` (RFC 7009): thin handlers over
//! [`writ_core::flows::introspect`] and [`writ_core::flows::revoke`].

use crate::AppState;
use crate::errors::{ClientEndpoint, ClientError};
use crate::respond::{authorization, is_form, no_store};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use writ_core::OAuthError;

/// The media type of a signed introspection response (RFC 9701 §5).
const APPLICATION_TOKEN_INTROSPECTION_JWT: &str = "application/token-introspection+jwt";

/// Whether the caller asked for the signed form (RFC 9701 §4): its media type is named in
/// `Accept`.
fn wants_jwt(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| {
            m.split(';').next().is_some_and(|t| {
                t.trim()
                    .eq_ignore_ascii_case(APPLICATION_TOKEN_INTROSPECTION_JWT)
            })
        })
}

/// The body must be a form (RFC 7662 §2.1, RFC 7009 §2.1).
fn form_required(headers: &HeaderMap) -> Result<(), OAuthError> {
    if is_form(headers) {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(
            "the request must be application/x-www-form-urlencoded",
        ))
    }
}

/// `POST /introspect`.
pub async fn introspect(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ClientError> {
    let authz = authorization(&headers);
    let refused = |e| ClientError::new(ClientEndpoint::Introspect, e, authz.is_some());
    form_required(&headers).map_err(refused)?;
    let (caller, answer) = s.provider.introspect(&body, authz).await.map_err(refused)?;
    let outcome = if answer.active { "active" } else { "inactive" };
    metrics::counter!("writ_introspect_total", "outcome" => outcome).increment(1);
    let mut r = if wants_jwt(&headers) {
        let jwt = s
            .provider
            .sign_introspection(&caller, &answer)
            .await
            .map_err(refused)?;
        let mut r = jwt.into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(APPLICATION_TOKEN_INTROSPECTION_JWT),
        );
        r
    } else {
        axum::Json(answer).into_response()
    };
    no_store(r.headers_mut());
    Ok(r)
}

/// `POST /revoke`: 200 with an empty body (RFC 7009 §2.2), also for an unknown token.
pub async fn revoke(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ClientError> {
    let authz = authorization(&headers);
    let refused = |e| ClientError::new(ClientEndpoint::Revoke, e, authz.is_some());
    form_required(&headers).map_err(refused)?;
    s.provider.revoke(&body, authz).await.map_err(refused)?;
    metrics::counter!("writ_revoke_total", "outcome" => "ok").increment(1);
    let mut r = StatusCode::OK.into_response();
    no_store(r.headers_mut());
    Ok(r)
}
