//! The `client_credentials` grant (RFC 6749 §4.4; issue 17, deliverable 7): a confidential
//! client gets an access token for itself, with its registered scopes or fewer, never a user
//! scope, no ID token and no refresh token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const SVC_SECRET: &str = "service-secret-long-enough-for-anything-0123456789";

async fn server() -> Srv {
    let svc = format!(
        r#"
        [[clients]]
        client_id = "svc"
        grant_types = ["client_credentials"]
        scopes = ["api:read", "api:write", "openid"]
        secrets = [{{ type = "shared", value = "{SVC_SECRET}" }}]
        {}
        "#,
        key_client(
            "svc-key",
            "grant_types = [\"authorization_code\", \"client_credentials\"]\nscopes = [\"api:read\"]"
        )
    );
    start("", &svc).await
}

async fn svc_token(s: &Srv, form: &[(&str, &str)]) -> reqwest::Response {
    let mut f = vec![("grant_type", "client_credentials")];
    f.extend_from_slice(form);
    s.http
        .post(format!("{}/token", s.base))
        .basic_auth("svc", Some(SVC_SECRET))
        .form(&f)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn client_credentials_issues_an_access_token_whose_subject_is_the_client() {
    let s = server().await;
    let r = svc_token(&s, &[("scope", "api:read")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["scope"], "api:read");
    assert!(t.get("refresh_token").is_none(), "{t}");
    assert!(t.get("id_token").is_none(), "{t}");
    let (h, at) = verified_by_server(&s, t["access_token"].as_str().unwrap()).await;
    assert_eq!(h["typ"], "at+jwt");
    // Its grant lives as long as the token, not as long as a refresh token would.
    let grant = s
        .provider
        .store
        .grant_get(at["gid"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(grant.expires_at <= at["exp"].as_i64().unwrap(), "{grant:?}");
    assert_eq!(at["sub"], "svc");
    assert_eq!(at["client_id"], "svc");
    // No user: /userinfo has nothing to say about it.
    let r = s
        .http
        .get(format!("{}/userinfo", s.base))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn client_credentials_without_scope_gets_the_registered_non_user_scopes() {
    let s = server().await;
    let t: Value = svc_token(&s, &[]).await.json().await.unwrap();
    assert_eq!(t["scope"], "api:read api:write");
}

#[tokio::test]
async fn client_credentials_refuses_a_user_scope_or_an_unregistered_one() {
    let s = server().await;
    for (scope, why) in [
        ("openid", "stands for a user"),
        ("api:read offline_access", "stands for a user"),
        ("api:admin", "not among the client's registered scopes"),
    ] {
        let r = svc_token(&s, &[("scope", scope)]).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{scope}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"], "invalid_scope", "{scope}");
        assert!(
            e["error_description"].as_str().unwrap().contains(why),
            "{scope}: {e}"
        );
    }
}

#[tokio::test]
async fn client_credentials_needs_the_grant_in_the_registration() {
    let s = server().await;
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .basic_auth("rp", Some(SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
}

#[tokio::test]
async fn client_credentials_needs_client_authentication() {
    let s = server().await;
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .basic_auth("svc", Some("wrong-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
}

#[tokio::test]
async fn client_credentials_with_private_key_jwt() {
    let s = server().await;
    let t = now();
    let assertion = rp_assertion(&json!({
        "iss": "svc-key", "sub": "svc-key", "aud": s.base, "iat": t, "exp": t + 60,
        "jti": format!("a-{}", unique()),
    }));
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "svc-key"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["scope"], "api:read");
}

#[tokio::test]
async fn discovery_lists_client_credentials() {
    let s = server().await;
    let d = discovery(&s).await;
    assert!(
        d["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("client_credentials"))
    );
}

/// SPEC §9: a refused client authentication says why (an unknown kid, an expired assertion,
/// a malformed header), and never whether a secret was close.
#[tokio::test]
async fn a_refused_client_authentication_says_why_without_hinting_at_the_secret() {
    let s = server().await;
    let token = |form: Vec<(&'static str, String)>, basic: Option<&'static str>| {
        let mut r = s.http.post(format!("{}/token", s.base));
        if let Some(b) = basic {
            r = r.header("authorization", b);
        }
        r.form(&form).send()
    };
    let described = |r: reqwest::Response| async move {
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"], "invalid_client");
        e["error_description"].as_str().unwrap().to_string()
    };
    let t = now();
    let claims = |exp: i64| {
        json!({"iss": "svc-key", "sub": "svc-key", "aud": s.base, "iat": t - 10, "exp": exp,
               "jti": format!("j-{}", unique())})
    };
    let signed_with_kid = |kid: &str, c: Value| {
        writ_jose::sign_compact(
            json!({ "kid": kid }).as_object().unwrap(),
            c.to_string().as_bytes(),
            writ_jose::JwsAlg::ES256,
            rp_key(),
        )
        .unwrap()
    };
    let with_assertion = |a: String| {
        vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", "svc-key".to_string()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_string(),
            ),
            ("client_assertion", a),
        ]
    };
    let d = described(
        token(
            with_assertion(signed_with_kid("nope", claims(t + 60))),
            None,
        )
        .await
        .unwrap(),
    )
    .await;
    assert!(d.contains("kid 'nope'"), "{d}");
    let d = described(
        token(
            with_assertion(signed_with_kid("ec-1", claims(t - 300))),
            None,
        )
        .await
        .unwrap(),
    )
    .await;
    assert!(d.contains("expired"), "{d}");
    let grant = vec![("grant_type", "client_credentials".to_string())];
    let d = described(token(grant.clone(), Some("Basic !!!")).await.unwrap()).await;
    assert!(d.contains("Authorization header"), "{d}");
    // A wrong secret: nothing about how wrong.
    let d = described(
        s.http
            .post(format!("{}/token", s.base))
            .basic_auth(
                "svc",
                Some("service-secret-long-enough-for-anything-012345678X"),
            )
            .form(&grant)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(d, "client authentication failed");
}
