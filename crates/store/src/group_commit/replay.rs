//! Grouped replay-cache inserts (SPEC §4.5 `replay`, §9 `private_key_jwt` `jti`, §13 DPoP
//! `jti`): a token request with a client assertion and a DPoP proof writes two once-only keys,
//! and concurrent requests' keys share a transaction.

use std::collections::HashSet;

use sqlx::sqlite::Sqlite;
use sqlx::{Row as _, SqlitePool};
use writ_core::ports::{ReplayEntry, StoreError, UnixTime};

use super::Batch;
use crate::backend;
use crate::sql::replay::{first_occurrences, insert_returning_sql, outcomes};

/// One key to remember once, owned while it waits in the queue.
#[derive(Debug, Clone)]
pub(crate) struct ReplayKey {
    pub(crate) namespace: String,
    pub(crate) key: String,
    pub(crate) expires_at: UnixTime,
}

impl ReplayKey {
    fn entry(&self) -> ReplayEntry<'_> {
        ReplayEntry {
            namespace: &self.namespace,
            key: &self.key,
            expires_at: self.expires_at,
        }
    }
}

/// What one caller writes: one key ([`insert_once`](crate::sql::replay::insert_once)) or the
/// few keys of one request (the port's `replay_insert_each`), with the caller's "now".
#[derive(Debug, Clone)]
pub(crate) struct ReplayRow {
    pub(crate) keys: Vec<ReplayKey>,
    pub(crate) now: UnixTime,
}

/// Replay inserts: each caller learns, for each of its keys, whether it was new (`true`) or a
/// replay.
pub(crate) struct Replay;

impl Batch for Replay {
    type Row = ReplayRow;
    type Outcome = Vec<bool>;
    const NAME: &'static str = "replay";

    async fn one(writer: &SqlitePool, row: &ReplayRow) -> Result<Vec<bool>, StoreError> {
        if let [key] = row.keys.as_slice() {
            let done = sqlx::query::<Sqlite>(crate::sql::replay::INSERT)
                .bind(key.namespace.as_str())
                .bind(key.key.as_str())
                .bind(key.expires_at)
                .bind(row.now)
                .execute(writer)
                .await
                .map_err(backend)?;
            return Ok(vec![done.rows_affected() > 0]);
        }
        let entries: Vec<ReplayEntry<'_>> = row.keys.iter().map(ReplayKey::entry).collect();
        write(writer, &entries, row.now).await
    }

    /// One statement for the round's keys, every caller's. One statement has one "now" for
    /// the expiry test: the earliest of the round's, so an entry counts as expired only if it
    /// has expired for every caller in the round (a round spans milliseconds; the cost is at
    /// most a refusal a second early, never a replay let through).
    async fn many(writer: &SqlitePool, rows: &[&ReplayRow]) -> Result<Vec<Vec<bool>>, StoreError> {
        let entries: Vec<ReplayEntry<'_>> = rows
            .iter()
            .flat_map(|r| r.keys.iter().map(ReplayKey::entry))
            .collect();
        let now = rows.iter().map(|r| r.now).min().unwrap_or_default();
        let mut flat = write(writer, &entries, now).await?.into_iter();
        Ok(rows
            .iter()
            .map(|r| flat.by_ref().take(r.keys.len()).collect())
            .collect())
    }
}

/// `entries` in one statement; `RETURNING` names the rows it inserted or renewed. A key twice
/// (in one request or in one round) is written once and new at most for its first
/// occurrence, as it would be written in turn.
async fn write(
    writer: &SqlitePool,
    entries: &[ReplayEntry<'_>],
    now: UnixTime,
) -> Result<Vec<bool>, StoreError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let (first, distinct) = first_occurrences(entries.iter());
    let sql = insert_returning_sql(distinct.len());
    let mut query = sqlx::query::<Sqlite>(sqlx::AssertSqlSafe(sql));
    for e in &distinct {
        query = query.bind(e.namespace).bind(e.key).bind(e.expires_at);
    }
    let returned = query.bind(now).fetch_all(writer).await.map_err(backend)?;
    let mut written = HashSet::with_capacity(returned.len());
    for row in &returned {
        let namespace: String = row.try_get(0).map_err(backend)?;
        let key: String = row.try_get(1).map_err(backend)?;
        written.insert((namespace, key));
    }
    Ok(outcomes(entries.iter(), &first, &written))
}
