//! The server's own keys (SPEC §1, §9): generated on first start, kept in the store (so every
//! node shares one key set and a restart never regenerates them), published at `/jwks`,
//! rotated with `writ keys rotate`.
//!
//! Rotation: the newest active key of an algorithm signs; `rotate` makes a new active key,
//! moves the previous active key to `retiring` (still published, still verifies) and moves
//! keys already `retiring` to `retired` (no longer published). So a key stays verifiable for
//! one full rotation period after it stops signing.

use crate::dpop::nonce::NonceKey;
use crate::interaction_handle::{self, SealingKey};
use crate::key_encryption::{KekError, KeyEncryption, Opened};
use crate::ports::{KeyState, KeyUse, Rng, Store, StoreError, StoredKey, UnixTime};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use writ_jose::{
    DecryptionKey, DecryptionKeyKind, EcCurve, JwsAlg, SigningKey, SigningKeyKind, VerifyingKey,
};

/// Algorithms the server signs tokens with (SPEC §9: every ID token algorithm it offers, ES256
/// for access tokens among them); a key for each is generated on first start, and on the
/// first start of a store made before an algorithm was added.
pub const SERVER_SIGNING_ALGS: &[JwsAlg] = &writ_protocol::tokens::ID_TOKEN_SIGNING_ALGS;

/// The server's decryption keys for encrypted request objects (SPEC §7), generated on first
/// start: an RSA key (RSA-OAEP, RSA-OAEP-256) and a P-256 key (ECDH-ES and its key-wrap
/// variants). The stored `alg` column names the family; the published JWK has no `alg`, so
/// a client may use any algorithm of the family that `[jar.encryption] algs` allows.
pub const SERVER_DECRYPTION_KEYS: &[(&str, DecryptionKeyKind)] = &[
    ("RSA-OAEP-256", DecryptionKeyKind::Rsa),
    ("ECDH-ES", DecryptionKeyKind::Ec(EcCurve::P256)),
];

/// The stored `alg` label of the keys that seal pending interactions into their ids
/// ([`crate::interaction_handle`]): 32 random bytes (AES-256-GCM) in the `private_pkcs8`
/// column, kept with the decryption keys (`use` `enc`) so that `writ keys rotate --use enc`
/// rotates them too, never published and never used for request objects.
pub const INTERACTION_SEAL_LABEL: &str = "interaction-seal";

/// Make a new stored interaction sealing key; its `kid` is random (it names a secret, so it is
/// not derived from it).
pub fn new_sealing_key(rng: &dyn Rng, now: UnixTime) -> Result<StoredKey, KeyError> {
    let mut secret = vec![0u8; 32];
    let mut kid = [0u8; 16];
    rng.fill(&mut secret);
    rng.fill(&mut kid);
    Ok(StoredKey {
        kid: URL_SAFE_NO_PAD.encode(kid),
        key_use: KeyUse::Enc,
        alg: INTERACTION_SEAL_LABEL.to_string(),
        private_pkcs8: secret,
        public_jwk: "{}".to_string(),
        state: KeyState::Active,
        created_at: now,
    })
}

fn decryption_kind(label: &str) -> Option<DecryptionKeyKind> {
    SERVER_DECRYPTION_KEYS
        .iter()
        .find(|(l, _)| *l == label)
        .map(|(_, k)| *k)
}

/// Make a new stored decryption key of `kind`; its `kid` is the RFC 7638 thumbprint.
pub fn new_decryption_key(
    label: &str,
    kind: DecryptionKeyKind,
    now: UnixTime,
) -> Result<StoredKey, KeyError> {
    let crypto = |e: writ_jose::JoseError| KeyError::Crypto(e.to_string());
    let key = match kind {
        DecryptionKeyKind::Rsa => DecryptionKey::generate_rsa(2048),
        DecryptionKeyKind::Ec(c) => DecryptionKey::generate_ec(c),
        DecryptionKeyKind::X25519 => DecryptionKey::generate_x25519(),
    }
    .map_err(crypto)?;
    let mut bare = key.public_jwk("").map_err(crypto)?;
    bare.kid = None;
    bare.key_use = None;
    let kid = bare.thumbprint_sha256();
    let jwk = key.public_jwk(&kid).map_err(crypto)?;
    Ok(StoredKey {
        kid,
        key_use: KeyUse::Enc,
        alg: label.to_string(),
        private_pkcs8: key.to_pkcs8().map_err(crypto)?,
        public_jwk: serde_json::to_string(&jwk).map_err(|e| KeyError::Crypto(e.to_string()))?,
        state: KeyState::Active,
        created_at: now,
    })
}

