//! Sealed interaction handles (`writ_core::interaction_handle`): `/authorize` carries the
//! pending interaction encrypted in its id and writes nothing; the row appears when the
//! interaction changes, and answering it leaves a tombstone that the handle cannot get past.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use writ_core::flows::interaction::Interaction;
use writ_core::interaction_handle::{self, HANDLE_TYP};
use writ_core::ports::KeyUse;

fn plain_query() -> String {
    let mut q = String::from("client_id=rp");
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    q
}

/// The id in `/interaction/{id}`.
fn handle_of(s: &Srv, loc: &str) -> String {
    loc.strip_prefix(&format!("{}/interaction/", s.base))
        .unwrap()
        .to_string()
}

/// The row id sealed in `handle`, opened with the server's own keys.
fn row_of(s: &Srv, handle: &str) -> String {
    let keys = s.provider.keys.current();
    interaction_handle::open::<Interaction>(keys.sealing_keys(), handle, now())
        .unwrap()
        .row_id
}

async fn row(s: &Srv, row_id: &str) -> Option<writ_core::ports::StoredInteraction> {
    s.provider
        .store
        .interaction_get(row_id, now())
        .await
        .unwrap()
}

async fn sign_in(s: &Srv, loc: &str, password: &str) -> reqwest::Response {
    let view = interaction_json(s, loc).await;
    post_login(s, &view, password).await
}

