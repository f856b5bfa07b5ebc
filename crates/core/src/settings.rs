//! The running configuration as the core uses it, derived from the file's
//! [`writ_protocol::config::Config`].

use crate::authorize::authorization_details::RarPolicy;
use crate::authorize::request_object::policy::JarPolicy;
use crate::clients::Client;
use crate::dpop::DpopPolicy;
use writ_jose::JwsAlg;
use writ_protocol::alg::Configured;
use writ_protocol::config::{
    AssertionAudience, Config, JarConfig, ParConfig, Profile, ProfileRules, RefreshRotation,
};

/// Lifetimes of what the server issues (seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifetimes {
    /// Authorization code (RFC 6749 §4.1.2 recommends at most 10 minutes).
    pub code: i64,
    /// Access token.
    pub access_token: i64,
    /// ID token.
    pub id_token: i64,
    /// Refresh token, idle: counted from its last use.
    pub refresh_token: i64,
    /// Pending interaction (login and consent).
    pub interaction: i64,
    /// Browser session.
    pub session: i64,
    /// Longest accepted client assertion lifetime (private_key_jwt).
    pub client_assertion: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            code: 60,
            access_token: 600,
            id_token: 600,
            refresh_token: 30 * 24 * 3600,
            interaction: 600,
            session: 8 * 3600,
            client_assertion: 3600,
        }
    }
}

impl Lifetimes {
    /// `[tokens]` and `[client_auth]` of a validated configuration.
    pub fn from_config(c: &Config) -> Self {
        Lifetimes {
            code: c.tokens.code_lifetime.as_i64(),
            access_token: c.tokens.access_token_lifetime.as_i64(),
            id_token: c.tokens.id_token_lifetime.as_i64(),
            refresh_token: c.tokens.refresh_token_lifetime.as_i64(),
            client_assertion: c.client_auth.assertion_max_lifetime.as_i64(),
            ..Lifetimes::default()
        }
    }
}

/// Server settings the core needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Issuer identifier, without a trailing slash.
    pub issuer: String,
    /// `[jar]` as written.
    pub jar: JarConfig,
    /// `[jar]` parsed, with the profile applied.
    pub jar_policy: JarPolicy,
    /// `[par]`.
    pub par: ParConfig,
    /// `[dpop]` (RFC 9449).
    pub dpop: DpopPolicy,
    /// `[interaction] url`: a custom UI.
    pub interaction_url: Option<String>,
    /// Lifetimes.
    pub lifetimes: Lifetimes,
    /// `[tokens] id_token_signing_alg`.
    pub id_token_alg: JwsAlg,
    /// `[tokens] refresh_rotation`.
    pub refresh_rotation: Option<RefreshRotation>,
    /// `[client_auth] assertion_audience`.
    pub assertion_audience: Option<AssertionAudience>,
    /// `[rar]`: the accepted `authorization_details` types. [`Settings::from_config`] has no
    /// schemas (reading their files is the caller's I/O); the server sets them.
    pub rar: RarPolicy,
    /// `[login]`: the account lock.
    pub login: writ_protocol::login::LoginConfig,
    /// `[keys]`: the key-encryption keys of the stored private keys. [`Settings::from_config`]
    /// leaves it off (reading the key is the caller's I/O); the server sets it.
    pub key_encryption: std::sync::Arc<crate::key_encryption::KeyEncryption>,
}