/// A failure of key management.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A cryptographic operation failed.
    #[error("key operation failed: {0}")]
    Crypto(String),
    /// A stored key is unusable.
    #[error("stored key {kid} is unusable: {reason}")]
    Corrupt {
        /// Key id.
        kid: String,
        /// Why.
        reason: String,
    },
    /// No active key for the algorithm.
    #[error("no active signing key for {0}")]
    NoKey(String),
    /// A stored key does not open under the configured key-encryption key.
    #[error("stored key {kid} cannot be read: {reason}")]
    Kek {
        /// Key id.
        kid: String,
        /// Why.
        reason: KekError,
    },
}

fn kind_for(alg: JwsAlg) -> Option<SigningKeyKind> {
    match alg {
        JwsAlg::RS256
        | JwsAlg::RS384
        | JwsAlg::RS512
        | JwsAlg::PS256
        | JwsAlg::PS384
        | JwsAlg::PS512 => Some(SigningKeyKind::Rsa),
        JwsAlg::ES256 => Some(SigningKeyKind::Ec(EcCurve::P256)),
        JwsAlg::ES384 => Some(SigningKeyKind::Ec(EcCurve::P384)),
        JwsAlg::ES512 => Some(SigningKeyKind::Ec(EcCurve::P521)),
        JwsAlg::EdDSA | JwsAlg::Ed25519 => Some(SigningKeyKind::Ed25519),
        _ => None,
    }
}

fn generate(alg: JwsAlg) -> Result<SigningKey, KeyError> {
    let key = match kind_for(alg) {
        Some(SigningKeyKind::Rsa) => SigningKey::generate_rsa(2048),
        Some(SigningKeyKind::Ec(c)) => SigningKey::generate_ec(c),
        Some(SigningKeyKind::Ed25519) => SigningKey::generate_ed25519(),
        None => {
            return Err(KeyError::Crypto(format!(
                "{alg} is not an asymmetric algorithm"
            )));
        }
    };
    key.map_err(|e| KeyError::Crypto(e.to_string()))
}

/// Make a new stored signing key for `alg`; its `kid` is the RFC 7638 thumbprint.
pub fn new_signing_key(alg: JwsAlg, now: UnixTime) -> Result<StoredKey, KeyError> {
    let key = generate(alg)?;
    let bare = key
        .public_jwk_for_alg("", alg)
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
    let kid = bare.thumbprint_sha256();
    let jwk = key
        .public_jwk_for_alg(&kid, alg)
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
    Ok(StoredKey {
        kid,
        key_use: KeyUse::Sig,
        alg: alg.as_str().to_string(),
        private_pkcs8: key
            .to_pkcs8()
            .map_err(|e| KeyError::Crypto(e.to_string()))?,
        public_jwk: serde_json::to_string(&jwk).map_err(|e| KeyError::Crypto(e.to_string()))?,
        state: KeyState::Active,
        created_at: now,
    })
}

/// An immutable view of the key set, swapped whole on reload.
pub struct KeySnapshot {
    signing: HashMap<JwsAlg, (String, SigningKey)>,
    verifying: Vec<VerifyingKey>,
    decryption: Vec<DecryptionKey>,
    sealing: Vec<SealingKey>,
    /// DPoP nonce keys, one per sealing key (RFC 9449 §8).
    nonce: Vec<NonceKey>,
    jwks: String,
}

