//! The limits of an outbound fetch: SPEC §2 `[jar.request_uri]`.

use std::time::Duration;

use crate::error::FetchError;
use crate::purpose::{REQUEST_OBJECT_CONTENT_TYPES, is_media_type};

/// Longest URL fetched, in bytes: RFC 9101 §5.2 ("The entire Request URI SHOULD NOT exceed 512
/// ASCII characters"), SPEC §4 stage 2. The fragment counts.
pub const MAX_URL_LEN: usize = 512;

/// Most redirects followed when [`FetchPolicy::follow_redirects`] is on.
pub const MAX_REDIRECTS: u32 = 3;

/// Longest pause between two attempts, whatever `retry_backoff` and the attempt number say.
pub const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(1);

/// Most retries a policy may ask for; more would only hold a fetch slot for longer.
pub const MAX_RETRIES: u32 = 5;

/// How outbound fetches are limited (SPEC §2 `[jar.request_uri]`, SPEC §5, RFC 9101 §10.4.1).
///
/// [`FetchPolicy::default`] is the specification's default: strict enough for production.
/// Tests that serve documents from 127.0.0.1 must turn on `allow_http` and
/// `allow_private_addresses` explicitly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Deadline over the whole fetch: connecting, headers, body, retries and redirects
    /// (`timeout`, default 5s).
    pub timeout: Duration,
    /// Extra attempts after a connect error, a 5xx or a 429 (`retries`, default 2, at most
    /// [`MAX_RETRIES`]). Other failures are final.
    pub retries: u32,
    /// Pause before the first retry; doubled for each further one, capped at
    /// [`MAX_RETRY_BACKOFF`] (default 100ms). The deadline still bounds the whole fetch.
    pub retry_backoff: Duration,
    /// Largest body accepted (`max_bytes`, default 64 KiB), enforced while reading.
    pub max_bytes: usize,
    /// How long a fetched body stays cached (`cache_ttl`). `None` (the default) honours the
    /// response's `Cache-Control: max-age`; a response without it, or with `no-store` or
    /// `no-cache`, is not cached. `Some(ttl)` caches every successful response for `ttl`
    /// except those marked `no-store` or `no-cache`. Always bounded by `max_cache_ttl`.
    pub cache_ttl: Option<Duration>,
    /// Upper bound on any cache lifetime (default 1h).
    pub max_cache_ttl: Duration,
    /// Most cached bodies (`cache_entries`, default 1024); least recently used go first. With
    /// `max_bytes` this bounds the cache's memory.
    pub cache_entries: u64,
    /// Media types accepted for [`crate::Purpose::RequestObject`] (`allowed_content_types`,
    /// default `application/oauth-authz-req+jwt` and `application/jwt`), lowercase
    /// `type/subtype`. They also make the `Accept` header.
    pub allowed_content_types: Vec<String>,
    /// Allow `http` URLs (`allow_http`, default false).
    pub allow_http: bool,
    /// Allow addresses in the deny table (`allow_private_addresses`, default false); see
    /// [`crate::is_forbidden_address`].
    pub allow_private_addresses: bool,
    /// Follow up to [`MAX_REDIRECTS`] redirects, checking scheme, credentials, length and
    /// address again on every hop (`follow_redirects`, default false: a redirect is an error).
    pub follow_redirects: bool,
    /// Most fetches in flight at once, over the whole process (default 64). One more is
    /// refused with [`FetchError::Busy`] rather than queued, so the server cannot be used as a
    /// traffic amplifier and waiting requests do not pile up.
    pub max_concurrent: usize,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            timeout: Duration::from_secs(5),
            retries: 2,
            retry_backoff: Duration::from_millis(100),
            max_bytes: 64 * 1024,
            cache_ttl: None,
            max_cache_ttl: Duration::from_secs(3600),
            cache_entries: 1024,
            allowed_content_types: REQUEST_OBJECT_CONTENT_TYPES
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
            allow_http: false,
            allow_private_addresses: false,
            follow_redirects: false,
            max_concurrent: 64,
        }
    }
}

impl FetchPolicy {
    /// Refuse settings that cannot work, with the name of the setting.
    pub(crate) fn validate(&self) -> Result<(), FetchError> {
        let bad = |what: &str| Err(FetchError::InvalidPolicy(what.to_owned()));
        if self.timeout.is_zero() {
            return bad("timeout must be greater than zero");
        }
        if self.retries > MAX_RETRIES {
            return bad("retries must be at most 5");
        }
        if self.max_bytes == 0 {
            return bad("max_bytes must be greater than zero");
        }
        if self.max_concurrent == 0 || self.max_concurrent > tokio::sync::Semaphore::MAX_PERMITS {
            return bad("max_concurrent must be between 1 and 2^61 - 1");
        }
        if self.allowed_content_types.is_empty() {
            return bad("allowed_content_types must not be empty");
        }
        if let Some(t) = self
            .allowed_content_types
            .iter()
            .find(|t| !is_media_type(t))
        {
            return Err(FetchError::InvalidPolicy(format!(
                "allowed_content_types: {t:?} is not a lowercase type/subtype"
            )));
        }
        Ok(())
    }

    /// The pause before retry number `retry` (0-based): `retry_backoff * 2^retry`, capped.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        self.retry_backoff
            .saturating_mul(1_u32.checked_shl(retry).unwrap_or(u32::MAX))
            .min(MAX_RETRY_BACKOFF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_the_spec_default() {
        let p = FetchPolicy::default();
        assert_eq!(p.timeout, Duration::from_secs(5));
        assert_eq!(p.retries, 2);
        assert_eq!(p.max_bytes, 65536);
        assert_eq!(p.cache_ttl, None);
        assert!(!p.allow_http);
        assert!(!p.allow_private_addresses);
        assert!(!p.follow_redirects);
        assert_eq!(
            p.allowed_content_types,
            ["application/oauth-authz-req+jwt", "application/jwt"]
        );
        assert!(p.validate().is_ok());
    }

    #[test]
    fn validate_refuses_unusable_settings() {
        let cases: [fn(&mut FetchPolicy); 7] = [
            |p| p.max_concurrent = usize::MAX,
            |p| p.timeout = Duration::ZERO,
            |p| p.retries = 6,
            |p| p.max_bytes = 0,
            |p| p.max_concurrent = 0,
            |p| p.allowed_content_types.clear(),
            |p| p.allowed_content_types = vec!["Application/JWT; x=1".into()],
        ];
        for change in cases {
            let mut p = FetchPolicy::default();
            change(&mut p);
            assert!(matches!(p.validate(), Err(FetchError::InvalidPolicy(_))));
        }
    }

    #[test]
    fn backoff_doubles_and_is_bounded() {
        let p = FetchPolicy {
            retry_backoff: Duration::from_millis(100),
            ..FetchPolicy::default()
        };
        assert_eq!(p.backoff(0), Duration::from_millis(100));
        assert_eq!(p.backoff(1), Duration::from_millis(200));
        assert_eq!(p.backoff(3), Duration::from_millis(800));
        assert_eq!(p.backoff(4), MAX_RETRY_BACKOFF);
        assert_eq!(p.backoff(40), MAX_RETRY_BACKOFF);
    }
}
