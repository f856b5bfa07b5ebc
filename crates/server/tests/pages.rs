//! Pages a bank could ship (issue 17, deliverable 5): the language chosen by `ui_locales`
//! and `Accept-Language`, the username kept after a wrong password, error pages that say what
//! to do with the code behind a disclosure, and an operator's template directory (templates
//! replaced by name, a language added, scope descriptions) with autoescaping kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;

/// The login page of a plain request for `rp`, with `extra` query parameters, asked for in
/// `accept_language`.
async fn login_page(s: &Srv, extra: &str, accept_language: &str) -> (String, String) {
    let mut q = "client_id=rp".to_string();
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    q.push_str(extra);
    let loc = accepted(s, &authorize(s, &q).await);
    let page = s
        .http
        .get(&loc)
        .header("accept-language", accept_language)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (loc, page)
}

#[tokio::test]
async fn accept_language_chooses_the_german_pages() {
    let s = start("", "").await;
    let (_, page) = login_page(&s, "", "fr-FR, de-CH;q=0.8, en;q=0.5").await;
    assert!(page.contains("<html lang=\"de\">"), "{page}");
    assert!(page.contains("Melden Sie sich an"), "{page}");
    let (_, page) = login_page(&s, "", "en-GB").await;
    assert!(page.contains("<html lang=\"en\">") && page.contains("Sign in to continue"));
}

#[tokio::test]
async fn ui_locales_of_the_request_come_before_the_browsers_language() {
    let s = start("", "").await;
    let (_, page) = login_page(&s, "&ui_locales=de", "en").await;
    assert!(page.contains("Melden Sie sich an"), "{page}");
}

#[tokio::test]
async fn the_username_is_kept_after_a_wrong_password() {
    let s = start("", "").await;
    let (loc, _) = login_page(&s, "", "en").await;
    let view = interaction_json(&s, &loc).await;
    let r = s
        .http
        .post(view["endpoints"]["login"].as_str().unwrap())
        .form(&[
            ("username", "alice"),
            ("password", "not her password"),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let page = r.text().await.unwrap();
    assert!(page.contains("value=\"alice\""), "{page}");
    assert!(page.contains("Wrong username or password"), "{page}");
}

#[tokio::test]
async fn an_error_page_says_what_to_do_and_keeps_the_code_behind_a_disclosure() {
    let s = start("", "").await;
    let r = authorize(&s, "client_id=nobody&response_type=code").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(page.contains("Go back to the application"), "{page}");
    let disclosure = &page[page.find("<details>").expect("a disclosure")..];
    assert!(disclosure.contains("<code>"), "{page}");
    let before = &page[..page.find("<details>").unwrap()];
    assert!(
        !before.contains("<code>"),
        "the code is behind the disclosure: {page}"
    );
}

#[tokio::test]
async fn the_consent_page_describes_scopes_for_a_person_and_styles_allow_and_deny() {
    let s = start("", "").await;
    let (loc, _) = login_page(&s, "", "en").await;
    login(&s, &loc).await;
    let page = s.http.get(&loc).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Your name, username and profile details"),
        "{page}"
    );
    assert!(page.contains("value=\"allow\" class=\"primary\""), "{page}");
    assert!(
        page.contains("value=\"deny\" class=\"secondary\""),
        "{page}"
    );
}

/// A `writ serve` process with `[interaction] templates = dir` and the `rp` client and alice.
async fn serve_with_templates(
    dir: &std::path::Path,
    extra: &str,
) -> (WritProcess, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let hash = writ_core::users::hash_password("wonderland", &[1u8; 16]).unwrap();
    let config = data.path().join("writ.toml");
    std::fs::write(
        &config,
        format!(
            r#"
            listen = "127.0.0.1:{port}"
            data_dir = "{}"
            [interaction]
            templates = "{}"
            {extra}
            [[clients]]
            client_id = "rp"
            client_name = "Bank <App>"
            redirect_uris = ["{REDIRECT}"]
            secrets = [{{ type = "shared", value = "{SECRET}" }}]
            [[users]]
            username = "alice"
            password_hash = "{hash}"
            "#,
            data.path().display(),
            dir.display()
        ),
    )
    .unwrap();
    (WritProcess::spawn(&config, port).await, data)
}

#[tokio::test]
async fn a_template_directory_replaces_pages_by_name_adds_a_language_and_keeps_escaping() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("login.html"),
        r#"{% extends "base.html" %}{% block body %}<h1 id="acme">ACME Bank · {{ t("login.heading", client=client_name) }}</h1>
<form method="post" action="{{ action }}"><input type="hidden" name="csrf_token" value="{{ csrf_token }}"></form>{% endblock %}"#,
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("locales")).unwrap();
    std::fs::write(
        dir.path().join("locales/fr.toml"),
        "[login]\nheading = \"Connectez-vous pour continuer vers {client}\"\n",
    )
    .unwrap();
    let (writ, _data) = serve_with_templates(
        dir.path(),
        "[interaction.scope_descriptions]\nprofile = \"Your bank profile\"",
    )
    .await;
    let http = browser();
    let mut q = "client_id=rp".to_string();
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    let r = http
        .get(format!("{}/authorize?{q}", writ.base))
        .send()
        .await
        .unwrap();
    let loc = location(&r);
    let page = http
        .get(&loc)
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"acme\""), "{page}");
    assert!(
        page.contains("Connectez-vous pour continuer vers Bank &lt;App&gt;"),
        "{page}"
    );
    // The consent page is still the built-in one, with the configured scope description.
    let view: serde_json::Value = http
        .get(&loc)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    http.post(view["endpoints"]["login"].as_str().unwrap())
        .form(&[
            ("username", "alice"),
            ("password", "wonderland"),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let page = http.get(&loc).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Your bank profile"), "{page}");
}

#[test]
fn a_template_that_does_not_parse_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("consent.html"), "{% if %}").unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = common::cli::writ(data.path(), &["serve", "--listen", "127.0.0.1:0"])
        .env("WRIT_INTERACTION__TEMPLATES", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("interaction.templates: consent.html"), "{err}");
}
