//! The configuration surface of SPEC §2: one versioned TOML file (`writ.toml`), every table
//! with `deny_unknown_fields` so a typo stops start-up with the key's name. Loading (file plus
//! `WRIT_` environment overrides) is the server's job; this module holds the types, the
//! defaults and the checks.
//!
//! These key names are an interface: tools outside the project write such files.

use crate::alg::{AlgList, JweAlg, JweEnc, JwsAlg, unknown_jws_alg};
use crate::client::ClientConfig;
pub use crate::preset::Profile;
pub use crate::profile::ProfileRules;
pub use crate::tokens::{
    AssertionAudience, ClientAuthConfig, DPOP_MAX_FUTURE_SECS, DpopConfig, DpopNonce,
    ID_TOKEN_SIGNING_ALGS, RefreshRotation, TokensConfig,
};
use crate::units::{ByteSize, Seconds};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The address `writ serve` listens on by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The top-level keys of [`Config`]: a `WRIT_` environment variable whose first part (before
/// `__`) is none of these is not configuration, and is only warned about (issue 17).
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "version",
    "issuer",
    "listen",
    "data_dir",
    "http",
    "login",
    "store",
    "keys",
    "interaction",
    "metrics",
    "jar",
    "par",
    "tokens",
    "client_auth",
    "dpop",
    "rar",
    "clients",
    "users",
];

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Format version; only `1` exists.
    #[serde(default = "one")]
    pub version: u32,
    /// The issuer identifier (OpenID Connect Discovery §3); default `http://<listen>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// `ADDR:PORT` to listen on; default `127.0.0.1:8080`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// Directory of the embedded store; default the working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `[http]`.
    #[serde(default)]
    pub http: crate::http::HttpConfig,
    /// `[login]`.
    #[serde(default)]
    pub login: crate::login::LoginConfig,
    /// `[store]`.
    #[serde(default)]
    pub store: StoreConfig,
    /// `[keys]`: the key-encryption key of the stored private keys.
    #[serde(default)]
    pub keys: crate::keys::KeysConfig,
    /// `[interaction]`.
    #[serde(default)]
    pub interaction: InteractionConfig,
    /// `[metrics]`.
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// `[jar]`.
    #[serde(default)]
    pub jar: JarConfig,
    /// `[par]`.
    #[serde(default)]
    pub par: ParConfig,
    /// `[tokens]`.
    #[serde(default)]
    pub tokens: TokensConfig,
    /// `[client_auth]`.
    #[serde(default)]
    pub client_auth: ClientAuthConfig,
    /// `[dpop]`.
    #[serde(default)]
    pub dpop: DpopConfig,
    /// `[rar]`: rich authorization requests (RFC 9396).
    #[serde(default)]
    pub rar: crate::rar::RarConfig,
    /// `[[clients]]`, applied to the store at start.
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
    /// `[[users]]`, applied to the store at start.
    #[serde(default)]
    pub users: Vec<UserConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            version: 1,
            issuer: None,
            listen: None,
            data_dir: None,
            http: crate::http::HttpConfig::default(),
            login: crate::login::LoginConfig::default(),
            store: StoreConfig::default(),
            keys: crate::keys::KeysConfig::default(),
            interaction: InteractionConfig::default(),
            metrics: MetricsConfig::default(),
            jar: JarConfig::default(),
            par: ParConfig::default(),
            tokens: TokensConfig::default(),
            client_auth: ClientAuthConfig::default(),
            dpop: DpopConfig::default(),
            rar: crate::rar::RarConfig::default(),
            clients: Vec::new(),
            users: Vec::new(),
        }
    }
}

fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}

/// `[store]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://PATH` or `postgres://...`; default a SQLite file in `data_dir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// `[interaction]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionConfig {
    /// A custom login/consent UI; the browser is sent to `{url}/{interaction id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A directory of templates (`login.html`, `consent.html`, ...) replacing the built-in
    /// ones by name, and `locales/*.toml` text catalogues (`docs/interaction-ui.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<std::path::PathBuf>,
    /// What the consent page says for a scope (`"api:read" = "Read your accounts"`), in every
    /// language; the catalogue's `scope.NAME` texts otherwise.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub scope_descriptions: std::collections::BTreeMap<String, String>,
}

/// `[metrics]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// `ADDR:PORT` of a listener of its own for `/metrics` (and `/health/*`), so the scrape
    /// is reachable only where operators put it; `/metrics` is then not served on `listen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

