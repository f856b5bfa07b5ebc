//! Outbound HTTP for the core's ports, on the SSRF-safe [`writ_fetch::Fetcher`] (SPEC §5):
//! client-hosted `request_uri`s (RFC 9101 §5.2) and clients' `jwks_uri` (SPEC §2). The destination rules are those of `[jar.request_uri]`
//! (`allow_http`, `allow_private_addresses`, `timeout`, `retries`, `follow_redirects`), so
//! one set of knobs governs every URL a client makes the server fetch.

use std::sync::Arc;
use std::time::Duration;
use writ_core::authorize::request_uri::{self, RequestUriFetcher};
use writ_core::client_keys::{FetchFailure, JwksFetcher};
use writ_fetch::{FetchPolicy, Fetcher, Purpose};
use writ_protocol::config::RequestUriConfig;

/// The largest JWK set fetched from a `jwks_uri`.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// The fetch policy of `[jar.request_uri]`.
pub fn fetch_policy(c: &RequestUriConfig) -> FetchPolicy {
    FetchPolicy {
        timeout: Duration::from_secs(c.timeout.as_secs()),
        retries: c.retries,
        max_bytes: c.max_bytes.as_usize(),
        cache_ttl: c.cache_ttl.map(|t| Duration::from_secs(t.as_secs())),
        cache_entries: c.cache_entries,
        allowed_content_types: c.allowed_content_types.clone(),
        allow_http: c.allow_http,
        allow_private_addresses: c.allow_private_addresses,
        follow_redirects: c.follow_redirects,
        ..FetchPolicy::default()
    }
}

/// `jwks_uri` fetching. The core caches the parsed keys (and rate-limits refetches), so
/// this fetcher does not cache: every call it gets is meant to reach the client.
pub struct JwksOverHttp {
    fetcher: Fetcher,
}

impl JwksOverHttp {
    /// A fetcher with the destination rules of `c` and a body cap fit for key sets.
    pub fn new(c: &RequestUriConfig) -> Result<Self, String> {
        let policy = FetchPolicy {
            max_bytes: MAX_JWKS_BYTES,
            ..fetch_policy(c)
        };
        let fetcher = Fetcher::new(policy).map_err(|e| format!("jwks_uri fetcher: {e}"))?;
        Ok(JwksOverHttp { fetcher })
    }

    /// Wrap as the core's port.
    pub fn into_port(self) -> Arc<dyn JwksFetcher> {
        Arc::new(self)
    }
}

#[async_trait::async_trait]
impl JwksFetcher for JwksOverHttp {
    async fn fetch_jwks(&self, uri: &str, _fresh: bool) -> Result<Vec<u8>, FetchFailure> {
        match self.fetcher.get_fresh(uri, Purpose::JwkSet).await {
            Ok(f) => Ok(f.body.to_vec()),
            Err(e) => Err(FetchFailure {
                public: format!(
                    "the client's jwks_uri could not be fetched: {}",
                    e.public_description()
                ),
                detail: format!("{e:?}"),
            }),
        }
    }
}

/// Client-hosted `request_uri` fetching (SPEC §5): every limit of `[jar.request_uri]`, the
/// JAR `Accept` header and media types, the fragment-hash check, and the bounded cache
/// honouring `Cache-Control` (a cached body still goes through every later stage, `jti`
/// replay included).
pub struct RequestUriOverHttp {
    fetcher: Fetcher,
}

impl RequestUriOverHttp {
    /// A fetcher with the policy of `c`.
    pub fn new(c: &RequestUriConfig) -> Result<Self, String> {
        let fetcher =
            Fetcher::new(fetch_policy(c)).map_err(|e| format!("request_uri fetcher: {e}"))?;
        Ok(RequestUriOverHttp { fetcher })
    }

    /// Wrap as the core's port.
    pub fn into_port(self) -> Arc<dyn RequestUriFetcher> {
        Arc::new(self)
    }
}

#[async_trait::async_trait]
impl RequestUriFetcher for RequestUriOverHttp {
    async fn fetch_request_object(
        &self,
        uri: &str,
        registered: &[String],
    ) -> Result<Vec<u8>, FetchFailure> {
        let allow_hop = |hop: &str| request_uri::is_registered(registered, hop);
        match self
            .fetcher
            .get_within(uri, Purpose::RequestObject, &allow_hop)
            .await
        {
            Ok(f) => {
                metrics::counter!(
                    "writ_request_uri_fetches_total",
                    "outcome" => if f.from_cache { "cached" } else { "fetched" }
                )
                .increment(1);
                Ok(f.body.to_vec())
            }
            Err(e) => {
                metrics::counter!("writ_request_uri_fetches_total", "outcome" => "failed")
                    .increment(1);
                Err(FetchFailure {
                    public: e.public_description(),
                    detail: format!("{e:?}"),
                })
            }
        }
    }
}
