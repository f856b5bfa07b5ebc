//! The floor of `POST /token` (issue 18, deliverable 4): what no token endpoint can skip for
//! a `private_key_jwt` client's refresh or code request, and nothing else. Per request: parse
//! the form; split, decode and verify the client assertion (ES256, the client's key parsed
//! once) and check `iss`, `sub`, `aud`, `exp`; the grant's one write in SQLite (a code used
//! once, or a refresh token's expiry moved on); sign an access token and an ID token (ES256,
//! one key made at start); answer the JSON. No client registry, no replay cache for the
//! assertion's `jti`, no grant record, no audit, no metrics.
//!
//! With a `DPoP` header (issue 14, deliverable 8: `bench/load/token.sh`'s mode `floor_dpop`),
//! one thing more, the least a DPoP check can do: split and decode the proof, parse its header
//! as JSON, take the P-256 key of its `jwk` (parsed once per key and kept, as the client's
//! key is) and verify the proof's ES256 signature with it. No claim of the proof is checked, no
//! `jti` is stored, nothing is bound: what this adds per response is the price of "one
//! signature verify" inside a server under load, beside the generator's yardstick measured in
//! a tight loop.
//!
//! ```text
//! token-floor ADDR ISSUER CLIENT_ID CLIENT_JWK_FILE DB_FILE [REFRESH_TOKEN]
//! ```
//!
//! `CLIENT_JWK_FILE` holds the client's public P-256 JWK; `REFRESH_TOKEN` the one refresh
//! token it accepts (any number of times, as Writ does with `refresh_rotation = "off"`).
//! Codes are read from standard input, one per line, before it listens.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, ParsedPublicKey,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

struct Floor {
    issuer: String,
    client_id: String,
    /// Parsed once at start: `UnparsedPublicKey` would parse the point again on every verify.
    client_key: ParsedPublicKey,
    signer: EcdsaKeyPair,
    rng: SystemRandom,
    db: SqlitePool,
    refresh_hash: Option<String>,
    /// DPoP keys seen, by their uncompressed point (at most [`MAX_PROOF_KEYS`]).
    proof_keys: Mutex<HashMap<Vec<u8>, Arc<ParsedPublicKey>>>,
}

/// Proof keys kept at once; the map is emptied when full (one key per client in the bench).
const MAX_PROOF_KEYS: usize = 1024;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn hash(token: &str) -> String {
    B64.encode(digest(&SHA256, token.as_bytes()))
}

/// The client's P-256 public key from its JWK: the uncompressed point.
fn ec_point(jwk: &Value) -> Result<Vec<u8>, String> {
    let coord = |n: &str| {
        jwk[n]
            .as_str()
            .and_then(|s| B64.decode(s).ok())
            .ok_or(format!("the JWK has no {n}"))
    };
    let mut point = vec![4u8];
    point.extend(coord("x")?);
    point.extend(coord("y")?);
    Ok(point)
}

/// A compact JWS cut in three: its header parsed as JSON, the signing input, the signature and
/// the payload still encoded.
struct Jws<'a> {
    header: Value,
    signing_input: &'a [u8],
    signature: Vec<u8>,
    payload: &'a str,
}

fn split_jws(jws: &str) -> Result<Jws<'_>, &'static str> {
    let mut parts = jws.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a compact JWS");
    };
    Ok(Jws {
        header: B64
            .decode(h)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or("header")?,
        signing_input: &jws.as_bytes()[..h.len() + 1 + p.len()],
        signature: B64.decode(s).map_err(|_| "signature encoding")?,
        payload: p,
    })
}

