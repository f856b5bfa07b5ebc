//! SPEC §12 for the refusals of stage 2 and of the JAR requirement (RFC 9101 §10.4, §10.5):
//! like every request-object refusal, each is counted by the check that failed
//! (`writ_request_objects_total{outcome="refused", reason}`), besides its RFC error code.

mod common;

use common::*;

fn plain_query() -> String {
    let mut q = String::from("client_id=rp");
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    q
}

#[tokio::test]
async fn a_request_object_by_value_refused_by_the_server_is_counted_as_source() {
    let s = start("[jar]\nrequest_parameter = false", "").await;
    let ro = sign(&claims(&s.base, "rp"));
    let r = authorize(&s, &format!("client_id=rp&request={ro}")).await;
    assert_refused(r, "request_not_supported", "not accepted").await;
    assert!(has_request_object_metric(&s, &["outcome=\"refused\"", "reason=\"source\""]).await);
}

#[tokio::test]
async fn a_client_hosted_request_uri_refused_by_the_server_is_counted_as_request_uri_allowed() {
    let s = start("", "").await;
    let r = authorize(
        &s,
        &format!(
            "client_id=rp&request_uri={}",
            enc("https://rp.example/ro.jwt")
        ),
    )
    .await;
    assert_refused(r, "request_uri_not_supported", "RFC 9101 section 10.4").await;
    assert!(
        has_request_object_metric(
            &s,
            &["outcome=\"refused\"", "reason=\"request_uri_allowed\""]
        )
        .await
    );
}

#[tokio::test]
async fn a_plain_request_from_a_client_that_must_sign_is_counted_as_required() {
    let s = start("[jar]\nrequire_signed_request_object = true", "").await;
    let r = authorize(&s, &plain_query()).await;
    assert_refused(r, "invalid_request", "RFC 9101 section 10.5").await;
    assert!(has_request_object_metric(&s, &["outcome=\"refused\"", "reason=\"required\""]).await);
}