impl MetricsConfig {
    /// The metrics listener's address, if one is configured.
    pub fn listen_addr(&self) -> Result<Option<SocketAddr>, String> {
        self.listen
            .as_deref()
            .map(|l| {
                l.parse().map_err(|_| {
                    format!("metrics.listen: {l:?} is not an ADDR:PORT socket address")
                })
            })
            .transpose()
    }
}

/// A user declared in the file (`[[users]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Login name.
    pub username: String,
    /// Argon2id PHC string (`$argon2id$v=19$...`).
    pub password_hash: String,
    /// Profile attributes: standard claims of OpenID Connect Core §5.1 (`name`, `email`,
    /// `email_verified`, ...), released by scope (§5.4). Checked by [`crate::claims::check`].
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// RFC 9101 §6.3 / OpenID Connect Core §6.3: which parameters make up the effective request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ParameterPolicy {
    /// Only the request object's parameters are used (RFC 9101 §5).
    #[default]
    Strict,
    /// Request object values override; query-only parameters are kept (OIDC Core §6.3).
    Merge,
    /// A parameter in both places with different values is an error.
    RejectConflicts,
}

/// `jti` replay protection for request objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ReplayPolicy {
    /// No replay cache.
    #[default]
    Off,
    /// A `jti` seen before (until its `exp`) is rejected; objects without one pass.
    JtiIfPresent,
    /// Every request object must carry a fresh `jti`.
    RequireJti,
}

/// `[jar]`: request objects (RFC 9101).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JarConfig {
    /// Accept `request` (by value).
    #[serde(default = "yes")]
    pub request_parameter: bool,
    /// Accept client-hosted `request_uri` (RFC 9101 §10.4: off by default).
    #[serde(default)]
    pub request_uri_parameter: bool,
    /// Algorithms a request object may be signed with (RFC 7518 §3.1; RFC 9101 §6.1).
    #[serde(default = "default_signing_algs")]
    pub signing_algs: AlgList<JwsAlg>,
    /// Every client must use JAR (RFC 9101 §10.5).
    #[serde(default)]
    pub require_signed_request_object: bool,
    /// How query and request object parameters combine.
    #[serde(default)]
    pub parameter_policy: ParameterPolicy,
    /// Tolerance for `exp` / `nbf` / `iat`.
    #[serde(default = "default_clock_skew")]
    pub clock_skew: Seconds,
    /// A request object without `exp` is rejected.
    #[serde(default = "yes")]
    pub require_exp: bool,
    /// Longest allowed `exp - (nbf or iat)`; `nbf` no older than this.
    #[serde(default = "default_max_lifetime")]
    pub max_lifetime: Seconds,
    /// `aud` must be present.
    #[serde(default)]
    pub require_aud: bool,
    /// `jti` replay protection.
    #[serde(default)]
    pub replay: ReplayPolicy,
    /// Claims that must be inside the request object.
    #[serde(default)]
    pub required_claims: Vec<String>,
    /// Header `typ` must be `oauth-authz-req+jwt`.
    #[serde(default)]
    pub strict_typ: bool,
    /// Larger request objects are rejected before any parsing.
    #[serde(default = "default_max_ro_bytes")]
    pub max_request_object_bytes: ByteSize,
    /// A preset that tightens the knobs above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// `[jar.request_uri]`.
    #[serde(default)]
    pub request_uri: RequestUriConfig,
    /// `[jar.encryption]`.
    #[serde(default)]
    pub encryption: EncryptionConfig,
}

impl Default for JarConfig {
    fn default() -> Self {
        JarConfig {
            request_parameter: true,
            request_uri_parameter: false,
            signing_algs: default_signing_algs(),
            require_signed_request_object: false,
            parameter_policy: ParameterPolicy::Strict,
            clock_skew: default_clock_skew(),
            require_exp: true,
            max_lifetime: default_max_lifetime(),
            require_aud: false,
            replay: ReplayPolicy::Off,
            required_claims: Vec::new(),
            strict_typ: false,
            max_request_object_bytes: default_max_ro_bytes(),
            profile: None,
            request_uri: RequestUriConfig::default(),
            encryption: EncryptionConfig::default(),
        }
    }
}

