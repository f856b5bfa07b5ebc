//! `POST /token` (RFC 6749 §3.2) and `/userinfo` (OpenID Connect Core §5.3), both with DPoP
//! (RFC 9449 §5, §7).

use super::dpop::{dpop_headers, with_dpop_nonce};
use crate::AppState;
use crate::errors::{BearerError, ClientEndpoint, ClientError};
use crate::respond::{authorization, is_form, no_store};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use writ_core::OAuthError;
use writ_core::dpop::Sent;
use writ_core::flows::userinfo::{Presented, Scheme};

/// `POST /token`.
pub async fn token(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let answer = token_answer(&s, &headers, &body).await.into_response();
    with_dpop_nonce(&s, answer)
}

async fn token_answer(
    s: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, ClientError> {
    let authz = authorization(headers);
    let refused = |e| ClientError::new(ClientEndpoint::Token, e, authz.is_some());
    if !is_form(headers) {
        return Err(refused(OAuthError::invalid_request(
            "the token request must be application/x-www-form-urlencoded",
        )));
    }
    let proofs = dpop_headers(headers);
    let dpop = Sent {
        method: "POST",
        proofs: &proofs,
    };
    let t = s.provider.token(body, authz, dpop).await.map_err(refused)?;
    metrics::counter!("writ_token_total", "outcome" => "ok").increment(1);
    let mut r = axum::Json(t).into_response();
    no_store(r.headers_mut());
    Ok(r)
}

/// `GET|POST /userinfo` with `Authorization: Bearer` (RFC 6750 §2.1) or `Authorization: DPoP`
/// and a proof (RFC 9449 §7.1).
pub async fn userinfo(State(s): State<AppState>, method: Method, headers: HeaderMap) -> Response {
    let answer = userinfo_answer(&s, &method, &headers).await.into_response();
    with_dpop_nonce(&s, answer)
}

async fn userinfo_answer(
    s: &AppState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Response, BearerError> {
    let policy = &s.provider.settings.dpop;
    let algs = policy.enabled().then(|| policy.algs_parameter());
    let (scheme, token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, t) = v.split_once(' ')?;
            let scheme = if scheme.eq_ignore_ascii_case("bearer") {
                Scheme::Bearer
            } else if scheme.eq_ignore_ascii_case("dpop") {
                Scheme::Dpop
            } else {
                return None;
            };
            Some((scheme, t.trim()))
        })
        .ok_or_else(|| BearerError::missing(algs.clone()))?;
    let proofs = dpop_headers(headers);
    let presented = Presented {
        scheme,
        token,
        dpop: Sent {
            method: method.as_str(),
            proofs: &proofs,
        },
    };
    let v = s
        .provider
        .userinfo(presented)
        .await
        .map_err(|e| BearerError::refused(e, scheme, algs))?;
    let mut r = axum::Json(v).into_response();
    no_store(r.headers_mut());
    Ok(r)
}
