//! Sign-in limits over real HTTP (issue 16, finding 3): password attempts per interaction
//! are numbered atomically in the store, so parallel guesses cannot exceed five; failed
//! sign-ins per username (`[login]`) lock the name on every node, the same way for a name
//! no user has, until the lock ends or `writ user unlock` lifts it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

fn plain_query() -> String {
    let mut q = String::from("client_id=rp");
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    q
}

/// A new interaction and its JSON view.
async fn interaction(s: &Srv) -> (String, Value) {
    let loc = accepted(s, &authorize(s, &plain_query()).await);
    let view = interaction_json(s, &loc).await;
    (loc, view)
}

/// The login form of `view` posted by `http`, asking for JSON (or the HTML page).
async fn post_as(
    http: &reqwest::Client,
    view: &Value,
    username: &str,
    password: &str,
    json: bool,
) -> reqwest::Response {
    let accept = if json {
        "application/json"
    } else {
        "text/html"
    };
    http.post(view["endpoints"]["login"].as_str().unwrap())
        .header("accept", accept)
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
}

async fn post_login(s: &Srv, view: &Value, username: &str, password: &str) -> reqwest::Response {
    post_as(&s.http, view, username, password, true).await
}

/// A wrong password for alice posted at once on each of `views` (repeats allowed): the
/// statuses.
async fn guess_at_once(s: &Srv, views: Vec<Value>) -> Vec<StatusCode> {
    let tasks: Vec<_> = views
        .into_iter()
        .map(|view| {
            let http = s.http.clone();
            tokio::spawn(
                async move { post_as(&http, &view, "alice", "wrong", true).await.status() },
            )
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|st| **st == status).count()
}

const LOCK_AFTER_3: &str = "[login]\nmax_failures = 3\nfailure_window = \"5m\"\nlockout = \"5m\"\n";

#[tokio::test]
async fn concurrent_wrong_passwords_get_at_most_five_attempts_per_interaction() {
    let s = start("", "").await;
    let (loc, view) = interaction(&s).await;
    let statuses = guess_at_once(&s, vec![view.clone(); 12]).await;
    let checked = count(&statuses, StatusCode::UNAUTHORIZED);
    // Attempts 1 to 4 are checked and get "attempts left"; the fifth ends the interaction;
    // the other seven find it ended.
    assert_eq!(
        checked, 4,
        "{checked} wrong passwords got 'attempts left': {statuses:?}"
    );
    // The interaction is over: the right password no longer signs in.
    let r = post_login(&s, &view, "alice", "wonderland").await;
    assert_ne!(
        r.status(),
        StatusCode::OK,
        "signed in after 12 parallel guesses"
    );
    let page = s.http.get(&loc).send().await.unwrap();
    assert!(page.status().is_client_error(), "{}", page.status());
}

#[tokio::test]
async fn failed_sign_ins_lock_the_username_across_interactions_until_unlocked() {
    let s = start(LOCK_AFTER_3, "").await;
    for _ in 0..3 {
        let (_, view) = interaction(&s).await;
        let r = post_login(&s, &view, "alice", "wrong").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right password is refused, on a fresh interaction, without a check.
    let (_, view) = interaction(&s).await;
    let r = post_login(&s, &view, "alice", "wonderland").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((250..=300).contains(&retry), "retry-after {retry}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_locked");
    // The HTML form says so too.
    let html = post_as(&s.http, &view, "alice", "wonderland", false).await;
    assert_eq!(html.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        html.text()
            .await
            .unwrap()
            .contains("Too many failed sign-ins")
    );
    // Another username is not affected.
    let r = post_login(&s, &view, "bob", "x").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // `writ user unlock` (the same function) lifts the lock.
    assert!(s.provider.unlock_account("alice").await.unwrap());
    let (_, view) = interaction(&s).await;
    let r = post_login(&s, &view, "alice", "wonderland").await;
    assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
}

#[tokio::test]
async fn a_lock_does_not_reveal_whether_the_username_exists() {
    let s = start(LOCK_AFTER_3, "").await;
    let mut seen = Vec::new();
    for name in ["alice", "nobody-has-this-name"] {
        let mut statuses = Vec::new();
        for _ in 0..4 {
            let (_, view) = interaction(&s).await;
            let r = post_login(&s, &view, name, "wrong").await;
            let status = r.status();
            let body: Value = r.json().await.unwrap();
            statuses.push((status, body["error"].clone()));
        }
        seen.push(statuses);
    }
    assert_eq!(
        seen[0], seen[1],
        "an existing and a missing name answered differently"
    );
    assert_eq!(seen[0][3].0, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn concurrent_guesses_on_one_username_are_bounded_by_max_failures() {
    let s = start(LOCK_AFTER_3, "").await;
    let mut views = Vec::new();
    for _ in 0..10 {
        views.push(interaction(&s).await.1);
    }
    let statuses = guess_at_once(&s, views).await;
    let checked = count(&statuses, StatusCode::UNAUTHORIZED);
    let locked = count(&statuses, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!((checked, locked), (3, 7), "{statuses:?}");
}
