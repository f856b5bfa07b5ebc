//! Introspection (RFC 7662, RFC 9701) and revocation (RFC 7009) over real HTTP (SPEC §15):
//! who may learn what about a token, the signed answer, and what revoking each kind of token
//! does. One test per rule, named after it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::dpop::Holder;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use writ_jose::JwsAlg;

/// `rs` is a resource server (no grant type); `rs-es` one that wants ES256-signed answers;
/// `spa` a public client; `short` has one-second access tokens.
const CLIENTS: &str = r#"
    [[clients]]
    client_id = "rs"
    grant_types = []
    secrets = [{ type = "shared", value = "a-shared-client-secret-long-enough-for-hs512-0123456789abcdefghijklmnopq" }]
    [[clients]]
    client_id = "rs-es"
    grant_types = []
    introspection_signed_response_alg = "ES256"
    secrets = [{ type = "shared", value = "a-shared-client-secret-long-enough-for-hs512-0123456789abcdefghijklmnopq" }]
    [[clients]]
    client_id = "rs-sealed"
    grant_types = []
    introspection_encrypted_response_alg = "A256KW"
    introspection_encrypted_response_enc = "A256GCM"
    secrets = [{ type = "shared", value = "a-shared-client-secret-long-enough-for-hs512-0123456789abcdefghijklmnopq" }]
    [[clients]]
    client_id = "spa"
    token_endpoint_auth_method = "none"
    redirect_uris = ["http://127.0.0.1:9/cb"]
    [[clients]]
    client_id = "short"
    access_token_lifetime = "1s"
    redirect_uris = ["http://127.0.0.1:9/cb"]
    secrets = [{ type = "shared", value = "a-shared-client-secret-long-enough-for-hs512-0123456789abcdefghijklmnopq" }]
"#;

async fn server() -> Srv {
    start("", CLIENTS).await
}

/// The secret `client` authenticates with (`other` has its own).
fn secret_of(client: &str) -> &'static str {
    if client == "other" {
        OTHER_SECRET
    } else {
        SECRET
    }
}