impl Floor {
    /// RFC 7523 §3, as little as a server can check.
    fn check_assertion(&self, assertion: &str) -> Result<(), &'static str> {
        let jws = split_jws(assertion)?;
        if jws.header["alg"] != "ES256" {
            return Err("assertion alg");
        }
        self.client_key
            .verify_sig(jws.signing_input, &jws.signature)
            .map_err(|_| "assertion signature")?;
        let claims: Value = B64
            .decode(jws.payload)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or("assertion claims")?;
        let id = self.client_id.as_str();
        if claims["iss"] != id || claims["sub"] != id || claims["aud"] != self.issuer.as_str() {
            return Err("assertion iss, sub or aud");
        }
        if claims["exp"].as_i64().is_none_or(|exp| exp <= now()) || claims["jti"].as_str().is_none()
        {
            return Err("assertion exp or jti");
        }
        Ok(())
    }

    /// A DPoP proof's signature by the key of its own header (RFC 9449 §4.3 steps 5-7's
    /// signature part only), the key parsed on first sight and kept.
    fn check_proof(&self, proof: &str) -> Result<(), &'static str> {
        let jws = split_jws(proof)?;
        if jws.header["alg"] != "ES256" || jws.header["typ"] != "dpop+jwt" {
            return Err("proof alg or typ");
        }
        let point = ec_point(&jws.header["jwk"]).map_err(|_| "proof jwk")?;
        let key = {
            let mut keys = self.proof_keys.lock().map_err(|_| "proof keys")?;
            match keys.get(&point) {
                Some(k) => Arc::clone(k),
                None => {
                    let k = Arc::new(
                        ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
                            .map_err(|_| "proof jwk")?,
                    );
                    if keys.len() >= MAX_PROOF_KEYS {
                        keys.clear();
                    }
                    keys.insert(point, Arc::clone(&k));
                    k
                }
            }
        };
        key.verify_sig(jws.signing_input, &jws.signature)
            .map_err(|_| "proof signature")
    }

    fn sign(&self, claims: &Value) -> Result<String, &'static str> {
        let header = B64.encode(br#"{"alg":"ES256","typ":"JWT","kid":"floor"}"#);
        let payload = B64.encode(claims.to_string());
        let input = format!("{header}.{payload}");
        let sig = self
            .signer
            .sign(&self.rng, input.as_bytes())
            .map_err(|_| "signing")?;
        Ok(format!("{input}.{}", B64.encode(sig.as_ref())))
    }

    async fn token(
        &self,
        form: &[u8],
        proof: Option<&str>,
    ) -> Result<Value, (StatusCode, &'static str)> {
        let bad = |e| (StatusCode::BAD_REQUEST, e);
        if let Some(proof) = proof {
            self.check_proof(proof).map_err(bad)?;
        }
        let mut grant_type = None;
        let mut grant = None;
        let mut assertion = None;
        for (k, v) in form_urlencoded::parse(form) {
            match &*k {
                "grant_type" => grant_type = Some(v),
                "code" | "refresh_token" => grant = Some(v),
                "client_assertion" => assertion = Some(v),
                _ => {}
            }
        }
        let assertion = assertion.ok_or(bad("no client_assertion"))?;
        self.check_assertion(&assertion)
            .map_err(|e| (StatusCode::UNAUTHORIZED, e))?;
        let grant = grant.ok_or(bad("no code or refresh_token"))?;
        let t = now();
        let grant_hash = hash(&grant);
        let written = match grant_type.as_deref() {
            Some("authorization_code") => {
                sqlx::query("UPDATE codes SET used = 1 WHERE hash = ?1 AND used = 0")
                    .bind(&grant_hash)
                    .execute(&self.db)
                    .await
            }
            Some("refresh_token") if self.refresh_hash.as_deref() == Some(grant_hash.as_str()) => {
                sqlx::query(
                    "UPDATE refresh SET expires_at = ?1 WHERE hash = ?2 AND expires_at > ?3",
                )
                .bind(t + 86_400)
                .bind(&grant_hash)
                .bind(t)
                .execute(&self.db)
                .await
            }
            _ => return Err(bad("invalid_grant")),
        }
        .map_err(|_| (StatusCode::INTERNAL_SERVER_ERROR, "store"))?;
        if written.rows_affected() != 1 {
            return Err(bad("invalid_grant"));
        }
        let id = self.client_id.as_str();
        let access = self
            .sign(
                &json!({ "iss": self.issuer, "sub": "alice", "client_id": id, "aud": self.issuer,
                "iat": t, "exp": t + 300, "scope": "openid profile" }),
            )
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e))?;
        let id_token = self
            .sign(
                &json!({ "iss": self.issuer, "sub": "alice", "aud": id, "iat": t,
                "exp": t + 300, "auth_time": t }),
            )
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e))?;
        Ok(
            json!({ "access_token": access, "token_type": "Bearer", "expires_in": 300,
            "id_token": id_token, "scope": "openid profile" }),
        )
    }
}

