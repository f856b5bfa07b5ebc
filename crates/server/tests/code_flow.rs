//! The authorization code flow over real HTTP on 127.0.0.1:0 with the embedded store:
//! login, consent, code, token with PKCE, ID token checked against /jwks, userinfo, refresh,
//! and one test per error path of the foundation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::Value;
use std::collections::HashMap;
use writ_jose::{Jwk, UnverifiedJws, VerifyingKey};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const SECRET: &str = "a-long-enough-client-secret-for-tests-0123456789";
const REDIRECT: &str = "http://127.0.0.1:9/cb";

struct Server {
    base: String,
    /// The private key of client `svc` (private_key_jwt).
    svc_key: writ_jose::SigningKey,
    /// The embedded store's URL: a test may open a second handle on it.
    store_url: String,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

async fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let hash = writ_core::users::hash_password("wonderland", &[1u8; 16]).unwrap();
    let svc_key = writ_jose::SigningKey::generate_ec(writ_jose::EcCurve::P256).unwrap();
    let svc_jwk = serde_json::to_string(&svc_key.public_jwk("svc-1").unwrap()).unwrap();
    let toml = format!(
        r#"
        issuer = "{base}"
        listen = "{addr}"
        [[clients]]
        client_id = "web"
        client_name = "Web <App>"
        redirect_uris = ["{REDIRECT}"]
        secrets = [{{ type = "shared", value = "{SECRET}" }}]
        [[clients]]
        client_id = "spa"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "none"
        [[clients]]
        client_id = "jarred"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "none"
        require_signed_request_object = true
        [[clients]]
        client_id = "svc"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "private_key_jwt"
        secrets = [{{ type = "jwk", value = '{svc_jwk}' }}]
        [[users]]
        username = "alice"
        password_hash = "{hash}"
        "#
    );
    let file = dir.path().join("writ.toml");
    std::fs::write(&file, toml).unwrap();
    let o = writ_server::config::Overrides {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let config = writ_server::config::load(Some(&file), &o).unwrap();
    let store_url = writ_server::config::store_url(&config).unwrap();
    let store = writ_store::open(&store_url).await.unwrap();
    let provider = writ_server::build_provider(&config, store).await.unwrap();
    tokio::spawn(writ_server::serve(provider, listener));
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    Server {
        base,
        svc_key,
        store_url,
        _dir: dir,
        http,
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_string()
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn authorize_url(s: &Server, client: &str, extra: &str) -> String {
    format!(
        "{}/authorize?client_id={client}&response_type=code&scope=openid%20profile%20offline_access&redirect_uri={}&state=st%26ate&nonce=n-0S6&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        s.base,
        urlencode(REDIRECT)
    )
}

async fn interaction_json(s: &Server, loc: &str) -> Value {
    s.http
        .get(loc)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn login(s: &Server, loc: &str) {
    let view = interaction_json(s, loc).await;
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
}

async fn decide(s: &Server, loc: &str, decision: &str) -> HashMap<String, String> {
    let view = interaction_json(s, loc).await;
    let r = s
        .http
        .post(view["endpoints"]["consent"].as_str().unwrap())
        .form(&[
            ("decision", decision),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert!(to.starts_with(REDIRECT), "{to}");
    query(&to)
}

/// Runs authorize → login → consent(allow) and returns the redirect's query.
async fn get_code(s: &Server, client: &str) -> HashMap<String, String> {
    let r = s
        .http
        .get(authorize_url(s, client, ""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = location(&r);
    assert!(
        loc.starts_with(&format!("{}/interaction/", s.base)),
        "{loc}"
    );
    // A browser that already has a session keeps it; a new one gets a hardened cookie.
    if let Some(cookie) = r.headers().get("set-cookie") {
        let cookie = cookie.to_str().unwrap();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
    }
    let page = s.http.get(&loc).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Sign in to continue to"), "{page}");
    if client == "web" {
        assert!(
            page.contains("Web &lt;App&gt;"),
            "client name is escaped: {page}"
        );
    }
    login(s, &loc).await;
    let page = s.http.get(&loc).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("asks for access") && page.contains("not signed"),
        "{page}"
    );
    decide(s, &loc, "allow").await
}

async fn redeem(s: &Server, code: &str, verifier: &str) -> reqwest::Response {
    s.http
        .post(format!("{}/token", s.base))
        .basic_auth("web", Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
}

async fn refresh(s: &Server, token: &str) -> reqwest::Response {
    s.http
        .post(format!("{}/token", s.base))
        .basic_auth("web", Some(SECRET))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .unwrap()
}

async fn userinfo_status(s: &Server, at: &str) -> StatusCode {
    s.http
        .get(format!("{}/userinfo", s.base))
        .bearer_auth(at)
        .send()
        .await
        .unwrap()
        .status()
}

async fn verify_with_jwks(s: &Server, token: &str) -> serde_json::Map<String, Value> {
    let jwks: Value = s
        .http
        .get(format!("{}/jwks", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let parsed = UnverifiedJws::parse(token, 16 * 1024).unwrap();
    let kid = parsed.header().kid.clone().unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap();
    let jwk = Jwk::from_json(jwk.to_string().as_bytes()).unwrap();
    let key = VerifyingKey::from_jwk(&jwk).unwrap();
    parsed.verify(&key).unwrap().payload_json().unwrap()
}

#[tokio::test]
async fn code_flow_with_pkce_issues_tokens_verifiable_with_jwks() {
    let s = start().await;
    let q = get_code(&s, "web").await;
    assert_eq!(q["state"], "st&ate");
    assert_eq!(q["iss"], s.base, "RFC 9207 iss in the response");
    let r = redeem(&s, &q["code"], VERIFIER).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["token_type"], "Bearer");
    let id = verify_with_jwks(&s, t["id_token"].as_str().unwrap()).await;
    assert_eq!(id["iss"], s.base.as_str());
    assert_eq!(id["aud"], "web");
    assert_eq!(id["nonce"], "n-0S6");
    assert!(id["auth_time"].is_i64());
    let at = t["access_token"].as_str().unwrap();
    verify_with_jwks(&s, at).await;
    let ui: Value = s
        .http
        .get(format!("{}/userinfo", s.base))
        .bearer_auth(at)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ui["sub"], id["sub"]);
    assert_eq!(ui["preferred_username"], "alice");
}

#[tokio::test]
async fn refresh_token_rotates_and_reuse_revokes_the_grant() {
    let s = start().await;
    let q = get_code(&s, "web").await;
    let t: Value = redeem(&s, &q["code"], VERIFIER).await.json().await.unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    let r = refresh(&s, rt).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t2: Value = r.json().await.unwrap();
    assert_ne!(t2["refresh_token"], t["refresh_token"]);
    assert_eq!(
        userinfo_status(&s, t2["access_token"].as_str().unwrap()).await,
        StatusCode::OK
    );
    let r = refresh(&s, rt).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(
        userinfo_status(&s, t2["access_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
    let r = refresh(&s, t2["refresh_token"].as_str().unwrap()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

/// Codes and refresh tokens begin with their creation time and are stored under that prefix
/// and their hash (`secret::secret_key`); one made before that form (43 characters, stored
/// under its hash alone) must still be found after an upgrade.
#[tokio::test]
async fn a_refresh_token_stored_before_time_ordered_keys_still_refreshes() {
    use writ_core::ports::StoredRefreshToken;
    use writ_core::secret::{hash_token, secret_key};
    let s = start().await;
    let q = get_code(&s, "web").await;
    assert_eq!(
        q["code"].len(),
        54,
        "11 hex digits of time, 43 of randomness"
    );
    let t: Value = redeem(&s, &q["code"], VERIFIER).await.json().await.unwrap();
    let issued = t["refresh_token"].as_str().unwrap();
    assert_eq!(issued.len(), 54);
    // A second handle on the same database, as another node (or the previous build) would be.
    let store = writ_store::open(&s.store_url).await.unwrap();
    let row = store
        .refresh_get_live(&secret_key(issued), now())
        .await
        .unwrap()
        .expect("the issued token is stored under its time prefix and hash");
    assert_eq!(&row.token_hash[..11], &issued[..11]);
    let earlier = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    store
        .refresh_insert(&StoredRefreshToken {
            token_hash: hash_token(earlier),
            grant_id: row.grant_id,
            payload: row.payload,
            expires_at: row.expires_at,
        })
        .await
        .unwrap();
    let r = refresh(&s, earlier).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Rotated: the earlier one is used up, and its successor has the new form.
    let next: Value = r.json().await.unwrap();
    assert_eq!(next["refresh_token"].as_str().unwrap().len(), 54);
    assert_eq!(refresh(&s, earlier).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn code_is_one_time_and_reuse_revokes_issued_tokens() {
    let s = start().await;
    let q = get_code(&s, "web").await;
    let t: Value = redeem(&s, &q["code"], VERIFIER).await.json().await.unwrap();
    let r = redeem(&s, &q["code"], VERIFIER).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(
        userinfo_status(&s, t["access_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn wrong_code_verifier_is_invalid_grant() {
    let s = start().await;
    let q = get_code(&s, "web").await;
    let r = redeem(&s, &q["code"], "x".repeat(43).as_str()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn wrong_client_secret_is_invalid_client_401() {
    let s = start().await;
    let q = get_code(&s, "web").await;
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .basic_auth("web", Some("wrong"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("www-authenticate"));
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
}

#[tokio::test]
async fn public_client_redeems_with_pkce_and_no_secret() {
    let s = start().await;
    let q = get_code(&s, "spa").await;
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "spa"),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_client_gets_an_error_page_never_a_redirect() {
    let s = start().await;
    let r = s
        .http
        .get(authorize_url(&s, "nobody", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("invalid_client"));
}

#[tokio::test]
async fn unregistered_redirect_uri_is_never_redirected_to() {
    let s = start().await;
    let url = authorize_url(&s, "web", "")
        .replace(&urlencode(REDIRECT), &urlencode("https://evil.example/cb"));
    let r = s.http.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn errors_after_the_redirect_uri_check_are_redirected_with_state_and_iss() {
    let s = start().await;
    let cases = [
        (
            "code_challenge_method=S256",
            "code_challenge_method=plain",
            "invalid_request",
        ),
        ("scope=openid", "scope=admin%20openid", "invalid_scope"),
        (
            "response_type=code",
            "response_type=token",
            "unsupported_response_type",
        ),
    ];
    for (from, to, code) in cases {
        let url = authorize_url(&s, "web", "").replace(from, to);
        let r = s.http.get(url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{to}");
        let q = query(&location(&r));
        assert_eq!(q["error"], code, "{to}");
        assert_eq!(q["state"], "st&ate");
        assert_eq!(q["iss"], s.base);
    }
    let r = s
        .http
        .get(authorize_url(&s, "web", "&prompt=none"))
        .send()
        .await
        .unwrap();
    assert_eq!(query(&location(&r))["error"], "login_required");
}

#[tokio::test]
async fn public_client_without_pkce_is_refused() {
    let s = start().await;
    let url = authorize_url(&s, "spa", "").replace(
        &format!("&code_challenge={CHALLENGE}&code_challenge_method=S256"),
        "",
    );
    let q = query(&location(&s.http.get(url).send().await.unwrap()));
    assert_eq!(q["error"], "invalid_request");
    assert!(q["error_description"].contains("code_challenge"));
}

#[tokio::test]
async fn duplicate_parameters_are_refused_without_redirect() {
    let s = start().await;
    let r = s
        .http
        .get(authorize_url(&s, "web", "&scope=openid"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn client_requiring_signed_requests_refuses_plain_ones() {
    let s = start().await;
    let r = s
        .http
        .get(authorize_url(&s, "jarred", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(query(&location(&r))["error"], "invalid_request");
}

#[tokio::test]
async fn consent_deny_redirects_access_denied_with_state() {
    let s = start().await;
    let r = s
        .http
        .get(authorize_url(&s, "web", ""))
        .send()
        .await
        .unwrap();
    let loc = location(&r);
    login(&s, &loc).await;
    let q = decide(&s, &loc, "deny").await;
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st&ate");
}

#[tokio::test]
async fn login_needs_the_csrf_token_and_the_same_browser() {
    let s = start().await;
    let r = s
        .http
        .get(authorize_url(&s, "web", ""))
        .send()
        .await
        .unwrap();
    let cookie = r
        .headers()
        .get("set-cookie")
        .expect("a new browser gets a session cookie")
        .to_str()
        .unwrap();
    assert!(
        cookie.starts_with("writ_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let loc = location(&r);
    let v = interaction_json(&s, &loc).await;
    let url = v["endpoints"]["login"].as_str().unwrap().to_string();
    let csrf = v["csrf_token"].as_str().unwrap();
    let r = s
        .http
        .post(&url)
        .form(&[("username", "alice"), ("password", "wonderland")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let other = reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let r = other
        .post(&url)
        .form(&[
            ("username", "alice"),
            ("password", "wonderland"),
            ("csrf_token", csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "another browser session");
    let r = s
        .http
        .post(&url)
        .form(&[
            ("username", "alice"),
            ("password", "nope"),
            ("csrf_token", csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Wrong username or password")
    );
}

/// The value of the `writ_session` cookie a response sets, checking its attributes.
fn set_session_cookie(r: &reqwest::Response) -> String {
    let header = r
        .headers()
        .get("set-cookie")
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap();
    assert!(
        header.contains("; Path=/")
            && header.contains("HttpOnly")
            && header.contains("SameSite=Lax"),
        "{header}"
    );
    let (pair, _) = header.split_once(';').unwrap();
    let (name, value) = pair.split_once('=').unwrap();
    assert_eq!(name, "writ_session");
    value.to_string()
}

/// Session fixation (OWASP ASVS V3.2.1): login rotates the session. A cookie known before the
/// sign-in (planted by an attacker, say) neither reaches the signed-in interaction nor counts
/// as logged in afterwards; the browser finishes the flow with the cookie set at login.
#[tokio::test]
async fn login_rotates_the_session_so_the_pre_login_cookie_no_longer_authenticates() {
    let s = start().await;
    // Cookies by hand, to hold on to the old one.
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let with =
        |req: reqwest::RequestBuilder, c: &str| req.header("cookie", format!("writ_session={c}"));
    let r = http.get(authorize_url(&s, "web", "")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let before = set_session_cookie(&r);
    let loc = location(&r);
    let view: Value = with(http.get(&loc), &before)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = with(
        http.post(view["endpoints"]["login"].as_str().unwrap()),
        &before,
    )
    .form(&[
        ("username", "alice"),
        ("password", "wonderland"),
        ("csrf_token", view["csrf_token"].as_str().unwrap()),
    ])
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let after = set_session_cookie(&r);
    assert_ne!(after, before, "a new cookie at login");

    // The old cookie: not bound to the interaction any more, and not logged in.
    let r = with(http.get(&loc), &before)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "old cookie on the interaction"
    );
    let r = with(http.get(authorize_url(&s, "web", "&prompt=none")), &before)
        .send()
        .await
        .unwrap();
    assert_eq!(
        query(&location(&r))["error"],
        "login_required",
        "old cookie"
    );

    // The new cookie is logged in and completes the flow.
    let r = with(http.get(authorize_url(&s, "web", "&prompt=none")), &after)
        .send()
        .await
        .unwrap();
    assert_eq!(
        query(&location(&r))["error"],
        "consent_required",
        "new cookie"
    );
    let view: Value = with(http.get(&loc), &after)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["login"]["username"], "alice");
    let consent = view["endpoints"]["consent"].as_str().unwrap();
    let form = [
        ("decision", "allow"),
        ("csrf_token", view["csrf_token"].as_str().unwrap()),
    ];
    let r = with(http.post(consent), &before)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "old cookie on consent");
    let r = with(http.post(consent), &after)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let q = query(&location(&r));
    assert_eq!(q["state"], "st&ate");
    let r = redeem(&s, &q["code"], VERIFIER).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn error_page_escapes_html() {
    let s = start().await;
    let r = s
        .http
        .get(format!(
            "{}/authorize?client_id=x&state=%3Cscript%3E&request=%3Cscript%3E",
            s.base
        ))
        .send()
        .await
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(!body.contains("<script>"), "{body}");
}

#[tokio::test]
async fn jwks_publishes_rs256_and_es256_public_keys_and_health_is_ok() {
    let s = start().await;
    let jwks: Value = s
        .http
        .get(format!("{}/jwks", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    let algs: Vec<&str> = keys
        .iter()
        .filter(|k| k["use"] == "sig")
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert!(
        algs.contains(&"RS256") && algs.contains(&"ES256"),
        "{algs:?}"
    );
    let enc: Vec<&str> = keys
        .iter()
        .filter(|k| k["use"] == "enc")
        .map(|k| k["kty"].as_str().unwrap())
        .collect();
    assert_eq!(enc.len(), 2, "an RSA and an EC decryption key: {keys:?}");
    assert!(enc.contains(&"RSA") && enc.contains(&"EC"), "{enc:?}");
    for k in keys {
        assert!(k.get("d").is_none(), "no private members");
    }
    let h = s
        .http
        .get(format!("{}/health", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(h.status(), StatusCode::OK);
    let m = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(m.status(), StatusCode::OK);
    assert!(
        m.text()
            .await
            .unwrap()
            .contains("writ_http_responses_total")
    );
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn assertion(key: &writ_jose::SigningKey, alg: writ_jose::JwsAlg, claims: Value) -> String {
    let mut header = serde_json::Map::new();
    header.insert("kid".into(), "svc-1".into());
    writ_jose::sign_compact(&header, claims.to_string().as_bytes(), alg, key).unwrap()
}

fn claims(s: &Server, jti: &str) -> Value {
    serde_json::json!({
        "iss": "svc", "sub": "svc", "aud": format!("{}/token", s.base),
        "jti": jti, "iat": now(), "exp": now() + 60,
    })
}

async fn redeem_with_assertion(s: &Server, code: &str, jwt: &str) -> reqwest::Response {
    s.http
        .post(format!("{}/token", s.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", jwt),
        ])
        .send()
        .await
        .unwrap()
}

async fn assert_invalid_client(r: reqwest::Response, why: &str) {
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{why}");
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "invalid_client",
        "{why}"
    );
}

#[tokio::test]
async fn private_key_jwt_checks_aud_exp_lifetime_key_and_refuses_a_replayed_jti() {
    let s = start().await;
    let code = get_code(&s, "svc").await["code"].clone();
    let es = writ_jose::JwsAlg::ES256;
    // Each refused assertion leaves the code unused: authentication comes first.
    let mut bad = claims(&s, "a1");
    bad["aud"] = "https://someone-else.example/token".into();
    assert_invalid_client(
        redeem_with_assertion(&s, &code, &assertion(&s.svc_key, es, bad)).await,
        "aud",
    )
    .await;
    let mut bad = claims(&s, "a2");
    bad["exp"] = (now() - 120).into();
    assert_invalid_client(
        redeem_with_assertion(&s, &code, &assertion(&s.svc_key, es, bad)).await,
        "expired",
    )
    .await;
    let mut bad = claims(&s, "a3");
    bad["exp"] = (now() + 7200).into();
    assert_invalid_client(
        redeem_with_assertion(&s, &code, &assertion(&s.svc_key, es, bad)).await,
        "too long lived",
    )
    .await;
    let mut bad = claims(&s, "a4");
    bad.as_object_mut().unwrap().remove("jti");
    assert_invalid_client(
        redeem_with_assertion(&s, &code, &assertion(&s.svc_key, es, bad)).await,
        "no jti",
    )
    .await;
    let other = writ_jose::SigningKey::generate_ec(writ_jose::EcCurve::P256).unwrap();
    assert_invalid_client(
        redeem_with_assertion(&s, &code, &assertion(&other, es, claims(&s, "a5"))).await,
        "unregistered key with the registered kid",
    )
    .await;
    let hmac = writ_jose::SigningKey::from_shared_secret(&[7u8; 32]).unwrap();
    assert_invalid_client(
        redeem_with_assertion(
            &s,
            &code,
            &assertion(&hmac, writ_jose::JwsAlg::HS256, claims(&s, "a6")),
        )
        .await,
        "HMAC",
    )
    .await;

    let good = assertion(&s.svc_key, es, claims(&s, "once"));
    let r = redeem_with_assertion(&s, &code, &good).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the valid assertion authenticates"
    );
    let code2 = get_code(&s, "svc").await["code"].clone();
    assert_invalid_client(
        redeem_with_assertion(&s, &code2, &good).await,
        "replayed jti",
    )
    .await;
    let fresh = assertion(&s.svc_key, es, claims(&s, "twice"));
    assert_eq!(
        redeem_with_assertion(&s, &code2, &fresh).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_client_must_use_its_registered_authentication_method() {
    let s = start().await;
    let q = get_code(&s, "web").await;
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "web"),
            ("client_secret", SECRET),
            ("code", &q["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_invalid_client(r, "client_secret_post by a client_secret_basic client").await;
}
