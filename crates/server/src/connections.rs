//! Serving connections with bounds (`[http]`; issue 16, finding 1).
//!
//! Three limits that a plain accept loop lacks:
//! - **the request head**: a client must send the request line and headers within
//!   `header_read_timeout` of the server waiting for them (hyper's HTTP/1 header timer, which
//!   hyper also starts while a kept-alive connection waits for its next request), so one that
//!   sends a byte every few seconds (slowloris), or nothing, is cut off;
//! - **idleness**: a connection with no request in progress and no byte moving either way for
//!   `idle_timeout` is closed, whichever of the two limits comes first (a keep-alive
//!   connection left open, a client that stops reading its response);
//! - **how many**: at most `max_connections` are served at once; one more is answered a fixed
//!   `503` with `Retry-After` and closed without being read.
//!
//! Everything else is what `axum::serve` did: HTTP/1.1 with keep-alive, the service called
//! once per request, and a graceful shutdown that lets requests in progress finish.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use writ_protocol::http::HttpConfig;

/// The limits of `[http]`, as durations and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// `header_read_timeout`.
    pub header_read_timeout: Duration,
    /// `idle_timeout`.
    pub idle_timeout: Duration,
    /// `request_timeout` (applied by [`crate::app_with`]).
    pub request_timeout: Duration,
    /// `max_connections`.
    pub max_connections: usize,
}

impl From<&HttpConfig> for HttpLimits {
    fn from(c: &HttpConfig) -> Self {
        HttpLimits {
            header_read_timeout: c.header_read_timeout.0,
            idle_timeout: c.idle_timeout.0,
            request_timeout: c.request_timeout.0,
            max_connections: usize::try_from(c.max_connections).unwrap_or(usize::MAX),
        }
    }
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits::from(&HttpConfig::default())
    }
}

/// The whole answer to a connection over the cap: written once, without reading the request.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-length: 0\r\n\
connection: close\r\nx-content-type-options: nosniff\r\ncache-control: no-store\r\n\r\n";

/// Serve `app` on `listener` within `limits` until `shutdown` resolves, then let the
/// connections finish their requests in progress and return.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: HttpLimits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()>
where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    // Every connection task holds a receiver: `closed()` resolves once all are gone.
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::error!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            refuse(stream);
            continue;
        };
        let app = app.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            connection(stream, app, limits, stop).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(stop_rx);
    stop_tx.closed().await;
    Ok(())
}

/// Over the cap: the fixed 503, if the socket takes it at once, and close.
fn refuse(stream: TcpStream) {
    metrics::counter!("writ_http_connections_closed_total", "reason" => "over_capacity")
        .increment(1);
    let _ = stream.try_write(BUSY);
}

/// Errors of one connection that say nothing about the listener (RFC-less folklore that
/// every server repeats: the peer gave up between SYN and accept).
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Serve one connection until the client closes it, a limit closes it, or the server stops.
async fn connection<S>(
    stream: TcpStream,
    app: S,
    limits: HttpLimits,
    mut stop: watch::Receiver<bool>,
) where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: Arc::clone(&activity),
    });
    let requests = Arc::clone(&activity);
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let in_progress = InProgress::begin(Arc::clone(&requests));
        let call = tower::ServiceExt::oneshot(app.clone(), req.map(axum::body::Body::new));
        async move {
            let response = call.await;
            drop(in_progress);
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    if e.is_timeout() {
                        metrics::counter!("writ_http_connections_closed_total", "reason" => "header_timeout").increment(1);
                    }
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = activity.idle_for(limits.idle_timeout) => {
                metrics::counter!("writ_http_connections_closed_total", "reason" => "idle").increment(1);
                return;
            }
            changed = stop.changed(), if !stopping => {
                // The server is stopping (or gone): finish the request in progress, if any,
                // and close.
                let _ = changed;
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// What a connection has been doing: when it last received a byte or finished a request, and
/// how many requests it has in progress. Times are milliseconds since `epoch`.
struct Activity {
    epoch: Instant,
    last_ms: AtomicU64,
    in_progress: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity {
            epoch: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_progress: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// When the connection became idle, if it is.
    fn idle_since(&self) -> Option<Instant> {
        (self.in_progress.load(Ordering::Relaxed) == 0)
            .then(|| self.epoch + Duration::from_millis(self.last_ms.load(Ordering::Relaxed)))
    }

    /// Resolves once the connection has been idle for `limit`. While a request is in
    /// progress it only looks again every `limit` (requests have their own timeout).
    async fn idle_for(&self, limit: Duration) {
        loop {
            let now = Instant::now();
            match self.idle_since() {
                Some(since) if now >= since + limit => return,
                Some(since) => tokio::time::sleep_until(since + limit).await,
                None => tokio::time::sleep(limit).await,
            }
        }
    }
}

/// A request in progress on a connection; its end counts as activity.
struct InProgress(Arc<Activity>);

impl InProgress {
    fn begin(activity: Arc<Activity>) -> Self {
        activity.in_progress.fetch_add(1, Ordering::Relaxed);
        InProgress(activity)
    }
}

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_progress.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The socket, noting every read that brings bytes and every write that takes some: a client
/// that reads its response slowly but steadily is not idle.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
