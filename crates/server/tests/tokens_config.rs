//! The token configuration of SPEC §9 over real HTTP: `[tokens]` lifetimes, the ID token's
//! algorithm (server-wide and per client, each verified against `/jwks`, with its `at_hash`),
//! `refresh_rotation = "off"`, and `[client_auth]` (assertion lifetime and audience). One test
//! per rule, named after it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use writ_jose::{JwsAlg, UnverifiedJws};

/// `svc` authenticates with `private_key_jwt` (the `rp` EC key); `ed` and `ps` name their own
/// ID token algorithm; `short` has its own lifetimes.
const CLIENTS: &str = r#"
    [[clients]]
    client_id = "ed"
    id_token_signed_response_alg = "EdDSA"
    redirect_uris = ["http://127.0.0.1:9/cb"]
    secrets = [{ type = "shared", value = "a-shared-client-secret-long-enough-for-hs512-0123456789abcdefghijklmnopq" }]
    [[clients]]
    client_id = "ps"
    id_token_signed_response_alg = "PS256"
    redirect_uris = ["http://127.0.0.1:9/cb"]
    secrets = [{ type = "shared", value = "a-shared-client-secret-long-enough-for-hs512-0123456789abcdefghijklmnopq" }]
    [[clients]]
    client_id = "short"
    access_token_lifetime = "90s"
    redirect_uris = ["http://127.0.0.1:9/cb"]
    secrets = [{ type = "shared", value = "a-shared-client-secret-long-enough-for-hs512-0123456789abcdefghijklmnopq" }]
"#;

async fn server(sections: &str) -> Srv {
    start(sections, &format!("{}{CLIENTS}", key_client("svc", ""))).await
}

