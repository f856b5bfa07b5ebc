//! Pushed authorization requests (RFC 9126; SPEC §6) through the real server on 127.0.0.1:0
//! with the embedded store. One test per rule, named after it. The multi-node rules (pushed on
//! one `writ serve`, used on another, on one PostgreSQL database) are in `par_two_nodes.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `POST /par` as `rp` with client_secret_basic and `params`.
async fn push(s: &Srv, params: &[(&str, &str)]) -> reqwest::Response {
    push_as(s, "rp", SECRET, params).await
}

async fn push_as(s: &Srv, id: &str, secret: &str, params: &[(&str, &str)]) -> reqwest::Response {
    s.http
        .post(format!("{}/par", s.base))
        .basic_auth(id, Some(secret))
        .form(params)
        .send()
        .await
        .unwrap()
}

/// A successful push: 201, no-store, the URN and `expires_in`. Returns the request_uri.
async fn pushed(r: reqwest::Response) -> String {
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v: Value = r.json().await.unwrap();
    let uri = v["request_uri"].as_str().unwrap().to_string();
    assert!(
        uri.starts_with("urn:ietf:params:oauth:request_uri:"),
        "{uri}"
    );
    assert!(v["expires_in"].as_i64().unwrap() > 0);
    uri
}

/// A refused push: JSON `error` with `status`, never a redirect. Returns the description.
async fn push_refused(r: reqwest::Response, status: StatusCode, error: &str) -> String {
    assert_eq!(r.status(), status);
    assert!(r.headers().get("location").is_none());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], error, "{v}");
    v["error_description"].as_str().unwrap().to_string()
}

async fn use_uri(s: &Srv, client: &str, uri: &str) -> reqwest::Response {
    authorize(s, &format!("client_id={client}&request_uri={}", enc(uri))).await
}

#[tokio::test]
async fn pushed_plain_parameters_complete_the_code_flow() {
    let s = start("", "").await;
    let uri = pushed(push(&s, &plain_params()).await).await;
    let loc = accepted(&s, &use_uri(&s, "rp", &uri).await);
    let view = interaction_json(&s, &loc).await;
    assert_eq!(view["transport"], "pushed");
    let back = login_and_allow(&s, &loc).await;
    let q = query(&back);
    assert_eq!(q["state"], "pushed-state");
    let tokens = redeem(&s, &q["code"]).await;
    assert!(tokens["id_token"].is_string());
}

