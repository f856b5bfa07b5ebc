//! One HTTP exchange: send the GET, walk redirects if allowed, and check status, media type and
//! size (SPEC §5, RFC 9101 §10.4.1 (b)). Retries, the deadline and the cache live in
//! [`crate::client`].

use std::error::Error as _;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderValue, LOCATION};
use url::Url;

use crate::address::is_forbidden_address;
use crate::cache::{Entry, ttl_for};
use crate::error::{FetchError, sanitize};
use crate::policy::{FetchPolicy, MAX_REDIRECTS};
use crate::purpose::media_type;
use crate::resolve::ResolveFailure;
use crate::target::{next_hop, request_url};

/// What one exchange needs to know about the fetch.
pub(crate) struct Request<'a> {
    pub(crate) http: &'a reqwest::Client,
    pub(crate) policy: &'a FetchPolicy,
    pub(crate) url: &'a Url,
    pub(crate) accept: &'a HeaderValue,
    pub(crate) allowed_types: &'a [String],
    /// Whether a redirect target may be fetched (beyond the policy's own checks).
    pub(crate) allow_hop: AllowHop<'a>,
}

/// Which redirect targets a caller accepts, given the target URL as it would be requested:
/// for a `request_uri`, one the client has registered (RFC 9101 §10.4.1).
pub type AllowHop<'a> = &'a (dyn Fn(&str) -> bool + Send + Sync);

/// Fetch `req.url` once (following redirects only if the policy says so) and return the body
/// with its cache lifetime.
pub(crate) async fn exchange(req: Request<'_>) -> Result<Entry, FetchError> {
    let policy = req.policy;
    let mut current = request_url(req.url);
    let mut hops = Vec::new();
    let response = loop {
        let response = req
            .http
            .get(current.clone())
            .header(ACCEPT, req.accept.clone())
            .send()
            .await
            .map_err(|e| classify(&e, policy.timeout))?;
        check_peer(&response, policy)?;
        if !response.status().is_redirection() {
            break response;
        }
        if !policy.follow_redirects || hops.len() >= MAX_REDIRECTS as usize {
            tracing::debug!(status = %response.status(), hops = hops.len(), "redirect not followed");
            return Err(FetchError::Redirect);
        }
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(FetchError::Redirect)?;
        current = next_hop(&current, location, policy)?;
        if !(req.allow_hop)(current.as_str()) {
            tracing::debug!(target = %current, "redirect to a URL the caller does not accept");
            return Err(FetchError::RedirectNotAllowed);
        }
        hops.push(current.as_str().to_owned());
    };

    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::HttpStatus(status.as_u16()));
    }
    let content_type = check_content_type(&response, req.allowed_types)?;
    if !hops.is_empty() {
        tracing::debug!(?hops, "fetched through redirects");
    }
    let cache_control: Vec<&str> = response
        .headers()
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let ttl = ttl_for(policy, &cache_control);
    let body = read_capped(response, policy.max_bytes, policy.timeout).await?;
    Ok(Entry {
        body,
        content_type,
        ttl,
        fetched_at: Instant::now(),
        hops,
    })
}

/// Defence in depth: refuse a response from a forbidden peer, should one ever get past the URL
/// check and the resolver.
fn check_peer(response: &reqwest::Response, policy: &FetchPolicy) -> Result<(), FetchError> {
    match response.remote_addr() {
        Some(peer) if !policy.allow_private_addresses && is_forbidden_address(peer.ip()) => {
            tracing::warn!(%peer, "response from a forbidden address discarded");
            Err(FetchError::ForbiddenAddress)
        }
        _ => Ok(()),
    }
}

/// The response's media type, if it is one of `allowed` (parameters and case ignored).
fn check_content_type(
    response: &reqwest::Response,
    allowed: &[String],
) -> Result<String, FetchError> {
    let received = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| media_type(&String::from_utf8_lossy(v.as_bytes())))
        .unwrap_or_default();
    if allowed.contains(&received) {
        Ok(received)
    } else {
        Err(FetchError::ContentType {
            received: sanitize(&received),
            allowed: allowed.join(", "),
        })
    }
}

/// Read the body, refusing it as soon as it would exceed `max` bytes: a `Content-Length` over
/// the limit is refused before reading, and a streamed body is never buffered past the limit
/// (at most one transport chunk beyond it is ever received). The connection is dropped, not
/// drained.
async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
    limit: Duration,
) -> Result<Bytes, FetchError> {
    let too_large = FetchError::TooLarge { max_bytes: max };
    let declared = response.content_length();
    if declared.is_some_and(|len| len > max as u64) {
        return Err(too_large);
    }
    let hint = declared.map_or(0, |len| usize::try_from(len).unwrap_or(max));
    let mut body = BytesMut::with_capacity(hint.min(max));
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e, limit))? {
        if chunk.len() > max - body.len() {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Turn a reqwest error into the failure it stands for; the detail is logged, not returned.
fn classify(error: &reqwest::Error, limit: Duration) -> FetchError {
    let mut cause = error.source();
    while let Some(e) = cause {
        if let Some(failure) = e.downcast_ref::<ResolveFailure>() {
            return match failure {
                ResolveFailure::Forbidden => FetchError::ForbiddenAddress,
                ResolveFailure::Lookup(detail) => {
                    tracing::debug!(%detail, "name resolution failed");
                    FetchError::Resolve
                }
            };
        }
        cause = e.source();
    }
    tracing::debug!(error = %Chain(error), "fetch failed");
    if error.is_timeout() {
        FetchError::Timeout { limit }
    } else if error.is_connect() {
        FetchError::Connect
    } else {
        FetchError::Transport
    }
}

/// An error with all its causes, for the log.
struct Chain<'a>(&'a reqwest::Error);

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}
