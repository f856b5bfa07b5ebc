//! The `fapi2-security` profile (FAPI 2.0 Security Profile, final; SPEC §17) over real HTTP,
//! server-wide and for one client, one test per rule and named after it; and the start-up and
//! `writ client add` refusals of settings and registrations looser than the profile.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::dpop::Holder;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use writ_jose::{JwsAlg, UnverifiedJws};

/// `bank`: a FAPI 2.0 client (private_key_jwt with the `rp` EC key). `rp` and `other` of the
/// harness use shared secrets, which the server-wide profile would refuse, so the server-wide
/// tests start without them.
fn bank(extra: &str) -> String {
    key_client("bank", extra)
}

/// A server with only `bank` (and `sections`), the profile server-wide.
async fn fapi_server(sections: &str) -> Srv {
    fapi_server_as("fapi2-security", "", sections).await
}

/// A server with only `bank` (registered with `bank_extra`), `profile` server-wide.
async fn fapi_server_as(profile: &str, bank_extra: &str, sections: &str) -> Srv {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hash = writ_core::users::hash_password("wonderland", &[1u8; 16]).unwrap();
    let toml = format!(
        r#"
        issuer = "http://{addr}"
        listen = "{addr}"
        [jar]
        profile = "{profile}"
        {sections}
        {bank}
        [[users]]
        username = "alice"
        password_hash = "{hash}"
        "#,
        bank = bank(bank_extra),
    );
    serve(dir, listener, &toml).await
}

fn assertion(aud: Value) -> String {
    let t = now();
    rp_assertion(
        &json!({ "iss": "bank", "sub": "bank", "aud": aud, "jti": unique(),
        "iat": t, "exp": t + 60 }),
    )
}

fn client_auth(s: &Srv) -> Vec<(&'static str, String)> {
    vec![
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
        ),
        ("client_assertion", assertion(json!(s.base))),
    ]
}

async fn post(
    s: &Srv,
    path: &str,
    form: &[(&str, String)],
    proof: Option<&str>,
) -> reqwest::Response {
    let mut r = s.http.post(format!("{}{path}", s.base));
    if let Some(p) = proof {
        r = r.header("DPoP", p);
    }
    r.form(form).send().await.unwrap()
}

/// A push by `bank` with PKCE and a DPoP proof of `h`: the `request_uri`.
async fn push(s: &Srv, h: &Holder) -> reqwest::Response {
    let mut form: Vec<(&str, String)> = plain_params()
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    form.push(("client_id", "bank".into()));
    form.extend(client_auth(s));
    post(
        s,
        "/par",
        &form,
        Some(&h.proof("POST", &format!("{}/par", s.base))),
    )
    .await
}

/// PAR, login, consent: a code bound to `h`'s key.
async fn code(s: &Srv, h: &Holder) -> String {
    let r = push(s, h).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let pushed: Value = r.json().await.unwrap();
    assert!(pushed["expires_in"].as_i64().unwrap() < 600);
    let uri = pushed["request_uri"].as_str().unwrap();
    let loc = accepted(
        s,
        &authorize(s, &format!("client_id=bank&request_uri={}", enc(uri))).await,
    );
    let done = login_and_allow(s, &loc).await;
    let q = query(&done);
    // FAPI 2.0 Security Profile §5.3.2 (RFC 9207): `iss` in the response.
    assert_eq!(q.get("iss"), Some(&s.base));
    q["code"].clone()
}

async fn redeem_code(s: &Srv, code: &str, proof: Option<&str>) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code.to_string()),
        ("redirect_uri", REDIRECT.to_string()),
        ("code_verifier", VERIFIER.to_string()),
    ];
    form.extend(client_auth(s));
    post(s, "/token", &form, proof).await
}

fn token_proof(s: &Srv, h: &Holder) -> String {
    h.proof("POST", &format!("{}/token", s.base))
}

