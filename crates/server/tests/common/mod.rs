//! Shared harness of the request_uri and PAR tests: a `writ` server on 127.0.0.1:0 with the
//! embedded store and a config file written by the test, clients' signing keys, request
//! objects, and the login → consent → code → token steps.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod cli;
pub mod dpop;
pub mod node;
pub mod ro_host;

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::OnceLock;
use writ_jose::{EcCurve, JwsAlg, SigningKey, sign_compact};

pub const SECRET: &str = "a-shared-client-secret-long-enough-for-hs512-0123456789abcdefghijklmnopq";
pub const OTHER_SECRET: &str = "another-secret-that-is-long-enough-0123456789abcdef";
pub const REDIRECT: &str = "http://127.0.0.1:9/cb";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The `rp` client's P-256 key (`kid` `ec-1`).
pub fn rp_key() -> &'static SigningKey {
    static K: OnceLock<SigningKey> = OnceLock::new();
    K.get_or_init(|| SigningKey::generate_ec(EcCurve::P256).unwrap())
}

/// The `rp` client's public JWK set.
pub fn rp_jwks() -> String {
    let mut j = rp_key().public_jwk("ec-1").unwrap();
    j.alg = None;
    json!({ "keys": [j] }).to_string()
}

pub struct Srv {
    pub base: String,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
    /// The running provider, for tests that change a registration while it serves.
    pub provider: std::sync::Arc<writ_core::Provider>,
}

/// Start a server. `sections` is TOML placed after `issuer`/`listen` (`[jar]`, `[par]`...);
/// `clients` is extra `[[clients]]`. Clients always present: `rp` (client_secret_basic,
/// the EC key above and the shared secret) and `other` (client_secret_basic, another secret).
pub async fn start(sections: &str, clients: &str) -> Srv {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let hash = writ_core::users::hash_password("wonderland", &[1u8; 16]).unwrap();
    let rp = rp_jwks();
    let toml = format!(
        r#"
        issuer = "{base}"
        listen = "{addr}"
        {sections}
        [[clients]]
        client_id = "rp"
        redirect_uris = ["{REDIRECT}"]
        secrets = [{{ type = "jwks", value = '{rp}' }}, {{ type = "shared", value = "{SECRET}" }}]
        [[clients]]
        client_id = "other"
        redirect_uris = ["{REDIRECT}"]
        secrets = [{{ type = "shared", value = "{OTHER_SECRET}" }}]
        {clients}
        [[users]]
        username = "alice"
        password_hash = "{hash}"
        claims = {{ name = "Alice Liddell", email = "alice@example.com", email_verified = true }}
        "#
    );
    serve(dir, listener, &toml).await
}

