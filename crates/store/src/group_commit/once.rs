//! Grouped one-time uses on `/token` (SPEC §9): redeeming authorization codes (RFC 6749
//! §4.1.2) and using refresh tokens without rotation (RFC 6749 §6). Concurrent token requests'
//! uses share one guarded statement; each caller gets the outcome it would have had in turn.
//!
//! One statement has one "now": the latest of the round's callers, so a code or token counts
//! as expired if it has expired for any caller of the round (a round spans milliseconds; the
//! cost is at most a refusal a second early, never a use of an expired value).

use std::collections::HashMap;

use sqlx::SqlitePool;
use sqlx::sqlite::Sqlite;
use writ_core::ports::{Consumed, StoreError, StoredCode, StoredRefreshToken, UnixTime};

use super::{Batch, only};
use crate::backend;
use crate::sql::codes::{CodeRow, use_many_sql, used_many_sql};
use crate::sql::refresh::{RefreshRow, touch_many_sql};

/// One code to redeem, with the caller's "now".
#[derive(Debug, Clone)]
pub(crate) struct CodeUseRow {
    pub(crate) code_hash: String,
    pub(crate) now: UnixTime,
}

/// Code redemptions ([`Store::code_consume`](writ_core::ports::Store::code_consume)).
pub(crate) struct CodeUse;

impl Batch for CodeUse {
    type Row = CodeUseRow;
    type Outcome = Consumed<StoredCode>;
    const NAME: &'static str = "code use";

    async fn one(writer: &SqlitePool, row: &CodeUseRow) -> Result<Self::Outcome, StoreError> {
        only(redeem(writer, &[row]).await?, Self::NAME)
    }

    async fn many(
        writer: &SqlitePool,
        rows: &[&CodeUseRow],
    ) -> Result<Vec<Self::Outcome>, StoreError> {
        redeem(writer, rows).await
    }
}

/// The round's codes in one guarded `UPDATE … RETURNING`; for those it did not use, one lookup
/// of the used ones (a replay, [`Consumed::Already`]) — the rest are unknown or expired. A code
/// given twice in a round is used by its first caller; the later ones find it used.
async fn redeem(
    writer: &SqlitePool,
    rows: &[&CodeUseRow],
) -> Result<Vec<Consumed<StoredCode>>, StoreError> {
    let mut distinct: Vec<&str> = Vec::with_capacity(rows.len());
    for row in rows {
        if !distinct.contains(&row.code_hash.as_str()) {
            distinct.push(&row.code_hash);
        }
    }
    let now = rows.iter().map(|r| r.now).max().unwrap_or_default();
    let mut query =
        sqlx::query_as::<Sqlite, CodeRow>(sqlx::AssertSqlSafe(use_many_sql(distinct.len())));
    for hash in &distinct {
        query = query.bind(*hash);
    }
    let mut won: HashMap<String, StoredCode> = query
        .bind(now)
        .fetch_all(writer)
        .await
        .map_err(backend)?
        .into_iter()
        .map(StoredCode::from)
        .map(|c| (c.code_hash.clone(), c))
        .collect();
    let missed: Vec<&str> = distinct
        .iter()
        .copied()
        .filter(|h| !won.contains_key(*h))
        .collect();
    let mut used: HashMap<String, StoredCode> = HashMap::new();
    if !missed.is_empty() {
        let mut query =
            sqlx::query_as::<Sqlite, CodeRow>(sqlx::AssertSqlSafe(used_many_sql(missed.len())));
        for hash in &missed {
            query = query.bind(*hash);
        }
        used = query
            .fetch_all(writer)
            .await
            .map_err(backend)?
            .into_iter()
            .map(StoredCode::from)
            .map(|c| (c.code_hash.clone(), c))
            .collect();
    }
    Ok(rows
        .iter()
        .map(|row| match won.remove(&row.code_hash) {
            Some(code) => {
                // Its later callers in this round find it used.
                used.insert(row.code_hash.clone(), code.clone());
                Consumed::Now(code)
            }
            None => match used.get(&row.code_hash) {
                Some(code) => Consumed::Already(code.clone()),
                None => Consumed::Missing,
            },
        })
        .collect())
}

/// One refresh token to use without consuming it, its new expiry, and the caller's "now".
#[derive(Debug, Clone)]
pub(crate) struct RefreshTouchRow {
    pub(crate) token_hash: String,
    pub(crate) now: UnixTime,
    pub(crate) expires_at: UnixTime,
}

/// Refresh-token uses without rotation
/// ([`Store::refresh_touch`](writ_core::ports::Store::refresh_touch)).
pub(crate) struct RefreshTouch;

impl Batch for RefreshTouch {
    type Row = RefreshTouchRow;
    type Outcome = Option<StoredRefreshToken>;
    const NAME: &'static str = "refresh touch";

    async fn one(writer: &SqlitePool, row: &RefreshTouchRow) -> Result<Self::Outcome, StoreError> {
        only(touch(writer, &[row]).await?, Self::NAME)
    }

    async fn many(
        writer: &SqlitePool,
        rows: &[&RefreshTouchRow],
    ) -> Result<Vec<Self::Outcome>, StoreError> {
        touch(writer, rows).await
    }
}

/// The round's tokens in one guarded `UPDATE … FROM (VALUES …) RETURNING`. A token used by
/// several callers of the round (one refresh token shared by a client's concurrent requests)
/// is updated once, to the latest of their expiries, and each of them gets it, as each would
/// in turn.
async fn touch(
    writer: &SqlitePool,
    rows: &[&RefreshTouchRow],
) -> Result<Vec<Option<StoredRefreshToken>>, StoreError> {
    let mut until: Vec<(&str, UnixTime)> = Vec::with_capacity(rows.len());
    for row in rows {
        match until.iter_mut().find(|(h, _)| *h == row.token_hash) {
            Some((_, e)) => *e = (*e).max(row.expires_at),
            None => until.push((&row.token_hash, row.expires_at)),
        }
    }
    let now = rows.iter().map(|r| r.now).max().unwrap_or_default();
    let mut query =
        sqlx::query_as::<Sqlite, RefreshRow>(sqlx::AssertSqlSafe(touch_many_sql(until.len())));
    for (hash, expires_at) in &until {
        query = query.bind(*hash).bind(*expires_at);
    }
    let live: HashMap<String, StoredRefreshToken> = query
        .bind(now)
        .fetch_all(writer)
        .await
        .map_err(backend)?
        .into_iter()
        .map(StoredRefreshToken::from)
        .map(|t| (t.token_hash.clone(), t))
        .collect();
    Ok(rows
        .iter()
        .map(|row| live.get(&row.token_hash).cloned())
        .collect())
}