/// Every asymmetric algorithm. `Ed25519` (RFC 9864 §2.2) is the same signature as `EdDSA` with
/// the only keys Writ accepts for it, so it is no weaker and is in by default.
fn default_signing_algs() -> AlgList<JwsAlg> {
    use JwsAlg::*;
    vec![
        RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519,
    ]
    .into()
}
fn default_clock_skew() -> Seconds {
    Seconds::secs(30)
}
fn default_max_lifetime() -> Seconds {
    Seconds::secs(3600)
}
fn default_max_ro_bytes() -> ByteSize {
    ByteSize::kib(64)
}

/// `[jar.request_uri]`: fetching client-hosted request objects (SPEC §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestUriConfig {
    /// Deadline over the whole exchange.
    #[serde(default = "default_fetch_timeout")]
    pub timeout: Seconds,
    /// Retries on connect errors, 5xx and 429.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Largest body read.
    #[serde(default = "default_max_ro_bytes")]
    pub max_bytes: ByteSize,
    /// Cache lifetime; default honours `Cache-Control: max-age` within bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_ttl: Option<Seconds>,
    /// Bounded number of cached objects.
    #[serde(default = "default_cache_entries")]
    pub cache_entries: u64,
    /// Accepted response media types.
    #[serde(default = "default_content_types")]
    pub allowed_content_types: Vec<String>,
    /// Allow plain http.
    #[serde(default)]
    pub allow_http: bool,
    /// Allow loopback, private, link-local... destinations (tests, on-prem).
    #[serde(default)]
    pub allow_private_addresses: bool,
    /// Follow redirects.
    #[serde(default)]
    pub follow_redirects: bool,
}

impl Default for RequestUriConfig {
    fn default() -> Self {
        RequestUriConfig {
            timeout: default_fetch_timeout(),
            retries: default_retries(),
            max_bytes: default_max_ro_bytes(),
            cache_ttl: None,
            cache_entries: default_cache_entries(),
            allowed_content_types: default_content_types(),
            allow_http: false,
            allow_private_addresses: false,
            follow_redirects: false,
        }
    }
}

fn default_fetch_timeout() -> Seconds {
    Seconds::secs(5)
}
fn default_retries() -> u32 {
    2
}
fn default_cache_entries() -> u64 {
    1000
}
fn default_content_types() -> Vec<String> {
    vec![
        "application/oauth-authz-req+jwt".into(),
        "application/jwt".into(),
    ]
}

/// `[jar.encryption]`: encrypted request objects (SPEC §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionConfig {
    /// Default: on once a decryption key exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Accepted key management algorithms (RFC 7518 §4.1).
    #[serde(default = "default_enc_algs")]
    pub algs: AlgList<JweAlg>,
    /// Accepted content encryption algorithms (RFC 7518 §5.1).
    #[serde(default = "default_encs")]
    pub encs: AlgList<JweEnc>,
}

impl Default for EncryptionConfig {
    fn default() -> Self {
        EncryptionConfig {
            enabled: None,
            algs: default_enc_algs(),
            encs: default_encs(),
        }
    }
}

/// Every key management algorithm `writ-jose` implements; RSA1_5 and PBES2 are not among them.
fn default_enc_algs() -> AlgList<JweAlg> {
    JweAlg::ALL.into_iter().collect()
}
/// Every content encryption algorithm `writ-jose` implements.
fn default_encs() -> AlgList<JweEnc> {
    JweEnc::ALL.into_iter().collect()
}

/// `[par]`: pushed authorization requests (RFC 9126).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParConfig {
    /// Serve `/par`.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Lifetime of a pushed request.
    #[serde(default = "default_par_lifetime")]
    pub lifetime: Seconds,
    /// Every client must push its requests.
    #[serde(default)]
    pub require: bool,
    /// Pushes one public client may make per `lifetime` (a public client does not
    /// authenticate, so anyone can push as it; each push is a row until it expires).
    #[serde(default = "default_public_client_quota")]
    pub public_client_quota: u32,
}

fn default_public_client_quota() -> u32 {
    100
}

impl Default for ParConfig {
    fn default() -> Self {
        ParConfig {
            enabled: true,
            lifetime: default_par_lifetime(),
            require: false,
            public_client_quota: default_public_client_quota(),
        }
    }
}

fn default_par_lifetime() -> Seconds {
    Seconds::secs(60)
}

