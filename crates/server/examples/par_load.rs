//! The PAR load driver (`bench/load/par_and_uri.sh`, issue 5 deliverable 7): `CONNS`
//! concurrent clients, each repeating push → authorize for `SECONDS`:
//! `POST /par` (public client `load`, `client_id` in the form, and either the plain
//! parameters or the next pre-generated signed request object), then
//! `GET /authorize?client_id=load&request_uri=<urn>`. A pair counts only when the push
//! answered 201 and the authorize a 303 to `/interaction/`. Prints one line:
//! `RESULT {"pairs":..,"bad":..,"duration_us":..,"latency_us":{"p50":..,"p99":..}}`
//! (latency of the whole pair).
//!
//! With `PAR_PUSH_ONLY=1` each client only pushes: a unit is one `201` from `/par`, so the
//! push's own cost can be told apart from the authorize that redeems it (issue 18,
//! deliverable 3).
//!
//! `cargo run --release -p writ-server --example par_load -- ADDR CONNS SECONDS [JWT_FILE]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn plain() -> Vec<(&'static str, String)> {
    vec![
        ("client_id", "load".into()),
        ("response_type", "code".into()),
        ("scope", "openid profile".into()),
        ("redirect_uri", "http://127.0.0.1:9/cb".into()),
        ("state", "par-load".into()),
        ("code_challenge", CHALLENGE.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: par_load ADDR CONNS SECONDS [JWT_FILE]");
        std::process::exit(2);
    }
    let base = format!("http://{}", args[0]);
    let conns: usize = args[1].parse().unwrap();
    let secs: u64 = args[2].parse().unwrap();
    let objects: Arc<Vec<String>> = Arc::new(
        args.get(3)
            .map(|f| {
                std::fs::read_to_string(f)
                    .unwrap()
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(conns)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let push_only = std::env::var("PAR_PUSH_ONLY").is_ok_and(|v| v == "1");
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (http, base, objects, next) =
            (http.clone(), base.clone(), objects.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut bad) = (Vec::new(), 0usize);
            while Instant::now() < end {
                let t = Instant::now();
                let form = if objects.is_empty() {
                    plain()
                } else {
                    let i = next.fetch_add(1, Ordering::Relaxed) % objects.len();
                    vec![
                        ("client_id", "load".into()),
                        ("request", objects[i].clone()),
                    ]
                };
                let pushed = http.post(format!("{base}/par")).form(&form).send().await;
                let uri = match pushed {
                    Ok(r) if r.status() == 201 => r
                        .json::<serde_json::Value>()
                        .await
                        .ok()
                        .and_then(|v| v["request_uri"].as_str().map(str::to_string)),
                    _ => None,
                };
                let Some(uri) = uri else {
                    bad += 1;
                    continue;
                };
                if push_only {
                    lat.push(t.elapsed().as_micros() as u64);
                    continue;
                }
                let r = http
                    .get(format!("{base}/authorize"))
                    .query(&[("client_id", "load"), ("request_uri", uri.as_str())])
                    .send()
                    .await;
                let ok = r.is_ok_and(|r| {
                    r.status() == 303
                        && r.headers()
                            .get("location")
                            .and_then(|l| l.to_str().ok())
                            .is_some_and(|l| l.contains("/interaction/"))
                });
                if ok {
                    lat.push(t.elapsed().as_micros() as u64);
                } else {
                    bad += 1;
                }
            }
            (lat, bad)
        }));
    }
    let (mut all, mut bad) = (Vec::new(), 0);
    for t in tasks {
        let (l, b) = t.await.unwrap();
        all.extend(l);
        bad += b;
    }
    let duration = start.elapsed();
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    println!(
        "RESULT {{\"pairs\":{},\"bad\":{},\"duration_us\":{},\"latency_us\":{{\"p50\":{},\"p99\":{}}}}}",
        all.len(),
        bad,
        duration.as_micros(),
        pct(0.50),
        pct(0.99)
    );
}
