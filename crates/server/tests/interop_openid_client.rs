//! Interop (issue 5): pushed authorization requests (RFC 9126) and client-hosted `request_uri`
//! (RFC 9101 §5.2) driven by a client library nobody on the team wrote — panva's
//! `openid-client` from npm, run by `interop/node/rp.mjs` — against the real server on
//! 127.0.0.1:0 started from a config file.
//!
//! The library does what an integrator's relying party does: discovery, the pushed request
//! (plain parameters with client_secret_basic; its own signed request object with
//! private_key_jwt), a request object it signed hosted on Node's own `http` server for
//! `request_uri`, and the code grant with its own checks (state, `iss` (RFC 9207), PKCE, the
//! ID token, UserInfo), and DPoP (RFC 9449) on every step with the library's own proofs and
//! nonce retries. This file plays the browser: it follows the URL the library built
//! through login and consent as alice and hands the callback back to the library. It also
//! checks two refusals as the library sees them: a pushed `request_uri` used twice, and a PAR
//! with a wrong client secret. And the response side (SPEC §14, §15): a JARM response the
//! library verifies, signed introspection answers it verifies, and revocation.
//!
//! Needs Node.js (≥ 20) on PATH: without it this test FAILS, it never skips. When
//! `interop/node/node_modules` lacks openid-client it runs `npm ci --prefix interop/node` first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long one command of `rp.mjs` may take (discovery, a push, a code grant...).
const NODE_DEADLINE: Duration = Duration::from_secs(30);

/// Client ids, one per client authentication method the library uses.
const BASIC: &str = "oc-basic";
const POST: &str = "oc-post";
const SIGNER: &str = "oc-signer";
/// A public client that must use DPoP (RFC 9449 §5.2).
const SPA: &str = "oc-spa";
/// A resource server: it only introspects (SPEC §15).
const RS: &str = "oc-rs";

// ---------------------------------------------------------------------------------------------
// The npm side: one `node rp.mjs` per test, spoken to in JSON lines.

fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/node")
}

/// `npm ci` once per test run when openid-client is not installed yet.
fn ensure_node_modules() {
    static READY: Mutex<bool> = Mutex::new(false);
    let mut ready = READY.lock().unwrap_or_else(|e| e.into_inner());
    if *ready {
        return;
    }
    let dir = node_dir();
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {
            // "v20.19.0": openid-client v6 needs Node.js 20 or newer.
            let version = String::from_utf8_lossy(&o.stdout).trim().to_string();
            let major: u32 = version
                .trim_start_matches('v')
                .split('.')
                .next()
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            assert!(
                major >= 20,
                "Node.js {version} is too old: openid-client v6 needs Node.js ≥ 20"
            );
        }
        Ok(o) => panic!(
            "`node --version` failed ({}): the interop test needs a working Node.js ≥ 20",
            o.status
        ),
        Err(e) => panic!(
            "Node.js is not installed (`node`: {e}). The interop test needs it and does not \
             skip: install Node.js ≥ 20 and npm (e.g. `apt-get install nodejs npm`), then \
             `npm ci --prefix interop/node`"
        ),
    }
    if !dir.join("node_modules/openid-client/package.json").exists() {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "interop/node/node_modules is missing and `npm` could not be run ({e}): \
                     install npm, then `npm ci --prefix interop/node`"
                )
            });
        assert!(
            out.status.success(),
            "`npm ci --prefix interop/node` failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    *ready = true;
}

/// A running `node rp.mjs`: commands in on stdin, answers out on stdout (one JSON per line).
struct Rp(Arc<RpProcess>);

