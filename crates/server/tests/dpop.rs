//! DPoP (RFC 9449; SPEC §13) over real HTTP: tokens bound at `/token`, bound refresh tokens
//! of public clients, `/userinfo` under the DPoP scheme, the nonce, discovery, and one test
//! per proof check, each named after the rule it proves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::dpop::{Holder, ath};
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use writ_jose::{JwsAlg, SigningKey, UnverifiedJws, sign_compact};

/// A public client `spa` beside `rp`, and one that must use DPoP.
const PUBLIC: &str = r#"
    [[clients]]
    client_id = "spa"
    token_endpoint_auth_method = "none"
    redirect_uris = ["http://127.0.0.1:9/cb"]
    [[clients]]
    client_id = "bound"
    dpop_bound_access_tokens = true
    redirect_uris = ["http://127.0.0.1:9/cb"]
    secrets = [{ type = "shared", value = "a-shared-client-secret-long-enough-for-hs512-0123456789abcdefghijklmnopq" }]
"#;

async fn server(sections: &str) -> Srv {
    start(sections, PUBLIC).await
}

/// `POST /token` as `client` (its secret, or none for `spa`) with `form` and these `DPoP`
/// headers.
async fn token(s: &Srv, client: &str, form: &[(&str, &str)], proofs: &[&str]) -> reqwest::Response {
    let mut r = s.http.post(format!("{}/token", s.base));
    let mut form: Vec<(&str, &str)> = form.to_vec();
    match client {
        "spa" => form.push(("client_id", "spa")),
        c => r = r.basic_auth(c, Some(SECRET)),
    }
    for p in proofs {
        r = r.header("DPoP", *p);
    }
    r.form(&form).send().await.unwrap()
}

async fn redeem_with(s: &Srv, client: &str, code: &str, proofs: &[&str]) -> reqwest::Response {
    token(
        s,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
        proofs,
    )
    .await
}

/// A token request whose only possible failure before the grant is its proof: an unknown
/// code, so that a proof that passes gives `invalid_grant`.
async fn with_proof(s: &Srv, proof: &str) -> (StatusCode, Value) {
    let r = redeem_with(s, "rp", "not-a-code", &[proof]).await;
    (r.status(), r.json().await.unwrap())
}