impl KeySnapshot {
    /// The JWK set document served at `/jwks` (RFC 7517 §5).
    pub fn jwks_json(&self) -> &str {
        &self.jwks
    }
    /// The current signing key for `alg`.
    pub fn signer(&self, alg: JwsAlg) -> Option<&(String, SigningKey)> {
        self.signing.get(&alg)
    }
    /// Public keys that verify the server's own tokens (active and retiring).
    pub fn verifying_keys(&self) -> &[VerifyingKey] {
        &self.verifying
    }
    /// Keys that decrypt request objects (active and retiring), each with its `kid`.
    pub fn decryption_keys(&self) -> &[DecryptionKey] {
        &self.decryption
    }
    /// Keys that open sealed interaction handles (active and retiring).
    pub fn sealing_keys(&self) -> &[SealingKey] {
        &self.sealing
    }
    /// The key that seals interaction handles at `now`
    /// ([`interaction_handle::sealing_key`]).
    pub fn sealing_key(&self, now: UnixTime) -> Option<&SealingKey> {
        interaction_handle::sealing_key(&self.sealing, now)
    }
    /// Keys that check DPoP nonces (one per loaded sealing key).
    pub fn nonce_keys(&self) -> &[NonceKey] {
        &self.nonce
    }
    /// The DPoP nonce to hand out at `now` (RFC 9449 §8): made with the nonce key of the
    /// sealing key that seals at `now`, which every node has loaded.
    pub fn dpop_nonce(&self, now: UnixTime) -> Option<String> {
        let kid = self.sealing_key(now)?.kid();
        self.nonce
            .iter()
            .find(|k| k.kid() == kid)
            .map(|k| k.issue(now))
    }
}

/// The server's key set, loaded from the store.
pub struct KeyRing {
    store: Arc<dyn Store>,
    encryption: Arc<KeyEncryption>,
    snapshot: RwLock<Arc<KeySnapshot>>,
}

impl KeyRing {
    /// Open every stored key under `encryption` (re-sealing those that need it), generate the
    /// initial keys if there are none, then load. A key that does not open stops here.
    pub async fn open(
        store: Arc<dyn Store>,
        encryption: Arc<KeyEncryption>,
        rng: &dyn Rng,
        now: UnixTime,
    ) -> Result<Self, KeyError> {
        ensure_initial(store.as_ref(), &encryption, rng, now).await?;
        let snapshot = build_snapshot(&open_all(&store.key_list().await?, &encryption)?)?;
        Ok(KeyRing {
            store,
            encryption,
            snapshot: RwLock::new(Arc::new(snapshot)),
        })
    }

    /// The current snapshot.
    pub fn current(&self) -> Arc<KeySnapshot> {
        match self.snapshot.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-read the keys (picks up a rotation made by another node or by `writ keys`).
    pub async fn reload(&self) -> Result<(), KeyError> {
        let keys = open_all(&self.store.key_list().await?, &self.encryption)?;
        let snapshot = Arc::new(build_snapshot(&keys)?);
        match self.snapshot.write() {
            Ok(mut s) => *s = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
        Ok(())
    }

    /// Sign `claims` with the current key for `alg`, with header `typ`.
    pub fn sign(&self, alg: JwsAlg, typ: &str, claims: &Value) -> Result<String, KeyError> {
        let snap = self.current();
        let (kid, key) = snap
            .signer(alg)
            .ok_or_else(|| KeyError::NoKey(alg.as_str().to_string()))?;
        let mut header = Map::new();
        header.insert("typ".into(), json!(typ));
        header.insert("kid".into(), json!(kid));
        let payload = serde_json::to_vec(claims).map_err(|e| KeyError::Crypto(e.to_string()))?;
        writ_jose::sign_compact(&header, &payload, alg, key)
            .map_err(|e| KeyError::Crypto(e.to_string()))
    }
}

/// Every stored key with its private part opened under `encryption` (issue 16, finding 5).
fn open_all(keys: &[StoredKey], encryption: &KeyEncryption) -> Result<Vec<StoredKey>, KeyError> {
    keys.iter()
        .map(|k| {
            Ok(StoredKey {
                private_pkcs8: open(encryption, k)?.plaintext,
                ..k.clone()
            })
        })
        .collect()
}

/// `key`'s private part opened under `encryption`; a refusal names the key.
fn open(encryption: &KeyEncryption, key: &StoredKey) -> Result<Opened, KeyError> {
    encryption.open(key).map_err(|reason| KeyError::Kek {
        kid: key.kid.clone(),
        reason,
    })
}

/// Open every stored key, retired ones too, under `encryption`, and re-seal under its
/// current key-encryption key each one stored as plaintext or under the previous KEK (turning
/// the KEK on, or rotating it). Nothing is written when any key does not open. Returns how
/// many keys were re-sealed.
pub async fn reseal_stored(
    store: &dyn Store,
    encryption: &KeyEncryption,
    rng: &dyn Rng,
) -> Result<usize, KeyError> {
    let keys = store.key_list().await?;
    let mut pending = Vec::new();
    for k in &keys {
        let opened = open(encryption, k)?;
        if opened.reseal {
            pending.push((k, opened.plaintext));
        }
    }
    let mut count = 0;
    for (k, plaintext) in pending {
        let sealed = seal(encryption, k, &plaintext, rng)?;
        // `false`: another node re-sealed this key first, under the same KEK.
        if store
            .key_set_private(&k.kid, &k.private_pkcs8, &sealed)
            .await?
        {
            count += 1;
        }
    }
    if count > 0 {
        tracing::info!(
            keys = count,
            kek = encryption.current_id().unwrap_or_default(),
            "re-sealed stored private keys under the key-encryption key"
        );
    }
    Ok(count)
}

fn seal(
    encryption: &KeyEncryption,
    key: &StoredKey,
    plaintext: &[u8],
    rng: &dyn Rng,
) -> Result<Vec<u8>, KeyError> {
    encryption
        .seal(key, plaintext, rng)
        .map_err(|reason| KeyError::Kek {
            kid: key.kid.clone(),
            reason,
        })
}

/// Stores new keys, their private parts sealed under the current key-encryption key.
struct KeyWriter<'a> {
    store: &'a dyn Store,
    encryption: &'a KeyEncryption,
    rng: &'a dyn Rng,
}

impl KeyWriter<'_> {
    async fn insert(&self, mut key: StoredKey) -> Result<StoredKey, KeyError> {
        key.private_pkcs8 = seal(self.encryption, &key, &key.private_pkcs8, self.rng)?;
        self.store.key_insert(&key).await?;
        Ok(key)
    }
}

