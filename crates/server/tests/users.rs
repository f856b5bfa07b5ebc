//! Users and their claims (issue 17, deliverable 6): profile attributes from the config and
//! the CLI, released by scope in the ID token and at `/userinfo` (OpenID Connect Core §5.4);
//! `writ user list|show|set|remove`; a minimum password length; `writ client show` never
//! prints a secret.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cli::{run, writ};
use common::*;
use reqwest::StatusCode;
use serde_json::Value;

/// A code for `rp` with `scope`, through alice's login and consent.
async fn code_with_scope(s: &Srv, scope: &str) -> String {
    let mut q = "client_id=rp".to_string();
    for (k, v) in plain_params() {
        let v = if k == "scope" { scope } else { v };
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    let loc = accepted(s, &authorize(s, &q).await);
    let done = login_and_allow(s, &loc).await;
    query(&done).remove("code").expect("a code")
}

async fn userinfo(s: &Srv, access_token: &str) -> reqwest::Response {
    s.http
        .get(format!("{}/userinfo", s.base))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn profile_scope_releases_profile_claims_only_in_id_token_and_userinfo() {
    let s = start("", "").await;
    let t = redeem(&s, &code_with_scope(&s, "openid profile").await).await;
    let (_, id) = verified_by_server(&s, t["id_token"].as_str().unwrap()).await;
    assert_eq!(id["name"], "Alice Liddell");
    assert_eq!(id["preferred_username"], "alice");
    assert!(id.get("email").is_none(), "{id}");
    let ui: Value = userinfo(&s, t["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ui["name"], "Alice Liddell");
    assert_eq!(ui["sub"], id["sub"]);
    assert!(ui.get("email").is_none(), "{ui}");
}

#[tokio::test]
async fn email_scope_releases_email_claims_only() {
    let s = start("", "").await;
    let t = redeem(&s, &code_with_scope(&s, "openid email").await).await;
    let (_, id) = verified_by_server(&s, t["id_token"].as_str().unwrap()).await;
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["email_verified"], true);
    assert!(id.get("name").is_none() && id.get("preferred_username").is_none());
    let ui: Value = userinfo(&s, t["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ui["email"], "alice@example.com");
    assert!(ui.get("name").is_none(), "{ui}");
}

#[tokio::test]
async fn openid_scope_alone_releases_no_profile_claim() {
    let s = start("", "").await;
    let t = redeem(&s, &code_with_scope(&s, "openid").await).await;
    let (_, id) = verified_by_server(&s, t["id_token"].as_str().unwrap()).await;
    for c in ["name", "email", "preferred_username"] {
        assert!(id.get(c).is_none(), "{c} in {id}");
    }
}

#[tokio::test]
async fn discovery_claims_supported_names_every_released_claim() {
    let s = start("", "").await;
    let d = discovery(&s).await;
    let claims: Vec<&str> = d["claims_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for c in writ_protocol::claims::standard_names().chain(["sub", "preferred_username"]) {
        assert!(claims.contains(&c), "{c} missing from {claims:?}");
    }
    let scopes = d["scopes_supported"].as_array().unwrap();
    for sc in writ_protocol::claims::CLAIM_SCOPES {
        assert!(scopes.iter().any(|v| v == sc), "{sc}");
    }
}

#[test]
fn a_declared_user_with_a_non_standard_claim_stops_start_up_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let hash = writ_core::users::hash_password("wonderland", &[1u8; 16]).unwrap();
    let file = dir.path().join("writ.toml");
    std::fs::write(
        &file,
        format!(
            "[[users]]\nusername = \"bob\"\npassword_hash = \"{hash}\"\n\
             claims = {{ shoe_size = \"42\" }}\n"
        ),
    )
    .unwrap();
    let out = writ(
        dir.path(),
        &["user", "list", "--config", file.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("users[0].claims: \"shoe_size\""), "{err}");
}

#[test]
fn a_password_shorter_than_min_password_length_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(
        dir.path(),
        &["user", "add", "bob", "--password-stdin"],
        "short\n",
    );
    assert!(!ok);
    assert!(err.contains("min_password_length"), "{err}");
    let (ok, _, err) = run(
        dir.path(),
        &["user", "add", "bob", "--password-stdin"],
        "long enough\n",
    );
    assert!(ok, "{err}");
}

#[test]
fn user_commands_list_show_set_and_remove_and_never_print_the_hash() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (ok, out, err) = run(
        d,
        &[
            "user",
            "add",
            "bob",
            "--password-stdin",
            "--claim",
            "name=Bob Builder",
            "--claim",
            "email_verified=true",
        ],
        "correct horse battery\n",
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("user bob saved (sub "), "{out}");
    // A claim of the wrong type, or not a standard one, is refused by name.
    let (ok, _, err) = run(
        d,
        &["user", "set", "bob", "--claim", "email_verified=yes"],
        "",
    );
    assert!(
        !ok && err.contains("email_verified: must be true or false"),
        "{err}"
    );
    let (ok, _, err) = run(d, &["user", "set", "bob", "--claim", "shoe_size=42"], "");
    assert!(
        !ok && err.contains("\"shoe_size\" is not a standard claim"),
        "{err}"
    );

    let (ok, out, err) = run(
        d,
        &[
            "user",
            "set",
            "bob",
            "--claim",
            "email=bob@example.com",
            "--unset",
            "email_verified",
        ],
        "",
    );
    assert!(ok, "{err}");
    let claims: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        claims,
        serde_json::json!({"name": "Bob Builder", "email": "bob@example.com"})
    );

    let (ok, out, _) = run(d, &["user", "list"], "");
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("username"), "{out}");
    assert!(lines[1].starts_with("bob "), "{out}");

    let (ok, out, _) = run(d, &["user", "show", "bob"], "");
    assert!(ok);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["claims"]["name"], "Bob Builder");
    assert!(!out.contains("argon2"), "{out}");

    let (ok, out, _) = run(d, &["user", "remove", "bob"], "");
    assert!(ok);
    assert!(out.starts_with("user bob removed"), "{out}");
    let (ok, _, err) = run(d, &["user", "show", "bob"], "");
    assert!(!ok && err.contains("no user \"bob\""), "{err}");
}

