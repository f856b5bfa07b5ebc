//! Client registration: the keys of a `[[clients]]` entry (SPEC §2), also the JSON accepted by
//! `writ client add --json FILE`.
//!
//! This module checks structure and values that need no cryptography. Key material
//! (`jwk`, `jwks`, `x509` secrets) is parsed and checked by the core when the client is loaded.

use crate::alg::{Configured, JweAlg, JweEnc, JwsAlg, RequestObjectSigningAlg, unknown_jws_alg};
use crate::tokens::{check_id_token_alg, check_lifetime};
use crate::units::Seconds;
use serde::{Deserialize, Serialize};

/// The scopes a client gets when its registration names none.
pub const DEFAULT_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// The grant types a client may register (RFC 7591 §2).
pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];

/// How a client authenticates at the token and PAR endpoints (RFC 7591 §2,
/// OpenID Connect Core §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    /// HTTP Basic with the client secret (RFC 6749 §2.3.1).
    #[default]
    ClientSecretBasic,
    /// The client secret in the form body (RFC 6749 §2.3.1).
    ClientSecretPost,
    /// A JWT signed with the client's private key (RFC 7523, OpenID Connect Core §9).
    PrivateKeyJwt,
    /// A public client: no authentication, PKCE required.
    None,
}

impl TokenEndpointAuthMethod {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }
}

/// The kind of a client secret entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretType {
    /// A shared client secret (client_secret_*, HS* request objects, A*KW/dir decryption).
    Shared,
    /// One public JWK, JSON.
    Jwk,
    /// A JWK set, JSON.
    Jwks,
    /// An X.509 certificate, base64 DER or PEM; its public key is used.
    X509,
}

/// An expiry instant: RFC 3339 text (`2027-01-01T00:00:00Z`) or Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Expiry {
    /// Unix seconds.
    Unix(i64),
    /// RFC 3339 date-time.
    Text(String),
}

impl Expiry {
    /// Unix seconds, or an error naming the bad value.
    pub fn unix(&self) -> Result<i64, String> {
        match self {
            Expiry::Unix(t) => Ok(*t),
            Expiry::Text(s) => {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .map(|t| t.unix_timestamp())
                    .map_err(|e| format!("{s:?} is not an RFC 3339 date-time: {e}"))
            }
        }
    }
}

/// One entry of a client's `secrets` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSecret {
    /// What `value` holds.
    #[serde(rename = "type")]
    pub kind: SecretType,
    /// The secret, JWK, JWK set or certificate. A JWK or JWK set may be written as a JSON
    /// object (a TOML table) as well as a string holding its JSON; it is kept as JSON text.
    #[serde(deserialize_with = "string_or_json_object")]
    pub value: String,
    /// After this instant the entry is ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Expiry>,
}

/// A secret's `value`: a string as it is, or a JSON object (a JWK or JWK set written as a
/// table) as its JSON text.
fn string_or_json_object<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Value {
        Text(String),
        Object(serde_json::Map<String, serde_json::Value>),
    }
    match Value::deserialize(d) {
        Ok(Value::Text(s)) => Ok(s),
        Ok(Value::Object(o)) => Ok(serde_json::Value::Object(o).to_string()),
        Err(_) => Err(serde::de::Error::custom(
            "must be a string, or a JSON object (a JWK or a JWK set)",
        )),
    }
}

