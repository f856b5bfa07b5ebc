//! The tables of what the token endpoint issues and checks (SPEC §9, §13): `[tokens]`
//! (lifetimes, refresh rotation, the ID token's algorithm), `[client_auth]` (client
//! assertions, RFC 7523) and `[dpop]` (RFC 9449). Like every table of the file they refuse
//! unknown keys, and [`crate::config::Config::validate`] reports each bad value with its key.

use crate::alg::{AlgList, Configured, JwsAlg, unknown_jws_alg};
use crate::units::Seconds;
use serde::{Deserialize, Serialize};

fn yes() -> bool {
    true
}

/// The algorithms the server signs ID tokens with and holds a key for (SPEC §9):
/// `id_token_signing_alg` and a client's `id_token_signed_response_alg` name one of these.
pub const ID_TOKEN_SIGNING_ALGS: [JwsAlg; 4] =
    [JwsAlg::RS256, JwsAlg::PS256, JwsAlg::ES256, JwsAlg::EdDSA];

/// The longest authorization code lifetime (RFC 6749 §4.1.2: "a maximum authorization code
/// lifetime of 10 minutes is RECOMMENDED").
pub const MAX_CODE_LIFETIME_SECS: u64 = 600;

/// `[tokens]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensConfig {
    /// Authorization codes (at most 10 minutes).
    #[serde(default = "default_code_lifetime")]
    pub code_lifetime: Seconds,
    /// Access tokens.
    #[serde(default = "ten_minutes")]
    pub access_token_lifetime: Seconds,
    /// ID tokens.
    #[serde(default = "ten_minutes")]
    pub id_token_lifetime: Seconds,
    /// Refresh tokens, counted from their last use (idle).
    #[serde(default = "default_refresh_lifetime")]
    pub refresh_token_lifetime: Seconds,
    /// Whether each refresh returns a new refresh token (unset: `rotate`, or `off` under a
    /// FAPI 2.0 profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_rotation: Option<RefreshRotation>,
    /// The ID token algorithm of clients that name none (unset: RS256, or PS256 under a
    /// FAPI profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signing_alg: Option<Configured<JwsAlg>>,
}

/// `[tokens] refresh_rotation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RefreshRotation {
    /// Every use returns a new refresh token; a reused old one revokes the grant (RFC 9700
    /// §4.14.2).
    #[default]
    Rotate,
    /// The same refresh token stays valid (FAPI 2.0 Security Profile §5.3.2).
    Off,
}

impl Default for TokensConfig {
    fn default() -> Self {
        TokensConfig {
            code_lifetime: default_code_lifetime(),
            access_token_lifetime: ten_minutes(),
            id_token_lifetime: ten_minutes(),
            refresh_token_lifetime: default_refresh_lifetime(),
            refresh_rotation: None,
            id_token_signing_alg: None,
        }
    }
}

fn default_code_lifetime() -> Seconds {
    Seconds::secs(60)
}
fn ten_minutes() -> Seconds {
    Seconds::secs(600)
}
fn default_refresh_lifetime() -> Seconds {
    Seconds::secs(30 * 24 * 3600)
}

/// Whether `alg` names one of [`ID_TOKEN_SIGNING_ALGS`]; the problem, with `key`, if not.
pub(crate) fn check_id_token_alg(key: &str, alg: &Configured<JwsAlg>) -> Option<String> {
    match alg {
        Configured::Refused(name) => Some(unknown_jws_alg(key, name)),
        Configured::Known(a) if !ID_TOKEN_SIGNING_ALGS.contains(a) => Some(format!(
            "{key}: the server signs with RS256, PS256, ES256 or EdDSA, not {a}"
        )),
        Configured::Known(_) => None,
    }
}

/// A lifetime between 1 s and `max`, or the problem with `key`.
pub(crate) fn check_lifetime(key: &str, value: Seconds, max: u64) -> Option<String> {
    let s = value.as_secs();
    (s == 0 || s > max).then(|| format!("{key}: must be between 1s and {}", Seconds::secs(max)))
}

/// A year: no token lives longer.
const A_YEAR: u64 = 366 * 24 * 3600;

