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
    (OAUTH_METADATA, || get(meta::discovery)),
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

/// The discovery document's RFC 8414 name.
const OAUTH_METADATA: &str = "/.well-known/oauth-authorization-server";

/// All routes, under the issuer's path when it has one (`https://id.example.com/auth` serves
/// `/auth/authorize`, `/auth/.well-known/openid-configuration`, ...). Then, at the root, what
/// is found there whatever the issuer: RFC 8414 §3's path-inserted metadata URL
/// (`/.well-known/oauth-authorization-server/auth`) and the health checks and scrape.
pub fn router(state: AppState) -> Router {
    let par_enabled = state.provider.settings.par.enabled;
    let metrics_route = state.metrics_route;
    let prefix = state.provider.settings.issuer_path();
    let served =
        |pattern: &str| (par_enabled || pattern != PAR) && (metrics_route || pattern != METRICS);
    // The body limit and the other common layers wrap the whole router (`crate::app`).
    let router = routes_where(served).layer(axum::middleware::from_fn(meta::observe));
    if prefix.is_empty() {
        return router.with_state(state);
    }
    let root =
        routes_where(|p| served(p) && [HEALTH_LIVE, HEALTH_READY, "/health", METRICS].contains(&p))
            .route(&format!("{OAUTH_METADATA}{prefix}"), get(meta::discovery))
            .layer(axum::middleware::from_fn(meta::observe));
    Router::new()
        .nest(&prefix, router)
        .merge(root)
        .with_state(state)
}

/// The router of `[metrics] listen`: the scrape and the health checks only.
pub fn metrics_router(state: AppState) -> Router {
    routes_where(|p| [METRICS, HEALTH_LIVE, HEALTH_READY].contains(&p)).with_state(state)
}

/// The routes of [`ROUTES`] whose pattern `keep` accepts.
fn routes_where(keep: impl Fn(&str) -> bool) -> Router<AppState> {
    ROUTES
        .iter()
        .filter(|(pattern, _)| keep(pattern))
        .fold(Router::new(), |router, (pattern, handlers)| {
            router.route(pattern, handlers())
        })
}

/// The metrics label of a matched route, as its index in [`ROUTES`]: its pattern there,
/// without the issuer's path (a route nested under `/auth` is matched as `/auth/token`); the
/// path-inserted metadata URL counts as the metadata. `None`: no route of the table.
fn route_index(pattern: &str) -> Option<usize> {
    let exact = ROUTES.iter().position(|(p, _)| *p == pattern);
    exact
        .or_else(|| {
            ROUTES
                .iter()
                .enumerate()
                .filter(|(_, (p, _))| pattern.ends_with(p))
                .max_by_key(|(_, (p, _))| p.len())
                .map(|(i, _)| i)
        })
        .or_else(|| {
            pattern
                .starts_with(OAUTH_METADATA)
                .then(|| ROUTES.iter().position(|(p, _)| *p == OAUTH_METADATA))
                .flatten()
        })
}

/// The label of [`ROUTES`]' route `i`.
fn route_pattern(i: usize) -> &'static str {
    ROUTES.get(i).map_or("other", |(p, _)| *p)
}