struct RpProcess {
    child: Mutex<Child>,
    stdin: Mutex<ChildStdin>,
    answers: Mutex<Receiver<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Drop for RpProcess {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl RpProcess {
    fn spawn() -> RpProcess {
        ensure_node_modules();
        let mut child = Command::new("node")
            .arg(node_dir().join("rp.mjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("could not start `node` ({e}): the interop test needs Node.js")
            });
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        // Readers on their own threads, so that a silent or stuck Node ends at a deadline.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let err_text = Arc::new(Mutex::new(String::new()));
        let sink = err_text.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut stderr, &mut buf) {
                if n == 0 {
                    return;
                }
                sink.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        RpProcess {
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            answers: Mutex::new(rx),
            stderr: err_text,
        }
    }

    fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// One command, its answer: `Ok` with what it returned, `Err` with what the library threw.
    fn call(&self, command: &Value) -> Result<Value, Value> {
        let answers = self.answers.lock().unwrap();
        writeln!(self.stdin.lock().unwrap(), "{command}")
            .unwrap_or_else(|e| panic!("rp.mjs is gone ({e}); its stderr:\n{}", self.stderr()));
        let line = match answers.recv_timeout(NODE_DEADLINE) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!(
                "rp.mjs did not answer {command} within {NODE_DEADLINE:?}; its stderr:\n{}",
                self.stderr()
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "rp.mjs exited before answering {command}; its stderr:\n{}",
                self.stderr()
            ),
        };
        let mut v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("rp.mjs answered no JSON ({e}): {line}"));
        if let Some(ok) = v.get_mut("ok") {
            return Ok(ok.take());
        }
        match v.get_mut("err") {
            Some(err) => Err(err.take()),
            None => panic!("rp.mjs answered neither ok nor err: {line}"),
        }
    }
}

impl Rp {
    fn start() -> Rp {
        Rp(Arc::new(RpProcess::spawn()))
    }

    /// Off the runtime's threads: the server the library talks to runs on them.
    async fn call(&self, command: Value) -> Result<Value, Value> {
        let p = self.0.clone();
        tokio::task::spawn_blocking(move || p.call(&command))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }

    /// A command that must succeed.
    async fn ok(&self, command: Value) -> Value {
        let what = command["cmd"].clone();
        self.call(command)
            .await
            .unwrap_or_else(|e| panic!("openid-client failed at {what}: {e:#}"))
    }

