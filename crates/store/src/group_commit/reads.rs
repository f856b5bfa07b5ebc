//! Grouped reads by id on a reader connection, the only grouped kinds that write nothing:
//! a token response's user (OpenID Connect Core §5.4: the `profile`, `email`, `address` and
//! `phone` claims) and a refresh's or a userinfo request's grant (RFC 6749 §6: a revoked
//! grant's tokens are refused). Concurrent calls share one `SELECT … WHERE id IN (…)`, so
//! that a round of token responses hands one statement to a reader's thread instead of one
//! each (each hand-off is a wake-up and a switch of threads on the server's core).

use std::marker::PhantomData;

use sqlx::SqlitePool;
use sqlx::sqlite::{Sqlite, SqliteRow};
use writ_core::ports::{StoreError, StoredGrant, StoredUser};

use super::{Batch, distinct, only};
use crate::backend;

/// A table read by its primary key `id`, many ids in one statement.
pub(crate) trait ById: Send + Sync + 'static {
    /// A row as selected.
    type Row: for<'r> sqlx::FromRow<'r, SqliteRow> + Into<Self::Item> + Send + Unpin;
    /// What a caller gets.
    type Item: Clone + Send + 'static;
    /// What the log calls this read.
    const NAME: &'static str;

    /// The `SELECT` of `n` ids (`$1..$n`).
    fn sql(n: usize) -> String;

    /// The item's id.
    fn id(item: &Self::Item) -> &str;
}

/// Reads of `K` by id ([`ById`]).
pub(crate) struct Read<K>(PhantomData<K>);

impl<K: ById> Batch for Read<K> {
    type Row = String;
    type Outcome = Option<K::Item>;
    const NAME: &'static str = K::NAME;

    async fn one(reader: &SqlitePool, id: &String) -> Result<Self::Outcome, StoreError> {
        only(read::<K>(reader, &[id]).await?, Self::NAME)
    }

    async fn many(reader: &SqlitePool, ids: &[&String]) -> Result<Vec<Self::Outcome>, StoreError> {
        read::<K>(reader, ids).await
    }
}

/// The round's rows in one statement; an id asked twice is read once.
async fn read<K: ById>(
    reader: &SqlitePool,
    ids: &[&String],
) -> Result<Vec<Option<K::Item>>, StoreError> {
    let distinct = distinct(ids.iter().map(|id| id.as_str()));
    let mut query = sqlx::query_as::<Sqlite, K::Row>(sqlx::AssertSqlSafe(K::sql(distinct.len())));
    for id in &distinct {
        query = query.bind(*id);
    }
    let found: Vec<K::Item> = query
        .fetch_all(reader)
        .await
        .map_err(backend)?
        .into_iter()
        .map(Into::into)
        .collect();
    // At most MAX_ROWS rows: a linear search, as for the distinct ids.
    Ok(ids
        .iter()
        .map(|id| {
            found
                .iter()
                .find(|item| K::id(item) == id.as_str())
                .cloned()
        })
        .collect())
}

/// Users by id ([`Store::user_get`](writ_core::ports::Store::user_get)).
pub(crate) struct Users;

impl ById for Users {
    type Row = crate::sql::users::UserRow;
    type Item = StoredUser;
    const NAME: &'static str = "user read";

    fn sql(n: usize) -> String {
        crate::sql::users::get_many_sql(n)
    }

    fn id(user: &StoredUser) -> &str {
        &user.id
    }
}

/// Grants by id ([`Store::grant_get`](writ_core::ports::Store::grant_get)).
pub(crate) struct Grants;

impl ById for Grants {
    type Row = crate::sql::grants::GrantRow;
    type Item = StoredGrant;
    const NAME: &'static str = "grant read";

    fn sql(n: usize) -> String {
        crate::sql::grants::get_many_sql(n)
    }

    fn id(grant: &StoredGrant) -> &str {
        &grant.id
    }
}