#[tokio::test]
async fn the_consent_page_says_a_plain_pushed_request_came_from_the_authenticated_client() {
    let s = start("", "").await;
    let uri = pushed(push(&s, &plain_params()).await).await;
    let loc = accepted(&s, &use_uri(&s, "rp", &uri).await);
    let view = interaction_json(&s, &loc).await;
    s.http
        .post(view["endpoints"]["login"].as_str().unwrap())
        .form(&[
            ("username", "alice"),
            ("password", "wonderland"),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let page = s.http.get(&loc).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Pushed to this server as plain parameters: not signed."),
        "{page}"
    );
}

#[tokio::test]
async fn a_pushed_request_object_completes_the_code_flow() {
    let s = start("", "").await;
    let ro = sign(&claims(&s.base, "rp"));
    let uri = pushed(push(&s, &[("request", &ro)]).await).await;
    let loc = accepted(&s, &use_uri(&s, "rp", &uri).await);
    let view = interaction_json(&s, &loc).await;
    assert_eq!(view["transport"], "pushed");
    assert_eq!(view["request_object_header"]["alg"], "ES256");
    let back = login_and_allow(&s, &loc).await;
    let q = query(&back);
    assert_eq!(q["state"], "ro-state");
    redeem(&s, &q["code"]).await;
}

/// SPEC §12: `writ_request_objects_total{outcome="accepted"}` counts request objects; a plain
/// pushed request is not one, a pushed request object is (transport `pushed`).
#[tokio::test]
async fn only_pushed_request_objects_count_as_accepted_request_objects() {
    use writ_core::authorize::Transport;
    let s = start("", "").await;
    let plain = pushed(push(&s, &plain_params()).await).await;
    assert_eq!(next(&s, &pushed_uri(&plain)).await, None);
    let ro = sign(&claims(&s.base, "rp"));
    let object = pushed(push(&s, &[("request", &ro)]).await).await;
    assert_eq!(
        next(&s, &pushed_uri(&object)).await,
        Some(Transport::Pushed)
    );
    let by_value = format!(
        "client_id=rp&request={}",
        enc(&sign(&claims(&s.base, "rp")))
    );
    assert_eq!(next(&s, &by_value).await, Some(Transport::ByValue));
    let plain_query = plain_params()
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let plain_query = format!("client_id=rp&{plain_query}");
    assert_eq!(next(&s, &plain_query).await, None);
}

/// The query that uses a pushed request.
fn pushed_uri(uri: &str) -> String {
    format!("client_id=rp&request_uri={}", enc(uri))
}

/// What `/authorize?{query}` counts as an accepted request object, if anything.
async fn next(s: &Srv, query: &str) -> Option<writ_core::authorize::Transport> {
    let next = s.provider.authorize(query.as_bytes(), None).await.unwrap();
    next.request_object_transport
}

#[tokio::test]
async fn the_request_uri_carries_at_least_128_random_bits() {
    let s = start("", "").await;
    let a = pushed(push(&s, &plain_params()).await).await;
    let b = pushed(push(&s, &plain_params()).await).await;
    assert_ne!(a, b);
    let reference = a.trim_start_matches("urn:ietf:params:oauth:request_uri:");
    // base64url: 6 bits per character; 22 characters are 132 bits.
    assert!(reference.len() >= 22, "{reference}");
}

#[tokio::test]
async fn a_pushed_request_is_used_once() {
    let s = start("", "").await;
    let uri = pushed(push(&s, &plain_params()).await).await;
    accepted(&s, &use_uri(&s, "rp", &uri).await);
    assert_refused(
        use_uri(&s, "rp", &uri).await,
        "invalid_request_uri",
        "already used",
    )
    .await;
}

#[tokio::test]
async fn a_pushed_request_expires_after_its_lifetime() {
    let s = start("[par]\nlifetime = \"1s\"", "").await;
    let r = push(&s, &plain_params()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["expires_in"], 1);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_refused(
        use_uri(&s, "rp", v["request_uri"].as_str().unwrap()).await,
        "invalid_request_uri",
        "expired",
    )
    .await;
}

#[tokio::test]
async fn a_pushed_request_is_bound_to_the_client_that_pushed_it() {
    let s = start("", "").await;
    let uri = pushed(push(&s, &plain_params()).await).await;
    assert_refused(
        use_uri(&s, "other", &uri).await,
        "invalid_request_uri",
        "another client",
    )
    .await;
    // The other client's attempt did not burn it.
    accepted(&s, &use_uri(&s, "rp", &uri).await);
}

#[tokio::test]
async fn a_pushed_request_whose_redirect_uri_was_unregistered_meanwhile_is_refused() {
    let s = start("", "").await;
    let uri = pushed(push(&s, &plain_params()).await).await;
    let mut config = s
        .provider
        .clients
        .get("rp")
        .await
        .unwrap()
        .unwrap()
        .config
        .clone();
    config.redirect_uris = vec!["http://127.0.0.1:9/elsewhere".into()];
    s.provider.clients.put(config, now()).await.unwrap();
    // Refused, and told at the client's only redirect_uri, which is now the new one.
    let r = use_uri(&s, "rp", &uri).await;
    let q = query(&location(&r));
    assert!(location(&r).starts_with("http://127.0.0.1:9/elsewhere?"));
    assert_eq!(q["error"], "invalid_request_uri");
    assert!(q["error_description"].contains("no longer registered"));
}

#[tokio::test]
async fn an_unknown_pushed_request_uri_is_refused() {
    let s = start("", "").await;
    assert_refused(
        use_uri(
            &s,
            "rp",
            "urn:ietf:params:oauth:request_uri:not-one-we-issued",
        )
        .await,
        "invalid_request_uri",
        "unknown",
    )
    .await;
}

#[tokio::test]
async fn par_authenticates_the_client_like_the_token_endpoint() {
    let s = start("", "").await;
    let r = push_as(&s, "rp", "wrong-secret", &plain_params()).await;
    assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"writ\"");
    push_refused(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    // No credentials at all.
    let mut params = plain_params();
    params.push(("client_id", "rp"));
    let r = s
        .http
        .post(format!("{}/par", s.base))
        .form(&params)
        .send()
        .await
        .unwrap();
    push_refused(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn client_secret_post_works_at_par() {
    let s = start(
        "",
        &format!(
            r#"
        [[clients]]
        client_id = "poster"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "client_secret_post"
        secrets = [{{ type = "shared", value = "{SECRET}" }}]
        "#
        ),
    )
    .await;
    let mut params = plain_params();
    params.push(("client_id", "poster"));
    params.push(("client_secret", SECRET));
    let r = s
        .http
        .post(format!("{}/par", s.base))
        .form(&params)
        .send()
        .await
        .unwrap();
    let uri = pushed(r).await;
    accepted(&s, &use_uri(&s, "poster", &uri).await);
}

#[tokio::test]
async fn private_key_jwt_at_par_accepts_the_par_endpoint_as_audience() {
    let s = start("", &key_client("signer", "")).await;
    for aud in [format!("{}/par", s.base), format!("{}/token", s.base)] {
        let t = now();
        let assertion = writ_jose::sign_compact(
            json!({ "kid": "ec-1" }).as_object().unwrap(),
            &serde_json::to_vec(&json!({
                "iss": "signer", "sub": "signer", "aud": aud,
                "iat": t, "exp": t + 60, "jti": unique(),
            }))
            .unwrap(),
            writ_jose::JwsAlg::ES256,
            rp_key(),
        )
        .unwrap();
        let mut params = plain_params();
        params.push(("client_id", "signer"));
        params.push((
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ));
        params.push(("client_assertion", &assertion));
        let r = s
            .http
            .post(format!("{}/par", s.base))
            .form(&params)
            .send()
            .await
            .unwrap();
        pushed(r).await;
    }
}

#[tokio::test]
async fn fapi_profiles_narrow_the_client_assertion_algorithms() {
    let ed = writ_jose::SigningKey::generate_ed25519().unwrap();
    let mut jwk = ed.public_jwk("ed-1").unwrap();
    jwk.alg = None;
    let jwks = json!({ "keys": [jwk] }).to_string();
    let s = start(
        "[jar]\nprofile = \"fapi1-advanced\"",
        &format!(
            r#"
        [[clients]]
        client_id = "signer"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "private_key_jwt"
        secrets = [{{ type = "jwks", value = '{jwks}' }}]
        "#
        ),
    )
    .await;
    let d = discovery(&s).await;
    assert_eq!(
        d["token_endpoint_auth_signing_alg_values_supported"],
        json!(["PS256", "ES256"])
    );
    let t = now();
    let assertion = writ_jose::sign_compact(
        json!({ "kid": "ed-1" }).as_object().unwrap(),
        &serde_json::to_vec(&json!({
            "iss": "signer", "sub": "signer", "aud": format!("{}/par", s.base),
            "iat": t, "exp": t + 60, "jti": unique(),
        }))
        .unwrap(),
        writ_jose::JwsAlg::EdDSA,
        &ed,
    )
    .unwrap();
    let r = s
        .http
        .post(format!("{}/par", s.base))
        .form(&[
            ("client_id", "signer"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
            ("request", sign(&claims(&s.base, "signer")).as_str()),
        ])
        .send()
        .await
        .unwrap();
    push_refused(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn parameters_beside_a_pushed_request_object_are_refused() {
    let s = start("", "").await;
    let ro = sign(&claims(&s.base, "rp"));
    let d = push_refused(
        push(&s, &[("request", &ro), ("scope", "openid")]).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    assert!(
        d.contains("'scope' must be inside the request object"),
        "{d}"
    );
    // client_id beside it is client authentication, and allowed.
    pushed(push(&s, &[("request", &ro), ("client_id", "rp")]).await).await;
}

#[tokio::test]
async fn duplicate_parameters_at_par_are_refused() {
    let s = start("", "").await;
    let mut params = plain_params();
    params.push(("scope", "openid"));
    let d = push_refused(
        push(&s, &params).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    assert!(d.contains("more than once"), "{d}");
}

#[tokio::test]
async fn request_uri_is_refused_at_par() {
    let s = start("", "").await;
    let mut params = plain_params();
    params.push(("request_uri", "urn:ietf:params:oauth:request_uri:abc"));
    let d = push_refused(
        push(&s, &params).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    assert!(d.contains("request_uri must not be sent"), "{d}");
}

#[tokio::test]
async fn client_id_at_par_must_name_the_authenticated_client() {
    let s = start("", "").await;
    let mut params = plain_params();
    params.push(("client_id", "other"));
    // Basic names `rp`, the body names `other`: which client is this? Neither.
    push_refused(
        push(&s, &params).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn par_validates_like_authorize_and_answers_json_never_a_redirect() {
    let s = start("", "").await;
    let mut params = plain_params();
    params.retain(|(k, _)| *k != "scope");
    params.push(("scope", "openid admin"));
    push_refused(
        push(&s, &params).await,
        StatusCode::BAD_REQUEST,
        "invalid_scope",
    )
    .await;
    let params: Vec<_> = plain_params()
        .into_iter()
        .map(|(k, v)| {
            if k == "redirect_uri" {
                (k, "https://evil.example/cb")
            } else {
                (k, v)
            }
        })
        .collect();
    push_refused(
        push(&s, &params).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn a_bad_pushed_request_object_is_refused_and_counted() {
    let s = start("", "").await;
    let mut c = claims(&s.base, "rp");
    c.insert("iss".into(), "someone-else".into());
    let d = push_refused(
        push(&s, &[("request", &sign(&c))]).await,
        StatusCode::BAD_REQUEST,
        "invalid_request_object",
    )
    .await;
    assert!(d.contains("iss"), "{d}");
    let m = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        m.lines()
            .any(|l| l.starts_with("writ_request_objects_total") && l.contains("reason=\"iss\"")),
        "{m}"
    );
}

#[tokio::test]
async fn require_par_refuses_direct_requests_from_that_client() {
    let s = start(
        "",
        &format!(
            r#"
        [[clients]]
        client_id = "strict"
        redirect_uris = ["{REDIRECT}"]
        require_par = true
        secrets = [{{ type = "shared", value = "{SECRET}" }}]
        "#
        ),
    )
    .await;
    let direct = format!(
        "client_id=strict&response_type=code&scope=openid&redirect_uri={}&code_challenge={CHALLENGE}&code_challenge_method=S256",
        enc(REDIRECT)
    );
    assert_refused(
        authorize(&s, &direct).await,
        "invalid_request",
        "pushed authorization requests",
    )
    .await;
    let uri = pushed(push_as(&s, "strict", SECRET, &plain_params()).await).await;
    accepted(&s, &use_uri(&s, "strict", &uri).await);
    // Other clients are not affected.
    let direct_rp = direct.replace("client_id=strict", "client_id=rp");
    accepted(&s, &authorize(&s, &direct_rp).await);
}

#[tokio::test]
async fn par_require_server_wide_is_advertised_and_enforced() {
    let s = start("[par]\nrequire = true", "").await;
    let d: Value = s
        .http
        .get(format!("{}/.well-known/oauth-authorization-server", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["require_pushed_authorization_requests"], true);
    let direct = format!(
        "client_id=rp&response_type=code&scope=openid&redirect_uri={}&code_challenge={CHALLENGE}&code_challenge_method=S256",
        enc(REDIRECT)
    );
    assert_refused(
        authorize(&s, &direct).await,
        "invalid_request",
        "pushed authorization requests",
    )
    .await;
}

#[tokio::test]
async fn fapi2_message_signing_requires_a_signed_request_object_at_par() {
    // The profile on one client (a server-wide one would refuse the harness's shared-secret
    // clients at start-up): FAPI 2.0 wants private_key_jwt, the assertion's aud the issuer.
    let s = start(
        "",
        &key_client("signer", "profile = \"fapi2-message-signing\""),
    )
    .await;
    let as_signer = |s: &Srv, params: &[(&str, &str)]| {
        let t = now();
        let assertion = writ_jose::sign_compact(
            json!({ "kid": "ec-1" }).as_object().unwrap(),
            &serde_json::to_vec(&json!({
                "iss": "signer", "sub": "signer", "aud": s.base,
                "iat": t, "exp": t + 60, "jti": unique(),
            }))
            .unwrap(),
            writ_jose::JwsAlg::ES256,
            rp_key(),
        )
        .unwrap();
        let mut form: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        form.push(("client_id".into(), "signer".into()));
        form.push((
            "client_assertion_type".into(),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
        ));
        form.push(("client_assertion".into(), assertion));
        s.http.post(format!("{}/par", s.base)).form(&form).send()
    };
    let d = push_refused(
        as_signer(&s, &plain_params()).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    assert!(d.contains("signed request object"), "{d}");
    let ro = sign(&claims(&s.base, "signer"));
    let uri = pushed(as_signer(&s, &[("request", &ro)]).await.unwrap()).await;
    accepted(&s, &use_uri(&s, "signer", &uri).await);
    // FAPI 2.0: the authorization endpoint takes pushed requests only.
    let by_value = format!(
        "client_id=signer&request={}",
        enc(&sign(&claims(&s.base, "signer")))
    );
    assert_refused(
        authorize(&s, &by_value).await,
        "invalid_request",
        "pushed authorization requests",
    )
    .await;
}

#[tokio::test]
async fn discovery_advertises_the_par_endpoint() {
    let s = start("", "").await;
    let d = discovery(&s).await;
    assert_eq!(
        d["pushed_authorization_request_endpoint"],
        format!("{}/par", s.base)
    );
    assert_eq!(d["require_pushed_authorization_requests"], false);
}

#[tokio::test]
async fn disabled_par_has_no_endpoint_and_its_urns_are_refused() {
    let s = start("[par]\nenabled = false", "").await;
    let r = push(&s, &plain_params()).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let d = discovery(&s).await;
    assert!(d.get("pushed_authorization_request_endpoint").is_none());
    assert_refused(
        use_uri(&s, "rp", "urn:ietf:params:oauth:request_uri:abc").await,
        "invalid_request_uri",
        "not enabled",
    )
    .await;
}

#[tokio::test]
async fn par_needs_a_form_body() {
    let s = start("", "").await;
    let r = s
        .http
        .post(format!("{}/par", s.base))
        .basic_auth("rp", Some(SECRET))
        .json(&json!({"scope": "openid"}))
        .send()
        .await
        .unwrap();
    push_refused(r, StatusCode::BAD_REQUEST, "invalid_request").await;
}

/// SPEC §9: `client_secret_basic` credentials are form-decoded (RFC 6749 §2.3.1), and a secret
/// that only matches as sent (a client that skipped the encoding, with `+` or `%` in it) is
/// accepted too; anything else still fails.
#[tokio::test]
async fn basic_secret_matches_form_decoded_or_as_sent() {
    let secret = "a+b%2F/c";
    let s = start(
        "",
        &format!(
            r#"[[clients]]
            client_id = "plus"
            redirect_uris = ["{REDIRECT}"]
            secrets = [{{ type = "shared", value = "{secret}" }}]"#
        ),
    )
    .await;
    let raw = |id: &str, secret: &str| {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    };
    let mut params = plain_params();
    params.retain(|(k, _)| *k != "client_id");
    params.push(("client_id", "plus"));
    let send = |auth: String| {
        let params = params.clone();
        let s = &s;
        async move {
            s.http
                .post(format!("{}/par", s.base))
                .header("authorization", auth)
                .form(&params)
                .send()
                .await
                .unwrap()
        }
    };
    // As RFC 6749 §2.3.1 says: form-encoded.
    pushed(send(raw("plus", "a%2Bb%252F%2Fc")).await).await;
    // As most libraries send it: not encoded.
    pushed(send(raw("plus", secret)).await).await;
    // Neither reading matches.
    for wrong in ["a b%2F/c", "a+b/c", "a%2Bb%2F%2Fc", ""] {
        push_refused(
            send(raw("plus", wrong)).await,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        )
        .await;
    }
}
