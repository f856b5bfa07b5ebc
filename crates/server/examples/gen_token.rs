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
use writ_jose::{EcCurve, SigningKey, SigningKeyKind, UnverifiedJws};

mod support;

use support::{ASSERTION_TYPE, assertion, enc, now, refresh_token};

fn config(out: &Path, port: &str) {
    support::config(out, port, "[dpop]\nproof_max_age = \"10m\"");
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
