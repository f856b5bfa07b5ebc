//! The endpoints of SPEC §3. Handlers are thin: extract, call the core, respond; each returns
//! `Result<Response, E>` with its endpoint's error type ([`crate::errors`]).

mod authorize;
mod dpop;
mod interaction;
mod introspect;
mod logout;
mod meta;
mod par;
pub mod session;
mod token;

use crate::AppState;
use axum::Router;
use axum::routing::{MethodRouter, get, post};

/// Largest request body accepted anywhere (a request object by POST plus the rest).
pub const MAX_BODY_BYTES: usize = 1024 * 1024 + 64 * 1024;

/// The pattern of the pushed authorization request endpoint (RFC 9126 §5: it exists only when
/// pushed requests are enabled).
const PAR: &str = "/par";

/// The Prometheus scrape, not served here when `[metrics] listen` gives it its own listener.
const METRICS: &str = "/metrics";
/// Liveness: the process answers (no store call).
const HEALTH_LIVE: &str = "/health/live";
/// Readiness: the store answers (as `/health`).
const HEALTH_READY: &str = "/health/ready";

/// A route's handlers, made when the router is built.
type Handlers = fn() -> MethodRouter<AppState>;

/// Every route, written once: the router is built from this table, and a request's metrics
/// label is its route's pattern here ([`meta::observe`]).
const ROUTES: &[(&str, Handlers)] = &[
    ("/.well-known/openid-configuration", || get(meta::discovery)),
    ("/.well-known/oauth-authorization-server", || {
        get(meta::discovery)
    }),
    ("/jwks", || get(meta::jwks)),
    ("/health", || get(meta::health)),
    (HEALTH_LIVE, || get(meta::live)),
    (HEALTH_READY, || get(meta::health)),
    (METRICS, || get(meta::metrics)),
    ("/authorize", || get(authorize::get).post(authorize::post)),
    ("/interaction/{id}", || get(interaction::show)),
    ("/interaction/{id}/login", || post(interaction::login)),
    ("/interaction/{id}/consent", || post(interaction::consent)),
    ("/token", || post(token::token)),
    ("/userinfo", || get(token::userinfo).post(token::userinfo)),
    ("/introspect", || post(introspect::introspect)),
    ("/revoke", || post(introspect::revoke)),
    ("/logout", || get(logout::get).post(logout::post)),
    (PAR, || post(par::push)),
];

/// All routes.
pub fn router(state: AppState) -> Router {
    let par_enabled = state.provider.settings.par.enabled;
    let metrics_route = state.metrics_route;
    let router = ROUTES
        .iter()
        .filter(|(pattern, _)| par_enabled || *pattern != PAR)
        .filter(|(pattern, _)| metrics_route || *pattern != METRICS)
        .fold(Router::new(), |router, (pattern, handlers)| {
            router.route(pattern, handlers())
        });
    // The body limit and the other common layers wrap the whole router (`crate::app`).
    router
        .layer(axum::middleware::from_fn(meta::observe))
        .with_state(state)
}

/// The router of `[metrics] listen`: the scrape and the health checks only.
pub fn metrics_router(state: AppState) -> Router {
    ROUTES
        .iter()
        .filter(|(pattern, _)| [METRICS, HEALTH_LIVE, HEALTH_READY].contains(pattern))
        .fold(Router::new(), |router, (pattern, handlers)| {
            router.route(pattern, handlers())
        })
        .with_state(state)
}

/// The metrics label of a matched route: its pattern in [`ROUTES`].
fn route_label(pattern: &str) -> &'static str {
    ROUTES
        .iter()
        .map(|(p, _)| *p)
        .find(|p| *p == pattern)
        .unwrap_or("other")
}
