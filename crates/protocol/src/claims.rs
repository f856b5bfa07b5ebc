//! A user's profile attributes: the standard claims of OpenID Connect Core §5.1, and which
//! scope releases which of them (§5.4). The built-in user store keeps exactly these, so that
//! discovery's `claims_supported` is true.

use serde_json::{Map, Value};

/// What a claim's value must be (OpenID Connect Core §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A JSON string.
    Text,
    /// A JSON boolean.
    Boolean,
    /// A JSON number: seconds since the epoch.
    Time,
    /// A JSON object (§5.1.1).
    Address,
}

/// The standard claims a user may carry, with their type and the scope that releases them
/// (OpenID Connect Core §5.4). `sub` and `preferred_username` are not here: Writ sets them
/// from the account (its id and username).
const STANDARD: &[(&str, Kind, &str)] = &[
    ("name", Kind::Text, "profile"),
    ("given_name", Kind::Text, "profile"),
    ("family_name", Kind::Text, "profile"),
    ("middle_name", Kind::Text, "profile"),
    ("nickname", Kind::Text, "profile"),
    ("profile", Kind::Text, "profile"),
    ("picture", Kind::Text, "profile"),
    ("website", Kind::Text, "profile"),
    ("gender", Kind::Text, "profile"),
    ("birthdate", Kind::Text, "profile"),
    ("zoneinfo", Kind::Text, "profile"),
    ("locale", Kind::Text, "profile"),
    ("updated_at", Kind::Time, "profile"),
    ("email", Kind::Text, "email"),
    ("email_verified", Kind::Boolean, "email"),
    ("address", Kind::Address, "address"),
    ("phone_number", Kind::Text, "phone"),
    ("phone_number_verified", Kind::Boolean, "phone"),
];

/// The members of an `address` claim (OpenID Connect Core §5.1.1), all strings.
const ADDRESS_MEMBERS: &[&str] = &[
    "formatted",
    "street_address",
    "locality",
    "region",
    "postal_code",
    "country",
];

/// Longest accepted text value (bytes): a profile attribute, not a document.
pub const MAX_CLAIM_BYTES: usize = 2048;

/// The scopes that release profile claims (OpenID Connect Core §5.4).
pub const CLAIM_SCOPES: &[&str] = &["profile", "email", "address", "phone"];

/// Every claim name a user can carry, in the order of OpenID Connect Core §5.1.
pub fn standard_names() -> impl Iterator<Item = &'static str> {
    STANDARD.iter().map(|(n, _, _)| *n)
}

/// The claims of `claims` that the granted `scope` releases (OpenID Connect Core §5.4), in
/// the order of §5.1.
pub fn released<'a>(
    claims: &'a Map<String, Value>,
    scope: &'a [&'a str],
) -> impl Iterator<Item = (&'static str, &'a Value)> + 'a {
    STANDARD.iter().filter_map(move |(name, _, by)| {
        if scope.contains(by) {
            claims.get(*name).map(|v| (*name, v))
        } else {
            None
        }
    })
}

/// Check a user's claims: only standard names, each of its type. The error names the claim.
pub fn check(claims: &Map<String, Value>) -> Result<(), String> {
    for (name, value) in claims {
        let Some((_, kind, _)) = STANDARD.iter().find(|(n, _, _)| n == name) else {
            return Err(format!(
                "{name:?} is not a standard claim Writ keeps (OpenID Connect Core §5.1: {})",
                standard_names().collect::<Vec<_>>().join(", ")
            ));
        };
        check_value(name, *kind, value)?;
    }
    Ok(())
}

fn check_text(name: &str, value: &Value) -> Result<(), String> {
    match value.as_str() {
        Some(s) if s.len() > MAX_CLAIM_BYTES => {
            Err(format!("{name}: longer than {MAX_CLAIM_BYTES} bytes"))
        }
        Some(s) if s.chars().any(char::is_control) => {
            Err(format!("{name}: control characters are not allowed"))
        }
        Some(_) => Ok(()),
        None => Err(format!("{name}: must be a string")),
    }
}

