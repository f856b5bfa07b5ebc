//! Interop (issue 4, deliverable 11): request objects made by a JOSE library nobody on the team
//! wrote — panva's `jose` from npm, driven by `interop/node/ro.mjs` — sent by value to the
//! real server on 127.0.0.1:0: every signing algorithm, every encryption alg × enc pair, the
//! whole code flow for a few of them (ID token verified by the same library), and objects the
//! library makes wrong on purpose.
//!
//! Needs Node.js (≥ 18) on PATH: without it this test FAILS, it never skips. When
//! `interop/node/node_modules` is missing it runs `npm ci --prefix interop/node` first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// 72 bytes: long enough for HS512 (RFC 7518 §3.2: a key at least as long as the hash).
const SECRET: &str = "interop-shared-secret-for-HS512-and-derived-A256KW-dir-keys-0123456789ab";
const REDIRECT: &str = "http://127.0.0.1:9/cb";
const CLIENT: &str = "interop";
const TYP: &str = "oauth-authz-req+jwt";

/// Every alg Writ verifies; "Ed25519" is RFC 9864 §2.2's name for EdDSA with an Ed25519 key,
/// and its key carries `"alg":"Ed25519"` while the EdDSA key carries `"alg":"EdDSA"`.
const SIGNING_ALGS: [&str; 14] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
    "Ed25519", "HS256", "HS384", "HS512",
];
const ENCRYPTION_ALGS: [&str; 8] = [
    "RSA-OAEP",
    "RSA-OAEP-256",
    "ECDH-ES",
    "ECDH-ES+A128KW",
    "ECDH-ES+A256KW",
    "A128KW",
    "A256KW",
    "dir",
];
const ENCRYPTION_ENCS: [&str; 4] = ["A128GCM", "A256GCM", "A128CBC-HS256", "A256CBC-HS512"];

// ---------------------------------------------------------------------------------------------
// The npm side.

fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/node")
}

