//! Request objects by value (RFC 9101, SPEC §4 stages 2–7, §7, §8) over real HTTP on
//! 127.0.0.1:0 with the embedded store: one test per rule, named after it, including the
//! attacks of issue 4.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::OnceLock;
use writ_jose::{
    EcCurve, EncryptionKey, JweAlg, JweEnc, Jwk, JwsAlg, SigningKey, SigningKeyKind,
    encrypt_compact, sign_compact,
};

mod common;

use common::{
    CHALLENGE, REDIRECT, SECRET, Srv, VERIFIER, accepted, enc as urlencode, interaction_json,
    location, now, query, unique,
};

struct Keys {
    rsa: SigningKey,
    ec256: SigningKey,
    ec384: SigningKey,
    ec521: SigningKey,
    ed: SigningKey,
    other_rsa: SigningKey,
    attacker: SigningKey,
    cert_key: SigningKey,
}

impl Keys {
    /// A P-256 key that no client registered.
    fn unregistered_p256(&self) -> SigningKey {
        SigningKey::generate_ec(EcCurve::P256).unwrap()
    }
}

fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| Keys {
        rsa: SigningKey::generate_rsa(2048).unwrap(),
        ec256: SigningKey::generate_ec(EcCurve::P256).unwrap(),
        ec384: SigningKey::generate_ec(EcCurve::P384).unwrap(),
        ec521: SigningKey::generate_ec(EcCurve::P521).unwrap(),
        ed: SigningKey::generate_ed25519().unwrap(),
        other_rsa: SigningKey::generate_rsa(2048).unwrap(),
        attacker: SigningKey::generate_rsa(2048).unwrap(),
        cert_key: SigningKey::from_pkcs8(
            SigningKeyKind::Ec(EcCurve::P256),
            include_bytes!("../../jose/tests/data/p256.pk8.der"),
        )
        .unwrap(),
    })
}

/// The key and `kid` registered for `alg` in client `rp`.
fn key_for(alg: JwsAlg) -> (&'static SigningKey, &'static str) {
    let k = keys();
    match alg {
        JwsAlg::ES256 => (&k.ec256, "ec-256"),
        JwsAlg::ES384 => (&k.ec384, "ec-384"),
        JwsAlg::ES512 => (&k.ec521, "ec-521"),
        JwsAlg::EdDSA | JwsAlg::Ed25519 => (&k.ed, "ed-1"),
        _ => (&k.rsa, "rsa-1"),
    }
}

/// A public JWK without `alg`, so the RSA key serves RS* and PS* alike.
fn jwk(key: &SigningKey, kid: &str) -> Jwk {
    let mut j = key.public_jwk(kid).unwrap();
    j.alg = None;
    j
}

fn rp_jwks() -> String {
    let k = keys();
    let jwks = json!({ "keys": [
        jwk(&k.rsa, "rsa-1"),
        jwk(&k.ec256, "ec-256"),
        jwk(&k.ec384, "ec-384"),
        jwk(&k.ec521, "ec-521"),
        jwk(&k.ed, "ed-1"),
    ]});
    jwks.to_string()
}

/// Start a server with `[jar]` settings `jar` (TOML lines) and the standard clients.
async fn start(jar: &str) -> Srv {
    start_with(jar, "").await
}

