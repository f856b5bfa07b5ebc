//! Registered clients: the registration plus its parsed key material, read through a small
//! in-process cache.
//!
//! A cached client is served without asking the store for [`CLIENT_CACHE_TTL`] (one second)
//! after it was read; after that the next use reads the stored row again and re-parses only
//! if the registration changed. So a change made by another process (`writ client add` /
//! `remove`, another node) takes effect on this one within one second, and a change made
//! through this registry ([`ClientRegistry::put`], the configuration file at start) at once.
//! The hot path (`/authorize`, `/token`) pays neither a store round trip nor key parsing.

use crate::error::OAuthError;
use crate::ports::{Clock, Store, StoreError, StoredClient, UnixTime};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use writ_jose::{EncryptionKey, JweAlg, JweEnc, Jwk, JwkSet, VerifyingKey};
use writ_protocol::client::{ClientConfig, SecretType};

/// Where a client key came from (SPEC §2 `secrets[].type`, `jwks_uri`), shown on the consent
/// page and in the interaction JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// A `jwk` secret.
    Jwk,
    /// A `jwks` secret.
    Jwks,
    /// An `x509` secret (the certificate's public key).
    X509,
    /// Fetched from the client's `jwks_uri`.
    JwksUri,
    /// A `shared` secret (HMAC, or A*KW/`dir` keys derived from it).
    Shared,
}

/// A client's public key with its provenance, parsed once per registration change.
#[derive(Debug, Clone)]
pub struct ClientKey {
    /// The key (its `kid` as registered).
    pub key: VerifyingKey,
    /// Where it came from.
    pub source: KeySource,
    /// RFC 7638 SHA-256 thumbprint, for display.
    pub thumbprint: Option<String>,
    /// When it stops being usable.
    pub expires: Option<UnixTime>,
}

impl ClientKey {
    /// A key with its thumbprint computed.
    pub fn new(key: VerifyingKey, source: KeySource, expires: Option<UnixTime>) -> Self {
        let thumbprint = key.to_public_jwk().map(|j| j.thumbprint_sha256());
        ClientKey {
            key,
            source,
            thumbprint,
            expires,
        }
    }

    /// Whether the key is usable at `now`.
    pub fn live(&self, now: UnixTime) -> bool {
        self.expires.is_none_or(|e| e > now)
    }
}

/// A client ready for use: its registration and its parsed keys.
#[derive(Debug, Clone)]
pub struct Client {
    /// The registration.
    pub config: ClientConfig,
    /// Asymmetric public keys from `jwk`, `jwks` and `x509` secrets, with their expiry.
    pub public_keys: Vec<ClientKey>,
    /// Shared secrets with their expiry.
    pub shared_secrets: Vec<(String, Option<UnixTime>)>,
    /// Public keys registered with `"use": "enc"`, to encrypt responses to (JARM §3), with
    /// their expiry.
    pub encryption_keys: Vec<(EncryptionKey, Option<UnixTime>)>,
}

/// A registered public JWK: a key to encrypt to when it says `"use": "enc"`, else a key that
/// verifies the client's signatures.
enum RegisteredKey {
    Verifying(VerifyingKey),
    Encryption(EncryptionKey),
}

fn registered_key(jwk: &Jwk) -> Result<RegisteredKey, writ_jose::JoseError> {
    if jwk.is_private() {
        return Err(writ_jose::JoseError::InvalidKey(
            "a client key must be public: private members found".into(),
        ));
    }
    if jwk.key_use.as_deref() == Some("enc") {
        EncryptionKey::from_jwk(jwk).map(RegisteredKey::Encryption)
    } else {
        VerifyingKey::from_jwk(jwk).map(RegisteredKey::Verifying)
    }
}

