//! The soak and fault driver (`bench/soak/soak.sh`, `bench/soak/faults.sh`; issue 16,
//! deliverables 6 and 7).
//!
//! `soak config OUT PORT [STORE_URL]` writes `OUT/writ.toml`: a `private_key_jwt` client `svc`
//! (a new P-256 key, saved as `OUT/svc.pk8`) that signs its request objects and assertions,
//! alice, ES256 ID tokens, refresh tokens not rotated; with `STORE_URL`, that store.
//!
//! `soak run OUT SECONDS CONNS PID[,PID..] BASE[,BASE..]` signs in once through the first
//! `BASE` for a refresh token, then runs `CONNS` concurrent clients for `SECONDS`, each
//! repeating, in turn over the bases:
//! - `jar`: `GET /authorize?client_id=svc&request=<a new signed request object>` → a 303 to
//!   `/interaction/`;
//! - `par`: `POST /par` with a new signed request object and assertion → 201, then
//!   `GET /authorize?client_id=svc&request_uri=<urn>` → a 303 to `/interaction/`;
//! - `token`: `POST /token`, `refresh_token` grant with a new assertion → 200.
//!
//! Every answer is one of: `ok` (the expected one), `unavailable` (503 with `Retry-After`; at
//! `/authorize`, a redirect to the client with `error=temporarily_unavailable`, RFC 6749
//! §4.1.2.1; or no connection: what a node says, or does not, while its database or itself is
//! down) or
//! `error` (anything else: a 500, a wrong status, a refused request). Every 10 s it prints a
//! `SAMPLE` JSON line (elapsed seconds, the counts so far, each PID's RSS in KiB, the SQLite
//! files' size when `OUT/writ.db` exists); at the end a `RESULT` line, and the first errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{ASSERTION_TYPE, CHALLENGE, REDIRECT, assertion_for, enc, now, refresh_token};
use tokio::sync::Mutex;
use writ_jose::{EcCurve, SigningKey, SigningKeyKind};

/// Lifetime of the request objects and assertions: the server keeps each `jti` until then
/// (plus the clock skew), so the replay table levels off after about 90 s.
const LIFETIME: i64 = 60;
const KINDS: [&str; 3] = ["jar", "par", "token"];
const OUTCOMES: [&str; 3] = ["ok", "unavailable", "error"];

fn config(out: &Path, port: &str, store: Option<&str>) {
    let mut sections = store
        .map(|u| format!("[store]\nurl = \"{u}\"\n"))
        .unwrap_or_default();
    // More TOML for the fault scripts (a longer [par] lifetime, say).
    sections.push_str(&std::env::var("SOAK_SECTIONS").unwrap_or_default());
    support::config(out, port, &sections);
}

/// A request object of `svc` for `issuer`, its own `jti`, `state` and `nonce` per `i`.
fn request_object(key: &SigningKey, issuer: &str, i: u64) -> String {
    let t = now();
    let claims = json!({
        "iss": "svc", "aud": issuer, "client_id": "svc", "response_type": "code",
        "redirect_uri": REDIRECT, "scope": "openid profile", "state": format!("s{i}"),
        "nonce": format!("n{i}"), "code_challenge": CHALLENGE,
        "code_challenge_method": "S256", "iat": t, "exp": t + LIFETIME, "jti": format!("ro-{t}-{}-{i}", std::process::id()),
    });
    support::sign(
        key,
        &json!({ "kid": "svc-1", "typ": "oauth-authz-req+jwt" }),
        &claims,
    )
}

struct Shared {
    key: SigningKey,
    /// The issuer every node shares (the first base).
    issuer: String,
    bases: Vec<String>,
    refresh: String,
    http: reqwest::Client,
    next: AtomicU64,
    /// counts[kind][outcome].
    counts: [[AtomicUsize; 3]; 3],
    /// Each distinct error, with how many times it happened.
    errors: Mutex<std::collections::BTreeMap<String, usize>>,
}

enum Outcome {
    Ok,
    Unavailable,
    Error(String),
}

/// What one answer means: the expected status (and `Location` prefix), a 503 with
/// `Retry-After`, or an error.
fn judge(r: &reqwest::Response, want: u16, location: Option<&str>) -> Outcome {
    let status = r.status().as_u16();
    if status == 503 && r.headers().contains_key("retry-after") {
        return Outcome::Unavailable;
    }
    // RFC 6749 §4.1.2.1: at the authorization endpoint, a redirect carrying
    // `temporarily_unavailable` is how a 503 reaches the client.
    if status == 303
        && r.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with(REDIRECT) && l.contains("error=temporarily_unavailable"))
    {
        return Outcome::Unavailable;
    }
    if status != want {
        return Outcome::Error(format!("status {status}"));
    }
    if let Some(prefix) = location {
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !loc.contains(prefix) {
            return Outcome::Error(format!("location {loc:?}"));
        }
    }
    Outcome::Ok
}

