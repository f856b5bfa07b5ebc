//! What authorization codes and refresh tokens share (RFC 6749 §4.1.2, §10.5; RFC 9700
//! §4.14.2): each is consumed once, atomically in the store, and a second use revokes the
//! whole grant with every token it issued.

use crate::clients::Client;
use crate::error::OAuthError;
use crate::ports::{Consumed, UnixTime};
use crate::provider::Provider;
use writ_protocol::ErrorCode;

/// `invalid_grant` (RFC 6749 §5.2).
pub(crate) fn invalid_grant(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, description)
}

/// What kind of one-time credential is being used, for its messages.
pub(crate) struct Reuse {
    /// The audit line of a reuse.
    audit: &'static str,
    /// `error_description` of a reuse.
    reused: &'static str,
    /// `error_description` of an unknown or expired one.
    pub(crate) missing: &'static str,
}

impl Reuse {
    /// An authorization code (RFC 6749 §4.1.2: used once; a second use revokes).
    pub(crate) const CODE: Reuse = Reuse {
        audit: "authorization code reused: grant revoked",
        reused: "the authorization code was already used",
        missing: "the authorization code is invalid or expired",
    };
    /// A refresh token under rotation (RFC 9700 §4.14.2).
    pub(crate) const REFRESH_TOKEN: Reuse = Reuse {
        audit: "refresh token reused: grant revoked",
        reused: "the refresh token was already used",
        missing: "the refresh token is invalid or expired",
    };
}

/// A credential of a grant (it names its `grant_id`).
pub(crate) trait OfGrant {
    /// The grant it belongs to.
    fn grant_id(&self) -> &str;
}

impl OfGrant for crate::ports::StoredCode {
    fn grant_id(&self) -> &str {
        &self.grant_id
    }
}

impl OfGrant for crate::ports::StoredRefreshToken {
    fn grant_id(&self) -> &str {
        &self.grant_id
    }
}

/// The record this call consumed; on a reuse, the grant is revoked first (and audited), and
/// the caller gets `invalid_grant`.
pub(crate) async fn consume_or_revoke<T: OfGrant>(
    provider: &Provider,
    client: &Client,
    consumed: Consumed<T>,
    kind: Reuse,
    now: UnixTime,
) -> Result<T, OAuthError> {
    match consumed {
        Consumed::Now(record) => Ok(record),
        Consumed::Already(record) => {
            provider.store.grant_revoke(record.grant_id(), now).await?;
            tracing::warn!(target: "audit", client_id = client.id(), grant_id = %record.grant_id(),
                "{}", kind.audit);
            Err(invalid_grant(kind.reused))
        }
        Consumed::Missing => Err(invalid_grant(kind.missing)),
    }
}
