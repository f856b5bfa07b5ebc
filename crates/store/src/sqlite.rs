//! The embedded backend: one SQLite file (SPEC §10).
//!
//! SQLite allows one writer at a time, so the store holds a writer pool of exactly one
//! connection (every write and every consumption goes there, in turn, instead of fighting
//! over the file lock) and a separate read-only pool for lookups. The file runs in WAL mode,
//! so readers never block the writer nor the writer them. Checkpoints run in the background
//! on a connection of their own, so their `fsync`s stay out of the commits. Interaction writes
//! (the first change of an interaction, or one too large to seal at `/authorize`) and
//! replay-cache inserts (a client assertion's and a DPoP proof's `jti`), a code's redemption,
//! a refresh token's use without rotation, and what a token response leaves (its refresh token
//! and its grant's expiry) are group-committed (see `group_commit/`).

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use writ_core::ports::StoreError;

use crate::backend;
use crate::group_commit::GroupWriter;
use crate::group_commit::interactions::Interactions;
use crate::group_commit::issued::Issued;
use crate::group_commit::once::{CodeUse, CodeUseRow, RefreshTouch, RefreshTouchRow};
use crate::group_commit::reads::{Grants, Read, Users};
use crate::group_commit::replay::{Replay, ReplayKey, ReplayRow};

/// How long a connection waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements kept per connection. The grouped writers make one statement text per
/// round size (up to `group_commit::MAX_ROWS` rows, a replay round up to four keys a row):
/// some 700 texts in all, against sqlx's default of 100, which would prepare them again and
/// again under load.
const STATEMENT_CACHE: usize = 1024;

/// Connections in the reader pool.
const READERS: u32 = 4;
/// How often the background checkpointer copies new WAL frames into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(20);
/// WAL pages after which the writer checkpoints by itself (SQLite's default is 1,000). By
/// then the background checkpointer has copied and synced nearly every frame, so the writer's
/// own checkpoint is short, and being the writer's, it completes and lets the next commit
/// rewind the log: the WAL stays below about this many pages.
const WRITER_CHECKPOINT_PAGES: &str = "4000";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The [`Store`](writ_core::ports::Store) on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    interactions: GroupWriter<Interactions>,
    replay: GroupWriter<Replay>,
    issued: GroupWriter<Issued>,
    code_use: GroupWriter<CodeUse>,
    refresh_touch: GroupWriter<RefreshTouch>,
    users: GroupWriter<Read<Users>>,
    grants: GroupWriter<Read<Grants>>,
    /// The background checkpointer (file databases only), stopped with the last clone.
    checkpointer: Option<Arc<Checkpointer>>,
    /// Writes handed to the writer so far: the checkpointer sleeps through ticks without one.
    writes: Arc<AtomicU64>,
}

/// Runs `PRAGMA wal_checkpoint(PASSIVE)` on a connection of its own every
/// [`CHECKPOINT_EVERY`]. A checkpoint copies logged pages into the database file and, with
/// `synchronous=NORMAL`, syncs the log and the file: left to the writer alone (SQLite's
/// automatic checkpoint every 1,000 pages), that copy and those `fsync`s (about 3 ms for 4 MB
/// on the test machine) sat inside whichever commit crossed the threshold, stalling it and
/// every interaction write grouped behind it. A passive checkpoint never waits for a lock and
/// runs beside the writer (WAL mode allows that), on its connection's own thread.
///
/// A tick with no write since the one before it does nothing (after one more checkpoint, for a
/// write that was handed over just before the previous tick and committed after it), so an
/// idle or read-only server, and `/authorize`, which writes nothing, cost it no wake-up of a
/// connection thread.
#[derive(Debug)]
struct Checkpointer {
    pool: SqlitePool,
    task: tokio::task::JoinHandle<()>,
    /// Checkpoints run so far.
    runs: Arc<AtomicU64>,
}