async fn token_as(s: &Srv, client: &str, form: &[(&str, &str)]) -> reqwest::Response {
    s.http
        .post(format!("{}/token", s.base))
        .basic_auth(client, Some(SECRET))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn redeem_as(s: &Srv, client: &str, code: &str) -> reqwest::Response {
    token_as(
        s,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

/// The ID token of a token response, verified against `/jwks` with the key its `kid`
/// names; returns its header and claims.
async fn verified_id_token(s: &Srv, t: &Value) -> (Value, Value) {
    verified_by_server(s, t["id_token"].as_str().unwrap()).await
}

#[tokio::test]
async fn id_token_signing_alg_sets_the_servers_id_token_alg_and_at_hash_follows_it() {
    let s = server("[tokens]\nid_token_signing_alg = \"ES256\"").await;
    let t = redeem(&s, &code_for(&s, "rp").await).await;
    let (header, claims) = verified_id_token(&s, &t).await;
    assert_eq!(header["alg"], "ES256");
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(
        claims["at_hash"],
        writ_core::flows::issue::at_hash(JwsAlg::ES256, at)
    );
}

#[tokio::test]
async fn id_token_signed_response_alg_sets_one_clients_alg() {
    let s = server("").await;
    for (client, alg) in [("ed", "EdDSA"), ("ps", "PS256"), ("other", "RS256")] {
        let secret = if client == "other" {
            OTHER_SECRET
        } else {
            SECRET
        };
        let code = code_for(&s, client).await;
        let r = s
            .http
            .post(format!("{}/token", s.base))
            .basic_auth(client, Some(secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{client}");
        let t: Value = r.json().await.unwrap();
        let (header, claims) = verified_id_token(&s, &t).await;
        assert_eq!(header["alg"], alg, "{client}");
        let at_alg: JwsAlg = alg.parse().unwrap();
        assert_eq!(
            claims["at_hash"],
            writ_core::flows::issue::at_hash(at_alg, t["access_token"].as_str().unwrap())
        );
    }
}

#[tokio::test]
async fn discovery_lists_exactly_the_id_token_algs_the_server_has_keys_for() {
    let s = server("").await;
    let d = discovery(&s).await;
    assert_eq!(
        d["id_token_signing_alg_values_supported"],
        json!(["RS256", "PS256", "ES256", "EdDSA"])
    );
    let jwks = jwks(&s).await;
    for alg in ["RS256", "PS256", "ES256", "EdDSA"] {
        assert!(
            jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["alg"] == alg && k["use"] == "sig"),
            "no {alg} key in {jwks}"
        );
    }
}

#[tokio::test]
async fn access_token_lifetime_sets_expires_in_and_exp_server_wide_and_per_client() {
    let s = server("[tokens]\naccess_token_lifetime = \"5m\"").await;
    let t = redeem(&s, &code_for(&s, "rp").await).await;
    assert_eq!(t["expires_in"], 300);
    let at = UnverifiedJws::parse(t["access_token"].as_str().unwrap(), 8192).unwrap();
    let c: Value = serde_json::from_slice(at.payload_bytes()).unwrap();
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 300);
    let r = redeem_as(&s, "short", &code_for(&s, "short").await).await;
    assert_eq!(r.json::<Value>().await.unwrap()["expires_in"], 90);
}

#[tokio::test]
async fn id_token_lifetime_sets_the_id_tokens_exp() {
    let s = server("[tokens]\nid_token_lifetime = \"2m\"").await;
    let t = redeem(&s, &code_for(&s, "rp").await).await;
    let (_, c) = verified_id_token(&s, &t).await;
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 120);
}

#[tokio::test]
async fn code_lifetime_bounds_the_code() {
    let s = server("[tokens]\ncode_lifetime = \"1s\"").await;
    let code = code_for(&s, "rp").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = redeem_as(&s, "rp", &code).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

async fn refresh(s: &Srv, rt: &str) -> reqwest::Response {
    token_as(
        s,
        "rp",
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await
}

#[tokio::test]
async fn refresh_rotation_off_keeps_the_refresh_token_valid() {
    let s = server("[tokens]\nrefresh_rotation = \"off\"").await;
    let t = redeem(&s, &code_for(&s, "rp").await).await;
    let rt = t["refresh_token"].as_str().unwrap();
    for _ in 0..3 {
        let r = refresh(&s, rt).await;
        assert_eq!(r.status(), StatusCode::OK);
        let t2: Value = r.json().await.unwrap();
        assert!(
            t2.get("refresh_token").is_none(),
            "no new refresh token: {t2}"
        );
        assert!(t2["access_token"].is_string());
    }
}

#[tokio::test]
async fn refresh_rotation_rotate_refuses_the_old_refresh_token() {
    let s = server("").await;
    let t = redeem(&s, &code_for(&s, "rp").await).await;
    let rt = t["refresh_token"].as_str().unwrap();
    let t2: Value = refresh(&s, rt).await.json().await.unwrap();
    assert!(t2["refresh_token"].is_string());
    assert_eq!(refresh(&s, rt).await.status(), StatusCode::BAD_REQUEST);
}

fn assertion(claims: Value) -> String {
    rp_assertion(&claims)
}

/// `/token` as `svc` with `assertion` and an unknown code: `invalid_grant` means the client
/// authenticated.
async fn with_assertion(s: &Srv, jwt: &str) -> Value {
    s.http
        .post(format!("{}/token", s.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "unknown"),
            ("redirect_uri", REDIRECT),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", jwt),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn svc_claims(aud: Value, lifetime: i64) -> Value {
    let t = now();
    json!({ "iss": "svc", "sub": "svc", "aud": aud, "jti": unique(), "iat": t, "exp": t + lifetime })
}

#[tokio::test]
async fn an_assertion_living_an_hour_passes_by_default() {
    // Authlib's default client assertion lives 3600 s.
    let s = server("").await;
    let v = with_assertion(&s, &assertion(svc_claims(json!(s.base), 3600))).await;
    assert_eq!(v["error"], "invalid_grant", "{v}");
}

#[tokio::test]
async fn assertion_max_lifetime_refuses_longer_assertions_and_says_by_how_much() {
    let s = server("[client_auth]\nassertion_max_lifetime = \"10m\"").await;
    let v = with_assertion(&s, &assertion(svc_claims(json!(s.base), 3600))).await;
    assert_eq!(v["error"], "invalid_client", "{v}");
    let d = v["error_description"].as_str().unwrap();
    assert!(d.contains("3600 s") && d.contains("600 s"), "{d}");
    let v = with_assertion(&s, &assertion(svc_claims(json!(s.base), 600))).await;
    assert_eq!(v["error"], "invalid_grant", "{v}");
}

#[tokio::test]
async fn assertion_audience_issuer_accepts_only_the_issuer_as_a_string() {
    let s = server("[client_auth]\nassertion_audience = \"issuer\"").await;
    let token = format!("{}/token", s.base);
    for aud in [
        json!(token),
        json!([s.base.clone()]),
        json!([s.base.clone(), token.clone()]),
    ] {
        let v = with_assertion(&s, &assertion(svc_claims(aud.clone(), 60))).await;
        assert_eq!(v["error"], "invalid_client", "{aud}: {v}");
        assert!(
            v["error_description"]
                .as_str()
                .unwrap()
                .contains("single string"),
            "{v}"
        );
    }
    let v = with_assertion(&s, &assertion(svc_claims(json!(s.base), 60))).await;
    assert_eq!(v["error"], "invalid_grant", "{v}");
}

#[tokio::test]
async fn assertion_audience_issuer_or_endpoint_accepts_the_token_endpoint_and_arrays() {
    let s = server("").await;
    let token = format!("{}/token", s.base);
    for aud in [
        json!(token),
        json!([s.base.clone()]),
        json!(["https://elsewhere", token.clone()]),
    ] {
        let v = with_assertion(&s, &assertion(svc_claims(aud.clone(), 60))).await;
        assert_eq!(v["error"], "invalid_grant", "{aud}: {v}");
    }
}

#[test]
fn token_configuration_is_validated_with_the_keys_name() {
    use writ_protocol::config::Config;
    let bad = |v: Value| -> Vec<String> {
        serde_json::from_value::<Config>(v)
            .unwrap()
            .validate()
            .unwrap_err()
    };
    let e = bad(json!({ "tokens": { "code_lifetime": "11m" } }));
    assert!(
        e.iter().any(|e| e.starts_with("tokens.code_lifetime")),
        "{e:?}"
    );
    let e = bad(json!({ "tokens": { "id_token_signing_alg": "HS256" } }));
    assert!(
        e.iter()
            .any(|e| e.starts_with("tokens.id_token_signing_alg")),
        "{e:?}"
    );
    let e = bad(json!({ "tokens": { "id_token_signing_alg": "RS257" } }));
    assert!(e.iter().any(|e| e.contains("unknown algorithm")), "{e:?}");
    let e = bad(json!({ "client_auth": { "assertion_max_lifetime": 0 } }));
    assert!(
        e.iter()
            .any(|e| e.starts_with("client_auth.assertion_max_lifetime")),
        "{e:?}"
    );
    let e = bad(
        json!({ "clients": [{ "client_id": "c", "redirect_uris": ["https://c.example/cb"],
        "id_token_signed_response_alg": "ES384" }] }),
    );
    assert!(
        e.iter()
            .any(|e| e.starts_with("clients[0].id_token_signed_response_alg")),
        "{e:?}"
    );
    assert!(
        serde_json::from_value::<Config>(json!({ "tokens": { "refresh_rotation": "sometimes" } }))
            .is_err()
    );
}
