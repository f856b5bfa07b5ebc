//! Rich authorization requests (RFC 9396; SPEC §16) over real HTTP: `authorization_details`
//! in the query, in a signed request object and pushed; checked against `[rar] types`, a
//! JSON Schema and the client's own types; shown on the consent page; granted with the code;
//! returned in the token response, the access token and by introspection; narrowed, never
//! widened, at the token endpoint. One test per rule, named after it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A payment must name an amount with a three-letter currency.
const PAYMENT_SCHEMA: &str = r#"{
  "type": "object",
  "required": ["type", "instructedAmount"],
  "properties": {
    "instructedAmount": {
      "type": "object",
      "required": ["amount", "currency"],
      "properties": {
        "amount": { "type": "string" },
        "currency": { "type": "string", "pattern": "^[A-Z]{3}$" }
      }
    }
  }
}"#;

/// `acct` may only ask for account information.
const CLIENTS: &str = r#"
    [[clients]]
    client_id = "acct"
    authorization_details_types = ["account_information"]
    redirect_uris = ["http://127.0.0.1:9/cb"]
    secrets = [{ type = "shared", value = "a-shared-client-secret-long-enough-for-hs512-0123456789abcdefghijklmnopq" }]
"#;

async fn server() -> Srv {
    let schema = std::env::temp_dir().join(format!("writ-rar-{}.json", unique()));
    std::fs::write(&schema, PAYMENT_SCHEMA).unwrap();
    let sections = format!(
        "[rar]\ntypes = [\"payment_initiation\", \"account_information\"]\n\
         [rar.schemas]\npayment_initiation = {:?}\n",
        schema.display().to_string()
    );
    start(&sections, CLIENTS).await
}

fn payment() -> Value {
    json!({
        "type": "payment_initiation",
        "actions": ["initiate", "status"],
        "locations": ["https://bank.example/payments"],
        "instructedAmount": { "amount": "12.50", "currency": "EUR" },
        "creditorName": "Merchant A",
        "creditorAccount": { "iban": "DE02100100109307118603" },
        "remittanceInformationUnstructured": "Ref 4711"
    })
}

fn accounts() -> Value {
    json!({ "type": "account_information", "actions": ["list_accounts", "read_balances"] })
}

/// `/authorize` for `client` with the plain parameters and `details` as a query parameter.
async fn ask(s: &Srv, client: &str, details: &str) -> reqwest::Response {
    let mut q = format!("client_id={client}");
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    q.push_str(&format!("&authorization_details={}", enc(details)));
    authorize(s, &q).await
}