impl Checkpointer {
    fn spawn(pool: SqlitePool, writes: Arc<AtomicU64>) -> Self {
        let p = pool.clone();
        let runs = Arc::new(AtomicU64::new(0));
        let counted = runs.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut seen = writes.load(Ordering::Relaxed);
            let mut settled = true;
            loop {
                tick.tick().await;
                let now = writes.load(Ordering::Relaxed);
                if now != seen {
                    seen = now;
                    settled = false;
                } else if settled {
                    continue;
                } else {
                    settled = true;
                }
                counted.fetch_add(1, Ordering::Relaxed);
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&p)
                    .await
                {
                    tracing::warn!(error = %backend(e), "sqlite checkpoint failed; will retry");
                }
            }
        });
        Checkpointer { pool, task, runs }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SqliteStore {
    /// Open (per the URL, possibly create) a database file and apply pending migrations.
    ///
    /// `target` is a URL (`sqlite://path/to/writ.db?mode=rwc`; without `mode=rwc` the file
    /// must exist) or a plain path (created if missing). Connections use
    /// `journal_mode=WAL`, `synchronous=NORMAL`, `busy_timeout` 5 s and `foreign_keys=ON`.
    pub async fn open(target: &str) -> Result<Self, StoreError> {
        let options = if target.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(target).map_err(backend)?
        } else {
            SqliteConnectOptions::new()
                .filename(target)
                .create_if_missing(true)
        };
        let options = options
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .statement_cache_capacity(STATEMENT_CACHE);

        // The writer sets WAL (a persistent property of the file) and migrates before any
        // reader connects.
        let writer = pool_options()
            .max_connections(1)
            .connect_with(
                options
                    .clone()
                    .journal_mode(SqliteJournalMode::Wal)
                    .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES),
            )
            .await
            .map_err(backend)?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::Backend(format!("sqlite migration: {e}")))?;
        let checkpoints = pool_options()
            .max_connections(1)
            .connect_with(options.clone().create_if_missing(false))
            .await
            .map_err(backend)?;
        let reader = pool_options()
            .max_connections(READERS)
            .connect_with(options.read_only(true).create_if_missing(false))
            .await
            .map_err(backend)?;

        tracing::info!(backend = "sqlite", "store opened");
        let writes = Arc::new(AtomicU64::new(0));
        Ok(SqliteStore {
            interactions: GroupWriter::spawn(writer.clone()),
            replay: GroupWriter::spawn(writer.clone()),
            issued: GroupWriter::spawn(writer.clone()),
            code_use: GroupWriter::spawn(writer.clone()),
            refresh_touch: GroupWriter::spawn(writer.clone()),
            users: GroupWriter::spawn(reader.clone()),
            grants: GroupWriter::spawn(reader.clone()),
            checkpointer: Some(Arc::new(Checkpointer::spawn(checkpoints, writes.clone()))),
            writes,
            writer,
            reader,
        })
    }

    /// A private in-memory database, for tests. It lives on a single connection (reads and
    /// writes share it, since a second connection would see a different database) that is
    /// never recycled, and disappears with the store.
    pub async fn open_in_memory() -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(true);
        let pool = pool_options()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(backend)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("sqlite migration: {e}")))?;
        Ok(SqliteStore {
            interactions: GroupWriter::spawn(pool.clone()),
            replay: GroupWriter::spawn(pool.clone()),
            issued: GroupWriter::spawn(pool.clone()),
            code_use: GroupWriter::spawn(pool.clone()),
            refresh_touch: GroupWriter::spawn(pool.clone()),
            users: GroupWriter::spawn(pool.clone()),
            grants: GroupWriter::spawn(pool.clone()),
            checkpointer: None,
            writes: Arc::new(AtomicU64::new(0)),
            writer: pool.clone(),
            reader: pool,
        })
    }

    /// Close both pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        if let Some(c) = &self.checkpointer {
            c.task.abort();
            c.pool.close().await;
        }
        self.writer.close().await;
        self.reader.close().await;
    }

    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    pub(crate) fn writer(&self) -> &SqlitePool {
        self.writes.fetch_add(1, Ordering::Relaxed);
        &self.writer
    }

    async fn put_interaction(
        &self,
        interaction: &writ_core::ports::StoredInteraction,
    ) -> Result<(), StoreError> {
        self.interactions
            .write(self.writer(), interaction.clone())
            .await
    }

    async fn insert_replay(
        &self,
        namespace: &str,
        key: &str,
        expires_at: writ_core::ports::UnixTime,
        now: writ_core::ports::UnixTime,
    ) -> Result<bool, StoreError> {
        let row = ReplayRow {
            keys: vec![ReplayKey {
                namespace: namespace.to_owned(),
                key: key.to_owned(),
                expires_at,
            }],
            now,
        };
        let outcome = self.replay.write(self.writer(), row).await?;
        Ok(outcome.first().copied().unwrap_or(false))
    }

    async fn read_user(
        &self,
        id: &str,
    ) -> Result<Option<writ_core::ports::StoredUser>, StoreError> {
        self.users.write(&self.reader, id.to_owned()).await
    }

    async fn read_grant(
        &self,
        id: &str,
    ) -> Result<Option<writ_core::ports::StoredGrant>, StoreError> {
        self.grants.write(&self.reader, id.to_owned()).await
    }

    async fn consume_code(
        &self,
        code_hash: &str,
        now: writ_core::ports::UnixTime,
    ) -> Result<writ_core::ports::Consumed<writ_core::ports::StoredCode>, StoreError> {
        let row = CodeUseRow {
            code_hash: code_hash.to_owned(),
            now,
        };
        self.code_use.write(self.writer(), row).await?
    }

    async fn touch_refresh(
        &self,
        token_hash: &str,
        now: writ_core::ports::UnixTime,
        expires_at: writ_core::ports::UnixTime,
    ) -> Result<Option<writ_core::ports::StoredRefreshToken>, StoreError> {
        let row = RefreshTouchRow {
            token_hash: token_hash.to_owned(),
            now,
            expires_at,
        };
        self.refresh_touch.write(self.writer(), row).await
    }

    async fn write_issued(&self, issued: writ_core::ports::IssuedTokens) -> Result<(), StoreError> {
        crate::sql::issued::refresh_of(&issued)?;
        self.issued.write(self.writer(), issued).await
    }

    async fn insert_replay_each(
        &self,
        entries: &[writ_core::ports::ReplayEntry<'_>],
        now: writ_core::ports::UnixTime,
    ) -> Result<Vec<bool>, StoreError> {
        if entries.len() > writ_core::ports::MAX_REPLAY_ENTRIES {
            return Err(StoreError::Backend(format!(
                "{} replay entries in one write; at most {}",
                entries.len(),
                writ_core::ports::MAX_REPLAY_ENTRIES
            )));
        }
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let row = ReplayRow {
            keys: entries
                .iter()
                .map(|e| ReplayKey {
                    namespace: e.namespace.to_owned(),
                    key: e.key.to_owned(),
                    expires_at: e.expires_at,
                })
                .collect(),
            now,
        };
        let outcome = self.replay.write(self.writer(), row).await?;
        if outcome.len() != entries.len() {
            return Err(StoreError::Backend(format!(
                "the replay writer answered {} outcomes for {} entries",
                outcome.len(),
                entries.len()
            )));
        }
        Ok(outcome)
    }

    /// Checkpoints the background checkpointer has run (none for an in-memory database).
    pub fn checkpoints_run(&self) -> u64 {
        self.checkpointer
            .as_ref()
            .map_or(0, |c| c.runs.load(Ordering::Relaxed))
    }
}