/// Like [`start`], with more `[[clients]]` (TOML).
async fn start_with(jar: &str, more_clients: &str) -> Srv {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let hash = writ_core::users::hash_password("wonderland", &[1u8; 16]).unwrap();
    let k = keys();
    let rp = rp_jwks();
    let other = json!({ "keys": [jwk(&k.other_rsa, "rsa-1")] }).to_string();
    let cert = include_str!("../../jose/tests/data/p256.cert.pem").replace('\n', "\\n");
    // A client allowed unsigned objects contradicts a FAPI profile, which refuses it at
    // start-up (SPEC §17): the profile tests run without it.
    let loose = if jar.contains("profile") {
        String::new()
    } else {
        format!(
            "[[clients]]\nclient_id = \"loose\"\nredirect_uris = [\"{REDIRECT}\"]\n\
             token_endpoint_auth_method = \"none\"\nallow_unsigned_by_value = true"
        )
    };
    let client = |id: &str, extra: &str| {
        format!(
            r#"
        [[clients]]
        client_id = "{id}"
        redirect_uris = ["{REDIRECT}"]
        secrets = [{{ type = "jwks", value = '{rp}' }}, {{ type = "shared", value = "{SECRET}" }}]
        {extra}
        "#
        )
    };
    let toml = format!(
        r#"
        issuer = "{base}"
        listen = "{addr}"
        [jar]
        {jar}
        {rp_client}
        {pinned}
        {sealed}
        {aliased}
        {jarred}
        [[clients]]
        client_id = "other"
        redirect_uris = ["{REDIRECT}"]
        secrets = [{{ type = "jwks", value = '{other}' }}, {{ type = "shared", value = "another-secret-that-is-long-enough-0123456789abcdef" }}]
        {loose}
        [[clients]]
        client_id = "certified"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "none"
        secrets = [{{ type = "x509", value = "{cert}" }}]
        [[clients]]
        client_id = "rsa-only"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "none"
        secrets = [{{ type = "jwk", value = '{rsa_jwk}' }}]
        {more_clients}
        [[users]]
        username = "alice"
        password_hash = "{hash}"
        "#,
        rp_client = client("rp", ""),
        pinned = client("pinned", r#"request_object_signing_alg = "ES256""#),
        sealed = client(
            "sealed",
            "request_object_encryption_alg = \"RSA-OAEP-256\"\nrequest_object_encryption_enc = \"A256GCM\""
        ),
        aliased = client("aliased", r#"request_object_issuer = "urn:example:rp""#),
        jarred = client("jarred", "require_signed_request_object = true"),
        rsa_jwk = serde_json::to_string(&k.rsa.public_jwk("rsa-1").unwrap()).unwrap(),
    );
    common::serve(dir, listener, &toml).await
}

/// A complete, valid claim set for `client`.
fn claims(s: &Srv, client: &str) -> Map<String, Value> {
    let t = now();
    json!({
        "iss": client,
        "aud": s.base,
        "iat": t,
        "exp": t + 300,
        "jti": format!("jti-{}", unique()),
        "client_id": client,
        "response_type": "code",
        "scope": "openid profile",
        "redirect_uri": REDIRECT,
        "state": "ro-state",
        "nonce": "ro-nonce",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    })
    .as_object()
    .unwrap()
    .clone()
}

fn sign_with(claims: &Map<String, Value>, alg: JwsAlg, key: &SigningKey, header: Value) -> String {
    let mut h = header.as_object().cloned().unwrap_or_default();
    h.entry("typ").or_insert(json!("oauth-authz-req+jwt"));
    sign_compact(&h, &serde_json::to_vec(claims).unwrap(), alg, key).unwrap()
}

/// Sign `claims` with the `rp` key registered for `alg`.
fn sign(claims: &Map<String, Value>, alg: JwsAlg) -> String {
    if matches!(alg, JwsAlg::HS256 | JwsAlg::HS384 | JwsAlg::HS512) {
        let key = SigningKey::from_shared_secret(SECRET.as_bytes()).unwrap();
        return sign_with(claims, alg, &key, json!({}));
    }
    let (key, kid) = key_for(alg);
    sign_with(claims, alg, key, json!({ "kid": kid }))
}

/// An unsecured JWS (`alg: none`).
fn unsigned(claims: &Map<String, Value>) -> String {
    let b = |v: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, v);
    format!(
        "{}.{}.",
        b(br#"{"alg":"none"}"#),
        b(&serde_json::to_vec(claims).unwrap())
    )
}

/// Encrypt `plaintext` to the server's published key for `alg` (or the client secret).
async fn encrypt(s: &Srv, plaintext: &str, alg: JweAlg, enc: JweEnc, secret: &str) -> String {
    let key = match alg {
        JweAlg::A128Kw | JweAlg::A256Kw | JweAlg::Dir => {
            EncryptionKey::from_client_secret(secret.as_bytes(), alg, enc).unwrap()
        }
        _ => {
            let jwks: Value = s
                .http
                .get(format!("{}/jwks", s.base))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let want = if alg.is_ecdh() { "EC" } else { "RSA" };
            let jwk = jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .find(|k| k["use"] == "enc" && k["kty"] == want)
                .unwrap();
            EncryptionKey::from_jwk(&Jwk::from_json(jwk.to_string().as_bytes()).unwrap()).unwrap()
        }
    };
    let mut h = Map::new();
    h.insert("cty".into(), json!("JWT"));
    if let Some(kid) = key.kid() {
        h.insert("kid".into(), json!(kid));
    }
    encrypt_compact(&h, plaintext.as_bytes(), alg, enc, &key).unwrap()
}

/// `GET /authorize?client_id=..&request=..` plus `extra` query parameters.
async fn send(s: &Srv, client: &str, ro: &str, extra: &str) -> reqwest::Response {
    s.http
        .get(format!(
            "{}/authorize?client_id={client}&request={}{extra}",
            s.base,
            urlencode(ro)
        ))
        .send()
        .await
        .unwrap()
}

/// The request was refused with `code`, redirected to the registered redirect URI.
fn refused(r: &reqwest::Response, code: &str) -> HashMap<String, String> {
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "expected a redirect");
    let loc = location(r);
    assert!(loc.starts_with(REDIRECT), "{loc}");
    let mut q = query(&loc);
    // A client that must use JARM (the fapi1-advanced profile) gets its error signed.
    if let Some(jwt) = q.remove("response") {
        let claims = common::jarm_claims(&jwt);
        q = claims
            .as_object()
            .unwrap()
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect();
    }
    assert_eq!(
        q.get("error").map(String::as_str),
        Some(code),
        "{:?}",
        q.get("error_description")
    );
    q
}

/// Refused with `code` and a description containing `why`.
async fn refused_because(s: &Srv, client: &str, ro: &str, code: &str, why: &str) {
    let r = send(
        s,
        client,
        ro,
        &format!("&redirect_uri={}", urlencode(REDIRECT)),
    )
    .await;
    let q = refused(&r, code);
    let d = q.get("error_description").cloned().unwrap_or_default();
    assert!(d.contains(why), "description {d:?} should mention {why:?}");
}

// ---------------------------------------------------------------- accepted

#[tokio::test]
async fn signed_request_object_by_value_completes_the_code_flow() {
    let s = start("").await;
    let ro = sign(&claims(&s, "rp"), JwsAlg::PS256);
    let loc = accepted(&s, &send(&s, "rp", &ro, "").await);
    let view = interaction_json(&s, &loc).await;
    let r = s
        .http
        .post(view["endpoints"]["login"].as_str().unwrap())
        .form(&[
            ("username", "alice"),
            ("password", "wonderland"),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = s.http.get(&loc).send().await.unwrap().text().await.unwrap();
    // For the person: who signed, with what kind of key, encrypted or not; the key id and
    // algorithm behind the technical disclosure.
    assert!(
        page.contains("Signed with rp&#x27;s registered key.") && page.contains("Not encrypted."),
        "{page}"
    );
    let technical = &page[page.find("<details>").unwrap()..];
    assert!(
        technical.contains("<code>rsa-1</code>") && technical.contains("<code>PS256</code>"),
        "{technical}"
    );
    let view = interaction_json(&s, &loc).await;
    let r = s
        .http
        .post(view["endpoints"]["consent"].as_str().unwrap())
        .form(&[
            ("decision", "allow"),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let q = query(&location(&r));
    assert_eq!(
        q["state"], "ro-state",
        "state comes from the request object"
    );
    assert_eq!(q["iss"], s.base);
    let t: Value = s
        .http
        .post(format!("{}/token", s.base))
        .basic_auth("rp", Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = writ_jose::UnverifiedJws::parse(t["id_token"].as_str().unwrap(), 1 << 16).unwrap();
    let c: Value = serde_json::from_slice(id.payload_bytes()).unwrap();
    assert_eq!(
        c["nonce"], "ro-nonce",
        "nonce comes from the request object"
    );
}

#[tokio::test]
async fn every_asymmetric_signing_alg_is_accepted() {
    let s = start("").await;
    for alg in [
        JwsAlg::RS256,
        JwsAlg::RS384,
        JwsAlg::RS512,
        JwsAlg::PS256,
        JwsAlg::PS384,
        JwsAlg::PS512,
        JwsAlg::ES256,
        JwsAlg::ES384,
        JwsAlg::ES512,
        JwsAlg::EdDSA,
        JwsAlg::Ed25519,
    ] {
        let loc = accepted(&s, &send(&s, "rp", &sign(&claims(&s, "rp"), alg), "").await);
        let v = interaction_json(&s, &loc).await;
        assert_eq!(v["request_object"]["header"]["alg"], alg.as_str());
    }
}

#[tokio::test]
async fn hmac_signed_objects_use_the_client_secret_only_when_listed() {
    let s = start("").await;
    refused_because(
        &s,
        "rp",
        &sign(&claims(&s, "rp"), JwsAlg::HS256),
        "invalid_request_object",
        "HS256",
    )
    .await;
    let s = start(r#"signing_algs = ["RS256", "HS256", "HS384", "HS512"]"#).await;
    for alg in [JwsAlg::HS256, JwsAlg::HS384, JwsAlg::HS512] {
        let loc = accepted(&s, &send(&s, "rp", &sign(&claims(&s, "rp"), alg), "").await);
        let v = interaction_json(&s, &loc).await;
        assert_eq!(v["request_object"]["signer"]["source"], "shared");
    }
}

#[tokio::test]
async fn interaction_json_carries_values_trusted_names_header_and_transport() {
    let s = start("").await;
    let loc = accepted(
        &s,
        &send(
            &s,
            "rp",
            &sign(&claims(&s, "rp"), JwsAlg::ES256),
            "&state=query-state",
        )
        .await,
    );
    let v = interaction_json(&s, &loc).await;
    assert_eq!(v["transport"], "by_value");
    assert_eq!(v["request_object_values"]["nonce"], "ro-nonce");
    assert_eq!(v["request_object_values"]["iss"], "rp");
    assert_eq!(v["request_object_header"]["alg"], "ES256");
    assert_eq!(v["request_object_header"]["kid"], "ec-256");
    assert_eq!(v["request_object_header"]["typ"], "oauth-authz-req+jwt");
    assert_eq!(v["request_object"]["signer"]["kid"], "ec-256");
    assert_eq!(v["request_object"]["signer"]["source"], "jwks");
    assert!(v["request_object"]["signer"]["thumbprint"].is_string());
    let trusted: Vec<&str> = v["trusted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for p in ["scope", "state", "nonce", "redirect_uri", "code_challenge"] {
        assert!(trusted.contains(&p), "{p} is trusted: {trusted:?}");
    }
    assert_eq!(
        v["parameters"]["state"], "ro-state",
        "strict policy: the query's state is ignored"
    );
}

#[tokio::test]
async fn x509_certificate_key_verifies_request_objects() {
    let s = start("").await;
    let ro = sign_with(
        &claims(&s, "certified"),
        JwsAlg::ES256,
        &keys().cert_key,
        json!({}),
    );
    let loc = accepted(&s, &send(&s, "certified", &ro, "").await);
    let v = interaction_json(&s, &loc).await;
    assert_eq!(v["request_object"]["signer"]["source"], "x509");
}

// ---------------------------------------------------------------- encryption

#[tokio::test]
async fn encrypted_request_objects_decrypt_for_every_alg_and_enc() {
    let s = start("").await;
    for alg in [
        JweAlg::RsaOaep,
        JweAlg::RsaOaep256,
        JweAlg::EcdhEs,
        JweAlg::EcdhEsA128Kw,
        JweAlg::EcdhEsA256Kw,
        JweAlg::A128Kw,
        JweAlg::A256Kw,
        JweAlg::Dir,
    ] {
        for enc in JweEnc::ALL {
            let jws = sign(&claims(&s, "rp"), JwsAlg::ES256);
            let jwe = encrypt(&s, &jws, alg, enc, SECRET).await;
            let loc = accepted(&s, &send(&s, "rp", &jwe, "").await);
            let v = interaction_json(&s, &loc).await;
            assert_eq!(v["request_object"]["encryption"]["alg"], alg.as_str());
            assert_eq!(v["request_object"]["encryption"]["enc"], enc.as_str());
            assert_eq!(v["request_object"]["header"]["alg"], "ES256");
        }
    }
}

#[tokio::test]
async fn unsigned_payload_inside_a_jwe_is_refused() {
    let s = start("").await;
    let c = claims(&s, "loose");
    let jwe = encrypt(&s, &unsigned(&c), JweAlg::RsaOaep256, JweEnc::A256Gcm, "").await;
    refused_because(
        &s,
        "loose",
        &jwe,
        "invalid_request_object",
        "must be signed",
    )
    .await;
    let json = serde_json::to_string(&c).unwrap();
    let jwe = encrypt(&s, &json, JweAlg::RsaOaep256, JweEnc::A256Gcm, "").await;
    refused_because(&s, "loose", &jwe, "invalid_request_object", "bare JSON").await;
}

#[tokio::test]
async fn client_requiring_encryption_refuses_plain_and_other_algs() {
    let s = start("").await;
    let jws = sign(&claims(&s, "sealed"), JwsAlg::PS256);
    refused_because(&s, "sealed", &jws, "invalid_request_object", "must encrypt").await;
    let other = encrypt(&s, &jws, JweAlg::RsaOaep, JweEnc::A256Gcm, "").await;
    refused_because(&s, "sealed", &other, "invalid_request_object", "registered").await;
    let right = encrypt(&s, &jws, JweAlg::RsaOaep256, JweEnc::A256Gcm, "").await;
    accepted(&s, &send(&s, "sealed", &right, "").await);
}

#[tokio::test]
async fn encryption_algs_outside_the_server_list_are_refused() {
    let s = start("[jar.encryption]\nalgs = [\"ECDH-ES\"]").await;
    let jws = sign(&claims(&s, "rp"), JwsAlg::PS256);
    let jwe = encrypt(&s, &jws, JweAlg::RsaOaep256, JweEnc::A128Gcm, "").await;
    refused_because(&s, "rp", &jwe, "invalid_request_object", "not accepted").await;
}

#[tokio::test]
async fn tampered_jwe_is_refused_as_undecryptable() {
    let s = start("").await;
    let jws = sign(&claims(&s, "rp"), JwsAlg::PS256);
    let jwe = encrypt(&s, &jws, JweAlg::EcdhEs, JweEnc::A128CbcHs256, "").await;
    let mut parts: Vec<String> = jwe.split('.').map(str::to_string).collect();
    let mut ct = parts[3].clone().into_bytes();
    ct[5] = if ct[5] == b'A' { b'B' } else { b'A' };
    parts[3] = String::from_utf8(ct).unwrap();
    refused_because(
        &s,
        "rp",
        &parts.join("."),
        "invalid_request_object",
        "could not be decrypted",
    )
    .await;
}

// ---------------------------------------------------------------- attacks on stage 4

#[tokio::test]
async fn keys_smuggled_in_the_header_are_never_used() {
    let s = start("").await;
    let k = keys();
    let attacker_jwk = serde_json::to_value(k.attacker.public_jwk("rsa-1").unwrap()).unwrap();
    for header in [
        json!({ "kid": "rsa-1", "jwk": attacker_jwk }),
        json!({ "kid": "rsa-1", "jku": "https://attacker.example/jwks" }),
        json!({ "kid": "rsa-1", "x5u": "https://attacker.example/cert.pem" }),
        json!({ "kid": "rsa-1", "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"] }),
        json!({ "jwk": attacker_jwk }),
    ] {
        let ro = sign_with(&claims(&s, "rp"), JwsAlg::RS256, &k.attacker, header);
        refused_because(
            &s,
            "rp",
            &ro,
            "invalid_request_object",
            "signature does not verify",
        )
        .await;
    }
}

#[tokio::test]
async fn hs256_keyed_with_the_clients_rsa_public_key_is_refused() {
    let s = start(r#"signing_algs = ["RS256", "HS256"]"#).await;
    // The classic confusion: the attacker uses the public key's bytes as the HMAC secret.
    let public_pem = serde_json::to_vec(&keys().rsa.public_jwk("rsa-1").unwrap()).unwrap();
    let key = SigningKey::from_shared_secret(&public_pem).unwrap();
    let ro = sign_with(
        &claims(&s, "rsa-only"),
        JwsAlg::HS256,
        &key,
        json!({"kid": "rsa-1"}),
    );
    refused_because(
        &s,
        "rsa-only",
        &ro,
        "invalid_request_object",
        "no shared secret",
    )
    .await;
}

#[tokio::test]
async fn alg_none_is_refused_unless_the_client_allows_unsigned_by_value() {
    let s = start("").await;
    let mut c = claims(&s, "rp");
    refused_because(
        &s,
        "rp",
        &unsigned(&c),
        "invalid_request_object",
        "unsigned",
    )
    .await;
    c.insert("iss".into(), json!("loose"));
    c.insert("client_id".into(), json!("loose"));
    let loc = accepted(&s, &send(&s, "loose", &unsigned(&c), "").await);
    let v = interaction_json(&s, &loc).await;
    assert_eq!(v["request_object"]["header"]["alg"], "none");
    assert_eq!(
        v["trusted"],
        json!([]),
        "an unsigned object vouches for nothing"
    );
    s.http.get(&loc).send().await.unwrap();
}

#[tokio::test]
async fn unknown_crit_is_refused() {
    let s = start(r#"signing_algs = ["HS256"]"#).await;
    // The jose crate refuses to sign with crit, so this one is made by hand (HMAC).
    let b = |v: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, v);
    let input = format!(
        "{}.{}",
        b(br#"{"alg":"HS256","crit":["exp-ext"],"exp-ext":1}"#),
        b(&serde_json::to_vec(&claims(&s, "rp")).unwrap())
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, SECRET.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    let ro = format!("{input}.{}", b(tag.as_ref()));
    refused_because(&s, "rp", &ro, "invalid_request_object", "crit").await;
}

#[tokio::test]
async fn typ_of_another_jwt_kind_is_refused() {
    let s = start("").await;
    let (key, kid) = key_for(JwsAlg::ES256);
    for typ in [
        "at+jwt",
        "dpop+jwt",
        "logout+jwt",
        "secevent+jwt",
        "token-introspection+jwt",
    ] {
        let ro = sign_with(
            &claims(&s, "rp"),
            JwsAlg::ES256,
            key,
            json!({"kid": kid, "typ": typ}),
        );
        refused_because(
            &s,
            "rp",
            &ro,
            "invalid_request_object",
            "another kind of JWT",
        )
        .await;
    }
}

#[tokio::test]
async fn strict_typ_requires_oauth_authz_req_jwt() {
    let s = start("strict_typ = true").await;
    let (key, kid) = key_for(JwsAlg::ES256);
    let ro = sign_with(
        &claims(&s, "rp"),
        JwsAlg::ES256,
        key,
        json!({"kid": kid, "typ": "JWT"}),
    );
    refused_because(
        &s,
        "rp",
        &ro,
        "invalid_request_object",
        "oauth-authz-req+jwt",
    )
    .await;
    accepted(
        &s,
        &send(&s, "rp", &sign(&claims(&s, "rp"), JwsAlg::ES256), "").await,
    );
}

#[tokio::test]
async fn another_clients_key_under_this_clients_kid_is_refused() {
    let s = start("").await;
    // `other` registered its own key as "rsa-1"; rp's "rsa-1" is a different key.
    let ro = sign_with(
        &claims(&s, "rp"),
        JwsAlg::RS256,
        &keys().other_rsa,
        json!({ "kid": "rsa-1" }),
    );
    refused_because(
        &s,
        "rp",
        &ro,
        "invalid_request_object",
        "signature does not verify",
    )
    .await;
}

#[tokio::test]
async fn unknown_kid_is_refused() {
    let s = start("").await;
    let ro = sign_with(
        &claims(&s, "rp"),
        JwsAlg::RS256,
        &keys().rsa,
        json!({ "kid": "no-such-key" }),
    );
    refused_because(&s, "rp", &ro, "invalid_request_object", "no registered key").await;
}

#[tokio::test]
async fn client_request_object_signing_alg_is_the_only_alg_accepted() {
    let s = start("").await;
    refused_because(
        &s,
        "pinned",
        &sign(&claims(&s, "pinned"), JwsAlg::PS256),
        "invalid_request_object",
        "PS256",
    )
    .await;
    accepted(
        &s,
        &send(
            &s,
            "pinned",
            &sign(&claims(&s, "pinned"), JwsAlg::ES256),
            "",
        )
        .await,
    );
}

#[tokio::test]
async fn oversized_request_objects_are_refused_before_parsing() {
    let s = start("max_request_object_bytes = \"1KiB\"").await;
    let mut c = claims(&s, "rp");
    c.insert("padding".into(), json!("x".repeat(2000)));
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::ES256),
        "invalid_request_object",
        "larger than 1024 bytes",
    )
    .await;
}

#[tokio::test]
async fn malformed_request_objects_are_refused_with_a_reason() {
    let s = start("").await;
    for (ro, why) in [
        ("not-a-jwt", "neither a compact JWS nor a compact JWE"),
        ("a.b.c.d", "neither"),
        ("!!!.e30.", "not a valid JWS"),
        ("e30.e30.AAAA", "alg"),
    ] {
        refused_because(&s, "rp", ro, "invalid_request_object", why).await;
    }
    // A payload with a duplicate claim name.
    let (key, _) = key_for(JwsAlg::ES256);
    let payload = br#"{"iss":"rp","iss":"rp"}"#;
    let mut h = Map::new();
    h.insert("kid".into(), json!("ec-256"));
    let ro = sign_compact(&h, payload, JwsAlg::ES256, key).unwrap();
    refused_because(&s, "rp", &ro, "invalid_request_object", "duplicate").await;
}

// ---------------------------------------------------------------- stage 5

#[tokio::test]
async fn request_or_request_uri_inside_the_object_is_refused() {
    let s = start("").await;
    for nested in ["request", "request_uri"] {
        let mut c = claims(&s, "rp");
        c.insert(nested.into(), json!("x"));
        refused_because(
            &s,
            "rp",
            &sign(&c, JwsAlg::ES256),
            "invalid_request_object",
            "must not contain request",
        )
        .await;
    }
}

#[tokio::test]
async fn client_id_inside_must_equal_the_query_client_id() {
    let s = start("").await;
    let mut c = claims(&s, "rp");
    c.insert("client_id".into(), json!("other"));
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::ES256),
        "invalid_request_object",
        "client_id",
    )
    .await;
}

#[tokio::test]
async fn iss_must_be_the_client_or_its_request_object_issuer() {
    let s = start("").await;
    let mut c = claims(&s, "rp");
    c.insert("iss".into(), json!("someone-else"));
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::ES256),
        "invalid_request_object",
        "iss",
    )
    .await;
    c.remove("iss");
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::ES256),
        "invalid_request_object",
        "no iss",
    )
    .await;
    let mut c = claims(&s, "aliased");
    c.insert("iss".into(), json!("urn:example:rp"));
    accepted(&s, &send(&s, "aliased", &sign(&c, JwsAlg::ES256), "").await);
}

#[tokio::test]
async fn aud_must_name_this_issuer_and_may_be_required() {
    let s = start("").await;
    let mut c = claims(&s, "rp");
    c.insert("aud".into(), json!("https://elsewhere.example"));
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::ES256),
        "invalid_request_object",
        "aud",
    )
    .await;
    c.insert("aud".into(), json!(["https://elsewhere.example", s.base]));
    accepted(&s, &send(&s, "rp", &sign(&c, JwsAlg::ES256), "").await);
    c.remove("aud");
    accepted(&s, &send(&s, "rp", &sign(&c, JwsAlg::ES256), "").await);

    let s = start("require_aud = true").await;
    let mut c = claims(&s, "rp");
    c.remove("aud");
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::ES256),
        "invalid_request_object",
        "no aud",
    )
    .await;
}

