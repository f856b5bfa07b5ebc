//! Deleting expired rows (SPEC §10: "Expired rows are purged in the background"; the task is
//! `purge.rs`). Reads already treat expired rows as absent: purging is housekeeping only.

use writ_core::ports::{StoreError, UnixTime};

use super::db::{Arg, Db};
use crate::backend;

/// Rows per purge statement, so one sweep never holds the (SQLite) writer for long.
const BATCH: i64 = 500;
/// One bounded `DELETE` per table: `$1` is now, `$2` the batch size. A row is expired when
/// `expires_at <= now`, exactly when reads stop seeing it.
const PURGE: [&str; 8] = [
    "DELETE FROM interactions WHERE id IN \
     (SELECT id FROM interactions WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM sessions WHERE id IN \
     (SELECT id FROM sessions WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM pushed_requests WHERE uri_hash IN \
     (SELECT uri_hash FROM pushed_requests WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM codes WHERE code_hash IN \
     (SELECT code_hash FROM codes WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM refresh_tokens WHERE token_hash IN \
     (SELECT token_hash FROM refresh_tokens WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM replay WHERE (namespace, entry_key) IN \
     (SELECT namespace, entry_key FROM replay WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM attempts WHERE (namespace, entry_key) IN \
     (SELECT namespace, entry_key FROM attempts WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM grants WHERE id IN \
     (SELECT id FROM grants WHERE expires_at <= $1 LIMIT $2)",
];

/// Delete every row expired at `now`, batch by batch: how many went.
pub(crate) async fn purge<D: Db>(db: &D, now: UnixTime) -> Result<u64, StoreError> {
    let mut total = 0;
    for statement in PURGE {
        loop {
            let gone = db
                .execute(statement, &[Arg::Int(now), Arg::Int(BATCH)])
                .await
                .map_err(backend)?;
            total += gone;
            if gone < BATCH.unsigned_abs() {
                break;
            }
        }
    }
    Ok(total)
}