    /// A command that must fail; returns what the library threw.
    async fn err(&self, command: Value) -> Value {
        let what = command["cmd"].clone();
        match self.call(command).await {
            Ok(v) => panic!("openid-client was expected to fail at {what}, got {v:#}"),
            Err(e) => e,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server: `common::start` with a config file naming the library's clients.

struct Setup {
    s: Srv,
    rp: Rp,
    /// The library's request-object host (Node `http`), `http://127.0.0.1:PORT`.
    ro_base: String,
}

/// Node first (its public keys and its object host go into the config file), then the server:
/// client-hosted request_uri on, loopback http allowed for this test only, and the strict
/// request-object knobs the library's objects must meet.
async fn setup() -> Setup {
    setup_with("").await
}

/// [`setup`] with `jar_extra` (TOML lines) added to `[jar]`.
async fn setup_with(jar_extra: &str) -> Setup {
    setup_full(jar_extra, "").await
}

/// [`setup_with`], and `signer_extra` (TOML lines) added to the private_key_jwt client.
async fn setup_full(jar_extra: &str, signer_extra: &str) -> Setup {
    let rp = Rp::start();
    let public = rp.ok(json!({ "cmd": "keys" })).await["public"].to_string();
    assert!(
        !public.contains('\''),
        "a TOML literal string cannot hold '"
    );
    let ro_base = rp.ok(json!({ "cmd": "serve" })).await["base"]
        .as_str()
        .unwrap()
        .to_string();
    let sections = format!(
        "[jar]\nrequest_uri_parameter = true\nstrict_typ = true\nrequire_aud = true\n\
         replay = \"require-jti\"\n{jar_extra}\n[jar.request_uri]\nallow_http = true\n\
         allow_private_addresses = true\ntimeout = \"5s\"\n"
    );
    let clients = format!(
        r#"
        [[clients]]
        client_id = "{BASIC}"
        client_name = "openid-client (client_secret_basic)"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "client_secret_basic"
        secrets = [{{ type = "shared", value = "{SECRET}" }}]
        [[clients]]
        client_id = "{POST}"
        client_name = "openid-client (client_secret_post)"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "client_secret_post"
        secrets = [{{ type = "shared", value = "{SECRET}" }}]
        [[clients]]
        client_id = "{SIGNER}"
        client_name = "openid-client (private_key_jwt)"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "private_key_jwt"
        secrets = [{{ type = "jwks", value = '{public}' }}]
        request_uris = ["{ro_base}/ro/*"]
        {signer_extra}
        [[clients]]
        client_id = "{SPA}"
        client_name = "openid-client (public, DPoP)"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "none"
        dpop_bound_access_tokens = true
        [[clients]]
        client_id = "{RS}"
        client_name = "openid-client (resource server)"
        grant_types = []
        token_endpoint_auth_method = "client_secret_basic"
        secrets = [{{ type = "shared", value = "{SECRET}" }}]
        "#
    );
    let s = start(&sections, &clients).await;
    Setup { s, rp, ro_base }
}

/// `discover` as `client_id` under the name `client_id`, with `auth` (and `secret`).
async fn discover(t: &Setup, client_id: &str, auth: &str, secret: Option<&str>) -> Value {
    t.rp.ok(json!({
        "cmd": "discover", "name": client_id, "issuer": t.s.base, "client_id": client_id,
        "auth": auth, "secret": secret,
    }))
    .await
}

/// The library builds an authorization request (`mode` as in rp.mjs).
async fn build(t: &Setup, client_id: &str, mode: &str) -> Value {
    t.rp.ok(json!({
        "cmd": "authorize", "client": client_id, "mode": mode,
        "redirect_uri": REDIRECT, "scope": "openid profile",
    }))
    .await
}

/// The browser: follows the library's URL to the interaction; returns its URL and JSON view.
async fn follow(t: &Setup, url: &str) -> (String, Value) {
    assert!(
        url.starts_with(&format!("{}/authorize?", t.s.base)),
        "{url}"
    );
    let r = t.s.http.get(url).send().await.unwrap();
    if r.status() != reqwest::StatusCode::SEE_OTHER
        || !location(&r).starts_with(&format!("{}/interaction/", t.s.base))
    {
        let (error, description) = authorize_error(r).await;
        panic!("the library's authorization URL was refused: {error}: {description}\n{url}");
    }
    let loc = location(&r);
    let view = interaction_json(&t.s, &loc).await;
    (loc, view)
}

/// Login as alice, allow, and hand the callback to the library; returns what it redeemed.
async fn complete(t: &Setup, built: &Value, loc: &str) -> Value {
    let back = login_and_allow(&t.s, loc).await;
    assert!(back.starts_with(REDIRECT), "{back}");
    let q = query(&back);
    assert_eq!(
        q.get("state"),
        built["state"].as_str().map(String::from).as_ref()
    );
    let got =
        t.rp.ok(json!({ "cmd": "redeem", "flow": built["flow"], "callback": back }))
            .await;
    // The library checked the ID token (iss, aud, exp, iat, nonce, alg) and UserInfo's sub;
    // jose checked its signature against the server's jwks_uri.
    assert!(got["id_token_header"]["kid"].is_string(), "{got:#}");
    assert_eq!(got["claims"]["iss"], t.s.base);
    assert_eq!(got["claims"]["nonce"], built["nonce"]);
    // A DPoP flow's tokens are DPoP-bound (RFC 9449 §5); the library compares case-blind.
    let expected = if built["dpop_jkt"].is_string() {
        "dpop"
    } else {
        "bearer"
    };
    assert_eq!(
        got["token_type"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some(expected)
    );
    assert_eq!(got["userinfo"]["sub"], got["claims"]["sub"]);
    got
}

/// `transport` and the request object's header as the interaction reports them.
fn assert_transport(view: &Value, transport: &str, ro_alg: Option<&str>) {
    assert_eq!(view["transport"], transport, "{view:#}");
    match ro_alg {
        Some(alg) => {
            assert_eq!(view["request_object_header"]["alg"], alg, "{view:#}");
            assert_eq!(
                view["request_object_header"]["kid"], "jar-ps256",
                "{view:#}"
            );
            assert_eq!(
                view["request_object_header"]["typ"], "oauth-authz-req+jwt",
                "{view:#}"
            );
            let trusted: Vec<&str> = view["trusted"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for p in ["redirect_uri", "state", "nonce", "code_challenge", "scope"] {
                assert!(trusted.contains(&p), "{p} not trusted: {trusted:?}");
            }
        }
        None => assert!(view["request_object_header"].is_null(), "{view:#}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_discovers_the_par_endpoint() {
    let t = setup().await;
    let m = discover(&t, BASIC, "client_secret_basic", Some(SECRET)).await;
    assert_eq!(m["issuer"], t.s.base);
    assert_eq!(
        m["pushed_authorization_request_endpoint"],
        format!("{}/par", t.s.base)
    );
    assert_eq!(m["supports_pkce"], true);
}

/// RFC 9126 §2.1 with plain parameters, client_secret_basic (RFC 6749 §2.3.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_pushes_plain_parameters_with_client_secret_basic_and_redeems_the_code() {
    let t = setup().await;
    discover(&t, BASIC, "client_secret_basic", Some(SECRET)).await;
    let built = build(&t, BASIC, "par").await;
    let (loc, view) = follow(&t, built["url"].as_str().unwrap()).await;
    assert_transport(&view, "pushed", None);
    assert_eq!(view["parameters"]["nonce"], built["nonce"]);
    let got = complete(&t, &built, &loc).await;
    assert_eq!(got["claims"]["aud"], BASIC);
}

/// RFC 9126 §3: a request object made by the library (RFC 9101 §4), pushed with
/// private_key_jwt (RFC 7523 §2.2; the library's assertion names the issuer as `aud`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_pushes_its_signed_request_object_with_private_key_jwt_and_redeems_the_code()
{
    let t = setup().await;
    discover(&t, SIGNER, "private_key_jwt", None).await;
    let built = build(&t, SIGNER, "jar+par").await;
    let (loc, view) = follow(&t, built["url"].as_str().unwrap()).await;
    assert_transport(&view, "pushed", Some("PS256"));
    assert_eq!(view["request_object_values"]["nonce"], built["nonce"]);
    assert_eq!(view["request_object_values"]["iss"], SIGNER);
    assert_eq!(view["request_object_values"]["aud"], t.s.base);
    let got = complete(&t, &built, &loc).await;
    assert_eq!(got["claims"]["aud"], SIGNER);
}

/// RFC 9101 §5.2: the library's signed object, hosted by the client on Node's `http`, sent by
/// reference (`client_id` and `request_uri` only) and fetched by the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_object_signed_by_openid_client_and_hosted_on_node_http_completes_the_flow() {
    let t = setup().await;
    discover(&t, SIGNER, "private_key_jwt", None).await;
    let built = build(&t, SIGNER, "jar-by-reference").await;
    let uri = built["request_uri"].as_str().unwrap();
    assert!(uri.starts_with(&format!("{}/ro/", t.ro_base)), "{uri}");
    let (loc, view) = follow(&t, built["url"].as_str().unwrap()).await;
    assert_transport(&view, "by_reference", Some("PS256"));
    assert_eq!(view["request_object_values"]["nonce"], built["nonce"]);
    // Fetched once, asking for the JAR media type (RFC 9101 §5.2.3, SPEC §5).
    let path = uri.trim_start_matches(&t.ro_base);
    let hits = t.rp.ok(json!({ "cmd": "hits", "path": path })).await;
    assert_eq!(hits["hits"], 1, "{hits}");
    let accept = hits["accept"].as_str().unwrap_or_default();
    assert!(
        accept.contains("application/oauth-authz-req+jwt"),
        "{accept}"
    );
    let got = complete(&t, &built, &loc).await;
    assert_eq!(got["claims"]["aud"], SIGNER);
}

/// RFC 9126 §4 (the request_uri is one-time) and RFC 6749 §4.1.2 (so is the code): the URL the
/// library built works once. The second visit is redirected to the client's only registered
/// redirect_uri with invalid_request_uri and `iss` but no `state` (it was inside the used
/// request), which the library, checking state, refuses as such; told to skip that check it
/// surfaces invalid_request_uri. The callback redeemed again is refused with invalid_grant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pushed_request_uri_from_openid_client_is_refused_the_second_time() {
    let t = setup().await;
    discover(&t, BASIC, "client_secret_basic", Some(SECRET)).await;
    let built = build(&t, BASIC, "par").await;
    let url = built["url"].as_str().unwrap();
    let (loc, _) = follow(&t, url).await;
    let back = login_and_allow(&t.s, &loc).await;
    let redeem = |callback: &str, state_check: &str| {
        json!({
            "cmd": "redeem", "flow": built["flow"], "callback": callback,
            "state_check": state_check,
        })
    };
    t.rp.ok(redeem(&back, "expected")).await;

    // The browser again, with the same URL: the pushed request is gone.
    let r = t.s.http.get(url).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let again = location(&r);
    assert!(again.starts_with(REDIRECT), "{again}");
    let q = query(&again);
    assert_eq!(q["error"], "invalid_request_uri", "{again}");
    assert!(q["error_description"].contains("already used"), "{again}");
    assert_eq!(q["iss"], t.s.base);
    assert!(!q.contains_key("state"), "{again}");
    let e = t.rp.err(redeem(&again, "expected")).await;
    assert_eq!(e["code"], "OAUTH_INVALID_RESPONSE", "{e:#}");
    assert!(
        e["cause"]
            .as_str()
            .unwrap_or_default()
            .contains("\"state\" missing"),
        "{e:#}"
    );
    let e = t.rp.err(redeem(&again, "skip")).await;
    assert_eq!(e["name"], "AuthorizationResponseError", "{e:#}");
    assert_eq!(e["error"], "invalid_request_uri", "{e:#}");

    // The library again, with the callback it already redeemed.
    let e = t.rp.err(redeem(&back, "expected")).await;
    assert_eq!(e["name"], "ResponseBodyError", "{e:#}");
    assert_eq!(e["error"], "invalid_grant", "{e:#}");
}

/// RFC 9126 §2 / RFC 6749 §5.2: a PAR with a wrong secret is refused with invalid_client,
/// for client_secret_basic (401 and a Basic challenge, which the library surfaces as such)
/// and for client_secret_post.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_par_with_a_wrong_client_secret_surfaces_invalid_client_in_openid_client() {
    let t = setup().await;
    discover(&t, BASIC, "client_secret_basic", Some("not-the-secret")).await;
    let e =
        t.rp.err(json!({
            "cmd": "authorize", "client": BASIC, "mode": "par", "redirect_uri": REDIRECT,
        }))
        .await;
    // openid-client reads the WWW-Authenticate challenge before the body; the body still
    // says invalid_client.
    assert_eq!(e["name"], "WWWAuthenticateChallengeError", "{e:#}");
    assert_eq!(e["status"], 401, "{e:#}");
    assert_eq!(e["challenges"][0]["scheme"], "basic", "{e:#}");
    assert_eq!(e["body"]["error"], "invalid_client", "{e:#}");

    discover(&t, POST, "client_secret_post", Some("not-the-secret")).await;
    let e =
        t.rp.err(json!({
            "cmd": "authorize", "client": POST, "mode": "par", "redirect_uri": REDIRECT,
        }))
        .await;
    assert_eq!(e["name"], "ResponseBodyError", "{e:#}");
    assert_eq!(e["error"], "invalid_client", "{e:#}");
    assert_eq!(e["status"], 401, "{e:#}");

    // The right secret still works: nothing was locked out by the failures.
    discover(&t, POST, "client_secret_post", Some(SECRET)).await;
    let built = build(&t, POST, "par").await;
    follow(&t, built["url"].as_str().unwrap()).await;
}

/// FAPI 2.0 Message Signing (SPEC §2 `profile`): plain parameters at PAR are refused, and the
/// library's own request object (PS256, `aud`, `exp` 60 s after `nbf`) pushed with
/// private_key_jwt (ES256) completes the flow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_meets_the_fapi2_message_signing_profile_with_its_request_object_at_par() {
    // The profile on the library's private_key_jwt client (server-wide it would refuse the
    // shared-secret clients beside it): PAR, a signed request object, DPoP.
    let t = setup_full("", "profile = \"fapi2-message-signing\"").await;
    discover(&t, SIGNER, "private_key_jwt", None).await;
    let e =
        t.rp.err(json!({
            "cmd": "authorize", "client": SIGNER, "mode": "par", "redirect_uri": REDIRECT,
        }))
        .await;
    assert_eq!(e["name"], "ResponseBodyError", "{e:#}");
    assert_eq!(e["error"], "invalid_request", "{e:#}");
    assert_eq!(e["status"], 400, "{e:#}");
    let built = build_dpop(&t, SIGNER, "jar+par").await;
    let (loc, view) = follow(&t, built["url"].as_str().unwrap()).await;
    assert_transport(&view, "pushed", Some("PS256"));
    complete(&t, &built, &loc).await;
}

// openid-client (through oauth4webapi 3.8) signs with an Ed25519 key under the JWS alg name
// "Ed25519", the fully-specified name of RFC 9864 §2.2, and not "EdDSA". Its JWK carries no
// `alg`, so it is usable under either name (a JWK marked "EdDSA" would not be: RFC 9864 §7).

/// RFC 9864 §2.2: a request object signed by the library with an Ed25519 key (`alg` "Ed25519").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_request_object_signed_with_an_ed25519_key_is_accepted() {
    let t = setup().await;
    discover(&t, SIGNER, "private_key_jwt", None).await;
    let built =
        t.rp.ok(json!({
            "cmd": "authorize", "client": SIGNER, "mode": "jar+par", "redirect_uri": REDIRECT,
            "scope": "openid", "jar_key": "ed25519",
        }))
        .await;
    let (loc, view) = follow(&t, built["url"].as_str().unwrap()).await;
    assert_eq!(view["transport"], "pushed", "{view:#}");
    assert_eq!(view["request_object_header"]["alg"], "Ed25519", "{view:#}");
    assert_eq!(view["request_object_header"]["kid"], "ed25519", "{view:#}");
    complete(&t, &built, &loc).await;
}

/// RFC 9864 §2.2: private_key_jwt with an Ed25519 key (`alg` "Ed25519").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_private_key_jwt_with_an_ed25519_key_is_accepted() {
    let t = setup().await;
    t.rp.ok(json!({
        "cmd": "discover", "name": SIGNER, "issuer": t.s.base, "client_id": SIGNER,
        "auth": "private_key_jwt", "auth_key": "ed25519",
    }))
    .await;
    let built = build(&t, SIGNER, "par").await;
    let (loc, _) = follow(&t, built["url"].as_str().unwrap()).await;
    complete(&t, &built, &loc).await;
}

