//! Fetching from real HTTP servers on 127.0.0.1 (SPEC §5, RFC 9101 §5.2 and §10.4.1): limits,
//! retries, hashes, the cache and the concurrency cap. Every test turns on `allow_http` and
//! `allow_private_addresses` explicitly, as SPEC §2 asks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use common::{FixedResolver, Hits, local_policy, serve};
use writ_fetch::{FetchError, FetchPolicy, Fetcher, Purpose};

const RO: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJjMSJ9.c2ln";
const RO_TYPE: &str = "application/oauth-authz-req+jwt";

fn reply(status: u16, headers: &[(&str, &str)], body: impl Into<Body>) -> Response {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.into()).unwrap()
}

/// A server with one route that answers with `respond(n)` for its n-th request (from 1).
async fn server_with<F>(respond: F) -> (String, Hits)
where
    F: Fn(usize) -> Response + Clone + Send + Sync + 'static,
{
    let hits = Hits::default();
    let counter = hits.clone();
    let router = Router::new().route(
        "/doc",
        get(move || {
            let n = counter.hit();
            let respond = respond.clone();
            async move { respond(n) }
        }),
    );
    let addr = serve(router).await;
    (format!("http://{addr}/doc"), hits)
}

fn fetcher(policy: FetchPolicy) -> Fetcher {
    Fetcher::new(policy).unwrap()
}

fn base64url_sha256(body: &[u8]) -> String {
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

#[tokio::test]
async fn request_object_is_fetched_with_its_accept_header_and_without_the_fragment() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let router = Router::new().route(
        "/ro",
        get(move |uri: Uri, headers: HeaderMap| {
            let accept = headers
                .get("accept")
                .map(|v| v.to_str().unwrap().to_owned());
            record.lock().unwrap().push((uri.to_string(), accept));
            async { reply(200, &[("content-type", RO_TYPE)], RO) }
        }),
    );
    let addr = serve(router).await;
    let fetched = fetcher(local_policy())
        .get(
            &format!("http://{addr}/ro?v=1#section"),
            Purpose::RequestObject,
        )
        .await
        .unwrap();
    assert_eq!(fetched.body, RO);
    assert_eq!(fetched.content_type, RO_TYPE);
    assert!(!fetched.from_cache);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "/ro?v=1");
    assert_eq!(
        seen[0].1.as_deref(),
        Some("application/oauth-authz-req+jwt, application/jwt")
    );
}

#[tokio::test]
async fn jwk_set_purpose_has_its_own_accept_and_content_types() {
    let seen = Arc::new(Mutex::new(None));
    let record = seen.clone();
    let router = Router::new().route(
        "/jwks",
        get(move |headers: HeaderMap| {
            *record.lock().unwrap() = headers
                .get("accept")
                .map(|v| v.to_str().unwrap().to_owned());
            async {
                reply(
                    200,
                    &[("content-type", "application/json; charset=utf-8")],
                    r#"{"keys":[]}"#,
                )
            }
        }),
    );
    let addr = serve(router).await;
    let url = format!("http://{addr}/jwks");
    let f = fetcher(local_policy());
    let fetched = f.get(&url, Purpose::JwkSet).await.unwrap();
    assert_eq!(fetched.content_type, "application/json");
    assert_eq!(
        seen.lock().unwrap().as_deref(),
        Some("application/jwk-set+json, application/json")
    );
    // JSON is not a request object.
    let err = f.get(&url, Purpose::RequestObject).await.unwrap_err();
    assert!(matches!(err, FetchError::ContentType { .. }), "{err:?}");
}

#[tokio::test]
async fn content_type_parameters_and_case_are_ignored() {
    let (url, _) = server_with(|_| {
        reply(
            200,
            &[("content-type", "Application/JWT ; charset=UTF-8")],
            RO,
        )
    })
    .await;
    let fetched = fetcher(local_policy())
        .get(&url, Purpose::RequestObject)
        .await
        .unwrap();
    assert_eq!(fetched.content_type, "application/jwt");
}

