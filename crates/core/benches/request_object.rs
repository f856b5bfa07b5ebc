//! The one-core ceiling of the request-object pipeline (issue 4, deliverable 12): stages 3–6 of
//! SPEC §4 on distinct, pre-signed request objects, per signing algorithm, without the store
//! and without HTTP.
//!
//! - `pipeline/<alg>`: `decrypt::decrypt` → `verify::verify` → `claims::check` →
//!   `merge::effective`, the work `/authorize?request=` does for a signed object by value.
//!   `1 / time` is the ceiling that the load test (`bench/load/run.sh`) compares against.
//! - `authorize_run/<alg>`: the whole of stages 1–6 as the server runs them (query parsing,
//!   `authorize::run` with `store: None`, on a current-thread runtime), to show what the rest of
//!   the validation adds on top.
//! - `raw_params/*`: stage 1's query parsing alone, against the url crate's decoder.
//! - `interaction_seal/*`: sealing the pending interaction of an ES256 request into its id
//!   (`interaction_handle::seal`), against the general JWE path it replaced (header map,
//!   key schedule and IV per call).
//!
//! `cargo bench -p writ-core --bench request_object` (add a filter such as `pipeline/ES256`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use writ_core::authorize::params::RawParams;
use writ_core::authorize::request_object::policy::JarPolicy;
use writ_core::authorize::request_object::{
    self, ResolvedRequestObject, claims, decrypt, merge, verify,
};
use writ_core::authorize::{Endpoint, Transport};
use writ_core::client_keys::RemoteKeys;
use writ_core::clients::Client;
use writ_core::interaction_handle;
use writ_core::settings::Settings;
use writ_jose::{EcCurve, JwsAlg, SigningKey, SigningKeyKind, sign_compact};
use writ_protocol::client::ClientConfig;
use writ_protocol::config::Config;

const ISSUER: &str = "http://127.0.0.1:8080";
const CLIENT_ID: &str = "load";
const REDIRECT: &str = "http://127.0.0.1:9/cb";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// Distinct request objects per algorithm; the benchmark walks them in turn.
const POOL: usize = 512;
const NOW: i64 = 1_800_000_000;

struct Keys {
    rsa: SigningKey,
    ec: SigningKey,
    ed: SigningKey,
}

impl Keys {
    fn new() -> Self {
        Keys {
            rsa: SigningKey::from_pkcs8(
                SigningKeyKind::Rsa,
                include_bytes!("../../jose/tests/data/rsa2048.pk8.der"),
            )
            .unwrap(),
            ec: SigningKey::generate_ec(EcCurve::P256).unwrap(),
            ed: SigningKey::generate_ed25519().unwrap(),
        }
    }

    fn for_alg(&self, alg: JwsAlg) -> (&SigningKey, &'static str) {
        match alg {
            JwsAlg::RS256 => (&self.rsa, "rsa"),
            JwsAlg::PS256 => (&self.rsa, "rsa-ps"),
            JwsAlg::ES256 => (&self.ec, "ec"),
            _ => (&self.ed, "ed"),
        }
    }

    fn client(&self) -> Arc<Client> {
        let mut keys: Vec<Value> = [(&self.rsa, "rsa"), (&self.ec, "ec"), (&self.ed, "ed")]
            .into_iter()
            .map(|(k, kid)| serde_json::to_value(k.public_jwk(kid).unwrap()).unwrap())
            .collect();
        // The same RSA key for PS256 (a JWK names one `alg`).
        let ps = self
            .rsa
            .public_jwk_for_alg("rsa-ps", JwsAlg::PS256)
            .unwrap();
        keys.push(serde_json::to_value(ps).unwrap());
        let config: ClientConfig = serde_json::from_value(json!({
            "client_id": CLIENT_ID,
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none",
            "secrets": [{"type": "jwks", "value": json!({"keys": keys}).to_string()}],
        }))
        .unwrap();
        Arc::new(Client::from_config(config).unwrap())
    }
}

