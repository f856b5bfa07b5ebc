//! Stage 6: `authorization_details` (RFC 9396; SPEC §16), in the query, in the request
//! object (where it is signed) or pushed. In this order, each refusal
//! `invalid_authorization_details` naming the object and the rule, never echoing its values:
//! size and nesting bounded before parsing; a JSON array of 1 to [`MAX_OBJECTS`] objects; each
//! with a `type` the server accepts (`[rar] types`) and the client may use
//! (`authorization_details_types`); the common fields of RFC 9396 §2.2 of their types; then
//! the type's JSON Schema (`[rar.schemas]`), when it has one.
//!
//! The same check runs on the `authorization_details` of a token request, which may only
//! narrow what was granted (RFC 9396 §6.1): [`narrow`].

use crate::clients::Client;
use crate::error::OAuthError;
use serde_json::Value;
use std::collections::HashMap;
use writ_protocol::ErrorCode;

/// Longest accepted `authorization_details` (bytes of JSON): like any parameter in a query,
/// and small enough that an access token carrying it stays under
/// [`MAX_ACCESS_TOKEN_BYTES`](crate::flows::userinfo::MAX_ACCESS_TOKEN_BYTES), which
/// `/userinfo`, `/introspect` and `/revoke` accept.
pub const MAX_AUTHORIZATION_DETAILS_BYTES: usize = 4 * 1024;
/// Most objects in one `authorization_details`.
pub const MAX_OBJECTS: usize = 32;
/// Deepest nesting of arrays and objects, the outer array counted.
pub const MAX_DEPTH: usize = 10;

/// RFC 9396 §2.2: the common fields that are arrays of strings.
const STRING_ARRAY_FIELDS: [&str; 4] = ["locations", "actions", "datatypes", "privileges"];

/// `[rar]` in force: the accepted types and the compiled schema of those that have one.
#[derive(Debug, Clone, Default)]
pub struct RarPolicy {
    types: Vec<String>,
    schemas: HashMap<String, jsonschema::Validator>,
}

impl RarPolicy {
    /// The accepted `types`, and the `schemas` (parsed JSON) of some of them, compiled here:
    /// `Err` names the type whose schema does not compile.
    pub fn new(types: Vec<String>, schemas: HashMap<String, Value>) -> Result<Self, String> {
        let mut compiled = HashMap::with_capacity(schemas.len());
        for (t, schema) in schemas {
            let v = jsonschema::validator_for(&schema)
                .map_err(|e| format!("rar.schemas.{t}: the schema does not compile: {e}"))?;
            compiled.insert(t, v);
        }
        Ok(RarPolicy {
            types,
            schemas: compiled,
        })
    }

    /// The accepted types (discovery's `authorization_details_types_supported`).
    pub fn types(&self) -> &[String] {
        &self.types
    }

    /// Whether `client` may use `t`: accepted by the server and, when the client names its
    /// own, among them.
    fn allows(&self, client: &Client, t: &str) -> bool {
        self.types.iter().any(|x| x == t)
            && client
                .config
                .authorization_details_types
                .as_ref()
                .is_none_or(|own| own.iter().any(|x| x == t))
    }
}

fn refused(description: String) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidAuthorizationDetails, description)
}

/// Check `raw`, the JSON text of an `authorization_details` parameter, for `client`: the
/// objects, or the first rule one of them breaks.
pub fn check(policy: &RarPolicy, client: &Client, raw: &str) -> Result<Vec<Value>, OAuthError> {
    if raw.len() > MAX_AUTHORIZATION_DETAILS_BYTES {
        return Err(refused(format!(
            "authorization_details is longer than {MAX_AUTHORIZATION_DETAILS_BYTES} bytes"
        )));
    }
    if nesting_depth(raw) > MAX_DEPTH {
        return Err(refused(format!(
            "authorization_details is nested deeper than {MAX_DEPTH} levels"
        )));
    }
    let parsed: Value = serde_json::from_str(raw)
        .map_err(|_| refused("authorization_details is not JSON (RFC 9396 §2)".into()))?;
    let Value::Array(objects) = parsed else {
        return Err(refused(
            "authorization_details must be a JSON array of objects (RFC 9396 §2)".into(),
        ));
    };
    if objects.is_empty() || objects.len() > MAX_OBJECTS {
        return Err(refused(format!(
            "authorization_details must hold 1 to {MAX_OBJECTS} objects"
        )));
    }
    for (i, o) in objects.iter().enumerate() {
        check_object(policy, client, i, o)?;
    }
    Ok(objects)
}

