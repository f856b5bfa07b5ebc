//! Issue 16, deliverable 7: `writ serve` on SQLite killed with SIGKILL in the middle of writes.
//! The file opens intact (`PRAGMA integrity_check`), the server starts again on it, and
//! nothing it acknowledged is lost: every push answered 201 before the kill is usable after.
//! (bench/soak/faults.sh `sqlite-kill` runs the same under heavier load.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{REDIRECT, SECRET, WritProcess, enc, plain_params};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `writ serve` on the SQLite store in `dir`, answering `/health`.
async fn serve(dir: &Path, port: u16) -> WritProcess {
    let config = dir.join("writ.toml");
    std::fs::write(
        &config,
        format!(
            r#"
            issuer = "http://127.0.0.1:{port}"
            listen = "127.0.0.1:{port}"
            data_dir = "{data}"
            [par]
            lifetime = "5m"
            [[clients]]
            client_id = "rp"
            redirect_uris = ["{REDIRECT}"]
            secrets = [{{ type = "shared", value = "{SECRET}" }}]
            "#,
            data = dir.display(),
        ),
    )
    .unwrap();
    WritProcess::spawn(&config, port).await
}

#[tokio::test]
async fn sqlite_killed_during_writes_opens_intact_with_every_acknowledged_push() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(dir.path(), port).await;
    let http = reqwest::Client::new();
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let pushers: Vec<_> = (0..8)
        .map(|_| {
            let (http, base, acked) = (http.clone(), base.clone(), acked.clone());
            tokio::spawn(async move {
                // Until the server is gone: a push not answered is not acknowledged.
                while let Ok(r) = http
                    .post(format!("{base}/par"))
                    .basic_auth("rp", Some(SECRET))
                    .form(&plain_params())
                    .send()
                    .await
                {
                    if r.status() == StatusCode::CREATED
                        && let Ok(v) = r.json::<Value>().await
                    {
                        acked
                            .lock()
                            .unwrap()
                            .push(v["request_uri"].as_str().unwrap().to_owned());
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    for p in pushers {
        p.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 50,
        "only {} pushes before the kill",
        acked.len()
    );

    let url = format!("sqlite://{}", dir.path().join("writ.db").display());
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    db.close().await.unwrap();

    let _again = serve(dir.path(), port).await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for uri in &acked {
        let r = browser
            .get(format!(
                "{base}/authorize?client_id=rp&request_uri={}",
                enc(uri)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(
            common::location(&r).contains("/interaction/"),
            "an acknowledged push is lost: {}",
            common::location(&r)
        );
    }
}
