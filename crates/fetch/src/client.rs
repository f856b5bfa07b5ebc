//! The fetcher: the policy's HTTP client, the deadline, retries, the concurrency cap, the hash
//! check and the cache, around one [`crate::exchange`] (SPEC §5, RFC 9101 §5.2 and §10.4.1).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::HeaderValue;
use tokio::sync::Semaphore;
use url::Url;

use crate::cache::{CacheKey, Entry, FetchCache};
use crate::error::FetchError;
use crate::exchange::{AllowHop, Request, exchange};
use crate::integrity::{expected_hash, verify};
use crate::policy::FetchPolicy;
use crate::purpose::{JWK_SET_CONTENT_TYPES, Purpose};
use crate::resolve::{GuardedResolver, Resolve, SystemResolver};
use crate::target::check_url;

/// Sent with every fetch, so a client's operator can tell who asked.
const USER_AGENT: &str = concat!("writ/", env!("CARGO_PKG_VERSION"));

/// How long an idle pooled connection is kept.
const POOL_IDLE: Duration = Duration::from_secs(30);

/// A fetched document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The body, at most the policy's `max_bytes`.
    pub body: Bytes,
    /// Its media type, lowercase, without parameters (one of those allowed for the purpose).
    pub content_type: String,
    /// True when the body was fetched before this call started, i.e. it came from the cache;
    /// false when it was fetched for this call or for a concurrent one it waited on.
    pub from_cache: bool,
}