#[tokio::test]
async fn fapi2_security_flow_par_private_key_jwt_dpop_ps256_id_token() {
    let s = fapi_server("").await;
    let h = Holder::ec();
    let code = code(&s, &h).await;
    let r = redeem_code(&s, &code, Some(&token_proof(&s, &h))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["token_type"], "DPoP");
    // An RS256 default becomes PS256 under the profile (SPEC §17).
    let idt = UnverifiedJws::parse(t["id_token"].as_str().unwrap(), 16384).unwrap();
    assert_eq!(idt.header().alg, JwsAlg::PS256);
}

#[tokio::test]
async fn fapi2_security_requires_par() {
    let s = fapi_server("").await;
    let mut q = "client_id=bank".to_string();
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    assert_refused(authorize(&s, &q).await, "invalid_request", "pushed").await;
}

#[tokio::test]
async fn fapi2_security_requires_dpop_for_every_access_token() {
    let s = fapi_server("").await;
    let h = Holder::ec();
    let code = code(&s, &h).await;
    let r = redeem_code(&s, &code, None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "invalid_dpop_proof"
    );
}

#[tokio::test]
async fn fapi2_security_requires_pkce_s256() {
    let s = fapi_server("").await;
    let mut form: Vec<(&str, String)> = plain_params()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("code_challenge"))
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    form.push(("client_id", "bank".into()));
    form.extend(client_auth(&s));
    let r = post(&s, "/par", &form, None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("code_challenge"),
        "{v}"
    );
}

#[tokio::test]
async fn fapi2_security_client_assertion_aud_is_the_issuer_alone() {
    let s = fapi_server("").await;
    for aud in [json!(format!("{}/token", s.base)), json!([s.base.clone()])] {
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", "x".to_string()),
            ("redirect_uri", REDIRECT.to_string()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_string(),
            ),
        ];
        form.push(("client_assertion", assertion(aud.clone())));
        let r = post(&s, "/token", &form, None).await;
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "invalid_client", "{aud}: {v}");
        assert!(
            v["error_description"].as_str().unwrap().contains("issuer"),
            "{v}"
        );
    }
}

#[tokio::test]
async fn fapi2_security_does_not_rotate_refresh_tokens() {
    let s = fapi_server("").await;
    let h = Holder::ec();
    let code = code(&s, &h).await;
    let t: Value = redeem_code(&s, &code, Some(&token_proof(&s, &h)))
        .await
        .json()
        .await
        .unwrap();
    let rt = t["refresh_token"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let mut form = vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", rt.clone()),
        ];
        form.extend(client_auth(&s));
        let r = post(&s, "/token", &form, Some(&token_proof(&s, &h))).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.json::<Value>()
                .await
                .unwrap()
                .get("refresh_token")
                .is_none()
        );
    }
}

#[tokio::test]
async fn fapi2_security_refuses_dpop_proofs_outside_its_algs() {
    let s = fapi_server("[dpop]\nalgs = [\"ES256\", \"RS256\"]").await;
    let d = discovery(&s).await;
    assert_eq!(d["dpop_signing_alg_values_supported"], json!(["ES256"]));
}

#[tokio::test]
async fn fapi2_security_discovery_lists_exactly_what_the_profile_allows() {
    let s = fapi_server("").await;
    let d = discovery(&s).await;
    assert_eq!(
        d["id_token_signing_alg_values_supported"],
        json!(["PS256", "ES256", "EdDSA"])
    );
    assert_eq!(
        d["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt"])
    );
    assert_eq!(d["require_pushed_authorization_requests"], true);
    assert_eq!(
        d["dpop_signing_alg_values_supported"],
        json!(["ES256", "PS256", "EdDSA"])
    );
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    let algs = d["token_endpoint_auth_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(!algs.contains(&json!("RS256")), "{d}");
}

/// The problems `config` (JSON) has, joined.
fn problems(config: Value) -> String {
    serde_json::from_value::<writ_protocol::config::Config>(config)
        .unwrap()
        .validate()
        .err()
        .unwrap_or_default()
        .join("\n")
}

