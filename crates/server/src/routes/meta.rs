//! Discovery, JWKS, health, metrics, and the request-observing middleware.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

/// `/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
pub async fn discovery(State(s): State<AppState>) -> Response {
    axum::Json(writ_core::discovery::metadata(&s.provider.settings)).into_response()
}

/// `/jwks`: the server's public keys (RFC 7517 §5).
pub async fn jwks(State(s): State<AppState>) -> Response {
    let body = s.provider.keys.current().jwks_json().to_string();
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=300"),
    );
    r
}

/// `/health/live`: 200 while the process serves HTTP; it asks nothing of the store, so an
/// orchestrator restarts a node only when the node itself is stuck.
pub async fn live() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

/// `/health` and `/health/ready`: 200 when the store answers, else 503 (take the node out of
/// the balancer, do not restart it).
pub async fn health(State(s): State<AppState>) -> Response {
    // A lookup that finds nothing: the empty client id is never registered. (A NUL byte
    // made PostgreSQL refuse the query, so /health was 503 on every PostgreSQL node.)
    match s.provider.store.client_get("").await {
        Ok(_) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok"})),
        )
            .into_response(),
        Err(e) => {
            tracing::error!("health: store unavailable: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "unavailable"})),
            )
                .into_response()
        }
    }
}

/// `/metrics`: Prometheus text format.
pub async fn metrics(State(s): State<AppState>) -> Response {
    match &s.metrics {
        Some(h) => {
            let mut r = h.render().into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            r
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable",
        )
            .into_response(),
    }
}

/// Counts every response by route and status; latency histograms for the hot endpoints
/// (SPEC §12). Labels are `&'static str` (the route table's patterns, the status code's own
/// text), so recording allocates nothing.
pub async fn observe(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| super::route_label(p.as_str()));
    let start = Instant::now();
    let resp = next.run(req).await;
    let code = resp.status();
    let status: &'static str = STATUS_LABELS
        .iter()
        .find(|s| **s == code.as_str())
        .copied()
        .unwrap_or("other");
    metrics::counter!("writ_http_responses_total", "route" => route, "status" => status)
        .increment(1);
    if matches!(route, "/authorize" | "/token" | "/par") {
        metrics::histogram!("writ_request_duration_seconds", "route" => route)
            .record(start.elapsed().as_secs_f64());
    }
    resp
}

/// The statuses this server answers with, as labels; any other is counted as `other`.
const STATUS_LABELS: &[&str] = &[
    "200", "201", "204", "302", "303", "304", "400", "401", "403", "404", "405", "406", "408",
    "411", "413", "414", "415", "422", "429", "431", "500", "503",
];
