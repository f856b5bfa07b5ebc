//! Why a request object was refused: the check that failed (a stable name for metrics, audit
//! and `writ request inspect`), a public description and the internal detail.

use crate::error::{OAuthError, RequestObjectAudit};
use std::borrow::Cow;
use writ_protocol::ErrorCode;

/// A check of SPEC §4 stages 2–6 that a request object can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// A request object by value is accepted (`[jar] request_parameter`, SPEC §4.2).
    Source,
    /// A client-hosted `request_uri` is accepted from this client (`[jar]
    /// request_uri_parameter`, its `request_uris`, a fetcher; RFC 9101 §10.4).
    ReferenceAllowed,
    /// At most `max_request_object_bytes`, checked before parsing.
    Size,
    /// Compact JWS (3 parts) or JWE (5 parts), well formed.
    Format,
    /// Encryption is required by the client and was not used, or is disabled.
    Encryption,
    /// JWE `alg` / `enc` allowed for the server and the client.
    EncryptionAlg,
    /// A server decryption key (by `kid`) or a client secret fits.
    DecryptionKey,
    /// The JWE decrypted.
    Decrypt,
    /// The JWE plaintext is a signed JWS (SPEC §4.3).
    NestedJws,
    /// `alg: none` only where explicitly allowed.
    Unsigned,
    /// JWS `alg` in the allowed list and equal to the client's registered one.
    SigningAlg,
    /// No unknown `crit` (RFC 7515 §4.1.11).
    Crit,
    /// `typ` is not another JWT kind, and `oauth-authz-req+jwt` under `strict_typ`.
    Typ,
    /// A registered key fits the `kid` and `alg`.
    Key,
    /// The signature verifies.
    Signature,
    /// The payload is a JSON object without duplicate members.
    Claims,
    /// `iss` is the client (or its `request_object_issuer`).
    Iss,
    /// `aud` names this server.
    Aud,
    /// `exp` present (when required) and not passed.
    Exp,
    /// `nbf` present (when required), reached and not too old.
    Nbf,
    /// `iat` is not in the future.
    Iat,
    /// `exp − (nbf or iat)` within `max_lifetime`.
    Lifetime,
    /// `client_id` inside equals the query's.
    ClientId,
    /// No `request` / `request_uri` inside (RFC 9101 §4).
    Nested,
    /// `required_claims` present.
    RequiredClaims,
    /// `jti` not seen before.
    Replay,
    /// Parameters combine under `parameter_policy`.
    Parameters,
    /// A signed request object is required (RFC 9101 §10.5), and one was sent.
    Required,
    /// A client-hosted `request_uri` is registered and could be fetched (SPEC §5).
    RequestUri,
    /// A pushed `request_uri` is known, unexpired, unused and this client's (RFC 9126 §4).
    Pushed,
}

impl Check {
    /// Every check, in pipeline order.
    pub const ALL: &'static [Check] = &[
        Check::Source,
        Check::ReferenceAllowed,
        Check::Size,
        Check::Format,
        Check::Encryption,
        Check::EncryptionAlg,
        Check::DecryptionKey,
        Check::Decrypt,
        Check::NestedJws,
        Check::Unsigned,
        Check::SigningAlg,
        Check::Crit,
        Check::Typ,
        Check::Key,
        Check::Signature,
        Check::Claims,
        Check::Iss,
        Check::Aud,
        Check::Exp,
        Check::Nbf,
        Check::Iat,
        Check::Lifetime,
        Check::ClientId,
        Check::Nested,
        Check::RequiredClaims,
        Check::Replay,
        Check::Parameters,
        Check::Required,
        Check::RequestUri,
        Check::Pushed,
    ];

    /// The stable name (metric label, audit field, inspect output).
    pub fn name(self) -> &'static str {
        match self {
            Check::Source => "source",
            Check::ReferenceAllowed => "request_uri_allowed",
            Check::Size => "size",
            Check::Format => "format",
            Check::Encryption => "encryption",
            Check::EncryptionAlg => "encryption_alg",
            Check::DecryptionKey => "decryption_key",
            Check::Decrypt => "decrypt",
            Check::NestedJws => "nested_jws",
            Check::Unsigned => "unsigned",
            Check::SigningAlg => "signing_alg",
            Check::Crit => "crit",
            Check::Typ => "typ",
            Check::Key => "key",
            Check::Signature => "signature",
            Check::Claims => "claims",
            Check::Iss => "iss",
            Check::Aud => "aud",
            Check::Exp => "exp",
            Check::Nbf => "nbf",
            Check::Iat => "iat",
            Check::Lifetime => "lifetime",
            Check::ClientId => "client_id",
            Check::Nested => "nested_request",
            Check::RequiredClaims => "required_claims",
            Check::Replay => "replay",
            Check::Parameters => "parameters",
            Check::Required => "required",
            Check::RequestUri => "request_uri",
            Check::Pushed => "pushed_request",
        }
    }

    /// The RFC 9101 §7 / RFC 6749 error code this check fails with.
    pub fn error_code(self) -> ErrorCode {
        match self {
            Check::Source => ErrorCode::RequestNotSupported,
            Check::ReferenceAllowed => ErrorCode::RequestUriNotSupported,
            Check::Parameters | Check::Required => ErrorCode::InvalidRequest,
            Check::RequestUri | Check::Pushed => ErrorCode::InvalidRequestUri,
            _ => ErrorCode::InvalidRequestObject,
        }
    }
}

/// A refused request object.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The check that failed.
    pub check: Check,
    /// Public, one-line, safe description.
    pub public: Cow<'static, str>,
    /// Internal detail (logged, never sent).
    pub detail: Option<String>,
    /// The object's `kid`, once its header was read (for the audit log).
    pub kid: Option<String>,
    /// The object's `alg`, once its header was read (for the audit log).
    pub alg: Option<String>,
}

impl Refusal {
    /// A refusal with a public description.
    pub fn new(check: Check, public: impl Into<Cow<'static, str>>) -> Self {
        Refusal {
            check,
            public: public.into(),
            detail: None,
            kid: None,
            alg: None,
        }
    }

    /// Record the header's `kid` and `alg` unless already set.
    pub fn about(mut self, kid: Option<&str>, alg: &str) -> Self {
        if self.alg.is_none() {
            self.kid = kid.map(str::to_string);
            self.alg = Some(alg.to_string());
        }
        self
    }

    /// Attach the internal detail.
    pub fn detail(mut self, detail: impl std::fmt::Display) -> Self {
        self.detail = Some(detail.to_string());
        self
    }

    /// The protocol error, with what the audit log needs (SPEC §12).
    pub fn into_error(self) -> OAuthError {
        let mut e = OAuthError::new(self.check.error_code(), self.public);
        e.detail = self.detail;
        e.request_object = Some(Box::new(RequestObjectAudit {
            client_id: None,
            check: self.check.name(),
            kid: self
                .kid
                .as_deref()
                .map(crate::authorize::params::printable_value),
            alg: self
                .alg
                .as_deref()
                .map(crate::authorize::params::printable_value),
        }));
        e
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.check.name(), self.public)?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_are_unique_and_snake_case() {
        let mut names: Vec<_> = Check::ALL.iter().map(|c| c.name()).collect();
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }
}
