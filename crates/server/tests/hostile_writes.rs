//! Unauthenticated callers cannot grow the store (issue 16, finding 2): `/authorize` padded
//! with unknown parameters, or too large to carry through sign-in, writes no row; a public
//! client's pushes (anyone can push as it) are bounded in size and in number.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use sqlx::Connection;

const PUBLIC: &str = r#"
[[clients]]
client_id = "pub"
redirect_uris = ["http://127.0.0.1:9/cb"]
token_endpoint_auth_method = "none"
"#;

/// Rows of every table an unauthenticated request could reach, read from the SQLite file.
async fn rows(s: &Srv) -> Vec<(String, i64)> {
    let url = format!(
        "sqlite://{}?mode=ro",
        s.dir.path().join("writ.db").display()
    );
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let mut out = Vec::new();
    for table in [
        "interactions",
        "pushed_requests",
        "sessions",
        "attempts",
        "replay",
        "codes",
        "grants",
    ] {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&mut db)
                .await
                .unwrap();
        out.push((table.to_string(), n));
    }
    out
}

fn plain(client: &str, extra: &str) -> String {
    let mut q = format!("client_id={client}");
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    q.push_str(extra);
    q
}

#[tokio::test]
async fn a_thousand_hostile_authorize_requests_leave_the_store_unchanged() {
    let s = start("", PUBLIC).await;
    let before = rows(&s).await;
    // Unknown parameters, 16 of 3,000 bytes each: ignored (RFC 6749 §3.1), not carried.
    let mut padded = String::new();
    for i in 0..16 {
        padded.push_str(&format!("&x{i}={}", "a".repeat(3000)));
    }
    // Known ones that together cannot be carried through sign-in: refused.
    let big = "b".repeat(2000);
    let oversized =
        format!("&login_hint={big}&acr_values={big}&ui_locales={big}&claims_locales={big}");
    for n in 0..1000 {
        let q = if n % 2 == 0 {
            plain("pub", &padded)
        } else {
            plain("pub", &oversized)
        };
        let r = authorize(&s, &q).await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "request {n}: {:?}",
            r.text().await
        );
        if n % 2 == 1 {
            let to = location(&r);
            assert_eq!(query(&to)["error"], "invalid_request", "{to}");
            assert!(
                query(&to)["error_description"].contains("too large"),
                "{to}"
            );
        }
    }
    assert_eq!(rows(&s).await, before);
    // A padded request still works: the unknown parameters are just not carried.
    let loc = accepted(&s, &authorize(&s, &plain("pub", &padded)).await);
    let view = interaction_json(&s, &loc).await;
    assert!(view["parameters"].get("x0").is_none(), "{view}");
}

async fn push_public(s: &Srv, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = vec![
        ("client_id", "pub"),
        ("response_type", "code"),
        ("scope", "openid"),
        ("redirect_uri", REDIRECT),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    form.extend_from_slice(extra);
    s.http
        .post(format!("{}/par", s.base))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_public_clients_pushes_are_bounded_in_number_and_size() {
    let s = start("[par]\npublic_client_quota = 20", PUBLIC).await;
    let before = rows(&s).await;
    let big = "c".repeat(2000);
    let r = push_public(
        &s,
        &[
            ("login_hint", &big),
            ("acr_values", &big),
            ("ui_locales", &big),
            ("claims_locales", &big),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("at most"),
        "{body}"
    );
    let mut created = 0;
    let mut limited = 0;
    for _ in 0..1000 {
        let r = push_public(&s, &[]).await;
        match r.status() {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(r.headers().contains_key("retry-after"));
                limited += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((created, limited), (20, 980));
    let after = rows(&s).await;
    let pushed = |r: &[(String, i64)]| r.iter().find(|(t, _)| t == "pushed_requests").unwrap().1;
    assert_eq!(pushed(&after) - pushed(&before), 20, "{after:?}");
}

/// A copied signed request object padded with unsigned parameters (kept beside it under
/// `merge`) is not vouched for: too large to seal, it is refused, and no row is written.
#[tokio::test]
async fn a_signed_request_padded_with_unsigned_parameters_writes_no_row() {
    let s = start("[jar]\nparameter_policy = \"merge\"", "").await;
    let before = rows(&s).await;
    let ro = sign(&claims(&s.base, "rp"));
    let big = "d".repeat(2000);
    let q = format!(
        "client_id=rp&request={ro}&login_hint={big}&acr_values={big}&ui_locales={big}&claims_locales={big}"
    );
    let r = authorize(&s, &q).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert_eq!(query(&to)["error"], "invalid_request", "{to}");
    assert_eq!(rows(&s).await, before);
    // The same object alone is accepted.
    accepted(
        &s,
        &authorize(&s, &format!("client_id=rp&request={ro}")).await,
    );
}
