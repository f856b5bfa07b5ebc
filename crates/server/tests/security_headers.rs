//! Every response carries the browser-hardening headers (`lib.rs`, `SECURITY_HEADERS`):
//! JSON, HTML pages, redirects, errors and the 404 alike.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use reqwest::Response;

fn assert_hardened(what: &str, r: &Response) {
    let h = r.headers();
    let get = |name: &str| h.get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        get("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        get("referrer-policy").as_deref(),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(get("x-frame-options").as_deref(), Some("DENY"), "{what}");
    let csp = get("content-security-policy").unwrap_or_default();
    assert!(
        csp.starts_with("default-src 'none';") && csp.contains("frame-ancestors 'none'"),
        "{what}: {csp:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_response_carries_the_security_headers() {
    let srv = common::start("", "").await;
    let b = &srv.base;
    let cases = [
        (
            "discovery",
            srv.http
                .get(format!("{b}/.well-known/openid-configuration")),
        ),
        ("jwks", srv.http.get(format!("{b}/jwks"))),
        (
            "unknown client page",
            srv.http.get(format!("{b}/authorize?client_id=nobody")),
        ),
        (
            "redirect with an error",
            srv.http.get(format!(
                "{b}/authorize?client_id=rp&redirect_uri={}&response_type=token",
                urlencode(common::REDIRECT)
            )),
        ),
        (
            "token error",
            srv.http
                .post(format!("{b}/token"))
                .form(&[("grant_type", "x")]),
        ),
        (
            "no route",
            srv.http.get(format!("{b}/no-such-endpoint?x=1")),
        ),
    ];
    for (what, request) in cases {
        let r = request.send().await.unwrap();
        assert_hardened(&format!("{what} ({})", r.status()), &r);
    }
}

/// POST a form body of exactly `len` bytes (`grant_type=xxx…`).
async fn post_form_of_len(http: &reqwest::Client, url: &str, len: usize) -> Response {
    let body = format!("grant_type={}", "x".repeat(len - "grant_type=".len()));
    http.post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The body limit (`routes::MAX_BODY_BYTES`) holds on every route now that the common layers
/// wrap the router once: a `/token` or `/authorize` body one byte over it is a 413, still
/// hardened; one at the limit is read (and refused for what it says, not for its size).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_refused_with_413_on_every_post_route() {
    let srv = common::start("", "").await;
    let b = &srv.base;
    let max = writ_server::routes::MAX_BODY_BYTES;
    for path in ["/token", "/authorize", "/interaction/x/login"] {
        let r = post_form_of_len(&srv.http, &format!("{b}{path}"), max + 1).await;
        assert_eq!(r.status(), 413, "{path}");
        assert_hardened(&format!("{path} 413"), &r);
    }
    let r = post_form_of_len(&srv.http, &format!("{b}/token"), max).await;
    assert_ne!(r.status(), 413);
}