/// One object: its `type`, its common fields, its schema.
fn check_object(
    policy: &RarPolicy,
    client: &Client,
    i: usize,
    o: &Value,
) -> Result<(), OAuthError> {
    let Value::Object(fields) = o else {
        return Err(refused(format!(
            "authorization_details[{i}] is not a JSON object"
        )));
    };
    let Some(t) = fields.get("type").and_then(Value::as_str) else {
        return Err(refused(format!(
            "authorization_details[{i}] has no type (RFC 9396 §2)"
        )));
    };
    if !policy.allows(client, t) {
        return Err(refused(format!(
            "authorization_details[{i}]: the type is not accepted for this client"
        )));
    }
    for name in STRING_ARRAY_FIELDS {
        if let Some(v) = fields.get(name)
            && !v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
        {
            return Err(refused(format!(
                "authorization_details[{i}].{name} must be an array of strings (RFC 9396 §2.2)"
            )));
        }
    }
    if fields.get("identifier").is_some_and(|v| !v.is_string()) {
        return Err(refused(format!(
            "authorization_details[{i}].identifier must be a string (RFC 9396 §2.2)"
        )));
    }
    if let Some(schema) = policy.schemas.get(t)
        && let Err(e) = schema.validate(o)
    {
        // The instance path (its keys, bounded) and the keyword: never the value that failed.
        let at = e.instance_path().as_str();
        let at = match at.char_indices().nth(128) {
            _ if at.is_empty() => "/",
            Some((cut, _)) => &at[..cut],
            None => at,
        };
        return Err(refused(format!(
            "authorization_details[{i}] does not satisfy the schema of its type at {at} ({})",
            e.kind().keyword()
        )));
    }
    Ok(())
}

/// RFC 9396 §6.1: the `authorization_details` of a token request, checked like the
/// request's, may only name objects that were granted (each equal to a granted one); the
/// access token then carries just those. `None`: all that was granted.
pub fn narrow(
    policy: &RarPolicy,
    client: &Client,
    granted: Option<&[Value]>,
    requested: Option<&str>,
) -> Result<Option<Vec<Value>>, OAuthError> {
    let Some(raw) = requested else {
        return Ok(granted.map(<[Value]>::to_vec));
    };
    let asked = check(policy, client, raw)?;
    let granted = granted.unwrap_or_default();
    if let Some(i) = asked.iter().position(|a| !granted.contains(a)) {
        return Err(refused(format!(
            "authorization_details[{i}] was not granted: a token request may only narrow the \
             authorization_details (RFC 9396 §6.1)"
        )));
    }
    Ok(Some(asked))
}