fn check_value(name: &str, kind: Kind, value: &Value) -> Result<(), String> {
    match kind {
        Kind::Text => check_text(name, value),
        Kind::Boolean if value.is_boolean() => Ok(()),
        Kind::Boolean => Err(format!("{name}: must be true or false")),
        Kind::Time if value.as_i64().is_some_and(|t| t >= 0) => Ok(()),
        Kind::Time => Err(format!("{name}: must be seconds since 1970 (a number)")),
        Kind::Address => {
            let Some(members) = value.as_object() else {
                return Err(format!(
                    "{name}: must be an object (OpenID Connect Core §5.1.1)"
                ));
            };
            for (m, v) in members {
                if !ADDRESS_MEMBERS.contains(&m.as_str()) {
                    return Err(format!(
                        "{name}.{m}: not an address member ({})",
                        ADDRESS_MEMBERS.join(", ")
                    ));
                }
                check_text(&format!("{name}.{m}"), v)?;
            }
            Ok(())
        }
    }
}

/// Read `NAME=VALUE` as given on a command line: booleans and `updated_at` from their text,
/// `address` as a JSON object, everything else as the text itself.
pub fn parse_assignment(assignment: &str) -> Result<(String, Value), String> {
    let (name, text) = assignment
        .split_once('=')
        .ok_or_else(|| format!("{assignment:?}: expected NAME=VALUE"))?;
    let Some((_, kind, _)) = STANDARD.iter().find(|(n, _, _)| *n == name) else {
        return Err(format!(
            "{name:?} is not a standard claim Writ keeps ({})",
            standard_names().collect::<Vec<_>>().join(", ")
        ));
    };
    let value = match kind {
        Kind::Text => Value::String(text.to_string()),
        Kind::Boolean => match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(format!("{name}: must be true or false")),
        },
        Kind::Time => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("{name}: must be seconds since 1970"))?,
        Kind::Address => serde_json::from_str(text)
            .map_err(|e| format!("{name}: must be a JSON object ({e})"))?,
    };
    check_value(name, *kind, &value)?;
    Ok((name.to_string(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn standard_claims_of_the_right_type_pass() {
        let c = map(json!({
            "name": "Alice Example", "email": "alice@example.com", "email_verified": true,
            "updated_at": 1_700_000_000, "address": {"country": "NL", "locality": "Utrecht"},
            "phone_number": "+31 6 1234 5678", "phone_number_verified": false
        }));
        check(&c).unwrap();
    }

    #[test]
    fn an_unknown_claim_or_a_wrong_type_is_refused_by_name() {
        let e = check(&map(json!({"shoe_size": "42"}))).unwrap_err();
        assert!(e.contains("\"shoe_size\" is not a standard claim"), "{e}");
        let e = check(&map(json!({"email_verified": "yes"}))).unwrap_err();
        assert_eq!(e, "email_verified: must be true or false");
        let e = check(&map(json!({"address": {"planet": "Mars"}}))).unwrap_err();
        assert!(
            e.starts_with("address.planet: not an address member"),
            "{e}"
        );
        let e = check(&map(json!({"name": "a\u{7}b"}))).unwrap_err();
        assert_eq!(e, "name: control characters are not allowed");
        let e = check(&map(json!({"name": "x".repeat(MAX_CLAIM_BYTES + 1)}))).unwrap_err();
        assert!(e.contains("longer than"), "{e}");
    }

    #[test]
    fn scope_releases_only_its_own_claims() {
        let c = map(json!({"name": "A", "email": "a@example.com", "phone_number": "+1"}));
        let names = |scope: &[&str]| -> Vec<&str> { released(&c, scope).map(|(n, _)| n).collect() };
        assert_eq!(names(&["openid"]), Vec::<&str>::new());
        assert_eq!(names(&["openid", "profile"]), ["name"]);
        assert_eq!(
            names(&["openid", "email", "phone"]),
            ["email", "phone_number"]
        );
    }

    #[test]
    fn assignments_parse_by_the_claims_type() {
        assert_eq!(
            parse_assignment("email_verified=true").unwrap(),
            ("email_verified".into(), json!(true))
        );
        assert_eq!(
            parse_assignment("name=Alice = Smith").unwrap(),
            ("name".into(), json!("Alice = Smith"))
        );
        assert_eq!(
            parse_assignment("updated_at=1700000000").unwrap(),
            ("updated_at".into(), json!(1_700_000_000))
        );
        assert!(parse_assignment("email_verified=yes").is_err());
        assert!(parse_assignment("sub=x").is_err());
        assert!(parse_assignment("name").is_err());
    }
}
