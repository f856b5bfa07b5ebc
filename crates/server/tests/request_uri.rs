//! Client-hosted `request_uri` (RFC 9101 §5.2, §10.4; SPEC §4.2, §5) through the real server,
//! against a request-object host inside the test suite on 127.0.0.1 (loopback and plain http
//! are enabled only by the explicit test configuration). One test per rule, named after it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::ro_host::{Knob, RoHost};
use common::*;
use std::time::{Duration, Instant};

/// `[jar]` enabling request_uri with the test-only destination rules.
fn jar(extra: &str) -> String {
    format!(
        "[jar]\nrequest_uri_parameter = true\n[jar.request_uri]\nallow_http = true\n\
         allow_private_addresses = true\ntimeout = \"2s\"\n{extra}"
    )
}

/// A client `fetcher` with the `rp` keys and these `request_uris` (TOML array body).
fn fetcher_client(request_uris: &str) -> String {
    format!(
        r#"
        [[clients]]
        client_id = "fetcher"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "none"
        secrets = [{{ type = "jwks", value = '{}' }}]
        request_uris = [{request_uris}]
        [[clients]]
        client_id = "loose"
        redirect_uris = ["{REDIRECT}"]
        token_endpoint_auth_method = "none"
        allow_unsigned_by_value = true
        request_uris = [{request_uris}]
        "#,
        rp_jwks()
    )
}

async fn setup(jar_extra: &str) -> (Srv, RoHost) {
    setup_with(&jar(jar_extra)).await
}

/// A host, and a server with this `[jar]` text whose clients may use `{host}/ro/*`.
async fn setup_with(jar: &str) -> (Srv, RoHost) {
    let host = RoHost::start().await;
    let s = start(jar, &fetcher_client(&format!("\"{}/ro/*\"", host.base))).await;
    (s, host)
}

/// `/authorize` by reference was refused with `code`, the description mentioning `why`.
async fn refused_by_reference(s: &Srv, client: &str, uri: &str, code: &str, why: &str) {
    assert_refused(by_reference(s, client, uri).await, code, why).await;
}

/// A signed object for `fetcher` at server `s`.
fn object(s: &Srv) -> String {
    sign(&claims(&s.base, "fetcher"))
}

async fn by_reference(s: &Srv, client: &str, uri: &str) -> reqwest::Response {
    authorize(
        s,
        &format!(
            "client_id={client}&request_uri={}&redirect_uri={}",
            enc(uri),
            enc(REDIRECT)
        ),
    )
    .await
}

#[tokio::test]
async fn request_object_by_reference_completes_the_code_flow() {
    let (s, host) = setup("").await;
    let uri = host.set("/ro/1", Knob::serve(format!("{}\n", object(&s))));
    let loc = accepted(&s, &by_reference(&s, "fetcher", &uri).await);
    let view = interaction_json(&s, &loc).await;
    assert_eq!(view["transport"], "by_reference");
    assert_eq!(view["request_object_values"]["nonce"], "ro-nonce");
    let back = login_and_allow(&s, &loc).await;
    let q = query(&back);
    assert_eq!(q["state"], "ro-state");
    assert!(q.contains_key("code"));
    assert_eq!(host.hits("/ro/1"), 1);
    // RFC 9101 §5.2.3 / SPEC §5: the JAR media types are asked for.
    let accept = host.accepts().pop().unwrap();
    assert!(
        accept.contains("application/oauth-authz-req+jwt"),
        "{accept}"
    );
    assert!(accept.contains("application/jwt"), "{accept}");
}

#[tokio::test]
async fn request_uri_is_not_supported_unless_enabled_server_wide() {
    let host = RoHost::start().await;
    let s = start("", &fetcher_client(&format!("\"{}/ro/*\"", host.base))).await;
    let uri = host.set("/ro/1", Knob::serve(sign(&claims(&s.base, "fetcher"))));
    refused_by_reference(
        &s,
        "fetcher",
        &uri,
        "request_uri_not_supported",
        "does not fetch",
    )
    .await;
    assert_eq!(host.hits("/ro/1"), 0);
    let d = discovery(&s).await;
    assert_eq!(d["request_uri_parameter_supported"], false);
}

#[tokio::test]
async fn discovery_says_request_uri_is_supported_when_enabled() {
    let (s, _host) = setup("").await;
    let d = discovery(&s).await;
    assert_eq!(d["request_uri_parameter_supported"], true);
    assert_eq!(d["require_request_uri_registration"], true);
}

#[tokio::test]
async fn a_client_without_request_uris_gets_request_uri_not_supported() {
    let (s, host) = setup("").await;
    let uri = host.set("/ro/1", Knob::serve(sign(&claims(&s.base, "rp"))));
    refused_by_reference(
        &s,
        "rp",
        &uri,
        "request_uri_not_supported",
        "registered no request_uris",
    )
    .await;
    assert_eq!(host.hits("/ro/1"), 0);
}