fn fapi(extra: Value) -> Value {
    let mut c = json!({ "jar": { "profile": "fapi2-security" } });
    for (k, v) in extra.as_object().unwrap() {
        match (c.get_mut(k), v) {
            (Some(Value::Object(into)), Value::Object(from)) => {
                into.extend(from.clone());
            }
            _ => {
                c[k] = v.clone();
            }
        }
    }
    c
}

#[test]
fn a_looser_setting_beside_the_profile_stops_start_up_naming_both() {
    for (extra, key) in [
        (
            json!({ "tokens": { "refresh_rotation": "rotate" } }),
            "tokens.refresh_rotation",
        ),
        (
            json!({ "tokens": { "code_lifetime": "2m" } }),
            "tokens.code_lifetime",
        ),
        (json!({ "par": { "lifetime": "10m" } }), "par.lifetime"),
        (
            json!({ "client_auth": { "assertion_audience": "issuer-or-endpoint" } }),
            "client_auth.assertion_audience",
        ),
        (json!({ "dpop": { "enabled": false } }), "dpop.enabled"),
        (
            json!({ "tokens": { "id_token_signing_alg": "RS256" } }),
            "tokens.id_token_signing_alg",
        ),
    ] {
        let p = problems(fapi(extra.clone()));
        assert!(
            p.contains(key) && p.contains("fapi2-security"),
            "{extra}: {p}"
        );
    }
    // The same settings without the profile are fine.
    assert_eq!(
        problems(json!({ "tokens": { "refresh_rotation": "rotate" } })),
        ""
    );
}

