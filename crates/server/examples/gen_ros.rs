//! Pre-generates the load test's inputs (`bench/load/run.sh`, issue 4 deliverable 12):
//!
//! - `OUT/writ.toml`: a server on `ADDR` with one public client, `load`, whose `jwks` secret
//!   holds an RSA-2048 (`kid` rsa: RS256; `kid` rsa-ps: PS256), a P-256 (`kid` ec: ES256) and an Ed25519
//!   (`kid` ed: EdDSA) public key;
//! - `OUT/urls-<ALG>.txt`: `N` lines `http://ADDR/authorize?client_id=load&request=<JWT>`, each
//!   request object signed with that algorithm and distinct (`jti`, `state` and `nonce` carry
//!   the line number), valid for the next 58 minutes.
//!
//! `cargo run --release -p writ-server --example gen_ros -- OUT ADDR N [ALG,ALG,...] [FIXTURES]`
//!
//! With `FIXTURES` (the `fixtures/` of `../shared/bench/floor`, issue 18), the client is the
//! floor's: `bench-client`, its redirect URI, its public key set registered, and each object
//! signed with its private `client-ALG.private.jwk.json` under that key's `kid`, so that the
//! floor and Writ are sent the very same request objects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};
use writ_jose::{EcCurve, Jwk, JwsAlg, SigningKey, sign_compact};

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The client the objects are for, and its keys: (alg, key, kid) per algorithm.
struct LoadClient {
    id: String,
    redirect: String,
    jwks: String,
    keys: Vec<(JwsAlg, SigningKey, String)>,
}

impl LoadClient {
    /// Keys of its own: `load`, RSA-2048 (RS256, and PS256 under another kid), P-256, Ed25519.
    fn generated() -> Self {
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
        // A second handle on the RSA key, for the PS256 row.
        let rsa_jwk = rsa.private_jwk("rsa", JwsAlg::RS256).unwrap();
        let rsa_ps = SigningKey::from_jwk(&rsa_jwk).unwrap();
        let keys = vec![
            (JwsAlg::RS256, rsa, "rsa".to_string()),
            (JwsAlg::PS256, rsa_ps, "rsa-ps".to_string()),
            (JwsAlg::ES256, ec, "ec".to_string()),
            (JwsAlg::EdDSA, ed, "ed".to_string()),
        ];
        LoadClient {
            id: "load".into(),
            redirect: "http://127.0.0.1:9/cb".into(),
            jwks: json!({ "keys": jwks }).to_string(),
            keys,
        }
    }

    /// The floor's client, from its fixtures directory.
    fn from_fixtures(dir: &std::path::Path) -> Self {
        let read = |name: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
        };
        let client = read("client.json");
        let mut keys = Vec::new();
        for alg in [JwsAlg::RS256, JwsAlg::PS256, JwsAlg::ES256, JwsAlg::EdDSA] {
            let private = read(&format!("client-{alg}.private.jwk.json"));
            let kid = private["kid"].as_str().unwrap().to_string();
            let jwk = Jwk::from_json(private.to_string().as_bytes()).unwrap();
            keys.push((alg, SigningKey::from_jwk(&jwk).unwrap(), kid));
        }
        LoadClient {
            id: client["client_id"].as_str().unwrap().into(),
            redirect: client["redirect_uris"][0].as_str().unwrap().into(),
            jwks: read("client-jwks.public.json").to_string(),
            keys,
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: gen_ros OUT ADDR N [RS256,ES256,EdDSA] [FIXTURES]");
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

    let client = match args.get(4) {
        Some(dir) => LoadClient::from_fixtures(std::path::Path::new(dir)),
        None => LoadClient::generated(),
    };
    let (client_id, redirect, jwks) = (&client.id, &client.redirect, &client.jwks);
    let data_dir = out.join("data");
    let toml = format!(
        r#"# Written by crates/server/examples/gen_ros.rs for bench/load/run.sh.
issuer = "{issuer}"
listen = "{addr}"
data_dir = "{data}"

[[clients]]
client_id = "{client_id}"
client_name = "Load test"
redirect_uris = ["{redirect}"]
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
        let (_, key, kid) = client
            .keys
            .iter()
            .find(|(a, _, _)| *a == alg)
            .unwrap_or_else(|| panic!("{alg} is not a load-test algorithm"));
        let kid = kid.as_str();
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
                                    "iss": client_id,
                                    "aud": issuer,
                                    "client_id": client_id,
                                    "response_type": "code",
                                    "redirect_uri": redirect,
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
            writeln!(f, "{issuer}/authorize?client_id={client_id}&request={jwt}").unwrap();
        }
        f.flush().unwrap();
        eprintln!("{}: {n} request objects", path.display());
    }
}