fn transport(e: &reqwest::Error) -> Outcome {
    if e.is_connect() || e.is_timeout() || e.is_request() {
        Outcome::Unavailable
    } else {
        Outcome::Error(format!("transport: {e}"))
    }
}

/// `GET url`, expecting a 303 to `/interaction/`.
async fn to_interaction(s: &Shared, url: String) -> Outcome {
    match s.http.get(url).send().await {
        Ok(r) => judge(&r, 303, Some("/interaction/")),
        Err(e) => transport(&e),
    }
}

/// `POST url` with the form `body`.
async fn post_form(s: &Shared, url: String, body: String) -> Result<reqwest::Response, Outcome> {
    s.http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| transport(&e))
}

async fn jar(s: &Shared, base: &str, i: u64) -> Outcome {
    let ro = request_object(&s.key, &s.issuer, i);
    to_interaction(s, format!("{base}/authorize?client_id=svc&request={ro}")).await
}

async fn par(s: &Shared, base: &str, i: u64) -> Outcome {
    let body = format!(
        "request={}&client_assertion_type={}&client_assertion={}",
        request_object(&s.key, &s.issuer, i),
        enc(ASSERTION_TYPE),
        assertion_for(&s.key, &s.issuer, i as usize, LIFETIME)
    );
    let pushed = match post_form(s, format!("{base}/par"), body).await {
        Ok(r) => r,
        Err(o) => return o,
    };
    match judge(&pushed, 201, None) {
        Outcome::Ok => {}
        other => return other,
    }
    let Ok(v) = pushed.json::<Value>().await else {
        return Outcome::Error("a 201 from /par without JSON".into());
    };
    let Some(urn) = v["request_uri"].as_str() else {
        return Outcome::Error(format!("a 201 from /par without request_uri: {v}"));
    };
    to_interaction(
        s,
        format!("{base}/authorize?client_id=svc&request_uri={}", enc(urn)),
    )
    .await
}

async fn token(s: &Shared, base: &str, i: u64) -> Outcome {
    let body = format!(
        "grant_type=refresh_token&refresh_token={}&client_assertion_type={}&client_assertion={}",
        enc(&s.refresh),
        enc(ASSERTION_TYPE),
        assertion_for(&s.key, &s.issuer, i as usize, LIFETIME)
    );
    match post_form(s, format!("{base}/token"), body).await {
        Ok(r) => judge(&r, 200, None),
        Err(o) => o,
    }
}

async fn client(s: Arc<Shared>, end: Instant) {
    while Instant::now() < end {
        let i = s.next.fetch_add(1, Ordering::Relaxed);
        let kind = (i % 3) as usize;
        let base = &s.bases[((i / 3) as usize) % s.bases.len()];
        let outcome = match kind {
            0 => jar(&s, base, i).await,
            1 => par(&s, base, i).await,
            _ => token(&s, base, i).await,
        };
        let o = match outcome {
            Outcome::Ok => 0,
            Outcome::Unavailable => {
                // A node that is down answers at once: do not spin on it.
                tokio::time::sleep(Duration::from_millis(50)).await;
                1
            }
            Outcome::Error(e) => {
                let t = now();
                let mut errors = s.errors.lock().await;
                *errors
                    .entry(format!("{} at {base}: {e}", KINDS[kind]))
                    .or_default() += 1;
                eprintln!("ERROR at {t}: {} at {base}: {e}", KINDS[kind]);
                2
            }
        };
        s.counts[kind][o].fetch_add(1, Ordering::Relaxed);
    }
}

fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn file_kib(path: PathBuf) -> u64 {
    std::fs::metadata(path).map(|m| m.len() / 1024).unwrap_or(0)
}

/// Rows of every table of the SQLite file, read through a read-only connection.
async fn rows(db: &Path) -> Value {
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=ro", db.display());
    let Ok(mut conn) = sqlx::SqliteConnection::connect(&url).await else {
        return Value::Null;
    };
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap_or_default();
    let mut out = serde_json::Map::new();
    for t in tables {
        let q = format!("SELECT count(*) FROM \"{t}\"");
        let n: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(q))
            .fetch_one(&mut conn)
            .await
            .ok();
        out.insert(t, json!(n));
    }
    Value::Object(out)
}