async fn handle(
    floor: Arc<Floor>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let answer = |status: StatusCode, body: String| {
        let mut r = Response::new(Full::new(Bytes::from(body)));
        *r.status_mut() = status;
        r.headers_mut().insert(
            "content-type",
            hyper::header::HeaderValue::from_static("application/json"),
        );
        Ok(r)
    };
    if req.uri().path() != "/token" {
        return answer(StatusCode::NOT_FOUND, "{}".into());
    }
    let proof = match req.headers().get("dpop").map(|v| v.to_str()) {
        None => None,
        Some(Ok(v)) => Some(v.to_owned()),
        Some(Err(_)) => {
            return answer(
                StatusCode::BAD_REQUEST,
                r#"{"error":"invalid_dpop_proof"}"#.into(),
            );
        }
    };
    let body = match Limited::new(req.into_body(), 64 * 1024).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return answer(
                StatusCode::BAD_REQUEST,
                r#"{"error":"invalid_request"}"#.into(),
            );
        }
    };
    match floor.token(&body, proof.as_deref()).await {
        Ok(v) => answer(StatusCode::OK, v.to_string()),
        Err((status, why)) => answer(status, json!({ "error": why }).to_string()),
    }
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, issuer, client_id, jwk_file, db_file, rest @ ..] = args.as_slice() else {
        return Err("usage: token-floor ADDR ISSUER CLIENT_ID CLIENT_JWK_FILE DB_FILE [REFRESH_TOKEN] < codes".into());
    };
    let jwk: Value = serde_json::from_slice(&std::fs::read(jwk_file).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let codes: Vec<String> = std::io::stdin().lines().map_while(Result::ok).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let _ = std::fs::remove_file(db_file);
        let options = SqliteConnectOptions::new()
            .filename(db_file)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        // One connection: SQLite has one writer, as Writ's store does.
        let db = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| e.to_string())?;
        for ddl in [
            "CREATE TABLE codes (hash TEXT PRIMARY KEY, used INTEGER NOT NULL)",
            "CREATE TABLE refresh (hash TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)",
        ] {
            sqlx::query(ddl)
                .execute(&db)
                .await
                .map_err(|e| e.to_string())?;
        }
        let mut tx = db.begin().await.map_err(|e| e.to_string())?;
        for code in &codes {
            sqlx::query("INSERT OR IGNORE INTO codes (hash, used) VALUES (?1, 0)")
                .bind(hash(code))
                .execute(&mut *tx)
                .await
                .map_err(|e| e.to_string())?;
        }
        let refresh_hash = rest.first().map(|t| hash(t));
        if let Some(h) = &refresh_hash {
            sqlx::query("INSERT INTO refresh (hash, expires_at) VALUES (?1, ?2)")
                .bind(h)
                .bind(now() + 86_400)
                .execute(&mut *tx)
                .await
                .map_err(|e| e.to_string())?;
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        let rng = SystemRandom::new();
        let signer = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| "key generation".to_string())?;
        let floor = Arc::new(Floor {
            issuer: issuer.clone(),
            client_id: client_id.clone(),
            client_key: ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, ec_point(&jwk)?)
                .map_err(|_| "the client's JWK is not a P-256 public key".to_string())?,
            signer,
            rng,
            db,
            refresh_hash,
            proof_keys: Mutex::new(HashMap::new()),
        });
        let listener = tokio::net::TcpListener::bind(addr.as_str())
            .await
            .map_err(|e| e.to_string())?;
        eprintln!("token-floor: {} codes, listening on {addr}", codes.len());
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let floor = Arc::clone(&floor);
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req| handle(Arc::clone(&floor), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
