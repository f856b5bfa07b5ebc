//! `[http]` over real TCP (issue 16, finding 1): a client that sends its request head slowly,
//! or keeps a connection open without using it, is cut off within the configured time while
//! other clients keep being served; connections over `max_connections` get a 503 at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMITS: &str = r#"
[http]
header_read_timeout = "1s"
idle_timeout = "2s"
max_connections = 4
"#;

fn addr(srv: &common::Srv) -> String {
    srv.base.trim_start_matches("http://").to_string()
}

/// Read until the server closes the connection (or `within` passes, which fails the test);
/// returns what was read and when the close came.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (Vec<u8>, Duration) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = within.saturating_sub(start.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => panic!(
                "the connection was still open after {within:?}; read {:?}",
                String::from_utf8_lossy(&got)
            ),
            Ok(Ok(0)) | Ok(Err(_)) => return (got, start.elapsed()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// A connection that has made one request and read the start of its answer, kept alive.
async fn kept_alive(srv: &common::Srv) -> TcpStream {
    let mut conn = TcpStream::connect(addr(srv)).await.unwrap();
    conn.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    conn.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    conn
}

/// `/health` answers 200 on a new connection. A pooled client would race the limits under
/// test: the server may close its kept-alive connection just as the pool hands it out again.
async fn health_ok(srv: &common::Srv) {
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let r = fresh
        .get(format!("{}/health", srv.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn slow_header_client_is_cut_off_after_header_read_timeout() {
    let srv = common::start(LIMITS, "").await;
    let mut slow = TcpStream::connect(addr(&srv)).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
    // One header byte every 200 ms: always sending, never done.
    let start = Instant::now();
    let mut cut = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if slow.write_all(b"X").await.is_err() {
            cut = true;
            break;
        }
        // Others are served meanwhile.
        health_ok(&srv).await;
        let mut probe = [0u8; 1];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await
        {
            cut = true;
            break;
        }
    }
    assert!(
        cut,
        "a slow header was still accepted after {:?}",
        start.elapsed()
    );
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "cut off only after {:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn kept_alive_connection_that_sends_nothing_more_is_closed() {
    let srv = common::start(LIMITS, "").await;
    let mut idle = kept_alive(&srv).await;
    // Nothing more is sent: the connection is closed by the shorter of the two limits (the
    // header timer, 1 s, which hyper runs while it waits for the next request; the idle
    // limit is 2 s), while other clients are served.
    health_ok(&srv).await;
    let (_, after) = read_until_closed(&mut idle, Duration::from_secs(4)).await;
    assert!(
        after <= Duration::from_millis(3500),
        "closed after {after:?}"
    );
    health_ok(&srv).await;
}

/// The idle limit on its own: with a header timeout longer than it, a kept-alive connection
/// that sends nothing more is closed by the idle timeout (`reason="idle"`).
#[tokio::test]
async fn idle_timeout_closes_a_kept_alive_connection_before_a_longer_header_timeout() {
    let srv = common::start(
        "[http]\nheader_read_timeout = \"10s\"\nidle_timeout = \"1s\"\n",
        "",
    )
    .await;
    let mut idle = kept_alive(&srv).await;
    let (_, after) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(
        after <= Duration::from_millis(2500),
        "closed after {after:?}"
    );
    health_ok(&srv).await;
}

#[tokio::test]
async fn connection_that_never_sends_is_closed() {
    let srv = common::start(LIMITS, "").await;
    let mut silent = TcpStream::connect(addr(&srv)).await.unwrap();
    let (got, after) = read_until_closed(&mut silent, Duration::from_secs(4)).await;
    assert!(
        got.is_empty() || got.starts_with(b"HTTP/1.1 408"),
        "{got:?}"
    );
    assert!(
        after <= Duration::from_millis(3500),
        "closed after {after:?}"
    );
}

#[tokio::test]
async fn connections_over_max_connections_get_503_and_are_closed() {
    let srv = common::start(LIMITS, "").await;
    // Four connections hold every slot (each has sent part of a request head).
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(addr(&srv)).await.unwrap();
        s.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fifth = TcpStream::connect(addr(&srv)).await.unwrap();
    let (got, _) = read_until_closed(&mut fifth, Duration::from_secs(1)).await;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("retry-after: 1"), "{text}");
    // Once the held connections go, new ones are served again.
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    health_ok(&srv).await;
}