fn counts(s: &Shared) -> Value {
    let mut out = serde_json::Map::new();
    for (k, kind) in KINDS.iter().enumerate() {
        let mut m = serde_json::Map::new();
        for (o, outcome) in OUTCOMES.iter().enumerate() {
            m.insert(
                (*outcome).into(),
                json!(s.counts[k][o].load(Ordering::Relaxed)),
            );
        }
        out.insert((*kind).into(), Value::Object(m));
    }
    Value::Object(out)
}

async fn run(out: &Path, secs: u64, conns: usize, pids: &[String], bases: Vec<String>) {
    let key = svc_key(out);
    let refresh = refresh_token(&bases[0], &key).await;
    let http = plain_http(conns);
    let shared = Arc::new(Shared {
        key,
        issuer: bases[0].clone(),
        bases,
        refresh,
        http,
        next: AtomicU64::new(0),
        counts: Default::default(),
        errors: Mutex::new(Default::default()),
    });
    let start = Instant::now();
    let end = start + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..conns)
        .map(|_| tokio::spawn(client(shared.clone(), end)))
        .collect();
    let db = out.join("writ.db");
    loop {
        let rss: Vec<Value> = pids.iter().map(|p| json!(rss_kib(p))).collect();
        let mut sample = json!({
            "t": start.elapsed().as_secs(),
            "rss_kib": rss,
            "counts": counts(&shared),
        });
        if db.exists() {
            sample["sqlite_kib"] = json!({
                "db": file_kib(db.clone()),
                "wal": file_kib(out.join("writ.db-wal")),
            });
            sample["rows"] = rows(&db).await;
        }
        println!("SAMPLE {sample}");
        if Instant::now() >= end {
            break;
        }
        tokio::time::sleep(Duration::from_secs(10).min(end - Instant::now())).await;
    }
    for t in tasks {
        t.await.unwrap();
    }
    let result = json!({
        "seconds": start.elapsed().as_secs_f64(),
        "conns": conns,
        "counts": counts(&shared),
    });
    println!("RESULT {result}");
    for (e, n) in shared.errors.lock().await.iter() {
        println!("ERROR {n} x {e}");
    }
}