fn client(extra: Value) -> Value {
    let mut c = json!({
        "client_id": "c1",
        "redirect_uris": ["https://c1.example/cb"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks_uri": "https://c1.example/jwks",
    });
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

#[test]
fn fapi2_security_refuses_registrations_that_contradict_it_naming_the_client_and_key() {
    for (extra, key) in [
        (
            json!({ "token_endpoint_auth_method": "none" }),
            "token_endpoint_auth_method",
        ),
        (
            json!({ "token_endpoint_auth_method": "client_secret_basic",
                    "secrets": [{ "type": "shared", "value": "a-long-enough-secret-0123456789abcdef" }] }),
            "private_key_jwt",
        ),
        (
            json!({ "redirect_uris": ["http://c1.example/cb"] }),
            "redirect_uris[0]",
        ),
        (
            json!({ "id_token_signed_response_alg": "RS256" }),
            "id_token_signed_response_alg",
        ),
        (json!({ "require_pkce": false }), "require_pkce"),
    ] {
        let p = problems(json!({
            "jar": { "profile": "fapi2-security" },
            "clients": [client(extra.clone())],
        }));
        assert!(
            p.contains("clients[0] (\"c1\")") && p.contains(key),
            "{extra}: {p}"
        );
    }
    // Loopback http is allowed (RFC 8252 §7.3), and a compliant client passes.
    let ok = problems(json!({
        "jar": { "profile": "fapi2-security" },
        "clients": [client(json!({ "redirect_uris": ["http://127.0.0.1:9/cb"] }))],
    }));
    assert_eq!(ok, "");
}

#[tokio::test]
async fn writ_client_add_refuses_a_registration_that_contradicts_the_profile() {
    let s = fapi_server("").await;
    let file = s.dir.path().join("public.json");
    std::fs::write(
        &file,
        client(json!({ "token_endpoint_auth_method": "none" })).to_string(),
    )
    .unwrap();
    let e = writ_server::admin::client_add(&s.provider, file.to_str().unwrap())
        .await
        .unwrap_err();
    assert!(
        e.contains("token_endpoint_auth_method") && e.contains("fapi2-security"),
        "{e}"
    );
}

/// A client's own `profile` applies to that client alone: `bank` is under FAPI 2.0 beside
/// `rp`, an ordinary client.
#[tokio::test]
async fn a_clients_own_profile_applies_to_it_alone() {
    let s = start("", &bank("profile = \"fapi2-security\"")).await;
    let mut q = String::new();
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    // The ordinary client goes direct.
    accepted(&s, &authorize(&s, &format!("client_id=rp{q}")).await);
    // The FAPI client must push.
    assert_refused(
        authorize(&s, &format!("client_id=bank{q}")).await,
        "invalid_request",
        "pushed",
    )
    .await;
    // And its tokens must be DPoP-bound.
    let h = Holder::ec();
    let code = code(&s, &h).await;
    let r = redeem_code(&s, &code, None).await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "invalid_dpop_proof"
    );
    // Discovery stays the server's: the profile is the client's.
    assert_eq!(
        discovery(&s).await["require_pushed_authorization_requests"],
        false
    );
}

#[test]
fn fapi1_advanced_refuses_a_client_allowed_unsigned_request_objects() {
    let p = problems(json!({
        "jar": { "profile": "fapi1-advanced" },
        "clients": [{ "client_id": "loose", "redirect_uris": ["https://l.example/cb"],
            "token_endpoint_auth_method": "none", "allow_unsigned_by_value": true }],
    }));
    assert!(
        p.contains("allow_unsigned_by_value") && p.contains("fapi1-advanced"),
        "{p}"
    );
}

/// FAPI 2.0 Message Signing (SPEC §17): a signed request object pushed, the authorization
/// response by JARM for a client registered for it (PS256, the profile's default), and a
/// signed introspection answer on request (PS256); discovery lists only the profile's algs.
#[tokio::test]
async fn fapi2_message_signing_answers_by_jarm_and_signs_introspection() {
    let s = fapi_server_as("fapi2-message-signing", "require_jarm = true", "").await;
    let h = Holder::ec();
    let mut form: Vec<(&str, String)> = vec![
        ("client_id", "bank".into()),
        ("request", sign(&claims(&s.base, "bank"))),
    ];
    form.extend(client_auth(&s));
    let r = post(
        &s,
        "/par",
        &form,
        Some(&h.proof("POST", &format!("{}/par", s.base))),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let uri = r.json::<Value>().await.unwrap()["request_uri"]
        .as_str()
        .unwrap()
        .to_string();
    let loc = accepted(
        &s,
        &authorize(&s, &format!("client_id=bank&request_uri={}", enc(&uri))).await,
    );
    let done = login_and_allow(&s, &loc).await;
    let q = query(&done);
    assert!(
        !q.contains_key("code"),
        "only inside the JARM response: {done}"
    );
    let (header, claims) = verified_by_server(&s, &q["response"]).await;
    assert_eq!(header["alg"], "PS256");
    assert_eq!(claims["aud"], "bank");
    assert_eq!(claims["iss"], s.base);
    let code = claims["code"].as_str().unwrap();
    let r = redeem_code(&s, code, Some(&token_proof(&s, &h))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();

    let mut form: Vec<(&str, String)> = vec![
        ("client_id", "bank".into()),
        ("token", t["access_token"].as_str().unwrap().into()),
    ];
    form.extend(client_auth(&s));
    let r = s
        .http
        .post(format!("{}/introspect", s.base))
        .header("accept", "application/token-introspection+jwt")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (header, claims) = verified_by_server(&s, &r.text().await.unwrap()).await;
    assert_eq!(header["alg"], "PS256");
    assert_eq!(claims["token_introspection"]["active"], true, "{claims}");
    assert_eq!(claims["token_introspection"]["token_type"], "DPoP");

    let d = discovery(&s).await;
    for key in [
        "authorization_signing_alg_values_supported",
        "introspection_signing_alg_values_supported",
    ] {
        assert_eq!(d[key], json!(["PS256", "ES256", "EdDSA"]), "{key}");
    }
    assert_eq!(
        d["introspection_endpoint_auth_methods_supported"],
        json!(["private_key_jwt"])
    );
}
