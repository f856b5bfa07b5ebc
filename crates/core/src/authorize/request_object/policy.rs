//! The effective request-object policy: the server's `[jar]` settings, tightened by the
//! profile (SPEC §2 `profile`) and then by the client's registration (SPEC §2 `[[clients]]`).
//! A client can only make the rules stricter, never looser.

use crate::clients::Client;
use writ_jose::{JweAlg, JweEnc, JwsAlg};
use writ_protocol::alg::RequestObjectSigningAlg;
use writ_protocol::config::{JarConfig, ParameterPolicy, Profile, ProfileRules, ReplayPolicy};

/// The `typ` of a request object (RFC 9101 §4, §10.8).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";

/// `typ` values of other kinds of JWT (RFC 8725 §3.11 explicit typing): a request object that
/// names one of these is another token replayed as a request (SPEC §4.4).
pub const FOREIGN_TYPS: &[&str] = &[
    "at+jwt",
    "dpop+jwt",
    "logout+jwt",
    "secevent+jwt",
    "token-introspection+jwt",
    "jwk-set+jwt",
    "id_token+jwt",
    "client-authentication+jwt",
    "txn+jwt",
    "kb+jwt",
    "sd-jwt",
    "vc+sd-jwt",
];

/// Server-wide request-object rules, parsed once from `[jar]` with the profile applied.
#[derive(Debug, Clone)]
pub struct JarPolicy {
    /// Accept `request` by value.
    pub request_parameter: bool,
    /// Accept client-hosted `request_uri`.
    pub request_uri_parameter: bool,
    /// Algorithms a request object may be signed with.
    pub signing_algs: Vec<JwsAlg>,
    /// Every client must use JAR.
    pub require_signed: bool,
    /// How query and request-object parameters combine.
    pub parameter_policy: ParameterPolicy,
    /// Tolerance for `exp` / `nbf` / `iat`, seconds.
    pub clock_skew: i64,
    /// `exp` must be present.
    pub require_exp: bool,
    /// `nbf` must be present (FAPI 1.0 Advanced §5.2.2-17).
    pub require_nbf: bool,
    /// Longest `exp − (nbf or iat)`, and oldest `nbf`, seconds.
    pub max_lifetime: i64,
    /// `aud` must be present.
    pub require_aud: bool,
    /// `jti` replay protection.
    pub replay: ReplayPolicy,
    /// Claims that must be in the request object.
    pub required_claims: Vec<String>,
    /// `typ` must be `oauth-authz-req+jwt`.
    pub strict_typ: bool,
    /// Larger request objects are refused before parsing.
    pub max_bytes: usize,
    /// The profile in force.
    pub profile: Option<Profile>,
    /// Whether encrypted request objects are accepted.
    pub encryption_enabled: bool,
    /// Accepted key management algorithms.
    pub encryption_algs: Vec<JweAlg>,
    /// Accepted content encryption algorithms.
    pub encryption_encs: Vec<JweEnc>,
}

/// The longest lifetime FAPI allows for a request object (FAPI 1.0 Advanced §5.2.2-13).
const FAPI_MAX_LIFETIME: i64 = 3600;

impl JarPolicy {
    /// From `[jar]`, whose algorithm names were parsed into the `writ-jose` enums when the file
    /// was read (and validated at start-up: a name that did not parse stops it).
    /// `has_decryption_key` decides the default of `[jar.encryption] enabled`.
    pub fn from_config(jar: &JarConfig, has_decryption_key: bool) -> Self {
        let mut signing_algs: Vec<JwsAlg> = jar.signing_algs.algs().to_vec();
        let mut require_signed = jar.require_signed_request_object;
        let mut require_exp = jar.require_exp;
        let mut require_aud = jar.require_aud;
        let mut require_nbf = false;
        let mut max_lifetime = jar.max_lifetime.as_secs() as i64;
        let mut clock_skew = jar.clock_skew.as_secs() as i64;
        let rules = ProfileRules::of(jar.profile);
        // FAPI 1.0 Advanced §8.6, FAPI 2.0 Security Profile §5.4.1: the profile's algorithms.
        if let Some(allowed) = rules.algs {
            signing_algs.retain(|a| allowed.contains(a));
            if signing_algs.is_empty() {
                signing_algs = allowed.to_vec();
            }
        }
        // FAPI 2.0 Security Profile §5.3.2: `nbf`/`iat` up to 10 s ahead pass.
        if let Some(min) = rules.min_clock_skew {
            clock_skew = clock_skew.max(min as i64);
        }
        if rules.signed_request_objects {
            require_signed = true;
            require_exp = true;
            require_aud = true;
            require_nbf = true;
            max_lifetime = max_lifetime.min(FAPI_MAX_LIFETIME);
        }
        JarPolicy {
            request_parameter: jar.request_parameter,
            request_uri_parameter: jar.request_uri_parameter,
            signing_algs,
            require_signed,
            parameter_policy: jar.parameter_policy,
            clock_skew,
            require_exp,
            require_nbf,
            max_lifetime,
            require_aud,
            replay: jar.replay,
            required_claims: jar.required_claims.clone(),
            strict_typ: jar.strict_typ,
            max_bytes: jar.max_request_object_bytes.as_usize(),
            profile: jar.profile,
            encryption_enabled: jar.encryption.enabled.unwrap_or(has_decryption_key),
            encryption_algs: jar.encryption.algs.algs().to_vec(),
            encryption_encs: jar.encryption.encs.algs().to_vec(),
        }
    }

