//! Replay detection (SPEC §4.5 `replay`, §9 `private_key_jwt` `jti`; RFC 7519 §4.1.7,
//! RFC 7523 §3): a key seen once is refused until it expires, across every node.

use writ_core::ports::{StoreError, UnixTime};

use super::db::{Arg, Db, On};
use crate::backend;

/// New key: inserted. Existing unexpired entry: untouched (0 rows, a replay). Existing
/// expired entry: replaced (1 row).
pub(crate) const INSERT: &str = "INSERT INTO replay (namespace, entry_key, expires_at) VALUES ($1, $2, $3) \
     ON CONFLICT (namespace, entry_key) DO UPDATE SET expires_at = excluded.expires_at \
     WHERE replay.expires_at <= $4";

/// `$1` the namespace, `$2` the key, `$3` now.
const SEEN: &str = "SELECT expires_at FROM replay \
     WHERE namespace = $1 AND entry_key = $2 AND expires_at > $3";

/// Remember `key` in `namespace` until `expires_at`: `true` the first time (or once an
/// earlier entry has expired), `false` for a replay.
pub(crate) async fn insert_once<D: Db>(
    db: &D,
    namespace: &str,
    key: &str,
    expires_at: UnixTime,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let inserted = db
        .execute(
            INSERT,
            &[
                Arg::Text(namespace),
                Arg::Text(key),
                Arg::Int(expires_at),
                Arg::Int(now),
            ],
        )
        .await
        .map_err(backend)?;
    Ok(inserted > 0)
}

/// Whether `key` is remembered in `namespace` and not yet expired (a revoked access token's
/// `jti`, RFC 7009 §2).
pub(crate) async fn seen<D: Db>(
    db: &D,
    namespace: &str,
    key: &str,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = db
        .fetch_optional(
            On::Reader,
            SEEN,
            &[Arg::Text(namespace), Arg::Text(key), Arg::Int(now)],
        )
        .await
        .map_err(backend)?;
    Ok(row.is_some())
}