/// A client registration (SPEC §2 `[[clients]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The client identifier.
    pub client_id: String,
    /// A name shown to people on the consent page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// Registered redirect URIs, compared exactly (RFC 6749 §3.1.2, RFC 9700 §4.1.3).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Where the browser may be sent after an RP-initiated logout, compared exactly
    /// (OpenID Connect RP-Initiated Logout 1.0 §3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Grant types: `authorization_code`, `refresh_token`, `client_credentials`.
    #[serde(default = "default_grant_types")]
    pub grant_types: Vec<String>,
    /// Response types: `code`.
    #[serde(default = "default_response_types")]
    pub response_types: Vec<String>,
    /// Scopes the client may ask for (default: openid profile email offline_access).
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Client authentication method.
    #[serde(default)]
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// Client secrets and keys.
    #[serde(default)]
    pub secrets: Vec<ClientSecret>,
    /// Where the client publishes its JWK set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// This client must use signed request objects (RFC 9101 §10.5).
    #[serde(default)]
    pub require_signed_request_object: bool,
    /// If set, the only algorithm accepted for this client's request objects (OpenID Connect
    /// Dynamic Client Registration §2; `none` needs `allow_unsigned_by_value`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object_signing_alg: Option<Configured<RequestObjectSigningAlg>>,
    /// If set, request objects must be encrypted with exactly this key management algorithm
    /// (RFC 7518 §4.1; OpenID Connect Dynamic Client Registration §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object_encryption_alg: Option<Configured<JweAlg>>,
    /// If set, request objects must be encrypted with exactly this content encryption
    /// (RFC 7518 §5.1; OpenID Connect Dynamic Client Registration §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object_encryption_enc: Option<Configured<JweEnc>>,
    /// Allowed client-hosted `request_uri` patterns: exact, `prefix*`, or `*`.
    #[serde(default)]
    pub request_uris: Vec<String>,
    /// Accept `alg: none` request objects by value from this client.
    #[serde(default)]
    pub allow_unsigned_by_value: bool,
    /// The value `iss` must have in this client's request objects, instead of the client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object_issuer: Option<String>,
    /// PKCE required (default: required for public clients, optional for confidential ones;
    /// `plain` is always refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_pkce: Option<bool>,
    /// This client must use pushed authorization requests (RFC 9126 §6).
    #[serde(default)]
    pub require_par: bool,
    /// Access tokens only with a DPoP proof: a token request without one is refused (RFC
    /// 9449 §5.2).
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    /// This client's ID token algorithm, instead of `[tokens] id_token_signing_alg`
    /// (OpenID Connect Dynamic Client Registration §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signed_response_alg: Option<Configured<JwsAlg>>,
    /// Authorization responses to this client only as JWTs (JARM: `jwt`, `query.jwt`,
    /// `fragment.jwt`, `form_post.jwt`); a plain response mode is refused, and errors are
    /// delivered as `query.jwt` (SPEC §14).
    #[serde(default)]
    pub require_jarm: bool,
    /// The algorithm of this client's JARM responses (JARM §3; default RS256, PS256 under a
    /// FAPI profile): one the server holds a key for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_signed_response_alg: Option<Configured<JwsAlg>>,
    /// Encrypt this client's JARM responses with this key management algorithm (JARM §3; a
    /// nested JWT, signed then encrypted): to a key of its registration with `"use": "enc"`
    /// (RSA-OAEP*, ECDH-ES*), or keyed from its client secret (A*KW, `dir`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_encrypted_response_alg: Option<Configured<JweAlg>>,
    /// The content encryption of this client's JARM responses (default A128CBC-HS256, JARM §3);
    /// only with `authorization_encrypted_response_alg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_encrypted_response_enc: Option<Configured<JweEnc>>,
    /// Encrypt the signed introspection answers this caller asks for (RFC 9701 §6), as
    /// `authorization_encrypted_response_alg` does JARM responses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_encrypted_response_alg: Option<Configured<JweAlg>>,
    /// Their content encryption (default A128CBC-HS256); only with
    /// `introspection_encrypted_response_alg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_encrypted_response_enc: Option<Configured<JweEnc>>,
    /// The algorithm of this client's signed introspection responses (RFC 9701 §6; default
    /// RS256, PS256 under a FAPI profile): one the server holds a key for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_signed_response_alg: Option<Configured<JwsAlg>>,
    /// This client's access token lifetime, instead of `[tokens] access_token_lifetime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_lifetime: Option<Seconds>,
    /// This client's refresh token lifetime, instead of `[tokens] refresh_token_lifetime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_lifetime: Option<Seconds>,
    /// The `authorization_details` types this client may use (RFC 9396 §2), among `[rar]
    /// types`; unset: all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details_types: Option<Vec<String>>,
    /// A FAPI profile for this client alone (SPEC §17), beside the server-wide one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<crate::preset::Profile>,
}