#[tokio::test]
async fn wrong_content_type_is_refused() {
    let (url, _) = server_with(|_| reply(200, &[("content-type", "text/html")], RO)).await;
    let err = fetcher(local_policy())
        .get(&url, Purpose::RequestObject)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::ContentType { received, .. } if received == "text/html"),
        "{err:?}"
    );
    // The description names what is allowed, never what the other side sent.
    let d = err.public_description();
    assert!(!d.contains("text/html"), "{d}");
    assert!(d.contains("application/oauth-authz-req+jwt"), "{d}");

    let (url, _) = server_with(|_| reply(200, &[], RO)).await;
    let err = fetcher(local_policy())
        .get(&url, Purpose::RequestObject)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::ContentType { received, .. } if received.is_empty()),
        "{err:?}"
    );
}

#[tokio::test]
async fn allowed_content_types_are_configurable() {
    let (url, _) = server_with(|_| reply(200, &[("content-type", "application/jwt")], RO)).await;
    let policy = FetchPolicy {
        allowed_content_types: vec![RO_TYPE.into()],
        ..local_policy()
    };
    let err = fetcher(policy)
        .get(&url, Purpose::RequestObject)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::ContentType { .. }), "{err:?}");
}

#[tokio::test]
async fn slow_body_times_out_within_the_deadline() {
    // Headers at once, then one byte every 100 ms, for ever.
    let (url, _) = server_with(|_| {
        let dribble = futures_util::stream::unfold((), |()| async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Some((Ok::<_, Infallible>(Bytes::from_static(b"a")), ()))
        });
        reply(
            200,
            &[("content-type", RO_TYPE)],
            Body::from_stream(dribble),
        )
    })
    .await;
    let policy = FetchPolicy {
        timeout: Duration::from_millis(600),
        ..local_policy()
    };
    let started = Instant::now();
    let err = fetcher(policy)
        .get(&url, Purpose::RequestObject)
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(
        err,
        FetchError::Timeout {
            limit: Duration::from_millis(600)
        }
    );
    assert!(
        took >= Duration::from_millis(550) && took < Duration::from_millis(1500),
        "{took:?}"
    );
}

#[tokio::test]
async fn slow_headers_time_out_and_are_not_retried_past_the_deadline() {
    let hits = Hits::default();
    // A handler that never answers in time.
    let hits2 = hits.clone();
    let router = Router::new().route(
        "/slow",
        get(move || {
            hits2.hit();
            async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                reply(200, &[("content-type", RO_TYPE)], RO)
            }
        }),
    );
    let addr = serve(router).await;
    let policy = FetchPolicy {
        timeout: Duration::from_millis(300),
        ..local_policy()
    };
    let started = Instant::now();
    let err = fetcher(policy)
        .get(&format!("http://{addr}/slow"), Purpose::RequestObject)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1200));
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn deadline_covers_retries() {
    // Each attempt fails after 200 ms; six of them would take 1.2 s, past the 500 ms deadline.
    let hits = Hits::default();
    let counter = hits.clone();
    let router = Router::new().route(
        "/flaky",
        get(move || {
            counter.hit();
            async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                reply(503, &[], "")
            }
        }),
    );
    let addr = serve(router).await;
    let policy = FetchPolicy {
        timeout: Duration::from_millis(500),
        retries: 5,
        ..local_policy()
    };
    let started = Instant::now();
    let err = fetcher(policy)
        .get(&format!("http://{addr}/flaky"), Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::Timeout {
            limit: Duration::from_millis(500)
        }
    );
    assert!(started.elapsed() < Duration::from_millis(1000));
    assert!(hits.get() < 6);
}

