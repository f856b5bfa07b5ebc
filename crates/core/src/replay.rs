//! A `jti` to be seen once (RFC 7519 §4.1.7): checked, not yet remembered.
//!
//! A token request can carry two of them, the client assertion's (RFC 7523 §3) and the DPoP
//! proof's (RFC 9449 §11.1). Each check ends with a [`PendingJti`] instead of a write of its
//! own, so that `/token` remembers both with one store write
//! ([`Store::replay_insert_each`]) once both have verified: the proof then costs a signature
//! check and a row, not another round trip to the store.

use crate::ports::{ReplayEntry, Store, StoreError, UnixTime};

/// A `jti` whose every other check passed; nothing is remembered until [`remember`] (or the
/// owner's own `record`) writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingJti {
    namespace: &'static str,
    key: String,
    expires_at: UnixTime,
}

impl PendingJti {
    /// `key` (already hashed or otherwise made safe to store) in `namespace`, refused again
    /// until `expires_at`.
    pub(crate) fn new(namespace: &'static str, key: String, expires_at: UnixTime) -> Self {
        PendingJti {
            namespace,
            key,
            expires_at,
        }
    }

    fn entry(&self) -> ReplayEntry<'_> {
        ReplayEntry {
            namespace: self.namespace,
            key: &self.key,
            expires_at: self.expires_at,
        }
    }
}

/// Remember every `jti` in one write; at each index, whether it was new (`false`: a replay).
/// Every one is written whatever the others' outcome.
pub(crate) async fn remember(
    store: &dyn Store,
    pending: &[&PendingJti],
    now: UnixTime,
) -> Result<Vec<bool>, StoreError> {
    let entries: Vec<ReplayEntry<'_>> = pending.iter().map(|p| p.entry()).collect();
    let outcomes = store.replay_insert_each(&entries, now).await?;
    if outcomes.len() == entries.len() {
        Ok(outcomes)
    } else {
        Err(StoreError::Backend(format!(
            "the replay cache answered {} outcomes for {} entries",
            outcomes.len(),
            entries.len()
        )))
    }
}

/// Remember one `jti`: whether it was new.
pub(crate) async fn remember_one(
    store: &dyn Store,
    pending: &PendingJti,
    now: UnixTime,
) -> Result<bool, StoreError> {
    store
        .replay_insert_once(pending.namespace, &pending.key, pending.expires_at, now)
        .await
}