/// Push `n` requests at `base` with `conns` concurrent clients, or until `base` stops
/// answering; write each acknowledged (201) `request_uri` to `file` as it comes.
async fn push(out: &Path, base: &str, n: u64, conns: usize, file: &Path) {
    let key = svc_key(out);
    let http = plain_http(conns);
    let next = Arc::new(AtomicU64::new(0));
    let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let tasks: Vec<_> = (0..conns)
        .map(|_| {
            let (http, key, next, down, tx) = (
                http.clone(),
                key.clone(),
                next.clone(),
                down.clone(),
                tx.clone(),
            );
            let base = base.to_owned();
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || down.load(Ordering::Relaxed) {
                        return;
                    }
                    let body = format!(
                        "request={}&client_assertion_type={}&client_assertion={}",
                        request_object(&key, &base, i),
                        enc(ASSERTION_TYPE),
                        assertion_for(&key, &base, i as usize, LIFETIME)
                    );
                    let r = http
                        .post(format!("{base}/par"))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body)
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().as_u16() == 201 => {
                            if let Ok(v) = r.json::<Value>().await
                                && let Some(urn) = v["request_uri"].as_str()
                            {
                                let _ = tx.send(urn.to_owned());
                            }
                        }
                        // Not acknowledged: nothing to check later.
                        Ok(_) => {}
                        Err(_) => down.store(true, Ordering::Relaxed),
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let mut w = std::fs::File::create(file).unwrap();
    let mut acked = 0;
    while let Some(urn) = rx.recv().await {
        use std::io::Write;
        writeln!(w, "{urn}").unwrap();
        acked += 1;
    }
    for t in tasks {
        t.await.unwrap();
    }
    println!("PUSHED {acked}");
}

/// `GET /authorize` at `base` for every `request_uri` in `file`: each must be a 303 to
/// `/interaction/` (the push was kept, and is usable on this node). Exits 1 otherwise.
async fn redeem_pushed(base: &str, file: &Path) {
    let http = plain_http(1);
    let (mut ok, mut bad) = (0, Vec::new());
    for urn in std::fs::read_to_string(file).unwrap().lines() {
        let r = http
            .get(format!(
                "{base}/authorize?client_id=svc&request_uri={}",
                enc(urn)
            ))
            .send()
            .await;
        match r.map(|r| judge(&r, 303, Some("/interaction/"))) {
            Ok(Outcome::Ok) => ok += 1,
            Ok(Outcome::Unavailable) => bad.push(format!("{urn}: unavailable")),
            Ok(Outcome::Error(e)) => bad.push(format!("{urn}: {e}")),
            Err(e) => bad.push(format!("{urn}: {e}")),
        }
    }
    println!("REDEEMED {ok} BAD {}", bad.len());
    for b in bad.iter().take(10) {
        println!("BAD {b}");
    }
    if !bad.is_empty() {
        std::process::exit(1);
    }
}

/// Flows started on `first`, which is then killed (SIGKILL `pid`), finished on `second`:
/// `n` pushed requests, `n` interactions waiting for sign-in, `n` signed in and waiting for
/// consent, `n` codes not yet redeemed. Each must complete on `second`. Exits 1 otherwise.
async fn failover(out: &Path, first: &str, second: &str, pid: &str, n: usize) {
    let key = svc_key(out);
    let issuer = first;
    let pushed = out.join("failover-pushed.txt");
    push(out, first, n as u64, 4, &pushed).await;
    let mut waiting = Vec::new();
    let mut signed_in = Vec::new();
    let mut codes = Vec::new();
    for _ in 0..n {
        let http = support::browser();
        let i = support::start(&http, first).await;
        waiting.push((http, i));
        let http = support::browser();
        let i = support::start(&http, first).await;
        support::login(&http, first, &i).await;
        signed_in.push((http, i));
        let http = support::browser();
        let i = support::start(&http, first).await;
        support::login(&http, first, &i).await;
        let code = support::consent(&http, first, &i).await;
        codes.push((http, code));
    }
    let killed = std::process::Command::new("kill")
        .args(["-KILL", pid])
        .status()
        .unwrap();
    assert!(killed.success(), "kill -KILL {pid}");
    println!("KILLED {pid} with {n} flows of each kind in progress on {first}");
    redeem_pushed(second, &pushed).await;
    // Sign in where the first node left off, then allow: every flow ends with a code.
    let mut finished = Vec::new();
    for (http, i) in &waiting {
        support::login(http, second, i).await;
        finished.push((http, support::consent(http, second, i).await));
    }
    for (http, i) in &signed_in {
        finished.push((http, support::consent(http, second, i).await));
    }
    finished.extend(codes.iter().map(|(http, code)| (http, code.clone())));
    let mut done = 0;
    for (http, code) in &finished {
        let r = support::redeem(http, second, issuer, &key, code).await;
        assert_eq!(r.status(), 200, "a code at {second}");
        done += 1;
    }
    println!("FAILOVER completed {done} flows on {second}");
}

fn svc_key(out: &Path) -> SigningKey {
    SigningKey::from_pkcs8(
        SigningKeyKind::Ec(EcCurve::P256),
        &std::fs::read(out.join("svc.pk8")).unwrap(),
    )
    .unwrap()
}

fn plain_http(conns: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(conns)
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let split = |s: &str| s.split(',').map(str::to_owned).collect::<Vec<_>>();
    match args.first().map(String::as_str) {
        Some("config") if (3..=4).contains(&args.len()) => config(
            Path::new(&args[1]),
            &args[2],
            args.get(3).map(String::as_str),
        ),
        Some("run") if args.len() == 6 => {
            run(
                Path::new(&args[1]),
                args[2].parse().unwrap(),
                args[3].parse().unwrap(),
                &split(&args[4]),
                split(&args[5]),
            )
            .await
        }
        Some("push") if args.len() == 6 => {
            push(
                Path::new(&args[1]),
                &args[2],
                args[3].parse().unwrap(),
                args[4].parse().unwrap(),
                Path::new(&args[5]),
            )
            .await
        }
        Some("redeem") if args.len() == 3 => redeem_pushed(&args[1], Path::new(&args[2])).await,
        Some("failover") if args.len() == 6 => {
            failover(
                Path::new(&args[1]),
                &args[2],
                &args[3],
                &args[4],
                args[5].parse().unwrap(),
            )
            .await
        }
        _ => {
            eprintln!(
                "usage: soak config OUT PORT [STORE_URL] | run OUT SECONDS CONNS PID[,PID..] BASE[,BASE..] \
                 | push OUT BASE N CONNS FILE | redeem BASE FILE | failover OUT BASE1 BASE2 PID1 N"
            );
            std::process::exit(2);
        }
    }
}