#[tokio::test]
async fn endless_body_is_refused_without_reading_it_all() {
    let produced = Arc::new(AtomicUsize::new(0));
    let counter = produced.clone();
    let (url, _) = server_with(move |_| {
        let counter = counter.clone();
        let endless = futures_util::stream::repeat_with(move || {
            counter.fetch_add(16 * 1024, Ordering::SeqCst);
            Ok::<_, Infallible>(Bytes::from(vec![b'a'; 16 * 1024]))
        });
        reply(
            200,
            &[("content-type", RO_TYPE)],
            Body::from_stream(endless),
        )
    })
    .await;
    let started = Instant::now();
    let err = fetcher(local_policy())
        .get(&url, Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge { max_bytes: 65536 });
    assert!(started.elapsed() < Duration::from_secs(2));
    // Give the server a moment to notice the closed connection, then check it stopped early.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = produced.load(Ordering::SeqCst);
    assert!(sent < 64 * 1024 * 1024, "server produced {sent} bytes");
}

#[tokio::test]
async fn declared_length_over_the_cap_is_refused() {
    let (url, _) =
        server_with(|_| reply(200, &[("content-type", RO_TYPE)], vec![b'a'; 65537])).await;
    let err = fetcher(local_policy())
        .get(&url, Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge { max_bytes: 65536 });
}

#[tokio::test]
async fn body_at_the_cap_is_accepted() {
    let (url, _) =
        server_with(|_| reply(200, &[("content-type", RO_TYPE)], vec![b'a'; 65536])).await;
    let fetched = fetcher(local_policy())
        .get(&url, Purpose::RequestObject)
        .await
        .unwrap();
    assert_eq!(fetched.body.len(), 65536);
}

/// A server where `/r{n}` redirects to `/r{n-1}` and `/r0` serves the document.
async fn redirect_chain() -> (std::net::SocketAddr, Hits) {
    let hits = Hits::default();
    let counter = hits.clone();
    let router = Router::new().route(
        "/{step}",
        get(
            move |axum::extract::Path(step): axum::extract::Path<String>| {
                counter.hit();
                async move {
                    let n: u32 = step.trim_start_matches('r').parse().unwrap();
                    if n == 0 {
                        reply(200, &[("content-type", RO_TYPE)], RO)
                    } else {
                        reply(302, &[("location", &format!("/r{}", n - 1))], "")
                    }
                }
            },
        ),
    );
    (serve(router).await, hits)
}

#[tokio::test]
async fn redirect_is_refused_by_default() {
    let (addr, hits) = redirect_chain().await;
    let err = fetcher(local_policy())
        .get(&format!("http://{addr}/r1"), Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::Redirect);
    assert_eq!(hits.get(), 1, "the target was not fetched");
}

#[tokio::test]
async fn redirects_are_followed_when_allowed_up_to_three() {
    let (addr, hits) = redirect_chain().await;
    let policy = FetchPolicy {
        follow_redirects: true,
        ..local_policy()
    };
    let f = fetcher(policy);
    let fetched = f
        .get(&format!("http://{addr}/r3"), Purpose::RequestObject)
        .await
        .unwrap();
    assert_eq!(fetched.body, RO);
    assert_eq!(hits.get(), 4);

    let err = f
        .get(&format!("http://{addr}/r4"), Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::Redirect);
    assert_eq!(hits.get(), 8, "stopped after three hops");
}

/// `get_within`: a redirect target the caller refuses is never requested, and a body that a
/// redirect led to is not handed out from the cache to a caller that refuses the hop.
#[tokio::test]
async fn redirect_targets_must_satisfy_the_callers_filter() {
    let (addr, hits) = redirect_chain().await;
    let f = fetcher(FetchPolicy {
        follow_redirects: true,
        cache_ttl: Some(Duration::from_secs(60)),
        ..local_policy()
    });
    let url = format!("http://{addr}/r1");
    let refuse_r0 = |hop: &str| !hop.ends_with("/r0");
    let err = f
        .get_within(&url, Purpose::RequestObject, &refuse_r0)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::RedirectNotAllowed);
    assert_eq!(hits.get(), 1, "only the first URL was requested");
    // Fetched (and cached) for a caller that accepts the hop...
    let ok = f
        .get_within(&url, Purpose::RequestObject, &|_| true)
        .await
        .unwrap();
    assert_eq!(ok.body, RO);
    assert_eq!(hits.get(), 3);
    // ...the cached body is still refused to one that does not.
    let err = f
        .get_within(&url, Purpose::RequestObject, &refuse_r0)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::RedirectNotAllowed);
    assert_eq!(hits.get(), 3, "served from the cache, not fetched again");
}