impl Config {
    /// The listen address, parsed.
    pub fn listen_addr(&self) -> Result<SocketAddr, String> {
        let l = self.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
        l.parse()
            .map_err(|_| format!("listen: {l:?} is not an ADDR:PORT socket address"))
    }

    /// The issuer: the configured one, or `http://<listen>`.
    pub fn effective_issuer(&self) -> Result<String, String> {
        match &self.issuer {
            // Never rewritten: clients compare it exactly (OpenID Connect Discovery §4.3).
            Some(i) => Ok(i.clone()),
            None => Ok(format!("http://{}", self.listen_addr()?)),
        }
    }

    /// Check every value; each problem names its key. Clients are checked with
    /// [`ClientConfig::validate`].
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut errs = Vec::new();
        if self.version != 1 {
            errs.push(format!(
                "version: {} is not supported (only 1)",
                self.version
            ));
        }
        if let Err(e) = self.listen_addr() {
            errs.push(e);
        }
        match (self.metrics.listen_addr(), self.listen_addr()) {
            (Err(e), _) => errs.push(e),
            (Ok(Some(m)), Ok(l)) if m == l && m.port() != 0 => errs.push(format!(
                "metrics.listen: {m} is the server's own listen address; name another, or leave \
                 it out to serve /metrics there"
            )),
            _ => {}
        }
        if let Some(i) = &self.issuer
            && let Err(e) = check_issuer(i)
        {
            errs.push(format!("issuer: {e}"));
        }
        if let Some(dir) = &self.interaction.templates
            && !dir.is_dir()
        {
            errs.push(format!(
                "interaction.templates: {} is not a directory",
                dir.display()
            ));
        }
        for (scope, text) in &self.interaction.scope_descriptions {
            if text.is_empty() || text.len() > 500 || text.chars().any(char::is_control) {
                errs.push(format!(
                    "interaction.scope_descriptions.{scope}: must be 1 to 500 printable characters"
                ));
            }
        }
        if let Some(u) = &self.store.url
            && !(u.starts_with("sqlite:")
                || u.starts_with("postgres://")
                || u.starts_with("postgresql://"))
        {
            errs.push("store.url: must start with sqlite:, postgres:// or postgresql://".into());
        }
        if let Some(u) = &self.interaction.url
            && url::Url::parse(u).is_err()
        {
            errs.push(format!("interaction.url: {u:?} is not an absolute URL"));
        }
        let jar = &self.jar;
        if jar.signing_algs.is_empty() {
            errs.push("jar.signing_algs: must name at least one algorithm".into());
        }
        // The names were parsed when the file was read; here the ones that did not parse are
        // reported with their key. HS* are algorithms like any other: in only when listed.
        for a in jar.signing_algs.refused() {
            if a.eq_ignore_ascii_case("none") {
                errs.push("jar.signing_algs: \"none\" is never a signing algorithm (use a client's allow_unsigned_by_value)".into());
            } else {
                errs.push(unknown_jws_alg("jar.signing_algs", a));
            }
        }
        if jar.max_request_object_bytes.0 < 256 || jar.max_request_object_bytes.0 > 1024 * 1024 {
            errs.push("jar.max_request_object_bytes: must be between 256 B and 1 MiB".into());
        }
        if jar.max_lifetime.as_secs() == 0 {
            errs.push("jar.max_lifetime: must be positive".into());
        }
        if jar.clock_skew.as_secs() > 600 {
            errs.push("jar.clock_skew: more than 10 minutes is not allowed".into());
        }
        for c in &jar.required_claims {
            if c.is_empty() {
                errs.push("jar.required_claims: empty claim name".into());
            }
        }
        let ru = &jar.request_uri;
        if ru.timeout.as_secs() == 0 || ru.timeout.as_secs() > 60 {
            errs.push("jar.request_uri.timeout: must be between 1s and 60s".into());
        }
        if ru.retries > 5 {
            errs.push("jar.request_uri.retries: at most 5".into());
        }
        if ru.max_bytes.0 == 0 || ru.max_bytes.0 > 1024 * 1024 {
            errs.push("jar.request_uri.max_bytes: must be between 1 B and 1 MiB".into());
        }
        if ru.allowed_content_types.is_empty() {
            errs.push("jar.request_uri.allowed_content_types: must not be empty".into());
        }
        // `JweAlg` cannot name RSA1_5 (RFC 7518 §4.2; Bleichenbacher) or PBES2 (§4.8), so they
        // arrive here as refused names, with their own reasons.
        for a in jar.encryption.algs.refused() {
            match a.as_str() {
                "RSA1_5" => errs.push(
                    "jar.encryption.algs: RSA1_5 is never accepted (Bleichenbacher padding oracle)"
                        .into(),
                ),
                a if a.starts_with("PBES2") => {
                    errs.push(format!("jar.encryption.algs: {a} is never accepted"))
                }
                a => errs.push(format!("jar.encryption.algs: unsupported algorithm {a:?}")),
            }
        }
        for e in jar.encryption.encs.refused() {
            errs.push(format!("jar.encryption.encs: unsupported encryption {e:?}"));
        }
        if self.par.lifetime.as_secs() == 0 || self.par.lifetime.as_secs() > 600 {
            errs.push("par.lifetime: must be between 1s and 10m (RFC 9126 §2.2)".into());
        }
        if self.par.public_client_quota == 0 || self.par.public_client_quota > 100_000 {
            errs.push("par.public_client_quota: must be between 1 and 100000".into());
        }
        self.http.validate(&mut errs);
        self.login.validate(&mut errs);
        self.rar.validate(&mut errs);
        self.keys.validate(&mut errs);
        self.tokens.validate(&mut errs);
        self.client_auth.validate(&mut errs);
        self.dpop.validate(&mut errs);
        self.check_profile(&mut errs);
        let mut seen = std::collections::HashSet::new();
        for (i, c) in self.clients.iter().enumerate() {
            if !seen.insert(c.client_id.as_str()) {
                errs.push(format!(
                    "clients[{i}].client_id: {:?} is declared twice",
                    c.client_id
                ));
            }
            if let Err(es) = c.validate() {
                errs.extend(es.into_iter().map(|e| format!("clients[{i}].{e}")));
            }
            for e in crate::profile::check_client(self.jar.profile, c) {
                errs.push(format!("clients[{i}] ({:?}).{e}", c.client_id));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, u) in self.users.iter().enumerate() {
            if u.username.is_empty() || u.username.len() > 255 {
                errs.push(format!("users[{i}].username: must be 1 to 255 characters"));
            }
            if !seen.insert(u.username.as_str()) {
                errs.push(format!(
                    "users[{i}].username: {:?} is declared twice",
                    u.username
                ));
            }
            if !u.password_hash.starts_with("$argon2id$") {
                errs.push(format!(
                    "users[{i}].password_hash: must be an Argon2id PHC string ($argon2id$...)"
                ));
            }
            if let Err(e) = crate::claims::check(&u.claims) {
                errs.push(format!("users[{i}].claims: {e}"));
            }
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }
}

/// OpenID Connect Discovery §3: an `https` URL (or `http` for loopback and development) with no
/// query or fragment.
pub fn check_issuer(issuer: &str) -> Result<(), String> {
    let u = url::Url::parse(issuer).map_err(|e| format!("{issuer:?} is not a URL ({e})"))?;
    if u.scheme() != "https" && u.scheme() != "http" {
        return Err(format!("{issuer:?} must use https (or http)"));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(format!("{issuer:?} must not have a query or fragment"));
    }
    // Endpoints are the issuer with a path appended, and clients compare the issuer exactly
    // (OpenID Connect Discovery §4.3, RFC 9207 §2.4): a trailing slash would be kept in `iss`
    // and doubled in every endpoint, so it is refused rather than silently dropped.
    if issuer.ends_with('/') {
        return Err(format!(
            "{issuer:?} ends with \"/\"; write it without: {:?} (clients compare the issuer \
             exactly, so Writ does not rewrite it)",
            issuer.trim_end_matches('/')
        ));
    }
    Ok(())
}

impl Config {
    /// SPEC §17: a server-wide profile only tightens. A setting written looser than it stops
    /// start-up with a message naming the key and the profile.
    pub(crate) fn check_profile(&self, errs: &mut Vec<String>) {
        use crate::alg::Configured;
        use crate::tokens::{AssertionAudience, RefreshRotation};
        let r = ProfileRules::of(self.jar.profile);
        let p = r.label();
        let beside = format!("beside [jar] profile = \"{p}\"");
        if let Some(max) = r.max_code_lifetime
            && self.tokens.code_lifetime.as_secs() > max
        {
            errs.push(format!(
                "tokens.code_lifetime: {} is longer than {max}s, {beside}",
                self.tokens.code_lifetime
            ));
        }
        if let Some(max) = r.max_par_lifetime
            && self.par.lifetime.as_secs() > max
        {
            errs.push(format!(
                "par.lifetime: {} is not below 10m, {beside}",
                self.par.lifetime
            ));
        }
        if r.no_refresh_rotation && self.tokens.refresh_rotation == Some(RefreshRotation::Rotate) {
            errs.push(format!(
                "tokens.refresh_rotation: \"rotate\" {beside}, which keeps refresh tokens unrotated"
            ));
        }
        if r.assertion_aud_issuer_only
            && self.client_auth.assertion_audience == Some(AssertionAudience::IssuerOrEndpoint)
        {
            errs.push(format!(
                "client_auth.assertion_audience: \"issuer-or-endpoint\" {beside}, which accepts only the issuer"
            ));
        }
        if r.dpop_required && !self.dpop.enabled {
            errs.push(format!(
                "dpop.enabled: false {beside}, which requires DPoP-bound access tokens"
            ));
        }
        if let Some(Configured::Known(a)) = &self.tokens.id_token_signing_alg
            && !r.allows(*a)
        {
            errs.push(format!(
                "tokens.id_token_signing_alg: {a} {beside} (PS256, ES256, EdDSA)"
            ));
        }
        if r.algs.is_some() && self.dpop.algs.iter().all(|a| !r.allows(*a)) {
            errs.push(format!(
                "dpop.algs: none of them is allowed {beside} (PS256, ES256, EdDSA)"
            ));
        }
        if r.par_required && !self.par.enabled {
            errs.push(format!(
                "par.enabled: false {beside}, which requires pushed requests"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_keys_are_every_field_of_config() {
        let c = Config {
            issuer: Some("http://x".into()),
            listen: Some("127.0.0.1:1".into()),
            data_dir: Some("d".into()),
            ..Config::default()
        };
        let v = serde_json::to_value(&c).unwrap();
        let mut fields: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        let mut listed = TOP_LEVEL_KEYS.to_vec();
        fields.sort_unstable();
        listed.sort_unstable();
        assert_eq!(fields, listed);
    }

    #[test]
    fn empty_file_gives_spec_defaults() {
        let c: Config = toml::from_str("").unwrap();
        c.validate().unwrap();
        assert_eq!(c.effective_issuer().unwrap(), "http://127.0.0.1:8080");
        assert!(c.jar.request_parameter);
        assert!(!c.jar.request_uri_parameter);
        assert_eq!(c.jar.clock_skew.as_secs(), 30);
        assert_eq!(c.jar.max_lifetime.as_secs(), 3600);
        assert_eq!(c.jar.max_request_object_bytes.0, 65536);
        assert_eq!(c.jar.request_uri.timeout.as_secs(), 5);
        assert_eq!(c.par.lifetime.as_secs(), 60);
        assert!(
            !c.jar
                .signing_algs
                .iter()
                .any(|a| a.as_str().starts_with("HS"))
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = toml::from_str::<Config>("[jar]\nclock_skwe = \"10s\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("clock_skwe"), "{e}");
        let e = toml::from_str::<Config>("isser = \"https://x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("isser"), "{e}");
    }

    #[test]
    fn full_surface_parses() {
        let c: Config = toml::from_str(
            r#"
            version = 1
            issuer = "https://id.example.com"
            listen = "0.0.0.0:9000"
            data_dir = "/var/lib/writ"
            [store]
            url = "postgres://writ@db/writ"
            [interaction]
            url = "https://login.example.com/interaction"
            [jar]
            request_uri_parameter = true
            signing_algs = ["PS256", "ES256", "HS256"]
            parameter_policy = "reject-conflicts"
            clock_skew = "10s"
            max_lifetime = "10m"
            require_aud = true
            replay = "require-jti"
            required_claims = ["redirect_uri", "code_challenge"]
            strict_typ = true
            max_request_object_bytes = "32 KiB"
            profile = "fapi2-message-signing"
            [jar.request_uri]
            timeout = "3s"
            retries = 1
            max_bytes = "16 KiB"
            cache_ttl = "5m"
            cache_entries = 100
            allow_http = true
            allow_private_addresses = true
            [jar.encryption]
            enabled = true
            algs = ["ECDH-ES", "RSA-OAEP-256"]
            encs = ["A256GCM"]
            [par]
            lifetime = "90s"
            require = true
            [[clients]]
            client_id = "c1"
            redirect_uris = ["https://rp.example/cb"]
            token_endpoint_auth_method = "private_key_jwt"
            secrets = [{ type = "jwk", value = "{}" }, { type = "x509", value = "MIIB", expires = "2030-01-01T00:00:00Z" }]
            require_signed_request_object = true
            request_object_signing_alg = "PS256"
            request_uris = ["https://rp.example/ro/*"]
            [[users]]
            username = "bob"
            password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA"
            "#,
        )
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.jar.parameter_policy, ParameterPolicy::RejectConflicts);
        assert_eq!(c.jar.replay, ReplayPolicy::RequireJti);
        assert_eq!(c.jar.profile, Some(Profile::Fapi2MessageSigning));
        assert_eq!(c.jar.request_uri.max_bytes.0, 16384);
        assert_eq!(c.effective_issuer().unwrap(), "https://id.example.com");
    }

    #[test]
    fn ed25519_is_a_signing_alg_and_in_the_defaults_rfc9864_2_2() {
        let c: Config = toml::from_str("").unwrap();
        for a in ["EdDSA", "Ed25519"] {
            assert!(c.jar.signing_algs.iter().any(|s| s.as_str() == a), "{a}");
        }
        let c: Config = toml::from_str("[jar]\nsigning_algs = [\"Ed25519\"]\n").unwrap();
        c.validate().unwrap();
        let c: Config = toml::from_str("[jar]\nsigning_algs = [\"Ed448\"]\n").unwrap();
        let errs = c.validate().unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.starts_with("jar.signing_algs")
                    && e.contains("\"Ed448\" is not supported")),
            "{errs:?}"
        );
    }

    #[test]
    fn algorithm_names_are_typed_and_unknown_ones_name_their_key() {
        let c: Config = toml::from_str(
            r#"
            [jar]
            signing_algs = ["PS256", "HS512"]
            [jar.encryption]
            algs = ["ECDH-ES+A128KW"]
            encs = ["A128CBC-HS256"]
            "#,
        )
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.jar.signing_algs.algs(), [JwsAlg::PS256, JwsAlg::HS512]);
        assert_eq!(c.jar.encryption.algs.algs(), [JweAlg::EcdhEsA128Kw]);
        assert_eq!(c.jar.encryption.encs.algs(), [JweEnc::A128CbcHs256]);

        let c: Config = toml::from_str(
            r#"
            [jar]
            signing_algs = ["RS256", "rs256"]
            [jar.encryption]
            algs = ["PBES2-HS256+A128KW", "A192KW"]
            encs = ["A192GCM"]
            [[clients]]
            client_id = "c1"
            redirect_uris = ["https://rp.example/cb"]
            token_endpoint_auth_method = "none"
            request_object_signing_alg = "ES256K"
            request_object_encryption_alg = "RSA1_5"
            request_object_encryption_enc = "A128GCM "
            "#,
        )
        .unwrap();
        let errs = c.validate().unwrap_err();
        for want in [
            "jar.signing_algs: unknown algorithm \"rs256\"",
            "jar.encryption.algs: PBES2-HS256+A128KW is never accepted",
            "jar.encryption.algs: unsupported algorithm \"A192KW\"",
            "jar.encryption.encs: unsupported encryption \"A192GCM\"",
            "clients[0].request_object_signing_alg: unknown algorithm \"ES256K\"",
            "clients[0].request_object_encryption_alg: unsupported algorithm \"RSA1_5\"",
            "clients[0].request_object_encryption_enc: unsupported encryption \"A128GCM \"",
        ] {
            assert!(errs.iter().any(|e| e == want), "{want}: {errs:?}");
        }
        assert_eq!(errs.len(), 7, "{errs:?}");
    }

    #[test]
    fn invalid_values_are_named() {
        let c: Config = toml::from_str(
            "listen = \"nowhere\"\n[jar]\nsigning_algs = [\"none\"]\n[jar.encryption]\nalgs = [\"RSA1_5\"]\n",
        )
        .unwrap();
        let errs = c.validate().unwrap_err();
        assert!(errs.iter().any(|e| e.starts_with("listen")), "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("signing_algs")), "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("RSA1_5")), "{errs:?}");
    }
}
