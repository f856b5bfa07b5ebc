//! Grouped user reads (OpenID Connect Core §5.4): every token response for a `profile`,
//! `email`, `address` or `phone` scope reads its user's claims, and concurrent responses share
//! one `SELECT … WHERE id IN (…)` on a reader connection (the only grouped kind that writes
//! nothing).

use std::collections::HashMap;

use sqlx::SqlitePool;
use sqlx::sqlite::Sqlite;
use writ_core::ports::{StoreError, StoredUser};

use super::{Batch, distinct, only};
use crate::backend;
use crate::sql::users::{UserRow, get_many_sql};

/// User lookups by id ([`Store::user_get`](writ_core::ports::Store::user_get)).
pub(crate) struct UserRead;

impl Batch for UserRead {
    type Row = String;
    type Outcome = Option<StoredUser>;
    const NAME: &'static str = "user read";

    async fn one(reader: &SqlitePool, id: &String) -> Result<Self::Outcome, StoreError> {
        only(read(reader, &[id]).await?, Self::NAME)
    }

    async fn many(reader: &SqlitePool, ids: &[&String]) -> Result<Vec<Self::Outcome>, StoreError> {
        read(reader, ids).await
    }
}

/// The round's users in one statement; an id asked twice is read once.
async fn read(reader: &SqlitePool, ids: &[&String]) -> Result<Vec<Option<StoredUser>>, StoreError> {
    let distinct = distinct(ids.iter().map(|id| id.as_str()));
    let mut query =
        sqlx::query_as::<Sqlite, UserRow>(sqlx::AssertSqlSafe(get_many_sql(distinct.len())));
    for id in &distinct {
        query = query.bind(*id);
    }
    let found: HashMap<String, StoredUser> = query
        .fetch_all(reader)
        .await
        .map_err(backend)?
        .into_iter()
        .map(StoredUser::from)
        .map(|u| (u.id.clone(), u))
        .collect();
    Ok(ids
        .iter()
        .map(|id| found.get(id.as_str()).cloned())
        .collect())
}