#[tokio::test]
async fn expired_request_objects_are_refused_within_the_clock_skew() {
    let s = start("").await;
    let mut c = claims(&s, "rp");
    c.insert("exp".into(), json!(now() - 31));
    c.insert("iat".into(), json!(now() - 100));
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::ES256),
        "invalid_request_object",
        "expired",
    )
    .await;
    // Within the 30 s skew it still passes.
    c.insert("exp".into(), json!(now() - 10));
    accepted(&s, &send(&s, "rp", &sign(&c, JwsAlg::ES256), "").await);
}

#[tokio::test]
async fn exp_is_required_by_default() {
    let s = start("").await;
    let mut c = claims(&s, "rp");
    c.remove("exp");
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::ES256),
        "invalid_request_object",
        "no exp",
    )
    .await;
}

#[tokio::test]
async fn not_yet_valid_request_objects_are_refused() {
    let s = start("").await;
    let mut c = claims(&s, "rp");
    c.insert("nbf".into(), json!(now() + 120));
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::ES256),
        "invalid_request_object",
        "not valid yet",
    )
    .await;
    let mut c = claims(&s, "rp");
    c.insert("iat".into(), json!(now() + 120));
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::ES256),
        "invalid_request_object",
        "iat is in the future",
    )
    .await;
}

