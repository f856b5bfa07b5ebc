//! Client keys published at a `jwks_uri` (SPEC §2; RFC 7591 §2; OpenID Connect Core §10.1.1):
//! fetched through the [`JwksFetcher`] port, parsed once and cached per client, refreshed
//! after [`JWKS_TTL`], and refetched when a request names a `kid` the cached set does not
//! have — at most once per [`UNKNOWN_KID_REFETCH_INTERVAL`] per client, so that requests
//! with random `kid`s cannot make the server hammer the client's host.

use crate::clients::{Client, ClientKey, KeySource};
use crate::ports::UnixTime;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use writ_jose::{EncryptionKey, JwkSet, VerifyingKey};

/// How long a fetched key set is used before it is fetched again.
pub const JWKS_TTL: i64 = 300;
/// Shortest interval between two refetches caused by an unknown `kid`, per client.
pub const UNKNOWN_KID_REFETCH_INTERVAL: i64 = 60;
/// Most clients whose key sets are kept.
const MAX_CACHED_CLIENTS: usize = 10_000;

/// Why a key set could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchFailure {
    /// One line, safe to send to the client (names the limit that tripped).
    pub public: String,
    /// Internal detail for logs.
    pub detail: String,
}

/// The outbound-HTTP port for `jwks_uri` (implemented by the server with the SSRF-safe
/// fetcher of SPEC §5).
#[async_trait::async_trait]
pub trait JwksFetcher: Send + Sync {
    /// The body at `uri`. `fresh` bypasses any cache.
    async fn fetch_jwks(&self, uri: &str, fresh: bool) -> Result<Vec<u8>, FetchFailure>;
}

struct Entry {
    uri: String,
    keys: Arc<[ClientKey]>,
    /// The set's `use: enc` keys, to encrypt responses to (JARM §3, RFC 9701 §6).
    encryption: Arc<[EncryptionKey]>,
    fetched_at: UnixTime,
    forced_at: Option<UnixTime>,
}

/// Parsed `jwks_uri` key sets, per client.
pub struct RemoteKeys {
    fetcher: Option<Arc<dyn JwksFetcher>>,
    cache: RwLock<HashMap<String, Entry>>,
}

