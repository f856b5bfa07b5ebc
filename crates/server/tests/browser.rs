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

    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&shots).unwrap();
    let out = tokio::task::spawn_blocking({
        let shots = shots.clone();
        move || {
            // A stuck browser ends at the deadline (coreutils `timeout`).
            Command::new("timeout")
                .arg("120")
                .arg("node")
                .arg(node::dir().join("browser.mjs"))
                .arg(&url)
                .arg(&shots)
                .output()
                .unwrap_or_else(|e| panic!("could not run node ({e}): this test needs Node.js"))
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "browser.mjs failed ({}); is Chromium installed (apt-get install chromium)?\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "browser.mjs printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });

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