#[tokio::test]
async fn too_long_lived_request_objects_are_refused() {
    let s = start("max_lifetime = \"10m\"").await;
    let mut c = claims(&s, "rp");
    c.insert("iat".into(), json!(now()));
    c.insert("exp".into(), json!(now() + 601));
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::ES256),
        "invalid_request_object",
        "longer than the allowed 600s",
    )
    .await;
    let mut c = claims(&s, "rp");
    c.insert("nbf".into(), json!(now() - 700));
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::ES256),
        "invalid_request_object",
        "nbf is more than",
    )
    .await;
}

#[tokio::test]
async fn replayed_jti_is_refused() {
    let s = start("replay = \"require-jti\"").await;
    let ro = sign(&claims(&s, "rp"), JwsAlg::ES256);
    accepted(&s, &send(&s, "rp", &ro, "").await);
    refused_because(&s, "rp", &ro, "invalid_request_object", "used before").await;
    let mut c = claims(&s, "rp");
    c.remove("jti");
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::ES256),
        "invalid_request_object",
        "jti",
    )
    .await;
}

#[tokio::test]
async fn replay_is_off_by_default() {
    let s = start("").await;
    let ro = sign(&claims(&s, "rp"), JwsAlg::ES256);
    accepted(&s, &send(&s, "rp", &ro, "").await);
    accepted(&s, &send(&s, "rp", &ro, "").await);
}

