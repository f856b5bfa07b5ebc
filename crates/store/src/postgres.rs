//! The shared backend: PostgreSQL (SPEC §10).
//!
//! Every node of a deployment connects to the same database, so one-time use and replay
//! detection hold across nodes: they rest on single guarded statements, which PostgreSQL
//! serialises per row.

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use writ_core::ports::StoreError;

use crate::backend;

/// How long a query waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The [`Store`](writ_core::ports::Store) on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Default size of the connection pool.
    pub const DEFAULT_POOL_SIZE: u32 = 10;

    /// Connect with a pool of [`Self::DEFAULT_POOL_SIZE`] connections and apply pending
    /// migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, Self::DEFAULT_POOL_SIZE).await
    }

    /// Connect with a pool of `max_connections` (at least 1) and apply pending migrations.
    /// Errors never quote the URL (it may hold a password).
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await
            .map_err(|e| match backend(e) {
                StoreError::Backend(why) => {
                    StoreError::Backend(format!("connecting to PostgreSQL: {why}"))
                }
                other => other,
            })?;
        let store = Self::from_pool(pool).await?;
        tracing::info!(backend = "postgres", max_connections, "store opened");
        Ok(store)
    }

    /// Use an existing pool, applying pending migrations. Migrations take an advisory lock,
    /// so nodes starting together do not race.
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("postgres migration: {e}")))?;
        Ok(PgStore { pool })
    }

    /// Close the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    /// One statement per interaction (no grouping: PostgreSQL takes concurrent writers).
    async fn put_interaction(
        &self,
        interaction: &writ_core::ports::StoredInteraction,
    ) -> Result<(), StoreError> {
        sqlx::query(crate::sql::interactions::PUT)
            .bind(interaction.id.as_str())
            .bind(interaction.payload.as_stored())
            .bind(interaction.expires_at)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// One statement per key (no grouping: PostgreSQL takes concurrent writers).
    async fn insert_replay(
        &self,
        namespace: &str,
        key: &str,
        expires_at: writ_core::ports::UnixTime,
        now: writ_core::ports::UnixTime,
    ) -> Result<bool, StoreError> {
        crate::sql::replay::insert_once(self, namespace, key, expires_at, now).await
    }

    async fn insert_replay_each(
        &self,
        entries: &[writ_core::ports::ReplayEntry<'_>],
        now: writ_core::ports::UnixTime,
    ) -> Result<Vec<bool>, StoreError> {
        crate::sql::replay::insert_each(self, entries, now).await
    }

    async fn read_user(
        &self,
        id: &str,
    ) -> Result<Option<writ_core::ports::StoredUser>, StoreError> {
        crate::sql::users::get(self, id).await
    }

    async fn read_grant(
        &self,
        id: &str,
    ) -> Result<Option<writ_core::ports::StoredGrant>, StoreError> {
        crate::sql::grants::get(self, id).await
    }

    async fn consume_code(
        &self,
        code_hash: &str,
        now: writ_core::ports::UnixTime,
    ) -> Result<writ_core::ports::Consumed<writ_core::ports::StoredCode>, StoreError> {
        crate::sql::codes::consume(self, code_hash, now).await
    }

    async fn touch_refresh(
        &self,
        token_hash: &str,
        now: writ_core::ports::UnixTime,
        expires_at: writ_core::ports::UnixTime,
    ) -> Result<Option<writ_core::ports::StoredRefreshToken>, StoreError> {
        crate::sql::refresh::touch(self, token_hash, now, expires_at).await
    }

    /// One statement (no grouping: PostgreSQL takes concurrent writers).
    async fn write_issued(&self, issued: writ_core::ports::IssuedTokens) -> Result<(), StoreError> {
        crate::sql::issued::write_one_statement(self, &issued).await
    }
}

crate::sql::impl_store!(PgStore, ::sqlx::Postgres);