/// How deeply arrays and objects nest in `json` (brackets inside strings not counted), read
/// without parsing, so that a deeply nested input costs no recursion.
fn nesting_depth(json: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in json.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use writ_protocol::client::ClientConfig;

    fn client(types: Option<&[&str]>) -> Client {
        let mut c: ClientConfig = serde_json::from_value(json!({
            "client_id": "c", "redirect_uris": ["https://rp/cb"],
            "token_endpoint_auth_method": "none"
        }))
        .unwrap();
        c.authorization_details_types = types.map(|t| t.iter().map(|s| s.to_string()).collect());
        Client::from_config(c).unwrap()
    }

    fn policy() -> RarPolicy {
        let schema = json!({
            "type": "object",
            "required": ["instructedAmount"],
            "properties": { "instructedAmount": { "type": "object",
                "required": ["amount", "currency"],
                "properties": { "currency": { "type": "string", "pattern": "^[A-Z]{3}$" } } } }
        });
        RarPolicy::new(
            vec!["payment_initiation".into(), "account_information".into()],
            HashMap::from([("payment_initiation".to_string(), schema)]),
        )
        .unwrap()
    }

    fn err(raw: &str) -> String {
        check(&policy(), &client(None), raw)
            .unwrap_err()
            .description
            .to_string()
    }

    const PAYMENT: &str = r#"[{"type":"payment_initiation","actions":["initiate"],
        "instructedAmount":{"amount":"12.50","currency":"EUR"}}]"#;

    #[test]
    fn accepted_objects_come_back_parsed() {
        let v = check(&policy(), &client(None), PAYMENT).unwrap();
        assert_eq!(v[0]["instructedAmount"]["currency"], "EUR");
    }

    #[test]
    fn nesting_is_counted_outside_strings_only() {
        assert_eq!(nesting_depth(r#"[{"a":"[[[[{{"}]"#), 2);
        assert_eq!(nesting_depth(r#"["\"[["]"#), 1);
        assert_eq!(nesting_depth(&"[".repeat(100_000)), 100_000);
    }

    #[test]
    fn every_rule_names_the_object_and_never_its_values() {
        assert!(err(&"[".repeat(2_000)).contains("nested deeper"));
        assert!(err(&" ".repeat(MAX_AUTHORIZATION_DETAILS_BYTES + 1)).contains("longer than"));
        assert!(err("{\"type\":\"x\"}").contains("JSON array"));
        assert!(err("[]").contains("1 to 32"));
        assert!(err("[1]").contains("[0] is not a JSON object"));
        assert!(err("[{\"actions\":[]}]").contains("[0] has no type"));
        assert!(err("[{\"type\":\"secret-type\"}]").contains("not accepted"));
        assert!(!err("[{\"type\":\"secret-type\"}]").contains("secret-type"));
        assert!(
            err("[{\"type\":\"account_information\",\"actions\":\"read\"}]")
                .contains("[0].actions must be an array of strings")
        );
        let bad = r#"[{"type":"payment_initiation","instructedAmount":{"amount":"1","currency":"euros!"}}]"#;
        let d = err(bad);
        assert!(d.contains("/instructedAmount/currency"), "{d}");
        assert!(!d.contains("euros"), "{d}");
    }

    #[test]
    fn a_clients_own_types_narrow_the_servers() {
        let only_accounts = client(Some(&["account_information"]));
        assert!(check(&policy(), &only_accounts, PAYMENT).is_err());
        assert!(
            check(
                &policy(),
                &only_accounts,
                r#"[{"type":"account_information"}]"#
            )
            .is_ok()
        );
    }

    #[test]
    fn a_token_request_may_narrow_but_never_widen() {
        let c = client(None);
        let granted = check(
            &policy(),
            &c,
            r#"[{"type":"account_information","actions":["read"]},{"type":"account_information","actions":["list"]}]"#,
        )
        .unwrap();
        let one = narrow(
            &policy(),
            &c,
            Some(&granted),
            Some(r#"[{"type":"account_information","actions":["list"]}]"#),
        )
        .unwrap()
        .unwrap();
        assert_eq!(one.len(), 1);
        assert!(
            narrow(
                &policy(),
                &c,
                Some(&granted),
                Some(r#"[{"type":"account_information","actions":["write"]}]"#),
            )
            .is_err()
        );
        assert!(
            narrow(
                &policy(),
                &c,
                None,
                Some(r#"[{"type":"account_information"}]"#)
            )
            .is_err()
        );
        assert_eq!(
            narrow(&policy(), &c, Some(&granted), None).unwrap(),
            Some(granted.clone())
        );
    }
}
