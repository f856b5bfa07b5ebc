//! The client's request-object host for the by-reference load test
//! (`bench/load/par_and_uri.sh`, issue 5 deliverable 7): serves line `i` of a file of
//! compact JWTs at `GET /ro/{i}` as `application/oauth-authz-req+jwt`, with the
//! `Cache-Control` given (`no-store` for the cache-off run, `max-age=600` for cache-on).
//!
//! `cargo run --release -p writ-server --example ro_host -- JWT_FILE ADDR CACHE_CONTROL`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

struct Host {
    objects: Vec<String>,
    cache_control: String,
}

async fn object(State(h): State<Arc<Host>>, Path(i): Path<usize>) -> Response {
    match h.objects.get(i) {
        Some(jwt) => (
            [
                (header::CONTENT_TYPE, "application/oauth-authz-req+jwt"),
                (header::CACHE_CONTROL, h.cache_control.as_str()),
            ],
            jwt.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 {
        eprintln!("usage: ro_host JWT_FILE ADDR CACHE_CONTROL");
        std::process::exit(2);
    }
    let objects: Vec<String> = std::fs::read_to_string(&args[0])
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    eprintln!("ro_host: {} objects on {}", objects.len(), args[1]);
    let host = Arc::new(Host {
        objects,
        cache_control: args[2].clone(),
    });
    let app = axum::Router::new()
        .route("/ro/{i}", axum::routing::get(object))
        .with_state(host);
    let listener = tokio::net::TcpListener::bind(&args[1]).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
