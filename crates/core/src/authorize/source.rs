//! Stage 2: where the request's parameters come from (SPEC §4.2; RFC 9101 §5; RFC 9126 §4).
//!
//! [`classify`] decides the source from the raw parameters, the server's policy and the
//! client's registration, without any I/O; the pipeline ([`super::run`]) then resolves it:
//! by value the object is the `request` parameter itself, by reference it is fetched
//! ([`super::request_uri`]), and a pushed request is taken from the store
//! ([`super::pushed`]). Every refusal names its [`Check`], so it is audited and counted.

use super::params::RawParams;
use super::request_object::policy::JarPolicy;
use super::request_object::refusal::{Check, Refusal};
use super::request_uri::{self, MAX_REQUEST_URI_CHARS};
use crate::clients::Client;

/// RFC 9126 §2.2: a pushed request's `request_uri` is this URN followed by the reference.
pub const PAR_URN_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// The source of an authorization request's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// Plain parameters.
    Query,
    /// `request=`: a request object by value (RFC 9101 §5.1).
    ByValue(&'a str),
    /// `request_uri=` naming a client-hosted request object (RFC 9101 §5.2), already checked
    /// against the client's `request_uris` and the length limit.
    ByReference(&'a str),
    /// `request_uri=urn:ietf:params:oauth:request_uri:<reference>` from `/par`
    /// (RFC 9126 §4): the reference part.
    Pushed(&'a str),
}

/// Decide the source (SPEC §4.2). `request` and `request_uri` together were already refused
/// by stage 1. `par_enabled` is `[par] enabled`.
pub fn classify<'a>(
    raw: &'a RawParams,
    policy: &JarPolicy,
    par_enabled: bool,
    client: &Client,
) -> Result<Source<'a>, Refusal> {
    if let Some(token) = raw.get("request") {
        // RFC 9101 §10.4 leaves by-value support to the server (`[jar] request_parameter`).
        if !policy.request_parameter {
            return Err(Refusal::new(
                Check::Source,
                "request objects by value (the request parameter) are not accepted by this server",
            ));
        }
        return Ok(Source::ByValue(token));
    }
    let Some(uri) = raw.get("request_uri") else {
        return Ok(Source::Query);
    };
    if uri.chars().count() > MAX_REQUEST_URI_CHARS {
        // SPEC §4.2; RFC 9101 §5.2 recommends at most 512 ASCII characters.
        return Err(Refusal::new(
            Check::RequestUri,
            format!("the request_uri is longer than {MAX_REQUEST_URI_CHARS} characters"),
        ));
    }
    if let Some(reference) = uri.strip_prefix(PAR_URN_PREFIX) {
        if !par_enabled {
            return Err(Refusal::new(
                Check::Pushed,
                "pushed authorization requests are not enabled on this server",
            ));
        }
        return Ok(Source::Pushed(reference));
    }
    if !policy.request_uri_parameter {
        // RFC 9101 §10.4: fetching client-hosted URIs is off unless the operator turns it on.
        return Err(Refusal::new(
            Check::ReferenceAllowed,
            "this server does not fetch client-hosted request_uri values (RFC 9101 §10.4); \
             push the request to the pushed authorization request endpoint instead",
        ));
    }
    if client.config.request_uris.is_empty() {
        return Err(Refusal::new(
            Check::ReferenceAllowed,
            "this client has registered no request_uris, so request_uri is not accepted from it",
        ));
    }
    // RFC 9101 §10.4.1: only URIs the client registered, so the server is no open fetcher.
    if !request_uri::is_registered(&client.config.request_uris, uri) {
        return Err(Refusal::new(
            Check::RequestUri,
            "the request_uri does not match any of the client's registered request_uris",
        ));
    }
    Ok(Source::ByReference(uri))
}

#[cfg(test)]
mod tests {
    use super::*;
    use writ_protocol::config::JarConfig;

