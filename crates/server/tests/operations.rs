//! What an operator runs the server with (issue 17, deliverable 9): `/metrics` with a
//! `# HELP` for every metric and on a listener of its own under `[metrics] listen`,
//! `/health/live` and `/health/ready`, admin commands that print their result and nothing
//! else, logs without colour codes when they do not go to a terminal, and an unknown `WRIT_`
//! variable that is named in a warning instead of stopping the command.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cli::writ;
use common::*;
use reqwest::StatusCode;

/// The metric families of a Prometheus text page: (names with `# TYPE`, names with `# HELP`).
fn families(text: &str) -> (Vec<String>, Vec<String>) {
    let names = |prefix: &str| {
        text.lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .filter_map(|l| l.split(' ').next())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    (names("# TYPE "), names("# HELP "))
}

#[tokio::test]
async fn every_metric_has_a_help_line_and_is_in_the_catalogue() {
    let s = start("", "").await;
    // Something in most families: an accepted and a refused authorization request, a refused
    // token request.
    accepted(
        &s,
        &authorize(
            &s,
            &format!("client_id=rp&request={}", sign(&claims(&s.base, "rp"))),
        )
        .await,
    );
    authorize(&s, "client_id=rp&request=not.a.jwt").await;
    s.http
        .post(format!("{}/token", s.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", "rp"),
        ])
        .send()
        .await
        .unwrap();
    let r = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    let (typed, helped) = families(&text);
    assert!(typed.len() >= 4, "{text}");
    for name in &typed {
        assert!(helped.contains(name), "no # HELP for {name}");
        assert!(
            writ_server::telemetry::METRICS
                .iter()
                .any(|(n, _, _)| n == name),
            "{name} is not in telemetry::METRICS (nor in docs/metrics.md)"
        );
    }
}

#[tokio::test]
async fn health_live_answers_without_the_store_and_ready_with_it() {
    let s = start("", "").await;
    for path in ["/health", "/health/live", "/health/ready"] {
        let r = s
            .http
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["status"], "ok", "{path}");
    }
}

/// `[metrics] listen`: the scrape moves to its own listener, with the health checks, and the
/// public listener no longer serves it.
#[tokio::test]
async fn metrics_listen_moves_the_scrape_off_the_public_listener() {
    let dir = tempfile::tempdir().unwrap();
    let (port, metrics_port) = (free_port(), free_port());
    let file = dir.path().join("writ.toml");
    std::fs::write(
        &file,
        format!(
            "listen = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\n[metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let writ = WritProcess::spawn(&file, port).await;
    let http = reqwest::Client::new();
    let get = |url: String| {
        let http = http.clone();
        async move { http.get(url).send().await.unwrap() }
    };
    let public = get(format!("{}/metrics", writ.base)).await;
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    let apart = format!("http://127.0.0.1:{metrics_port}");
    let scrape = get(format!("{apart}/metrics")).await;
    assert_eq!(scrape.status(), StatusCode::OK);
    let text = scrape.text().await.unwrap();
    // The public listener's requests are counted on the scrape's page.
    assert!(text.contains("writ_http_responses_total"), "{text}");
    assert!(text.contains("# HELP writ_http_responses_total"), "{text}");
    for path in ["/health/live", "/health/ready"] {
        assert_eq!(get(format!("{apart}{path}")).await.status(), StatusCode::OK);
    }
    for path in ["/authorize", "/jwks", "/.well-known/openid-configuration"] {
        assert_eq!(
            get(format!("{apart}{path}")).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[test]
fn metrics_listen_equal_to_listen_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = writ(dir.path(), &["serve", "--listen", "127.0.0.1:18999"])
        .env("WRIT_METRICS__LISTEN", "127.0.0.1:18999")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("metrics.listen"), "{err}");
}

#[test]
fn admin_command_prints_its_result_only_and_names_an_unknown_writ_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = writ(dir.path(), &["keys", "list"])
        .env("WRIT_BIN", "/usr/local/bin/writ")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // The result: a header and a key per line, with its creation date.
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("kid\tuse\talg\tstate\tcreated"));
    let first = lines.next().unwrap();
    let created = first.rsplit('\t').next().unwrap();
    assert_eq!(created.len(), "2026-12-04T18:46:05Z".len(), "{first}");
    assert!(
        created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{first}"
    );
    // On standard error: the warning that names the variable, and no info lines (the store
    // opened, keys generated), no colour codes (a pipe is not a terminal).
    assert!(stderr.contains("WRIT_BIN"), "{stderr}");
    assert!(!stderr.contains("INFO"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn writ_log_asks_for_more_from_an_admin_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = writ(dir.path(), &["keys", "list"])
        .env("WRIT_LOG", "debug")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("DEBUG") || stderr.contains("INFO"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
}
