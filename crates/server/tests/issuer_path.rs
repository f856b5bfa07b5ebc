//! An issuer with a path (issue 17, deliverable 4): every endpoint is served under it, the
//! metadata at both OpenID Connect Discovery §4's appended URL and RFC 8414 §3's
//! path-inserted one, and the issuer is never rewritten (a trailing slash is refused).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::cli::writ;
use common::*;
use reqwest::StatusCode;
use serde_json::Value;

/// A server whose issuer is `http://ADDR/auth`; `Srv::base` is that issuer.
async fn server() -> Srv {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hash = writ_core::users::hash_password("wonderland", &[1u8; 16]).unwrap();
    let toml = format!(
        r#"
        issuer = "http://{addr}/auth"
        listen = "{addr}"
        [[clients]]
        client_id = "rp"
        redirect_uris = ["{REDIRECT}"]
        secrets = [{{ type = "jwks", value = '{}' }}, {{ type = "shared", value = "{SECRET}" }}]
        [[users]]
        username = "alice"
        password_hash = "{hash}"
        "#,
        rp_jwks()
    );
    let mut s = serve(dir, listener, &toml).await;
    s.base = format!("{}/auth", s.base);
    s
}

fn root(s: &Srv) -> &str {
    s.base.strip_suffix("/auth").unwrap()
}

#[tokio::test]
async fn metadata_is_at_the_appended_and_the_path_inserted_url_and_names_endpoints_under_the_path()
{
    let s = server().await;
    let d = discovery(&s).await;
    assert_eq!(d["issuer"], s.base);
    assert_eq!(d["authorization_endpoint"], format!("{}/authorize", s.base));
    assert_eq!(d["token_endpoint"], format!("{}/token", s.base));
    let inserted: Value = s
        .http
        .get(format!(
            "{}/.well-known/oauth-authorization-server/auth",
            root(&s)
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inserted, d);
    // Nothing of the issuer at the root.
    let r = s
        .http
        .get(format!("{}/.well-known/openid-configuration", root(&s)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = s
        .http
        .get(format!("{}/authorize", root(&s)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The health checks stay where a load balancer looks.
    let r = s
        .http
        .get(format!("{}/health/ready", root(&s)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_advertised_endpoint_answers_under_the_issuer_path() {
    let s = server().await;
    let d = discovery(&s).await;
    for key in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "introspection_endpoint",
        "revocation_endpoint",
        "end_session_endpoint",
    ] {
        let url = d[key].as_str().unwrap_or_else(|| panic!("{key}"));
        let r = s.http.get(url).send().await.unwrap();
        assert_ne!(r.status(), StatusCode::NOT_FOUND, "{key} {url}");
    }
}

#[tokio::test]
async fn a_signed_request_goes_to_a_token_under_the_issuer_path() {
    let s = server().await;
    // The request object's audience is the issuer with its path.
    let ro = sign(&claims(&s.base, "rp"));
    let loc = accepted(
        &s,
        &authorize(&s, &format!("client_id=rp&request={ro}")).await,
    );
    assert!(
        loc.starts_with(&format!("{}/interaction/", s.base)),
        "{loc}"
    );
    let done = login_and_allow(&s, &loc).await;
    let q = query(&done);
    assert_eq!(q["iss"], s.base);
    let t = redeem(&s, &q["code"]).await;
    let (_, id) = verified_by_server(&s, t["id_token"].as_str().unwrap()).await;
    assert_eq!(id["iss"], s.base);
    // Counted under the route's own name.
    assert!(has_metric(&s, "writ_http_responses_total", &["route=\"/token\""]).await);
}

#[test]
fn an_issuer_with_a_trailing_slash_is_refused_not_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let out = writ(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--issuer",
            "https://id.example.com/auth/",
        ],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ends with \"/\""), "{err}");
    assert!(err.contains("\"https://id.example.com/auth\""), "{err}");
}
