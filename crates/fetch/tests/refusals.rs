//! What the default policy refuses before sending anything (SPEC §2 `[jar.request_uri]`,
//! SPEC §5, RFC 9101 §10.4.1). Where a refusal could only be observed by connecting, the
//! target is a loopback address with a live counting server, so nothing can leave the machine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use common::{FixedResolver, Hits, serve};
use writ_fetch::{FetchError, FetchPolicy, Fetcher, Purpose, check_url};

/// Default policy, with a resolver that records lookups (and knows no names).
fn strict() -> (Fetcher, Arc<FixedResolver>) {
    let resolver = FixedResolver::new(&[]);
    let fetcher = Fetcher::with_resolver(FetchPolicy::default(), resolver.clone()).unwrap();
    (fetcher, resolver)
}

/// The default policy with `allow_http` only: private addresses still refused.
fn http_but_public_only() -> FetchPolicy {
    FetchPolicy {
        allow_http: true,
        ..FetchPolicy::default()
    }
}

/// A server on 127.0.0.1 that counts requests and would serve a request object.
async fn counting_server() -> (std::net::SocketAddr, Hits) {
    let hits = Hits::default();
    let counter = hits.clone();
    let router = Router::new().route(
        "/ro",
        get(move || {
            counter.hit();
            async {
                (
                    [("content-type", "application/oauth-authz-req+jwt")],
                    "e30.e30.",
                )
            }
        }),
    );
    (serve(router).await, hits)
}

#[tokio::test]
async fn http_is_refused_by_default() {
    let (fetcher, resolver) = strict();
    let err = fetcher
        .get("http://client.example/ro", Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::SchemeNotAllowed);
    assert_eq!(resolver.lookups(), 0, "refused before resolving");
}

#[tokio::test]
async fn http_to_a_live_local_server_is_refused_by_default() {
    let (addr, hits) = counting_server().await;
    let policy = FetchPolicy {
        allow_private_addresses: true,
        ..FetchPolicy::default()
    };
    let fetcher = Fetcher::new(policy).unwrap();
    let err = fetcher
        .get(&format!("http://{addr}/ro"), Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::SchemeNotAllowed);
    assert_eq!(hits.get(), 0);
}

#[tokio::test]
async fn localhost_is_refused_by_the_resolver() {
    // The system resolver answers 127.0.0.1 / ::1; the guard drops both.
    let fetcher = Fetcher::new(FetchPolicy::default()).unwrap();
    let err = fetcher
        .get("https://localhost/ro", Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::ForbiddenAddress);

    let fetcher = Fetcher::new(http_but_public_only()).unwrap();
    let err = fetcher
        .get("http://localhost/", Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::ForbiddenAddress);
}

#[tokio::test]
async fn resolved_loopback_is_refused_before_connecting() {
    let (addr, hits) = counting_server().await;
    let resolver = FixedResolver::new(&[("client.test", &["127.0.0.1", "::1"])]);
    let fetcher = Fetcher::with_resolver(http_but_public_only(), resolver.clone()).unwrap();
    let url = format!("http://client.test:{}/ro", addr.port());
    let err = fetcher.get(&url, Purpose::RequestObject).await.unwrap_err();
    assert_eq!(err, FetchError::ForbiddenAddress);
    assert_eq!(resolver.lookups(), 1);
    assert_eq!(hits.get(), 0, "nothing reached the server");

    // The same answer is used once the operator allows private addresses.
    let allowed = FetchPolicy {
        allow_private_addresses: true,
        ..http_but_public_only()
    };
    let fetcher = Fetcher::with_resolver(allowed, resolver).unwrap();
    let fetched = fetcher.get(&url, Purpose::RequestObject).await.unwrap();
    assert_eq!(fetched.body, "e30.e30.");
    assert_eq!(hits.get(), 1);
}

#[tokio::test]
async fn loopback_literal_is_refused_before_connecting() {
    let (addr, hits) = counting_server().await;
    let fetcher = Fetcher::new(http_but_public_only()).unwrap();
    for url in [
        format!("http://{addr}/ro"),
        format!("http://[::ffff:127.0.0.1]:{}/ro", addr.port()),
        format!("http://2130706433:{}/ro", addr.port()),
    ] {
        let err = fetcher.get(&url, Purpose::RequestObject).await.unwrap_err();
        assert_eq!(err, FetchError::ForbiddenAddress, "{url}");
    }
    assert_eq!(hits.get(), 0, "nothing reached the server");
}

#[tokio::test]
async fn forbidden_ip_literals_are_refused_before_connecting() {
    let (fetcher, resolver) = strict();
    let http = Fetcher::new(http_but_public_only()).unwrap();
    for url in [
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:169.254.169.254]/",
        "https://10.0.0.1/ro",
        "https://192.168.1.1/ro",
        "https://172.16.0.1/ro",
        "https://[fd00::1]/ro",
    ] {
        // The pure check refuses it, so the fetch below never gets to a socket.
        assert_eq!(
            check_url(url, fetcher.policy()),
            Err(FetchError::ForbiddenAddress)
        );
        let err = fetcher.get(url, Purpose::RequestObject).await.unwrap_err();
        assert_eq!(err, FetchError::ForbiddenAddress, "{url}");
    }
    for url in [
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/",
    ] {
        assert_eq!(
            check_url(url, http.policy()),
            Err(FetchError::ForbiddenAddress)
        );
        let err = http.get(url, Purpose::JwkSet).await.unwrap_err();
        assert_eq!(err, FetchError::ForbiddenAddress, "{url}");
    }
    assert_eq!(resolver.lookups(), 0);
}

#[tokio::test]
async fn userinfo_is_refused() {
    let (fetcher, resolver) = strict();
    let err = fetcher
        .get(
            "https://user:secret@client.example/ro",
            Purpose::RequestObject,
        )
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::CredentialsInUrl);
    assert_eq!(resolver.lookups(), 0);
}

#[tokio::test]
async fn url_over_512_characters_is_refused() {
    let (fetcher, resolver) = strict();
    let url = format!("https://client.example/{}", "a".repeat(490));
    assert_eq!(url.len(), 513);
    let err = fetcher.get(&url, Purpose::RequestObject).await.unwrap_err();
    assert_eq!(err, FetchError::UrlTooLong { max: 512 });
    assert_eq!(resolver.lookups(), 0);
}

#[tokio::test]
async fn invalid_url_is_refused() {
    let (fetcher, _) = strict();
    for url in ["", "not a url", "/relative/ro.jwt", "https://"] {
        let err = fetcher.get(url, Purpose::RequestObject).await.unwrap_err();
        assert_eq!(err, FetchError::InvalidUrl, "{url:?}");
    }
}

#[tokio::test]
async fn unknown_host_is_a_resolve_error() {
    let (fetcher, resolver) = strict();
    let err = fetcher
        .get("https://nowhere.test/ro", Purpose::RequestObject)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::Resolve);
    assert_eq!(resolver.lookups(), 1, "a failed lookup is not retried");
}

#[test]
fn invalid_policy_is_refused() {
    let policy = FetchPolicy {
        timeout: std::time::Duration::ZERO,
        ..FetchPolicy::default()
    };
    assert!(matches!(
        Fetcher::new(policy),
        Err(FetchError::InvalidPolicy(_))
    ));
}

#[test]
fn public_descriptions_do_not_leak_addresses() {
    let d = FetchError::ForbiddenAddress.public_description();
    assert!(!d.contains("127.") && !d.contains("::1"), "{d}");
}