#[tokio::test]
async fn followed_redirect_hops_are_checked_again() {
    // Each hop passes the same checks as the first URL (scheme, credentials, length, IP
    // literal; host names go through the guarded resolver). Address hops are covered by the
    // unit tests of `next_hop`: here every server is on 127.0.0.1, which this policy allows.
    let secret = Hits::default();
    let counter = secret.clone();
    let router = Router::new()
        .route(
            "/to-ftp",
            get(|| async { reply(302, &[("location", "ftp://127.0.0.1/ro")], "") }),
        )
        .route(
            "/to-credentials",
            get(|| async { reply(302, &[("location", "//user:pw@127.0.0.1/secret")], "") }),
        )
        .route(
            "/secret",
            get(move || {
                counter.hit();
                async { reply(200, &[("content-type", RO_TYPE)], RO) }
            }),
        );
    let addr = serve(router).await;
    let policy = FetchPolicy {
        follow_redirects: true,
        ..local_policy()
    };
    let f = fetcher(policy);
    let err = f
        .get(&format!("http://{addr}/to-ftp"), Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::SchemeNotAllowed);
    let err = f
        .get(
            &format!("http://{addr}/to-credentials"),
            Purpose::RequestObject,
        )
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::CredentialsInUrl);
    assert_eq!(secret.get(), 0);
}

#[tokio::test]
async fn server_error_is_retried() {
    let (url, hits) = server_with(|n| match n {
        1 => reply(500, &[], "oops"),
        _ => reply(200, &[("content-type", RO_TYPE)], RO),
    })
    .await;
    let fetched = fetcher(local_policy())
        .get(&url, Purpose::RequestObject)
        .await
        .unwrap();
    assert_eq!(fetched.body, RO);
    assert_eq!(hits.get(), 2);
}

#[tokio::test]
async fn too_many_requests_is_retried() {
    let (url, hits) = server_with(|n| match n {
        1 | 2 => reply(429, &[], ""),
        _ => reply(200, &[("content-type", RO_TYPE)], RO),
    })
    .await;
    let fetched = fetcher(local_policy())
        .get(&url, Purpose::RequestObject)
        .await
        .unwrap();
    assert_eq!(fetched.body, RO);
    assert_eq!(hits.get(), 3);
}