/// A signed request object, distinct by `jti`, `state` and `nonce`.
fn request_object(keys: &Keys, alg: JwsAlg, i: usize) -> String {
    let (key, kid) = keys.for_alg(alg);
    let payload = json!({
        "iss": CLIENT_ID,
        "aud": ISSUER,
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": format!("state-{alg}-{i}"),
        "nonce": format!("nonce-{alg}-{i}"),
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "jti": format!("jti-{alg}-{i}"),
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 300,
    });
    let mut header = Map::new();
    header.insert("kid".into(), Value::String(kid.into()));
    header.insert("typ".into(), Value::String("oauth-authz-req+jwt".into()));
    sign_compact(&header, payload.to_string().as_bytes(), alg, key).unwrap()
}

const ALGS: [JwsAlg; 4] = [JwsAlg::RS256, JwsAlg::PS256, JwsAlg::ES256, JwsAlg::EdDSA];

fn settings() -> Settings {
    let config = Config {
        issuer: Some(ISSUER.into()),
        ..Config::default()
    };
    Settings::from_config(&config).unwrap()
}

fn bench_pipeline(c: &mut Criterion) {
    let keys = Keys::new();
    let client = keys.client();
    let settings = settings();
    let policy: &JarPolicy = &settings.jar_policy;
    let query = RawParams::parse(format!("client_id={CLIENT_ID}").as_bytes(), 1 << 20).unwrap();
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(1));
    for alg in ALGS {
        let pool: Vec<String> = (0..POOL).map(|i| request_object(&keys, alg, i)).collect();
        let mut next = 0usize;
        group.bench_function(BenchmarkId::from_parameter(alg), |b| {
            b.iter(|| {
                let token = &pool[next % POOL];
                next = next.wrapping_add(1);
                let ro =
                    ResolvedRequestObject::new(token.clone(), Transport::ByValue, policy.max_bytes)
                        .unwrap();
                // Stage 3.
                let d = decrypt::decrypt(ro, policy, &client, &[], NOW).unwrap();
                // Stage 4.
                let v = verify::verify(&d, policy, &client, &[&client.public_keys], NOW).unwrap();
                // Stage 5.
                let cctx = claims::ClaimsContext {
                    policy,
                    client: &client,
                    query_client_id: CLIENT_ID,
                    issuer: ISSUER,
                    now: NOW,
                };
                let (validated, _replay) = claims::check(v, &cctx).map_err(|_| ()).unwrap();
                // Stage 6, first half.
                let e =
                    merge::effective(policy.parameter_policy, &query, Some(&validated)).unwrap();
                std::hint::black_box((validated, e))
            });
        });
    }
    group.finish();
}

/// The pipeline context of a by-value request: no decryption keys, no store, no fetcher.
fn by_value_context<'a>(
    settings: &'a Settings,
    remote: &'a RemoteKeys,
) -> writ_core::authorize::Context<'a> {
    writ_core::authorize::Context {
        settings,
        objects: request_object::Context {
            policy: &settings.jar_policy,
            issuer: ISSUER,
            now: NOW,
            decryption_keys: &[],
            remote_keys: remote,
            store: None,
        },
        request_uri_fetcher: None,
    }
}

/// The query of `/authorize` with request object `i` of `alg` by value.
fn by_value_query(keys: &Keys, alg: JwsAlg, i: usize) -> String {
    format!(
        "client_id={CLIENT_ID}&request={}",
        request_object(keys, alg, i)
    )
}

/// The runtime `authorize::run` is driven on: one thread, as the server's one worker.
fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn bench_authorize_run(c: &mut Criterion) {
    let keys = Keys::new();
    let client = keys.client();
    let settings = settings();
    let remote = RemoteKeys::new(None);
    let rt = current_thread();
    let mut group = c.benchmark_group("authorize_run");
    group.throughput(Throughput::Elements(1));
    for alg in ALGS {
        let queries: Vec<String> = (0..POOL).map(|i| by_value_query(&keys, alg, i)).collect();
        let mut next = 0usize;
        group.bench_function(BenchmarkId::from_parameter(alg), |b| {
            b.iter(|| {
                let q = &queries[next % POOL];
                next = next.wrapping_add(1);
                let raw = RawParams::parse(q.as_bytes(), 1 << 20).unwrap();
                let ctx = by_value_context(&settings, &remote);
                let r = rt
                    .block_on(writ_core::authorize::run(
                        &ctx,
                        Endpoint::Authorize,
                        &client,
                        &raw,
                    ))
                    .unwrap();
                std::hint::black_box(r)
            });
        });
    }
    group.finish();
}

