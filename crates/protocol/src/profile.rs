//! The FAPI profiles of SPEC §17 as rules: what each one imposes, the union of a server-wide
//! profile (`[jar] profile`) and a client's own (`profile` on the client), and the checks that
//! refuse, at start-up or at `writ client add`, a setting or a registration that is looser than
//! the profile in force. A profile only tightens: the core applies [`ProfileRules`] where each
//! rule runs, and this module refuses what would contradict them.

use crate::alg::{Configured, JwsAlg, RequestObjectSigningAlg};
use crate::client::{ClientConfig, TokenEndpointAuthMethod};
pub use crate::preset::Profile;

/// FAPI 1.0 Advanced §8.6: PS256 and ES256.
pub const FAPI1_ALGS: &[JwsAlg] = &[JwsAlg::PS256, JwsAlg::ES256];
/// FAPI 2.0 Security Profile §5.4.1: PS256, ES256 and EdDSA with Ed25519 (either name,
/// RFC 9864 §2.2).
pub const FAPI2_ALGS: &[JwsAlg] = &[JwsAlg::PS256, JwsAlg::ES256, JwsAlg::EdDSA, JwsAlg::Ed25519];
/// FAPI 2.0 Security Profile §5.3.2: authorization codes live at most 60 seconds.
pub const FAPI2_MAX_CODE_LIFETIME: u64 = 60;
/// FAPI 2.0 Security Profile §5.3.2: a PAR `expires_in` below 600 seconds.
pub const FAPI2_MAX_PAR_LIFETIME: u64 = 599;
/// FAPI 2.0 Security Profile §5.3.2: `nbf`/`iat` up to 10 seconds in the future.
pub const FAPI2_MIN_CLOCK_SKEW: u64 = 10;

/// What the profiles in force impose (all `false`/`None`: no profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProfileRules {
    /// The strictest profile in force, for messages.
    pub name: Option<Profile>,
    /// Signed request objects (FAPI 1.0 Advanced §5.2.2-1, FAPI 2.0 Message Signing).
    pub signed_request_objects: bool,
    /// Authorization responses only by JARM (FAPI 1.0 Advanced §5.2.2-2: the `code` flow
    /// needs `response_mode=jwt`, since Writ does not offer `code id_token`).
    pub jarm_required: bool,
    /// Pushed authorization requests only (FAPI 2.0 SP §5.3.2).
    pub par_required: bool,
    /// Confidential clients only (FAPI 2.0 SP §5.3.2).
    pub confidential_only: bool,
    /// `private_key_jwt` (or mTLS, not supported) only (FAPI 2.0 SP §5.3.2).
    pub private_key_jwt_only: bool,
    /// A client assertion's `aud` is the issuer as a single string (FAPI 2.0 SP §5.3.2,
    /// draft-ietf-oauth-rfc7523bis).
    pub assertion_aud_issuer_only: bool,
    /// Sender-constrained access tokens: DPoP (FAPI 2.0 SP §5.3.2).
    pub dpop_required: bool,
    /// PKCE with S256 (FAPI 2.0 SP §5.3.2).
    pub pkce_required: bool,
    /// No `http` redirect URI except for loopback (FAPI 2.0 SP §5.3.2 asks https).
    pub https_redirect_uris: bool,
    /// Refresh tokens are not rotated (FAPI 2.0 SP §5.3.2).
    pub no_refresh_rotation: bool,
    /// The only algorithms for every signature the server checks or makes.
    pub algs: Option<&'static [JwsAlg]>,
    /// Longest authorization code lifetime (seconds).
    pub max_code_lifetime: Option<u64>,
    /// Longest PAR lifetime (seconds).
    pub max_par_lifetime: Option<u64>,
    /// Smallest clock skew for `nbf`/`iat` in the future (seconds).
    pub min_clock_skew: Option<u64>,
}

impl ProfileRules {
    /// The rules of `profile`.
    pub fn of(profile: Option<Profile>) -> Self {
        let fapi2 = ProfileRules {
            name: profile,
            par_required: true,
            confidential_only: true,
            private_key_jwt_only: true,
            assertion_aud_issuer_only: true,
            dpop_required: true,
            pkce_required: true,
            https_redirect_uris: true,
            no_refresh_rotation: true,
            algs: Some(FAPI2_ALGS),
            max_code_lifetime: Some(FAPI2_MAX_CODE_LIFETIME),
            max_par_lifetime: Some(FAPI2_MAX_PAR_LIFETIME),
            min_clock_skew: Some(FAPI2_MIN_CLOCK_SKEW),
            ..ProfileRules::default()
        };
        match profile {
            None => ProfileRules::default(),
            Some(Profile::Fapi1Advanced) => ProfileRules {
                name: profile,
                signed_request_objects: true,
                jarm_required: true,
                algs: Some(FAPI1_ALGS),
                ..ProfileRules::default()
            },
            Some(Profile::Fapi2Security) => fapi2,
            Some(Profile::Fapi2MessageSigning) => ProfileRules {
                signed_request_objects: true,
                ..fapi2
            },
        }
    }