#[tokio::test]
async fn not_found_is_not_retried() {
    let (url, hits) = server_with(|_| reply(404, &[], "")).await;
    let err = fetcher(local_policy())
        .get(&url, Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::HttpStatus(404));
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn retries_are_bounded() {
    let (url, hits) = server_with(|_| reply(503, &[], "")).await;
    let err = fetcher(local_policy())
        .get(&url, Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::HttpStatus(503));
    assert_eq!(hits.get(), 3, "one attempt and two retries");

    let (url, hits) = server_with(|_| reply(503, &[], "")).await;
    let policy = FetchPolicy {
        retries: 0,
        ..local_policy()
    };
    let _ = fetcher(policy).get(&url, Purpose::RequestObject).await;
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn connect_error_is_retried() {
    // A port with nothing listening on 127.0.0.1: each attempt opens a new connection, so
    // the resolver sees one lookup per attempt.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let resolver = FixedResolver::new(&[("closed.test", &["127.0.0.1"])]);
    let f = Fetcher::with_resolver(local_policy(), resolver.clone()).unwrap();
    let err = f
        .get(&format!("http://closed.test:{port}/"), Purpose::JwkSet)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::Connect);
    assert_eq!(resolver.lookups(), 3);
}

#[tokio::test]
async fn hash_fragment_match_is_accepted() {
    let (url, _) = server_with(|_| reply(200, &[("content-type", RO_TYPE)], RO)).await;
    let hash = base64url_sha256(RO.as_bytes());
    let fetched = fetcher(local_policy())
        .get(&format!("{url}#{hash}"), Purpose::RequestObject)
        .await
        .unwrap();
    assert_eq!(fetched.body, RO);
}

#[tokio::test]
async fn hash_fragment_mismatch_is_refused_and_not_cached() {
    let (url, hits) = server_with(|_| {
        reply(
            200,
            &[("content-type", RO_TYPE), ("cache-control", "max-age=60")],
            RO,
        )
    })
    .await;
    let other = base64url_sha256(b"something else");
    let f = fetcher(local_policy());
    let with_hash = format!("{url}#{other}");
    for _ in 0..2 {
        let err = f.get(&with_hash, Purpose::RequestObject).await.unwrap_err();
        assert_eq!(err, FetchError::HashMismatch);
    }
    assert_eq!(hits.get(), 2);
}

#[tokio::test]
async fn cached_body_is_served_without_a_request() {
    let (url, hits) = server_with(|_| {
        reply(
            200,
            &[("content-type", RO_TYPE), ("cache-control", "max-age=60")],
            RO,
        )
    })
    .await;
    let f = fetcher(local_policy());
    let first = f.get(&url, Purpose::RequestObject).await.unwrap();
    let second = f.clone().get(&url, Purpose::RequestObject).await.unwrap();
    assert!(!first.from_cache);
    assert!(second.from_cache);
    assert_eq!(second.body, RO);
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn cache_entry_expires_after_its_ttl() {
    let (url, hits) = server_with(|_| {
        reply(
            200,
            &[("content-type", RO_TYPE), ("cache-control", "max-age=60")],
            RO,
        )
    })
    .await;
    let policy = FetchPolicy {
        max_cache_ttl: Duration::from_millis(200),
        ..local_policy()
    };
    let f = fetcher(policy);
    f.get(&url, Purpose::RequestObject).await.unwrap();
    f.get(&url, Purpose::RequestObject).await.unwrap();
    assert_eq!(hits.get(), 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    f.get(&url, Purpose::RequestObject).await.unwrap();
    assert_eq!(hits.get(), 2);
}

#[tokio::test]
async fn no_store_is_not_cached() {
    let (url, hits) = server_with(|_| {
        reply(
            200,
            &[
                ("content-type", RO_TYPE),
                ("cache-control", "max-age=60, no-store"),
            ],
            RO,
        )
    })
    .await;
    let f = fetcher(local_policy());
    f.get(&url, Purpose::RequestObject).await.unwrap();
    let second = f.get(&url, Purpose::RequestObject).await.unwrap();
    assert!(!second.from_cache);
    assert_eq!(hits.get(), 2);
}

#[tokio::test]
async fn response_without_max_age_is_not_cached_unless_cache_ttl_is_set() {
    let (url, hits) = server_with(|_| reply(200, &[("content-type", RO_TYPE)], RO)).await;
    let f = fetcher(local_policy());
    f.get(&url, Purpose::RequestObject).await.unwrap();
    f.get(&url, Purpose::RequestObject).await.unwrap();
    assert_eq!(hits.get(), 2);

    let (url, hits) = server_with(|_| reply(200, &[("content-type", RO_TYPE)], RO)).await;
    let policy = FetchPolicy {
        cache_ttl: Some(Duration::from_secs(60)),
        ..local_policy()
    };
    let f = fetcher(policy);
    f.get(&url, Purpose::RequestObject).await.unwrap();
    f.get(&url, Purpose::RequestObject).await.unwrap();
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn cache_key_is_the_full_uri_including_the_fragment() {
    let (url, hits) = server_with(|_| {
        reply(
            200,
            &[("content-type", RO_TYPE), ("cache-control", "max-age=60")],
            RO,
        )
    })
    .await;
    let f = fetcher(local_policy());
    f.get(&format!("{url}#a"), Purpose::RequestObject)
        .await
        .unwrap();
    f.get(&format!("{url}#b"), Purpose::RequestObject)
        .await
        .unwrap();
    let again = f
        .get(&format!("{url}#a"), Purpose::RequestObject)
        .await
        .unwrap();
    assert!(again.from_cache);
    assert_eq!(hits.get(), 2);
}

#[tokio::test]
async fn failures_are_not_cached() {
    let (url, hits) = server_with(|n| match n {
        1 => reply(404, &[], ""),
        _ => reply(
            200,
            &[("content-type", RO_TYPE), ("cache-control", "max-age=60")],
            RO,
        ),
    })
    .await;
    let f = fetcher(local_policy());
    assert_eq!(
        f.get(&url, Purpose::RequestObject).await.unwrap_err(),
        FetchError::HttpStatus(404)
    );
    assert!(f.get(&url, Purpose::RequestObject).await.is_ok());
    assert_eq!(hits.get(), 2);
}

#[tokio::test]
async fn get_fresh_refetches_and_refreshes_the_cache() {
    let (url, hits) = server_with(|n| {
        reply(
            200,
            &[
                ("content-type", "application/jwk-set+json"),
                ("cache-control", "max-age=60"),
            ],
            format!(r#"{{"keys":[],"version":{n}}}"#),
        )
    })
    .await;
    let f = fetcher(local_policy());
    let v1 = f.get(&url, Purpose::JwkSet).await.unwrap();
    let cached = f.get(&url, Purpose::JwkSet).await.unwrap();
    assert_eq!(cached.body, v1.body);
    assert!(cached.from_cache);

    let fresh = f.get_fresh(&url, Purpose::JwkSet).await.unwrap();
    assert_eq!(fresh.body, r#"{"keys":[],"version":2}"#);
    assert!(!fresh.from_cache);

    let after = f.get(&url, Purpose::JwkSet).await.unwrap();
    assert_eq!(after.body, fresh.body);
    assert!(after.from_cache);
    assert_eq!(hits.get(), 2);
}

#[tokio::test]
async fn concurrent_identical_gets_are_coalesced() {
    // Not cacheable: only coalescing can explain a single request.
    let hits = Hits::default();
    let counter = hits.clone();
    let router = Router::new().route(
        "/ro",
        get(move || {
            counter.hit();
            async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                reply(200, &[("content-type", RO_TYPE)], RO)
            }
        }),
    );
    let addr = serve(router).await;
    let url = format!("http://{addr}/ro");
    let f = fetcher(local_policy());
    let gets: Vec<_> = (0..20)
        .map(|_| {
            let f = f.clone();
            let url = url.clone();
            tokio::spawn(async move { f.get(&url, Purpose::RequestObject).await })
        })
        .collect();
    for get in gets {
        let fetched = get.await.unwrap().unwrap();
        assert_eq!(fetched.body, RO);
        assert!(!fetched.from_cache);
    }
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn busy_when_all_slots_are_taken() {
    let hits = Hits::default();
    let counter = hits.clone();
    let router = Router::new().route(
        "/{name}",
        get(move || {
            counter.hit();
            async {
                tokio::time::sleep(Duration::from_millis(500)).await;
                reply(200, &[("content-type", RO_TYPE)], RO)
            }
        }),
    );
    let addr = serve(router).await;
    let policy = FetchPolicy {
        max_concurrent: 1,
        ..local_policy()
    };
    let f = fetcher(policy);
    let first = {
        let f = f.clone();
        let url = format!("http://{addr}/a");
        tokio::spawn(async move { f.get(&url, Purpose::RequestObject).await })
    };
    let deadline = Instant::now() + Duration::from_secs(2);
    while hits.get() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(hits.get(), 1);
    let started = Instant::now();
    let err = f
        .get(&format!("http://{addr}/b"), Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::Busy);
    assert!(started.elapsed() < Duration::from_millis(100), "not queued");
    assert_eq!(hits.get(), 1);
    assert!(first.await.unwrap().is_ok());
    // The slot is free again.
    assert!(
        f.get(&format!("http://{addr}/b"), Purpose::RequestObject)
            .await
            .is_ok()
    );
}