impl Settings {
    /// From a validated configuration.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        Ok(Settings {
            issuer: config.effective_issuer()?,
            jar: config.jar.clone(),
            // The server generates its decryption keys on first start (SPEC §7), so
            // `[jar.encryption] enabled` defaults to on.
            jar_policy: JarPolicy::from_config(&config.jar, true),
            par: config.par.clone(),
            dpop: DpopPolicy::from_config(&config.dpop, &ProfileRules::of(config.jar.profile)),
            interaction_url: config.interaction.url.clone(),
            lifetimes: Lifetimes::from_config(config),
            // SPEC §17: under a profile an RS256 default becomes PS256.
            id_token_alg: match config.tokens.id_token_signing_alg {
                Some(Configured::Known(a)) => a,
                _ if ProfileRules::of(config.jar.profile).algs.is_some() => JwsAlg::PS256,
                _ => JwsAlg::RS256,
            },
            refresh_rotation: config.tokens.refresh_rotation,
            assertion_audience: config.client_auth.assertion_audience,
            rar: RarPolicy::new(config.rar.types.clone(), Default::default())?,
            login: config.login.clone(),
            key_encryption: std::sync::Arc::new(crate::key_encryption::KeyEncryption::none()),
        })
    }

    /// The profile rules in force for `client`: the server-wide profile's and its own
    /// (SPEC §17: the stricter of the two applies).
    pub fn rules(&self, client: &Client) -> ProfileRules {
        ProfileRules::for_client(self.jar.profile, &client.config)
    }

    /// The server-wide profile's rules.
    pub fn server_rules(&self) -> ProfileRules {
        ProfileRules::of(self.jar.profile)
    }

    /// The algorithm of `client`'s ID tokens: its `id_token_signed_response_alg`, else
    /// `[tokens] id_token_signing_alg` (validation refused any other name); PS256 when the
    /// server's is not allowed by the client's own profile.
    pub fn id_token_alg(&self, client: &Client) -> JwsAlg {
        match client.config.id_token_signed_response_alg {
            Some(Configured::Known(a)) => a,
            _ if !self.rules(client).allows(self.id_token_alg) => JwsAlg::PS256,
            _ => self.id_token_alg,
        }
    }

    /// Whether `client`'s authorization responses must be JWTs (JARM): `require_jarm`, or a
    /// FAPI 1.0 Advanced profile.
    pub fn jarm_required(&self, client: &Client) -> bool {
        client.config.require_jarm || self.rules(client).jarm_required
    }

    /// The algorithm of `client`'s JARM responses: its `authorization_signed_response_alg`,
    /// else RS256 (JARM §3), else PS256 when its profile does not allow RS256.
    pub fn jarm_alg(&self, client: &Client) -> JwsAlg {
        match client.config.authorization_signed_response_alg {
            Some(Configured::Known(a)) => a,
            _ if !self.rules(client).allows(JwsAlg::RS256) => JwsAlg::PS256,
            _ => JwsAlg::RS256,
        }
    }

    /// The algorithm of `client`'s signed introspection responses: its
    /// `introspection_signed_response_alg`, else RS256 (RFC 9701 §6), else PS256 when its
    /// profile does not allow RS256.
    pub fn introspection_alg(&self, client: &Client) -> JwsAlg {
        match client.config.introspection_signed_response_alg {
            Some(Configured::Known(a)) => a,
            _ if !self.rules(client).allows(JwsAlg::RS256) => JwsAlg::PS256,
            _ => JwsAlg::RS256,
        }
    }

    /// Whether `client`'s refresh tokens rotate: `[tokens] refresh_rotation`, else off under
    /// a FAPI 2.0 profile (FAPI 2.0 Security Profile §5.3.2), else rotate.
    pub fn refresh_rotation(&self, client: &Client) -> RefreshRotation {
        if self.rules(client).no_refresh_rotation {
            return RefreshRotation::Off;
        }
        self.refresh_rotation.unwrap_or(RefreshRotation::Rotate)
    }

    /// `client`'s authorization code lifetime (seconds): `[tokens] code_lifetime`, at most
    /// what its profile allows.
    pub fn code_lifetime(&self, client: &Client) -> i64 {
        let max = self
            .rules(client)
            .max_code_lifetime
            .map_or(i64::MAX, |m| i64::try_from(m).unwrap_or(i64::MAX));
        self.lifetimes.code.min(max)
    }

    /// `client`'s pushed request lifetime (seconds): `[par] lifetime`, below 600 s under a
    /// FAPI 2.0 profile.
    pub fn par_lifetime(&self, client: &Client) -> i64 {
        let max = self
            .rules(client)
            .max_par_lifetime
            .map_or(i64::MAX, |m| i64::try_from(m).unwrap_or(i64::MAX));
        self.par.lifetime.as_i64().min(max)
    }

    /// Whether `client`'s access tokens must be DPoP-bound (RFC 9449 §5.2): its
    /// `dpop_bound_access_tokens`, or a FAPI 2.0 profile.
    pub fn dpop_required(&self, client: &Client) -> bool {
        client.config.dpop_bound_access_tokens || self.rules(client).dpop_required
    }

    /// `client`'s access token lifetime (seconds).
    pub fn access_token_lifetime(&self, client: &Client) -> i64 {
        client
            .config
            .access_token_lifetime
            .map_or(self.lifetimes.access_token, |l| l.as_i64())
    }

    /// `client`'s refresh token lifetime (seconds, idle).
    pub fn refresh_token_lifetime(&self, client: &Client) -> i64 {
        client
            .config
            .refresh_token_lifetime
            .map_or(self.lifetimes.refresh_token, |l| l.as_i64())
    }

    /// Whether `client` must use pushed authorization requests: `[par] require`, the client's
    /// `require_par`, or the `fapi2-message-signing` profile (FAPI 2.0 Security Profile
    /// §5.3.2: the authorization server only accepts pushed requests).
    pub fn par_required(&self, client: &Client) -> bool {
        self.par.require || client.config.require_par || self.rules(client).par_required
    }

    /// Whether every client must use pushed authorization requests (discovery's
    /// `require_pushed_authorization_requests`).
    pub fn par_required_server_wide(&self) -> bool {
        self.par.require || self.server_rules().par_required
    }

    /// Algorithms a `private_key_jwt` assertion may be signed with: every asymmetric one, or
    /// the FAPI profile's list (FAPI 1.0 Advanced §8.6, FAPI 2.0 Security Profile §5.4.1).
    pub fn assertion_signing_algs(&self) -> &'static [writ_jose::JwsAlg] {
        use crate::client_auth::{
            ASSERTION_SIGNING_ALGS, FAPI1_ASSERTION_SIGNING_ALGS, FAPI2_ASSERTION_SIGNING_ALGS,
        };
        match self.jar.profile {
            None => ASSERTION_SIGNING_ALGS,
            Some(Profile::Fapi1Advanced) => FAPI1_ASSERTION_SIGNING_ALGS,
            Some(Profile::Fapi2Security | Profile::Fapi2MessageSigning) => {
                FAPI2_ASSERTION_SIGNING_ALGS
            }
        }
    }

    /// `{issuer}{path}`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    /// Where the browser goes for interaction `id` (SPEC §8): the custom UI's `{url}/{id}`
    /// when `[interaction] url` is set, else the built-in page.
    ///
    /// Built in one allocation: `id` is a sealed handle of ~1–2 kB on every `/authorize`.
    pub fn interaction_location(&self, id: &str) -> String {
        const PAGE: &str = "/interaction/";
        let (base, sep) = match &self.interaction_url {
            Some(u) => (u.trim_end_matches('/'), "/"),
            None => (self.issuer.as_str(), PAGE),
        };
        let mut location = String::with_capacity(base.len() + sep.len() + id.len());
        location.push_str(base);
        location.push_str(sep);
        location.push_str(id);
        location
    }

    /// The path of the issuer (`/auth` for `https://id.example.com/auth`), under which every
    /// endpoint is served; empty for an issuer without one.
    pub fn issuer_path(&self) -> String {
        url::Url::parse(&self.issuer)
            .map(|u| u.path().trim_end_matches('/').to_string())
            .unwrap_or_default()
    }

    /// Whether cookies must be `Secure` (an https issuer).
    pub fn secure_cookies(&self) -> bool {
        self.issuer.starts_with("https://")
    }
}
