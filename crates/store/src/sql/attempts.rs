//! Attempt counters (issue 16, finding 3; SPEC §8 sign-in limits): a count per
//! `(namespace, key)` over a window, raised by one atomic statement on every node.

use writ_core::ports::{StoreError, UnixTime};

use super::db::{Arg, Db, On};
use crate::backend;

/// A new key starts at 1 with the caller's window; a live one is raised by 1 in its own
/// window; an expired one starts again at 1 with the new window. One statement, so of any
/// number of concurrent callers each sees a different count. `$1` namespace, `$2` key, `$3`
/// the window's end for a new count, `$4` now.
const ADD: &str = "INSERT INTO attempts (namespace, entry_key, count, expires_at) \
     VALUES ($1, $2, 1, $3) \
     ON CONFLICT (namespace, entry_key) DO UPDATE SET \
     count = CASE WHEN attempts.expires_at <= $4 THEN 1 ELSE attempts.count + 1 END, \
     expires_at = CASE WHEN attempts.expires_at <= $4 THEN excluded.expires_at \
     ELSE attempts.expires_at END \
     RETURNING count, expires_at";
const GET: &str = "SELECT count, expires_at FROM attempts \
     WHERE namespace = $1 AND entry_key = $2 AND expires_at > $3";
const CLEAR: &str = "DELETE FROM attempts WHERE namespace = $1 AND entry_key = $2";
const EXTEND: &str = "UPDATE attempts SET expires_at = $3 \
     WHERE namespace = $1 AND entry_key = $2 AND expires_at < $3";

#[derive(sqlx::FromRow)]
struct CountRow {
    count: i64,
    expires_at: i64,
}

fn count(row: CountRow) -> (u32, UnixTime) {
    (
        u32::try_from(row.count.max(0)).unwrap_or(u32::MAX),
        row.expires_at,
    )
}

/// Raise the count of `key` in `namespace` (a new or expired one starts at 1, its window
/// ending at `window_end`): the new count and the end of its window.
pub(crate) async fn add<D: Db>(
    db: &D,
    namespace: &str,
    key: &str,
    window_end: UnixTime,
    now: UnixTime,
) -> Result<(u32, UnixTime), StoreError> {
    let row: CountRow = db
        .fetch_one(
            On::Writer,
            ADD,
            &[
                Arg::Text(namespace),
                Arg::Text(key),
                Arg::Int(window_end),
                Arg::Int(now),
            ],
        )
        .await
        .map_err(backend)?;
    Ok(count(row))
}

/// The live count of `key` and the end of its window, if any.
pub(crate) async fn get<D: Db>(
    db: &D,
    namespace: &str,
    key: &str,
    now: UnixTime,
) -> Result<Option<(u32, UnixTime)>, StoreError> {
    let row: Option<CountRow> = db
        .fetch_optional(
            On::Reader,
            GET,
            &[Arg::Text(namespace), Arg::Text(key), Arg::Int(now)],
        )
        .await
        .map_err(backend)?;
    Ok(row.map(count))
}

/// Forget `key`'s count: whether there was one.
pub(crate) async fn clear<D: Db>(db: &D, namespace: &str, key: &str) -> Result<bool, StoreError> {
    let gone = db
        .execute(CLEAR, &[Arg::Text(namespace), Arg::Text(key)])
        .await
        .map_err(backend)?;
    Ok(gone > 0)
}

/// Make `key`'s window end no earlier than `until` (a lock past the counting window).
pub(crate) async fn extend<D: Db>(
    db: &D,
    namespace: &str,
    key: &str,
    until: UnixTime,
) -> Result<(), StoreError> {
    db.execute(
        EXTEND,
        &[Arg::Text(namespace), Arg::Text(key), Arg::Int(until)],
    )
    .await
    .map_err(backend)?;
    Ok(())
}
