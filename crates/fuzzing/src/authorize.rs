//! The authorization endpoint (SPEC §4): stage 1's query and form parser, then stages 2–6 of
//! [`writ_core::authorize::run`] at `/authorize` and `/par`, without a store or a fetcher.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};
use writ_core::authorize::params::RawParams;
use writ_core::authorize::{self, Endpoint, ValidatedRequest, request_object};
use writ_core::client_keys::RemoteKeys;
use writ_core::clients::Client;
use writ_core::response::AuthorizeError;
use writ_core::settings::Settings;
use writ_jose::{EcCurve, JwsAlg, SigningKey, sign_compact};
use writ_protocol::client::ClientConfig;
use writ_protocol::config::Config;

use crate::assert_description_chars;

/// The issuer of the fuzzed server.
pub const ISSUER: &str = "https://op.example";
/// The one registered client.
pub const CLIENT_ID: &str = "fuzz";
/// Its redirect URIs.
pub const REDIRECT_URIS: [&str; 2] = ["https://rp.example/cb", "http://127.0.0.1:9/cb"];
/// The time every request is evaluated at: seeds carry `iat`, `nbf` and `exp` around it.
pub const NOW: i64 = 1_800_000_000;
/// The `kid` of the client's signing key.
pub const KID: &str = "fuzz-ec";
/// Largest input the query parser is given (what `/authorize` reads, SPEC §11).
const MAX_QUERY_BYTES: usize = 64 * 1024;

struct World {
    settings: Settings,
    client: Arc<Client>,
    key: SigningKey,
    remote: RemoteKeys,
    runtime: tokio::runtime::Runtime,
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let key = SigningKey::generate_ec(EcCurve::P256).unwrap_or_else(|e| panic!("{e}"));
    let jwk = key.public_jwk(KID).unwrap_or_else(|e| panic!("{e}"));
    let jwks = json!({ "keys": [jwk] }).to_string();
    let config: ClientConfig = serde_json::from_value(json!({
        "client_id": CLIENT_ID,
        "redirect_uris": REDIRECT_URIS,
        "token_endpoint_auth_method": "none",
        "secrets": [{ "type": "jwks", "value": jwks }],
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let client = Arc::new(Client::from_config(config).unwrap_or_else(|e| panic!("{e}")));
    let settings = Settings::from_config(&Config {
        issuer: Some(ISSUER.into()),
        ..Config::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    World {
        settings,
        client,
        key,
        remote: RemoteKeys::new(None),
        runtime,
    }
});

/// Stage 1 then the pipeline at both endpoints. Properties: the parser agrees with the URL
/// Standard's decoder on what it accepts; every refusal is described with the characters RFC
/// 6749 §4.1.2.1 allows; an error or a request is only ever sent to a registered redirect URI
/// of the client (RFC 6749 §4.1.2.1, §3.1.2.3).
pub fn query(data: &[u8]) {
    query_accepted(data);
}

/// [`query`], telling whether `/authorize` accepted the request: the regression tests use it
/// to prove a seed reaches the end of the pipeline, so the fuzzer starts from valid input.
pub fn query_accepted(data: &[u8]) -> bool {
    let raw = match RawParams::parse(data, MAX_QUERY_BYTES) {
        Ok(raw) => raw,
        Err(e) => {
            assert_description_chars(&e.description);
            return false;
        }
    };
    agrees_with_the_url_standard(data, &raw);
    let accepted = run(&raw, Endpoint::Authorize);
    run(&raw, Endpoint::Par);
    accepted
}

/// `data` as the payload of a request object signed by the client's registered key (so the
/// claim checks of stage 5 see authentic claims), sent by value at `/authorize`.
pub fn request_object_claims(data: &[u8]) {
    request_object_accepted(data);
}

/// [`request_object_claims`], telling whether `/authorize` accepted the object.
pub fn request_object_accepted(data: &[u8]) -> bool {
    let world = &*WORLD;
    let mut header = Map::new();
    header.insert("kid".into(), Value::String(KID.into()));
    header.insert("typ".into(), Value::String("oauth-authz-req+jwt".into()));
    let Ok(jws) = sign_compact(&header, data, JwsAlg::ES256, &world.key) else {
        return false;
    };
    let mut map = BTreeMap::new();
    map.insert("client_id".to_owned(), CLIENT_ID.to_owned());
    map.insert("request".to_owned(), jws);
    run(&RawParams::from_map(map), Endpoint::Authorize)
}

/// RFC 6749 §3.1 and the URL Standard §5.1: what the parser accepted is exactly the
/// standard decoder's pairs, without the empty values.
fn agrees_with_the_url_standard(data: &[u8], raw: &RawParams) {
    let standard: BTreeMap<String, String> = url::form_urlencoded::parse(data)
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(
        raw.as_map(),
        &standard,
        "the parser and the URL Standard decode {:?} differently",
        String::from_utf8_lossy(data)
    );
}

fn run(raw: &RawParams, endpoint: Endpoint) -> bool {
    let world = &*WORLD;
    let ctx = authorize::Context {
        settings: &world.settings,
        objects: request_object::Context {
            policy: &world.settings.jar_policy,
            issuer: ISSUER,
            now: NOW,
            decryption_keys: &[],
            remote_keys: &world.remote,
            store: None,
        },
        request_uri_fetcher: None,
    };
    let outcome = world
        .runtime
        .block_on(authorize::run(&ctx, endpoint, &world.client, raw));
    match outcome {
        Ok(request) => {
            accepted(&request);
            true
        }
        Err(AuthorizeError::Page(e)) => {
            assert_description_chars(&e.description);
            false
        }
        Err(AuthorizeError::Redirect(e, target)) => {
            assert_description_chars(&e.description);
            registered(target.redirect_uri());
            false
        }
    }
}

fn accepted(request: &ValidatedRequest) {
    assert_eq!(request.client_id(), CLIENT_ID);
    registered(request.redirect_uri());
}

fn registered(redirect_uri: &str) {
    assert!(
        REDIRECT_URIS.contains(&redirect_uri),
        "a response would go to the unregistered redirect URI {redirect_uri:?}"
    );
}