#[tokio::test]
async fn required_claims_must_be_inside() {
    let s = start(r#"required_claims = ["code_challenge", "acr_values"]"#).await;
    refused_because(
        &s,
        "rp",
        &sign(&claims(&s, "rp"), JwsAlg::ES256),
        "invalid_request_object",
        "acr_values",
    )
    .await;
}

// ---------------------------------------------------------------- error delivery

#[tokio::test]
async fn an_unverified_objects_state_is_never_echoed() {
    let s = start("").await;
    let mut c = claims(&s, "rp");
    c.insert("state".into(), json!("EVIL-STATE"));
    let forged = sign_with(&c, JwsAlg::RS256, &keys().attacker, json!({"kid": "rsa-1"}));
    let r = send(
        &s,
        "rp",
        &forged,
        &format!("&redirect_uri={}&state=query-state", urlencode(REDIRECT)),
    )
    .await;
    let q = refused(&r, "invalid_request_object");
    assert_eq!(q.get("state").map(String::as_str), Some("query-state"));
    assert!(!location(&r).contains("EVIL"));
    // Without a query state there is none at all.
    let r = send(
        &s,
        "rp",
        &forged,
        &format!("&redirect_uri={}", urlencode(REDIRECT)),
    )
    .await;
    let q = refused(&r, "invalid_request_object");
    assert_eq!(q.get("state"), None);
}

#[tokio::test]
async fn a_verified_objects_state_is_echoed_when_its_claims_fail() {
    let s = start("").await;
    let mut c = claims(&s, "rp");
    c.insert("exp".into(), json!(now() - 3600));
    c.insert("iat".into(), json!(now() - 3700));
    let r = send(&s, "rp", &sign(&c, JwsAlg::ES256), "&state=query-state").await;
    let q = refused(&r, "invalid_request_object");
    assert_eq!(q["state"], "ro-state");
    assert_eq!(q["iss"], s.base);
}

#[tokio::test]
async fn errors_go_only_to_a_registered_redirect_uri() {
    let s = start("").await;
    let forged = sign_with(
        &claims(&s, "rp"),
        JwsAlg::RS256,
        &keys().attacker,
        json!({}),
    );
    let r = send(
        &s,
        "rp",
        &forged,
        &format!("&redirect_uri={}", urlencode("https://attacker.example/cb")),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "an error page, not a redirect"
    );
    assert!(r.headers().get("location").is_none());
}

// ---------------------------------------------------------------- stage 6 and policy

#[tokio::test]
async fn strict_policy_ignores_query_parameters() {
    let s = start("").await;
    let loc = accepted(
        &s,
        &send(
            &s,
            "rp",
            &sign(&claims(&s, "rp"), JwsAlg::ES256),
            "&scope=openid%20email&login_hint=bob",
        )
        .await,
    );
    let v = interaction_json(&s, &loc).await;
    assert_eq!(v["scope"], json!(["openid", "profile"]));
    assert!(v["parameters"].get("login_hint").is_none());
}

#[tokio::test]
async fn merge_policy_keeps_query_only_parameters_untrusted() {
    let s = start("parameter_policy = \"merge\"").await;
    let loc = accepted(
        &s,
        &send(
            &s,
            "rp",
            &sign(&claims(&s, "rp"), JwsAlg::ES256),
            "&scope=openid%20email&login_hint=bob",
        )
        .await,
    );
    let v = interaction_json(&s, &loc).await;
    assert_eq!(v["scope"], json!(["openid", "profile"]), "the object wins");
    assert_eq!(v["parameters"]["login_hint"], "bob");
    assert!(
        !v["trusted"]
            .as_array()
            .unwrap()
            .contains(&json!("login_hint"))
    );
}

#[tokio::test]
async fn reject_conflicts_policy_refuses_differing_values() {
    let s = start("parameter_policy = \"reject-conflicts\"").await;
    let r = send(
        &s,
        "rp",
        &sign(&claims(&s, "rp"), JwsAlg::ES256),
        "&scope=openid%20email",
    )
    .await;
    let q = refused(&r, "invalid_request");
    assert!(q["error_description"].contains("scope"));
    assert_eq!(q["state"], "ro-state");
    accepted(
        &s,
        &send(
            &s,
            "rp",
            &sign(&claims(&s, "rp"), JwsAlg::ES256),
            "&scope=openid%20profile",
        )
        .await,
    );
}

#[tokio::test]
async fn ordinary_validation_runs_on_the_effective_request() {
    let s = start("").await;
    let mut c = claims(&s, "rp");
    c.insert("code_challenge_method".into(), json!("plain"));
    let r = send(&s, "rp", &sign(&c, JwsAlg::ES256), "").await;
    let q = refused(&r, "invalid_request");
    assert_eq!(q["state"], "ro-state");
    let mut c = claims(&s, "rp");
    c.insert("redirect_uri".into(), json!("https://attacker.example/cb"));
    let r = send(&s, "rp", &sign(&c, JwsAlg::ES256), "").await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "never redirected to an unregistered URI"
    );
}