// ---------------------------------------------------------------------------------------------
// DPoP (RFC 9449), as the library does it: a proof on every request of the flow, the code
// bound at /par, UserInfo under the DPoP scheme, nonces retried by the library itself.

/// The library builds a DPoP flow (`mode` as in rp.mjs).
async fn build_dpop(t: &Setup, client_id: &str, mode: &str) -> Value {
    t.rp.ok(json!({
        "cmd": "authorize", "client": client_id, "mode": mode,
        "redirect_uri": REDIRECT, "scope": "openid profile", "dpop": true,
    }))
    .await
}

/// The library refreshes the flow with its DPoP key, and gets a DPoP-bound token.
async fn refresh_is_dpop(t: &Setup, built: &Value) {
    let r =
        t.rp.ok(json!({ "cmd": "refresh", "flow": built["flow"] }))
            .await;
    let token_type = r["token_type"].as_str().map(str::to_ascii_lowercase);
    assert_eq!(token_type.as_deref(), Some("dpop"), "{r:#}");
    assert_eq!(r["has_refresh_token"], true);
}

/// RFC 9449 §10.1, §5, §7 with a public client: the proof at /par binds the code; the token,
/// UserInfo and the refresh all go with proofs of the one key; the library checks the
/// responses (token_type DPoP, the ID token, UserInfo's sub).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_public_client_runs_par_token_userinfo_and_refresh_with_dpop() {
    let t = setup().await;
    discover(&t, SPA, "none", None).await;
    let built = build_dpop(&t, SPA, "par").await;
    let (loc, view) = follow(&t, built["url"].as_str().unwrap()).await;
    assert_eq!(view["dpop_jkt"], built["dpop_jkt"], "{view:#}");
    complete(&t, &built, &loc).await;
    refresh_is_dpop(&t, &built).await;
    // The refresh token is bound: a thief's key is refused.
    let e =
        t.rp.err(json!({ "cmd": "refresh", "flow": built["flow"], "dpop_key": "other" }))
            .await;
    assert_eq!(e["error"], "invalid_dpop_proof", "{e:#}");
}

