//! A person in a real browser (issue 15, deliverable 9): headless Chromium (Debian's
//! `chromium`, driven by npm's `playwright-core` from `interop/node/browser.mjs`) signs in,
//! reads a consent page that shows the `authorization_details` of a signed request object, and
//! allows; the response comes back by `form_post`, so the browser must run the page's one
//! script under its CSP and post the form to the client. This file plays the client: its
//! redirect URI is a listener on 127.0.0.1 that records what the browser posted, and it
//! redeems the code.
//!
//! Screenshots of the three pages are kept in `target/tmp/browser/` (CARGO_TARGET_TMPDIR).
//! Needs Node.js, npm and Chromium (`/usr/bin/chromium`, or `CHROMIUM`): without them this
//! test FAILS, it never skips; `.ci/run` installs them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::routing::post;
use common::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};

/// What the client's redirect URI received.
type Received = Arc<Mutex<Option<HashMap<String, String>>>>;

/// The client's redirect URI: `POST /cb` records the form and answers a page the browser
/// script waits for.
async fn client_callback() -> (String, Received) {
    let received: Received = Arc::new(Mutex::new(None));
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/cb",
        post(move |body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                let form: HashMap<String, String> =
                    url::form_urlencoded::parse(&body).into_owned().collect();
                *sink.lock().unwrap() = Some(form);
                axum::response::Html("<p id=\"received\">The application received the answer.</p>")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cb = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (cb, received)
}

/// The directory screenshots of `name` are kept in, under `target/tmp/`.
fn screenshots(name: &str) -> std::path::PathBuf {
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&shots).unwrap();
    shots
}

/// Run `interop/node/{script}` with `args` and return the JSON line it prints.
async fn run_script(script: &str, args: &[&str]) -> Value {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let script = script.to_string();
    let out = tokio::task::spawn_blocking(move || {
        // A stuck browser ends at the deadline (coreutils `timeout`).
        Command::new("timeout")
            .arg("120")
            .arg("node")
            .arg(node::dir().join(&script))
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("could not run node ({e}): this test needs Node.js"))
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "the browser script failed ({}); is Chromium installed (apt-get install chromium)?\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the browser script printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn payment() -> Value {
    json!({
        "type": "payment_initiation",
        "actions": ["initiate"],
        "instructedAmount": { "amount": "12.50", "currency": "EUR" },
        "creditorName": "Merchant A",
        "creditorAccount": { "iban": "DE02100100109307118603" }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_reads_the_signed_details_and_the_form_post_reaches_the_client() {
    node::ensure_installed("playwright-core");
    let (cb, received) = client_callback().await;
    let clients = format!(
        r#"
        [[clients]]
        client_id = "web"
        client_name = "Example Shop"
        redirect_uris = ["{cb}"]
        secrets = [{{ type = "jwks", value = '{jwks}' }}, {{ type = "shared", value = "{SECRET}" }}]
        "#,
        jwks = rp_jwks()
    );
    let s = start("[rar]\ntypes = [\"payment_initiation\"]\n", &clients).await;

    let mut c = claims(&s.base, "web");
    c.insert("redirect_uri".into(), json!(cb));
    c.insert("response_mode".into(), json!("form_post"));
    c.insert("state".into(), json!("browser-state"));
    c.insert("authorization_details".into(), json!([payment()]));
    let url = format!("{}/authorize?client_id=web&request={}", s.base, sign(&c));

    let shots = screenshots("browser");
    let seen = run_script("browser.mjs", &[&url, shots.to_str().unwrap()]).await;

    // The consent page, as the person saw it.
    let consent = seen["consent"].as_str().unwrap();
    for shown in [
        "Example Shop asks for access",
        "payment_initiation",
        "12.50 EUR",
        "Merchant A",
        "IBAN DE02100100109307118603",
        "as its signed request states",
    ] {
        assert!(
            consent.contains(shown),
            "{shown:?} not on the consent page:\n{consent}"
        );
    }
    // The form_post page ran its script under its CSP and posted to the client.
    assert_eq!(seen["final"], cb);
    assert_eq!(
        seen["console_errors"],
        json!([]),
        "no CSP violation or script error"
    );
    let form = received
        .lock()
        .unwrap()
        .clone()
        .expect("the client got the form_post");
    assert_eq!(form["state"], "browser-state");
    assert_eq!(form["iss"], s.base);
    let code = form["code"].clone();

    // And the code is good, with the approved details.
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .basic_auth("web", Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", cb.as_str()),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["authorization_details"], json!([payment()]));
    for shot in ["1-login.png", "2-consent.png", "3-callback.png"] {
        assert!(shots.join(shot).exists(), "{shot} was not kept");
    }
}

/// Issue 17, deliverable 5: every page a person can see, at a desktop and a phone width, in
/// Chromium: nothing wider than the screen, the username kept after a wrong password, the
/// language asked for, and no script error or CSP violation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_desktop_and_a_phone_screen() {
    node::ensure_installed("playwright-core");
    let clients = format!(
        r#"
        [[clients]]
        client_id = "web"
        client_name = "Example Bank Online Banking For Private And Business Customers"
        redirect_uris = ["{REDIRECT}"]
        secrets = [{{ type = "jwks", value = '{jwks}' }}, {{ type = "shared", value = "{SECRET}" }}]
        "#,
        jwks = rp_jwks()
    );
    let s = start("", &clients).await;
    let mut c = claims(&s.base, "web");
    c.insert(
        "scope".into(),
        json!("openid profile email address phone offline_access"),
    );
    let authorize = format!("{}/authorize?client_id=web&request={}", s.base, sign(&c));
    // An unknown client: the person cannot be sent back, so it is a page.
    let error = format!("{}/authorize?client_id=nobody&response_type=code", s.base);
    let logout = format!("{}/logout?client_id=web", s.base);
    let shots = screenshots("pages");
    let seen = run_script(
        "pages.mjs",
        &[&authorize, &error, &logout, shots.to_str().unwrap()],
    )
    .await;
    let pages = seen["pages"].as_array().unwrap();
    let names = [
        "login",
        "login-wrong-password",
        "consent",
        "error",
        "logout",
        "signed-out",
    ];
    assert_eq!(pages.len(), 2 * names.len(), "{seen}");
    for p in pages {
        let (page, width) = (p["page"].as_str().unwrap(), p["width"].as_str().unwrap());
        assert_eq!(
            p["overflow"], false,
            "{page} is wider than a {width} screen"
        );
        assert_eq!(p["lang"], "en", "{page}");
        assert!(shots.join(format!("{width}-{page}.png")).exists());
    }
    let at = |name: &str| pages.iter().find(|p| p["page"] == name).unwrap();
    assert_eq!(at("login-wrong-password")["kept_username"], "alice");
    assert!(
        at("consent")["text"]
            .as_str()
            .unwrap()
            .contains("Your postal address")
    );
    assert!(
        at("error")["text"]
            .as_str()
            .unwrap()
            .contains("Go back to the application")
    );
    assert!(
        at("signed-out")["text"]
            .as_str()
            .unwrap()
            .contains("You are signed out")
    );
    assert_eq!(
        seen["console_errors"],
        json!([]),
        "no CSP violation or script error"
    );
}