/// Check (and re-seal, [`reseal_stored`]) every stored key under `encryption`, then generate
/// an active key for every [`SERVER_SIGNING_ALGS`] entry, decryption key family and the
/// interaction seal that has none.
pub async fn ensure_initial(
    store: &dyn Store,
    encryption: &KeyEncryption,
    rng: &dyn Rng,
    now: UnixTime,
) -> Result<Vec<String>, KeyError> {
    reseal_stored(store, encryption, rng).await?;
    let writer = KeyWriter {
        store,
        encryption,
        rng,
    };
    let keys = store.key_list().await?;
    let mut made = Vec::new();
    for alg in SERVER_SIGNING_ALGS {
        let has = keys.iter().any(|k| {
            k.key_use == KeyUse::Sig && k.state == KeyState::Active && k.alg == alg.as_str()
        });
        if !has {
            let k = writer.insert(new_signing_key(*alg, now)?).await?;
            tracing::info!(kid = %k.kid, alg = %k.alg, "generated a signing key");
            made.push(k.kid);
        }
    }
    for (label, kind) in SERVER_DECRYPTION_KEYS {
        let has = keys
            .iter()
            .any(|k| k.key_use == KeyUse::Enc && k.state == KeyState::Active && k.alg == *label);
        if !has {
            let k = writer
                .insert(new_decryption_key(label, *kind, now)?)
                .await?;
            tracing::info!(kid = %k.kid, alg = %k.alg, "generated a decryption key");
            made.push(k.kid);
        }
    }
    let has_seal = keys.iter().any(|k| {
        k.key_use == KeyUse::Enc && k.state == KeyState::Active && k.alg == INTERACTION_SEAL_LABEL
    });
    if !has_seal {
        let k = writer.insert(new_sealing_key(rng, now)?).await?;
        tracing::info!(kid = %k.kid, "generated an interaction sealing key");
        made.push(k.kid);
    }
    Ok(made)
}

