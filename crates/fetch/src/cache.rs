//! The bounded cache of fetched bodies (SPEC §5: "successful bodies cached by the full URI").
//!
//! A moka future cache: least-recently-used eviction past `cache_entries`, a lifetime per entry
//! (from the policy or `Cache-Control`, bounded by `max_cache_ttl`), and `try_get_with`, which
//! runs one load per key at a time and hands its result to every caller that asked meanwhile,
//! so a burst of authorization requests naming the same `request_uri` or `jwks_uri` makes one
//! outbound request. Failures are not cached.

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use moka::Expiry;

use crate::error::FetchError;
use crate::policy::FetchPolicy;
use crate::purpose::Purpose;

/// What an entry is found by: the purpose (a JWK set response must not answer a request
/// object fetch) and the full URI, fragment included, since the fragment may pin the content
/// hash (SPEC §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    pub(crate) purpose: Purpose,
    pub(crate) uri: String,
}

/// A fetched body with its lifetime.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) body: Bytes,
    pub(crate) content_type: String,
    /// How long it may be served from the cache; zero means not at all.
    pub(crate) ttl: Duration,
    /// When the response was read, to tell callers whether it predates their call.
    pub(crate) fetched_at: Instant,
    /// The redirect targets it was reached through, in order (usually none). A caller that
    /// gets the entry from the cache, or from a load another caller started, checks them
    /// against its own `allow_hop`.
    pub(crate) hops: Vec<String>,
}

/// Each entry lives as long as its own `ttl`.
struct PerEntryTtl;

impl Expiry<CacheKey, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _: &CacheKey, entry: &Entry, _: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _: &CacheKey,
        entry: &Entry,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

/// The cache, shared by all clones of a [`crate::Fetcher`].
pub(crate) struct FetchCache {
    entries: moka::future::Cache<CacheKey, Entry>,
}

impl FetchCache {
    pub(crate) fn new(max_entries: u64) -> Self {
        FetchCache {
            entries: moka::future::Cache::builder()
                .max_capacity(max_entries)
                .expire_after(PerEntryTtl)
                .build(),
        }
    }

    /// The cached entry for `key`, or the result of `load`. Concurrent calls for the same key
    /// share one `load`; an error is returned to all of them and not cached. An entry with a
    /// zero `ttl` is handed to the waiting callers and then expires at once.
    pub(crate) async fn get_or_load<F>(&self, key: CacheKey, load: F) -> Result<Entry, FetchError>
    where
        F: Future<Output = Result<Entry, FetchError>>,
    {
        self.entries
            .try_get_with(key, load)
            .await
            .map_err(|shared| FetchError::clone(&shared))
    }

    /// Replace the entry for `key` with a fresh one, or drop it if `entry` may not be cached.
    pub(crate) async fn store(&self, key: CacheKey, entry: Entry) {
        if entry.ttl.is_zero() {
            self.entries.invalidate(&key).await;
        } else {
            self.entries.insert(key, entry).await;
        }
    }
}

