//! How a [`ValidatedRequest`] is stored and sealed (a pushed request's row, an interaction's
//! row or sealed id): each value once. The typed fields (`state`, `nonce`, ...) are copies of
//! `parameters` entries, and a signed request object's claims are again the same strings; a
//! value equal to its `parameters` entry is left out and its name listed in `same` (typed
//! fields) or `same_claims` (request-object claims), and put back when read. Only exact
//! equals are left out, so reading gives back exactly what was written; a form written before
//! (every value present, name lists as strings) reads as it always did.
//!
//! One stored form ([`Out`]), written two ways: as JSON for rows, and in the compact binary
//! form of [`crate::compact`] for the sealed interaction id, the one written on every
//! `/authorize` (issue 18). Both are read back through the same checks (`TryFrom<Stored>`).

use super::{AUTHORIZATION_PARAMETERS, ValidatedRequest};
use crate::authorize::prompt::PromptRequest;
use crate::authorize::request_object::{
    Encryption, RequestObjectHeader, RequestObjectInfo, Signer,
};
use crate::authorize::transport::Transport;
use crate::clients::KeySource;
use crate::compact::{Compact, FormError, Reader, Writer};
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
    fn of(names: Vec<&'a str>, index: fn(&str) -> Option<usize>, order: Order) -> Self {
        let mut mask = 0u32;
        let mut last = None;
        for name in &names {
            match index(name) {
                Some(i)
                    if i < 32
                        && mask & (1 << i) == 0
                        && (order == Order::Free || last.is_none_or(|l| i > l)) =>
                {
                    mask |= 1 << i;
                    last = Some(i);
                }
                _ => return Names::List(names),
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

/// The index of `name` in [`AUTHORIZATION_PARAMETERS`]. A scan: string equality rejects on
/// length first, and costs less than the ordered comparisons of a binary search (~100
/// against ~240 instructions per name by callgrind).
fn param_index(name: &str) -> Option<usize> {
    AUTHORIZATION_PARAMETERS.iter().position(|k| *k == name)
}

/// The index of `name` in `TYPED`.
fn typed_index(name: &str) -> Option<usize> {
    TYPED.iter().position(|k| *k == name)
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
/// authorize path seals every request: no copy of the claims is made for it). Which claims
/// are left out is found once, in [`Claims::new`].
struct Claims<'a> {
    all: &'a Map<String, Value>,
    /// Per claim, in the map's order: whether it is left out.
    same: Vec<bool>,
}

impl<'a> Claims<'a> {
    fn new(all: &'a Map<String, Value>, parameters: &BTreeMap<String, String>) -> Self {
        let same = all
            .iter()
            .map(|(k, v)| {
                v.as_str().is_some() && parameters.get(k).map(String::as_str) == v.as_str()
            })
            .collect();
        Claims { all, same }
    }

    /// The names of the claims left out.
    fn same_names(&self) -> Vec<&'a str> {
        self.all
            .iter()
            .zip(&self.same)
            .filter(|(_, same)| **same)
            .map(|((k, _), _)| k.as_str())
            .collect()
    }

    /// The claims written: those not left out.
    fn kept(&self) -> impl Iterator<Item = (&'a String, &'a Value)> + '_ {
        self.all
            .iter()
            .zip(&self.same)
            .filter(|(_, same)| !**same)
            .map(|(kv, _)| kv)
    }
}

impl Serialize for Claims<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.kept())
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
        self.stored_form().serialize(serializer)
    }
}