/// SSRF-safe outbound HTTP for `request_uri` (RFC 9101 §5.2, SPEC §5) and `jwks_uri`.
///
/// Every fetch: checks the URL before any I/O ([`crate::check_url`]); resolves host names
/// through a resolver that drops forbidden addresses on every new connection
/// ([`crate::resolve`]); uses no proxy (environment variables included) and follows no redirect
/// unless the policy says so; sends a `GET` without the fragment; enforces one deadline over the
/// whole fetch, retries included; caps the body while reading; checks status and media type;
/// checks the fragment hash if there is one; and holds one of `max_concurrent` slots, failing
/// with [`FetchError::Busy`] when none is free.
///
/// Cheap to clone; clones share the HTTP client, the cache and the slots.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    policy: FetchPolicy,
    http: reqwest::Client,
    cache: FetchCache,
    slots: Semaphore,
    request_object_accept: HeaderValue,
    jwk_set_accept: HeaderValue,
    jwk_set_types: Vec<String>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("policy", &self.inner.policy)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    /// A fetcher that resolves host names with the operating system's resolver.
    pub fn new(policy: FetchPolicy) -> Result<Self, FetchError> {
        Self::with_resolver(policy, Arc::new(SystemResolver))
    }

    /// A fetcher that resolves host names with `resolver` (tests inject fixed answers). The
    /// deny table is applied to its answers like to the system's.
    pub fn with_resolver(
        policy: FetchPolicy,
        resolver: Arc<dyn Resolve>,
    ) -> Result<Self, FetchError> {
        policy.validate()?;
        let request_object_accept = HeaderValue::from_str(&policy.allowed_content_types.join(", "))
            .map_err(|_| FetchError::InvalidPolicy("allowed_content_types".to_owned()))?;
        let jwk_set_accept = HeaderValue::from_static("application/jwk-set+json, application/json");
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .https_only(!policy.allow_http)
            .dns_resolver(GuardedResolver::new(
                resolver,
                policy.allow_private_addresses,
            ))
            .timeout(policy.timeout)
            .referer(false)
            .user_agent(USER_AGENT)
            .pool_idle_timeout(POOL_IDLE)
            .build()
            .map_err(|e| FetchError::InvalidPolicy(format!("cannot build the HTTP client: {e}")))?;
        Ok(Fetcher {
            inner: Arc::new(Inner {
                cache: FetchCache::new(policy.cache_entries),
                slots: Semaphore::new(policy.max_concurrent),
                policy,
                http,
                request_object_accept,
                jwk_set_accept,
                jwk_set_types: JWK_SET_CONTENT_TYPES.map(str::to_owned).to_vec(),
            }),
        })
    }

    /// The policy this fetcher enforces.
    pub fn policy(&self) -> &FetchPolicy {
        &self.inner.policy
    }

    /// Fetch `url` for `purpose`, from the cache when a live entry exists for the full URI
    /// (fragment included). Concurrent calls for the same URI and purpose share one request;
    /// failures are not cached (SPEC §5).
    pub async fn get(&self, url: &str, purpose: Purpose) -> Result<Fetched, FetchError> {
        self.get_within(url, purpose, &|_| true).await
    }

    /// [`Self::get`], where every redirect target (when the policy follows redirects) must
    /// also satisfy `allow_hop`: a target it refuses is not requested
    /// ([`FetchError::RedirectNotAllowed`]), and a body reached through one, cached or
    /// fetched for a concurrent caller, is not handed out. For a `request_uri`, `allow_hop`
    /// is the client's registration (RFC 9101 §10.4.1).
    pub async fn get_within(
        &self,
        url: &str,
        purpose: Purpose,
        allow_hop: AllowHop<'_>,
    ) -> Result<Fetched, FetchError> {
        let started = Instant::now();
        let target = check_url(url, &self.inner.policy)?;
        let key = cache_key(&target, purpose);
        let entry = self
            .inner
            .cache
            .get_or_load(key, self.load(&target, purpose, allow_hop))
            .await?;
        if entry.hops.iter().any(|hop| !allow_hop(hop)) {
            return Err(FetchError::RedirectNotAllowed);
        }
        Ok(Fetched {
            from_cache: entry.fetched_at < started,
            body: entry.body,
            content_type: entry.content_type,
        })
    }

    /// Fetch `url` from the network whatever the cache holds, and replace the cached entry with
    /// the result (or drop it if the response may not be cached). For refetching a client's JWK
    /// set when a `kid` is unknown; the caller rate-limits (SPEC §2 `jwks_uri`).
    pub async fn get_fresh(&self, url: &str, purpose: Purpose) -> Result<Fetched, FetchError> {
        let target = check_url(url, &self.inner.policy)?;
        let entry = self.load(&target, purpose, &|_| true).await?;
        self.inner
            .cache
            .store(cache_key(&target, purpose), entry.clone())
            .await;
        Ok(Fetched {
            body: entry.body,
            content_type: entry.content_type,
            from_cache: false,
        })
    }

    /// Fetch from the network: take a slot, run the attempts under the deadline, check the
    /// fragment hash.
    async fn load(
        &self,
        url: &Url,
        purpose: Purpose,
        allow_hop: AllowHop<'_>,
    ) -> Result<Entry, FetchError> {
        let _slot = self.inner.slots.try_acquire().map_err(|_| {
            tracing::warn!("outbound fetch refused: max_concurrent reached");
            FetchError::Busy
        })?;
        let limit = self.inner.policy.timeout;
        let entry = tokio::time::timeout(limit, self.attempts(url, purpose, allow_hop))
            .await
            .map_err(|_| FetchError::Timeout { limit })??;
        if let Some(expected) = expected_hash(url.fragment()) {
            verify(&entry.body, expected)?;
        }
        Ok(entry)
    }

    /// One exchange, repeated after a connect error, a 5xx or a 429 up to `retries` times with
    /// a growing pause.
    async fn attempts(
        &self,
        url: &Url,
        purpose: Purpose,
        allow_hop: AllowHop<'_>,
    ) -> Result<Entry, FetchError> {
        let policy = &self.inner.policy;
        let (accept, allowed_types) = match purpose {
            Purpose::RequestObject => (
                &self.inner.request_object_accept,
                policy.allowed_content_types.as_slice(),
            ),
            Purpose::JwkSet => (
                &self.inner.jwk_set_accept,
                self.inner.jwk_set_types.as_slice(),
            ),
        };
        let mut retry = 0;
        loop {
            let outcome = exchange(Request {
                http: &self.inner.http,
                policy,
                url,
                accept,
                allowed_types,
                allow_hop,
            })
            .await;
            match outcome {
                Err(e) if e.is_retryable() && retry < policy.retries => {
                    tracing::debug!(error = %e, retry, "fetch failed, retrying");
                    tokio::time::sleep(policy.backoff(retry)).await;
                    retry += 1;
                }
                other => return other,
            }
        }
    }
}

fn cache_key(url: &Url, purpose: Purpose) -> CacheKey {
    CacheKey {
        purpose,
        uri: url.as_str().to_owned(),
    }
}