fn default_grant_types() -> Vec<String> {
    vec!["authorization_code".into(), "refresh_token".into()]
}
fn default_response_types() -> Vec<String> {
    vec!["code".into()]
}
fn default_scopes() -> Vec<String> {
    DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect()
}

/// Longest accepted `client_id`.
pub const MAX_CLIENT_ID_LEN: usize = 255;

/// Whether `id` could be a registered client id: 1 to [`MAX_CLIENT_ID_LEN`] printable ASCII
/// characters, no space. Lookups check it before asking the store, so an id no client can
/// have (one with a NUL byte, which PostgreSQL refuses in text) is simply unknown.
pub fn is_client_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_CLIENT_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Whether a `request_uris` prefix (the text before `*`) fixes the host: `scheme://host[:port]/`
/// comes first, with no `?`, `#` or backslash in the authority, and no `#` anywhere (a fetched URI
/// never has a fragment, so a prefix with one would either never match or, cut at the `#`,
/// match more than it says: `https://rp.example#/` would become `https://rp.example`, which
/// `https://rp.example.evil/` starts with). Checked when a client is registered and again by
/// the matcher (`writ_core::authorize::request_uri`).
pub fn prefix_fixes_the_host(base: &str) -> bool {
    let Some((_, rest)) = base.split_once("://") else {
        return false;
    };
    let Some(end) = rest.find('/') else {
        return false;
    };
    !rest[..end].contains(['?', '#', '\\']) && !base.contains('#')
}