impl ValidatedRequest {
    /// The stored form: each value once ([`Out`]).
    fn stored_form(&self) -> Out<'_> {
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
        let request_object_values = self
            .request_object_values
            .as_ref()
            .map(|all| Claims::new(all, params));
        let same_claims = request_object_values
            .as_ref()
            .map(Claims::same_names)
            .unwrap_or_default();
        Out {
            same: Names::of(same, typed_index, Order::Free),
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
            trusted: Names::of(
                self.trusted.iter().map(String::as_str).collect(),
                param_index,
                Order::Kept,
            ),
            request_object_values,
            same_claims: Names::of(same_claims, param_index, Order::Free),
            transport: self.transport,
            request_object: self.request_object.as_ref(),
            dpop_jkt: self.dpop_jkt.as_deref(),
            response_mode: self.response_mode,
            authorization_details: self.authorization_details.as_deref(),
        }
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

/// The compact form of a validated request (sealed into an interaction's id): the stored form
/// ([`Out`]) field by field, without names. A parameter or claim named in
/// [`AUTHORIZATION_PARAMETERS`] is written as its index there.
impl Compact for ValidatedRequest {
    fn write(&self, w: &mut Writer) -> Result<(), FormError> {
        let o = self.stored_form();
        write_names(w, &o.same);
        for v in [
            o.client_id,
            o.redirect_uri,
            o.response_type,
            o.state,
            o.nonce,
            o.code_challenge,
            o.login_hint,
        ] {
            w.opt_str(v);
        }
        w.strs(o.scope);
        let p = o.prompt;
        w.u8(u8::from(p.none) | u8::from(p.login) << 1 | u8::from(p.max_age.is_some()) << 2);
        if let Some(max_age) = p.max_age {
            w.int(max_age);
        }
        w.uint(o.parameters.len() as u64);
        for (k, v) in o.parameters {
            write_name(w, k);
            w.str(v);
        }
        write_names(w, &o.trusted);
        match &o.request_object_values {
            None => w.u8(0),
            Some(claims) => {
                w.u8(1);
                w.uint(claims.same.iter().filter(|same| !**same).count() as u64);
                for (k, v) in claims.kept() {
                    write_name(w, k);
                    match (v, v.as_u64()) {
                        (Value::String(s), _) => {
                            w.u8(0);
                            w.str(s);
                        }
                        (_, Some(n)) => {
                            w.u8(1);
                            w.uint(n);
                        }
                        (other, None) => {
                            w.u8(2);
                            w.json(other)?;
                        }
                    }
                }
            }
        }
        write_names(w, &o.same_claims);
        // Exhaustive matches, here and for the key source: a new variant must be given a
        // byte before this compiles.
        w.u8(match o.transport {
            Transport::Query => 0,
            Transport::ByValue => 1,
            Transport::ByReference => 2,
            Transport::Pushed => 3,
        });
        match o.request_object {
            None => w.u8(0),
            Some(info) => {
                w.u8(1);
                w.str(&info.header.alg);
                w.opt_str(info.header.kid.as_deref());
                w.opt_str(info.header.typ.as_deref());
                match &info.signer {
                    None => w.u8(0),
                    Some(signer) => {
                        w.u8(1);
                        w.opt_str(signer.kid.as_deref());
                        w.str(&signer.kty);
                        w.u8(match signer.source {
                            KeySource::Jwk => 0,
                            KeySource::Jwks => 1,
                            KeySource::X509 => 2,
                            KeySource::JwksUri => 3,
                            KeySource::Shared => 4,
                        });
                        w.opt_str(signer.thumbprint.as_deref());
                    }
                }
                match &info.encryption {
                    None => w.u8(0),
                    Some(e) => {
                        w.u8(1);
                        w.str(&e.alg);
                        w.str(&e.enc);
                        w.opt_str(e.kid.as_deref());
                    }
                }
            }
        }
        w.opt_str(o.dpop_jkt);
        if o.response_mode.is_default() {
            w.u8(0);
        } else {
            w.u8(1);
            w.json(&o.response_mode)?;
        }
        match o.authorization_details {
            None => w.u8(0),
            Some(details) => {
                w.u8(1);
                w.json(details)?;
            }
        }
        Ok(())
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, FormError> {
        let same = read_names(r, TYPED)?;
        let client_id = r.opt_string()?;
        let redirect_uri = r.opt_string()?;
        let response_type = r.opt_string()?;
        let state = r.opt_string()?;
        let nonce = r.opt_string()?;
        let code_challenge = r.opt_string()?;
        let login_hint = r.opt_string()?;
        let scope = r.strings()?;
        let flags = r.u8()?;
        if flags > 0b111 {
            return Err(FormError("unknown prompt flags"));
        }
        let prompt = PromptRequest {
            none: flags & 1 != 0,
            login: flags & 2 != 0,
            max_age: if flags & 4 != 0 { Some(r.int()?) } else { None },
        };
        let mut parameters = BTreeMap::new();
        for _ in 0..r.count()? {
            let k = read_name(r)?;
            let v = r.string()?;
            if parameters.insert(k, v).is_some() {
                return Err(FormError("a parameter twice"));
            }
        }
        let trusted = read_names(r, AUTHORIZATION_PARAMETERS)?;
        let request_object_values = if r.flag()? {
            let mut claims = Map::new();
            for _ in 0..r.count()? {
                let k = read_name(r)?;
                let v = match r.u8()? {
                    0 => Value::String(r.string()?),
                    1 => Value::Number(r.uint()?.into()),
                    2 => r.json()?,
                    _ => return Err(FormError("unknown claim type")),
                };
                if claims.insert(k, v).is_some() {
                    return Err(FormError("a claim twice"));
                }
            }
            Some(claims)
        } else {
            None
        };
        let same_claims = read_names(r, AUTHORIZATION_PARAMETERS)?;
        let transport = match r.u8()? {
            0 => Transport::Query,
            1 => Transport::ByValue,
            2 => Transport::ByReference,
            3 => Transport::Pushed,
            _ => return Err(FormError("unknown transport")),
        };
        let request_object = if r.flag()? {
            let header = RequestObjectHeader {
                alg: r.string()?,
                kid: r.opt_string()?,
                typ: r.opt_string()?,
            };
            let signer = if r.flag()? {
                Some(Signer {
                    kid: r.opt_string()?,
                    kty: r.string()?,
                    source: match r.u8()? {
                        0 => KeySource::Jwk,
                        1 => KeySource::Jwks,
                        2 => KeySource::X509,
                        3 => KeySource::JwksUri,
                        4 => KeySource::Shared,
                        _ => return Err(FormError("unknown key source")),
                    },
                    thumbprint: r.opt_string()?,
                })
            } else {
                None
            };
            let encryption = if r.flag()? {
                Some(Encryption {
                    alg: r.string()?,
                    enc: r.string()?,
                    kid: r.opt_string()?,
                })
            } else {
                None
            };
            Some(RequestObjectInfo {
                header,
                signer,
                encryption,
            })
        } else {
            None
        };
        let dpop_jkt = r.opt_string()?;
        let response_mode = if r.flag()? {
            r.json()?
        } else {
            ResponseMode::default()
        };
        let authorization_details = if r.flag()? { Some(r.json()?) } else { None };
        ValidatedRequest::try_from(Stored {
            same,
            client_id,
            redirect_uri,
            response_type,
            scope,
            state,
            nonce,
            code_challenge,
            prompt,
            login_hint,
            parameters,
            trusted,
            request_object_values,
            same_claims,
            transport,
            request_object,
            dpop_jkt,
            response_mode,
            authorization_details,
        })
        .map_err(|_| FormError("an inconsistent stored request"))
    }
}

/// A name: `i + 1` for the `i`-th of [`AUTHORIZATION_PARAMETERS`], else `0` and the name.
fn write_name(w: &mut Writer, name: &str) {
    match param_index(name) {
        Some(i) => w.uint(i as u64 + 1),
        None => {
            w.uint(0);
            w.str(name);
        }
    }
}

fn read_name(r: &mut Reader<'_>) -> Result<String, FormError> {
    match r.uint()? {
        0 => r.string(),
        i => usize::try_from(i - 1)
            .ok()
            .and_then(|i| AUTHORIZATION_PARAMETERS.get(i))
            .map(|k| (*k).to_string())
            .ok_or(FormError("an unknown parameter index")),
    }
}

/// [`Names`]: `0` and the bit set, or `1` and the list.
fn write_names(w: &mut Writer, names: &Names<'_>) {
    match names {
        Names::Mask(m) => {
            w.u8(0);
            w.uint(u64::from(*m));
        }
        Names::List(l) => {
            w.u8(1);
            w.strs(l);
        }
    }
}

fn read_names(r: &mut Reader<'_>, known: &[&str]) -> Result<Vec<String>, FormError> {
    let names = if r.flag()? {
        StoredNames::List(r.strings()?)
    } else {
        let m = u32::try_from(r.uint()?).map_err(|_| FormError("a name set past 32 bits"))?;
        StoredNames::Mask(m)
    };
    names
        .into_names(known)
        .map_err(|_| FormError("a name set with unknown names"))
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
    fn a_name_is_found_at_its_index_in_its_known_list() {
        for (i, name) in AUTHORIZATION_PARAMETERS.iter().enumerate() {
            assert_eq!(param_index(name), Some(i));
        }
        assert_eq!(param_index("x-unknown"), None);
        assert_eq!(typed_index("state"), Some(3));
    }

    #[test]
    fn a_name_list_is_a_number_only_when_the_number_gives_it_back() {
        let known = AUTHORIZATION_PARAMETERS;
        let write = |names: &[&str]| {
            serde_json::to_string(&Names::of(names.to_vec(), param_index, Order::Kept)).unwrap()
        };
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
        let set = |names: &[&str]| {
            serde_json::to_string(&Names::of(names.to_vec(), param_index, Order::Free)).unwrap()
        };
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

    fn compact_round_trip(r: &ValidatedRequest) -> (ValidatedRequest, usize) {
        let mut w = Writer::new(Vec::new());
        r.write(&mut w).unwrap();
        let bytes = w.into_inner();
        let mut reader = Reader::new(&bytes);
        let back = ValidatedRequest::read(&mut reader).unwrap();
        reader.end().unwrap();
        (back, bytes.len())
    }

    #[test]
    fn the_compact_form_reads_back_exactly_and_is_smaller_than_the_json() {
        for redirect_param in [true, false] {
            let r = signed(redirect_param);
            let (back, len) = compact_round_trip(&r);
            assert_eq!(back, r);
            let json = serde_json::to_vec(&r).unwrap().len();
            assert!(len * 3 < json * 2, "{len} bytes against {json} of JSON");
        }
        // Every optional part present, unknown names, claims that are not strings or integers.
        let mut r = signed(true);
        r.parameters.insert("x-unknown".into(), "v".into());
        r.trusted = vec!["state".into(), "x-unknown".into()];
        r.login_hint = Some("alice".into());
        r.prompt = PromptRequest {
            none: false,
            login: true,
            max_age: Some(-5),
        };
        let claims = r.request_object_values.as_mut().unwrap();
        claims.insert("x-unknown".into(), json!("v"));
        claims.insert("ratio".into(), json!(1.5));
        claims.insert("below".into(), json!(-7));
        claims.insert("list".into(), json!([1, {"a": null}]));
        claims.insert("nonce".into(), json!("differs"));
        let info = r.request_object.as_mut().unwrap();
        info.signer = Some(Signer {
            kid: None,
            kty: "EC".into(),
            source: KeySource::JwksUri,
            thumbprint: Some("t".into()),
        });
        info.encryption = Some(Encryption {
            alg: "ECDH-ES".into(),
            enc: "A256GCM".into(),
            kid: Some("enc-1".into()),
        });
        r.dpop_jkt = Some("jkt".into());
        r.response_mode =
            serde_json::from_value(json!({"channel": "form_post", "jarm": "ES256"})).unwrap();
        r.authorization_details = Some(vec![json!({"type": "payment", "amount": 3})]);
        r.transport = Transport::Pushed;
        assert_eq!(compact_round_trip(&r).0, r);
        // A plain request: no request object.
        let mut plain = signed(false);
        plain.request_object = None;
        plain.request_object_values = None;
        plain.trusted.clear();
        plain.transport = Transport::Query;
        assert_eq!(compact_round_trip(&plain).0, plain);
    }

    #[test]
    fn every_cut_of_a_compact_form_is_refused_without_panic() {
        let mut w = Writer::new(Vec::new());
        signed(true).write(&mut w).unwrap();
        let bytes = w.into_inner();
        for n in 0..bytes.len() {
            let mut r = Reader::new(&bytes[..n]);
            let read = ValidatedRequest::read(&mut r).and_then(|_| r.end());
            assert!(read.is_err(), "{n} of {} bytes read", bytes.len());
        }
    }

    #[test]
    fn any_changed_byte_of_a_compact_form_reads_or_is_refused_without_panic() {
        let mut w = Writer::new(Vec::new());
        signed(true).write(&mut w).unwrap();
        let bytes = w.into_inner();
        for i in 0..bytes.len() {
            for b in [0x00, 0x01, 0x02, 0x7f, 0x80, 0xff] {
                let mut changed = bytes.clone();
                changed[i] = b;
                let mut r = Reader::new(&changed);
                // Either outcome is fine; what is proved is that nothing panics and that a
                // length is never trusted beyond the input.
                let _ = ValidatedRequest::read(&mut r);
            }
        }
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
