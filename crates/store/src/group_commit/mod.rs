//! Group commit of small, frequent writes on SQLite (issue 4, deliverable 12; issue 14,
//! deliverable 8).
//!
//! On SQLite every write is its own transaction on the single writer connection, and a commit
//! in WAL mode appends every page it dirtied to the log: a row of a few bytes costs a few whole
//! pages plus a hand-off to the connection's thread, per request. Here concurrent writes of one
//! kind queue up while the writer is busy and the next round writes all of them with one
//! multi-row statement, so one transaction (one commit, each dirtied page logged once) serves
//! many requests. Nothing waits for a timer: a write that finds the queue empty goes out at
//! once, alone.
//!
//! Grouped kinds: pending interactions (`interactions.rs`, one per `/authorize` that reaches
//! the login page when its handle is too large to seal), replay-cache entries (`replay.rs`, a
//! client assertion's `jti` and a DPoP proof's on every token request), the one-time uses of
//! `/token` (`once.rs`: a code redeemed, a refresh token used without rotation), and what a
//! token response leaves (`issued.rs`: its new refresh token and its grant's expiry); and two
//! reads on a reader connection, of a token response's user and of a refresh's grant
//! (`reads.rs`).
//!
//! Guarantees are those of a plain write: a call returns only after the transaction that
//! holds its row has committed, with the outcome of its own row; rows of one round are applied
//! in arrival order; a failed round is retried row by row so that each caller gets the outcome
//! of its own write.

pub(crate) mod interactions;
pub(crate) mod issued;
pub(crate) mod once;
pub(crate) mod reads;
pub(crate) mod replay;

use std::future::Future;

use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};
use writ_core::ports::StoreError;

/// Most rows in one statement (3 or 4 bound values each, far below SQLite's 32,766).
pub(crate) const MAX_ROWS: usize = 64;
/// Writes that may wait for the writer before callers are held back.
const QUEUE: usize = 4096;

/// One kind of grouped write: the row a caller hands over, what it learns back, and the two
/// ways of writing (alone, and as one statement for a round).
pub(crate) trait Batch: Send + Sync + 'static {
    /// What a caller writes.
    type Row: Send + Sync + 'static;
    /// What the caller learns of its own row.
    type Outcome: Send + 'static;

    /// Write one row in its own statement.
    fn one(
        writer: &SqlitePool,
        row: &Self::Row,
    ) -> impl Future<Output = Result<Self::Outcome, StoreError>> + Send;

    /// Write `rows` (at least two, at most [`MAX_ROWS`]) in one statement, applied in order,
    /// and return each row's outcome at its index.
    fn many(
        writer: &SqlitePool,
        rows: &[&Self::Row],
    ) -> impl Future<Output = Result<Vec<Self::Outcome>, StoreError>> + Send;

    /// What the log calls this kind.
    const NAME: &'static str;
}

/// [`Batch::one`] of a kind whose grouped statement serves a single row too: the only
/// outcome of `outcomes`.
pub(crate) fn only<O>(outcomes: Vec<O>, kind: &str) -> Result<O, StoreError> {
    let mut outcomes = outcomes.into_iter();
    match (outcomes.next(), outcomes.next()) {
        (Some(outcome), None) => Ok(outcome),
        _ => Err(StoreError::Backend(format!(
            "a {kind} of one row answered for another number of rows"
        ))),
    }
}

/// Each of `keys` once, in order of first appearance: a round's distinct values for an
/// `IN (…)` list (at most [`MAX_ROWS`] of them, so a linear search is cheap).
pub(crate) fn distinct<'a>(keys: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::with_capacity(MAX_ROWS);
    for key in keys {
        if !out.contains(&key) {
            out.push(key);
        }
    }
    out
}

/// One queued write and where its outcome goes.
struct Pending<B: Batch> {
    row: B::Row,
    done: oneshot::Sender<Result<B::Outcome, StoreError>>,
}

/// The sending side, held by the store; the task ends when every clone is dropped.
pub(crate) struct GroupWriter<B: Batch> {
    queue: mpsc::Sender<Pending<B>>,
}

impl<B: Batch> Clone for GroupWriter<B> {
    fn clone(&self) -> Self {
        GroupWriter {
            queue: self.queue.clone(),
        }
    }
}

impl<B: Batch> std::fmt::Debug for GroupWriter<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWriter")
            .field("kind", &B::NAME)
            .finish()
    }
}

impl<B: Batch> GroupWriter<B> {
    /// Start the task writing to `writer` (the store's one-connection writer pool).
    pub(crate) fn spawn(writer: SqlitePool) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run::<B>(writer, rx));
        GroupWriter { queue }
    }

    /// Queue `row` and wait until the transaction holding it has committed. Should the task
    /// be gone (its runtime shut down), the row is written directly.
    pub(crate) async fn write(
        &self,
        writer: &SqlitePool,
        row: B::Row,
    ) -> Result<B::Outcome, StoreError> {
        let (done, outcome) = oneshot::channel();
        match self.queue.send(Pending { row, done }).await {
            Ok(()) => match outcome.await {
                Ok(result) => result,
                Err(_) => Err(StoreError::Backend(format!(
                    "the {} writer stopped before answering",
                    B::NAME
                ))),
            },
            Err(mpsc::error::SendError(pending)) => B::one(writer, &pending.row).await,
        }
    }
}

async fn run<B: Batch>(writer: SqlitePool, mut rx: mpsc::Receiver<Pending<B>>) {
    let mut round = Vec::with_capacity(MAX_ROWS);
    while rx.recv_many(&mut round, MAX_ROWS).await > 0 {
        write_round::<B>(&writer, &mut round).await;
    }
}

/// Write one round and answer every caller in it; `round` is left empty.
async fn write_round<B: Batch>(writer: &SqlitePool, round: &mut Vec<Pending<B>>) {
    if round.len() > 1 {
        let rows: Vec<&B::Row> = round.iter().map(|p| &p.row).collect();
        match B::many(writer, &rows).await {
            Ok(outcomes) if outcomes.len() == round.len() => {
                for (p, outcome) in round.drain(..).zip(outcomes) {
                    let _ = p.done.send(Ok(outcome));
                }
                return;
            }
            Ok(outcomes) => {
                tracing::error!(
                    kind = B::NAME,
                    rows = round.len(),
                    outcomes = outcomes.len(),
                    "grouped write answered for a different number of rows; writing them one by one"
                );
            }
            Err(error) => {
                tracing::warn!(%error, kind = B::NAME, rows = round.len(), "grouped write failed; writing the rows one by one");
            }
        }
    }
    for p in round.drain(..) {
        let result = B::one(writer, &p.row).await;
        let _ = p.done.send(result);
    }
}
