//! How a [`ValidatedRequest`] is stored and sealed (a pushed request's row, an interaction's
//! row or sealed id): each value once. The typed fields (`state`, `nonce`, ...) are copies of
//! `parameters` entries, and a signed request object's claims are again the same strings; a
//! value equal to its `parameters` entry is left out and its name listed in `same` (typed
//! fields) or `same_claims` (request-object claims), and put back when read. Only exact
//! equals are left out, so reading gives back exactly what was written; a form written before
//! (every value present, no lists) reads as it always did.

use super::{AUTHORIZATION_PARAMETERS, ValidatedRequest};
use crate::authorize::prompt::PromptRequest;
use crate::authorize::request_object::RequestObjectInfo;
use crate::authorize::transport::Transport;
use crate::response::ResponseMode;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The typed fields that may be left out for their `parameters` entry.
const TYPED: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "nonce",
    "code_challenge",
    "login_hint",
];

/// The stored form, as written.
#[derive(Serialize)]
struct Out<'a> {
    #[serde(skip_serializing_if = "Names::is_empty")]
    same: Names<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_type: Option<&'a str>,
    scope: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code_challenge: Option<&'a str>,
    #[serde(skip_serializing_if = "is_default_prompt")]
    prompt: &'a PromptRequest,
    #[serde(skip_serializing_if = "Option::is_none")]
    login_hint: Option<&'a str>,
    parameters: &'a BTreeMap<String, String>,
    trusted: Names<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_object_values: Option<Claims<'a>>,
    #[serde(skip_serializing_if = "Names::is_empty")]
    same_claims: Names<'a>,
    transport: Transport,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_object: Option<&'a RequestObjectInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dpop_jkt: Option<&'a str>,
    #[serde(skip_serializing_if = "ResponseMode::is_default")]
    response_mode: ResponseMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorization_details: Option<&'a [Value]>,
}

/// A list of names from a known list (`TYPED`, [`AUTHORIZATION_PARAMETERS`]), written as one
/// number whose bit `i` is the known list's name `i`, when that gives back the same list (each
/// name known, none twice, and for a list whose order is kept, in the known list's order);
/// else as the list itself. The sealed interaction id carries three such lists; as numbers
/// they are ~330 bytes shorter, and no strings to escape (issue 18).
enum Names<'a> {
    Mask(u32),
    List(Vec<&'a str>),
}

impl<'a> Names<'a> {
    /// `names` as a number when it can be read back as the same list ([`Order::Kept`]) or
    /// as the same set ([`Order::Free`]: names whose order nothing reads).
    fn of<S: AsRef<str>>(names: &'a [S], known: &[&str], order: Order) -> Self {
        let mut mask = 0u32;
        let mut last = None;
        for name in names {
            match known.iter().position(|k| *k == name.as_ref()) {
                Some(i)
                    if i < 32
                        && mask & (1 << i) == 0
                        && (order == Order::Free || last.is_none_or(|l| i > l)) =>
                {
                    mask |= 1 << i;
                    last = Some(i);
                }
                _ => return Names::List(names.iter().map(AsRef::as_ref).collect()),
            }
        }
        Names::Mask(mask)
    }

    fn is_empty(&self) -> bool {
        match self {
            Names::Mask(m) => *m == 0,
            Names::List(l) => l.is_empty(),
        }
    }
}

/// Whether a list of [`Names`] is read for its order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    /// `trusted`: read back as it was.
    Kept,
    /// `same`, `same_claims`: only whether a name is in it is read.
    Free,
}

impl Serialize for Names<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Names::Mask(m) => serializer.serialize_u32(*m),
            Names::List(l) => l.serialize(serializer),
        }
    }
}

/// [`Names`] as read: a number or a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredNames {
    Mask(u32),
    List(Vec<String>),
}

impl StoredNames {
    fn into_names(self, known: &[&str]) -> Result<Vec<String>, String> {
        match self {
            StoredNames::List(l) => Ok(l),
            StoredNames::Mask(m) if known.len() < 32 && m >> known.len() != 0 => {
                Err(format!("stored request: name set {m} has unknown names"))
            }
            StoredNames::Mask(m) => Ok(known
                .iter()
                .enumerate()
                .filter(|(i, _)| m & (1 << i) != 0)
                .map(|(_, k)| (*k).to_string())
                .collect()),
        }
    }
}

