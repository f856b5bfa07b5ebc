//! The `writ` server: axum routes over `writ-core`, configuration, pages and admin commands.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod admin;
pub mod client_tools;
pub mod config;
pub mod connections;
pub mod errors;
pub mod input;
pub mod inspect;
pub mod outbound;
pub mod pages;
pub mod respond;
pub mod routes;
pub mod telemetry;

use axum::http::{HeaderValue, header};
pub use connections::HttpLimits;
use std::sync::Arc;
use std::time::Duration;
use writ_core::Provider;
use writ_core::ports::{Clock, Rng, Store, SystemClock, SystemRng};
use writ_core::settings::Settings;
use writ_protocol::config::Config;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The provider.
    pub provider: Arc<Provider>,
    /// The Prometheus exporter handle.
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Whether `/metrics` is served here (not when `[metrics] listen` gives it a listener of
    /// its own).
    pub metrics_route: bool,
}

/// Bucket bounds (seconds) of the latency histograms (`writ_request_duration_seconds`).
/// Histograms, not summaries: buckets add up across the nodes of a cluster, and folding a
/// sample into a bucket is a comparison, where a summary's sketch is an insert (about 26 ms of
/// the core every upkeep at 26,000 requests per second, all of it a stall for the requests in
/// flight on a one-core server).
pub const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Install the process-wide Prometheus recorder once.
pub fn metrics_handle() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(LATENCY_BUCKETS)
                .ok()?
                .install_recorder()
                .ok()?;
            telemetry::describe();
            Some(handle)
        })
        .clone()
}

/// Apply the `[[clients]]` and `[[users]]` declared in the file to the store.
pub async fn apply_declared(provider: &Provider, config: &Config) -> Result<(), String> {
    let now = provider.clock.now();
    for c in &config.clients {
        if c.request_uris.iter().any(|p| p == "*") {
            // SPEC §2: `*` lets the client point the server at any URL it likes.
            tracing::warn!(
                client_id = %c.client_id,
                "client registers request_uris = [\"*\"]: the server will fetch any URL this \
                 client names (only public addresses unless allow_private_addresses is set)"
            );
        }
        provider
            .clients
            .put(c.clone(), now)
            .await
            .map_err(|e| format!("clients {:?}: {e}", c.client_id))?;
    }
    for u in &config.users {
        // Declared entries are the truth: their claims replace the stored ones.
        admin::upsert_user(
            provider.store.as_ref(),
            &u.username,
            &u.password_hash,
            Some(&u.claims),
            now,
        )
        .await
        .map_err(|e| format!("users {:?}: {e}", u.username))?;
    }
    Ok(())
}

/// Build a provider on `store` with the real clock and random source.
pub async fn build_provider(
    config: &Config,
    store: Arc<dyn Store>,
) -> Result<Arc<Provider>, String> {
    build_provider_with(config, store, Arc::new(SystemClock), Arc::new(SystemRng)).await
}

/// Build a provider with injected clock and randomness (tests).
pub async fn build_provider_with(
    config: &Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    rng: Arc<dyn Rng>,
) -> Result<Arc<Provider>, String> {
    let mut settings = Settings::from_config(config)?;
    settings.key_encryption = Arc::new(config::key_encryption(config)?);
    settings.rar = config::rar_policy(config)?;
    let jwks = outbound::JwksOverHttp::new(&config.jar.request_uri)?;
    let mut provider = Provider::new(settings, store, clock, rng)
        .await
        .map_err(|e| format!("keys: {e}"))?
        .with_jwks_fetcher(jwks.into_port());
    if config.jar.request_uri_parameter {
        let fetcher = outbound::RequestUriOverHttp::new(&config.jar.request_uri)?;
        provider = provider.with_request_uri_fetcher(fetcher.into_port());
    }
    apply_declared(&provider, config).await?;
    Ok(Arc::new(provider))
}

