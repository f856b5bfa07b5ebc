//! What the load drivers share: `svc`'s client assertion and a refresh token for it, got
//! through the real flow (authorize, login, consent, code, token).
#![allow(dead_code)]

use serde_json::{Value, json};
use std::path::Path;
use writ_jose::{EcCurve, JwsAlg, SigningKey, sign_compact};

/// The redirect URI of the drivers' clients.
pub const REDIRECT: &str = "http://127.0.0.1:9/cb";
/// The PKCE verifier of [`CHALLENGE`].
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// `S256` of [`VERIFIER`].
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// RFC 7523 §2.2.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// `application/x-www-form-urlencoded` of `s`.
pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Write `OUT/writ.toml`: the `private_key_jwt` client `svc` (a new P-256 key, saved as
/// `OUT/svc.pk8`), alice, ES256 ID tokens, refresh tokens not rotated, and `sections`.
pub fn config(out: &Path, port: &str, sections: &str) {
    let hash = writ_core::users::hash_password("wonderland", &[1u8; 16]).unwrap();
    write_config(out, port, sections, "ES256", &hash);
}

/// [`config`] with ID tokens signed with `id_alg`, codes that live 10 minutes (the most SPEC
/// §9 allows), so that a load driver can make them before the run, and alice's password
/// hashed with the least Argon2id work (8 KiB, one pass) instead of the server's 19 MiB and
/// two: making tens of thousands of codes signs in once per code, and that must not be a
/// password-hashing benchmark. Never hash a real password like this.
pub fn config_with_id_alg(out: &Path, port: &str, sections: &str, id_alg: &str) {
    use argon2::PasswordHasher as _;
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    let argon2 = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = argon2::password_hash::SaltString::encode_b64(&[1u8; 16]).unwrap();
    let hash = argon2
        .hash_password(b"wonderland", &salt)
        .unwrap()
        .to_string();
    write_config(out, port, sections, id_alg, &hash);
}

fn write_config(out: &Path, port: &str, sections: &str, id_alg: &str, hash: &str) {
    let key = SigningKey::generate_ec(EcCurve::P256).unwrap();
    std::fs::write(out.join("svc.pk8"), key.to_pkcs8().unwrap()).unwrap();
    let mut jwk = key.public_jwk("svc-1").unwrap();
    jwk.alg = None;
    let jwks = json!({ "keys": [jwk] }).to_string();
    let toml = format!(
        r#"
issuer = "http://127.0.0.1:{port}"
listen = "127.0.0.1:{port}"
data_dir = "{data}"
{sections}
[tokens]
id_token_signing_alg = "{id_alg}"
refresh_rotation = "off"
code_lifetime = "10m"
[[clients]]
client_id = "svc"
token_endpoint_auth_method = "private_key_jwt"
redirect_uris = ["{REDIRECT}"]
secrets = [{{ type = "jwks", value = '{jwks}' }}]
[[users]]
username = "alice"
password_hash = "{hash}"
"#,
        data = out.display()
    );
    std::fs::write(out.join("writ.toml"), toml).unwrap();
}

/// `claims` signed with ES256 under the JOSE header `header`.
pub fn sign(key: &SigningKey, header: &Value, claims: &Value) -> String {
    sign_compact(
        header.as_object().unwrap(),
        claims.to_string().as_bytes(),
        JwsAlg::ES256,
        key,
    )
    .unwrap()
}

/// A `private_key_jwt` assertion of `svc` (ES256, kid `svc-1`) valid for 10 minutes, its own
/// `jti` per `i`.
pub fn assertion(key: &SigningKey, base: &str, i: usize) -> String {
    assertion_for(key, base, i, 600)
}

/// [`assertion`], valid for `lifetime` seconds: the server remembers its `jti` that long.
pub fn assertion_for(key: &SigningKey, base: &str, i: usize, lifetime: i64) -> String {
    let t = now();
    let claims = json!({ "iss": "svc", "sub": "svc", "aud": base, "iat": t,
        "exp": t + lifetime, "jti": format!("a-{t}-{}-{i}", std::process::id()) });
    sign(key, &json!({ "kid": "svc-1" }), &claims)
}

/// `url` with its scheme, host and port replaced by `base`'s: the node a load balancer would
/// pick (every node serves the issuer's URLs).
pub fn on(base: &str, url: &str) -> String {
    match url
        .find("://")
        .and_then(|i| url[i + 3..].find('/').map(|j| i + 3 + j))
    {
        Some(path) => format!("{base}{}", &url[path..]),
        None => url.to_owned(),
    }
}

/// A browser: cookies kept, redirects not followed.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// `GET /authorize` with `svc`'s plain parameters at `base`: the interaction URL.
pub async fn start(http: &reqwest::Client, base: &str) -> String {
    let q = format!(
        "client_id=svc&response_type=code&scope=openid%20profile&redirect_uri={}&state=s\
         &code_challenge={CHALLENGE}&code_challenge_method=S256",
        enc(REDIRECT)
    );
    let r = http
        .get(format!("{base}/authorize?{q}"))
        .send()
        .await
        .unwrap();
    r.headers()["location"].to_str().unwrap().to_string()
}

/// The interaction's JSON view, at `base`.
async fn view(http: &reqwest::Client, base: &str, interaction: &str) -> Value {
    http.get(on(base, interaction))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()
}

/// Sign in as alice in `interaction`, at `base`.
pub async fn login(http: &reqwest::Client, base: &str, interaction: &str) {
    let v = view(http, base, interaction).await;
    let r = http
        .post(on(base, v["endpoints"]["login"].as_str().unwrap()))
        .form(&[
            ("username", "alice"),
            ("password", "wonderland"),
            ("csrf_token", v["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "login: {}", r.status());
}

/// The `code` of a redirect back to the client.
fn code_of(location: &str) -> String {
    let back = url::Url::parse(location).unwrap();
    back.query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap_or_else(|| panic!("no code in {back}"))
        .1
        .into_owned()
}

/// Allow `interaction` (signed in), at `base`: the code.
pub async fn consent(http: &reqwest::Client, base: &str, interaction: &str) -> String {
    let v = view(http, base, interaction).await;
    let r = http
        .post(on(base, v["endpoints"]["consent"].as_str().unwrap()))
        .form(&[
            ("decision", "allow"),
            ("csrf_token", v["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    match r.headers().get("location").and_then(|l| l.to_str().ok()) {
        Some(l) => code_of(l),
        None => panic!(
            "consent: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        ),
    }
}

/// Redeem `code` at `base`'s `/token`; the audience of the assertion is `issuer`.
pub async fn redeem(
    http: &reqwest::Client,
    base: &str,
    issuer: &str,
    key: &SigningKey,
    code: &str,
) -> reqwest::Response {
    // Its own jti: counted down from the top, away from the drivers' own counts.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(usize::MAX);
    let i = NEXT.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    let a = assertion(key, issuer, i);
    http.post(format!("{base}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", a.as_str()),
        ])
        .send()
        .await
        .unwrap()
}

/// A refresh token for `svc`, through the real flow.
pub async fn refresh_token(base: &str, key: &SigningKey) -> String {
    let http = browser();
    let interaction = start(&http, base).await;
    login(&http, base, &interaction).await;
    let code = consent(&http, base, &interaction).await;
    let t: Value = redeem(&http, base, base, key, &code)
        .await
        .json()
        .await
        .unwrap();
    t["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no refresh token: {t}"))
        .to_string()
}
