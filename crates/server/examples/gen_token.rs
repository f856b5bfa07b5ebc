//! The `/token` load generator (`bench/load/token.sh`, issue 14 deliverable 8).
//!
//! `gen_token config OUT PORT` writes `OUT/writ.toml` (a `private_key_jwt` client `svc` with a
//! new P-256 key, saved as `OUT/svc.pk8`; alice; ES256 ID tokens; refresh tokens not rotated,
//! so one refresh token serves every request; DPoP proofs valid for 10 minutes, so they can
//! be made in advance).
//!
//! `gen_token requests OUT BASE N` signs in as alice through the real server at `BASE`
//! (authorize, login, consent, code, token), then writes `N` refresh requests to
//! `OUT/plain.txt` and `N` to `OUT/dpop.txt`, one per line: the form body, a tab, and the
//! `DPoP` header (`-` for none). Every line has its own client assertion (ES256, its own
//! `jti`) and, in `dpop.txt`, its own proof (ES256, its own `jti`, `htm` POST, `htu`
//! BASE/token). It also prints `VERIFY_US <µs>`: one ES256 JWS parse + verify on this CPU,
//! the yardstick of the goal ("the DPoP check costs no more than one signature verify plus
//! 10 %").
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::time::Instant;
use writ_jose::{EcCurve, JwsAlg, SigningKey, SigningKeyKind, UnverifiedJws, sign_compact};

const REDIRECT: &str = "http://127.0.0.1:9/cb";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn config(out: &Path, port: &str) {
    let key = SigningKey::generate_ec(EcCurve::P256).unwrap();
    std::fs::write(out.join("svc.pk8"), key.to_pkcs8().unwrap()).unwrap();
    let mut jwk = key.public_jwk("svc-1").unwrap();
    jwk.alg = None;
    let jwks = json!({ "keys": [jwk] }).to_string();
    let hash = writ_core::users::hash_password("wonderland", &[1u8; 16]).unwrap();
    let toml = format!(
        r#"
issuer = "http://127.0.0.1:{port}"
listen = "127.0.0.1:{port}"
data_dir = "{data}"
[tokens]
id_token_signing_alg = "ES256"
refresh_rotation = "off"
[dpop]
proof_max_age = "10m"
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

fn assertion(key: &SigningKey, base: &str, i: usize) -> String {
    let t = now();
    let claims = json!({ "iss": "svc", "sub": "svc", "aud": base, "iat": t, "exp": t + 600,
        "jti": format!("a-{t}-{i}") });
    let h = json!({ "kid": "svc-1" });
    sign_compact(
        h.as_object().unwrap(),
        claims.to_string().as_bytes(),
        JwsAlg::ES256,
        key,
    )
    .unwrap()
}

fn proof(key: &SigningKey, jwk: &Value, base: &str, i: usize) -> String {
    let t = now();
    let h = json!({ "typ": "dpop+jwt", "jwk": jwk });
    let claims = json!({ "jti": format!("p-{t}-{i}"), "htm": "POST",
        "htu": format!("{base}/token"), "iat": t });
    sign_compact(
        h.as_object().unwrap(),
        claims.to_string().as_bytes(),
        JwsAlg::ES256,
        key,
    )
    .unwrap()
}

/// A refresh token for `svc`, through the real flow.
async fn refresh_token(base: &str, key: &SigningKey) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
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
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let view = |http: reqwest::Client, loc: String| async move {
        http.get(loc)
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let v = view(http.clone(), loc.clone()).await;
    http.post(v["endpoints"]["login"].as_str().unwrap())
        .form(&[
            ("username", "alice"),
            ("password", "wonderland"),
            ("csrf_token", v["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let v = view(http.clone(), loc).await;
    let r = http
        .post(v["endpoints"]["consent"].as_str().unwrap())
        .form(&[
            ("decision", "allow"),
            ("csrf_token", v["csrf_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let back = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let code = back
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let a = assertion(key, base, usize::MAX);
    let t: Value = http
        .post(format!("{base}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", a.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    t["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no refresh token: {t}"))
        .to_string()
}

/// µs for one ES256 parse + verify, the median of 5 rounds of 2,000.
fn verify_us(key: &SigningKey) -> f64 {
    let token = assertion(key, "http://x", 0);
    let vk = key.verifying_key();
    let mut rounds: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..2000 {
                let p = UnverifiedJws::parse(&token, 8192).unwrap();
                p.verify(&vk).unwrap();
            }
            t.elapsed().as_secs_f64() * 1e6 / 2000.0
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[2]
}

async fn requests(out: &Path, base: &str, n: usize) {
    let key = SigningKey::from_pkcs8(
        SigningKeyKind::Ec(EcCurve::P256),
        &std::fs::read(out.join("svc.pk8")).unwrap(),
    )
    .unwrap();
    let rt = refresh_token(base, &key).await;
    let holder = SigningKey::generate_ec(EcCurve::P256).unwrap();
    let mut jwk = serde_json::to_value(holder.public_jwk("h").unwrap()).unwrap();
    let o = jwk.as_object_mut().unwrap();
    o.remove("kid");
    o.remove("alg");
    for (file, with_proof) in [("plain.txt", false), ("dpop.txt", true)] {
        let mut w = std::io::BufWriter::new(std::fs::File::create(out.join(file)).unwrap());
        for i in 0..n {
            let body = format!(
                "grant_type=refresh_token&refresh_token={}&client_assertion_type={}&client_assertion={}",
                enc(&rt),
                enc(ASSERTION_TYPE),
                assertion(&key, base, i + if with_proof { n } else { 0 })
            );
            let p = if with_proof {
                proof(&holder, &jwk, base, i)
            } else {
                "-".into()
            };
            writeln!(w, "{body}\t{p}").unwrap();
        }
    }
    println!("VERIFY_US {:.2}", verify_us(&key));
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("config") if args.len() == 3 => config(Path::new(&args[1]), &args[2]),
        Some("requests") if args.len() == 4 => {
            requests(Path::new(&args[1]), &args[2], args[3].parse().unwrap()).await
        }
        _ => {
            eprintln!("usage: gen_token config OUT PORT | gen_token requests OUT BASE N");
            std::process::exit(2);
        }
    }
}
