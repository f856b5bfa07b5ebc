//! Grouped replay-cache inserts (SPEC §4.5 `replay`, §9 `private_key_jwt` `jti`, §13 DPoP
//! `jti`): a token request with a client assertion and a DPoP proof writes two once-only keys,
//! and concurrent requests' keys share a transaction.

use std::collections::HashSet;

use sqlx::sqlite::Sqlite;
use sqlx::{Row as _, SqlitePool};
use writ_core::ports::{StoreError, UnixTime};

use super::{Batch, values_list};
use crate::backend;

/// One key to remember once: [`insert_once`](crate::sql::replay::insert_once)'s arguments.
#[derive(Debug, Clone)]
pub(crate) struct ReplayRow {
    pub(crate) namespace: String,
    pub(crate) key: String,
    pub(crate) expires_at: UnixTime,
    pub(crate) now: UnixTime,
}

/// Replay inserts: each caller learns whether its key was new (`true`) or a replay.
pub(crate) struct Replay;

impl Batch for Replay {
    type Row = ReplayRow;
    type Outcome = bool;
    const NAME: &'static str = "replay";

    async fn one(writer: &SqlitePool, row: &ReplayRow) -> Result<bool, StoreError> {
        let done = sqlx::query::<Sqlite>(crate::sql::replay::INSERT)
            .bind(row.namespace.as_str())
            .bind(row.key.as_str())
            .bind(row.expires_at)
            .bind(row.now)
            .execute(writer)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() > 0)
    }

    /// One statement for the round's distinct keys; `RETURNING` names the rows it inserted
    /// or renewed (an unexpired entry is left alone and not returned, RETURNING's rule for an
    /// upsert whose `DO UPDATE ... WHERE` is false). A key twice in one round is new at most
    /// for its first caller, as it would be written in turn.
    ///
    /// One statement has one "now" for the expiry test: the earliest of the round's, so an
    /// entry counts as expired only if it has expired for every caller in the round (a round
    /// spans milliseconds; the cost is at most a refusal a second early, never a replay let
    /// through).
    async fn many(writer: &SqlitePool, rows: &[&ReplayRow]) -> Result<Vec<bool>, StoreError> {
        let mut seen = HashSet::with_capacity(rows.len());
        let first: Vec<bool> = rows
            .iter()
            .map(|r| seen.insert((r.namespace.as_str(), r.key.as_str())))
            .collect();
        let distinct: Vec<&ReplayRow> = rows
            .iter()
            .zip(&first)
            .filter(|(_, first)| **first)
            .map(|(r, _)| *r)
            .collect();
        let now = distinct.iter().map(|r| r.now).min().unwrap_or_default();

        let sql = insert_sql(distinct.len());
        let mut query = sqlx::query::<Sqlite>(sqlx::AssertSqlSafe(sql));
        for row in &distinct {
            query = query
                .bind(row.namespace.as_str())
                .bind(row.key.as_str())
                .bind(row.expires_at);
        }
        let written = query.bind(now).fetch_all(writer).await.map_err(backend)?;
        let mut new = HashSet::with_capacity(written.len());
        for row in &written {
            let namespace: String = row.try_get(0).map_err(backend)?;
            let key: String = row.try_get(1).map_err(backend)?;
            new.insert((namespace, key));
        }
        Ok(rows
            .iter()
            .zip(first)
            .map(|(r, first)| first && new.contains(&(r.namespace.clone(), r.key.clone())))
            .collect())
    }
}

/// The single-row insert widened to `n` rows; the last parameter is "now".
fn insert_sql(n: usize) -> String {
    format!(
        "INSERT INTO replay (namespace, entry_key, expires_at) VALUES {} \
         ON CONFLICT (namespace, entry_key) DO UPDATE SET expires_at = excluded.expires_at \
         WHERE replay.expires_at <= ${} RETURNING namespace, entry_key",
        values_list(n, 3),
        3 * n + 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widened_statement_is_the_single_row_one_for_one_row() {
        assert_eq!(
            insert_sql(1),
            format!(
                "{} RETURNING namespace, entry_key",
                crate::sql::replay::INSERT
            )
        );
        assert!(insert_sql(2).contains("VALUES ($1, $2, $3), ($4, $5, $6) ON CONFLICT"));
        assert!(insert_sql(2).contains("WHERE replay.expires_at <= $7 RETURNING"));
    }
}
