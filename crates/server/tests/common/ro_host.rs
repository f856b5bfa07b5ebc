//! A client's request-object host on 127.0.0.1, inside the test suite, with knobs for every
//! way a `request_uri` can misbehave (issue 5): slow headers, slow body, endless body, a lying
//! `Content-Length`, a wrong media type, redirects, 404, and 500 before a 200. Raw TCP, so the
//! misbehaviour is exactly what is written here and not what an HTTP library allows.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What a path answers.
#[derive(Clone, Debug)]
pub enum Knob {
    /// 200 with this body, `application/oauth-authz-req+jwt`, and an optional Cache-Control.
    Serve {
        body: String,
        cache_control: Option<String>,
    },
    /// 200 with this body and media type.
    Typed { body: String, content_type: String },
    /// Headers only after this long.
    SlowHeaders(Duration),
    /// Headers at once (declaring `len` bytes), then one byte every `every`.
    SlowBody { len: usize, every: Duration },
    /// Chunked, never ending.
    Endless,
    /// Declares `declared` bytes but sends `sent` bytes and keeps the connection open.
    LyingLength { declared: usize, sent: usize },
    /// A redirect to this location.
    Redirect(String),
    /// This status, empty body.
    Status(u16),
    /// 500 for the first `failures` requests, then serve `body`.
    FailThen { failures: usize, body: String },
}

impl Knob {
    /// 200 with `body` as `application/oauth-authz-req+jwt`, no Cache-Control.
    pub fn serve(body: String) -> Knob {
        Knob::Serve {
            body,
            cache_control: None,
        }
    }
}

#[derive(Clone, Default)]
pub struct RoHost {
    pub base: String,
    knobs: Arc<Mutex<HashMap<String, Knob>>>,
    hits: Arc<Mutex<HashMap<String, Arc<AtomicUsize>>>>,
    accepts: Arc<Mutex<Vec<String>>>,
}

impl RoHost {
    pub async fn start() -> RoHost {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = RoHost {
            base: format!("http://{}", listener.local_addr().unwrap()),
            ..Default::default()
        };
        let h = host.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let h = h.clone();
                tokio::spawn(async move { h.answer(sock).await });
            }
        });
        host
    }

    /// Set what `path` answers; returns its full URL.
    pub fn set(&self, path: &str, knob: Knob) -> String {
        self.knobs.lock().unwrap().insert(path.into(), knob);
        format!("{}{path}", self.base)
    }

    /// How many requests reached `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.counter(path).load(Ordering::SeqCst)
    }

    /// The `Accept` headers received, in order.
    pub fn accepts(&self) -> Vec<String> {
        self.accepts.lock().unwrap().clone()
    }

    fn counter(&self, path: &str) -> Arc<AtomicUsize> {
        self.hits
            .lock()
            .unwrap()
            .entry(path.into())
            .or_default()
            .clone()
    }

    async fn answer(&self, mut sock: TcpStream) {
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let text = String::from_utf8_lossy(&head).to_string();
        let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
        if let Some(a) = text
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("accept:"))
        {
            self.accepts.lock().unwrap().push(a[7..].trim().to_string());
        }
        let n = self.counter(&path).fetch_add(1, Ordering::SeqCst) + 1;
        let knob = self.knobs.lock().unwrap().get(&path).cloned();
        let jwt = "application/oauth-authz-req+jwt";
        let _ = match knob {
            None => respond(&mut sock, 404, "text/plain", "", &[]).await,
            Some(Knob::Serve {
                body,
                cache_control,
            }) => {
                let cc: Vec<(&str, String)> = cache_control
                    .into_iter()
                    .map(|c| ("Cache-Control", c))
                    .collect();
                respond(&mut sock, 200, jwt, &body, &cc).await
            }
            Some(Knob::Typed { body, content_type }) => {
                respond(&mut sock, 200, &content_type, &body, &[]).await
            }
            Some(Knob::SlowHeaders(d)) => {
                tokio::time::sleep(d).await;
                respond(&mut sock, 200, jwt, "a.b.c", &[]).await
            }
            Some(Knob::SlowBody { len, every }) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {jwt}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
                );
                let mut r = sock.write_all(head.as_bytes()).await;
                for _ in 0..len {
                    if r.is_err() {
                        break;
                    }
                    tokio::time::sleep(every).await;
                    r = sock.write_all(b"a").await;
                }
                r
            }
            Some(Knob::Endless) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {jwt}\r\nTransfer-Encoding: chunked\r\n\r\n"
                );
                let mut r = sock.write_all(head.as_bytes()).await;
                let chunk = format!("4000\r\n{}\r\n", "a".repeat(0x4000));
                while r.is_ok() {
                    r = sock.write_all(chunk.as_bytes()).await;
                }
                r
            }
            Some(Knob::LyingLength { declared, sent }) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {jwt}\r\nContent-Length: {declared}\r\n\r\n"
                );
                let mut r = sock.write_all(head.as_bytes()).await;
                if r.is_ok() {
                    r = sock.write_all(&vec![b'a'; sent]).await;
                }
                // Keep the connection open, as a broken or hostile server would.
                tokio::time::sleep(Duration::from_secs(30)).await;
                r
            }
            Some(Knob::Redirect(to)) => {
                respond(&mut sock, 302, "text/plain", "", &[("Location", to)]).await
            }
            Some(Knob::Status(code)) => respond(&mut sock, code, "text/plain", "", &[]).await,
            Some(Knob::FailThen { failures, body }) => {
                if n <= failures {
                    respond(&mut sock, 500, "text/plain", "", &[]).await
                } else {
                    respond(&mut sock, 200, jwt, &body, &[]).await
                }
            }
        };
    }
}

async fn respond(
    sock: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &str,
    headers: &[(&str, String)],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    sock.write_all(head.as_bytes()).await?;
    sock.write_all(body.as_bytes()).await?;
    sock.shutdown().await
}
