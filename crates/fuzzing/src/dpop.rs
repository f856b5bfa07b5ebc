//! DPoP proofs (RFC 9449 §4.3): [`writ_core::dpop::check`] with a real replay cache (SQLite in
//! memory) on proofs the fuzzer shapes.

use serde_json::{Map, Value};
use std::sync::LazyLock;
use writ_core::dpop::{self, DpopCheck, DpopPolicy, Expected, NonceKey};
use writ_core::ports::Store;
use writ_core::secret::hash_token;
use writ_jose::{EcCurve, JwsAlg, SigningKey, sign_compact};
use writ_protocol::ErrorCode;
use writ_protocol::config::{DpopNonce, ProfileRules};
use writ_protocol::tokens::DpopConfig;
use writ_store::SqliteStore;

use crate::assert_description_chars;

/// The time every proof is checked at.
pub const NOW: i64 = 1_800_000_000;
/// The endpoint a proof is checked for (`htu`), with method `POST` (`htm`).
pub const ENDPOINT: &str = "https://op.example/token";
/// The access token presented with the proof when the flags say so (`ath`).
pub const ACCESS_TOKEN: &str = "fuzz-access-token";
/// In a shaped payload, replaced by the nonce the server issues now.
pub const NONCE_PLACEHOLDER: &str = "@NONCE@";
/// In a shaped payload, replaced by the hash of [`ACCESS_TOKEN`].
pub const ATH_PLACEHOLDER: &str = "@ATH@";

/// The first byte of an input.
mod flags {
    /// The rest of the input is the `DPoP` header value as sent.
    pub const RAW: u8 = 1;
    /// Put the signing key's public JWK in the header.
    pub const JWK: u8 = 2;
    /// Check under `[dpop] nonce = "required"`.
    pub const NONCE: u8 = 4;
    /// Present [`super::ACCESS_TOKEN`] with the proof.
    pub const TOKEN: u8 = 8;
    /// Sign with Ed25519 (EdDSA) rather than P-256 (ES256).
    pub const EDDSA: u8 = 16;
}

struct World {
    ec: SigningKey,
    ed: SigningKey,
    optional: DpopPolicy,
    required: DpopPolicy,
    nonce_keys: Vec<NonceKey>,
    store: SqliteStore,
    runtime: tokio::runtime::Runtime,
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let store = runtime
        .block_on(SqliteStore::open_in_memory())
        .unwrap_or_else(|e| panic!("{e}"));
    let rules = ProfileRules::of(None);
    let optional = DpopConfig::default();
    let required = DpopConfig {
        nonce: DpopNonce::Required,
        ..DpopConfig::default()
    };
    World {
        ec: SigningKey::generate_ec(EcCurve::P256).unwrap_or_else(|e| panic!("{e}")),
        ed: SigningKey::generate_ed25519().unwrap_or_else(|e| panic!("{e}")),
        optional: DpopPolicy::from_config(&optional, &rules),
        required: DpopPolicy::from_config(&required, &rules),
        nonce_keys: vec![NonceKey::derive("fuzz", b"fuzzing nonce secret")],
        store,
        runtime,
    }
});

/// Input: one flag byte, then either the header value as sent ([`flags::RAW`]) or a JOSE
/// header (a JSON object) and a payload separated by a NUL byte, which this function signs
/// with its own key (placeholders replaced). Properties: every refusal is
/// `invalid_dpop_proof` or `use_dpop_nonce` naming a check, described with the characters
/// RFC 6749 §4.1.2.1 allows; an accepted proof carries this function's key (nothing else can
/// sign); and an accepted proof is refused the second time, as a replay.
pub fn proof(data: &[u8]) {
    proof_accepted(data);
}

/// [`proof`], telling whether the first check accepted the proof.
pub fn proof_accepted(data: &[u8]) -> bool {
    let world = &*WORLD;
    let Some((&flags, rest)) = data.split_first() else {
        return false;
    };
    let (key, alg) = if flags & flags::EDDSA != 0 {
        (&world.ed, JwsAlg::EdDSA)
    } else {
        (&world.ec, JwsAlg::ES256)
    };
    let proof = if flags & flags::RAW != 0 {
        match std::str::from_utf8(rest) {
            Ok(text) => text.to_owned(),
            Err(_) => return false,
        }
    } else {
        match shaped(world, rest, flags, key, alg) {
            Some(p) => p,
            None => return false,
        }
    };
    let policy = if flags & flags::NONCE != 0 {
        &world.required
    } else {
        &world.optional
    };
    let ctx = dpop::proof::Context {
        policy,
        store: &world.store as &dyn Store,
        nonce_keys: &world.nonce_keys,
        now: NOW,
    };
    let expected = Expected {
        method: "POST",
        endpoint: ENDPOINT,
        access_token: (flags & flags::TOKEN != 0).then_some(ACCESS_TOKEN),
    };
    let headers = [proof.as_str()];
    let first = world
        .runtime
        .block_on(dpop::check(ctx, &headers, &expected));
    match first {
        Err(e) => {
            refusal(&e, None);
            false
        }
        Ok(checked) => {
            let jwk = key.public_jwk("").unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                checked.jkt(),
                jwk.thumbprint_sha256(),
                "a DPoP proof was accepted with a key this target did not sign with"
            );
            let again = world
                .runtime
                .block_on(dpop::check(ctx, &headers, &expected));
            match again {
                Ok(_) => panic!("a DPoP proof was accepted twice (RFC 9449 §11.1)"),
                Err(e) => refusal(&e, Some(DpopCheck::Jti)),
            }
            true
        }
    }
}

fn shaped(world: &World, rest: &[u8], flags: u8, key: &SigningKey, alg: JwsAlg) -> Option<String> {
    let split = rest.iter().position(|b| *b == 0)?;
    let mut header: Map<String, Value> = serde_json::from_slice(&rest[..split]).ok()?;
    if flags & flags::JWK != 0 {
        let jwk = key.public_jwk("").ok()?;
        let mut jwk = serde_json::to_value(jwk).ok()?;
        if let Value::Object(members) = &mut jwk {
            // A proof's key carries no kid, use or alg of a registration.
            members.retain(|k, _| !matches!(k.as_str(), "kid" | "use" | "alg"));
        }
        header.insert("jwk".into(), jwk);
    }
    let payload = String::from_utf8_lossy(&rest[split + 1..])
        .replace(NONCE_PLACEHOLDER, &world.nonce_keys[0].issue(NOW))
        .replace(ATH_PLACEHOLDER, &hash_token(ACCESS_TOKEN));
    sign_compact(&header, payload.as_bytes(), alg, key).ok()
}

fn refusal(e: &writ_core::error::OAuthError, want: Option<DpopCheck>) {
    assert_description_chars(&e.description);
    if e.code == ErrorCode::ServerError {
        // The replay cache failed: not the proof's doing, and never from the fuzzer's bytes.
        panic!("the replay cache failed: {:?}", e.detail);
    }
    assert!(
        matches!(
            e.code,
            ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce
        ),
        "a DPoP refusal with the code {:?}",
        e.code
    );
    let check = e
        .dpop_check
        .unwrap_or_else(|| panic!("a DPoP refusal that names no check: {}", e.description));
    if let Some(want) = want {
        assert_eq!(check, want, "a replayed proof was refused for {check:?}");
    }
}
