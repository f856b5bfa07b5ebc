//! Pre-generates the load test's inputs (`bench/load/run.sh`, issue 4 deliverable 12):
//!
//! - `OUT/writ.toml`: a server on `ADDR` with one public client, `load`, whose `jwks` secret
//!   holds an RSA-2048 (`kid` rsa: RS256; `kid` rsa-ps: PS256), a P-256 (`kid` ec: ES256) and an Ed25519
//!   (`kid` ed: EdDSA) public key;
//! - `OUT/urls-<ALG>.txt`: `N` lines `http://ADDR/authorize?client_id=load&request=<JWT>`, each
//!   request object signed with that algorithm and distinct (`jti`, `state` and `nonce` carry
//!   the line number), valid for the next 58 minutes.
//!
//! `cargo run --release -p writ-server --example gen_ros -- OUT ADDR N [ALG,ALG,...]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};
use writ_jose::{EcCurve, JwsAlg, SigningKey, sign_compact};

const CLIENT_ID: &str = "load";
const REDIRECT: &str = "http://127.0.0.1:9/cb";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: gen_ros OUT ADDR N [RS256,ES256,EdDSA]");
        std::process::exit(2);
    }
    let out = PathBuf::from(&args[0]);
    let addr = &args[1];
    let n: usize = args[2].parse().expect("N is a number");
    let algs: Vec<JwsAlg> = args
        .get(3)
        .map(String::as_str)
        .unwrap_or("RS256,ES256,EdDSA")
        .split(',')
        .map(|a| a.parse().expect("a JWS algorithm name"))
        .collect();
    std::fs::create_dir_all(&out).unwrap();
    let issuer = format!("http://{addr}");

    let rsa = SigningKey::generate_rsa(2048).unwrap();
    let ec = SigningKey::generate_ec(EcCurve::P256).unwrap();
    let ed = SigningKey::generate_ed25519().unwrap();
    let mut jwks: Vec<Value> = [(&rsa, "rsa"), (&ec, "ec"), (&ed, "ed")]
        .into_iter()
        .map(|(k, kid)| serde_json::to_value(k.public_jwk(kid).unwrap()).unwrap())
        .collect();
    // The same RSA key for PS256 (a JWK names one `alg`).
    jwks.push(
        serde_json::to_value(rsa.public_jwk_for_alg("rsa-ps", JwsAlg::PS256).unwrap()).unwrap(),
    );
    let jwks = json!({ "keys": jwks }).to_string();
    let data_dir = out.join("data");
    let toml = format!(
        r#"# Written by crates/server/examples/gen_ros.rs for bench/load/run.sh.
issuer = "{issuer}"
listen = "{addr}"
data_dir = "{data}"

[[clients]]
client_id = "{CLIENT_ID}"
client_name = "Load test"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "none"
secrets = [{{ type = "jwks", value = '{jwks}' }}]
"#,
        data = data_dir.display(),
    );
    std::fs::write(out.join("writ.toml"), toml).unwrap();

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    for alg in algs {
        let (key, kid) = match alg {
            JwsAlg::RS256 => (&rsa, "rsa"),
            JwsAlg::PS256 => (&rsa, "rsa-ps"),
            JwsAlg::ES256 => (&ec, "ec"),
            JwsAlg::EdDSA => (&ed, "ed"),
            other => panic!("{other} is not a load-test algorithm"),
        };
        let chunk = n.div_ceil(threads);
        let parts: Vec<Vec<String>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let issuer = &issuer;
                    s.spawn(move || {
                        let from = t * chunk;
                        let to = (from + chunk).min(n);
                        (from..to)
                            .map(|i| {
                                let payload = json!({
                                    "iss": CLIENT_ID,
                                    "aud": issuer,
                                    "client_id": CLIENT_ID,
                                    "response_type": "code",
                                    "redirect_uri": REDIRECT,
                                    "scope": "openid profile",
                                    "state": format!("s-{alg}-{i}"),
                                    "nonce": format!("n-{alg}-{i}"),
                                    "code_challenge": CHALLENGE,
                                    "code_challenge_method": "S256",
                                    "jti": format!("{alg}-{now}-{i}"),
                                    "iat": now - 10,
                                    "nbf": now - 10,
                                    "exp": now + 3480,
                                });
                                let mut header = Map::new();
                                header.insert("kid".into(), Value::String(kid.into()));
                                header.insert(
                                    "typ".into(),
                                    Value::String("oauth-authz-req+jwt".into()),
                                );
                                sign_compact(&header, payload.to_string().as_bytes(), alg, key)
                                    .unwrap()
                            })
                            .collect()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let path = out.join(format!("urls-{alg}.txt"));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for jwt in parts.iter().flatten() {
            writeln!(f, "{issuer}/authorize?client_id={CLIENT_ID}&request={jwt}").unwrap();
        }
        f.flush().unwrap();
        eprintln!("{}: {n} request objects", path.display());
    }
}