#[tokio::test]
async fn an_unregistered_request_uri_is_refused_without_fetching() {
    let (s, host) = setup("").await;
    let uri = host.set("/elsewhere/1", Knob::serve(object(&s)));
    refused_by_reference(&s, "fetcher", &uri, "invalid_request_uri", "does not match").await;
    assert_eq!(host.hits("/elsewhere/1"), 0);
}

#[tokio::test]
async fn a_request_uri_longer_than_512_characters_is_refused() {
    let (s, host) = setup("").await;
    let uri = format!("{}/ro/{}", host.base, "a".repeat(512));
    refused_by_reference(
        &s,
        "fetcher",
        &uri,
        "invalid_request_uri",
        "longer than 512 characters",
    )
    .await;
}

#[tokio::test]
async fn the_registration_is_compared_without_the_fragment_and_a_fragment_hash_is_checked() {
    let host = RoHost::start().await;
    let exact = format!("\"{}/ro/exact\"", host.base);
    let s = start(&jar(""), &fetcher_client(&exact)).await;
    let body = object(&s);
    let uri = host.set("/ro/exact", Knob::serve(body.clone()));
    let good = format!("{uri}#{}", fragment_hash(body.as_bytes()));
    accepted(&s, &by_reference(&s, "fetcher", &good).await);
    let bad = format!("{uri}#{}", fragment_hash(b"something else"));
    refused_by_reference(
        &s,
        "fetcher",
        &bad,
        "invalid_request_uri",
        "does not match the SHA-256 hash",
    )
    .await;
}

#[tokio::test]
async fn loopback_is_refused_unless_private_addresses_are_allowed() {
    let (s, host) =
        setup_with("[jar]\nrequest_uri_parameter = true\n[jar.request_uri]\nallow_http = true")
            .await;
    let uri = host.set("/ro/1", Knob::serve(object(&s)));
    refused_by_reference(
        &s,
        "fetcher",
        &uri,
        "invalid_request_uri",
        "not a public address",
    )
    .await;
    assert_eq!(
        host.hits("/ro/1"),
        0,
        "nothing may be sent to a private address"
    );
}

#[tokio::test]
async fn plain_http_is_refused_unless_allowed() {
    let (s, host) = setup_with(
        "[jar]\nrequest_uri_parameter = true\n[jar.request_uri]\nallow_private_addresses = true",
    )
    .await;
    let uri = host.set("/ro/1", Knob::serve(object(&s)));
    refused_by_reference(&s, "fetcher", &uri, "invalid_request_uri", "must use https").await;
    assert_eq!(host.hits("/ro/1"), 0);
}

#[tokio::test]
async fn slow_headers_end_at_the_deadline() {
    let (s, host) = setup("").await;
    let uri = host.set("/ro/slow", Knob::SlowHeaders(Duration::from_secs(20)));
    let t = Instant::now();
    refused_by_reference(
        &s,
        "fetcher",
        &uri,
        "invalid_request_uri",
        "took longer than 2s",
    )
    .await;
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
}

#[tokio::test]
async fn a_slow_body_ends_at_the_deadline() {
    let (s, host) = setup("").await;
    let uri = host.set(
        "/ro/drip",
        Knob::SlowBody {
            len: 1000,
            every: Duration::from_millis(100),
        },
    );
    let t = Instant::now();
    refused_by_reference(
        &s,
        "fetcher",
        &uri,
        "invalid_request_uri",
        "took longer than",
    )
    .await;
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
}

#[tokio::test]
async fn an_endless_body_is_cut_at_max_bytes_while_streaming() {
    let (s, host) = setup("max_bytes = \"16 KiB\"").await;
    let uri = host.set("/ro/endless", Knob::Endless);
    refused_by_reference(
        &s,
        "fetcher",
        &uri,
        "invalid_request_uri",
        "larger than 16384 bytes",
    )
    .await;
}