/// Stage 1's parsing of a by-value query (`client_id` and a 1.4 kB RS256 object), against
/// the url crate's decoder collected the same way: what `RawParams::parse` did before it
/// borrowed unescaped pairs.
fn bench_raw_params(c: &mut Criterion) {
    let keys = Keys::new();
    let query = by_value_query(&keys, JwsAlg::RS256, 0);
    let mut group = c.benchmark_group("raw_params");
    group.throughput(Throughput::Bytes(query.len() as u64));
    group.bench_function("RawParams::parse", |b| {
        b.iter(|| std::hint::black_box(RawParams::parse(query.as_bytes(), 1 << 20).unwrap()));
    });
    group.bench_function("form_urlencoded", |b| {
        b.iter(|| {
            let map: std::collections::BTreeMap<String, String> =
                url::form_urlencoded::parse(query.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
            std::hint::black_box(map)
        });
    });
    group.finish();
}

/// Sealing a pending interaction (`interaction_handle::seal`: the key schedule and the
/// protected header made once per key, the IV given), against serialising it and calling the
/// general `encrypt_compact` (a header map, a key schedule and a random IV per call).
fn bench_interaction_seal(c: &mut Criterion) {
    let keys = Keys::new();
    let client = keys.client();
    let settings = settings();
    let remote = RemoteKeys::new(None);
    let rt = current_thread();
    let query = by_value_query(&keys, JwsAlg::ES256, 0);
    let raw = RawParams::parse(query.as_bytes(), 1 << 20).unwrap();
    let ctx = by_value_context(&settings, &remote);
    let request = rt
        .block_on(writ_core::authorize::run(
            &ctx,
            Endpoint::Authorize,
            &client,
            &raw,
        ))
        .unwrap();
    let interaction = writ_core::flows::interaction::Interaction {
        request,
        session_id: "x".repeat(43),
        csrf: "y".repeat(32),
        created_at: NOW,
        login: None,
        failed_logins: 0,
    };
    let secret = [7u8; 32];
    let key = interaction_handle::SealingKey::new("k-20261201", &secret, 0, true).unwrap();
    let general = writ_jose::EncryptionKey::from_symmetric(&secret).unwrap();
    let mut header = Map::new();
    header.insert("kid".into(), Value::String("k-20261201".into()));
    header.insert(
        "typ".into(),
        Value::String(interaction_handle::HANDLE_TYP.into()),
    );
    let row_id = "0193a4b5c6d7e8f9AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    let mut group = c.benchmark_group("interaction_seal");
    group.throughput(Throughput::Elements(1));
    group.bench_function("seal", |b| {
        let mut iv = [0u8; 12];
        b.iter(|| {
            iv[0] = iv[0].wrapping_add(1);
            let h = interaction_handle::seal(&key, row_id, NOW + 600, &interaction, &iv);
            std::hint::black_box(h.unwrap().unwrap())
        });
    });
    group.bench_function("encrypt_compact", |b| {
        b.iter(|| {
            // The same fields serialised the same way, as a tuple: no `Value` tree.
            let payload = serde_json::to_vec(&(row_id, NOW + 600, &interaction)).unwrap();
            let h = writ_jose::encrypt_compact(
                &header,
                &payload,
                writ_jose::JweAlg::Dir,
                writ_jose::JweEnc::A256Gcm,
                &general,
            );
            std::hint::black_box(h.unwrap())
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));
    targets = bench_pipeline, bench_authorize_run, bench_raw_params, bench_interaction_seal
}
criterion_main!(benches);