    fn client(request_uris: &[&str]) -> Client {
        let config = serde_json::from_value(serde_json::json!({
            "client_id": "c",
            "redirect_uris": ["https://c.example/cb"],
            "token_endpoint_auth_method": "none",
            "request_uris": request_uris,
        }))
        .unwrap();
        Client::from_config(config).unwrap()
    }

    fn policy(by_value: bool, by_reference: bool) -> JarPolicy {
        let mut p = JarPolicy::from_config(&JarConfig::default(), true);
        p.request_parameter = by_value;
        p.request_uri_parameter = by_reference;
        p
    }

    fn raw(q: &str) -> RawParams {
        RawParams::parse(q.as_bytes(), 1 << 16).unwrap()
    }

    /// The source chosen, or the check and error code that refused it.
    fn classify_for(q: &str, p: &JarPolicy, par: bool, c: &Client) -> Result<String, String> {
        let raw = raw(q);
        classify(&raw, p, par, c)
            .map(|s| format!("{s:?}"))
            .map_err(|r| format!("{} {}", r.check.name(), r.check.error_code().as_str()))
    }

    /// A query, the policy, `[par] enabled`, the client, and the source or refusal expected.
    type Case<'a> = (
        &'a str,
        JarPolicy,
        bool,
        &'a Client,
        Result<&'a str, &'a str>,
    );

    #[test]
    fn source_selection_table_rfc9101_5_rfc9126_4() {
        let open = client(&["https://c.example/ro/*"]);
        let none = client(&[]);
        let long = format!("request_uri=https://c.example/ro/{}", "a".repeat(500));
        let cases: Vec<Case<'_>> = vec![
            ("client_id=c", policy(true, true), true, &open, Ok("Query")),
            (
                "request=x.y.z",
                policy(true, false),
                true,
                &open,
                Ok("ByValue(\"x.y.z\")"),
            ),
            (
                "request=x.y.z",
                policy(false, false),
                true,
                &open,
                Err("source request_not_supported"),
            ),
            (
                "request_uri=urn:ietf:params:oauth:request_uri:abc",
                policy(true, false),
                true,
                &open,
                Ok("Pushed(\"abc\")"),
            ),
            (
                "request_uri=urn:ietf:params:oauth:request_uri:abc",
                policy(true, false),
                false,
                &open,
                Err("pushed_request invalid_request_uri"),
            ),
            (
                "request_uri=https://c.example/ro/1",
                policy(true, false),
                true,
                &open,
                Err("request_uri_allowed request_uri_not_supported"),
            ),
            (
                "request_uri=https://c.example/ro/1",
                policy(true, true),
                true,
                &none,
                Err("request_uri_allowed request_uri_not_supported"),
            ),
            (
                "request_uri=https://evil.example/ro/1",
                policy(true, true),
                true,
                &open,
                Err("request_uri invalid_request_uri"),
            ),
            (
                "request_uri=https://c.example/ro/1",
                policy(true, true),
                true,
                &open,
                Ok("ByReference(\"https://c.example/ro/1\")"),
            ),
            (
                &long,
                policy(true, true),
                true,
                &open,
                Err("request_uri invalid_request_uri"),
            ),
        ];
        for (q, p, par, c, want) in cases {
            let got = classify_for(q, &p, par, c);
            let want = want.map(str::to_string).map_err(str::to_string);
            assert_eq!(got, want, "{q}");
        }
    }

    #[test]
    fn a_request_uri_of_512_characters_is_still_looked_at() {
        let open = client(&["https://c.example/ro/*"]);
        let prefix = "https://c.example/ro/";
        let uri = format!(
            "{prefix}{}",
            "a".repeat(MAX_REQUEST_URI_CHARS - prefix.len())
        );
        assert_eq!(uri.chars().count(), MAX_REQUEST_URI_CHARS);
        let got = classify_for(
            &format!("request_uri={uri}"),
            &policy(true, true),
            true,
            &open,
        );
        assert!(got.unwrap().starts_with("ByReference"));
        let over = format!("request_uri={uri}a");
        let got = classify_for(&over, &policy(true, true), true, &open);
        assert_eq!(got.unwrap_err(), "request_uri invalid_request_uri");
    }
}
