//! Stage 6, first half: the effective request (SPEC §4.6 `parameter_policy`).
//!
//! - `strict` (RFC 9101 §5): only the request object's parameters are used; the query's
//!   are ignored (except `client_id`, which must be in the query and, if inside too, equal).
//! - `merge` (OpenID Connect Core §6.3.3): request object values override; query-only
//!   parameters are kept (and are not `trusted`).
//! - `reject-conflicts`: as `merge`, but a parameter in both with different values is
//!   `invalid_request`.
//!
//! The JWT claims of the object itself (`iss`, `aud`, `exp`, `nbf`, `iat`, `jti`, `sub`) are
//! not request parameters.

use super::claims::ValidatedRequestObject;
use super::refusal::{Check, Refusal};
use crate::authorize::params::{RawParams, printable};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use writ_protocol::config::ParameterPolicy;

/// JWT claims that describe the object, not the request (RFC 7519 §4.1).
const JWT_CLAIMS: &[&str] = &["iss", "aud", "exp", "nbf", "iat", "jti", "sub"];
/// Query parameters that never become part of the effective request.
const TRANSPORT_PARAMS: &[&str] = &["request", "request_uri"];

/// The effective parameters and which of them the signed object vouches for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effective {
    /// Parameter values.
    pub params: BTreeMap<String, String>,
    /// Names of the parameters taken from a signed request object.
    pub trusted: Vec<String>,
}

impl Effective {
    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// A claim value as a request parameter: strings as they are, numbers and booleans as JSON
/// text, objects and arrays (e.g. `claims`, `authorization_details`) as compact JSON.
fn as_parameter(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The request without a request object: the query itself.
fn query_only(query: &RawParams) -> Effective {
    Effective {
        params: query
            .iter()
            .filter(|(k, _)| !TRANSPORT_PARAMS.contains(k))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        trusted: Vec::new(),
    }
}

/// The effective request: the query alone without a request object, else the query combined
/// with the validated object's claims by `policy`. The object's parameters are `trusted` when
/// it was signed.
pub fn effective(
    policy: ParameterPolicy,
    query: &RawParams,
    object: Option<&ValidatedRequestObject>,
) -> Result<Effective, Refusal> {
    match object {
        None => Ok(query_only(query)),
        Some(o) => combine(policy, query, o.claims(), o.is_signed()),
    }
}

fn combine(
    policy: ParameterPolicy,
    query: &RawParams,
    claims: &Map<String, Value>,
    signed: bool,
) -> Result<Effective, Refusal> {
    let mut params = BTreeMap::new();
    let mut trusted = Vec::new();
    for (k, v) in claims {
        if JWT_CLAIMS.contains(&k.as_str()) {
            continue;
        }
        if let Some(v) = as_parameter(v) {
            // SPEC §4.8: only a signed object vouches for its parameters.
            if signed {
                trusted.push(k.clone());
            }
            params.insert(k.clone(), v);
        }
    }
    for (k, v) in query.iter() {
        if TRANSPORT_PARAMS.contains(&k) {
            continue;
        }
        match params.get(k) {
            // RFC 9101 §6.3 and OpenID Connect Core §6.3.3: the object's value wins; under
            // `reject-conflicts` a different query value is an error instead.
            Some(inside) => {
                if policy == ParameterPolicy::RejectConflicts && inside != v {
                    return Err(Refusal::new(
                        Check::Parameters,
                        format!(
                            "parameter {} differs between the query and the request object",
                            printable(k)
                        ),
                    ));
                }
            }
            // RFC 9101 §5: under `strict` only the object's parameters are used (`client_id`
            // must be in the query, RFC 9101 §5); OpenID Connect Core §6.3.3 (`merge`)
            // keeps query-only parameters, untrusted.
            None => {
                if k == "client_id" || policy != ParameterPolicy::Strict {
                    params.insert(k.to_string(), v.to_string());
                }
            }
        }
    }
    Ok(Effective { params, trusted })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn query() -> RawParams {
        RawParams::parse(b"client_id=c&scope=openid+email&state=q&request=x", 10_000).unwrap()
    }
    fn claims() -> Map<String, Value> {
        json!({"iss":"c","aud":"https://as","exp":1,"scope":"openid","max_age":60,
               "claims":{"id_token":{"acr":null}}})
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn strict_policy_uses_only_request_object_parameters_rfc9101_5() {
        let e = combine(ParameterPolicy::Strict, &query(), &claims(), true).unwrap();
        assert_eq!(e.get("scope"), Some("openid"));
        assert_eq!(e.get("state"), None, "query-only parameters are ignored");
        assert_eq!(e.get("client_id"), Some("c"));
        assert_eq!(e.get("max_age"), Some("60"));
        assert_eq!(e.get("claims"), Some(r#"{"id_token":{"acr":null}}"#));
        assert_eq!(e.get("iss"), None, "JWT claims are not parameters");
        assert_eq!(e.get("request"), None);
        assert!(e.trusted.contains(&"scope".to_string()));
        assert!(!e.trusted.contains(&"client_id".to_string()));
    }

    #[test]
    fn merge_policy_keeps_query_only_parameters_untrusted_oidc_6_3_3() {
        let e = combine(ParameterPolicy::Merge, &query(), &claims(), true).unwrap();
        assert_eq!(e.get("scope"), Some("openid"), "the object's value wins");
        assert_eq!(e.get("state"), Some("q"));
        assert!(!e.trusted.contains(&"state".to_string()));
    }

    #[test]
    fn reject_conflicts_policy_refuses_a_differing_parameter() {
        let r = combine(ParameterPolicy::RejectConflicts, &query(), &claims(), true).unwrap_err();
        assert_eq!(r.check, Check::Parameters);
        assert!(r.public.contains("scope"));
        let same = RawParams::parse(b"client_id=c&scope=openid&state=q", 10_000).unwrap();
        let e = combine(ParameterPolicy::RejectConflicts, &same, &claims(), true).unwrap();
        assert_eq!(e.get("state"), Some("q"));
    }

    #[test]
    fn without_an_object_the_query_is_the_request_and_vouches_for_nothing() {
        let e = effective(ParameterPolicy::Strict, &query(), None).unwrap();
        assert_eq!(e.get("state"), Some("q"));
        assert_eq!(
            e.get("request"),
            None,
            "transport parameters are not parameters"
        );
        assert!(e.trusted.is_empty());
    }

    #[test]
    fn unsigned_objects_vouch_for_nothing() {
        let e = combine(ParameterPolicy::Strict, &query(), &claims(), false).unwrap();
        assert!(e.trusted.is_empty());
    }
}