#[tokio::test]
async fn removing_a_user_revokes_its_tokens() {
    let s = start("", "").await;
    let t = redeem(&s, &code_with_scope(&s, "openid profile").await).await;
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&s, at).await.status(), StatusCode::OK);

    let dir = s.dir.path().to_path_buf();
    let (ok, _, err) =
        tokio::task::spawn_blocking(move || run(&dir, &["user", "remove", "alice"], ""))
            .await
            .unwrap();
    assert!(ok, "{err}");

    assert_eq!(userinfo(&s, at).await.status(), StatusCode::UNAUTHORIZED);
    // The grant itself is revoked: the access token is inactive at /introspect (which does
    // not look the user up), and the refresh token is refused.
    let r = s
        .http
        .post(format!("{}/introspect", s.base))
        .basic_auth("rp", Some(SECRET))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["active"], false);
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .basic_auth("rp", Some(SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn a_user_removed_during_sign_in_gets_no_code() {
    let s = start("", "").await;
    let mut q = "client_id=rp".to_string();
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    let loc = accepted(&s, &authorize(&s, &q).await);
    login(&s, &loc).await;
    // On the consent page, the account is removed.
    let dir = s.dir.path().to_path_buf();
    let (ok, _, err) =
        tokio::task::spawn_blocking(move || run(&dir, &["user", "remove", "alice"], ""))
            .await
            .unwrap();
    assert!(ok, "{err}");
    let view = interaction_json(&s, &loc).await;
    let r = s
        .http
        .post(view["endpoints"]["consent"].as_str().unwrap())
        .header("accept", "application/json")
        .form(&[
            ("decision", "allow"),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
    let e: Value = r.json().await.unwrap();
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("account was removed"),
        "{e}"
    );
}

#[test]
fn client_show_hides_the_shared_secret() {
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("c.json");
    std::fs::write(
        &reg,
        r#"{"client_id":"shown","redirect_uris":["https://rp.example/cb"],
            "secrets":[{"type":"shared","value":"a-very-secret-value-that-must-not-show"}]}"#,
    )
    .unwrap();
    let (ok, _, err) = run(
        dir.path(),
        &["client", "add", "--json", reg.to_str().unwrap()],
        "",
    );
    assert!(ok, "{err}");
    let (ok, out, _) = run(dir.path(), &["client", "show", "shown"], "");
    assert!(ok);
    assert!(!out.contains("a-very-secret"), "{out}");
    assert!(out.contains("(hidden)"), "{out}");
}