impl ClientConfig {
    /// `true` for a public client (`token_endpoint_auth_method = "none"`).
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == TokenEndpointAuthMethod::None
    }

    /// Whether PKCE is required for this client.
    pub fn pkce_required(&self) -> bool {
        self.require_pkce.unwrap_or(self.is_public())
    }

    /// The name shown to people: `client_name`, else the id.
    pub fn display_name(&self) -> &str {
        self.client_name.as_deref().unwrap_or(&self.client_id)
    }

    /// The responses this client may have encrypted to it, each with its registered `alg` and
    /// `enc`: `authorization` (JARM) and `introspection` (RFC 9701).
    #[allow(clippy::type_complexity)]
    pub fn response_encryption(
        &self,
    ) -> [(
        &'static str,
        Option<&Configured<JweAlg>>,
        Option<&Configured<JweEnc>>,
    ); 2] {
        [
            (
                "authorization",
                self.authorization_encrypted_response_alg.as_ref(),
                self.authorization_encrypted_response_enc.as_ref(),
            ),
            (
                "introspection",
                self.introspection_encrypted_response_alg.as_ref(),
                self.introspection_encrypted_response_enc.as_ref(),
            ),
        ]
    }

    /// Check everything that needs no cryptography. Each problem names the key.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errs = Vec::new();
        let id = &self.client_id;
        if id.is_empty() || id.len() > MAX_CLIENT_ID_LEN {
            errs.push(format!(
                "client_id: must be 1 to {MAX_CLIENT_ID_LEN} characters"
            ));
        } else if !is_client_id(id) {
            errs.push("client_id: only printable ASCII without spaces is allowed".into());
        }
        for (i, uri) in self.redirect_uris.iter().enumerate() {
            if let Err(e) = check_redirect_uri(uri) {
                errs.push(format!("redirect_uris[{i}]: {e}"));
            }
        }
        for (i, uri) in self.post_logout_redirect_uris.iter().enumerate() {
            if let Err(e) = check_redirect_uri(uri) {
                errs.push(format!("post_logout_redirect_uris[{i}]: {e}"));
            }
        }
        if self.grant_types.iter().any(|g| g == "authorization_code")
            && self.redirect_uris.is_empty()
        {
            errs.push("redirect_uris: the authorization_code grant needs at least one".into());
        }
        for g in &self.grant_types {
            if !GRANT_TYPES.contains(&g.as_str()) {
                errs.push(format!(
                    "grant_types: {g:?} is not supported ({})",
                    GRANT_TYPES.join(", ")
                ));
            }
        }
        // RFC 6749 §4.4: the client_credentials grant is for confidential clients only.
        if self.grant_types.iter().any(|g| g == "client_credentials") && self.is_public() {
            errs.push(
                "grant_types: client_credentials needs a confidential client (a \
                 token_endpoint_auth_method other than none, RFC 6749 §4.4)"
                    .into(),
            );
        }
        for r in &self.response_types {
            if r != "code" {
                errs.push(format!("response_types: {r:?} is not supported (code)"));
            }
        }
        for s in &self.scopes {
            if s.is_empty()
                || !s
                    .chars()
                    .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
            {
                errs.push(format!(
                    "scopes: {s:?} is not a valid scope token (RFC 6749 §3.3)"
                ));
            }
        }
        for (i, s) in self.secrets.iter().enumerate() {
            if s.value.trim().is_empty() {
                errs.push(format!("secrets[{i}].value: must not be empty"));
            }
            if let Some(exp) = &s.expires
                && let Err(e) = exp.unix()
            {
                errs.push(format!("secrets[{i}].expires: {e}"));
            }
        }
        let has = |k: SecretType| self.secrets.iter().any(|s| s.kind == k);
        match self.token_endpoint_auth_method {
            TokenEndpointAuthMethod::ClientSecretBasic
            | TokenEndpointAuthMethod::ClientSecretPost => {
                if !has(SecretType::Shared) {
                    errs.push(format!(
                        "secrets: token_endpoint_auth_method {:?} needs a secret of type \"shared\"",
                        self.token_endpoint_auth_method.as_str()
                    ));
                }
            }
            TokenEndpointAuthMethod::PrivateKeyJwt => {
                if !(has(SecretType::Jwk)
                    || has(SecretType::Jwks)
                    || has(SecretType::X509)
                    || self.jwks_uri.is_some())
                {
                    errs.push(
                        "secrets: private_key_jwt needs a key (type jwk, jwks or x509) or a jwks_uri"
                            .into(),
                    );
                }
            }
            TokenEndpointAuthMethod::None => {
                if self.require_pkce == Some(false) {
                    errs.push(
                        "require_pkce: a public client (auth method none) always needs PKCE".into(),
                    );
                }
            }
        }
        if let Some(u) = &self.jwks_uri {
            match url::Url::parse(u) {
                Ok(p) if p.scheme() == "https" || p.scheme() == "http" => {}
                _ => errs.push(format!("jwks_uri: {u:?} is not an http(s) URL")),
            }
        }
        // The names were parsed when the registration was read; here the ones that did not
        // parse are reported with their key.
        if let Some(a) = self
            .request_object_signing_alg
            .as_ref()
            .and_then(|a| a.refused())
        {
            errs.push(unknown_jws_alg("request_object_signing_alg", a));
        }
        if let Some(a) = self
            .request_object_encryption_alg
            .as_ref()
            .and_then(|a| a.refused())
        {
            errs.push(format!(
                "request_object_encryption_alg: unsupported algorithm {a:?}"
            ));
        }
        if let Some(e) = self
            .request_object_encryption_enc
            .as_ref()
            .and_then(|e| e.refused())
        {
            errs.push(format!(
                "request_object_encryption_enc: unsupported encryption {e:?}"
            ));
        }
        for (i, p) in self.request_uris.iter().enumerate() {
            if p == "*" {
                continue;
            }
            let base = p.strip_suffix('*').unwrap_or(p);
            if url::Url::parse(base).is_err() {
                errs.push(format!(
                    "request_uris[{i}]: {p:?} must be a URL, a URL prefix ending in *, or *"
                ));
            } else if base.len() < p.len() && !prefix_fixes_the_host(base) {
                // `https://rp.example*` would also match `https://rp.example.evil/...`.
                errs.push(format!(
                    "request_uris[{i}]: the prefix {p:?} must include the whole host and a / \
                     after it (e.g. https://rp.example/requests/*)"
                ));
            }
        }
        if self.require_signed_request_object && self.allow_unsigned_by_value {
            errs.push(
                "allow_unsigned_by_value: cannot be combined with require_signed_request_object"
                    .into(),
            );
        }
        if self
            .request_object_signing_alg
            .as_ref()
            .is_some_and(|a| a.is(RequestObjectSigningAlg::Unsigned))
            && !self.allow_unsigned_by_value
        {
            errs.push(
                "request_object_signing_alg: \"none\" needs allow_unsigned_by_value = true".into(),
            );
        }
        if let Some(a) = &self.id_token_signed_response_alg {
            errs.extend(check_id_token_alg("id_token_signed_response_alg", a));
        }
        for (i, t) in self
            .authorization_details_types
            .iter()
            .flatten()
            .enumerate()
        {
            if !crate::rar::is_type_name(t) {
                errs.push(format!(
                    "authorization_details_types[{i}]: {t:?} is not a type name"
                ));
            }
        }
        for (what, alg, enc) in self.response_encryption() {
            if let Some(a) = alg.and_then(|a| a.refused()) {
                errs.push(format!(
                    "{what}_encrypted_response_alg: unsupported algorithm {a:?}"
                ));
            }
            if let Some(e) = enc.and_then(|e| e.refused()) {
                errs.push(format!(
                    "{what}_encrypted_response_enc: unsupported encryption {e:?}"
                ));
            }
            if enc.is_some() && alg.is_none() {
                errs.push(format!(
                    "{what}_encrypted_response_enc: needs {what}_encrypted_response_alg"
                ));
            }
        }
        if let Some(a) = &self.authorization_signed_response_alg {
            errs.extend(check_id_token_alg("authorization_signed_response_alg", a));
        }
        if let Some(a) = &self.introspection_signed_response_alg {
            errs.extend(check_id_token_alg("introspection_signed_response_alg", a));
        }
        if let Some(l) = self.access_token_lifetime {
            errs.extend(check_lifetime("access_token_lifetime", l, 24 * 3600));
        }
        if let Some(l) = self.refresh_token_lifetime {
            errs.extend(check_lifetime("refresh_token_lifetime", l, 366 * 24 * 3600));
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }
}