/// Why a registration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Structural problems, each naming the key.
    #[error("invalid client registration: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Client {
    /// Parse and check a registration, including its key material.
    pub fn from_config(config: ClientConfig) -> Result<Self, ClientError> {
        let mut errs = config.validate().err().unwrap_or_default();
        let mut public_keys = Vec::new();
        let mut shared_secrets = Vec::new();
        let mut encryption_keys = Vec::new();
        for (i, s) in config.secrets.iter().enumerate() {
            let expires = s.expires.as_ref().and_then(|e| e.unix().ok());
            match s.kind {
                SecretType::Shared => shared_secrets.push((s.value.clone(), expires)),
                SecretType::Jwk => {
                    match Jwk::from_json(s.value.as_bytes()).and_then(|jwk| registered_key(&jwk)) {
                        Ok(RegisteredKey::Verifying(k)) => {
                            public_keys.push(ClientKey::new(k, KeySource::Jwk, expires))
                        }
                        Ok(RegisteredKey::Encryption(k)) => encryption_keys.push((k, expires)),
                        Err(e) => errs.push(format!("secrets[{i}]: not a usable public JWK: {e}")),
                    }
                }
                SecretType::Jwks => {
                    match JwkSet::from_json(s.value.as_bytes(), writ_jose::MAX_JWK_SET_BYTES) {
                        Ok(set) => {
                            for (j, jwk) in set.keys.iter().enumerate() {
                                match registered_key(jwk) {
                                    Ok(RegisteredKey::Verifying(k)) => public_keys
                                        .push(ClientKey::new(k, KeySource::Jwks, expires)),
                                    Ok(RegisteredKey::Encryption(k)) => {
                                        encryption_keys.push((k, expires))
                                    }
                                    Err(e) => errs.push(format!("secrets[{i}].keys[{j}]: {e}")),
                                }
                            }
                        }
                        Err(e) => errs.push(format!("secrets[{i}]: not a JWK set: {e}")),
                    }
                }
                SecretType::X509 => match VerifyingKey::from_x509(&s.value) {
                    Ok(k) => public_keys.push(ClientKey::new(k, KeySource::X509, expires)),
                    Err(e) => errs.push(format!("secrets[{i}]: not a usable certificate: {e}")),
                },
            }
        }
        // JARM §3, RFC 9701 §6: the key the responses are encrypted to must be registered
        // (or, for a public key, may be published at the jwks_uri).
        for (what, alg, _) in config.response_encryption() {
            let Some(writ_protocol::alg::Configured::Known(alg)) = alg else {
                continue;
            };
            let has_key = if alg.is_symmetric() {
                !shared_secrets.is_empty()
            } else {
                !encryption_keys.is_empty() || config.jwks_uri.is_some()
            };
            if !has_key {
                errs.push(format!(
                    "{what}_encrypted_response_alg: {alg} needs {} in secrets",
                    if alg.is_symmetric() {
                        "a shared secret"
                    } else {
                        "a public key with \"use\": \"enc\" (type jwk or jwks), or a jwks_uri"
                    }
                ));
            }
        }
        if errs.is_empty() {
            Ok(Client {
                config,
                public_keys,
                shared_secrets,
                encryption_keys,
            })
        } else {
            Err(ClientError::Invalid(errs))
        }
    }

    /// The client id.
    pub fn id(&self) -> &str {
        &self.config.client_id
    }

    /// Public keys not expired at `now`.
    pub fn live_public_keys(&self, now: UnixTime) -> Vec<VerifyingKey> {
        self.public_keys
            .iter()
            .filter(|k| k.live(now))
            .map(|k| k.key.clone())
            .collect()
    }

    /// Shared secrets not expired at `now`.
    pub fn live_shared_secrets(&self, now: UnixTime) -> impl Iterator<Item = &str> {
        self.shared_secrets
            .iter()
            .filter(move |(_, exp)| exp.is_none_or(|e| e > now))
            .map(|(s, _)| s.as_str())
    }

    /// The key to encrypt a response to with `alg`/`enc` at `now` (JARM §3): the first live
    /// registered `use=enc` key that fits them, or for A*KW and `dir` the key derived from the
    /// last live shared secret of the registration (OpenID Connect Core §10.2).
    pub fn encryption_key(
        &self,
        alg: JweAlg,
        enc: JweEnc,
        now: UnixTime,
    ) -> Result<EncryptionKey, writ_jose::JoseError> {
        if alg.is_symmetric() {
            let secret = self.live_shared_secrets(now).last().ok_or_else(|| {
                writ_jose::JoseError::InvalidKey("no live shared secret to key it from".into())
            })?;
            return EncryptionKey::from_client_secret(secret.as_bytes(), alg, enc);
        }
        self.encryption_keys
            .iter()
            .filter(|(_, exp)| exp.is_none_or(|e| e > now))
            .map(|(k, _)| k)
            .find(|k| k.check_alg(alg, enc).is_ok())
            .cloned()
            .ok_or_else(|| {
                writ_jose::JoseError::InvalidKey(format!(
                    "no live registered key with use enc fits {alg}/{enc}"
                ))
            })
    }

    /// Whether `uri` is registered, compared exactly (RFC 9700 §4.1.3).
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.config.redirect_uris.iter().any(|r| r == uri)
    }

    /// Whether the client may use `grant_type`.
    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.config.grant_types.iter().any(|g| g == grant_type)
    }
}