#[tokio::test]
async fn server_wide_require_signed_request_object_refuses_plain_requests() {
    let s = start("require_signed_request_object = true").await;
    let r = s
        .http
        .get(format!(
            "{}/authorize?client_id=rp&response_type=code&scope=openid&redirect_uri={}&code_challenge={CHALLENGE}&code_challenge_method=S256&state=q",
            s.base,
            urlencode(REDIRECT)
        ))
        .send()
        .await
        .unwrap();
    let q = refused(&r, "invalid_request");
    assert!(q["error_description"].contains("signed request object"));
    accepted(
        &s,
        &send(&s, "rp", &sign(&claims(&s, "rp"), JwsAlg::ES256), "").await,
    );
    let mut c = claims(&s, "loose");
    c.insert("iss".into(), json!("loose"));
    refused_because(
        &s,
        "loose",
        &unsigned(&c),
        "invalid_request_object",
        "unsigned",
    )
    .await;
}

#[tokio::test]
async fn client_requiring_jar_accepts_signed_objects() {
    let s = start("").await;
    accepted(
        &s,
        &send(
            &s,
            "jarred",
            &sign(&claims(&s, "jarred"), JwsAlg::ES256),
            "",
        )
        .await,
    );
}

#[tokio::test]
async fn fapi1_advanced_profile_tightens_algs_aud_and_nbf() {
    let s = start("profile = \"fapi1-advanced\"").await;
    refused_because(
        &s,
        "rp",
        &sign(&claims(&s, "rp"), JwsAlg::RS256),
        "invalid_request_object",
        "RS256",
    )
    .await;
    refused_because(
        &s,
        "rp",
        &sign(&claims(&s, "rp"), JwsAlg::PS256),
        "invalid_request_object",
        "no nbf",
    )
    .await;
    let mut c = claims(&s, "rp");
    c.insert("nbf".into(), json!(now()));
    accepted(&s, &send(&s, "rp", &sign(&c, JwsAlg::PS256), "").await);
    c.remove("aud");
    refused_because(
        &s,
        "rp",
        &sign(&c, JwsAlg::PS256),
        "invalid_request_object",
        "no aud",
    )
    .await;
}