/// The consent form of `view` (the interaction's JSON), posted with `decision=allow`.
async fn allow(s: &Srv, view: &Value) -> reqwest::Response {
    s.http
        .post(view["endpoints"]["consent"].as_str().unwrap())
        .form(&[
            ("decision", "allow"),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
}

/// The login form of `view` (the interaction's JSON), posted with `password`.
async fn post_login(s: &Srv, view: &Value, password: &str) -> reqwest::Response {
    s.http
        .post(view["endpoints"]["login"].as_str().unwrap())
        .form(&[
            ("username", "alice"),
            ("password", password),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn authorize_writes_no_interaction_row_until_the_interaction_changes() {
    let s = start("", "").await;
    let loc = accepted(&s, &authorize(&s, &plain_query()).await);
    let handle = handle_of(&s, &loc);
    assert!(interaction_handle::is_handle(&handle), "{handle}");
    let row_id = row_of(&s, &handle);
    assert_eq!(row(&s, &row_id).await, None, "/authorize wrote a row");

    // Viewing it writes nothing either, and shows the request.
    let view = interaction_json(&s, &loc).await;
    assert_eq!(view["client"]["client_id"], "rp", "{view}");
    assert_eq!(row(&s, &row_id).await, None, "a page view wrote a row");

    // A failed sign-in changes it: now it is a row, and it counts.
    let r = sign_in(&s, &loc, "wrong").await;
    assert!(r.status().is_client_error(), "{}", r.status());
    let stored = row(&s, &row_id).await.expect("a row after a change");
    let i: Interaction = stored.payload.decode().unwrap();
    assert_eq!(i.failed_logins, 1);

    // And the flow completes from the handle, down to the code.
    let done = login_and_allow(&s, &loc).await;
    assert!(query(&done).contains_key("code"), "{done}");
}

#[tokio::test]
async fn an_answered_interaction_cannot_be_started_again_from_its_handle() {
    let s = start("", "").await;
    let loc = accepted(&s, &authorize(&s, &plain_query()).await);
    let view = interaction_json(&s, &loc).await;
    let done = login_and_allow(&s, &loc).await;
    assert!(query(&done).contains_key("code"), "{done}");

    let row_id = row_of(&s, &handle_of(&s, &loc));
    let tombstone = row(&s, &row_id).await.unwrap();
    assert!(tombstone.answered && tombstone.payload.is_empty());

    // The page, a new sign-in and a second consent all refuse it.
    let page = s.http.get(&loc).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.unwrap().contains("already answered"));
    let again = post_login(&s, &view, "wonderland").await;
    assert!(again.status().is_client_error(), "{}", again.status());
    let consent = allow(&s, &view).await;
    assert!(consent.status().is_client_error(), "{}", consent.status());
    assert!(row(&s, &row_id).await.unwrap().answered);
}

#[tokio::test]
async fn five_failed_sign_ins_end_a_sealed_interaction_for_good() {
    let s = start("", "").await;
    let loc = accepted(&s, &authorize(&s, &plain_query()).await);
    for _ in 0..4 {
        let r = sign_in(&s, &loc, "wrong").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{}", r.status());
    }
    let fifth = sign_in(&s, &loc, "wrong").await;
    assert_eq!(fifth.status(), StatusCode::SEE_OTHER);
    assert_eq!(query(&location(&fifth))["error"], "access_denied");
    let page = s.http.get(&loc).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.unwrap().contains("already answered"));
}

#[tokio::test]
async fn a_changed_handle_is_an_unknown_interaction() {
    let s = start("", "").await;
    let loc = accepted(&s, &authorize(&s, &plain_query()).await);
    let handle = handle_of(&s, &loc);
    // One character of the ciphertext, of the tag, and of the header.
    let parts: Vec<&str> = handle.split('.').collect();
    for (part, at) in [(3usize, 10usize), (4, 3), (0, 5)] {
        let mut p: Vec<String> = parts.iter().map(|x| x.to_string()).collect();
        let c = p[part].as_bytes()[at];
        let swapped = if c == b'A' { "B" } else { "A" };
        p[part].replace_range(at..at + 1, swapped);
        let changed = p.join(".");
        let r = s
            .http
            .get(format!("{}/interaction/{changed}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "part {part}");
        assert!(r.text().await.unwrap().contains("unknown or expired"));
    }
    // The original still works.
    assert_eq!(
        interaction_json(&s, &loc).await["client"]["client_id"],
        "rp"
    );
}

#[tokio::test]
async fn a_handle_is_a_jwe_that_names_its_key_and_type_and_hides_the_request() {
    let s = start("", "").await;
    let loc = accepted(&s, &authorize(&s, &plain_query()).await);
    let handle = handle_of(&s, &loc);
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            handle.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "dir");
    assert_eq!(header["enc"], "A256GCM");
    assert_eq!(header["typ"], HANDLE_TYP);
    let kid = header["kid"].as_str().unwrap();
    assert!(
        s.provider
            .keys
            .current()
            .sealing_keys()
            .iter()
            .any(|k| k.kid() == kid)
    );
    // Neither the state nor the nonce can be read off the URL.
    assert!(!handle.contains("pushed"));
    // The sealing key is not published.
    let jwks: Value = s
        .http
        .get(format!("{}/jwks", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .collect();
    assert!(!kids.contains(&kid), "{jwks}");
}

#[tokio::test]
async fn a_handle_sealed_before_a_key_rotation_still_opens_after_it() {
    let s = start("", "").await;
    let before = accepted(&s, &authorize(&s, &plain_query()).await);
    let store = s.provider.store.clone();
    writ_core::keys::rotate(
        store.as_ref(),
        KeyUse::Enc,
        &writ_core::key_encryption::KeyEncryption::none(),
        &writ_core::ports::SystemRng,
        now(),
    )
    .await
    .unwrap();
    s.provider.keys.reload().await.unwrap();
    let done = login_and_allow(&s, &before).await;
    assert!(query(&done).contains_key("code"), "{done}");
    // Right after the rotation the retiring key still seals (other nodes may not have loaded
    // the new one yet), and what it seals opens.
    let after = accepted(&s, &authorize(&s, &plain_query()).await);
    let done = login_and_allow(&s, &after).await;
    assert!(query(&done).contains_key("code"), "{done}");
}

#[tokio::test]
async fn a_request_too_large_to_seal_is_stored_at_authorize() {
    let s = start("", "").await;
    let mut c = claims(&s.base, "rp");
    c.insert("ui_locales".into(), json!("en ".repeat(2000).trim_end()));
    let q = format!("client_id=rp&request={}", sign(&c));
    let loc = accepted(&s, &authorize(&s, &q).await);
    let id = handle_of(&s, &loc);
    assert!(!interaction_handle::is_handle(&id), "{id:.80}");
    assert!(id.len() <= 64, "{id}");
    assert!(row(&s, &id).await.is_some(), "stored at /authorize");
    let done = login_and_allow(&s, &loc).await;
    assert!(query(&done).contains_key("code"), "{done}");
    assert!(row(&s, &id).await.unwrap().answered);
}

#[tokio::test]
async fn consent_is_refused_when_the_redirect_uri_was_unregistered_meanwhile() {
    let s = start("", "").await;
    let loc = accepted(&s, &authorize(&s, &plain_query()).await);
    let r = sign_in(&s, &loc, "wonderland").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let view = interaction_json(&s, &loc).await;
    let mut config = s
        .provider
        .clients
        .get("rp")
        .await
        .unwrap()
        .unwrap()
        .config
        .clone();
    config.redirect_uris = vec!["http://127.0.0.1:9/elsewhere".into()];
    s.provider.clients.put(config, now()).await.unwrap();
    let r = allow(&s, &view).await;
    // A page, never a redirect to a URI that is no longer the client's, and no code.
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("registration changed"));
}