/// RFC 6749 §3.1.2: an absolute URI without a fragment; https, or http only for loopback
/// hosts (RFC 8252 §7.3), or a private-use scheme for native apps (RFC 8252 §7.1).
pub fn check_redirect_uri(uri: &str) -> Result<(), String> {
    if uri.len() > 2048 {
        return Err("longer than 2048 characters".into());
    }
    let u = url::Url::parse(uri).map_err(|e| format!("{uri:?} is not an absolute URI ({e})"))?;
    if u.fragment().is_some() {
        return Err(format!(
            "{uri:?} must not contain a fragment (RFC 6749 §3.1.2)"
        ));
    }
    match u.scheme() {
        "https" => Ok(()),
        "http" => match u.host_str() {
            Some("localhost") | Some("127.0.0.1") | Some("[::1]") => Ok(()),
            _ => Err(format!(
                "{uri:?}: plain http is only allowed for loopback redirect URIs (RFC 8252 §7.3)"
            )),
        },
        "javascript" | "data" | "file" | "vbscript" | "blob" => {
            Err(format!("{uri:?}: scheme {:?} is not allowed", u.scheme()))
        }
        s if s.contains('.') => Ok(()), // private-use scheme, RFC 8252 §7.1
        s => Err(format!(
            "{uri:?}: custom scheme {s:?} must be a reverse domain name (RFC 8252 §7.1)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(json: &str) -> ClientConfig {
        serde_json::from_str(json).unwrap()
    }

    /// Issue 17: a JWK or JWK set may be written as an object (JSON) or a table (TOML),
    /// and reads the same as the string holding its JSON.
    #[test]
    fn a_jwk_value_may_be_an_object_or_a_table() {
        let jwk = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
        let as_string = client(&format!(
            r#"{{"client_id":"c","redirect_uris":["https://rp.example/cb"],
                "token_endpoint_auth_method":"private_key_jwt",
                "secrets":[{{"type":"jwk","value":{}}}]}}"#,
            serde_json::to_string(jwk).unwrap()
        ));
        let as_object = client(&format!(
            r#"{{"client_id":"c","redirect_uris":["https://rp.example/cb"],
                "token_endpoint_auth_method":"private_key_jwt",
                "secrets":[{{"type":"jwk","value":{jwk}}}]}}"#
        ));
        let parsed = |c: &ClientConfig| -> serde_json::Value {
            serde_json::from_str(&c.secrets[0].value).unwrap()
        };
        assert_eq!(parsed(&as_string), parsed(&as_object));
        let as_table: ClientConfig = toml::from_str(
            r#"
            client_id = "c"
            redirect_uris = ["https://rp.example/cb"]
            token_endpoint_auth_method = "private_key_jwt"
            secrets = [{ type = "jwks", value = { keys = [{ kty = "EC", crv = "P-256", x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }] } }]
            "#,
        )
        .unwrap();
        assert_eq!(parsed(&as_table)["keys"][0], parsed(&as_object));
        let e = serde_json::from_str::<ClientConfig>(
            r#"{"client_id":"c","secrets":[{"type":"jwk","value":42}]}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("must be a string, or a JSON object"),
            "{e}"
        );
    }

    #[test]
    fn minimal_confidential_client_is_valid() {
        let c = client(
            r#"{"client_id":"c1","redirect_uris":["https://rp.example/cb"],
                "secrets":[{"type":"shared","value":"s3cret-s3cret-s3cret-s3cret-s3cret"}]}"#,
        );
        c.validate().unwrap();
        assert!(!c.is_public());
        assert!(!c.pkce_required());
        assert_eq!(c.scopes, DEFAULT_SCOPES);
    }

    #[test]
    fn unknown_client_key_is_rejected_by_name() {
        let e = serde_json::from_str::<ClientConfig>(
            r#"{"client_id":"c1","redirect_uri":["https://rp.example/cb"]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("redirect_uri"), "{e}");
    }

    #[test]
    fn client_credentials_is_refused_for_a_public_client() {
        let c: ClientConfig = serde_json::from_str(
            r#"{"client_id":"p","token_endpoint_auth_method":"none",
                "grant_types":["client_credentials"]}"#,
        )
        .unwrap();
        let errs = c.validate().unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.contains("client_credentials needs a confidential client")),
            "{errs:?}"
        );
    }

    #[test]
    fn secret_basic_without_shared_secret_is_invalid() {
        let c = client(r#"{"client_id":"c1","redirect_uris":["https://rp.example/cb"]}"#);
        let errs = c.validate().unwrap_err();
        assert!(errs.iter().any(|e| e.contains("shared")), "{errs:?}");
    }

    #[test]
    fn public_client_requires_pkce() {
        let c = client(
            r#"{"client_id":"spa","redirect_uris":["https://rp.example/cb"],
                "token_endpoint_auth_method":"none"}"#,
        );
        c.validate().unwrap();
        assert!(c.pkce_required());
        let c = client(
            r#"{"client_id":"spa","redirect_uris":["https://rp.example/cb"],
                "token_endpoint_auth_method":"none","require_pkce":false}"#,
        );
        assert!(c.validate().is_err());
    }

    #[test]
    fn redirect_uri_rules_rfc6749_3_1_2() {
        assert!(check_redirect_uri("https://rp.example/cb").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:9000/cb").is_ok());
        assert!(check_redirect_uri("com.example.app:/cb").is_ok());
        assert!(check_redirect_uri("https://rp.example/cb#frag").is_err());
        assert!(check_redirect_uri("http://rp.example/cb").is_err());
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
        assert!(check_redirect_uri("/relative").is_err());
    }

    #[test]
    fn unsigned_by_value_conflicts_with_required_signing() {
        let c = client(
            r#"{"client_id":"c1","redirect_uris":["https://rp.example/cb"],"token_endpoint_auth_method":"none",
                "require_signed_request_object":true,"allow_unsigned_by_value":true}"#,
        );
        assert!(c.validate().is_err());
    }

    #[test]
    fn request_object_signing_alg_ed25519_is_valid_rfc9864_2_2() {
        let with = |alg: &str| {
            client(&format!(
                r#"{{"client_id":"c1","redirect_uris":["https://rp.example/cb"],
                    "token_endpoint_auth_method":"private_key_jwt",
                    "jwks_uri":"https://rp.example/jwks",
                    "request_object_signing_alg":"{alg}"}}"#
            ))
            .validate()
        };
        with("Ed25519").unwrap();
        with("EdDSA").unwrap();
        let errs = with("Ed448").unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.contains("\"Ed448\" is not supported") && e.contains("\"Ed25519\"")),
            "{errs:?}"
        );
        let errs = with("ed25519").unwrap_err();
        assert!(
            errs.iter().any(|e| e.contains("unknown algorithm")),
            "{errs:?}"
        );
    }

    #[test]
    fn algorithm_fields_are_typed_and_round_trip_through_json() {
        let c = client(
            r#"{"client_id":"c1","redirect_uris":["https://rp.example/cb"],
                "token_endpoint_auth_method":"none","allow_unsigned_by_value":true,
                "request_object_signing_alg":"none",
                "request_object_encryption_alg":"ECDH-ES+A256KW",
                "request_object_encryption_enc":"A256CBC-HS512"}"#,
        );
        c.validate().unwrap();
        assert_eq!(
            c.request_object_signing_alg,
            Some(Configured::Known(RequestObjectSigningAlg::Unsigned))
        );
        assert_eq!(
            c.request_object_encryption_alg,
            Some(Configured::Known(JweAlg::EcdhEsA256Kw))
        );
        assert_eq!(
            c.request_object_encryption_enc,
            Some(Configured::Known(JweEnc::A256CbcHs512))
        );
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["request_object_signing_alg"], "none");
        assert_eq!(json["request_object_encryption_alg"], "ECDH-ES+A256KW");
        assert_eq!(json["request_object_encryption_enc"], "A256CBC-HS512");
        assert_eq!(serde_json::from_value::<ClientConfig>(json).unwrap(), c);
    }

    #[test]
    fn secret_expiry_accepts_rfc3339_and_unix() {
        assert_eq!(Expiry::Unix(5).unix().unwrap(), 5);
        assert_eq!(
            Expiry::Text("1970-01-01T00:01:00Z".into()).unix().unwrap(),
            60
        );
        assert!(Expiry::Text("tomorrow".into()).unix().is_err());
    }

    #[test]
    fn request_uris_prefix_must_fix_the_host() {
        let with = |p: &str| {
            client(&format!(
                r#"{{"client_id":"c1","redirect_uris":["https://rp.example/cb"],
                    "token_endpoint_auth_method":"none","request_uris":["{p}"]}}"#
            ))
            .validate()
        };
        assert!(with("https://rp.example/requests/*").is_ok());
        assert!(with("https://rp.example/ro/1").is_ok());
        assert!(with("*").is_ok());
        for p in [
            "https://rp.example*",
            "https://rp.example#/*",
            "https://rp.example?/*",
            "https://rp.example/ro#*",
        ] {
            let errs = with(p).unwrap_err();
            assert!(
                errs.iter().any(|e| e.contains("whole host")),
                "{p}: {errs:?}"
            );
        }
        assert!(with("not a url*").is_err());
    }
}