fn typed_names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    StoredNames::deserialize(d)?
        .into_names(TYPED)
        .map_err(serde::de::Error::custom)
}

fn parameter_names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    StoredNames::deserialize(d)?
        .into_names(AUTHORIZATION_PARAMETERS)
        .map_err(serde::de::Error::custom)
}

fn is_default_prompt(p: &&PromptRequest) -> bool {
    **p == PromptRequest::default()
}

/// A request object's claims without those equal to their parameter, written in place (the
/// authorize path seals every request: no copy of the claims is made for it).
struct Claims<'a> {
    all: &'a Map<String, Value>,
    parameters: &'a BTreeMap<String, String>,
}

impl<'a> Claims<'a> {
    /// Whether the claim `name` with `value` is its parameter's value, and left out.
    fn same(parameters: &BTreeMap<String, String>, name: &str, value: &Value) -> bool {
        value.as_str().is_some() && parameters.get(name).map(String::as_str) == value.as_str()
    }

    /// The names of the claims left out.
    fn same_names(&self) -> Vec<&'a str> {
        self.all
            .iter()
            .filter(|(k, v)| Self::same(self.parameters, k, v))
            .map(|(k, _)| k.as_str())
            .collect()
    }
}

impl Serialize for Claims<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            self.all
                .iter()
                .filter(|(k, v)| !Self::same(self.parameters, k, v)),
        )
    }
}

/// The stored form, as read: this one and the older one with every value present.
#[derive(Deserialize)]
pub(super) struct Stored {
    #[serde(default, deserialize_with = "typed_names")]
    same: Vec<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    redirect_uri: Option<String>,
    #[serde(default)]
    response_type: Option<String>,
    scope: Vec<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    code_challenge: Option<String>,
    #[serde(default)]
    prompt: PromptRequest,
    #[serde(default)]
    login_hint: Option<String>,
    parameters: BTreeMap<String, String>,
    #[serde(deserialize_with = "parameter_names")]
    trusted: Vec<String>,
    #[serde(default)]
    request_object_values: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "parameter_names")]
    same_claims: Vec<String>,
    transport: Transport,
    #[serde(default)]
    request_object: Option<RequestObjectInfo>,
    #[serde(default)]
    dpop_jkt: Option<String>,
    #[serde(default)]
    response_mode: ResponseMode,
    #[serde(default)]
    authorization_details: Option<Vec<Value>>,
}

impl Serialize for ValidatedRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let params = &self.parameters;
        let mut same = Vec::new();
        // Whether a typed field is written: not when `parameters` has the very same value.
        let mut field = |name: &'static str, value: Option<&str>| -> bool {
            let equal = value.is_some() && params.get(name).map(String::as_str) == value;
            if equal {
                same.push(name);
            }
            !equal
        };
        let client_id = field("client_id", Some(&self.client_id));
        let redirect_uri = field("redirect_uri", Some(&self.redirect_uri));
        let response_type = field("response_type", Some(&self.response_type));
        let state = field("state", self.state.as_deref());
        let nonce = field("nonce", self.nonce.as_deref());
        let code_challenge = field("code_challenge", self.code_challenge.as_deref());
        let login_hint = field("login_hint", self.login_hint.as_deref());
        let request_object_values = self.request_object_values.as_ref().map(|all| Claims {
            all,
            parameters: params,
        });
        let same_claims = request_object_values
            .as_ref()
            .map(Claims::same_names)
            .unwrap_or_default();
        Out {
            same: Names::of(&same, TYPED, Order::Free),
            client_id: client_id.then_some(self.client_id.as_str()),
            redirect_uri: redirect_uri.then_some(self.redirect_uri.as_str()),
            response_type: response_type.then_some(self.response_type.as_str()),
            scope: &self.scope,
            state: self.state.as_deref().filter(|_| state),
            nonce: self.nonce.as_deref().filter(|_| nonce),
            code_challenge: self.code_challenge.as_deref().filter(|_| code_challenge),
            prompt: &self.prompt,
            login_hint: self.login_hint.as_deref().filter(|_| login_hint),
            parameters: params,
            trusted: Names::of(&self.trusted, AUTHORIZATION_PARAMETERS, Order::Kept),
            request_object_values,
            same_claims: Names::of(&same_claims, AUTHORIZATION_PARAMETERS, Order::Free),
            transport: self.transport,
            request_object: self.request_object.as_ref(),
            dpop_jkt: self.dpop_jkt.as_deref(),
            response_mode: self.response_mode,
            authorization_details: self.authorization_details.as_deref(),
        }
        .serialize(serializer)
    }
}