/// Write `toml` as `writ.toml` in `dir` (also the data directory), load it as `writ serve`
/// would, and serve it on `listener`.
pub async fn serve(dir: tempfile::TempDir, listener: tokio::net::TcpListener, toml: &str) -> Srv {
    let base = format!("http://{}", listener.local_addr().unwrap());
    let file = dir.path().join("writ.toml");
    std::fs::write(&file, toml).unwrap();
    let o = writ_server::config::Overrides {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let config = writ_server::config::load(Some(&file), &o).unwrap();
    let store = writ_store::open(&writ_server::config::store_url(&config).unwrap())
        .await
        .unwrap();
    let provider = writ_server::build_provider(&config, store).await.unwrap();
    let limits = writ_server::HttpLimits::from(&config.http);
    tokio::spawn(writ_server::serve_with(provider.clone(), listener, limits));
    Srv {
        base,
        http: browser(),
        dir,
        provider,
    }
}

/// An HTTP client that never follows redirects and keeps cookies, like a browser under test.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// A `writ serve` process of the `writ` binary, killed (SIGKILL) and reaped when dropped.
pub struct WritProcess {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl WritProcess {
    /// `writ serve --config config`, listening on `port`, once it answers `/health`.
    pub async fn spawn(config: &std::path::Path, port: u16) -> WritProcess {
        use std::process::{Command, Stdio};
        let process = WritProcess {
            child: Command::new(env!("CARGO_BIN_EXE_writ"))
                .args(["serve", "--config"])
                .arg(config)
                .env("WRIT_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap(),
            base: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(r) = http.get(format!("{}/health", process.base)).send().await
                && r.status().is_success()
            {
                return process;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("writ serve --config {} did not start", config.display());
    }

    /// SIGKILL (std's `Child::kill` on Unix): no shutdown, no checkpoint, writes in flight.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WritProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP port free on 127.0.0.1 now, for a `writ serve` process to listen on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{}-{}", now(), N.fetch_add(1, Ordering::SeqCst))
}

/// A complete, valid request-object claim set for `client` at the server `issuer`.
pub fn claims(issuer: &str, client: &str) -> Map<String, Value> {
    let t = now();
    json!({
        "iss": client,
        "aud": issuer,
        "iat": t,
        "nbf": t,
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

/// `claims` signed ES256 with the `rp` key.
pub fn sign(claims: &Map<String, Value>) -> String {
    let h = json!({ "kid": "ec-1", "typ": "oauth-authz-req+jwt" });
    sign_compact(
        h.as_object().unwrap(),
        &serde_json::to_vec(claims).unwrap(),
        JwsAlg::ES256,
        rp_key(),
    )
    .unwrap()
}

/// An unsecured (`alg: none`) request object.
pub fn unsigned(claims: &Map<String, Value>) -> String {
    let b = |v: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, v);
    format!(
        "{}.{}.",
        b(br#"{"alg":"none"}"#),
        b(&serde_json::to_vec(claims).unwrap())
    )
}

/// Plain authorization parameters for `rp`.
pub fn plain_params() -> Vec<(&'static str, &'static str)> {
    vec![
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("redirect_uri", REDIRECT),
        ("state", "pushed-state"),
        ("nonce", "pushed-nonce"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location; status {}", r.status()))
        .to_str()
        .unwrap()
        .to_string()
}

pub fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `GET /authorize?{q}`.
pub async fn authorize(s: &Srv, q: &str) -> reqwest::Response {
    s.http
        .get(format!("{}/authorize?{q}", s.base))
        .send()
        .await
        .unwrap()
}

/// The request was accepted: a 303 to the interaction page. Returns its URL.
pub fn accepted(s: &Srv, r: &reqwest::Response) -> String {
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "expected a redirect");
    let loc = location(r);
    assert!(
        loc.starts_with(&format!("{}/interaction/", s.base)),
        "expected the interaction, got {loc}"
    );
    loc
}

/// The error of a refused `/authorize`, redirected to the client or shown as a page/JSON:
/// `(error, error_description)`.
pub async fn authorize_error(r: reqwest::Response) -> (String, String) {
    if r.status() == StatusCode::SEE_OTHER {
        let loc = location(&r);
        assert!(loc.starts_with(REDIRECT), "not an error redirect: {loc}");
        let q = query(&loc);
        return (
            q.get("error").cloned().unwrap_or_default(),
            q.get("error_description").cloned().unwrap_or_default(),
        );
    }
    assert!(
        r.status().is_client_error(),
        "expected 4xx, got {}",
        r.status()
    );
    let text = r.text().await.unwrap();
    match serde_json::from_str::<Value>(&text) {
        Ok(v) => (
            v["error"].as_str().unwrap_or_default().to_string(),
            v["error_description"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ),
        Err(_) => (text.clone(), text),
    }
}

/// Assert `/authorize` was refused with `code` and a description mentioning `why`.
pub async fn assert_refused(r: reqwest::Response, code: &str, why: &str) {
    let (error, description) = authorize_error(r).await;
    assert!(
        error == code || (error.contains(code) && error.contains('<')),
        "expected {code}, got {error} ({description})"
    );
    assert!(
        description.contains(why),
        "description {description:?} should mention {why:?}"
    );
}

pub async fn interaction_json(s: &Srv, loc: &str) -> Value {
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

/// Log in as alice and allow, from the interaction at `loc`; returns the client redirect.
pub async fn login_and_allow(s: &Srv, loc: &str) -> String {
    location(&login_and_decide(s, loc, "allow").await)
}

/// Log in as alice in the interaction at `loc`.
pub async fn login(s: &Srv, loc: &str) {
    let view = interaction_json(s, loc).await;
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
}

/// Log in as alice, then answer the consent with `decision`; returns the consent response.
pub async fn login_and_decide(s: &Srv, loc: &str, decision: &str) -> reqwest::Response {
    login(s, loc).await;
    let view = interaction_json(s, loc).await;
    s.http
        .post(view["endpoints"]["consent"].as_str().unwrap())
        .form(&[
            ("decision", decision),
            ("csrf_token", view["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap()
}

/// The claims of a JARM `response` JWT, not verified (for tests that check what a
/// response said, not who signed it).
pub fn jarm_claims(jwt: &str) -> Value {
    let jws = writ_jose::UnverifiedJws::parse(jwt, 16 * 1024).unwrap();
    serde_json::from_slice(jws.payload_bytes()).unwrap()
}

/// Redeem `code` for `rp` (client_secret_basic) and return the token response.
pub async fn redeem(s: &Srv, code: &str) -> Value {
    redeem_as(s, "rp", SECRET, code).await
}

/// Redeem `code` for `client` with `client_secret_basic` and return the token response.
pub async fn redeem_as(s: &Srv, client: &str, secret: &str, code: &str) -> Value {
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .basic_auth(client, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// `sha256(body)` base64url: the fragment-hash convention of SPEC §5.
pub fn fragment_hash(body: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body);
    base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        d.as_ref(),
    )
}

/// The discovery document.
pub async fn discovery(s: &Srv) -> Value {
    s.http
        .get(format!("{}/.well-known/openid-configuration", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Whether `/metrics` has a `writ_request_objects_total` line with every label in `labels`.
pub async fn has_request_object_metric(s: &Srv, labels: &[&str]) -> bool {
    has_metric(s, "writ_request_objects_total", labels).await
}

/// Whether `/metrics` has a `name` line with every label in `labels`.
pub async fn has_metric(s: &Srv, name: &str, labels: &[&str]) -> bool {
    let m = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    m.lines()
        .any(|l| l.starts_with(name) && labels.iter().all(|x| l.contains(x)))
}

/// The server's `/jwks` document.
pub async fn jwks(s: &Srv) -> Value {
    s.http
        .get(format!("{}/jwks", s.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `jwt` verified with the server's published key that its `kid` names: its header and
/// claims (ID tokens, signed introspection answers).
pub async fn verified_by_server(s: &Srv, jwt: &str) -> (Value, Value) {
    let jws = writ_jose::UnverifiedJws::parse(jwt, 16 * 1024).unwrap();
    let kid = jws.header().kid.clone().unwrap();
    let keys = jwks(s).await;
    let jwk = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .expect("the kid is published at /jwks");
    let key = writ_jose::VerifyingKey::from_jwk(
        &writ_jose::Jwk::from_json(jwk.to_string().as_bytes()).unwrap(),
    )
    .unwrap();
    let verified = jws.verify(&key).unwrap();
    let header = serde_json::to_value(&verified.header().raw).unwrap();
    (header, serde_json::from_slice(verified.payload()).unwrap())
}

/// A code for `client` (a plain request with [`plain_params`]) through login and consent.
pub async fn code_for(s: &Srv, client: &str) -> String {
    let mut q = format!("client_id={client}");
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    let loc = accepted(s, &authorize(s, &q).await);
    let done = login_and_allow(s, &loc).await;
    query(&done).remove("code").expect("a code")
}

/// A `[[clients]]` entry for `id` authenticating with `private_key_jwt` by the `rp` EC key
/// (`kid` `ec-1`), with `extra` TOML lines.
pub fn key_client(id: &str, extra: &str) -> String {
    format!(
        "[[clients]]\nclient_id = \"{id}\"\ntoken_endpoint_auth_method = \"private_key_jwt\"\n\
         redirect_uris = [\"{REDIRECT}\"]\nsecrets = [{{ type = \"jwks\", value = '{}' }}]\n{extra}\n",
        rp_jwks()
    )
}

/// `claims` signed ES256 by the `rp` EC key as a client assertion (`kid` `ec-1`, RFC 7523).
pub fn rp_assertion(claims: &Value) -> String {
    sign_compact(
        json!({ "kid": "ec-1" }).as_object().unwrap(),
        claims.to_string().as_bytes(),
        JwsAlg::ES256,
        rp_key(),
    )
    .unwrap()
}
