//! Authorization responses by every response mode over real HTTP (SPEC §14): `query`,
//! `fragment`, `form_post` (OAuth 2.0 Form Post Response Mode) and JARM (`jwt`, `query.jwt`,
//! `fragment.jwt`, `form_post.jwt`), for codes and for errors, `require_jarm`, and the
//! attacks: escaping on the form_post page, a JARM response's audience and lifetime. One test
//! per rule, named after it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;

/// `jarm` must use JARM and signs with ES256; `rp` and `other` are the usual clients.
const CLIENTS: &str = r#"
    [[clients]]
    client_id = "jarm"
    require_jarm = true
    authorization_signed_response_alg = "ES256"
    redirect_uris = ["http://127.0.0.1:9/cb"]
    secrets = [{ type = "shared", value = "a-shared-client-secret-long-enough-for-hs512-0123456789abcdefghijklmnopq" }]
"#;

async fn server() -> Srv {
    start("", CLIENTS).await
}

/// `/authorize` for `client` with the plain parameters, `state` set to `state`, and `extra`.
async fn ask(s: &Srv, client: &str, state: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut q = format!("client_id={client}");
    for (k, v) in plain_params() {
        let v = if k == "state" { state } else { v };
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    for (k, v) in extra {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    authorize(s, &q).await
}

/// The consent response of a flow for `client` with `extra` parameters, answered `decision`.
async fn flow(s: &Srv, client: &str, extra: &[(&str, &str)], decision: &str) -> reqwest::Response {
    let loc = accepted(s, &ask(s, client, "xyz", extra).await);
    login_and_decide(s, &loc, decision).await
}

/// The parameters after the `#` of a redirect.
fn fragment(url: &str) -> HashMap<String, String> {
    let (_, f) = url.split_once('#').expect("a fragment");
    url::form_urlencoded::parse(f.as_bytes())
        .into_owned()
        .collect()
}

/// HTML attribute text as the browser reads it (the entities minijinja writes).
fn unescape(v: &str) -> String {
    v.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The `action` of a form_post page's form, unescaped.
fn form_action(html: &str) -> String {
    let rest = html
        .split("<form method=\"post\" action=\"")
        .nth(1)
        .unwrap();
    unescape(rest.split('"').next().unwrap())
}

/// The `(name, value)` hidden inputs of a form_post page, unescaped.
fn hidden_inputs(html: &str) -> HashMap<String, String> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .map(|rest| {
            let name = rest
                .split("name=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let value = rest
                .split("value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            (unescape(name), unescape(value))
        })
        .collect()
}

#[tokio::test]
async fn the_default_response_mode_is_query() {
    let s = server().await;
    let r = flow(&s, "rp", &[], "allow").await;
    let q = query(&location(&r));
    assert!(q.contains_key("code"));
    assert_eq!(q["state"], "xyz");
    assert_eq!(q["iss"], s.base);
}

#[tokio::test]
async fn fragment_mode_puts_the_response_after_the_hash() {
    let s = server().await;
    let r = flow(&s, "rp", &[("response_mode", "fragment")], "allow").await;
    let loc = location(&r);
    assert!(loc.starts_with(&format!("{REDIRECT}#")), "{loc}");
    let f = fragment(&loc);
    assert!(f.contains_key("code"), "{loc}");
    assert_eq!(f["state"], "xyz");
    assert_eq!(f["iss"], s.base);
}

#[tokio::test]
async fn form_post_mode_answers_a_self_submitting_form_allowed_by_its_csp() {
    let s = server().await;
    let r = flow(&s, "rp", &[("response_mode", "form_post")], "allow").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("form-action http://127.0.0.1:9;"), "{csp}");
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(!csp.contains("unsafe-inline'; form-action 'self'"), "{csp}");
    let html = r.text().await.unwrap();
    assert_eq!(form_action(&html), REDIRECT, "{html}");
    assert!(
        html.contains("<noscript>"),
        "works without JavaScript: {html}"
    );
    let fields = hidden_inputs(&html);
    assert!(fields.contains_key("code"), "{html}");
    assert_eq!(fields["state"], "xyz");
    assert_eq!(fields["iss"], s.base);
}

#[tokio::test]
async fn the_form_post_page_escapes_what_it_echoes() {
    let s = server().await;
    let evil = "\"><script>alert(1)</script>";
    let loc = accepted(
        &s,
        &ask(&s, "rp", evil, &[("response_mode", "form_post")]).await,
    );
    let r = login_and_decide(&s, &loc, "allow").await;
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "{html}");
    assert_eq!(
        html.matches("<script>").count(),
        1,
        "only the page's own script"
    );
    assert_eq!(hidden_inputs(&html)["state"], evil);
}

#[tokio::test]
async fn an_error_goes_by_the_requests_response_mode() {
    let s = server().await;
    let r = flow(&s, "rp", &[("response_mode", "fragment")], "deny").await;
    let f = fragment(&location(&r));
    assert_eq!(f["error"], "access_denied");
    assert_eq!(f["state"], "xyz");
    let r = flow(&s, "rp", &[("response_mode", "form_post")], "deny").await;
    let fields = hidden_inputs(&r.text().await.unwrap());
    assert_eq!(fields["error"], "access_denied");
}

#[tokio::test]
async fn an_unknown_response_mode_is_refused_by_the_default_mode() {
    let s = server().await;
    let r = ask(&s, "rp", "xyz", &[("response_mode", "web_message")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = location(&r);
    assert!(loc.starts_with(&format!("{REDIRECT}?")), "{loc}");
    let q = query(&loc);
    assert_eq!(q["error"], "invalid_request");
    assert!(q["error_description"].contains("response_mode"), "{q:?}");
    assert_eq!(q["state"], "xyz");
}

/// The `response` JWT of a JARM redirect, verified with the server's published key.
async fn jarm_of(s: &Srv, params: &HashMap<String, String>) -> (Value, Value) {
    assert_eq!(
        params.len(),
        1,
        "a JARM response is one parameter: {params:?}"
    );
    verified_by_server(s, &params["response"]).await
}

#[tokio::test]
async fn jwt_mode_sends_one_signed_response_for_the_client() {
    let s = server().await;
    let r = flow(&s, "rp", &[("response_mode", "jwt")], "allow").await;
    let loc = location(&r);
    assert!(loc.starts_with(&format!("{REDIRECT}?response=")), "{loc}");
    let (header, claims) = jarm_of(&s, &query(&loc)).await;
    assert_eq!(header["alg"], "RS256", "JARM §3: RS256 by default");
    assert_eq!(claims["iss"], s.base);
    assert_eq!(claims["aud"], "rp", "for this client only");
    assert_eq!(claims["state"], "xyz");
    assert!(claims["code"].as_str().is_some(), "{claims}");
    let exp = claims["exp"].as_i64().unwrap();
    assert!(
        exp > now() && exp <= now() + 600,
        "exp {exp} within 10 minutes"
    );
    // The code inside is the real one.
    let t = redeem(&s, claims["code"].as_str().unwrap()).await;
    assert!(t["access_token"].is_string());
}

#[tokio::test]
async fn fragment_jwt_and_form_post_jwt_carry_the_same_signed_response() {
    let s = server().await;
    let r = flow(&s, "rp", &[("response_mode", "fragment.jwt")], "allow").await;
    let (_, claims) = jarm_of(&s, &fragment(&location(&r))).await;
    assert!(claims["code"].is_string(), "{claims}");
    let r = flow(&s, "rp", &[("response_mode", "form_post.jwt")], "deny").await;
    let fields = hidden_inputs(&r.text().await.unwrap());
    let (_, claims) = jarm_of(&s, &fields).await;
    assert_eq!(claims["error"], "access_denied");
    assert_eq!(claims["state"], "xyz");
}

#[tokio::test]
async fn authorization_signed_response_alg_sets_the_clients_jarm_alg() {
    let s = server().await;
    let r = flow(&s, "jarm", &[("response_mode", "query.jwt")], "allow").await;
    let (header, claims) = jarm_of(&s, &query(&location(&r))).await;
    assert_eq!(header["alg"], "ES256");
    assert_eq!(claims["aud"], "jarm");
}

#[tokio::test]
async fn require_jarm_gives_jarm_by_default() {
    let s = server().await;
    let r = flow(&s, "jarm", &[], "allow").await;
    let (_, claims) = jarm_of(&s, &query(&location(&r))).await;
    assert!(claims["code"].is_string(), "{claims}");
}

#[tokio::test]
async fn require_jarm_refuses_a_plain_response_mode_and_says_so_by_jarm() {
    let s = server().await;
    for mode in ["query", "fragment", "form_post"] {
        let r = ask(&s, "jarm", "xyz", &[("response_mode", mode)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{mode}");
        let (_, claims) = jarm_of(&s, &query(&location(&r))).await;
        assert_eq!(claims["error"], "invalid_request", "{mode}: {claims}");
        assert!(
            claims["error_description"]
                .as_str()
                .unwrap()
                .contains("JARM"),
            "{claims}"
        );
        assert_eq!(claims["aud"], "jarm");
    }
}

#[tokio::test]
async fn a_signed_request_objects_response_mode_is_used() {
    let s = server().await;
    let mut c = claims(&s.base, "rp");
    c.insert("response_mode".into(), json!("fragment.jwt"));
    c.insert("state".into(), json!("signed-state"));
    let r = authorize(&s, &format!("client_id=rp&request={}", sign(&c))).await;
    let loc = accepted(&s, &r);
    let r = login_and_decide(&s, &loc, "allow").await;
    let (_, claims) = jarm_of(&s, &fragment(&location(&r))).await;
    assert_eq!(claims["state"], "signed-state");
}

#[tokio::test]
async fn a_refused_request_object_is_answered_by_its_verified_response_mode() {
    let s = server().await;
    let mut c = claims(&s.base, "rp");
    c.insert("response_mode".into(), json!("fragment"));
    // Signed, but its `exp` is past: refused after the signature verified (stage 5).
    c.insert("exp".into(), json!(now() - 3600));
    c.insert("iat".into(), json!(now() - 3660));
    let r = authorize(&s, &format!("client_id=rp&request={}", sign(&c))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let f = fragment(&location(&r));
    assert_eq!(f["error"], "invalid_request_object", "{f:?}");
}

#[tokio::test]
async fn an_unverified_request_objects_response_mode_is_never_used() {
    let s = server().await;
    let mut c = claims(&s.base, "rp");
    c.insert("response_mode".into(), json!("fragment"));
    // Signed by a key `rp` never registered: refused before anything in it is trusted.
    let stranger = writ_jose::SigningKey::generate_ec(writ_jose::EcCurve::P256).unwrap();
    let ro = writ_jose::sign_compact(
        json!({ "kid": "ec-1" }).as_object().unwrap(),
        Value::Object(c).to_string().as_bytes(),
        writ_jose::JwsAlg::ES256,
        &stranger,
    )
    .unwrap();
    let r = authorize(
        &s,
        &format!("client_id=rp&redirect_uri={}&request={ro}", enc(REDIRECT)),
    )
    .await;
    let loc = location(&r);
    assert!(loc.starts_with(&format!("{REDIRECT}?")), "{loc}");
    assert!(!loc.contains('#'), "{loc}");
    assert_eq!(query(&loc)["error"], "invalid_request_object");
}

#[tokio::test]
async fn discovery_lists_every_response_mode_and_the_jarm_algs() {
    let s = server().await;
    let d = discovery(&s).await;
    assert_eq!(
        d["response_modes_supported"],
        json!([
            "query",
            "fragment",
            "form_post",
            "jwt",
            "query.jwt",
            "fragment.jwt",
            "form_post.jwt"
        ])
    );
    assert_eq!(
        d["authorization_signing_alg_values_supported"],
        json!(["RS256", "PS256", "ES256", "EdDSA"])
    );
    let encryption = d["authorization_encryption_alg_values_supported"].to_string();
    assert!(encryption.contains("RSA-OAEP-256") && encryption.contains("A256KW"));
    assert!(!encryption.contains("RSA1_5"));
    assert!(
        d["authorization_encryption_enc_values_supported"]
            .to_string()
            .contains("A128CBC-HS256")
    );
}

#[tokio::test]
async fn the_fapi1_advanced_profile_answers_only_by_jarm() {
    let s = start("[jar]\nprofile = \"fapi1-advanced\"", "").await;
    // ES256, with exp, nbf and aud: what FAPI 1.0 Advanced asks of a request object.
    let ro = sign(&claims(&s.base, "rp"));
    let r = authorize(&s, &format!("client_id=rp&request={ro}")).await;
    let loc = accepted(&s, &r);
    let r = login_and_decide(&s, &loc, "allow").await;
    let (header, claims) = jarm_of(&s, &query(&location(&r))).await;
    assert_eq!(header["alg"], "PS256", "FAPI: no RS256");
    assert!(claims["code"].is_string());
}

/// The claims of a JARM response that arrived encrypted: decrypted with `key`, then verified
/// with the server's published key. Also returns the JWE header.
async fn decrypt_jarm(
    s: &Srv,
    params: &HashMap<String, String>,
    key: &writ_jose::DecryptionKey,
) -> (Value, Value) {
    let jwe = writ_jose::EncryptedJwe::parse(&params["response"], 64 * 1024).unwrap();
    let header = serde_json::to_value(jwe.header().get("cty")).unwrap();
    let inner = jwe.decrypt(key).expect("encrypted to the client's key");
    let jws = String::from_utf8(inner.plaintext().to_vec()).unwrap();
    assert_eq!(jws.split('.').count(), 3, "a signed JWT inside (JARM §2.2)");
    let (_, claims) = verified_by_server(s, &jws).await;
    (header, claims)
}

#[tokio::test]
async fn an_encrypted_jarm_response_is_signed_then_encrypted_to_the_clients_enc_key() {
    let key = writ_jose::DecryptionKey::generate_rsa(2048).unwrap();
    let jwk = key.public_jwk("rp-enc-1").unwrap();
    let jwk = serde_json::to_string(&jwk).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&jwk).unwrap()["use"], "enc");
    let clients = format!(
        r#"
        [[clients]]
        client_id = "sealed"
        authorization_encrypted_response_alg = "RSA-OAEP-256"
        authorization_encrypted_response_enc = "A256GCM"
        redirect_uris = ["{REDIRECT}"]
        secrets = [{{ type = "jwk", value = '{jwk}' }}, {{ type = "shared", value = "{SECRET}" }}]
        "#
    );
    let s = start("", &clients).await;
    let r = flow(&s, "sealed", &[("response_mode", "jwt")], "allow").await;
    let params = query(&location(&r));
    assert_eq!(params["response"].split('.').count(), 5, "a JWE");
    let (cty, claims) = decrypt_jarm(&s, &params, &key).await;
    assert_eq!(cty, "JWT");
    assert_eq!(claims["aud"], "sealed");
    assert!(claims["code"].is_string(), "{claims}");
    // An error is sealed the same way.
    let r = ask(
        &s,
        "sealed",
        "xyz",
        &[("response_mode", "fragment.jwt"), ("prompt", "bogus")],
    )
    .await;
    let (_, claims) = decrypt_jarm(&s, &fragment(&location(&r)), &key).await;
    assert_eq!(claims["error"], "invalid_request", "{claims}");
}

#[tokio::test]
async fn a_jarm_response_can_be_encrypted_with_a_key_from_the_client_secret() {
    let clients = format!(
        r#"
        [[clients]]
        client_id = "kw"
        authorization_encrypted_response_alg = "A256KW"
        redirect_uris = ["{REDIRECT}"]
        secrets = [{{ type = "shared", value = "{SECRET}" }}]
        "#
    );
    let s = start("", &clients).await;
    let r = flow(&s, "kw", &[("response_mode", "jwt")], "allow").await;
    let key = writ_jose::DecryptionKey::from_client_secret(
        SECRET.as_bytes(),
        writ_jose::JweAlg::A256Kw,
        writ_jose::JweEnc::A128CbcHs256,
    )
    .unwrap();
    let (_, claims) = decrypt_jarm(&s, &query(&location(&r)), &key).await;
    assert_eq!(claims["aud"], "kw");
}

#[test]
fn jarm_encryption_to_a_public_key_needs_a_registered_enc_key() {
    let config: writ_protocol::client::ClientConfig = serde_json::from_value(json!({
        "client_id": "c",
        "redirect_uris": [REDIRECT],
        "authorization_encrypted_response_alg": "RSA-OAEP-256",
        "secrets": [{ "type": "jwks", "value": rp_jwks() }, { "type": "shared", "value": SECRET }]
    }))
    .unwrap();
    let e = writ_core::clients::Client::from_config(config).unwrap_err();
    assert!(
        format!("{e:?}").contains("\\\"use\\\": \\\"enc\\\""),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_jarm_response_is_encrypted_to_a_key_published_at_the_clients_jwks_uri() {
    let key = writ_jose::DecryptionKey::generate_ec(writ_jose::EcCurve::P256).unwrap();
    let set = json!({ "keys": [rp_jwks_value()["keys"][0], key.public_jwk("enc-1").unwrap()] });
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let body = set.to_string();
            async move { ([("content-type", "application/jwk-set+json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let clients = format!(
        r#"
        [[clients]]
        client_id = "hosted"
        authorization_encrypted_response_alg = "ECDH-ES+A256KW"
        redirect_uris = ["{REDIRECT}"]
        jwks_uri = "{url}"
        secrets = [{{ type = "shared", value = "{SECRET}" }}]
        "#
    );
    let s = start(
        "[jar.request_uri]\nallow_http = true\nallow_private_addresses = true",
        &clients,
    )
    .await;
    let r = flow(&s, "hosted", &[("response_mode", "jwt")], "allow").await;
    let params = query(&location(&r));
    let jwe = writ_jose::EncryptedJwe::parse(&params["response"], 64 * 1024).unwrap();
    assert_eq!(
        jwe.header().get("kid").and_then(Value::as_str),
        Some("enc-1")
    );
    let (_, claims) = decrypt_jarm(&s, &params, &key).await;
    assert_eq!(claims["aud"], "hosted");
}

/// The `rp` JWK set as JSON.
fn rp_jwks_value() -> Value {
    serde_json::from_str(&rp_jwks()).unwrap()
}

/// A JARM response signed before a key rotation still verifies against `/jwks` while its key
/// is retiring, and no longer once the key is retired (the second rotation).
#[tokio::test]
async fn a_jarm_response_verifies_until_its_key_is_retired() {
    let s = server().await;
    let r = flow(&s, "rp", &[("response_mode", "jwt")], "allow").await;
    let jwt = query(&location(&r))["response"].clone();
    let kid = writ_jose::UnverifiedJws::parse(&jwt, 16 * 1024)
        .unwrap()
        .header()
        .kid
        .clone()
        .unwrap();
    let published = |jwks: Value| {
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == kid.as_str())
    };
    let rotate = || async {
        writ_core::keys::rotate(
            s.provider.store.as_ref(),
            writ_core::ports::KeyUse::Sig,
            &writ_core::key_encryption::KeyEncryption::none(),
            &writ_core::ports::SystemRng,
            now(),
        )
        .await
        .unwrap();
        s.provider.keys.reload().await.unwrap();
    };
    rotate().await;
    assert!(published(jwks(&s).await), "a retiring key stays published");
    let (_, claims) = verified_by_server(&s, &jwt).await;
    assert_eq!(claims["aud"], "rp");
    // New responses are signed with the new key.
    let r = flow(&s, "rp", &[("response_mode", "jwt")], "allow").await;
    let newer = query(&location(&r))["response"].clone();
    let new_kid = writ_jose::UnverifiedJws::parse(&newer, 16 * 1024)
        .unwrap()
        .header()
        .kid
        .clone()
        .unwrap();
    assert_ne!(new_kid, kid);
    rotate().await;
    assert!(
        !published(jwks(&s).await),
        "a retired key is gone from /jwks"
    );
}
