//! The endpoints of SPEC §3. Handlers are thin: extract, call the core, respond.

mod authorize;
mod interaction;
mod meta;
mod par;
mod token;

use crate::AppState;
use axum::Router;
use axum::http::HeaderMap;
use axum::routing::{get, post};

/// Largest request body accepted anywhere (a request object by POST plus the rest).
pub const MAX_BODY_BYTES: usize = 1024 * 1024 + 64 * 1024;

/// All routes.
pub fn router(state: AppState) -> Router {
    // A new route needs its pattern in `meta::ROUTE_LABELS` too (else its metrics say `other`).
    // RFC 9126 §5: the endpoint exists only when pushed requests are enabled.
    let par_enabled = state.provider.settings.par.enabled;
    let router = Router::new()
        .route("/.well-known/openid-configuration", get(meta::discovery))
        .route(
            "/.well-known/oauth-authorization-server",
            get(meta::discovery),
        )
        .route("/jwks", get(meta::jwks))
        .route("/health", get(meta::health))
        .route("/metrics", get(meta::metrics))
        .route("/authorize", get(authorize::get).post(authorize::post))
        .route("/interaction/{id}", get(interaction::show))
        .route("/interaction/{id}/login", post(interaction::login))
        .route("/interaction/{id}/consent", post(interaction::consent))
        .route("/token", post(token::token))
        .route("/userinfo", get(token::userinfo).post(token::userinfo));
    let router = if par_enabled {
        router.route("/par", post(par::push))
    } else {
        router
    };
    // The body limit and the other common layers wrap the whole router (`crate::app`).
    router
        .layer(axum::middleware::from_fn(meta::observe))
        .with_state(state)
}

/// A cookie's value from the `Cookie` header.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The session cookie's name: `__Host-` prefixed when the issuer is https.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-writ_session"
    } else {
        "writ_session"
    }
}
