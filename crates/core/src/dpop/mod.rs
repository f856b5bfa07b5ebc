//! DPoP: sender-constrained tokens (RFC 9449; SPEC §13).
//!
//! A client proves possession of a key by sending, with each request, a fresh JWT (the proof)
//! signed by that key and carrying the public key in its header. [`proof::check`] runs the
//! checks of RFC 9449 §4.3 in this order, and only a proof that passes all of them becomes a
//! [`CheckedProof`]:
//!
//! | # | check | rule | name |
//! |---|-------|------|------|
//! | 1 | one `DPoP` header, at most [`MAX_PROOF_BYTES`], a JWS | §4.3 steps 1–2 | `header`, `format` |
//! | 2 | `typ` is `dpop+jwt` | §4.2, §4.3 step 4 | `typ` |
//! | 3 | `alg` asymmetric and in `[dpop] algs` | §4.3 step 5 | `alg` |
//! | 4 | `jwk`: a public key, no private members, not symmetric, fit for `alg` | §4.3 step 7 | `jwk` |
//! | 5 | the signature verifies with that key | §4.3 step 6 | `signature` |
//! | 6 | claims: `jti`, `htm`, `htu`, `iat` present and typed | §4.2, §4.3 step 3 | `claims` |
//! | 7 | `htm` is the request's method | §4.3 step 8 | `htm` |
//! | 8 | `htu` is this endpoint's URI | §4.3 step 9 | `htu` |
//! | 9 | `nonce` current, when `[dpop] nonce = "required"` | §4.3 step 10, §8 | `nonce` |
//! | 10 | `iat` no older than `proof_max_age`, at most 10 s ahead | §4.3 step 11, §11.1 | `iat` |
//! | 11 | `ath` is the hash of the presented access token | §4.3 step 12, §7 | `ath` |
//! | 12 | `jti` not seen before within the window, on any node | §11.1 | `jti` |
//!
//! Every refusal is an [`OAuthError`] `invalid_dpop_proof` (or `use_dpop_nonce` for check 9)
//! whose description names the check, and whose `dpop_check` the server counts
//! (`writ_dpop_proofs_total`) and the flows audit.

pub mod check;
pub(crate) mod htu;
pub mod nonce;
pub mod proof;

pub use check::DpopCheck;
pub use nonce::NonceKey;
pub use proof::{CheckedProof, Expected, UnrecordedProof, check, check_unrecorded};

use crate::error::OAuthError;
use writ_jose::{AlgFamily, JwsAlg};
use writ_protocol::ErrorCode;
use writ_protocol::config::{DPOP_MAX_FUTURE_SECS, DpopConfig, DpopNonce, ProfileRules};

/// What a request brought for DPoP: its method and every `DPoP` header value.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sent<'a> {
    /// The HTTP method, as received.
    pub method: &'a str,
    /// Every `DPoP` header value, in order (more than one is refused).
    pub proofs: &'a [&'a str],
}

/// Largest `DPoP` header accepted (a proof with an RSA 4096 key is about 1.5 KiB).
pub const MAX_PROOF_BYTES: usize = 8 * 1024;

/// `[dpop]` as the checks use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopPolicy {
    enabled: bool,
    algs: Vec<JwsAlg>,
    max_age: i64,
    max_future: i64,
    nonce_required: bool,
}

impl DpopPolicy {
    /// From the validated `[dpop]` table; symmetric algorithms never pass (RFC 9449 §4.2),
    /// whatever the list says, and a server-wide profile narrows the list to its algorithms
    /// (SPEC §17).
    pub fn from_config(c: &DpopConfig, rules: &ProfileRules) -> Self {
        DpopPolicy {
            enabled: c.enabled,
            algs: c
                .algs
                .iter()
                .copied()
                .filter(|a| a.family() != AlgFamily::Hmac && rules.allows(*a))
                .collect(),
            max_age: i64::try_from(c.proof_max_age.as_secs()).unwrap_or(i64::MAX),
            max_future: DPOP_MAX_FUTURE_SECS as i64,
            nonce_required: c.nonce == DpopNonce::Required,
        }
    }

    /// Whether DPoP is offered at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The algorithms a proof may use (discovery's `dpop_signing_alg_values_supported`).
    pub fn algs(&self) -> &[JwsAlg] {
        &self.algs
    }

    /// Whether every proof must carry a server nonce.
    pub fn nonce_required(&self) -> bool {
        self.nonce_required
    }

    /// `algs="ES256 PS256"` for a `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1).
    pub fn algs_parameter(&self) -> String {
        let names: Vec<&str> = self.algs.iter().map(|a| a.as_str()).collect();
        names.join(" ")
    }
}

impl Default for DpopPolicy {
    fn default() -> Self {
        Self::from_config(&DpopConfig::default(), &ProfileRules::default())
    }
}

/// A refused proof: `invalid_dpop_proof` naming the check, or `use_dpop_nonce` (RFC 9449
/// §8) when the nonce is missing or stale.
pub fn refused(check: DpopCheck, description: impl Into<String>) -> OAuthError {
    let code = if check == DpopCheck::Nonce {
        ErrorCode::UseDpopNonce
    } else {
        ErrorCode::InvalidDpopProof
    };
    let mut e = OAuthError::new(code, description.into());
    e.dpop_check = Some(check);
    e
}

/// SPEC §12 for DPoP: one audit event per refused proof, with the failing check.
pub fn audit_refused(e: &OAuthError, client_id: Option<&str>, endpoint: &str) {
    if let Some(check) = e.dpop_check.map(DpopCheck::as_str) {
        tracing::warn!(
            target: "writ::audit",
            event = "dpop_proof_refused",
            client_id = client_id.unwrap_or(""),
            endpoint,
            check,
            error = e.code.as_str(),
            description = %e.description,
            "DPoP proof refused"
        );
    }
}