/// FAPI 2.0's shape: private_key_jwt, a signed request object pushed with a proof, DPoP at
/// every step, and server nonces (RFC 9449 §8) that the library learns and retries with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_private_key_jwt_with_dpop_follows_server_nonces() {
    let t = setup_with("\n[dpop]\nnonce = \"required\"\n").await;
    discover(&t, SIGNER, "private_key_jwt", None).await;
    let built = build_dpop(&t, SIGNER, "jar+par").await;
    let (loc, view) = follow(&t, built["url"].as_str().unwrap()).await;
    assert_eq!(view["dpop_jkt"], built["dpop_jkt"], "{view:#}");
    complete(&t, &built, &loc).await;
    refresh_is_dpop(&t, &built).await;
    // The library was asked for a nonce and came back with it.
    assert!(has_metric(&t.s, "writ_dpop_proofs_total", &["reason=\"nonce\""]).await);
}

/// RFC 9449 §10.1: a code bound at /par is not redeemed with another key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_bound_by_openid_clients_dpop_proof_is_refused_with_another_key() {
    let t = setup().await;
    discover(&t, SPA, "none", None).await;
    let built = build_dpop(&t, SPA, "par").await;
    let (loc, _) = follow(&t, built["url"].as_str().unwrap()).await;
    let back = login_and_allow(&t.s, &loc).await;
    let e =
        t.rp.err(json!({
            "cmd": "redeem", "flow": built["flow"], "callback": back, "dpop_key": "other",
        }))
        .await;
    assert_eq!(e["error"], "invalid_dpop_proof", "{e:#}");
}