/// `npm ci` once per test run when the dependencies are not installed yet.
fn ensure_node_modules() {
    static READY: Mutex<bool> = Mutex::new(false);
    let mut ready = READY.lock().unwrap_or_else(|e| e.into_inner());
    if *ready {
        return;
    }
    let dir = node_dir();
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "`node --version` failed ({}): the interop test needs a working Node.js ≥ 18",
            o.status
        ),
        Err(e) => panic!(
            "Node.js is not installed (`node`: {e}). The interop test needs it and does not \
             skip: install Node.js ≥ 18 and npm (e.g. `apt-get install nodejs npm`), then \
             `npm ci --prefix interop/node`"
        ),
    }
    if !dir.join("node_modules/jose/package.json").exists() {
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

/// Runs `node interop/node/ro.mjs COMMAND` with `input` on stdin; its stdout is JSON.
fn node(command: &str, input: &Value) -> Value {
    ensure_node_modules();
    let mut child = Command::new("node")
        .arg(node_dir().join("ro.mjs"))
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start `node` ({e}): the interop test needs Node.js"));
    let mut stdin = child.stdin.take().unwrap();
    let body = input.to_string();
    // Write from another thread so a large output cannot deadlock against a full stdin pipe.
    let writer = std::thread::spawn(move || stdin.write_all(body.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "`node ro.mjs {command}` failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "`node ro.mjs {command}` printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// [`node`] off the runtime's threads (the server runs on them), its panic message kept.
async fn node_async(command: &'static str, input: Value) -> Value {
    blocking(move || node(command, &input)).await
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// The client's key pairs, made once by `jose.generateKeyPair` (kid = alg).
fn client_keys() -> &'static Value {
    static KEYS: OnceLock<Value> = OnceLock::new();
    KEYS.get_or_init(|| node("keys", &json!({})))
}

// ---------------------------------------------------------------------------------------------
// The server side.

struct Server {
    base: String,
    jwks: Value,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start() -> Server {
    let keys = blocking(client_keys).await;
    let public = keys["public"].to_string();
    assert!(
        !public.contains('\''),
        "a TOML literal string cannot hold '"
    );
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let hash = writ_core::users::hash_password("wonderland", &[1u8; 16]).unwrap();
    let algs = SIGNING_ALGS.map(|a| format!("\"{a}\"")).join(", ");
    let toml = format!(
        r#"
        issuer = "{base}"
        listen = "{addr}"
        [jar]
        signing_algs = [{algs}]
        [[clients]]
        client_id = "{CLIENT}"
        client_name = "npm jose"
        redirect_uris = ["{REDIRECT}"]
        secrets = [{{ type = "jwks", value = '{public}' }}, {{ type = "shared", value = "{SECRET}" }}]
        [[users]]
        username = "alice"
        password_hash = "{hash}"
        "#
    );
    let file = dir.path().join("writ.toml");
    std::fs::write(&file, toml).unwrap();
    let o = writ_server::config::Overrides {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let config = writ_server::config::load(Some(&file), &o).unwrap();
    let store = writ_store::open(&writ_server::config::store_url(&config).unwrap())
        .await
        .unwrap();
    let provider = writ_server::build_provider(&config, store).await.unwrap();
    tokio::spawn(writ_server::serve(provider, listener));
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let jwks = http
        .get(format!("{base}/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Server {
        base,
        jwks,
        http,
        _dir: dir,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A complete authorization request as request-object claims (`parameter_policy = strict`:
/// only these count). `label` makes `state`, `nonce` and `jti` unique to the case.
fn claims(s: &Server, label: &str) -> Value {
    let now = now();
    json!({
        "iss": CLIENT,
        "aud": s.base,
        "client_id": CLIENT,
        "response_type": "code",
        "scope": "openid profile",
        "redirect_uri": REDIRECT,
        "state": format!("st-{label}"),
        "nonce": format!("n-{label}"),
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": format!("jti-{label}"),
    })
}

/// Has `ro.mjs` make one request object per case.
async fn sign(s: &Server, cases: &[Value]) -> Vec<String> {
    let input = json!({
        "keys": client_keys()["private"],
        "server_jwks": s.jwks,
        "issuer": s.base,
        "client_id": CLIENT,
        "secret": SECRET,
        "cases": cases,
    });
    let out = node_async("sign", input).await;
    let objects: Vec<String> = out["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap().to_string())
        .collect();
    assert_eq!(objects.len(), cases.len());
    objects
}

fn location(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `GET /authorize?client_id=..&request=..` (plus `extra` query parameters).
async fn authorize(s: &Server, ro: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut q = vec![("client_id", CLIENT), ("request", ro)];
    q.extend_from_slice(extra);
    s.http
        .get(format!("{}/authorize", s.base))
        .query(&q)
        .send()
        .await
        .unwrap()
}

async fn interaction_json(s: &Server, loc: &str) -> Value {
    s.http
        .get(loc)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// What a case expects to see in the interaction JSON.
struct Expect {
    label: String,
    alg: &'static str,
    encryption: Option<(&'static str, &'static str)>,
}

fn signed_case(s: &Server, alg: &'static str) -> (Value, Expect) {
    let label = alg.to_string();
    (
        json!({ "alg": alg, "claims": claims(s, &label) }),
        Expect {
            label,
            alg,
            encryption: None,
        },
    )
}

/// The inner signature of an encrypted case: PS256 for RSA key transport, ES256 for ECDH,
/// HS256 for the secret-derived keys — one of each family.
fn inner_alg(enc_alg: &str) -> &'static str {
    if enc_alg.starts_with("RSA") {
        "PS256"
    } else if enc_alg.starts_with("ECDH") {
        "ES256"
    } else {
        "HS256"
    }
}

fn encrypted_case(s: &Server, enc_alg: &'static str, enc: &'static str) -> (Value, Expect) {
    let alg = inner_alg(enc_alg);
    let label = format!("{enc_alg}.{enc}");
    (
        json!({ "alg": alg, "enc_alg": enc_alg, "enc": enc, "claims": claims(s, &label) }),
        Expect {
            label,
            alg,
            encryption: Some((enc_alg, enc)),
        },
    )
}

/// Sends the object and checks the 303 to the interaction and what the interaction JSON says
/// about the object. Returns the interaction URL, or why the case failed.
async fn accepted(s: &Server, ro: &str, e: &Expect) -> Result<String, String> {
    let r = authorize(s, ro, &[]).await;
    let status = r.status();
    let loc = location(&r).unwrap_or_default();
    if status != StatusCode::SEE_OTHER || !loc.starts_with(&format!("{}/interaction/", s.base)) {
        let why = if loc.is_empty() {
            r.text().await.unwrap_or_default()
        } else {
            let q = query(&loc);
            format!(
                "{}: {}",
                q.get("error").cloned().unwrap_or_default(),
                q.get("error_description").cloned().unwrap_or_default()
            )
        };
        return Err(format!("{}: refused ({status}) — {why}", e.label));
    }
    let v = interaction_json(s, &loc).await;
    let ro_info = &v["request_object"];
    let mut wrong = Vec::new();
    let mut want = |what: &str, got: &Value, expected: Value| {
        if *got != expected {
            wrong.push(format!("{what} = {got}, expected {expected}"));
        }
    };
    want("transport", &v["transport"], json!("by_value"));
    want("header.alg", &ro_info["header"]["alg"], json!(e.alg));
    want("header.typ", &ro_info["header"]["typ"], json!(TYP));
    let hmac = e.alg.starts_with("HS");
    let (kid, source) = if hmac {
        (Value::Null, "shared")
    } else {
        (json!(e.alg), "jwks")
    };
    want("header.kid", &ro_info["header"]["kid"], kid.clone());
    want("signer.kid", &ro_info["signer"]["kid"], kid);
    want("signer.source", &ro_info["signer"]["source"], json!(source));
    match e.encryption {
        Some((alg, enc)) => {
            want("encryption.alg", &ro_info["encryption"]["alg"], json!(alg));
            want("encryption.enc", &ro_info["encryption"]["enc"], json!(enc));
        }
        None => want("encryption", &ro_info["encryption"], Value::Null),
    }
    let nonce = format!("n-{}", e.label);
    want(
        "request_object_values.nonce",
        &v["request_object_values"]["nonce"],
        json!(nonce),
    );
    want(
        "parameters.state",
        &v["parameters"]["state"],
        json!(format!("st-{}", e.label)),
    );
    let trusted: Vec<&str> = v["trusted"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for p in ["redirect_uri", "state", "nonce", "code_challenge", "scope"] {
        if !trusted.contains(&p) {
            wrong.push(format!("{p} not trusted: {trusted:?}"));
        }
    }
    if wrong.is_empty() {
        Ok(loc)
    } else {
        Err(format!("{}: {}", e.label, wrong.join("; ")))
    }
}

/// Runs every case and fails once, listing every case that failed.
async fn all_accepted(s: &Server, cases: Vec<(Value, Expect)>) {
    let (inputs, expects): (Vec<Value>, Vec<Expect>) = cases.into_iter().unzip();
    let objects = sign(s, &inputs).await;
    let mut failures = Vec::new();
    for (ro, e) in objects.iter().zip(&expects) {
        if let Err(why) = accepted(s, ro, e).await {
            failures.push(why);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} request objects made by npm jose were not accepted as expected:\n  {}",
        failures.len(),
        expects.len(),
        failures.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_signing_alg_from_npm_jose_reaches_the_interaction() {
    let s = start().await;
    let cases = SIGNING_ALGS.iter().map(|a| signed_case(&s, a)).collect();
    all_accepted(&s, cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_encryption_alg_and_enc_from_npm_jose_reaches_the_interaction() {
    let s = start().await;
    let mut cases = Vec::new();
    for enc_alg in ENCRYPTION_ALGS {
        for enc in ENCRYPTION_ENCS {
            cases.push(encrypted_case(&s, enc_alg, enc));
        }
    }
    assert_eq!(cases.len(), 32);
    all_accepted(&s, cases).await;
}

/// Login as alice, allow, redeem the code with PKCE, and verify the ID token with npm jose
/// against the server's /jwks; returns its claims.
async fn complete_flow(s: &Server, loc: &str, e: &Expect) -> Value {
    let view = interaction_json(s, loc).await;
    let r = s
        .http
        .post(view["endpoints"]["login"].as_str().unwrap())
        .form(&[
            ("username", "alice"),
            ("password", "wonderland"),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}: login", e.label);
    // The consent page tells the person how the request was protected; the algorithms are
    // behind its technical disclosure.
    let page = s.http.get(loc).send().await.unwrap().text().await.unwrap();
    let technical = &page[page.find("<details>").unwrap_or(0)..];
    assert!(
        page.contains("Signed with") && technical.contains(&format!("<code>{}</code>", e.alg)),
        "{}: consent page: {page}",
        e.label
    );
    if let Some((alg, enc)) = e.encryption {
        assert!(
            page.contains("Encrypted to this server.")
                && technical.contains(&format!("<code>{alg} &#x2f; {enc}</code>")),
            "{}: consent page: {page}",
            e.label
        );
    }
    let view = interaction_json(s, loc).await;
    let r = s
        .http
        .post(view["endpoints"]["consent"].as_str().unwrap())
        .form(&[
            ("decision", "allow"),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}: consent", e.label);
    let to = location(&r).unwrap();
    assert!(to.starts_with(REDIRECT), "{}: {to}", e.label);
    let q = query(&to);
    assert_eq!(q["state"], format!("st-{}", e.label), "state from the RO");
    assert_eq!(q["iss"], s.base);
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .basic_auth(CLIENT, Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}: token", e.label);
    let t: Value = r.json().await.unwrap();
    let verified = node_async(
        "verify",
        json!({
            "jwt": t["id_token"], "jwks": s.jwks, "issuer": s.base, "audience": CLIENT,
        }),
    )
    .await;
    verified["payload"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_and_encrypted_objects_complete_the_code_flow() {
    let s = start().await;
    let cases = vec![
        signed_case(&s, "EdDSA"),
        encrypted_case(&s, "RSA-OAEP-256", "A256GCM"),
        // dir with A256CBC-HS512: the 64-byte key is SHA-512 of the secret (OIDC Core §10.2).
        encrypted_case(&s, "dir", "A256CBC-HS512"),
    ];
    let (inputs, expects): (Vec<Value>, Vec<Expect>) = cases.into_iter().unzip();
    let objects = sign(&s, &inputs).await;
    for (ro, e) in objects.iter().zip(&expects) {
        let loc = accepted(&s, ro, e).await.unwrap();
        let id = complete_flow(&s, &loc, e).await;
        assert_eq!(id["nonce"], format!("n-{}", e.label), "{}: nonce", e.label);
        assert_eq!(id["aud"], CLIENT);
    }
}

/// Objects the library makes wrong on purpose: each is redirected to the registered
/// redirect_uri with `invalid_request_object` (SPEC §4.7), for the reason the case is about.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_made_wrong_by_npm_jose_are_refused() {
    struct Wrong {
        label: &'static str,
        case: Value,
        /// The signature verifies (the refusal comes later): `state` then comes from the RO.
        verified: bool,
        /// A fragment of the expected `error_description`.
        reason: &'static str,
    }
    let s = start().await;
    let now = now();
    let with = |label: &str, changes: Value| {
        let mut c = claims(&s, label);
        for (k, v) in changes.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let cases = [
        Wrong {
            label: "an ES256 key that is not registered, under a registered kid",
            case: json!({ "alg": "ES256", "key": "unregistered", "claims": claims(&s, "unregistered") }),
            verified: false,
            reason: "signature does not verify",
        },
        Wrong {
            label: "an RS256 key under a kid the client never registered",
            case: json!({ "alg": "RS256", "key": "unregistered", "kid": "not-registered", "claims": claims(&s, "unknown-kid") }),
            verified: false,
            reason: "no registered key of this client has kid 'not-registered'",
        },
        Wrong {
            label: "HS256 keyed with another secret",
            case: json!({ "alg": "HS256", "secret": format!("{SECRET}-but-not-this-one"), "claims": claims(&s, "hs-wrong") }),
            verified: false,
            reason: "signature does not verify",
        },
        Wrong {
            label: "expired",
            case: json!({ "alg": "ES256", "claims": with("expired", json!({ "iat": now - 900, "nbf": now - 900, "exp": now - 600 })) }),
            verified: true,
            reason: "expired",
        },
        Wrong {
            label: "lives longer than max_lifetime (60 min)",
            case: json!({ "alg": "EdDSA", "claims": with("long", json!({ "exp": now + 7200 })) }),
            verified: true,
            reason: "longer than the allowed 3600s",
        },
        Wrong {
            label: "aud is another server",
            case: json!({ "alg": "PS256", "claims": with("aud", json!({ "aud": "https://elsewhere.example" })) }),
            verified: true,
            reason: "aud",
        },
        Wrong {
            label: "client_id inside differs from the query's",
            case: json!({ "alg": "ES384", "claims": with("cid", json!({ "client_id": "someone-else" })) }),
            verified: true,
            reason: "client_id",
        },
        Wrong {
            label: "typ of an access token (at+jwt)",
            case: json!({ "alg": "ES256", "typ": "at+jwt", "claims": claims(&s, "typ") }),
            verified: false,
            reason: "typ",
        },
        Wrong {
            label: "an unsecured JWT (alg none) inside a JWE",
            case: json!({ "alg": "none", "unsigned": true, "enc_alg": "RSA-OAEP-256", "enc": "A128GCM", "claims": claims(&s, "none-in-jwe") }),
            verified: false,
            reason: "must be signed",
        },
        Wrong {
            label: "dir key derived from another secret",
            case: json!({ "alg": "ES256", "enc_alg": "dir", "enc": "A128GCM", "secret": "not-the-client-secret", "claims": claims(&s, "dir-wrong") }),
            verified: false,
            reason: "could not be decrypted",
        },
    ];
    let inputs: Vec<Value> = cases.iter().map(|w| w.case.clone()).collect();
    let objects = sign(&s, &inputs).await;
    let mut failures = Vec::new();
    for (w, ro) in cases.iter().zip(&objects) {
        let label = w.label;
        let r = authorize(
            &s,
            ro,
            &[("redirect_uri", REDIRECT), ("state", "query-state")],
        )
        .await;
        let status = r.status();
        let Some(loc) = location(&r).filter(|l| l.starts_with(REDIRECT)) else {
            failures.push(format!(
                "{label}: {status}, not redirected to the client: {:?}",
                location(&r)
            ));
            continue;
        };
        let q = query(&loc);
        let description = q.get("error_description").cloned().unwrap_or_default();
        if q.get("error").map(String::as_str) != Some("invalid_request_object")
            || !description.contains(w.reason)
            || q.get("iss") != Some(&s.base)
        {
            failures.push(format!(
                "{label}: expected invalid_request_object for \"{}\", got {q:?}",
                w.reason
            ));
            continue;
        }
        // `state` is the object's only once its signature verified, else the query's.
        let ro_state = w.case["claims"]["state"].as_str().unwrap();
        let want_state = if w.verified { ro_state } else { "query-state" };
        if q.get("state").map(String::as_str) != Some(want_state) {
            failures.push(format!(
                "{label}: state {:?}, expected {want_state:?} ({description})",
                q.get("state")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "refusals not as expected:\n  {}",
        failures.join("\n  ")
    );
}
