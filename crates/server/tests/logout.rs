//! OpenID Connect RP-Initiated Logout 1.0 (issue 17, deliverable 7): `end_session_endpoint`,
//! `id_token_hint`, registered `post_logout_redirect_uris`, `state`, and the person asked
//! first unless the hint names the signed-in user.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

const LO_SECRET: &str = "logout-client-secret-long-enough-0123456789abcdef";
const AFTER: &str = "http://127.0.0.1:9/after-logout";

async fn server() -> Srv {
    let lo = format!(
        r#"
        [[clients]]
        client_id = "lo"
        client_name = "Logout Test App"
        redirect_uris = ["{REDIRECT}"]
        post_logout_redirect_uris = ["{AFTER}"]
        secrets = [{{ type = "shared", value = "{LO_SECRET}" }}]
        "#
    );
    start("", &lo).await
}

/// Sign alice in for `lo` and return its ID token.
async fn signed_in(s: &Srv) -> String {
    let code = code_for(s, "lo").await;
    let t = redeem_as(s, "lo", LO_SECRET, &code).await;
    t["id_token"].as_str().unwrap().to_string()
}

async fn logout(s: &Srv, params: &[(&str, &str)]) -> reqwest::Response {
    s.http
        .get(format!("{}/logout", s.base))
        .query(params)
        .send()
        .await
        .unwrap()
}

/// Whether the browser still has a session here: a sign-out request without a hint asks
/// for confirmation only when there is one.
async fn has_session(s: &Srv) -> bool {
    let r = logout(s, &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    page.contains("Sign out?")
}

/// The value of the hidden field `name` in `page`, as a browser would submit it (the page
/// escapes `/`, `&`, quotes and angle brackets).
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).expect(name) + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end]
        .replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn a_hint_naming_the_signed_in_user_ends_the_session_and_redirects_with_state() {
    let s = server().await;
    let id_token = signed_in(&s).await;
    assert!(has_session(&s).await);
    let r = logout(
        &s,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", AFTER),
            ("state", "st&ate 1"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{AFTER}?state=st%26ate+1"));
    let cleared = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().contains("Max-Age=0"));
    assert!(cleared);
    assert!(!has_session(&s).await);
}

#[tokio::test]
async fn a_hint_from_an_earlier_sign_in_of_the_same_person_does_not_end_the_session_unasked() {
    let s = server().await;
    let old = signed_in(&s).await;
    let r = logout(&s, &[("id_token_hint", &old)]).await;
    assert!(r.text().await.unwrap().contains("You are signed out"));
    // A later sign-in (auth_time one second on at least): the old token is not of it.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    signed_in(&s).await;
    let r = logout(
        &s,
        &[("id_token_hint", &old), ("post_logout_redirect_uri", AFTER)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Sign out?"));
    assert!(has_session(&s).await);
}

#[tokio::test]
async fn without_a_hint_the_person_is_asked_and_the_confirmation_ends_the_session() {
    let s = server().await;
    signed_in(&s).await;
    let r = logout(
        &s,
        &[
            ("client_id", "lo"),
            ("post_logout_redirect_uri", AFTER),
            ("state", "s1"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("Logout Test App"), "{page}");
    // Nothing ended yet.
    assert!(has_session(&s).await);
    let r = s
        .http
        .post(format!("{}/logout", s.base))
        .form(&[
            ("client_id", hidden(&page, "client_id").as_str()),
            (
                "post_logout_redirect_uri",
                hidden(&page, "post_logout_redirect_uri").as_str(),
            ),
            ("state", hidden(&page, "state").as_str()),
            ("csrf_token", hidden(&page, "csrf_token").as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{AFTER}?state=s1"));
    assert!(!has_session(&s).await);
}

#[tokio::test]
async fn a_forged_confirmation_is_refused_and_the_session_stays() {
    let s = server().await;
    signed_in(&s).await;
    let r = s
        .http
        .post(format!("{}/logout", s.base))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(has_session(&s).await);
}

#[tokio::test]
async fn an_unregistered_post_logout_redirect_uri_is_refused_without_redirect() {
    let s = server().await;
    let id_token = signed_in(&s).await;
    let r = logout(
        &s,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", "https://attacker.example/"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("post_logout_redirect_uri is not registered")
    );
    assert!(has_session(&s).await);
}

#[tokio::test]
async fn a_post_logout_redirect_uri_without_a_client_is_refused() {
    let s = server().await;
    let r = logout(&s, &[("post_logout_redirect_uri", AFTER)]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn a_hint_not_signed_by_the_server_is_refused() {
    let s = server().await;
    signed_in(&s).await;
    let t = now();
    // Signed by a client's key, with every claim an ID token has.
    let forged = rp_assertion(&json!({
        "iss": s.base, "sub": "x", "aud": "lo", "iat": t, "exp": t + 60,
    }));
    let r = logout(
        &s,
        &[
            ("id_token_hint", &forged),
            ("post_logout_redirect_uri", AFTER),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("not signed by this server")
    );
    assert!(has_session(&s).await);
}

#[tokio::test]
async fn a_client_id_other_than_the_hints_audience_is_refused() {
    let s = server().await;
    let id_token = signed_in(&s).await;
    let r = logout(&s, &[("id_token_hint", &id_token), ("client_id", "rp")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("not the audience"));
}

#[tokio::test]
async fn without_a_session_the_redirect_happens_at_once() {
    let s = server().await;
    let r = logout(
        &s,
        &[
            ("client_id", "lo"),
            ("post_logout_redirect_uri", AFTER),
            ("state", "z"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{AFTER}?state=z"));
}

#[tokio::test]
async fn discovery_advertises_the_end_session_endpoint() {
    let s = server().await;
    let d = discovery(&s).await;
    assert_eq!(d["end_session_endpoint"], format!("{}/logout", s.base));
}

#[tokio::test]
async fn an_access_token_is_no_id_token_hint() {
    let s = server().await;
    let code = code_for(&s, "lo").await;
    let t = redeem_as(&s, "lo", LO_SECRET, &code).await;
    // Signed by this server, with its issuer, but `typ: at+jwt`.
    let r = logout(
        &s,
        &[
            ("id_token_hint", t["access_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", AFTER),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("not an ID token"));
    assert!(has_session(&s).await);
}