/// `POST /authorize` (a form: a URL this long is not sent by a browser or reqwest), asking
/// for a JSON error.
async fn authorize_post(s: &Srv, form: &[(&str, &str)]) -> reqwest::Response {
    s.http
        .post(format!("{}/authorize", s.base))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The error of a refused request, delivered to the client.
fn refused_with(r: &reqwest::Response) -> (String, String) {
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = location(r);
    assert!(loc.starts_with(REDIRECT), "{loc}");
    let q = query(&loc);
    (q["error"].clone(), q["error_description"].clone())
}

/// Redeem `code` as `client` (`client_secret_basic`) with `extra` form fields.
async fn redeem_as(s: &Srv, client: &str, code: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    form.extend_from_slice(extra);
    s.http
        .post(format!("{}/token", s.base))
        .basic_auth(client, Some(SECRET))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// A code for `rp` whose request carried `details` in the query.
async fn code_with(s: &Srv, details: &Value) -> String {
    let loc = accepted(s, &ask(s, "rp", &details.to_string()).await);
    let done = login_and_allow(s, &loc).await;
    query(&done).remove("code").expect("a code")
}

fn access_claims(t: &Value) -> Value {
    jarm_claims(t["access_token"].as_str().unwrap())
}

#[tokio::test]
async fn details_in_the_query_are_granted_and_returned_with_the_tokens() {
    let s = server().await;
    let details = json!([payment()]);
    let code = code_with(&s, &details).await;
    let r = redeem_as(&s, "rp", &code, &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["authorization_details"], details, "RFC 9396 §7");
    assert_eq!(access_claims(&t)["authorization_details"], details, "§9.1");
    let v: Value = s
        .http
        .post(format!("{}/introspect", s.base))
        .basic_auth("rp", Some(SECRET))
        .form(&[("token", t["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["authorization_details"], details, "§9.2: {v}");
}

#[tokio::test]
async fn signed_details_are_shown_to_the_person_as_signed() {
    let s = server().await;
    let mut c = claims(&s.base, "rp");
    c.insert("authorization_details".into(), json!([payment()]));
    let r = authorize(&s, &format!("client_id=rp&request={}", sign(&c))).await;
    let loc = accepted(&s, &r);
    let view = interaction_json(&s, &loc).await;
    assert_eq!(view["authorization_details"], json!([payment()]));
    assert!(
        view["trusted"]
            .as_array()
            .unwrap()
            .contains(&json!("authorization_details")),
        "{view}"
    );
    // Sign in, then read the consent page.
    login(&s, &loc).await;
    let html = s.http.get(&loc).send().await.unwrap().text().await.unwrap();
    for shown in [
        "payment_initiation",
        "initiate, status",
        "12.50 EUR",
        "Merchant A",
        "IBAN DE02100100109307118603",
        "remittanceInformationUnstructured",
        "Ref 4711",
        "as its signed request states",
    ] {
        assert!(html.contains(shown), "{shown:?} missing from {html}");
    }
}

#[tokio::test]
async fn unsigned_details_are_shown_as_unsigned() {
    let s = server().await;
    let loc = accepted(&s, &ask(&s, "rp", &json!([accounts()]).to_string()).await);
    login(&s, &loc).await;
    let html = s.http.get(&loc).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("not signed by the application"), "{html}");
    assert!(html.contains("list_accounts, read_balances"), "{html}");
}

#[tokio::test]
async fn pushed_details_are_granted() {
    let s = server().await;
    let details = json!([accounts()]).to_string();
    let mut form = plain_params();
    form.push(("authorization_details", &details));
    let r = s
        .http
        .post(format!("{}/par", s.base))
        .basic_auth("rp", Some(SECRET))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let uri = r.json::<Value>().await.unwrap()["request_uri"]
        .as_str()
        .unwrap()
        .to_string();
    let loc = accepted(
        &s,
        &authorize(&s, &format!("client_id=rp&request_uri={}", enc(&uri))).await,
    );
    let code = query(&login_and_allow(&s, &loc).await)
        .remove("code")
        .unwrap();
    let t: Value = redeem_as(&s, "rp", &code, &[]).await.json().await.unwrap();
    assert_eq!(t["authorization_details"], json!([accounts()]));
}

#[tokio::test]
async fn bad_details_at_par_are_refused_as_json() {
    let s = server().await;
    let mut form = plain_params();
    form.push(("authorization_details", "[{\"type\":\"unknown\"}]"));
    let r = s
        .http
        .post(format!("{}/par", s.base))
        .basic_auth("rp", Some(SECRET))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_authorization_details");
}

#[tokio::test]
async fn an_unknown_type_is_invalid_authorization_details() {
    let s = server().await;
    let (e, d) = refused_with(&ask(&s, "rp", r#"[{"type":"wire_all_my_money"}]"#).await);
    assert_eq!(e, "invalid_authorization_details");
    assert!(d.contains("[0]") && d.contains("not accepted"), "{d}");
    assert!(!d.contains("wire_all_my_money"), "never echoed: {d}");
}

#[tokio::test]
async fn details_that_are_not_an_array_of_objects_are_refused() {
    let s = server().await;
    for (bad, why) in [
        (r#"{"type":"account_information"}"#, "JSON array"),
        ("[]", "1 to 32"),
        ("[\"account_information\"]", "[0] is not a JSON object"),
        (r#"[{"actions":["read"]}]"#, "[0] has no type"),
        ("not json", "not JSON"),
        (
            r#"[{"type":"account_information","locations":"https://x"}]"#,
            "[0].locations must be an array of strings",
        ),
    ] {
        let (e, d) = refused_with(&ask(&s, "rp", bad).await);
        assert_eq!(e, "invalid_authorization_details", "{bad}");
        assert!(d.contains(why), "{bad}: {d}");
    }
}

#[tokio::test]
async fn too_many_objects_are_refused() {
    let s = server().await;
    let many = json!(vec![json!({"type": "account_information"}); 33]).to_string();
    let (e, d) = refused_with(&ask(&s, "rp", &many).await);
    assert_eq!(e, "invalid_authorization_details");
    assert!(d.contains("1 to 32"), "{d}");
    // 10,000 objects inside a signed request object: refused before any is looked at.
    let mut c = claims(&s.base, "rp");
    c.insert(
        "authorization_details".into(),
        json!(vec![json!({"type": "account_information"}); 10_000]),
    );
    let ro = sign(&c);
    let r = authorize_post(&s, &[("client_id", "rp"), ("request", &ro)]).await;
    let (e, d) = authorize_error(r).await;
    assert!(
        ["invalid_request", "invalid_request_object"].contains(&e.as_str()) && d.contains("bytes"),
        "{e}: {d}"
    );
}

#[tokio::test]
async fn a_one_mebibyte_object_is_refused_without_a_server_error() {
    let s = server().await;
    let big = json!([{ "type": "account_information", "note": "x".repeat(1 << 20) }]).to_string();
    // At /authorize: over the parameter limit.
    let mut form = plain_params();
    form.push(("client_id", "rp"));
    form.push(("authorization_details", &big));
    let r = authorize_post(&s, &form).await;
    assert!(r.status().is_client_error() || r.status() == StatusCode::SEE_OTHER);
    let (e, _) = authorize_error(r).await;
    assert_eq!(e, "invalid_request");
    // Pushed: over the parameter limit too.
    let mut form = plain_params();
    form.push(("authorization_details", &big));
    let r = s
        .http
        .post(format!("{}/par", s.base))
        .basic_auth("rp", Some(SECRET))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
}

#[tokio::test]
async fn deep_nesting_is_refused_before_parsing() {
    let s = server().await;
    let deep = format!(
        "[{{\"type\":\"account_information\",\"x\":{}1{}}}]",
        "[".repeat(40),
        "]".repeat(40)
    );
    let (e, d) = refused_with(&ask(&s, "rp", &deep).await);
    assert_eq!(e, "invalid_authorization_details");
    assert!(d.contains("nested deeper"), "{d}");
}

#[tokio::test]
async fn an_object_that_breaks_its_types_schema_is_refused() {
    let s = server().await;
    let mut p = payment();
    p["instructedAmount"]["currency"] = json!("euros");
    let (e, d) = refused_with(&ask(&s, "rp", &json!([p]).to_string()).await);
    assert_eq!(e, "invalid_authorization_details");
    assert!(d.contains("/instructedAmount/currency"), "{d}");
    assert!(!d.contains("euros"), "never echoed: {d}");
    let mut p = payment();
    p.as_object_mut().unwrap().remove("instructedAmount");
    let (e, _) = refused_with(&ask(&s, "rp", &json!([p]).to_string()).await);
    assert_eq!(e, "invalid_authorization_details");
}

#[tokio::test]
async fn a_clients_types_narrow_the_servers() {
    let s = server().await;
    let mut q = String::from("client_id=acct");
    for (k, v) in plain_params() {
        q.push_str(&format!("&{k}={}", enc(v)));
    }
    q.push_str(&format!(
        "&authorization_details={}",
        enc(&json!([payment()]).to_string())
    ));
    let (e, _) = refused_with(&authorize(&s, &q).await);
    assert_eq!(e, "invalid_authorization_details");
}

#[tokio::test]
async fn a_token_request_may_narrow_the_details_but_never_widen_them() {
    let s = server().await;
    let both = json!([accounts(), payment()]);
    // Widening: an object that was not granted.
    let code = code_with(&s, &both).await;
    let other = json!([{ "type": "account_information", "actions": ["transfer"] }]).to_string();
    let r = redeem_as(&s, "rp", &code, &[("authorization_details", &other)]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_authorization_details");
    // Narrowing: one of the two.
    let code = code_with(&s, &both).await;
    let one = json!([accounts()]).to_string();
    let r = redeem_as(&s, "rp", &code, &[("authorization_details", &one)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["authorization_details"], json!([accounts()]));
    assert_eq!(
        access_claims(&t)["authorization_details"],
        json!([accounts()])
    );
    // The refresh token keeps the whole grant (RFC 6749 §6): a refresh without the
    // parameter gets both again.
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .basic_auth("rp", Some(SECRET))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["authorization_details"], both);
}

#[tokio::test]
async fn a_narrowed_refresh_keeps_the_grants_scope_on_the_new_refresh_token() {
    let s = server().await;
    let code = code_for(&s, "rp").await;
    let t = redeem(&s, &code).await;
    let refresh = |rt: String, scope: Option<&'static str>| {
        let s = &s;
        async move {
            let mut form = vec![
                ("grant_type", "refresh_token".to_string()),
                ("refresh_token", rt),
            ];
            if let Some(sc) = scope {
                form.push(("scope", sc.to_string()));
            }
            let r = s
                .http
                .post(format!("{}/token", s.base))
                .basic_auth("rp", Some(SECRET))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    let narrowed = refresh(t["refresh_token"].as_str().unwrap().into(), Some("openid")).await;
    assert_eq!(narrowed["scope"], "openid");
    let again = refresh(narrowed["refresh_token"].as_str().unwrap().into(), None).await;
    assert_eq!(again["scope"], t["scope"], "RFC 6749 §6: the grant's scope");
}

#[tokio::test]
async fn discovery_lists_the_accepted_types() {
    let s = server().await;
    let d = discovery(&s).await;
    assert_eq!(
        d["authorization_details_types_supported"],
        json!(["payment_initiation", "account_information"])
    );
}

#[tokio::test]
async fn without_rar_types_details_are_refused() {
    let s = start("", "").await;
    let (e, _) = refused_with(&ask(&s, "rp", &json!([accounts()]).to_string()).await);
    assert_eq!(e, "invalid_authorization_details");
    // No types: the list is left out of discovery, not advertised empty.
    let d = discovery(&s).await;
    assert!(
        d.get("authorization_details_types_supported").is_none(),
        "{d}"
    );
    assert!(
        d.get("userinfo_signing_alg_values_supported").is_none(),
        "{d}"
    );
    assert!(
        d.as_object()
            .unwrap()
            .values()
            .all(|v| v.as_array().is_none_or(|a| !a.is_empty())),
        "{d}"
    );
}

#[tokio::test]
async fn malformed_details_at_the_token_endpoint_do_not_use_up_the_code() {
    let s = server().await;
    let code = code_with(&s, &json!([accounts()])).await;
    let r = redeem_as(&s, "rp", &code, &[("authorization_details", "not json")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_authorization_details");
    let r = redeem_as(&s, "rp", &code, &[]).await;
    assert_eq!(r.status(), StatusCode::OK, "the code was not used up");
}