/// The router with every endpoint of SPEC §3, inside the common layers.
///
/// The layers wrap the router once, as one service. `Router::layer` would wrap every route in
/// each of them and box the result: each request would then clone one boxed service per
/// layer (an allocation and a virtual call each) before reaching its handler. Only the
/// metrics layer, which needs the matched route, sits inside the router
/// ([`routes::router`]).
pub fn app(
    provider: Arc<Provider>,
) -> impl tower::Service<
    axum::extract::Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    app_with(provider, HttpLimits::default().request_timeout, true)
}

/// [`app`] with `request_timeout` (`[http] request_timeout`): a request still unanswered
/// then gets 503; `/metrics` served only when `metrics_route`.
pub fn app_with(
    provider: Arc<Provider>,
    request_timeout: Duration,
    metrics_route: bool,
) -> impl tower::Service<
    axum::extract::Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    let state = AppState {
        provider,
        metrics: metrics_handle(),
        metrics_route,
    };
    layered(routes::router(state), request_timeout)
}

/// The service of `[metrics] listen`: `/metrics`, `/health/live` and `/health/ready`, nothing
/// else, in the same common layers.
pub fn metrics_app(
    provider: Arc<Provider>,
    request_timeout: Duration,
) -> impl tower::Service<
    axum::extract::Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    let state = AppState {
        provider,
        metrics: metrics_handle(),
        metrics_route: true,
    };
    layered(routes::metrics_router(state), request_timeout)
}

/// The common layers around `router`. The security headers are outermost, so that the
/// timeout's 503 and a caught panic's 500 carry them too.
fn layered(
    router: axum::Router,
    request_timeout: Duration,
) -> impl tower::Service<
    axum::extract::Request,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    tower::ServiceBuilder::new()
        .map_response(security_headers)
        .map_response(axum::response::IntoResponse::into_response)
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            request_timeout,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(routes::MAX_BODY_BYTES))
        .service(router)
}

/// Headers every response carries unless its handler set them: no MIME sniffing, no
/// referrer, no framing (RFC 7034, CSP `frame-ancestors`), and a CSP that allows no script
/// and forms posting only to this server or back to a client's redirect URI.
const SECURITY_HEADERS: [(header::HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'",
    ),
];

/// Add [`SECURITY_HEADERS`] that are not present. One layer for the four (there were four
/// `SetResponseHeaderLayer`s: four futures wrapped around every request).
///
/// And every 503 says when to try again (RFC 9110 §15.6.4, §10.2.3): the store being
/// unreachable (`temporarily_unavailable`), the request timeout, a node shedding load. One
/// second, unless the handler said otherwise (issue 16, deliverable 7).
fn security_headers(mut r: axum::response::Response) -> axum::response::Response {
    let unavailable = r.status() == axum::http::StatusCode::SERVICE_UNAVAILABLE;
    let headers = r.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if unavailable && !headers.contains_key(header::RETRY_AFTER) {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    r
}

/// Run the server until Ctrl-C / SIGTERM with the default `[http]` limits.
pub async fn serve(
    provider: Arc<Provider>,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    serve_with(provider, listener, HttpLimits::default()).await
}

/// Run the server until Ctrl-C / SIGTERM within `limits` (`[http]`): background key reload
/// and purge included.
pub async fn serve_with(
    provider: Arc<Provider>,
    listener: tokio::net::TcpListener,
    limits: HttpLimits,
) -> std::io::Result<()> {
    serve_with_metrics(provider, listener, None, limits).await
}

/// [`serve_with`], and when `metrics` is given (`[metrics] listen`), `/metrics` served on it
/// instead of on `listener`.
pub async fn serve_with_metrics(
    provider: Arc<Provider>,
    listener: tokio::net::TcpListener,
    metrics: Option<tokio::net::TcpListener>,
    limits: HttpLimits,
) -> std::io::Result<()> {
    let metrics_route = metrics.is_none();
    let metrics_server = metrics.map(|l| {
        let app = metrics_app(provider.clone(), limits.request_timeout);
        tokio::spawn(connections::serve(
            l,
            app,
            limits,
            std::future::pending::<()>(),
        ))
    });
    let purger = writ_store::spawn_purger(
        provider.store.clone(),
        provider.clock.clone(),
        Duration::from_secs(60),
    );
    let reloader = {
        let p = provider.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tick.tick().await;
                if let Err(e) = p.keys.reload().await {
                    tracing::warn!("key reload failed: {e}");
                }
            }
        })
    };
    let upkeep = metrics_handle().map(spawn_metrics_upkeep);
    let app = app_with(provider, limits.request_timeout, metrics_route);
    let result = connections::serve(listener, app, limits, shutdown_signal()).await;
    if let Some(m) = metrics_server {
        m.abort();
    }
    purger.abort();
    reloader.abort();
    if let Some(u) = upkeep {
        u.abort();
    }
    result
}