impl RemoteKeys {
    /// Keys fetched with `fetcher`; `None` means `jwks_uri` cannot be used (offline tools).
    pub fn new(fetcher: Option<Arc<dyn JwksFetcher>>) -> Self {
        RemoteKeys {
            fetcher,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The client's `jwks_uri` keys (empty when it has none), from the cache when fresh.
    pub async fn get(
        &self,
        client: &Client,
        now: UnixTime,
    ) -> Result<Arc<[ClientKey]>, FetchFailure> {
        Ok(self.sets(client, now).await?.0)
    }

    /// The `use: enc` keys of the client's `jwks_uri` (empty when it has none), from the
    /// cache when fresh.
    pub async fn encryption_keys(
        &self,
        client: &Client,
        now: UnixTime,
    ) -> Result<Arc<[EncryptionKey]>, FetchFailure> {
        Ok(self.sets(client, now).await?.1)
    }

    async fn sets(
        &self,
        client: &Client,
        now: UnixTime,
    ) -> Result<(Arc<[ClientKey]>, Arc<[EncryptionKey]>), FetchFailure> {
        let Some(uri) = client.config.jwks_uri.as_deref() else {
            return Ok((Arc::from(Vec::new()), Arc::from(Vec::new())));
        };
        if let Ok(cache) = self.cache.read()
            && let Some(e) = cache.get(client.id())
            && e.uri == uri
            && now - e.fetched_at < JWKS_TTL
        {
            return Ok((e.keys.clone(), e.encryption.clone()));
        }
        self.load(client, uri, now, false).await
    }

    /// Refetch after an unknown `kid`. `Ok(None)` when a refetch for this client happened
    /// less than [`UNKNOWN_KID_REFETCH_INTERVAL`] ago.
    pub async fn refetch_for_unknown_kid(
        &self,
        client: &Client,
        now: UnixTime,
    ) -> Result<Option<Arc<[ClientKey]>>, FetchFailure> {
        let Some(uri) = client.config.jwks_uri.as_deref() else {
            return Ok(None);
        };
        {
            let Ok(mut cache) = self.cache.write() else {
                return Ok(None);
            };
            if let Some(e) = cache.get_mut(client.id())
                && e.uri == uri
            {
                if e.forced_at
                    .is_some_and(|t| now - t < UNKNOWN_KID_REFETCH_INTERVAL)
                {
                    return Ok(None);
                }
                // Claim the slot before fetching, so concurrent misses fetch once.
                e.forced_at = Some(now);
            }
        }
        self.load(client, uri, now, true)
            .await
            .map(|(keys, _)| Some(keys))
    }

    async fn load(
        &self,
        client: &Client,
        uri: &str,
        now: UnixTime,
        fresh: bool,
    ) -> Result<(Arc<[ClientKey]>, Arc<[EncryptionKey]>), FetchFailure> {
        let Some(fetcher) = &self.fetcher else {
            return Err(FetchFailure {
                public: "the client's jwks_uri cannot be fetched here".into(),
                detail: "no jwks fetcher configured (offline)".into(),
            });
        };
        let body = fetcher.fetch_jwks(uri, fresh).await?;
        let (keys, encryption) = parse_key_set(&body)?;
        let (keys, encryption): (Arc<[ClientKey]>, Arc<[EncryptionKey]>) =
            (Arc::from(keys), Arc::from(encryption));
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() >= MAX_CACHED_CLIENTS {
                cache.clear();
            }
            let forced_at = if fresh {
                Some(now)
            } else {
                cache.get(client.id()).and_then(|e| e.forced_at)
            };
            cache.insert(
                client.id().to_string(),
                Entry {
                    uri: uri.to_string(),
                    keys: keys.clone(),
                    encryption: encryption.clone(),
                    fetched_at: now,
                    forced_at,
                },
            );
        }
        Ok((keys, encryption))
    }
}

/// Parse a fetched JWK set: public keys only, those that verify and, apart, those marked
/// `use: enc` to encrypt to; a key that is neither (private members, unknown types) is skipped
/// rather than failing the whole set.
#[allow(clippy::type_complexity)]
fn parse_key_set(body: &[u8]) -> Result<(Vec<ClientKey>, Vec<EncryptionKey>), FetchFailure> {
    let set = JwkSet::from_json(body, writ_jose::MAX_JWK_SET_BYTES).map_err(|e| FetchFailure {
        public: "the client's jwks_uri did not return a valid JWK set".into(),
        detail: e.to_string(),
    })?;
    let public = || set.keys.iter().filter(|j| !j.is_private());
    let verifying = public()
        .filter(|j| j.key_use.as_deref() != Some("enc"))
        .filter_map(|j| VerifyingKey::from_jwk(j).ok())
        .map(|k| ClientKey::new(k, KeySource::JwksUri, None))
        .collect();
    let encryption = public()
        .filter(|j| j.key_use.as_deref() == Some("enc"))
        .filter_map(|j| EncryptionKey::from_jwk(j).ok())
        .collect();
    Ok((verifying, encryption))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use writ_protocol::client::ClientConfig;

    struct Counting {
        calls: AtomicUsize,
        body: Vec<u8>,
    }

    #[async_trait::async_trait]
    impl JwksFetcher for Counting {
        async fn fetch_jwks(&self, _uri: &str, _fresh: bool) -> Result<Vec<u8>, FetchFailure> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(self.body.clone())
        }
    }

    fn client() -> Client {
        let config: ClientConfig = serde_json::from_value(serde_json::json!({
            "client_id": "c",
            "redirect_uris": ["https://c.example/cb"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": "https://c.example/jwks"
        }))
        .unwrap();
        Client::from_config(config).unwrap()
    }

    fn fetcher() -> Arc<Counting> {
        let key = writ_jose::SigningKey::generate_ec(writ_jose::EcCurve::P256).unwrap();
        let jwk = key.public_jwk("k1").unwrap();
        Arc::new(Counting {
            calls: AtomicUsize::new(0),
            body: serde_json::to_vec(&serde_json::json!({ "keys": [jwk] })).unwrap(),
        })
    }

    #[tokio::test]
    async fn jwks_uri_keys_are_cached_until_the_ttl() {
        let f = fetcher();
        let remote = RemoteKeys::new(Some(f.clone()));
        let c = client();
        assert_eq!(remote.get(&c, 1000).await.unwrap().len(), 1);
        remote.get(&c, 1000 + JWKS_TTL - 1).await.unwrap();
        assert_eq!(f.calls.load(Ordering::SeqCst), 1);
        remote.get(&c, 1000 + JWKS_TTL).await.unwrap();
        assert_eq!(f.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn unknown_kid_refetch_is_rate_limited_per_client() {
        let f = fetcher();
        let remote = RemoteKeys::new(Some(f.clone()));
        let c = client();
        remote.get(&c, 1000).await.unwrap();
        assert!(
            remote
                .refetch_for_unknown_kid(&c, 1001)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            remote
                .refetch_for_unknown_kid(&c, 1030)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(f.calls.load(Ordering::SeqCst), 2);
        assert!(
            remote
                .refetch_for_unknown_kid(&c, 1001 + UNKNOWN_KID_REFETCH_INTERVAL)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(f.calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn without_a_fetcher_jwks_uri_fails_clearly() {
        let remote = RemoteKeys::new(None);
        let e = remote.get(&client(), 0).await.unwrap_err();
        assert!(e.public.contains("jwks_uri"));
    }
}