    /// Whether `client` must send a signed request object (server, profile or client).
    pub fn requires_signed(&self, client: &Client) -> bool {
        self.require_signed
            || client.config.require_signed_request_object
            || self.rules(client).signed_request_objects
    }

    /// The profile rules in force for `client` (SPEC §17).
    pub fn rules(&self, client: &Client) -> ProfileRules {
        ProfileRules::for_client(self.profile, &client.config)
    }

    /// Whether `alg` may sign a request object of `client` (RFC 9101 §6.2; OpenID Connect
    /// Dynamic Client Registration §2): in the server's list and equal to the client's
    /// `request_object_signing_alg` when it has one.
    pub fn signing_alg_allowed(&self, client: &Client, alg: JwsAlg) -> bool {
        self.signing_algs.contains(&alg)
            && self.rules(client).allows(alg)
            && client
                .config
                .request_object_signing_alg
                .as_ref()
                .is_none_or(|a| a.is(RequestObjectSigningAlg::Signed(alg)))
    }

    /// Whether `client` may send an unsigned (`alg: none`) request object by value, and not
    /// inside a JWE (SPEC §2 `allow_unsigned_by_value`; RFC 9101 §6.1 would allow it,
    /// FAPI never does).
    pub fn unsigned_allowed(&self, client: &Client, encrypted: bool) -> bool {
        client.config.allow_unsigned_by_value
            && !self.requires_signed(client)
            && self.rules(client).name.is_none()
            && !encrypted
            && client
                .config
                .request_object_signing_alg
                .as_ref()
                .is_none_or(|a| a.is(RequestObjectSigningAlg::Unsigned))
    }

    /// Whether `(alg, enc)` is the pair `client` registered (SPEC §2
    /// `request_object_encryption_alg` / `_enc`; RFC 7516 §4.1.1, §4.1.2). A client that
    /// registered only one of the two gets the other from the server's list.
    pub fn registered_encryption_fits(&self, client: &Client, alg: JweAlg, enc: JweEnc) -> bool {
        let config = &client.config;
        config
            .request_object_encryption_alg
            .as_ref()
            .is_none_or(|a| a.is(alg))
            && config
                .request_object_encryption_enc
                .as_ref()
                .is_none_or(|e| e.is(enc))
    }

    /// Whether `client` must encrypt its request objects.
    pub fn requires_encryption(&self, client: &Client) -> bool {
        client.config.request_object_encryption_alg.is_some()
            || client.config.request_object_encryption_enc.is_some()
    }

    /// The value `iss` must have (SPEC §2 `request_object_issuer`, else the client id).
    pub fn expected_issuer<'c>(&self, client: &'c Client) -> &'c str {
        client
            .config
            .request_object_issuer
            .as_deref()
            .unwrap_or(&client.config.client_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fapi_profiles_tighten_every_knob() {
        for profile in [Profile::Fapi1Advanced, Profile::Fapi2MessageSigning] {
            let jar = JarConfig {
                profile: Some(profile),
                max_lifetime: writ_protocol::units::Seconds::secs(7200),
                ..JarConfig::default()
            };
            let p = JarPolicy::from_config(&jar, true);
            // The defaults include RS*, PS384... : FAPI 1.0 keeps PS256 and ES256 (§8.6), FAPI
            // 2.0 PS256, ES256 and EdDSA under both its names (Security Profile §5.4.1).
            assert!(jar.signing_algs.iter().any(|a| *a == JwsAlg::Ed25519));
            let expected = match profile {
                Profile::Fapi1Advanced => vec![JwsAlg::PS256, JwsAlg::ES256],
                _ => vec![JwsAlg::PS256, JwsAlg::ES256, JwsAlg::EdDSA, JwsAlg::Ed25519],
            };
            assert_eq!(p.signing_algs, expected);
            assert!(p.require_aud && p.require_exp && p.require_nbf && p.require_signed);
            assert_eq!(p.max_lifetime, 3600);
        }
    }

    #[test]
    fn fapi2_security_narrows_algs_but_does_not_require_request_objects() {
        let jar = JarConfig {
            profile: Some(Profile::Fapi2Security),
            clock_skew: writ_protocol::units::Seconds::secs(5),
            ..JarConfig::default()
        };
        let p = JarPolicy::from_config(&jar, true);
        assert!(!p.require_signed && !p.require_nbf);
        assert!(!p.signing_algs.contains(&JwsAlg::RS256));
        // FAPI 2.0 Security Profile §5.3.2: `nbf`/`iat` up to 10 s ahead are accepted.
        assert_eq!(p.clock_skew, 10);
    }

    #[test]
    fn default_policy_is_the_spec_default() {
        let p = JarPolicy::from_config(&JarConfig::default(), true);
        assert_eq!(p.signing_algs.len(), 11);
        assert!(!p.signing_algs.contains(&JwsAlg::HS256));
        // RFC 9864 §2.2: both names of Ed25519 signatures.
        assert!(p.signing_algs.contains(&JwsAlg::EdDSA));
        assert!(p.signing_algs.contains(&JwsAlg::Ed25519));
        assert!(p.require_exp && !p.require_aud && !p.require_nbf && !p.require_signed);
        assert_eq!(p.max_lifetime, 3600);
        assert_eq!(p.clock_skew, 30);
        assert_eq!(p.max_bytes, 64 * 1024);
        assert!(p.encryption_enabled);
        assert_eq!(p.encryption_algs.len(), 8);
        assert_eq!(p.encryption_encs.len(), 4);
    }

    #[test]
    fn encryption_defaults_off_without_a_decryption_key() {
        assert!(!JarPolicy::from_config(&JarConfig::default(), false).encryption_enabled);
    }
}
