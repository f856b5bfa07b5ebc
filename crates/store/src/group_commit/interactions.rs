//! Grouped pending-interaction writes (SPEC §8): every `GET /authorize` whose handle is too
//! large to seal stores one interaction; concurrent ones share a transaction.

use sqlx::SqlitePool;
use sqlx::sqlite::Sqlite;
use writ_core::ports::{StoreError, StoredInteraction};

use super::Batch;
use crate::backend;
use crate::sql::db::values_list;

/// Interaction writes, [`PUT`](crate::sql::interactions::PUT) widened to a round.
pub(crate) struct Interactions;

impl Batch for Interactions {
    type Row = StoredInteraction;
    type Outcome = ();
    const NAME: &'static str = "interaction";

    async fn one(writer: &SqlitePool, row: &StoredInteraction) -> Result<(), StoreError> {
        sqlx::query::<Sqlite>(crate::sql::interactions::PUT)
            .bind(row.id.as_str())
            .bind(row.payload.as_stored())
            .bind(row.expires_at)
            .execute(writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// One statement, hence one transaction, for every row. SQLite applies the rows of a
    /// multi-row `INSERT` in order, each `ON CONFLICT` seeing the rows before it (a later
    /// write of the same id wins).
    async fn many(writer: &SqlitePool, rows: &[&StoredInteraction]) -> Result<Vec<()>, StoreError> {
        let mut query = sqlx::query::<Sqlite>(sqlx::AssertSqlSafe(upsert_sql(rows.len())));
        for row in rows {
            query = query
                .bind(row.id.as_str())
                .bind(row.payload.as_stored())
                .bind(row.expires_at);
        }
        query.execute(writer).await.map_err(backend)?;
        Ok(vec![(); rows.len()])
    }
}

/// `INSERT ... VALUES ($1, $2, $3), ($4, $5, $6), ... ON CONFLICT (id) DO UPDATE ...` for `n`
/// rows.
fn upsert_sql(n: usize) -> String {
    format!(
        "INSERT INTO interactions (id, payload, expires_at) VALUES {} \
         ON CONFLICT (id) DO UPDATE \
         SET payload = excluded.payload, expires_at = excluded.expires_at \
         WHERE NOT interactions.answered",
        values_list(n, 3)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widened_statement_is_the_single_row_one_for_one_row() {
        assert_eq!(upsert_sql(1), crate::sql::interactions::PUT);
        assert_eq!(
            upsert_sql(2),
            "INSERT INTO interactions (id, payload, expires_at) VALUES ($1, $2, $3), \
             ($4, $5, $6) ON CONFLICT (id) DO UPDATE \
             SET payload = excluded.payload, expires_at = excluded.expires_at \
             WHERE NOT interactions.answered"
        );
    }
}