#[tokio::test]
async fn request_parameter_disabled_gives_request_not_supported_and_discovery_says_so() {
    let s = start("request_parameter = false").await;
    let r = send(&s, "rp", &sign(&claims(&s, "rp"), JwsAlg::ES256), "").await;
    // RFC 9101 §7: an authorization error, delivered to the client's registered redirect_uri.
    refused(&r, "request_not_supported");
    let d: Value = s
        .http
        .get(format!("{}/.well-known/openid-configuration", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["request_parameter_supported"], false);
}

#[tokio::test]
async fn discovery_advertises_the_jar_configuration() {
    let s = start("signing_algs = [\"PS256\", \"ES256\"]\nrequire_signed_request_object = true\n[jar.encryption]\nalgs = [\"RSA-OAEP-256\"]\nencs = [\"A256GCM\"]").await;
    for path in ["openid-configuration", "oauth-authorization-server"] {
        let d: Value = s
            .http
            .get(format!("{}/.well-known/{path}", s.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(d["request_parameter_supported"], true);
        assert_eq!(
            d["request_object_signing_alg_values_supported"],
            json!(["PS256", "ES256"])
        );
        assert_eq!(
            d["request_object_encryption_alg_values_supported"],
            json!(["RSA-OAEP-256"])
        );
        assert_eq!(
            d["request_object_encryption_enc_values_supported"],
            json!(["A256GCM"])
        );
        assert_eq!(d["require_signed_request_object"], true);
    }
}

#[tokio::test]
async fn refused_request_objects_are_counted_by_reason() {
    let s = start("").await;
    let forged = sign_with(
        &claims(&s, "rp"),
        JwsAlg::RS256,
        &keys().attacker,
        json!({"kid": "rsa-1"}),
    );
    refused_because(&s, "rp", &forged, "invalid_request_object", "signature").await;
    accepted(
        &s,
        &send(&s, "rp", &sign(&claims(&s, "rp"), JwsAlg::ES256), "").await,
    );
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
            .any(|l| l.starts_with("writ_request_objects_total")
                && l.contains("outcome=\"refused\"")
                && l.contains("reason=\"signature\"")),
        "{m}"
    );
    assert!(
        m.lines()
            .any(|l| l.starts_with("writ_request_objects_total")
                && l.contains("outcome=\"accepted\"")),
        "{m}"
    );
}

// ---------------------------------------------------------------- jwks_uri

/// A client key host on 127.0.0.1 serving `keys` at `/jwks`, counting requests.
struct KeyHost {
    url: String,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    keys: std::sync::Arc<std::sync::Mutex<Value>>,
}

async fn key_host(initial: Value) -> KeyHost {
    use std::sync::atomic::Ordering;
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let keys = std::sync::Arc::new(std::sync::Mutex::new(initial));
    let (h, k) = (hits.clone(), keys.clone());
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let (h, k) = (h.clone(), k.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                let body = k.lock().unwrap().to_string();
                ([("content-type", "application/jwk-set+json")], body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    KeyHost { url, hits, keys }
}

fn remote_client(url: &str) -> String {
    format!(
        r#"
        [[clients]]
        client_id = "remote"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "none"
        jwks_uri = "{url}"
        "#
    )
}

#[tokio::test]
async fn jwks_uri_keys_verify_and_an_unknown_kid_refetches_at_most_once_a_minute() {
    use std::sync::atomic::Ordering;
    let k = keys();
    let host = key_host(json!({ "keys": [jwk(&k.ec256, "old")] })).await;
    let s = start_with(
        "[jar.request_uri]\nallow_http = true\nallow_private_addresses = true",
        &remote_client(&host.url),
    )
    .await;
    let ro = sign_with(
        &claims(&s, "remote"),
        JwsAlg::ES256,
        &k.ec256,
        json!({"kid": "old"}),
    );
    let loc = accepted(&s, &send(&s, "remote", &ro, "").await);
    let v = interaction_json(&s, &loc).await;
    assert_eq!(v["request_object"]["signer"]["source"], "jwks_uri");
    accepted(&s, &send(&s, "remote", &ro, "").await);
    assert_eq!(host.hits.load(Ordering::SeqCst), 1, "the key set is cached");

    // The client rotates: a new kid makes the server refetch once.
    *host.keys.lock().unwrap() = json!({ "keys": [jwk(&k.ed, "new")] });
    let ro = sign_with(
        &claims(&s, "remote"),
        JwsAlg::EdDSA,
        &k.ed,
        json!({"kid": "new"}),
    );
    accepted(&s, &send(&s, "remote", &ro, "").await);
    assert_eq!(host.hits.load(Ordering::SeqCst), 2);

    // Another unknown kid within the minute: refused without fetching again.
    let ro = sign_with(
        &claims(&s, "remote"),
        JwsAlg::EdDSA,
        &k.ed,
        json!({"kid": "random-kid"}),
    );
    refused_because(
        &s,
        "remote",
        &ro,
        "invalid_request_object",
        "no registered key",
    )
    .await;
    assert_eq!(
        host.hits.load(Ordering::SeqCst),
        2,
        "refetch is rate-limited"
    );
}

#[tokio::test]
async fn jwks_uri_on_a_private_address_is_refused_by_default() {
    let host = key_host(json!({ "keys": [jwk(&keys().ec256, "old")] })).await;
    let s = start_with(
        "[jar.request_uri]\nallow_http = true",
        &remote_client(&host.url),
    )
    .await;
    let ro = sign_with(
        &claims(&s, "remote"),
        JwsAlg::ES256,
        &keys().ec256,
        json!({"kid": "old"}),
    );
    refused_because(
        &s,
        "remote",
        &ro,
        "invalid_request_object",
        "jwks_uri could not be fetched",
    )
    .await;
    assert_eq!(
        host.hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "never connected"
    );
}

/// authorize (with `ro`) → login → consent(allow); returns the code.
async fn code_for(s: &Srv, client: &str, ro: &str) -> String {
    let loc = accepted(s, &send(s, client, ro, "").await);
    let view = interaction_json(s, &loc).await;
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
    let view = interaction_json(s, &loc).await;
    let r = s
        .http
        .post(view["endpoints"]["consent"].as_str().unwrap())
        .form(&[
            ("decision", "allow"),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    query(&location(&r))["code"].clone()
}

#[tokio::test]
async fn private_key_jwt_uses_jwks_uri_keys() {
    let k = keys();
    let host = key_host(json!({ "keys": [jwk(&k.ec256, "a1")] })).await;
    let s = start_with(
        "[jar.request_uri]\nallow_http = true\nallow_private_addresses = true",
        &format!(
            r#"
        [[clients]]
        client_id = "svc"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "private_key_jwt"
        jwks_uri = "{}"
        "#,
            host.url
        ),
    )
    .await;
    let ro = sign_with(
        &claims(&s, "svc"),
        JwsAlg::ES256,
        &k.ec256,
        json!({"kid": "a1"}),
    );
    let code = code_for(&s, "svc", &ro).await;
    let redeem = |assertion: String, code: String| {
        let s = &s;
        async move {
            s.http
                .post(format!("{}/token", s.base))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", VERIFIER),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", assertion.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let assertion = |key: &SigningKey, kid: &str| {
        let t = now();
        let c = json!({"iss": "svc", "sub": "svc", "aud": format!("{}/token", s.base),
                       "iat": t, "exp": t + 60, "jti": unique()});
        sign_with(
            c.as_object().unwrap(),
            JwsAlg::ES256,
            key,
            json!({"kid": kid, "typ": "JWT"}),
        )
    };
    // A key the jwks_uri does not publish is refused...
    let r = redeem(assertion(&k.unregistered_p256(), "a1"), code.clone()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // ...the published one authenticates.
    let r = redeem(assertion(&k.ec256, "a1"), code).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}

// ------------------------------------------------------------- RFC 9864 Ed25519

/// A private_key_jwt client whose only key is the Ed25519 key, with the JWK `alg` given.
fn ed_client(id: &str, jwk_alg: Option<&str>, extra: &str) -> String {
    let mut j = jwk(&keys().ed, "ed-1");
    j.alg = jwk_alg.map(str::to_string);
    let jwks = json!({ "keys": [j] });
    format!(
        r#"
        [[clients]]
        client_id = "{id}"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "private_key_jwt"
        secrets = [{{ type = "jwks", value = '{jwks}' }}]
        {extra}
        "#
    )
}

/// RFC 9864 §2.2: "Ed25519" is accepted for request objects and private_key_jwt with an OKP
/// Ed25519 key, advertised by default, and kept apart from "EdDSA" where a name is pinned
/// (the client's alg, the JWK's `alg`, the server's list; RFC 9864 §7).
#[tokio::test]
async fn ed25519_alg_rfc9864_signs_request_objects_and_assertions() {
    let k = keys();
    let clients = [
        ed_client("ed-any", None, ""),
        ed_client("ed-marked-eddsa", Some("EdDSA"), ""),
        ed_client("ed-marked-ed25519", Some("Ed25519"), ""),
        ed_client("ed-pinned", None, r#"request_object_signing_alg = "EdDSA""#),
    ]
    .concat();
    let s = start_with("", &clients).await;
    let d: Value = s
        .http
        .get(format!("{}/.well-known/openid-configuration", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for field in [
        "request_object_signing_alg_values_supported",
        "token_endpoint_auth_signing_alg_values_supported",
    ] {
        let algs = d[field].as_array().unwrap();
        assert!(algs.contains(&json!("Ed25519")), "{field}: {algs:?}");
        assert!(algs.contains(&json!("EdDSA")), "{field}: {algs:?}");
        assert!(!algs.contains(&json!("Ed448")), "{field}: {algs:?}");
    }

    let ro = |client: &str, alg: JwsAlg| {
        sign_with(&claims(&s, client), alg, &k.ed, json!({"kid": "ed-1"}))
    };
    // A JWK without alg serves both names.
    for alg in [JwsAlg::EdDSA, JwsAlg::Ed25519] {
        let loc = accepted(&s, &send(&s, "ed-any", &ro("ed-any", alg), "").await);
        let v = interaction_json(&s, &loc).await;
        assert_eq!(v["request_object"]["header"]["alg"], alg.as_str());
        assert_eq!(v["request_object"]["signer"]["kty"], "OKP");
    }
    // A JWK marked for one name does not verify the other.
    accepted(
        &s,
        &send(
            &s,
            "ed-marked-ed25519",
            &ro("ed-marked-ed25519", JwsAlg::Ed25519),
            "",
        )
        .await,
    );
    refused_because(
        &s,
        "ed-marked-ed25519",
        &ro("ed-marked-ed25519", JwsAlg::EdDSA),
        "invalid_request_object",
        "no registered key",
    )
    .await;
    refused_because(
        &s,
        "ed-marked-eddsa",
        &ro("ed-marked-eddsa", JwsAlg::Ed25519),
        "invalid_request_object",
        "no registered key",
    )
    .await;
    // A client pinned to EdDSA gets EdDSA only.
    refused_because(
        &s,
        "ed-pinned",
        &ro("ed-pinned", JwsAlg::Ed25519),
        "invalid_request_object",
        "Ed25519",
    )
    .await;
    // "Ed25519" in the header with an ES256 signature by the client's P-256 key: no P-256
    // key fits Ed25519, so none is tried.
    let es = sign_with(
        &claims(&s, "rp"),
        JwsAlg::ES256,
        &k.ec256,
        json!({"kid": "ec-256"}),
    );
    let (_, rest) = es.split_once('.').unwrap();
    let b = |v: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, v);
    let relabelled = format!(
        "{}.{rest}",
        b(br#"{"alg":"Ed25519","kid":"ec-256","typ":"oauth-authz-req+jwt"}"#)
    );
    refused_because(
        &s,
        "rp",
        &relabelled,
        "invalid_request_object",
        "no registered key",
    )
    .await;
    // Ed448 is not an algorithm this server knows.
    let ed448 = format!(
        "{}.{rest}",
        b(br#"{"alg":"Ed448","kid":"ed-1","typ":"oauth-authz-req+jwt"}"#)
    );
    refused_because(
        &s,
        "rp",
        &ed448,
        "invalid_request_object",
        "alg is missing or not supported",
    )
    .await;

    // private_key_jwt with an Ed25519 assertion redeems the code.
    let code = code_for(&s, "ed-any", &ro("ed-any", JwsAlg::Ed25519)).await;
    let t = now();
    let c = json!({"iss": "ed-any", "sub": "ed-any", "aud": format!("{}/token", s.base),
                   "iat": t, "exp": t + 60, "jti": unique()});
    let assertion = sign_compact(
        &json!({"kid": "ed-1", "typ": "JWT"})
            .as_object()
            .unwrap()
            .clone(),
        &serde_json::to_vec(&c).unwrap(),
        JwsAlg::Ed25519,
        &k.ed,
    )
    .unwrap();
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}

/// `[jar] signing_algs` names algorithms exactly: a server that lists only "EdDSA" refuses
/// "Ed25519" request objects, and the reverse.
#[tokio::test]
async fn server_signing_algs_keep_eddsa_and_ed25519_apart() {
    for (listed, other) in [
        (JwsAlg::EdDSA, JwsAlg::Ed25519),
        (JwsAlg::Ed25519, JwsAlg::EdDSA),
    ] {
        let s = start(&format!("signing_algs = [\"{listed}\"]")).await;
        accepted(
            &s,
            &send(&s, "rp", &sign(&claims(&s, "rp"), listed), "").await,
        );
        refused_because(
            &s,
            "rp",
            &sign(&claims(&s, "rp"), other),
            "invalid_request_object",
            other.as_str(),
        )
        .await;
    }
}