/// JARM (SPEC §14), introspection (RFC 7662, RFC 9701) and revocation (RFC 7009) as the
/// library does them: it pushes a request for `response_mode=jwt`, verifies the JARM response
/// it gets back (signature against the jwks_uri, `iss`, `aud`, `exp`) and redeems its code; a
/// resource server asks for signed introspection answers and the library verifies them; the
/// client revokes its refresh token, and the access token of that grant goes inactive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_verifies_a_jarm_response_then_introspects_and_revokes_its_tokens() {
    let t = setup().await;
    t.rp.ok(json!({
        "cmd": "discover", "name": "jarm", "issuer": t.s.base, "client_id": BASIC,
        "auth": "client_secret_basic", "secret": SECRET, "jarm": true,
    }))
    .await;
    let built =
        t.rp.ok(json!({
            "cmd": "authorize", "client": "jarm", "mode": "par", "redirect_uri": REDIRECT,
            "scope": "openid profile", "response_mode": "jwt",
        }))
        .await;
    let (loc, view) = follow(&t, built["url"].as_str().unwrap()).await;
    assert_eq!(view["parameters"]["response_mode"], "jwt", "{view:#}");
    let back = login_and_allow(&t.s, &loc).await;
    let q = query(&back);
    assert!(
        q.contains_key("response") && !q.contains_key("code"),
        "{back}"
    );
    let got =
        t.rp.ok(json!({ "cmd": "redeem", "flow": built["flow"], "callback": back }))
            .await;
    assert_eq!(got["claims"]["aud"], BASIC);

    t.rp.ok(json!({
        "cmd": "discover", "name": "rs", "issuer": t.s.base, "client_id": RS,
        "auth": "client_secret_basic", "secret": SECRET,
        "metadata": { "introspection_signed_response_alg": "RS256" },
    }))
    .await;
    let introspect = |client: &str, which: &str| json!({ "cmd": "introspect", "client": client, "flow": built["flow"], "which": which });
    let v = t.rp.ok(introspect("rs", "access")).await;
    assert_eq!(v["active"], true, "{v:#}");
    assert_eq!(v["client_id"], BASIC, "{v:#}");
    assert_eq!(v["iss"], t.s.base, "{v:#}");
    let v = t.rp.ok(introspect("jarm", "refresh")).await;
    assert_eq!(v["active"], true, "{v:#}");

    t.rp.ok(
        json!({ "cmd": "revoke", "client": "jarm", "flow": built["flow"], "which": "refresh" }),
    )
    .await;
    let v = t.rp.ok(introspect("rs", "access")).await;
    assert_eq!(v["active"], false, "{v:#}");
    let v = t.rp.ok(introspect("jarm", "refresh")).await;
    assert_eq!(v["active"], false, "{v:#}");
}
