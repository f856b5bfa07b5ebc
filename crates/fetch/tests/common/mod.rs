//! Shared helpers of the integration tests. Every server here listens on 127.0.0.1 only, and
//! every injected DNS answer is a loopback address, so no test can send traffic off the machine.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use writ_fetch::resolve::Resolving;
use writ_fetch::{FetchPolicy, Resolve};

/// A policy for fetching from a test server on 127.0.0.1: http and private addresses turned on
/// explicitly (SPEC §2), a short deadline and a tiny backoff.
pub fn local_policy() -> FetchPolicy {
    FetchPolicy {
        allow_http: true,
        allow_private_addresses: true,
        timeout: Duration::from_secs(3),
        retry_backoff: Duration::from_millis(5),
        ..FetchPolicy::default()
    }
}

/// Fixed DNS answers, counting lookups. Only loopback answers are used by the tests.
#[derive(Default)]
pub struct FixedResolver {
    answers: HashMap<String, Vec<IpAddr>>,
    pub lookups: AtomicUsize,
}

impl FixedResolver {
    pub fn new(entries: &[(&str, &[&str])]) -> Arc<Self> {
        let answers = entries
            .iter()
            .map(|(host, ips)| {
                let ips = ips.iter().map(|ip| ip.parse().unwrap()).collect();
                ((*host).to_owned(), ips)
            })
            .collect();
        Arc::new(FixedResolver {
            answers,
            lookups: AtomicUsize::new(0),
        })
    }

    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl Resolve for FixedResolver {
    fn resolve(&self, host: &str) -> Resolving {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let answer =
            self.answers.get(host).cloned().ok_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("no such host {host}"))
            });
        Box::pin(async move { answer })
    }
}

/// Serve `router` on 127.0.0.1 with an OS-chosen port.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    addr
}

/// A shared request counter.
#[derive(Clone, Default)]
pub struct Hits(Arc<AtomicUsize>);

impl Hits {
    /// Count one request and return its number, starting at 1.
    pub fn hit(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}
