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

use super::{Batch, distinct, only};
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

/// A caller's own outcome, or the error of the lookup that was to tell it: once the round's
/// `UPDATE` has committed, the codes it used are their callers' whatever happens next, so a
/// failed lookup fails only the callers whose code it did not use (never a retry that would
/// find a just-used code "used" and revoke an honest client's grant).
pub(crate) type CodeOutcome = Result<Consumed<StoredCode>, StoreError>;

impl Batch for CodeUse {
    type Row = CodeUseRow;
    type Outcome = CodeOutcome;
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
/// given twice in a round is used by its first caller; the later ones find it used. An error of
/// the `UPDATE` is the round's (nothing was used: the writer retries the rows one by one); an
/// error of the lookup is only its callers' ([`CodeOutcome`]).
async fn redeem(writer: &SqlitePool, rows: &[&CodeUseRow]) -> Result<Vec<CodeOutcome>, StoreError> {
    let distinct = distinct(rows.iter().map(|r| r.code_hash.as_str()));
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
    let mut used: Result<HashMap<String, StoredCode>, String> = Ok(HashMap::new());
    if !missed.is_empty() {
        let mut query =
            sqlx::query_as::<Sqlite, CodeRow>(sqlx::AssertSqlSafe(used_many_sql(missed.len())));
        for hash in &missed {
            query = query.bind(*hash);
        }
        used = query
            .fetch_all(writer)
            .await
            .map(|found| {
                found
                    .into_iter()
                    .map(StoredCode::from)
                    .map(|c| (c.code_hash.clone(), c))
                    .collect()
            })
            .map_err(|e| backend(e).to_string());
    }
    // The codes this round used, for their later callers in the round (who find them used).
    let mut used_now: HashMap<String, StoredCode> = HashMap::new();
    Ok(rows
        .iter()
        .map(|row| {
            if let Some(code) = won.remove(&row.code_hash) {
                used_now.insert(row.code_hash.clone(), code.clone());
                return Ok(Consumed::Now(code));
            }
            if let Some(code) = used_now.get(&row.code_hash) {
                return Ok(Consumed::Already(code.clone()));
            }
            match &used {
                Ok(used) => Ok(match used.get(&row.code_hash) {
                    Some(code) => Consumed::Already(code.clone()),
                    None => Consumed::Missing,
                }),
                Err(e) => Err(StoreError::Backend(format!(
                    "the lookup of used codes failed: {e}"
                ))),
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;
    use crate::group_commit::issued::Issued;
    use crate::group_commit::reads::{Grants, Read, Users};
    use writ_core::ports::{IssuedTokens, Payload, Store, StoredGrant, StoredUser};

    const NOW: UnixTime = 1_700_000_000;

    fn code(hash: &str) -> StoredCode {
        StoredCode {
            code_hash: hash.into(),
            grant_id: "g".into(),
            payload: Payload::from_stored(format!(r#"{{"code":"{hash}"}}"#)),
            expires_at: NOW + 60,
        }
    }

    fn refresh(hash: &str) -> StoredRefreshToken {
        StoredRefreshToken {
            token_hash: hash.into(),
            grant_id: "g".into(),
            payload: Payload::from_stored(format!(r#"{{"refresh":"{hash}"}}"#)),
            expires_at: NOW + 60,
        }
    }

    /// The grouped statements of several rows, called directly: through the store, the writer
    /// retries a failing round row by row with the one-row statement, which would hide a broken
    /// multi-row one from the conformance suite.
    #[tokio::test]
    async fn grouped_statements_of_several_rows_give_each_row_its_outcome() {
        let store = SqliteStore::open_in_memory().await.unwrap();
        store
            .grant_insert(&StoredGrant {
                id: "g".into(),
                client_id: "c".into(),
                subject: "u-1".into(),
                created_at: NOW,
                expires_at: NOW + 10,
                revoked_at: None,
            })
            .await
            .unwrap();
        for c in ["c-1", "c-used"] {
            store.code_insert(&code(c)).await.unwrap();
        }
        store.code_consume("c-used", NOW).await.unwrap();
        let uses: Vec<CodeUseRow> = ["c-1", "c-1", "c-used", "c-none"]
            .iter()
            .map(|h| CodeUseRow {
                code_hash: (*h).into(),
                now: NOW,
            })
            .collect();
        let got = CodeUse::many(store.writer(), &uses.iter().collect::<Vec<_>>())
            .await
            .unwrap();
        let got: Vec<Consumed<StoredCode>> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(
            got,
            vec![
                Consumed::Now(code("c-1")),
                Consumed::Already(code("c-1")),
                Consumed::Already(code("c-used")),
                Consumed::Missing,
            ]
        );

        let issued: Vec<IssuedTokens> = ["r-1", "r-2"]
            .iter()
            .enumerate()
            .map(|(i, h)| IssuedTokens {
                grant_id: "g".into(),
                grant_expires_at: NOW + 100 + i as UnixTime,
                refresh: Some(refresh(h)),
            })
            .collect();
        Issued::many(store.writer(), &issued.iter().collect::<Vec<_>>())
            .await
            .unwrap();
        assert_eq!(
            store.grant_get("g").await.unwrap().map(|g| g.expires_at),
            Some(NOW + 101)
        );

        let touches: Vec<RefreshTouchRow> = [("r-1", 200), ("r-1", 300), ("r-none", 300)]
            .iter()
            .map(|(h, e)| RefreshTouchRow {
                token_hash: (*h).into(),
                now: NOW,
                expires_at: NOW + e,
            })
            .collect();
        let got = RefreshTouch::many(store.writer(), &touches.iter().collect::<Vec<_>>())
            .await
            .unwrap();
        let touched = StoredRefreshToken {
            expires_at: NOW + 300,
            ..refresh("r-1")
        };
        assert_eq!(got, vec![Some(touched.clone()), Some(touched), None]);

        store
            .user_upsert(&StoredUser {
                id: "u-1".into(),
                username: "alice".into(),
                password_hash: "$argon2id$v=19$x".into(),
                claims: "{}".into(),
                created_at: NOW,
            })
            .await
            .unwrap();
        let ids = ["u-1".to_string(), "u-none".to_string(), "u-1".to_string()];
        let got = Read::<Users>::many(store.reader(), &ids.iter().collect::<Vec<_>>())
            .await
            .unwrap();
        let names: Vec<Option<String>> = got.into_iter().map(|u| u.map(|u| u.username)).collect();
        assert_eq!(
            names,
            vec![Some("alice".into()), None, Some("alice".into())]
        );

        let ids = ["g-none".to_string(), "g".to_string(), "g".to_string()];
        let got = Read::<Grants>::many(store.reader(), &ids.iter().collect::<Vec<_>>())
            .await
            .unwrap();
        let grants: Vec<Option<String>> = got.into_iter().map(|g| g.map(|g| g.id)).collect();
        assert_eq!(grants, vec![None, Some("g".into()), Some("g".into())]);
    }
}
