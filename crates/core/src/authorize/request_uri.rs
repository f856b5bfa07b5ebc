//! Client-hosted `request_uri` (RFC 9101 §5.2, §10.4; SPEC §4.2, §5): which URIs a client may
//! name, and the port through which the pipeline fetches them.
//!
//! The fetch itself (destination checks, deadline, size cap, content type, cache) is the
//! server's, on `writ-fetch`; the core only sees the body or a failure that names the limit
//! that tripped.

use super::request_object::ResolvedRequestObject;
use super::request_object::refusal::{Check, Refusal};
use super::transport::Transport;
use crate::client_keys::FetchFailure;
use writ_protocol::client::prefix_fixes_the_host;

/// Longest accepted `request_uri`, in characters (RFC 9101 §5.2 suggests at most 512 ASCII
/// characters; SPEC §4.2).
pub const MAX_REQUEST_URI_CHARS: usize = 512;

/// The outbound-HTTP port for client-hosted request objects.
#[async_trait::async_trait]
pub trait RequestUriFetcher: Send + Sync {
    /// Fetch the request object at `uri` (RFC 9101 §5.2.3: the body is the JWT). When
    /// redirects are followed, every target must match `registered` too (the client's
    /// `request_uris`, [`is_registered`]; RFC 9101 §10.4.1), or it is not requested.
    async fn fetch_request_object(
        &self,
        uri: &str,
        registered: &[String],
    ) -> Result<Vec<u8>, FetchFailure>;
}

/// Stage 2 by reference: fetch the client-hosted request object at `uri`, which
/// [`super::source::classify`] found registered (SPEC §5). Every failure names the limit
/// that tripped; `fetcher` is `None` when this server cannot fetch at all. `registered` is
/// the client's `request_uris`, which every redirect target must match too.
pub async fn fetch(
    fetcher: Option<&dyn RequestUriFetcher>,
    uri: &str,
    registered: &[String],
    max_bytes: usize,
) -> Result<ResolvedRequestObject, Refusal> {
    let fetcher = fetcher.ok_or_else(|| {
        Refusal::new(
            Check::ReferenceAllowed,
            "this server cannot fetch request_uri values",
        )
    })?;
    let body = fetcher
        .fetch_request_object(uri, registered)
        .await
        .map_err(|f| {
            Refusal::new(
                Check::RequestUri,
                format!("the request_uri could not be used: {}", f.public),
            )
            .detail(f.detail)
        })?;
    let token = String::from_utf8(body).map_err(|_| {
        Refusal::new(
            Check::RequestUri,
            "the request_uri could not be used: the response is not UTF-8 text",
        )
        .detail("non-UTF-8 body")
    })?;
    // A trailing newline from a static file server is not part of the JWT.
    let token = match token.trim_ascii() {
        trimmed if trimmed.len() == token.len() => token,
        trimmed => trimmed.to_owned(),
    };
    ResolvedRequestObject::new(token, Transport::ByReference, max_bytes)
}

/// `uri` as the fetcher will request it: parsed (dot segments removed, host lower-cased,
/// percent-encoding normalised) and without the fragment. `None` when it is not a URL.
fn as_fetched(uri: &str) -> Option<url::Url> {
    let mut u = url::Url::parse(uri).ok()?;
    u.set_fragment(None);
    Some(u)
}

/// Whether `uri`, compared without its fragment, matches one of the client's `request_uris`
/// (SPEC §2): an exact URL (its own fragment ignored too), a prefix ending in `*`, or `*`
/// alone (any URI; the server warns about such clients at start-up). RFC 9101 §10.4.1: only
/// registered URIs are fetched, so a client cannot point the server anywhere it likes.
///
/// The URI is compared in the form the fetcher requests, so `…/ro/../admin` is compared as
/// `…/admin` and cannot slip out of a prefix.
pub fn is_registered(patterns: &[String], uri: &str) -> bool {
    let Some(fetched) = as_fetched(uri) else {
        return false;
    };
    let fetched = fetched.as_str();
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some("") => true,
        Some(prefix) => prefix_fixes_the_host(prefix) && fetched.starts_with(prefix),
        None => as_fetched(p).is_some_and(|p| p.as_str() == fetched),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pats(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exact_pattern_matches_only_that_uri_without_fragments() {
        let p = pats(&["https://rp.example/ro/1"]);
        assert!(is_registered(&p, "https://rp.example/ro/1"));
        assert!(is_registered(&p, "https://rp.example/ro/1#hash"));
        assert!(!is_registered(&p, "https://rp.example/ro/12"));
        assert!(!is_registered(&p, "https://rp.example/ro/1?x=1"));
        assert!(!is_registered(&p, "http://rp.example/ro/1"));
    }

    #[test]
    fn prefix_pattern_matches_what_starts_with_it() {
        let p = pats(&["https://rp.example/ro/*"]);
        assert!(is_registered(&p, "https://rp.example/ro/abc"));
        assert!(is_registered(&p, "https://rp.example/ro/abc#frag"));
        assert!(!is_registered(&p, "https://rp.example/other"));
        assert!(!is_registered(&p, "https://rp.example.evil/ro/abc"));
    }

    #[test]
    fn a_prefix_that_does_not_fix_the_host_matches_nothing() {
        // Registration refuses these; a stored one that predates the rule still never matches.
        for pattern in [
            "https://rp.example#/*",
            "https://rp.example*",
            "https://rp.example/ro#*",
        ] {
            let p = pats(&[pattern]);
            assert!(
                !is_registered(&p, "https://rp.example.evil/ro/1"),
                "{pattern}"
            );
            assert!(!is_registered(&p, "https://rp.example/ro/1"), "{pattern}");
        }
    }

    #[test]
    fn star_alone_matches_anything_and_no_pattern_matches_nothing() {
        assert!(is_registered(&pats(&["*"]), "https://anywhere.example/x"));
        assert!(!is_registered(&[], "https://rp.example/ro/1"));
    }

    #[test]
    fn dot_segments_cannot_leave_a_prefix() {
        let p = pats(&["https://rp.example/ro/*"]);
        assert!(!is_registered(&p, "https://rp.example/ro/../admin"));
        assert!(!is_registered(&p, "https://rp.example/ro/%2e%2e/admin"));
        assert!(is_registered(&p, "https://rp.example/ro/./a"));
        assert!(!is_registered(&p, "not a url"));
    }

    #[test]
    fn fragment_in_the_uri_cannot_smuggle_a_match() {
        // The fragment is removed before comparing, so it cannot make a prefix match.
        let p = pats(&["https://rp.example/ro/1"]);
        assert!(!is_registered(
            &p,
            "https://evil.example/#https://rp.example/ro/1"
        ));
    }
}