async fn assert_proof_refused(s: &Srv, proof: &str, why: &str) {
    let r = redeem_with(s, "rp", "not-a-code", &[proof]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_error(r, "invalid_dpop_proof", why).await;
}

/// `r` is an error `code` whose description mentions `why`.
async fn assert_error(r: reqwest::Response, code: &str, why: &str) {
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
    let d = body["error_description"].as_str().unwrap();
    assert!(d.contains(why), "description {d:?} should mention {why:?}");
}

fn token_url(s: &Srv) -> String {
    format!("{}/token", s.base)
}

#[tokio::test]
async fn a_valid_proof_binds_the_access_token_to_its_key() {
    let s = server("").await;
    let h = Holder::ec();
    let code = code_for(&s, "rp").await;
    let r = redeem_with(&s, "rp", &code, &[&h.proof("POST", &token_url(&s))]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["token_type"], "DPoP", "{t}");
    let at = UnverifiedJws::parse(t["access_token"].as_str().unwrap(), 8192).unwrap();
    let claims: Value = serde_json::from_slice(at.payload_bytes()).unwrap();
    assert_eq!(claims["cnf"]["jkt"], h.jkt(), "{claims}");
}

#[tokio::test]
async fn without_a_proof_the_access_token_is_bearer() {
    let s = server("").await;
    let code = code_for(&s, "rp").await;
    let t = redeem(&s, &code).await;
    assert_eq!(t["token_type"], "Bearer");
    let at = UnverifiedJws::parse(t["access_token"].as_str().unwrap(), 8192).unwrap();
    let claims: Value = serde_json::from_slice(at.payload_bytes()).unwrap();
    assert!(claims.get("cnf").is_none(), "{claims}");
}

#[tokio::test]
async fn a_proof_that_passes_every_check_reaches_the_grant() {
    // The control for the refusals below: the same request with a good proof is refused
    // only for its unknown code.
    let s = server("").await;
    let (status, body) = with_proof(&s, &Holder::ec().proof("POST", &token_url(&s))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

#[tokio::test]
async fn proof_typ_must_be_dpop_jwt() {
    let s = server("").await;
    let h = Holder::ec();
    for typ in [json!("JWT"), json!("at+jwt"), Value::Null] {
        let p = h.proof_with("POST", &token_url(&s), |hd, _| {
            if typ.is_null() {
                hd.remove("typ");
            } else {
                hd.insert("typ".into(), typ.clone());
            }
        });
        assert_proof_refused(&s, &p, "typ").await;
    }
}

#[tokio::test]
async fn proof_alg_none_is_refused() {
    let s = server("").await;
    let h = Holder::ec();
    let p = h.proof("POST", &token_url(&s));
    let payload = p.split('.').nth(1).unwrap();
    let header = serde_json::to_vec(&json!({"alg":"none","typ":"dpop+jwt","jwk":h.jwk()})).unwrap();
    let header = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header);
    let unsigned = format!("{header}.{payload}.");
    assert_proof_refused(&s, &unsigned, "unsigned").await;
}

#[tokio::test]
async fn proof_signed_with_a_symmetric_alg_is_refused() {
    let s = server("").await;
    let secret = SigningKey::from_shared_secret(SECRET.as_bytes()).unwrap();
    let header = json!({ "typ": "dpop+jwt", "jwk": { "kty": "oct", "k": "c2VjcmV0" } });
    let claims = json!({ "jti": unique(), "htm": "POST", "htu": token_url(&s), "iat": now() });
    let p = sign_compact(
        header.as_object().unwrap(),
        &serde_json::to_vec(&claims).unwrap(),
        JwsAlg::HS256,
        &secret,
    )
    .unwrap();
    assert_proof_refused(&s, &p, "HS256 is not allowed").await;
}

#[tokio::test]
async fn proof_alg_outside_dpop_algs_is_refused() {
    let s = server("[dpop]\nalgs = [\"EdDSA\"]").await;
    assert_proof_refused(
        &s,
        &Holder::ec().proof("POST", &token_url(&s)),
        "ES256 is not allowed",
    )
    .await;
}

#[tokio::test]
async fn proof_jwk_with_private_members_is_refused() {
    let s = server("").await;
    let h = Holder::ec();
    let p = h.proof_with("POST", &token_url(&s), |hd, _| {
        let mut jwk = h.jwk();
        jwk["d"] = json!("jTvc0t5ByoPbwRnlsc7Gx4YbAq1GpvDs1TbVGbXJZj8");
        hd.insert("jwk".into(), jwk);
    });
    assert_proof_refused(&s, &p, "private").await;
}

#[tokio::test]
async fn proof_without_a_jwk_is_refused() {
    let s = server("").await;
    let p = Holder::ec().proof_with("POST", &token_url(&s), |hd, _| {
        hd.remove("jwk");
        hd.insert("kid".into(), json!("ec-1"));
    });
    assert_proof_refused(&s, &p, "no jwk").await;
}

#[tokio::test]
async fn proof_signed_by_another_key_than_its_jwk_is_refused() {
    let s = server("").await;
    let (h, other) = (Holder::ec(), Holder::ec());
    let p = h.proof_with("POST", &token_url(&s), |hd, _| {
        hd.insert("jwk".into(), other.jwk());
    });
    assert_proof_refused(&s, &p, "signature does not verify").await;
}

#[tokio::test]
async fn proof_htm_must_be_the_request_method() {
    let s = server("").await;
    assert_proof_refused(&s, &Holder::ec().proof("GET", &token_url(&s)), "htm").await;
    assert_proof_refused(&s, &Holder::ec().proof("post", &token_url(&s)), "htm").await;
}

#[tokio::test]
async fn proof_htu_must_be_this_endpoint() {
    let s = server("").await;
    let h = Holder::ec();
    let other_host = token_url(&s).replace("127.0.0.1", "localhost");
    for htu in [
        other_host,
        format!("{}/userinfo", s.base),
        format!("{}/token/", s.base),
    ] {
        assert_proof_refused(&s, &h.proof("POST", &htu), "htu is not the URI").await;
    }
    let with_query = format!("{}?x=1", token_url(&s));
    assert_proof_refused(&s, &h.proof("POST", &with_query), "query").await;
    // Scheme and host compare case-insensitively (RFC 9449 §4.3, RFC 3986 §6.2.2.1).
    let upper = token_url(&s).replace("http://", "HTTP://");
    let (_, body) = with_proof(&s, &h.proof("POST", &upper)).await;
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

#[tokio::test]
async fn proof_iat_older_than_proof_max_age_is_refused() {
    let s = server("[dpop]\nproof_max_age = \"30s\"").await;
    let h = Holder::ec();
    let stale = h.proof_with("POST", &token_url(&s), |_, c| {
        c.insert("iat".into(), json!(now() - 45));
    });
    assert_proof_refused(&s, &stale, "older than 30 s").await;
    let fresh = h.proof_with("POST", &token_url(&s), |_, c| {
        c.insert("iat".into(), json!(now() - 20));
    });
    assert_eq!(with_proof(&s, &fresh).await.1["error"], "invalid_grant");
}

#[tokio::test]
async fn proof_iat_more_than_ten_seconds_ahead_is_refused() {
    let s = server("").await;
    let h = Holder::ec();
    let future = h.proof_with("POST", &token_url(&s), |_, c| {
        c.insert("iat".into(), json!(now() + 30));
    });
    assert_proof_refused(&s, &future, "in the future").await;
    let slightly = h.proof_with("POST", &token_url(&s), |_, c| {
        c.insert("iat".into(), json!(now() + 5));
    });
    assert_eq!(with_proof(&s, &slightly).await.1["error"], "invalid_grant");
}

#[tokio::test]
async fn proof_required_claims_are_checked() {
    let s = server("").await;
    let h = Holder::ec();
    for missing in ["jti", "htm", "htu", "iat"] {
        let p = h.proof_with("POST", &token_url(&s), |_, c| {
            c.remove(missing);
        });
        assert_proof_refused(&s, &p, &format!("no {missing} claim")).await;
    }
    let p = h.proof_with("POST", &token_url(&s), |_, c| {
        c.insert("iat".into(), json!("soon"));
    });
    assert_proof_refused(&s, &p, "iat is not a number").await;
}

#[tokio::test]
async fn proof_jti_is_accepted_once() {
    let s = server("").await;
    let p = Holder::ec().proof("POST", &token_url(&s));
    assert_eq!(with_proof(&s, &p).await.1["error"], "invalid_grant");
    assert_proof_refused(&s, &p, "used before").await;
}

#[tokio::test]
async fn a_refused_proof_does_not_use_up_its_jti() {
    let s = server("").await;
    let h = Holder::ec();
    let jti = format!("j-{}", unique());
    let bad = h.proof_with("GET", &token_url(&s), |_, c| {
        c.insert("jti".into(), json!(jti));
    });
    assert_proof_refused(&s, &bad, "htm").await;
    let good = h.proof_with("POST", &token_url(&s), |_, c| {
        c.insert("jti".into(), json!(jti));
    });
    assert_eq!(with_proof(&s, &good).await.1["error"], "invalid_grant");
}

#[tokio::test]
async fn two_dpop_headers_are_refused() {
    let s = server("").await;
    let h = Holder::ec();
    let r = redeem_with(
        &s,
        "rp",
        "not-a-code",
        &[
            &h.proof("POST", &token_url(&s)),
            &h.proof("POST", &token_url(&s)),
        ],
    )
    .await;
    assert_error(r, "invalid_dpop_proof", "more than one").await;
}

#[tokio::test]
async fn a_proof_that_is_not_a_jws_is_refused() {
    let s = server("").await;
    for junk in ["x", "a.b.c", &"A".repeat(20_000)] {
        assert_proof_refused(&s, junk, "").await;
    }
}

#[tokio::test]
async fn dpop_bound_access_tokens_refuses_a_token_request_without_a_proof() {
    let s = server("").await;
    let code = code_for(&s, "bound").await;
    let r = redeem_with(&s, "bound", &code, &[]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_dpop_proof", "{body}");
    // With a proof the same code still works: the refusal did not consume it.
    let h = Holder::ec();
    let r = redeem_with(&s, "bound", &code, &[&h.proof("POST", &token_url(&s))]).await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// The token response of a code flow for `client`, redeemed with a proof of `h`'s key.
async fn tokens_for(s: &Srv, client: &str, h: &Holder) -> Value {
    let code = code_for(s, client).await;
    let r = redeem_with(s, client, &code, &[&h.proof("POST", &token_url(s))]).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn refresh_with(s: &Srv, client: &str, rt: &str, proofs: &[&str]) -> reqwest::Response {
    token(
        s,
        client,
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        proofs,
    )
    .await
}

#[tokio::test]
async fn a_public_clients_refresh_token_needs_a_proof_of_its_key() {
    let s = server("").await;
    let h = Holder::ec();
    let t = tokens_for(&s, "spa", &h).await;
    let rt = t["refresh_token"].as_str().unwrap();
    // With a proof of the key: a new bound pair.
    let r = refresh_with(&s, "spa", rt, &[&h.proof("POST", &token_url(&s))]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t2: Value = r.json().await.unwrap();
    assert_eq!(t2["token_type"], "DPoP");
    let rt2 = t2["refresh_token"].as_str().unwrap();
    // Another key: refused, and the grant is gone.
    let thief = Holder::ec();
    let r = refresh_with(&s, "spa", rt2, &[&thief.proof("POST", &token_url(&s))]).await;
    assert_error(r, "invalid_dpop_proof", "bound").await;
    let at = t2["access_token"].as_str().unwrap();
    let r = userinfo(
        &s,
        "DPoP",
        at,
        &[
            &h.proof_with("GET", &format!("{}/userinfo", s.base), |_, c| {
                c.insert("ath".into(), json!(ath(at)));
            }),
        ],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "the grant was revoked"
    );
}

#[tokio::test]
async fn a_bound_refresh_token_without_a_proof_is_refused() {
    let s = server("").await;
    let h = Holder::ec();
    let t = tokens_for(&s, "spa", &h).await;
    let r = refresh_with(&s, "spa", t["refresh_token"].as_str().unwrap(), &[]).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_dpop_proof", "{body}");
}

#[tokio::test]
async fn a_confidential_clients_refresh_token_is_not_bound() {
    // RFC 9449 §5: it is bound to the client's authentication already; the new access token
    // is bound to whatever key the refresh proves.
    let s = server("").await;
    let h = Holder::ec();
    let t = tokens_for(&s, "rp", &h).await;
    let r = refresh_with(&s, "rp", t["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t2: Value = r.json().await.unwrap();
    assert_eq!(t2["token_type"], "Bearer");
}

async fn userinfo(s: &Srv, scheme: &str, at: &str, proofs: &[&str]) -> reqwest::Response {
    let mut r = s
        .http
        .get(format!("{}/userinfo", s.base))
        .header("authorization", format!("{scheme} {at}"));
    for p in proofs {
        r = r.header("DPoP", *p);
    }
    r.send().await.unwrap()
}

/// A DPoP-bound access token of `rp` for `h`'s key.
async fn bound_token(s: &Srv, h: &Holder) -> String {
    let t = tokens_for(s, "rp", h).await;
    t["access_token"].as_str().unwrap().to_string()
}

fn challenges(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn userinfo_accepts_a_bound_token_with_a_proof_carrying_ath() {
    let s = server("").await;
    let h = Holder::ec();
    let at = bound_token(&s, &h).await;
    let ui = format!("{}/userinfo", s.base);
    let p = h.proof_with("GET", &ui, |_, c| {
        c.insert("ath".into(), json!(ath(&at)));
    });
    let r = userinfo(&s, "DPoP", &at, &[&p]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert!(v["sub"].is_string(), "{v}");
}

#[tokio::test]
async fn userinfo_refuses_a_bound_token_presented_as_bearer() {
    let s = server("").await;
    let h = Holder::ec();
    let at = bound_token(&s, &h).await;
    let r = userinfo(&s, "Bearer", &at, &[]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let c = challenges(&r);
    assert!(
        c.iter()
            .any(|c| c.starts_with("Bearer") && c.contains("invalid_token")),
        "{c:?}"
    );
    assert!(
        c.iter().any(|c| c.starts_with("DPoP algs=\"ES256")),
        "{c:?}"
    );
}

#[tokio::test]
async fn userinfo_refuses_a_proof_without_or_with_a_wrong_ath() {
    let s = server("").await;
    let h = Holder::ec();
    let at = bound_token(&s, &h).await;
    let ui = format!("{}/userinfo", s.base);
    for (edit, why) in [(None, "no ath"), (Some("wrong"), "not the hash")] {
        let p = h.proof_with("GET", &ui, |_, c| {
            if let Some(a) = edit {
                c.insert("ath".into(), json!(a));
            }
        });
        let r = userinfo(&s, "DPoP", &at, &[&p]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let c = challenges(&r);
        assert!(
            c.iter()
                .any(|c| c.starts_with("DPoP") && c.contains("error=\"invalid_dpop_proof\"")),
            "{c:?}"
        );
        assert_error(r, "invalid_dpop_proof", why).await;
    }
}

#[tokio::test]
async fn userinfo_refuses_a_proof_by_another_key_than_the_tokens() {
    let s = server("").await;
    let (h, thief) = (Holder::ec(), Holder::ec());
    let at = bound_token(&s, &h).await;
    let p = thief.proof_with("GET", &format!("{}/userinfo", s.base), |_, c| {
        c.insert("ath".into(), json!(ath(&at)));
    });
    let r = userinfo(&s, "DPoP", &at, &[&p]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_error(r, "invalid_dpop_proof", "bound").await;
}

#[tokio::test]
async fn userinfo_refuses_a_bearer_token_presented_as_dpop() {
    let s = server("").await;
    let code = code_for(&s, "rp").await;
    let t = redeem(&s, &code).await;
    let at = t["access_token"].as_str().unwrap();
    let r = userinfo(&s, "DPoP", at, &[]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    // As Bearer it works.
    assert_eq!(
        userinfo(&s, "Bearer", at, &[]).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn userinfo_without_a_token_offers_both_schemes() {
    let s = server("").await;
    let r = s
        .http
        .get(format!("{}/userinfo", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let c = challenges(&r);
    assert!(c.contains(&"Bearer realm=\"writ\"".to_string()), "{c:?}");
    assert!(
        c.contains(&"DPoP algs=\"ES256 PS256 EdDSA RS256\"".to_string()),
        "{c:?}"
    );
}

#[tokio::test]
async fn nonce_required_answers_use_dpop_nonce_with_a_nonce_that_then_works() {
    let s = server("[dpop]\nnonce = \"required\"").await;
    let h = Holder::ec();
    let (status, body) = with_proof(&s, &h.proof("POST", &token_url(&s))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "use_dpop_nonce", "{body}");
    let r = redeem_with(&s, "rp", "not-a-code", &[&h.proof("POST", &token_url(&s))]).await;
    let nonce = r.headers()["dpop-nonce"].to_str().unwrap().to_string();
    let with_nonce = h.proof_with("POST", &token_url(&s), |_, c| {
        c.insert("nonce".into(), json!(nonce));
    });
    assert_eq!(
        with_proof(&s, &with_nonce).await.1["error"],
        "invalid_grant"
    );
    // A nonce that is not the server's.
    let forged = h.proof_with("POST", &token_url(&s), |_, c| {
        c.insert("nonce".into(), json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    });
    assert_eq!(with_proof(&s, &forged).await.1["error"], "use_dpop_nonce");
}

#[tokio::test]
async fn nonce_required_at_userinfo_is_a_dpop_challenge() {
    let s = server("[dpop]\nnonce = \"required\"").await;
    let h = Holder::ec();
    // The token request learns the nonce first.
    let code = code_for(&s, "rp").await;
    let first = redeem_with(&s, "rp", &code, &[&h.proof("POST", &token_url(&s))]).await;
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_string();
    let p = h.proof_with("POST", &token_url(&s), |_, c| {
        c.insert("nonce".into(), json!(nonce));
    });
    let t: Value = redeem_with(&s, "rp", &code, &[&p])
        .await
        .json()
        .await
        .unwrap();
    let at = t["access_token"].as_str().unwrap();
    let no_nonce = h.proof_with("GET", &format!("{}/userinfo", s.base), |_, c| {
        c.insert("ath".into(), json!(ath(at)));
    });
    let r = userinfo(&s, "DPoP", at, &[&no_nonce]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("dpop-nonce"));
    let c = challenges(&r);
    assert!(
        c.iter()
            .any(|c| c.starts_with("DPoP") && c.contains("error=\"use_dpop_nonce\"")),
        "{c:?}"
    );
}

#[tokio::test]
async fn discovery_lists_dpop_algs_and_omits_them_when_off() {
    let s = server("").await;
    assert_eq!(
        discovery(&s).await["dpop_signing_alg_values_supported"],
        json!(["ES256", "PS256", "EdDSA", "RS256"])
    );
    let off = server("[dpop]\nenabled = false").await;
    assert!(
        discovery(&off)
            .await
            .get("dpop_signing_alg_values_supported")
            .is_none()
    );
    // Off: a proof is not looked at, and the token is Bearer.
    let code = code_for(&off, "rp").await;
    let r = redeem_with(
        &off,
        "rp",
        &code,
        &[&Holder::ec().proof("POST", &token_url(&off))],
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["token_type"], "Bearer");
}

#[tokio::test]
async fn refused_proofs_are_counted_by_check() {
    let s = server("").await;
    let p = Holder::ec().proof("GET", &token_url(&s));
    with_proof(&s, &p).await;
    assert!(
        has_metric(
            &s,
            "writ_dpop_proofs_total",
            &["reason=\"htm\"", "outcome=\"refused\""]
        )
        .await
    );
}

#[tokio::test]
async fn dpop_config_refuses_symmetric_and_unknown_algs() {
    let mut c = writ_protocol::config::Config::default();
    c.dpop.algs = vec![JwsAlg::HS256].into();
    let errs = c.validate().unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.contains("dpop.algs") && e.contains("symmetric")),
        "{errs:?}"
    );
    let c: writ_protocol::config::Config =
        serde_json::from_value(json!({ "dpop": { "algs": ["none"] } })).unwrap();
    let errs = c.validate().unwrap_err();
    assert!(errs.iter().any(|e| e.contains("dpop.algs")), "{errs:?}");
}

/// The interaction of `rp`'s plain request with `extra` parameters.
async fn interaction_with(s: &Srv, extra: &[(&str, &str)]) -> String {
    let mut q = "client_id=rp".to_string();
    for (k, v) in plain_params().iter().chain(extra) {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    accepted(s, &authorize(s, &q).await)
}

async fn code_of(s: &Srv, loc: &str) -> String {
    let done = login_and_allow(s, loc).await;
    query(&done).remove("code").expect("a code")
}

#[tokio::test]
async fn dpop_jkt_binds_the_code_to_that_key() {
    let s = server("").await;
    let (h, other) = (Holder::ec(), Holder::ec());
    let loc = interaction_with(&s, &[("dpop_jkt", &h.jkt())]).await;
    // The custom UI sees the binding.
    assert_eq!(interaction_json(&s, &loc).await["dpop_jkt"], h.jkt());
    let code = code_of(&s, &loc).await;
    let r = redeem_with(&s, "rp", &code, &[&other.proof("POST", &token_url(&s))]).await;
    assert_error(r, "invalid_dpop_proof", "bound to a DPoP key").await;

    let loc = interaction_with(&s, &[("dpop_jkt", &h.jkt())]).await;
    let code = code_of(&s, &loc).await;
    let r = redeem_with(&s, "rp", &code, &[&h.proof("POST", &token_url(&s))]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["token_type"], "DPoP");
}

#[tokio::test]
async fn a_bound_code_without_a_proof_is_refused() {
    let s = server("").await;
    let loc = interaction_with(&s, &[("dpop_jkt", &Holder::ec().jkt())]).await;
    let code = code_of(&s, &loc).await;
    let r = redeem_with(&s, "rp", &code, &[]).await;
    assert_error(r, "invalid_dpop_proof", "bound to a DPoP key").await;
}

#[tokio::test]
async fn dpop_jkt_inside_a_signed_request_object_binds_the_code() {
    let s = server("").await;
    let h = Holder::ec();
    let mut c = claims(&s.base, "rp");
    c.insert("dpop_jkt".into(), json!(h.jkt()));
    let q = format!("client_id=rp&request={}", sign(&c));
    let loc = accepted(&s, &authorize(&s, &q).await);
    let view = interaction_json(&s, &loc).await;
    assert_eq!(view["dpop_jkt"], h.jkt());
    assert!(
        view["trusted"]
            .as_array()
            .unwrap()
            .contains(&json!("dpop_jkt")),
        "{view}"
    );
    let code = code_of(&s, &loc).await;
    let r = redeem_with(&s, "rp", &code, &[]).await;
    assert_error(r, "invalid_dpop_proof", "bound").await;
}

#[tokio::test]
async fn a_malformed_dpop_jkt_is_refused() {
    let s = server("").await;
    let mut q = "client_id=rp&dpop_jkt=not-a-thumbprint".to_string();
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    assert_refused(authorize(&s, &q).await, "invalid_request", "dpop_jkt").await;
}

async fn push_with(s: &Srv, extra: &[(&str, &str)], proofs: &[&str]) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = plain_params();
    form.extend_from_slice(extra);
    let mut r = s
        .http
        .post(format!("{}/par", s.base))
        .basic_auth("rp", Some(SECRET));
    for p in proofs {
        r = r.header("DPoP", *p);
    }
    r.form(&form).send().await.unwrap()
}

#[tokio::test]
async fn a_dpop_proof_at_par_binds_the_code() {
    let s = server("").await;
    let (h, other) = (Holder::ec(), Holder::ec());
    let par = format!("{}/par", s.base);
    let r = push_with(&s, &[], &[&h.proof("POST", &par)]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let uri = r.json::<Value>().await.unwrap()["request_uri"]
        .as_str()
        .unwrap()
        .to_string();
    let q = format!("client_id=rp&request_uri={}", enc(&uri));
    let loc = accepted(&s, &authorize(&s, &q).await);
    assert_eq!(interaction_json(&s, &loc).await["dpop_jkt"], h.jkt());
    let code = code_of(&s, &loc).await;
    let r = redeem_with(&s, "rp", &code, &[&other.proof("POST", &token_url(&s))]).await;
    assert_error(r, "invalid_dpop_proof", "bound").await;
}

#[tokio::test]
async fn par_with_dpop_jkt_and_a_proof_of_another_key_is_refused() {
    let s = server("").await;
    let (h, other) = (Holder::ec(), Holder::ec());
    let par = format!("{}/par", s.base);
    let r = push_with(&s, &[("dpop_jkt", &other.jkt())], &[&h.proof("POST", &par)]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_error(r, "invalid_dpop_proof", "another key").await;
    // The same key in both: accepted.
    let r = push_with(&s, &[("dpop_jkt", &h.jkt())], &[&h.proof("POST", &par)]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_bad_proof_at_par_is_refused() {
    let s = server("").await;
    let r = push_with(&s, &[], &[&Holder::ec().proof("POST", &token_url(&s))]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_error(r, "invalid_dpop_proof", "htu").await;
}

// --- the client assertion's jti and the proof's, remembered in one write at /token ---

/// `keyed`: a `private_key_jwt` client (the `rp` EC key), beside the harness's clients.
async fn keyed_server() -> Srv {
    start("", &key_client("keyed", "")).await
}

/// A `keyed` assertion for `s` with `jti`.
fn keyed_assertion(s: &Srv, jti: &str) -> String {
    let t = now();
    rp_assertion(
        &json!({ "iss": "keyed", "sub": "keyed", "aud": s.base, "jti": jti,
        "iat": t, "exp": t + 60 }),
    )
}

/// `POST /token` by `keyed` with `assertion`, an unknown code (so that a request whose
/// assertion and proof both pass ends in `invalid_grant`) and the proof `proof`.
async fn keyed_token(s: &Srv, assertion: &str, proof: &str) -> Value {
    let r = s
        .http
        .post(token_url(s))
        .header("DPoP", proof)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "not-a-code"),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ])
        .send()
        .await
        .unwrap();
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_replayed_client_assertion_is_invalid_client_even_beside_a_fresh_proof() {
    let s = keyed_server().await;
    let h = Holder::ec();
    let a = keyed_assertion(&s, &unique());
    let first = keyed_token(&s, &a, &h.proof("POST", &token_url(&s))).await;
    assert_eq!(first["error"], "invalid_grant", "{first}");
    let again = keyed_token(&s, &a, &h.proof("POST", &token_url(&s))).await;
    assert_eq!(again["error"], "invalid_client", "{again}");
    assert!(
        again["error_description"]
            .as_str()
            .unwrap()
            .contains("jti was used before")
    );
}

#[tokio::test]
async fn a_replayed_proof_beside_a_fresh_assertion_is_invalid_dpop_proof() {
    let s = keyed_server().await;
    let h = Holder::ec();
    let p = h.proof("POST", &token_url(&s));
    let first = keyed_token(&s, &keyed_assertion(&s, &unique()), &p).await;
    assert_eq!(first["error"], "invalid_grant", "{first}");
    let again = keyed_token(&s, &keyed_assertion(&s, &unique()), &p).await;
    assert_eq!(again["error"], "invalid_dpop_proof", "{again}");
    assert!(
        again["error_description"]
            .as_str()
            .unwrap()
            .contains("used before")
    );
}

#[tokio::test]
async fn a_refused_proof_still_uses_up_the_client_assertions_jti() {
    let s = keyed_server().await;
    let h = Holder::ec();
    let a = keyed_assertion(&s, &unique());
    // Authentication stands before the proof is looked at: its jti is remembered...
    let bad = keyed_token(&s, &a, &h.proof("GET", &token_url(&s))).await;
    assert_eq!(bad["error"], "invalid_dpop_proof", "{bad}");
    // ...so the same assertion with a good proof is a replay,
    let again = keyed_token(&s, &a, &h.proof("POST", &token_url(&s))).await;
    assert_eq!(again["error"], "invalid_client", "{again}");
    // and a replayed assertion is invalid_client before anything its proof says.
    let both_bad = keyed_token(&s, &a, &h.proof("GET", &token_url(&s))).await;
    assert_eq!(both_bad["error"], "invalid_client", "{both_bad}");
}