/// How long a client read from the store is used without asking the store again: the bound on
/// how late a registration changed by another process takes effect here.
pub const CLIENT_CACHE_TTL: Duration = Duration::from_secs(1);

/// A parsed client and the stored JSON it was parsed from.
struct Cached {
    /// When the store last confirmed `metadata` (Unix milliseconds, [`Clock::now_millis`]).
    checked: i64,
    metadata: String,
    client: Arc<Client>,
}

/// Reads clients from the store, caching parsed ones (see the module documentation).
pub struct ClientRegistry {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    cache: RwLock<HashMap<String, Cached>>,
    ttl: Duration,
}

/// Most parsed clients kept in memory.
const CACHE_LIMIT: usize = 10_000;

impl ClientRegistry {
    /// A registry over `store`, caching for [`CLIENT_CACHE_TTL`] by `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self::with_ttl(store, clock, CLIENT_CACHE_TTL)
    }

    /// A registry over `store` that trusts a read for `ttl` (zero: ask the store every time).
    pub fn with_ttl(store: Arc<dyn Store>, clock: Arc<dyn Clock>, ttl: Duration) -> Self {
        ClientRegistry {
            store,
            clock,
            cache: RwLock::new(HashMap::new()),
            ttl,
        }
    }

    /// Whether a read confirmed at `checked` (Unix milliseconds) is still trusted. A clock
    /// that went backwards makes it stale, never fresher.
    fn fresh(&self, checked: i64) -> bool {
        let ttl = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        (0..ttl).contains(&self.clock.now_millis().saturating_sub(checked))
    }

    /// Load a client. `Ok(None)` if unknown. A stored registration that no longer parses is
    /// a server error (logged), never a panic.
    pub async fn get(&self, client_id: &str) -> Result<Option<Arc<Client>>, OAuthError> {
        if !writ_protocol::client::is_client_id(client_id) {
            return Ok(None);
        }
        if let Ok(cache) = self.cache.read()
            && let Some(c) = cache.get(client_id)
            && self.fresh(c.checked)
        {
            return Ok(Some(c.client.clone()));
        }
        let checked = self.clock.now_millis();
        let Some(row) = self.store.client_get(client_id).await? else {
            self.forget(client_id);
            return Ok(None);
        };
        if let Ok(mut cache) = self.cache.write()
            && let Some(c) = cache.get_mut(client_id)
            && c.metadata == row.metadata
        {
            c.checked = checked;
            return Ok(Some(c.client.clone()));
        }
        let config: ClientConfig = serde_json::from_str(&row.metadata).map_err(|e| {
            OAuthError::server(format!("stored client {client_id:?} does not parse: {e}"))
        })?;
        let client = Arc::new(Client::from_config(config).map_err(|e| {
            OAuthError::server(format!("stored client {client_id:?} is unusable: {e}"))
        })?);
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(
                client_id.to_string(),
                Cached {
                    checked,
                    metadata: row.metadata,
                    client: client.clone(),
                },
            );
        }
        Ok(Some(client))
    }

    /// Drop a client from the cache, so its next use reads the store.
    pub fn forget(&self, client_id: &str) {
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(client_id);
        }
    }

    /// Validate and save a registration (insert or replace).
    pub async fn put(&self, config: ClientConfig, now: UnixTime) -> Result<(), ClientError> {
        let client = Client::from_config(config)?;
        let metadata = serde_json::to_string(&client.config)
            .map_err(|e| ClientError::Invalid(vec![e.to_string()]))?;
        self.store
            .client_upsert(&StoredClient {
                client_id: client.config.client_id.clone(),
                metadata,
                updated_at: now,
            })
            .await?;
        self.forget(&client.config.client_id);
        Ok(())
    }
}