/// Rotate the keys of `key_use`: a new active key per algorithm in use, the previous active
/// keys to `retiring`, previously retiring keys to `retired`. Returns the new kids. Every
/// stored key is first checked (and re-sealed) under `encryption`, so that a wrong
/// key-encryption key changes nothing.
pub async fn rotate(
    store: &dyn Store,
    key_use: KeyUse,
    encryption: &KeyEncryption,
    rng: &dyn Rng,
    now: UnixTime,
) -> Result<Vec<String>, KeyError> {
    reseal_stored(store, encryption, rng).await?;
    let writer = KeyWriter {
        store,
        encryption,
        rng,
    };
    let keys = store.key_list().await?;
    let mut algs: Vec<JwsAlg> = keys
        .iter()
        .filter(|k| k.key_use == key_use && k.state == KeyState::Active)
        .filter_map(|k| k.alg.parse().ok())
        .collect();
    for a in SERVER_SIGNING_ALGS {
        if !algs.contains(a) {
            algs.push(*a);
        }
    }
    algs.sort_by_key(|a| a.as_str());
    algs.dedup();
    for k in keys.iter().filter(|k| k.key_use == key_use) {
        match k.state {
            KeyState::Retiring => {
                store.key_set_state(&k.kid, KeyState::Retired).await?;
            }
            KeyState::Active => {
                store.key_set_state(&k.kid, KeyState::Retiring).await?;
            }
            KeyState::Retired => {}
        }
    }
    let mut made = Vec::new();
    if key_use == KeyUse::Enc {
        for (label, kind) in SERVER_DECRYPTION_KEYS {
            let k = writer
                .insert(new_decryption_key(label, *kind, now)?)
                .await?;
            made.push(k.kid);
        }
        let k = writer.insert(new_sealing_key(rng, now)?).await?;
        made.push(k.kid);
        return Ok(made);
    }
    for alg in algs {
        let k = writer.insert(new_signing_key(alg, now)?).await?;
        made.push(k.kid);
    }
    Ok(made)
}

fn build_snapshot(keys: &[StoredKey]) -> Result<KeySnapshot, KeyError> {
    let mut signing: HashMap<JwsAlg, (String, SigningKey, UnixTime)> = HashMap::new();
    let mut verifying = Vec::new();
    let mut published = Vec::new();
    for k in keys.iter().filter(|k| k.key_use == KeyUse::Sig) {
        if k.state == KeyState::Retired {
            continue;
        }
        let corrupt = |reason: String| KeyError::Corrupt {
            kid: k.kid.clone(),
            reason,
        };
        let alg: JwsAlg = k
            .alg
            .parse()
            .map_err(|_| corrupt(format!("unknown alg {}", k.alg)))?;
        let kind = kind_for(alg).ok_or_else(|| corrupt("not an asymmetric alg".into()))?;
        let key =
            SigningKey::from_pkcs8(kind, &k.private_pkcs8).map_err(|e| corrupt(e.to_string()))?;
        let jwk: Value = serde_json::from_str(&k.public_jwk).map_err(|e| corrupt(e.to_string()))?;
        verifying.push(key.verifying_key().with_kid(Some(&k.kid)));
        published.push(jwk);
        if k.state == KeyState::Active {
            let newer = signing.get(&alg).is_none_or(|(_, _, t)| k.created_at >= *t);
            if newer {
                signing.insert(alg, (k.kid.clone(), key, k.created_at));
            }
        }
    }
    let mut decryption = Vec::new();
    let mut sealing = Vec::new();
    let mut nonce = Vec::new();
    for k in keys.iter().filter(|k| k.key_use == KeyUse::Enc) {
        if k.state == KeyState::Retired {
            continue;
        }
        let corrupt = |reason: String| KeyError::Corrupt {
            kid: k.kid.clone(),
            reason,
        };
        if k.alg == INTERACTION_SEAL_LABEL {
            let active = k.state == KeyState::Active;
            sealing.push(
                SealingKey::new(&k.kid, &k.private_pkcs8, k.created_at, active).map_err(corrupt)?,
            );
            nonce.push(NonceKey::derive(&k.kid, &k.private_pkcs8));
            continue;
        }
        let kind = decryption_kind(&k.alg)
            .ok_or_else(|| corrupt(format!("unknown decryption key family {}", k.alg)))?;
        let key = DecryptionKey::from_pkcs8(kind, &k.private_pkcs8)
            .map_err(|e| corrupt(e.to_string()))?
            .with_kid(Some(&k.kid));
        let jwk: Value = serde_json::from_str(&k.public_jwk).map_err(|e| corrupt(e.to_string()))?;
        // Newest first, so a request without `kid` tries the active key before older ones.
        decryption.push((k.state == KeyState::Active, k.created_at, key));
        published.push(jwk);
    }
    decryption.sort_by_key(|(active, created, _)| std::cmp::Reverse((*active, *created)));
    let decryption = decryption.into_iter().map(|(_, _, k)| k).collect();
    let jwks = serde_json::to_string(&json!({ "keys": published }))
        .map_err(|e| KeyError::Crypto(e.to_string()))?;
    Ok(KeySnapshot {
        signing: signing
            .into_iter()
            .map(|(a, (kid, key, _))| (a, (kid, key)))
            .collect(),
        verifying,
        decryption,
        sealing,
        nonce,
        jwks,
    })
}