    /// Both sets of rules at once (SPEC §17: "the stricter of the two applies").
    pub fn union(self, other: ProfileRules) -> Self {
        let min = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        let algs = match (self.algs, other.algs) {
            // FAPI 1's list is inside FAPI 2's: the shorter is the intersection.
            (Some(a), Some(b)) => Some(if a.len() <= b.len() { a } else { b }),
            (a, b) => a.or(b),
        };
        ProfileRules {
            name: stricter(self.name, other.name),
            signed_request_objects: self.signed_request_objects || other.signed_request_objects,
            jarm_required: self.jarm_required || other.jarm_required,
            par_required: self.par_required || other.par_required,
            confidential_only: self.confidential_only || other.confidential_only,
            private_key_jwt_only: self.private_key_jwt_only || other.private_key_jwt_only,
            assertion_aud_issuer_only: self.assertion_aud_issuer_only
                || other.assertion_aud_issuer_only,
            dpop_required: self.dpop_required || other.dpop_required,
            pkce_required: self.pkce_required || other.pkce_required,
            https_redirect_uris: self.https_redirect_uris || other.https_redirect_uris,
            no_refresh_rotation: self.no_refresh_rotation || other.no_refresh_rotation,
            algs,
            max_code_lifetime: min(self.max_code_lifetime, other.max_code_lifetime),
            max_par_lifetime: min(self.max_par_lifetime, other.max_par_lifetime),
            min_clock_skew: match (self.min_clock_skew, other.min_clock_skew) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            },
        }
    }

    /// The rules for `client` under the server-wide `server` profile.
    pub fn for_client(server: Option<Profile>, client: &ClientConfig) -> Self {
        ProfileRules::of(server).union(ProfileRules::of(client.profile))
    }

    /// Whether `alg` may be used for a signature under these rules.
    pub fn allows(&self, alg: JwsAlg) -> bool {
        self.algs.is_none_or(|a| a.contains(&alg))
    }

    /// The profile's name, for messages.
    pub fn label(&self) -> &'static str {
        self.name.map_or("no", Profile::as_str)
    }
}

fn rank(p: Profile) -> u8 {
    match p {
        Profile::Fapi1Advanced => 1,
        Profile::Fapi2Security => 2,
        Profile::Fapi2MessageSigning => 3,
    }
}

fn stricter(a: Option<Profile>, b: Option<Profile>) -> Option<Profile> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if rank(x) >= rank(y) { x } else { y }),
        (x, y) => x.or(y),
    }
}

/// Whether `uri` is `http` to a loopback host (RFC 8252 §7.3).
fn is_loopback_http(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| {
        u.scheme() == "http"
            && match u.host() {
                Some(url::Host::Ipv4(a)) => a.is_loopback(),
                Some(url::Host::Ipv6(a)) => a.is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            }
    })
}

/// SPEC §17: the problems of registration `c` under `server`'s profile and its own, each
/// naming the key and the profile. Empty when it complies.
pub fn check_client(server: Option<Profile>, c: &ClientConfig) -> Vec<String> {
    let r = ProfileRules::for_client(server, c);
    let p = r.label();
    let mut errs = Vec::new();
    if r.confidential_only && c.is_public() {
        errs.push(format!(
            "token_endpoint_auth_method: \"none\" (a public client) is not allowed by the {p} profile: confidential clients only"
        ));
    } else if r.private_key_jwt_only
        && c.token_endpoint_auth_method != TokenEndpointAuthMethod::PrivateKeyJwt
    {
        errs.push(format!(
            "token_endpoint_auth_method: the {p} profile allows only private_key_jwt"
        ));
    }
    if r.https_redirect_uris {
        for (i, u) in c.redirect_uris.iter().enumerate() {
            if u.starts_with("http:") && !is_loopback_http(u) {
                errs.push(format!(
                    "redirect_uris[{i}]: {u:?} is http; the {p} profile allows http only to a loopback address"
                ));
            }
        }
    }
    if r.pkce_required && c.require_pkce == Some(false) {
        errs.push(format!(
            "require_pkce: false contradicts the {p} profile (PKCE with S256 is required)"
        ));
    }
    for (key, alg) in [
        (
            "id_token_signed_response_alg",
            &c.id_token_signed_response_alg,
        ),
        (
            "introspection_signed_response_alg",
            &c.introspection_signed_response_alg,
        ),
        (
            "authorization_signed_response_alg",
            &c.authorization_signed_response_alg,
        ),
    ] {
        if let Some(Configured::Known(a)) = alg
            && !r.allows(*a)
        {
            errs.push(format!(
                "{key}: {a} is not allowed by the {p} profile (PS256, ES256, EdDSA)"
            ));
        }
    }
    if let Some(Configured::Known(RequestObjectSigningAlg::Signed(a))) =
        &c.request_object_signing_alg
        && !r.allows(*a)
    {
        errs.push(format!(
            "request_object_signing_alg: {a} is not allowed by the {p} profile"
        ));
    }
    if r.signed_request_objects && c.allow_unsigned_by_value {
        errs.push(format!(
            "allow_unsigned_by_value: true contradicts the {p} profile (signed request objects)"
        ));
    }
    errs
}
