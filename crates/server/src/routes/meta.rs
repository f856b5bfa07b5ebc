//! Discovery, JWKS, health, metrics, and the request-observing middleware.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{Counter, Histogram};
use std::sync::OnceLock;
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
    let route = match req.extensions().get::<MatchedPath>() {
        Some(p) => super::route_index(p.as_str()).unwrap_or(OTHER_ROUTE),
        None => UNMATCHED_ROUTE,
    };
    let start = Instant::now();
    let resp = next.run(req).await;
    let code = resp.status();
    let status = STATUS_LABELS
        .iter()
        .position(|s| *s == code.as_str())
        .unwrap_or(STATUS_LABELS.len());
    response_counter(route, status).increment(1);
    if let Some(latency) = latency_histogram(route) {
        latency.record(start.elapsed().as_secs_f64());
    }
    resp
}

/// The route slot of a request no route of the table matched but a router did (a nested
/// router's fallback): `route="other"`.
const OTHER_ROUTE: usize = super::ROUTES.len();
/// The route slot of a request no router matched: `route="unmatched"`.
const UNMATCHED_ROUTE: usize = super::ROUTES.len() + 1;
const ROUTE_SLOTS: usize = super::ROUTES.len() + 2;
/// Statuses: those of [`STATUS_LABELS`], then `other`.
const STATUS_SLOTS: usize = STATUS_LABELS.len() + 1;

fn route_label(route: usize) -> &'static str {
    match route {
        UNMATCHED_ROUTE => "unmatched",
        r => super::route_pattern(r),
    }
}

/// `writ_http_responses_total{route, status}`, its handle registered on the first response
/// of that route and status and kept (issue 18): `metrics::counter!` with labels builds and
/// hashes its key and looks it up in the registry on every call, ~1.5 k instructions per
/// response. The recorder is installed before the router serves (`crate::metrics_handle`,
/// when the app state is made), so a kept handle is the recorder's.
fn response_counter(route: usize, status: usize) -> &'static Counter {
    static KEPT: [OnceLock<Counter>; ROUTE_SLOTS * STATUS_SLOTS] =
        [const { OnceLock::new() }; ROUTE_SLOTS * STATUS_SLOTS];
    let (route, status) = (route.min(ROUTE_SLOTS - 1), status.min(STATUS_SLOTS - 1));
    KEPT[route * STATUS_SLOTS + status].get_or_init(|| {
        let status = STATUS_LABELS.get(status).copied().unwrap_or("other");
        metrics::counter!("writ_http_responses_total", "route" => route_label(route), "status" => status)
    })
}

/// `writ_request_duration_seconds{route}` for the hot endpoints (`/authorize`, `/token`,
/// `/par`), kept as [`response_counter`]'s handles are; `None` for other routes.
fn latency_histogram(route: usize) -> Option<&'static Histogram> {
    static KEPT: [OnceLock<Histogram>; ROUTE_SLOTS] = [const { OnceLock::new() }; ROUTE_SLOTS];
    let label = route_label(route);
    if !matches!(label, "/authorize" | "/token" | "/par") {
        return None;
    }
    let slot = KEPT.get(route)?;
    Some(
        slot.get_or_init(|| metrics::histogram!("writ_request_duration_seconds", "route" => label)),
    )
}

/// The statuses this server answers with, as labels; any other is counted as `other`.
const STATUS_LABELS: &[&str] = &[
    "200", "201", "204", "302", "303", "304", "400", "401", "403", "404", "405", "406", "408",
    "411", "413", "414", "415", "422", "429", "431", "500", "503",
];
