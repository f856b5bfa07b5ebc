//! The `/token` load generator (`bench/load/token.sh`, issue 14 deliverable 8).
//!
//! `gen_token config OUT PORT [ID_ALG]` writes `OUT/writ.toml` (a `private_key_jwt` client
//! `svc` with a new P-256 key, saved as `OUT/svc.pk8`; alice; ID tokens signed with `ID_ALG`,
//! ES256 unless named; refresh tokens not rotated, so one refresh token serves every request;
//! DPoP proofs and codes valid for 10 minutes, so they can be made in advance).
//!
//! `gen_token requests OUT BASE N` signs in as alice through the real server at `BASE`
//! (authorize, login, consent, code, token), then writes `N` refresh requests to
//! `OUT/plain.txt` and `N` to `OUT/dpop.txt`, one per line: the form body, a tab, and the
//! `DPoP` header (`-` for none). Every line has its own client assertion (ES256, its own
//! `jti`) and, in `dpop.txt`, its own proof (ES256, its own `jti`, `htm` POST, `htu`
//! BASE/token). It also prints `VERIFY_US <µs>`: one ES256 JWS parse + verify on this CPU,
//! the yardstick of the goal ("the DPoP check costs no more than one signature verify plus
//! 10 %"), and `SIGN_US <alg> <µs>` for one ES256 and one RS256 signature of an ID token's
//! size: the price of the ID token's algorithm (issue 18, deliverable 4).
//!
//! `gen_token codes OUT BASE N` makes `N` authorization codes of alice through the real
//! server (authorize, sign-in, consent; 16 at a time), then writes them to
//! `OUT/codes.txt`, one per line, and `N` code requests to `OUT/code.txt` in the format
//! above (`grant_type=authorization_code`, the PKCE verifier, the redirect URI, and a client
//! assertion with its own `jti` each).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::time::Instant;
use writ_jose::{EcCurve, JwsAlg, SigningKey, SigningKeyKind, UnverifiedJws, sign_compact};

mod support;

use support::{ASSERTION_TYPE, REDIRECT, VERIFIER, assertion, enc, now, refresh_token};

fn config(out: &Path, port: &str, id_alg: &str) {
    support::config_with_id_alg(out, port, "[dpop]\nproof_max_age = \"10m\"", id_alg);
}

fn proof(key: &SigningKey, jwk: &Value, base: &str, i: usize) -> String {
    let t = now();
    let h = json!({ "typ": "dpop+jwt", "jwk": jwk });
    let claims = json!({ "jti": format!("p-{t}-{i}"), "htm": "POST",
        "htu": format!("{base}/token"), "iat": t });
    support::sign(key, &h, &claims)
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

/// µs for one signature of an ID token's size with `key`, the median of 5 rounds of 500.
fn sign_us(key: &SigningKey, alg: JwsAlg) -> f64 {
    let t0 = now();
    let claims = json!({ "iss": "http://127.0.0.1:18090", "sub": "alice", "aud": "svc",
        "iat": t0, "exp": t0 + 600, "auth_time": t0, "nonce": "n-0123456789abcdef",
        "at_hash": "q1w2e3r4t5y6u7i8o9p0aa", "sid": "0123456789abcdef0123456789abcdef" })
    .to_string();
    let header = json!({ "typ": "JWT", "kid": "k" });
    let mut rounds: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..500 {
                sign_compact(header.as_object().unwrap(), claims.as_bytes(), alg, key).unwrap();
            }
            t.elapsed().as_secs_f64() * 1e6 / 500.0
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[2]
}

fn svc_key(out: &Path) -> SigningKey {
    SigningKey::from_pkcs8(
        SigningKeyKind::Ec(EcCurve::P256),
        &std::fs::read(out.join("svc.pk8")).unwrap(),
    )
    .unwrap()
}

/// `n` codes of alice for `svc`, through the real server: authorize, sign-in and consent for
/// each (an interaction is signed in on its own).
async fn codes(out: &Path, base: &str, n: usize) {
    let key = svc_key(out);
    let mut made = Vec::with_capacity(n);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            // A browser each: a sign-in rotates the session cookie of its browser.
            let (http, base, next) = (support::browser(), base.to_string(), next.clone());
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                    let at = support::start(&http, &base).await;
                    support::login(&http, &base, &at).await;
                    mine.push(support::consent(&http, &base, &at).await);
                }
                mine
            })
        })
        .collect();
    for t in tasks {
        made.extend(t.await.unwrap());
    }
    let mut list = std::io::BufWriter::new(std::fs::File::create(out.join("codes.txt")).unwrap());
    let mut reqs = std::io::BufWriter::new(std::fs::File::create(out.join("code.txt")).unwrap());
    for (i, code) in made.iter().enumerate() {
        writeln!(list, "{code}").unwrap();
        writeln!(
            reqs,
            "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={VERIFIER}\
             &client_assertion_type={}&client_assertion={}\t-",
            enc(code),
            enc(REDIRECT),
            enc(ASSERTION_TYPE),
            assertion(&key, base, 2 * n + i)
        )
        .unwrap();
    }
    eprintln!("gen_token: {} codes", made.len());
}

async fn requests(out: &Path, base: &str, n: usize) {
    let key = svc_key(out);
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
    let rsa = SigningKey::generate_rsa(2048).unwrap();
    println!("SIGN_US ES256 {:.2}", sign_us(&key, JwsAlg::ES256));
    println!("SIGN_US RS256 {:.2}", sign_us(&rsa, JwsAlg::RS256));
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("config") if (3..=4).contains(&args.len()) => config(
            Path::new(&args[1]),
            &args[2],
            args.get(3).map_or("ES256", String::as_str),
        ),
        Some("requests") if args.len() == 4 => {
            requests(Path::new(&args[1]), &args[2], args[3].parse().unwrap()).await
        }
        Some("codes") if args.len() == 4 => {
            codes(Path::new(&args[1]), &args[2], args[3].parse().unwrap()).await
        }
        _ => {
            eprintln!(
                "usage: gen_token config OUT PORT [ID_ALG] | gen_token requests OUT BASE N \
                 | gen_token codes OUT BASE N"
            );
            std::process::exit(2);
        }
    }
}