/// `POST {path}` as `client` with `client_secret_basic` and `form`.
async fn post_as(s: &Srv, path: &str, client: &str, form: &[(&str, &str)]) -> reqwest::Response {
    s.http
        .post(format!("{}{path}", s.base))
        .basic_auth(client, Some(secret_of(client)))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Introspect `token` as `client`: the JSON answer (asserting 200).
async fn introspect(s: &Srv, client: &str, token: &str) -> Value {
    let r = post_as(s, "/introspect", client, &[("token", token)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.json().await.unwrap()
}

/// Revoke `token` as `client`: the response.
async fn revoke(s: &Srv, client: &str, token: &str) -> reqwest::Response {
    post_as(s, "/revoke", client, &[("token", token)]).await
}

/// The token response of a code flow for `client` (`client_secret_basic`).
async fn tokens_for(s: &Srv, client: &str) -> Value {
    let code = code_for(s, client).await;
    let r = post_as(
        s,
        "/token",
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn access(t: &Value) -> &str {
    t["access_token"].as_str().unwrap()
}

fn refresh(t: &Value) -> &str {
    t["refresh_token"].as_str().unwrap()
}

/// Exactly `{"active": false}`: nothing else about the token is told.
fn assert_inactive(v: &Value) {
    assert_eq!(v, &json!({ "active": false }));
}

async fn userinfo_status(s: &Srv, token: &str) -> StatusCode {
    s.http
        .get(format!("{}/userinfo", s.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn refresh_grant(s: &Srv, token: &str) -> reqwest::Response {
    post_as(
        s,
        "/token",
        "rp",
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

#[tokio::test]
async fn an_active_access_token_is_described_to_its_client() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    let v = introspect(&s, "rp", access(&t)).await;
    assert_eq!(v["active"], true, "{v}");
    assert_eq!(v["client_id"], "rp");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["iss"], s.base);
    assert_eq!(v["aud"], s.base);
    assert_eq!(v["scope"], t["scope"]);
    assert!(v["sub"].as_str().is_some_and(|x| !x.is_empty()), "{v}");
    assert!(v["jti"].as_str().is_some(), "{v}");
    let (iat, exp) = (v["iat"].as_i64().unwrap(), v["exp"].as_i64().unwrap());
    assert_eq!(exp - iat, t["expires_in"].as_i64().unwrap());
    assert!(v.get("cnf").is_none(), "{v}");
}

#[tokio::test]
async fn a_resource_server_may_introspect_any_access_token() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    let v = introspect(&s, "rs", access(&t)).await;
    assert_eq!(v["active"], true, "{v}");
    assert_eq!(v["client_id"], "rp");
}

#[tokio::test]
async fn another_clients_token_is_inactive_to_a_client() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    assert_inactive(&introspect(&s, "other", access(&t)).await);
    assert_inactive(&introspect(&s, "other", refresh(&t)).await);
}

#[tokio::test]
async fn a_refresh_token_is_described_to_its_client_only() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    let v = introspect(&s, "rp", refresh(&t)).await;
    assert_eq!(v["active"], true, "{v}");
    assert_eq!(v["token_type"], "refresh_token");
    assert_eq!(v["client_id"], "rp");
    assert_eq!(v["scope"], t["scope"]);
    // A resource server has no business with refresh tokens.
    assert_inactive(&introspect(&s, "rs", refresh(&t)).await);
}

#[tokio::test]
async fn the_token_type_hint_is_only_a_hint() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    for (token, hint) in [
        (access(&t), "refresh_token"),
        (refresh(&t), "access_token"),
        (access(&t), "something_else"),
    ] {
        let r = post_as(
            &s,
            "/introspect",
            "rp",
            &[("token", token), ("token_type_hint", hint)],
        )
        .await;
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["active"], true, "{hint}: {v}");
    }
}

#[tokio::test]
async fn a_used_refresh_token_is_inactive() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    assert_eq!(
        refresh_grant(&s, refresh(&t)).await.status(),
        StatusCode::OK
    );
    assert_inactive(&introspect(&s, "rp", refresh(&t)).await);
}

#[tokio::test]
async fn an_expired_access_token_is_inactive() {
    let s = server().await;
    let t = tokens_for(&s, "short").await;
    assert_eq!(introspect(&s, "short", access(&t)).await["active"], true);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_inactive(&introspect(&s, "short", access(&t)).await);
}

#[tokio::test]
async fn unknown_and_forged_tokens_are_inactive() {
    let s = server().await;
    // An access token's claims, signed by a key the server does not hold.
    let forged = writ_jose::sign_compact(
        json!({ "typ": "at+jwt", "kid": "ec-1" })
            .as_object()
            .unwrap(),
        json!({ "iss": s.base, "sub": "x", "client_id": "rp", "scope": "openid",
                "jti": "j", "gid": "g", "exp": now() + 600 })
        .to_string()
        .as_bytes(),
        JwsAlg::ES256,
        rp_key(),
    )
    .unwrap();
    let long = format!(
        "{}.{}.{}",
        "a".repeat(1300),
        "b".repeat(1300),
        "c".repeat(1300)
    );
    for token in ["not-a-token", "a.b.c", forged.as_str(), long.as_str()] {
        assert_inactive(&introspect(&s, "rp", token).await);
    }
    // Longer than any parameter may be: refused before it is looked at.
    let r = post_as(&s, "/introspect", "rp", &[("token", &"a".repeat(9000))]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_caller_that_fails_client_authentication_gets_401() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    let wrong = s
        .http
        .post(format!("{}/introspect", s.base))
        .basic_auth("rp", Some("not-the-secret"))
        .form(&[("token", access(&t))])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().contains_key("www-authenticate"));
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    let none = s
        .http
        .post(format!("{}/introspect", s.base))
        .form(&[("token", access(&t))])
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_public_client_cannot_introspect() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    let r = s
        .http
        .post(format!("{}/introspect", s.base))
        .form(&[("client_id", "spa"), ("token", access(&t))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{body}");
}

#[tokio::test]
async fn introspection_without_a_token_is_invalid_request() {
    let s = server().await;
    let r = post_as(
        &s,
        "/introspect",
        "rp",
        &[("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    let r = s
        .http
        .post(format!("{}/introspect", s.base))
        .basic_auth("rp", Some(SECRET))
        .header("content-type", "application/json")
        .body("{\"token\":\"x\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_dpop_bound_access_token_is_described_with_its_key() {
    let s = server().await;
    let h = Holder::ec();
    let code = code_for(&s, "rp").await;
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .basic_auth("rp", Some(SECRET))
        .header("DPoP", h.proof("POST", &format!("{}/token", s.base)))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    let t: Value = r.json().await.unwrap();
    let v = introspect(&s, "rs", access(&t)).await;
    assert_eq!(v["active"], true, "{v}");
    assert_eq!(v["token_type"], "DPoP");
    assert_eq!(v["cnf"]["jkt"], h.jkt());
}

/// The signed answer of RFC 9701, verified with the server's published key.
async fn signed_introspection(s: &Srv, client: &str, token: &str) -> (Value, Value) {
    let r = s
        .http
        .post(format!("{}/introspect", s.base))
        .basic_auth(client, Some(SECRET))
        .header("accept", "application/token-introspection+jwt")
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "application/token-introspection+jwt"
    );
    verified_by_server(s, &r.text().await.unwrap()).await
}

#[tokio::test]
async fn a_signed_introspection_response_is_given_on_request() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    let (header, claims) = signed_introspection(&s, "rs", access(&t)).await;
    assert_eq!(header["typ"], "token-introspection+jwt");
    assert_eq!(header["alg"], "RS256", "RFC 9701 §6: RS256 by default");
    assert_eq!(claims["iss"], s.base);
    assert_eq!(claims["aud"], "rs");
    assert!(claims["iat"].as_i64().is_some());
    assert_eq!(claims["token_introspection"]["active"], true, "{claims}");
    assert_eq!(claims["token_introspection"]["client_id"], "rp");
    // An inactive answer is signed too.
    let (_, claims) = signed_introspection(&s, "rs", "unknown").await;
    assert_eq!(claims["token_introspection"], json!({ "active": false }));
}

#[tokio::test]
async fn introspection_signed_response_alg_sets_one_callers_alg() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    let (header, claims) = signed_introspection(&s, "rs-es", access(&t)).await;
    assert_eq!(header["alg"], "ES256");
    assert_eq!(claims["aud"], "rs-es");
}

#[tokio::test]
async fn revoking_an_access_token_makes_it_inactive_and_refused_at_userinfo() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    assert_eq!(userinfo_status(&s, access(&t)).await, StatusCode::OK);
    let r = revoke(&s, "rp", access(&t)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_inactive(&introspect(&s, "rs", access(&t)).await);
    assert_eq!(
        userinfo_status(&s, access(&t)).await,
        StatusCode::UNAUTHORIZED
    );
    // Only that token: the refresh token of the grant still works, and so does its new
    // access token.
    let r = refresh_grant(&s, refresh(&t)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let fresh: Value = r.json().await.unwrap();
    assert_eq!(introspect(&s, "rs", access(&fresh)).await["active"], true);
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_grant() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    let r = revoke(&s, "rp", refresh(&t)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_inactive(&introspect(&s, "rp", refresh(&t)).await);
    assert_inactive(&introspect(&s, "rp", access(&t)).await);
    assert_eq!(
        userinfo_status(&s, access(&t)).await,
        StatusCode::UNAUTHORIZED
    );
    let r = refresh_grant(&s, refresh(&t)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn revoking_an_unknown_or_revoked_token_still_answers_200() {
    let s = server().await;
    assert_eq!(
        revoke(&s, "rp", "never-issued").await.status(),
        StatusCode::OK
    );
    let t = tokens_for(&s, "rp").await;
    assert_eq!(revoke(&s, "rp", access(&t)).await.status(), StatusCode::OK);
    assert_eq!(revoke(&s, "rp", access(&t)).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_client_cannot_revoke_another_clients_token() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    for token in [access(&t), refresh(&t)] {
        let r = revoke(&s, "other", token).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{body}");
    }
    // A resource server may read access tokens, not revoke them.
    assert_eq!(
        revoke(&s, "rs", access(&t)).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(introspect(&s, "rp", access(&t)).await["active"], true);
    assert_eq!(introspect(&s, "rp", refresh(&t)).await["active"], true);
}

#[tokio::test]
async fn revocation_requires_client_authentication() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    let r = s
        .http
        .post(format!("{}/revoke", s.base))
        .basic_auth("rp", Some("not-the-secret"))
        .form(&[("token", refresh(&t))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(introspect(&s, "rp", refresh(&t)).await["active"], true);
}

#[tokio::test]
async fn a_public_client_revokes_its_own_refresh_token() {
    let s = server().await;
    let code = code_for(&s, "spa").await;
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .form(&[
            ("client_id", "spa"),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    let r = s
        .http
        .post(format!("{}/revoke", s.base))
        .form(&[("client_id", "spa"), ("token", refresh(&t))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_inactive(&introspect(&s, "rs", access(&t)).await);
}

#[tokio::test]
async fn discovery_names_both_endpoints_and_their_methods() {
    let s = server().await;
    let d = discovery(&s).await;
    assert_eq!(
        d["introspection_endpoint"],
        format!("{}/introspect", s.base)
    );
    assert_eq!(d["revocation_endpoint"], format!("{}/revoke", s.base));
    let methods = |k: &str| -> Vec<String> {
        d[k].as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect()
    };
    let introspection = methods("introspection_endpoint_auth_methods_supported");
    assert!(introspection.contains(&"private_key_jwt".to_string()));
    assert!(!introspection.contains(&"none".to_string()));
    assert!(methods("revocation_endpoint_auth_methods_supported").contains(&"none".to_string()));
    assert!(methods("introspection_signing_alg_values_supported").contains(&"PS256".to_string()));
}

#[tokio::test]
async fn a_signed_introspection_answer_is_encrypted_to_a_caller_registered_for_it() {
    let s = server().await;
    let t = tokens_for(&s, "rp").await;
    let r = s
        .http
        .post(format!("{}/introspect", s.base))
        .basic_auth("rs-sealed", Some(SECRET))
        .header("accept", "application/token-introspection+jwt")
        .form(&[("token", access(&t))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-type"],
        "application/token-introspection+jwt"
    );
    let jwe = r.text().await.unwrap();
    assert_eq!(jwe.split('.').count(), 5, "RFC 9701 §6: encrypted");
    let key = writ_jose::DecryptionKey::from_client_secret(
        SECRET.as_bytes(),
        writ_jose::JweAlg::A256Kw,
        writ_jose::JweEnc::A256Gcm,
    )
    .unwrap();
    let inner = writ_jose::EncryptedJwe::parse(&jwe, 64 * 1024)
        .unwrap()
        .decrypt(&key)
        .unwrap();
    let jws = String::from_utf8(inner.plaintext().to_vec()).unwrap();
    let (header, claims) = verified_by_server(&s, &jws).await;
    assert_eq!(header["typ"], "token-introspection+jwt");
    assert_eq!(claims["aud"], "rs-sealed");
    assert_eq!(claims["token_introspection"]["active"], true);
}