/// Pool options shared by every pool here. sqlx tests ("pings") a connection when the pool
/// takes it back and, by default, again before handing it out; on SQLite a ping is a round
/// trip to the connection's own thread, two context switches on a busy core (measured: 0.60
/// switches per `/authorize` at 64 connections before, 0.43 after). A SQLite connection is a
/// handle on a file of this process, not a socket a peer can close, so the second test finds
/// nothing the first did not.
fn pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new().test_before_acquire(false)
}

/// Whether a `sqlite:` URL names an in-memory database (`sqlite::memory:`, `mode=memory`).
pub(crate) fn is_memory_url(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

crate::sql::impl_store!(SqliteStore, ::sqlx::Sqlite);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use writ_core::ports::{Store, StoredInteraction};

    /// The checkpointer wakes a connection only after writes: idle ticks do nothing.
    #[tokio::test]
    async fn the_checkpointer_skips_ticks_without_writes() {
        let dir = std::env::temp_dir().join(format!(
            "writ-checkpointer-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let store = SqliteStore::open(dir.join("w.db").to_str().unwrap())
            .await
            .unwrap();
        // Migrations wrote through the writer pool directly; let the start settle.
        tokio::time::sleep(CHECKPOINT_EVERY * 5).await;
        let idle = store.checkpoints_run();
        tokio::time::sleep(CHECKPOINT_EVERY * 15).await;
        assert_eq!(store.checkpoints_run(), idle, "checkpoints while idle");

        let row = StoredInteraction {
            id: "i".into(),
            payload: writ_core::ports::Payload::from_stored("{}".into()),
            expires_at: i64::MAX,
            answered: false,
        };
        store.interaction_put(&row).await.unwrap();
        tokio::time::sleep(CHECKPOINT_EVERY * 15).await;
        let after = store.checkpoints_run();
        assert!(after > idle, "no checkpoint after a write");
        // One for the write, one more to settle; then quiet again.
        assert!(
            after - idle <= 3,
            "{} checkpoints for one write",
            after - idle
        );
        tokio::time::sleep(CHECKPOINT_EVERY * 15).await;
        assert_eq!(store.checkpoints_run(), after);
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