/// How long a response may be cached (SPEC §2 `cache_ttl`): zero if not at all.
///
/// `no-store` or `no-cache` in `Cache-Control` always means not cached (nothing here
/// revalidates). Otherwise a fixed `policy.cache_ttl` wins; without one, `max-age` is used, and
/// a response without a valid `max-age` is not cached. Duplicate or malformed `max-age` counts as
/// invalid (RFC 9111 §4.2.1). The result never exceeds `policy.max_cache_ttl`.
pub(crate) fn ttl_for(policy: &FetchPolicy, cache_control: &[&str]) -> Duration {
    let mut max_age: Option<Option<u64>> = None;
    for directive in cache_control.iter().flat_map(|v| v.split(',')) {
        let (name, value) = match directive.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
            None => (directive.trim(), None),
        };
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            return Duration::ZERO;
        }
        if name.eq_ignore_ascii_case("max-age") {
            let seconds = value.and_then(|v| v.parse::<u64>().ok());
            max_age = match max_age {
                None => Some(seconds),
                Some(_) => Some(None), // a second max-age: invalid
            };
        }
    }
    let ttl = match (policy.cache_ttl, max_age) {
        (Some(fixed), _) => fixed,
        (None, Some(Some(seconds))) => Duration::from_secs(seconds),
        (None, _) => Duration::ZERO,
    };
    ttl.min(policy.max_cache_ttl)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn honour_headers() -> FetchPolicy {
        FetchPolicy {
            max_cache_ttl: Duration::from_secs(600),
            ..FetchPolicy::default()
        }
    }

    #[test]
    fn cache_ttl_follows_max_age_bounded() {
        let p = honour_headers();
        assert_eq!(ttl_for(&p, &["max-age=60"]), Duration::from_secs(60));
        assert_eq!(
            ttl_for(&p, &["public, MAX-AGE = \"90\""]),
            Duration::from_secs(90)
        );
        assert_eq!(ttl_for(&p, &["max-age=86400"]), Duration::from_secs(600));
        assert_eq!(ttl_for(&p, &[]), Duration::ZERO);
        assert_eq!(ttl_for(&p, &["max-age=abc"]), Duration::ZERO);
        assert_eq!(ttl_for(&p, &["max-age=60", "max-age=70"]), Duration::ZERO);
    }

    #[test]
    fn no_store_and_no_cache_are_not_cached() {
        let p = honour_headers();
        assert_eq!(ttl_for(&p, &["max-age=60, no-store"]), Duration::ZERO);
        assert_eq!(ttl_for(&p, &["No-Cache", "max-age=60"]), Duration::ZERO);
        let fixed = FetchPolicy {
            cache_ttl: Some(Duration::from_secs(30)),
            ..honour_headers()
        };
        assert_eq!(ttl_for(&fixed, &["no-store"]), Duration::ZERO);
    }

    #[test]
    fn fixed_cache_ttl_overrides_max_age_and_is_bounded() {
        let p = FetchPolicy {
            cache_ttl: Some(Duration::from_secs(30)),
            ..honour_headers()
        };
        assert_eq!(ttl_for(&p, &[]), Duration::from_secs(30));
        assert_eq!(ttl_for(&p, &["max-age=5"]), Duration::from_secs(30));
        let long = FetchPolicy {
            cache_ttl: Some(Duration::from_secs(7200)),
            ..honour_headers()
        };
        assert_eq!(ttl_for(&long, &[]), Duration::from_secs(600));
    }

    fn entry(ttl: Duration) -> Entry {
        Entry {
            body: Bytes::from_static(b"x"),
            content_type: "application/jwt".into(),
            ttl,
            fetched_at: Instant::now(),
            hops: Vec::new(),
        }
    }

    fn key() -> CacheKey {
        CacheKey {
            purpose: Purpose::RequestObject,
            uri: "https://client.example/ro".into(),
        }
    }

    #[tokio::test]
    async fn zero_ttl_entry_is_not_served_again() {
        let cache = FetchCache::new(16);
        let first = cache
            .get_or_load(key(), async { Ok(entry(Duration::ZERO)) })
            .await
            .unwrap();
        assert_eq!(first.body, "x");
        let second = cache
            .get_or_load(key(), async { Ok(entry(Duration::from_secs(60))) })
            .await
            .unwrap();
        assert_eq!(
            second.ttl,
            Duration::from_secs(60),
            "the zero-ttl entry was reused"
        );
    }

    #[tokio::test]
    async fn failures_are_not_cached() {
        let cache = FetchCache::new(16);
        let err = cache
            .get_or_load(key(), async { Err(FetchError::HttpStatus(503)) })
            .await
            .unwrap_err();
        assert_eq!(err, FetchError::HttpStatus(503));
        assert!(
            cache
                .get_or_load(key(), async { Ok(entry(Duration::from_secs(60))) })
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn cache_key_includes_the_purpose() {
        let cache = FetchCache::new(16);
        cache.store(key(), entry(Duration::from_secs(60))).await;
        let other = CacheKey {
            purpose: Purpose::JwkSet,
            ..key()
        };
        let loaded = cache
            .get_or_load(other, async { Err(FetchError::Connect) })
            .await;
        assert_eq!(loaded.unwrap_err(), FetchError::Connect);
    }
}
