//! Grouped token-response writes (SPEC §9): every `/token` answer stores its new refresh token
//! (if any) and keeps its grant alive as long as its tokens, and concurrent answers share two
//! statements.

use std::collections::HashMap;

use sqlx::SqlitePool;
use sqlx::sqlite::Sqlite;
use writ_core::ports::{IssuedTokens, StoreError, UnixTime};

use super::Batch;
use crate::backend;
use crate::sql::issued::{extend_grants_sql, insert_refresh_sql, refresh_of};

/// Token responses: each caller learns only that its write committed.
pub(crate) struct Issued;

impl Batch for Issued {
    type Row = IssuedTokens;
    type Outcome = ();
    const NAME: &'static str = "issued tokens";

    async fn one(writer: &SqlitePool, row: &IssuedTokens) -> Result<(), StoreError> {
        write(writer, &[row]).await
    }

    async fn many(writer: &SqlitePool, rows: &[&IssuedTokens]) -> Result<Vec<()>, StoreError> {
        write(writer, rows).await?;
        Ok(vec![(); rows.len()])
    }
}

/// The refresh tokens of `rows` in one statement, then their grants' expiries in another.
/// The refresh tokens go first: should the second statement fail, a retry (row by row)
/// finds them written and leaves them, and a grant is never kept for a token that is not
/// there. Until the second commits, a grant keeps the expiry it had, which covers a new
/// refresh token's lifetime already (a code's grant is written to outlive it).
async fn write(writer: &SqlitePool, rows: &[&IssuedTokens]) -> Result<(), StoreError> {
    let mut refresh = Vec::with_capacity(rows.len());
    let mut grants: HashMap<&str, UnixTime> = HashMap::with_capacity(rows.len());
    for row in rows {
        if let Some(r) = refresh_of(row)? {
            refresh.push(r);
        }
        let until = grants.entry(row.grant_id.as_str()).or_default();
        *until = (*until).max(row.grant_expires_at);
    }
    if !refresh.is_empty() {
        let sql = insert_refresh_sql(refresh.len());
        let mut query = sqlx::query::<Sqlite>(sqlx::AssertSqlSafe(sql));
        for r in &refresh {
            query = query
                .bind(r.token_hash.as_str())
                .bind(r.grant_id.as_str())
                .bind(r.payload.as_stored())
                .bind(r.expires_at);
        }
        query.execute(writer).await.map_err(backend)?;
    }
    let sql = extend_grants_sql(grants.len());
    let mut query = sqlx::query::<Sqlite>(sqlx::AssertSqlSafe(sql));
    for (id, until) in &grants {
        query = query.bind(*id).bind(*until);
    }
    query.execute(writer).await.map_err(backend)?;
    Ok(())
}