impl TokensConfig {
    pub(crate) fn validate(&self, errs: &mut Vec<String>) {
        errs.extend(check_lifetime(
            "tokens.code_lifetime",
            self.code_lifetime,
            MAX_CODE_LIFETIME_SECS,
        ));
        errs.extend(check_lifetime(
            "tokens.access_token_lifetime",
            self.access_token_lifetime,
            24 * 3600,
        ));
        errs.extend(check_lifetime(
            "tokens.id_token_lifetime",
            self.id_token_lifetime,
            24 * 3600,
        ));
        errs.extend(check_lifetime(
            "tokens.refresh_token_lifetime",
            self.refresh_token_lifetime,
            A_YEAR,
        ));
        if let Some(a) = &self.id_token_signing_alg {
            errs.extend(check_id_token_alg("tokens.id_token_signing_alg", a));
        }
    }
}

/// `[client_auth]`: client assertions (`private_key_jwt`, RFC 7523 §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientAuthConfig {
    /// The longest `exp − iat` of an assertion (Authlib's default is 3600 s).
    #[serde(default = "default_assertion_lifetime")]
    pub assertion_max_lifetime: Seconds,
    /// What an assertion's `aud` may be (unset: `issuer-or-endpoint`, or `issuer` under a
    /// FAPI 2.0 profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion_audience: Option<AssertionAudience>,
}

/// `[client_auth] assertion_audience`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AssertionAudience {
    /// The issuer or the URL of the endpoint called, as a string or in an array (RFC 7523
    /// §3, RFC 9126 §2).
    #[default]
    IssuerOrEndpoint,
    /// The issuer as a single string (draft-ietf-oauth-rfc7523bis; the audience-injection
    /// attacks CVE-2025-27370/27371 are why).
    Issuer,
}

impl Default for ClientAuthConfig {
    fn default() -> Self {
        ClientAuthConfig {
            assertion_max_lifetime: default_assertion_lifetime(),
            assertion_audience: None,
        }
    }
}

fn default_assertion_lifetime() -> Seconds {
    Seconds::secs(3600)
}

impl ClientAuthConfig {
    pub(crate) fn validate(&self, errs: &mut Vec<String>) {
        errs.extend(check_lifetime(
            "client_auth.assertion_max_lifetime",
            self.assertion_max_lifetime,
            24 * 3600,
        ));
    }
}

/// `[dpop]`: sender-constrained tokens (RFC 9449; SPEC §13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpopConfig {
    /// Accept DPoP proofs and bind tokens to their keys.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Algorithms a proof may be signed with (RFC 9449 §4.2: asymmetric only).
    #[serde(default = "default_dpop_algs")]
    pub algs: AlgList<JwsAlg>,
    /// How old a proof's `iat` may be (RFC 9449 §11.1). `[jar] clock_skew` does not add to
    /// it; a proof may be at most [`DPOP_MAX_FUTURE_SECS`] seconds in the future.
    #[serde(default = "default_proof_max_age")]
    pub proof_max_age: Seconds,
    /// Server-provided nonces (RFC 9449 §8).
    #[serde(default)]
    pub nonce: DpopNonce,
}

/// How far in the future a DPoP proof's `iat` may be (SPEC §13).
pub const DPOP_MAX_FUTURE_SECS: u64 = 10;

/// `[dpop] nonce`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum DpopNonce {
    /// Proofs need no nonce.
    #[default]
    Off,
    /// Every proof must carry a current nonce (RFC 9449 §8: `use_dpop_nonce`).
    Required,
}

impl Default for DpopConfig {
    fn default() -> Self {
        DpopConfig {
            enabled: true,
            algs: default_dpop_algs(),
            proof_max_age: default_proof_max_age(),
            nonce: DpopNonce::Off,
        }
    }
}

fn default_dpop_algs() -> AlgList<JwsAlg> {
    use JwsAlg::*;
    vec![ES256, PS256, EdDSA, RS256].into()
}
fn default_proof_max_age() -> Seconds {
    Seconds::secs(60)
}

impl DpopConfig {
    pub(crate) fn validate(&self, errs: &mut Vec<String>) {
        if self.algs.is_empty() && self.algs.refused().is_empty() {
            errs.push("dpop.algs: must name at least one algorithm".into());
        }
        for a in self.algs.refused() {
            errs.push(unknown_jws_alg("dpop.algs", a));
        }
        for a in self
            .algs
            .iter()
            .filter(|a| a.family() == writ_jose::AlgFamily::Hmac)
        {
            errs.push(format!(
                "dpop.algs: {a} is symmetric; a DPoP proof is signed with the client's private key (RFC 9449 §4.2)"
            ));
        }
        errs.extend(check_lifetime(
            "dpop.proof_max_age",
            self.proof_max_age,
            600,
        ));
    }
}