/// How often the Prometheus recorder's upkeep runs.
pub const METRICS_UPKEEP: Duration = Duration::from_secs(5);

/// Run the Prometheus recorder's upkeep every [`METRICS_UPKEEP`]. The recorder is installed with
/// `install_recorder`, which spawns no upkeep of its own: without this task every recorded
/// latency (`writ_request_duration_seconds`) stays queued in memory until the next scrape, and
/// a server nobody scrapes grows without bound. Each run folds the queued samples into the
/// histograms' buckets; it runs on the blocking pool, never on a runtime worker.
pub fn spawn_metrics_upkeep(
    handle: metrics_exporter_prometheus::PrometheusHandle,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(METRICS_UPKEEP);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let h = handle.clone();
            if let Err(e) = tokio::task::spawn_blocking(move || h.run_upkeep()).await {
                tracing::warn!("metrics upkeep failed: {e}");
            }
        }
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn security_headers_are_added_but_never_replace_a_handlers_own() {
        let mut own = axum::response::Response::new(axum::body::Body::empty());
        own.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'"),
        );
        let r = security_headers(own);
        let h = r.headers();
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], "default-src 'self'");
        assert_eq!(h.get_all(header::CONTENT_SECURITY_POLICY).iter().count(), 1);
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    }

    /// A handler's timeout (503) and a caught panic (500) carry the security headers too.
    #[tokio::test]
    async fn timeout_and_panic_responses_carry_the_security_headers() {
        use axum::routing::get;
        use tower::ServiceExt;
        let router = axum::Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route(
                "/panic",
                get(|| async {
                    if std::hint::black_box(true) {
                        panic!("a handler panicked");
                    }
                    "never"
                }),
            );
        let app = layered(router, Duration::from_millis(50));
        for (path, status) in [("/slow", 503), ("/panic", 500)] {
            let request = axum::extract::Request::get(path)
                .body(axum::body::Body::empty())
                .unwrap();
            let r = app.clone().oneshot(request).await.unwrap();
            assert_eq!(r.status(), status, "{path}");
            assert_eq!(
                r.headers().contains_key(header::RETRY_AFTER),
                status == 503,
                "{path}"
            );
            for (name, value) in SECURITY_HEADERS {
                assert_eq!(r.headers()[&name], value, "{path}: {name}");
            }
        }
    }

    /// RFC 9110 §10.2.3: every 503 says when to retry (the timeout's, a store outage's), and
    /// a handler's own `Retry-After` is kept; other statuses get none.
    #[test]
    fn every_503_carries_retry_after_and_a_handlers_own_is_kept() {
        let with = |status: u16, own: Option<&'static str>| {
            let mut r = axum::response::Response::new(axum::body::Body::empty());
            *r.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
            if let Some(v) = own {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static(v));
            }
            security_headers(r)
        };
        assert_eq!(with(503, None).headers()[header::RETRY_AFTER], "1");
        assert_eq!(with(503, Some("7")).headers()[header::RETRY_AFTER], "7");
        assert_eq!(with(429, Some("3")).headers()[header::RETRY_AFTER], "3");
        for status in [200, 400, 429, 500] {
            assert!(
                !with(status, None)
                    .headers()
                    .contains_key(header::RETRY_AFTER),
                "{status}"
            );
        }
    }
}
