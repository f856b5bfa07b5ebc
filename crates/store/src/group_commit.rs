//! Group commit of pending-interaction writes on SQLite (issue 4, deliverable 12).
//!
//! Every `GET /authorize` that reaches the login page stores one interaction (SPEC §8). On
//! SQLite each write is its own transaction on the single writer connection, and a commit in
//! WAL mode appends every page it dirtied to the log: a few kilobytes of payload cost a few
//! whole pages plus a hand-off to the connection's thread, per request. Here concurrent
//! `interaction_put` calls queue up while the writer is busy and the next round writes all of
//! them with one multi-row statement, so one transaction (one commit, each dirtied page
//! logged once) serves many requests. Nothing waits for a timer: a write that finds the queue
//! empty goes out at once, alone.
//!
//! Guarantees are those of a plain write: a call returns `Ok` only after the transaction that
//! holds its row has committed, rows of one round are applied in arrival order (a later write
//! of the same id wins), and a failed round is retried row by row so that each caller gets
//! the outcome of its own write.

use sqlx::SqlitePool;
use sqlx::sqlite::Sqlite;
use tokio::sync::{mpsc, oneshot};
use writ_core::ports::{StoreError, StoredInteraction};

use crate::backend;

/// Most rows in one statement (3 bound values each, far below SQLite's 32,766).
pub(crate) const MAX_ROWS: usize = 64;
/// Writes that may wait for the writer before callers are held back.
const QUEUE: usize = 4096;

/// One queued write and where its outcome goes.
struct Pending {
    row: StoredInteraction,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The sending side, held by the store; the task ends when every clone is dropped.
#[derive(Debug, Clone)]
pub(crate) struct InteractionWriter {
    queue: mpsc::Sender<Pending>,
}

impl InteractionWriter {
    /// Start the task writing to `writer` (the store's one-connection writer pool).
    pub(crate) fn spawn(writer: SqlitePool) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(writer, rx));
        InteractionWriter { queue }
    }

    /// Queue `row` and wait until the transaction holding it has committed. Should the task
    /// be gone (its runtime shut down), the row is written directly.
    pub(crate) async fn put(
        &self,
        writer: &SqlitePool,
        row: &StoredInteraction,
    ) -> Result<(), StoreError> {
        let (done, outcome) = oneshot::channel();
        let pending = Pending {
            row: row.clone(),
            done,
        };
        if self.queue.send(pending).await.is_ok()
            && let Ok(result) = outcome.await
        {
            return result;
        }
        put_one(writer, row).await
    }
}

async fn run(writer: SqlitePool, mut rx: mpsc::Receiver<Pending>) {
    let mut round = Vec::with_capacity(MAX_ROWS);
    while rx.recv_many(&mut round, MAX_ROWS).await > 0 {
        write_round(&writer, &mut round).await;
    }
}

/// Write one round and answer every caller in it; `round` is left empty.
async fn write_round(writer: &SqlitePool, round: &mut Vec<Pending>) {
    if round.len() > 1 {
        let rows: Vec<&StoredInteraction> = round.iter().map(|p| &p.row).collect();
        match put_many(writer, &rows).await {
            Ok(()) => {
                for p in round.drain(..) {
                    let _ = p.done.send(Ok(()));
                }
                return;
            }
            Err(error) => {
                tracing::warn!(%error, rows = rows.len(), "grouped interaction write failed; writing the rows one by one");
            }
        }
    }
    for p in round.drain(..) {
        let result = put_one(writer, &p.row).await;
        let _ = p.done.send(result);
    }
}

async fn put_one(writer: &SqlitePool, row: &StoredInteraction) -> Result<(), StoreError> {
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
/// multi-row `INSERT` in order, each `ON CONFLICT` seeing the rows before it.
async fn put_many(writer: &SqlitePool, rows: &[&StoredInteraction]) -> Result<(), StoreError> {
    let mut query = sqlx::query::<Sqlite>(sqlx::AssertSqlSafe(upsert_sql(rows.len())));
    for row in rows {
        query = query
            .bind(row.id.as_str())
            .bind(row.payload.as_stored())
            .bind(row.expires_at);
    }
    query.execute(writer).await.map_err(backend)?;
    Ok(())
}

/// `INSERT ... VALUES ($1, $2, $3), ($4, $5, $6), ... ON CONFLICT (id) DO UPDATE ...` for `n`
/// rows: the single-row [`INTERACTION_PUT`](crate::sql::interactions::PUT) widened.
fn upsert_sql(n: usize) -> String {
    let mut sql = String::with_capacity(120 + n * 20);
    sql.push_str("INSERT INTO interactions (id, payload, expires_at) VALUES ");
    for i in 0..n {
        if i > 0 {
            sql.push_str(", ");
        }
        let b = 3 * i;
        sql.push_str(&format!("(${}, ${}, ${})", b + 1, b + 2, b + 3));
    }
    sql.push_str(
        " ON CONFLICT (id) DO UPDATE \
         SET payload = excluded.payload, expires_at = excluded.expires_at \
         WHERE NOT interactions.answered",
    );
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widened_statement_numbers_every_value() {
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