#[tokio::test]
async fn a_declared_length_over_max_bytes_is_refused_before_reading() {
    let (s, host) = setup("max_bytes = \"16 KiB\"").await;
    let uri = host.set(
        "/ro/huge",
        Knob::LyingLength {
            declared: 10 * 1024 * 1024,
            sent: 100,
        },
    );
    let t = Instant::now();
    refused_by_reference(
        &s,
        "fetcher",
        &uri,
        "invalid_request_uri",
        "larger than 16384 bytes",
    )
    .await;
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[tokio::test]
async fn a_length_shorter_than_the_body_reads_only_the_declared_bytes() {
    let (s, host) = setup("").await;
    let uri = host.set(
        "/ro/short",
        Knob::LyingLength {
            declared: 20,
            sent: 1024 * 1024,
        },
    );
    // Twenty bytes of 'a' are no request object: refused, quickly, never a 500.
    let r = by_reference(&s, "fetcher", &uri).await;
    let (error, _) = authorize_error(r).await;
    assert_eq!(error, "invalid_request_object");
}

#[tokio::test]
async fn a_wrong_media_type_is_refused() {
    let (s, host) = setup("").await;
    let uri = host.set(
        "/ro/html",
        Knob::Typed {
            body: object(&s),
            content_type: "text/html".into(),
        },
    );
    refused_by_reference(
        &s,
        "fetcher",
        &uri,
        "invalid_request_uri",
        "content type is not one of application/oauth-authz-req+jwt, application/jwt",
    )
    .await;
}

/// RFC 9101 §10.4.1 with `follow_redirects = true`: a hop must match the client's
/// `request_uris` like the first URI, or it is not requested at all.
#[tokio::test]
async fn a_redirect_outside_the_registered_request_uris_is_not_followed() {
    let (s, host) = setup_with(&jar("follow_redirects = true")).await;
    let outside = host.set("/elsewhere/target", Knob::serve(object(&s)));
    let uri = host.set("/ro/moved-out", Knob::Redirect(outside));
    refused_by_reference(
        &s,
        "fetcher",
        &uri,
        "invalid_request_uri",
        "redirected to a URL that is not registered",
    )
    .await;
    assert_eq!(host.hits("/elsewhere/target"), 0, "the hop was requested");
    // Inside the registration the same redirect is followed.
    let inside = host.set("/ro/target", Knob::serve(object(&s)));
    let uri = host.set("/ro/moved-in", Knob::Redirect(inside));
    accepted(&s, &by_reference(&s, "fetcher", &uri).await);
    assert_eq!(host.hits("/ro/target"), 1);
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let (s, host) = setup("").await;
    let target = host.set("/ro/target", Knob::serve(object(&s)));
    let uri = host.set("/ro/moved", Knob::Redirect(target));
    refused_by_reference(&s, "fetcher", &uri, "invalid_request_uri", "redirect").await;
    assert_eq!(host.hits("/ro/target"), 0);
}

#[tokio::test]
async fn not_found_is_refused_without_repeating_the_status_and_not_retried() {
    let (s, host) = setup("").await;
    let uri = host.set("/ro/gone", Knob::Status(404));
    // The description names the rule (a 2xx is required), not what the host answered.
    refused_by_reference(
        &s,
        "fetcher",
        &uri,
        "invalid_request_uri",
        "did not answer with a success status (2xx)",
    )
    .await;
    assert_eq!(host.hits("/ro/gone"), 1);
}

#[tokio::test]
async fn a_server_error_is_retried_and_then_succeeds() {
    let (s, host) = setup("").await;
    let uri = host.set(
        "/ro/flaky",
        Knob::FailThen {
            failures: 1,
            body: object(&s),
        },
    );
    accepted(&s, &by_reference(&s, "fetcher", &uri).await);
    assert_eq!(host.hits("/ro/flaky"), 2);
}

#[tokio::test]
async fn a_fetched_object_naming_request_uri_is_refused() {
    let (s, host) = setup("").await;
    let mut c = claims(&s.base, "fetcher");
    c.insert(
        "request_uri".into(),
        format!("{}/ro/other", host.base).into(),
    );
    let uri = host.set("/ro/nested", Knob::serve(sign(&c)));
    refused_by_reference(&s, "fetcher", &uri, "invalid_request_object", "request_uri").await;
    assert_eq!(host.hits("/ro/other"), 0);
}

#[tokio::test]
async fn an_unsigned_object_is_never_accepted_by_reference() {
    let (s, host) = setup("").await;
    let uri = host.set("/ro/none", Knob::serve(unsigned(&claims(&s.base, "loose"))));
    refused_by_reference(&s, "loose", &uri, "invalid_request_object", "unsigned").await;
}

#[tokio::test]
async fn a_cached_object_is_not_fetched_again_within_max_age() {
    let (s, host) = setup("").await;
    let uri = host.set(
        "/ro/cached",
        Knob::Serve {
            body: object(&s),
            cache_control: Some("max-age=60".into()),
        },
    );
    accepted(&s, &by_reference(&s, "fetcher", &uri).await);
    accepted(&s, &by_reference(&s, "fetcher", &uri).await);
    assert_eq!(host.hits("/ro/cached"), 1);
}

#[tokio::test]
async fn a_cached_object_is_still_a_replay_when_jti_is_checked() {
    let host = RoHost::start().await;
    let s = start(
        "[jar]\nrequest_uri_parameter = true\nreplay = \"require-jti\"\n[jar.request_uri]\n\
         allow_http = true\nallow_private_addresses = true",
        &fetcher_client(&format!("\"{}/ro/*\"", host.base)),
    )
    .await;
    let uri = host.set(
        "/ro/once",
        Knob::Serve {
            body: object(&s),
            cache_control: Some("max-age=60".into()),
        },
    );
    accepted(&s, &by_reference(&s, "fetcher", &uri).await);
    refused_by_reference(&s, "fetcher", &uri, "invalid_request_object", "used before").await;
}

#[tokio::test]
async fn fetch_failures_are_counted_by_reason() {
    let (s, host) = setup("").await;
    let uri = host.set("/ro/gone", Knob::Status(404));
    let _ = by_reference(&s, "fetcher", &uri).await;
    let m = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        m.lines()
            .any(|l| l.starts_with("writ_request_objects_total")
                && l.contains("reason=\"request_uri\"")
                && l.contains("outcome=\"refused\"")),
        "{m}"
    );
}