impl TryFrom<Stored> for ValidatedRequest {
    type Error = String;

    fn try_from(s: Stored) -> Result<Self, String> {
        if let Some(name) = s.same.iter().find(|n| !TYPED.contains(&n.as_str())) {
            return Err(format!("stored request: {name:?} is not a typed field"));
        }
        let from_params = |name: &str, value: Option<String>| -> Result<Option<String>, String> {
            if s.same.iter().any(|n| n == name) {
                s.parameters
                    .get(name)
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| format!("stored request: {name} names no parameter"))
            } else {
                Ok(value)
            }
        };
        let required = |name: &str, value: Option<String>| -> Result<String, String> {
            from_params(name, value)?.ok_or_else(|| format!("stored request: no {name}"))
        };
        let request_object_values = match s.request_object_values {
            Some(mut claims) => {
                for name in &s.same_claims {
                    let v = s.parameters.get(name).ok_or_else(|| {
                        format!("stored request: claim {name} names no parameter")
                    })?;
                    claims.insert(name.clone(), Value::String(v.clone()));
                }
                Some(claims)
            }
            None if s.same_claims.is_empty() => None,
            None => return Err("stored request: claims named without a request object".into()),
        };
        Ok(ValidatedRequest {
            client_id: required("client_id", s.client_id)?,
            redirect_uri: required("redirect_uri", s.redirect_uri)?,
            response_type: required("response_type", s.response_type)?,
            state: from_params("state", s.state)?,
            nonce: from_params("nonce", s.nonce)?,
            code_challenge: from_params("code_challenge", s.code_challenge)?,
            login_hint: from_params("login_hint", s.login_hint)?,
            scope: s.scope,
            prompt: s.prompt,
            parameters: s.parameters,
            trusted: s.trusted,
            request_object_values,
            transport: s.transport,
            request_object: s.request_object,
            dpop_jkt: s.dpop_jkt,
            response_mode: s.response_mode,
            authorization_details: s.authorization_details,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorize::request_object::RequestObjectHeader;
    use serde_json::json;

    /// A request by value: typed fields equal to their parameters, a claim that is a number
    /// (`max_age`), a claim that is no parameter (`iss`), and a registered redirect URI used
    /// for a request that named none (so it differs from `parameters`).
    fn signed(redirect_param: bool) -> ValidatedRequest {
        let mut parameters: BTreeMap<String, String> = [
            ("client_id", "rp"),
            ("response_type", "code"),
            ("scope", "openid profile"),
            ("state", "st-1"),
            ("nonce", "n-1"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
            ("max_age", "300"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if redirect_param {
            parameters.insert("redirect_uri".into(), "https://rp.example/cb".into());
        }
        let claims = json!({
            "iss": "rp", "aud": "https://op.example", "client_id": "rp", "response_type": "code",
            "scope": "openid profile", "state": "st-1", "nonce": "n-1", "max_age": 300,
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256", "exp": 1_800_000_000, "jti": "j-1"
        });
        ValidatedRequest {
            client_id: "rp".into(),
            redirect_uri: "https://rp.example/cb".into(),
            response_type: "code".into(),
            scope: vec!["openid".into(), "profile".into()],
            state: Some("st-1".into()),
            nonce: Some("n-1".into()),
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            prompt: PromptRequest::default(),
            login_hint: None,
            trusted: parameters.keys().cloned().collect(),
            parameters,
            request_object_values: claims.as_object().cloned(),
            transport: Transport::ByValue,
            request_object: Some(RequestObjectInfo {
                header: RequestObjectHeader {
                    alg: "ES256".into(),
                    kid: Some("ec-1".into()),
                    typ: Some("oauth-authz-req+jwt".into()),
                },
                signer: None,
                encryption: None,
            }),
            dpop_jkt: None,
            response_mode: ResponseMode::default(),
            authorization_details: None,
        }
    }

    fn round_trip(r: &ValidatedRequest) -> (ValidatedRequest, String) {
        let text = serde_json::to_string(r).unwrap();
        (serde_json::from_str(&text).unwrap(), text)
    }

    #[test]
    fn the_stored_form_reads_back_exactly_and_holds_each_value_once() {
        for redirect_param in [true, false] {
            let r = signed(redirect_param);
            let (back, text) = round_trip(&r);
            assert_eq!(back, r);
            // Each value once: the state is written in `parameters` only.
            assert_eq!(text.matches("st-1").count(), 1, "{text}");
            assert_eq!(text.matches("E9Melhoa").count(), 1, "{text}");
            // A number claim and the claims that are no parameter stay as they were.
            assert!(text.contains("\"max_age\":300") && text.contains("\"jti\":\"j-1\""));
            // Named in the request, it is written once; registered and used for a request that
            // named none, it is written as the typed field.
            assert_eq!(text.matches("rp.example/cb").count(), 1, "{text}");
            // The names of the values left out are bits of one number, not strings: client_id
            // (bit 0), redirect_uri (bit 1, only when the request named it), response_type,
            // state, nonce, code_challenge.
            let same = if redirect_param { 0b11_1111 } else { 0b11_1101 };
            assert!(text.contains(&format!("\"same\":{same},")), "{text}");
            assert!(!text.contains("\"trusted\":["), "{text}");
            assert!(!text.contains("\"same_claims\":["), "{text}");
            // A default prompt is left out.
            assert!(!text.contains("\"prompt\""), "{text}");
        }
    }

    #[test]
    fn a_name_list_is_a_number_only_when_the_number_gives_it_back() {
        let known = AUTHORIZATION_PARAMETERS;
        let write =
            |names: &[&str]| serde_json::to_string(&Names::of(names, known, Order::Kept)).unwrap();
        let read = |text: &str| -> Result<Vec<String>, String> {
            serde_json::from_str::<StoredNames>(text)
                .unwrap()
                .into_names(known)
        };
        // Known names in the known order: a number, read back as the same list.
        let names = ["client_id", "nonce", "state"];
        let text = write(&names);
        assert!(text.parse::<u32>().is_ok(), "{text}");
        assert_eq!(read(&text).unwrap(), names);
        assert_eq!(write(&[]), "0");
        // An unknown name, another order, a name twice: the list as it is.
        for names in [
            &["client_id", "x-custom"][..],
            &["state", "nonce"][..],
            &["nonce", "nonce"][..],
        ] {
            let text = write(names);
            assert!(text.starts_with('['), "{text}");
            assert_eq!(read(&text).unwrap(), names);
        }
        // A set whose order nothing reads is a number in any order, but not with a name twice.
        let set =
            |names: &[&str]| serde_json::to_string(&Names::of(names, known, Order::Free)).unwrap();
        assert_eq!(set(&["state", "nonce"]), write(&["nonce", "state"]));
        assert!(set(&["nonce", "nonce"]).starts_with('['));
        // A number with a bit past the known names is refused, not read as fewer names.
        assert!(read(&(1u32 << known.len()).to_string()).is_err());
    }

    #[test]
    fn an_unordered_trusted_list_reads_back_exactly() {
        let mut r = signed(true);
        r.trusted = vec!["state".into(), "client_id".into()];
        let (back, text) = round_trip(&r);
        assert_eq!(back, r);
        assert!(
            text.contains("\"trusted\":[\"state\",\"client_id\"]"),
            "{text}"
        );
    }

    #[test]
    fn the_older_form_with_every_value_reads_as_it_always_did() {
        let r = signed(true);
        let mut old = json!({
            "client_id": r.client_id, "redirect_uri": r.redirect_uri,
            "response_type": r.response_type, "scope": r.scope, "state": r.state,
            "nonce": r.nonce, "code_challenge": r.code_challenge, "prompt": r.prompt,
            "login_hint": r.login_hint, "parameters": r.parameters, "trusted": r.trusted,
            "request_object_values": r.request_object_values, "transport": r.transport,
            "request_object": r.request_object,
        });
        let back: ValidatedRequest = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(back, r);
        // A form that names a parameter that is not there is refused, not guessed.
        old["same"] = json!(["nonce"]);
        old["parameters"].as_object_mut().unwrap().remove("nonce");
        assert!(serde_json::from_value::<ValidatedRequest>(old).is_err());
    }

    #[test]
    fn a_value_that_differs_from_its_parameter_is_kept() {
        let mut r = signed(true);
        r.state = None; // a state the redirect target dropped while the parameter stays
        r.prompt.login = true; // a prompt other than the default is written
        r.request_object_values
            .as_mut()
            .unwrap()
            .insert("nonce".into(), json!("another"));
        let (back, _) = round_trip(&r);
        assert_eq!(back, r);
    }
}
