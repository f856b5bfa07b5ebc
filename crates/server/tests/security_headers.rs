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

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
