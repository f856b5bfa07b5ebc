//! The SQL both backends run, the rows it returns, and the one [`Store`] implementation
//! they share.
//!
//! SQLite and PostgreSQL both accept `$N` placeholders, `ON CONFLICT ... DO UPDATE ... WHERE`,
//! `UPDATE/DELETE ... RETURNING` and row-value `IN`, so every statement is written once. The
//! implementation is a macro rather than generic code: sqlx's generic-over-database bounds
//! would have to be repeated on every method, while the macro body is plain, concrete sqlx
//! calls, type-checked separately for each backend. A backend only provides `reader()` and
//! `writer()` (its pools); see `sqlite.rs` and `postgres.rs`.
//!
//! One-time use (SPEC §9, §10) rests on single statements that are atomic on both
//! backends: a guarded `UPDATE ... WHERE consumed_at IS NULL AND expires_at > $now RETURNING`
//! (PostgreSQL re-checks the guard after waiting for a concurrent writer's row lock; SQLite
//! has one writer), a guarded `DELETE ... RETURNING`, and an upsert whose update only fires
//! on an expired entry.
//!
//! [`Store`]: writ_core::ports::Store

use writ_core::ports::{
    KeyState, KeyUse, StoreError, StoredClient, StoredCode, StoredGrant, StoredInteraction,
    StoredKey, StoredPushedRequest, StoredRefreshToken, StoredSession, StoredUser,
};

pub(crate) const CLIENT_UPSERT: &str = "INSERT INTO clients (client_id, metadata, updated_at) \
     VALUES ($1, $2, $3) \
     ON CONFLICT (client_id) DO UPDATE \
     SET metadata = excluded.metadata, updated_at = excluded.updated_at";
pub(crate) const CLIENT_GET: &str =
    "SELECT client_id, metadata, updated_at FROM clients WHERE client_id = $1";
pub(crate) const CLIENT_LIST: &str =
    "SELECT client_id, metadata, updated_at FROM clients ORDER BY client_id";
pub(crate) const CLIENT_REMOVE: &str = "DELETE FROM clients WHERE client_id = $1";

/// Keyed by username: an existing user keeps its `id` and `created_at`.
pub(crate) const USER_UPSERT: &str = "INSERT INTO users (id, username, password_hash, claims, created_at) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (username) DO UPDATE \
     SET password_hash = excluded.password_hash, claims = excluded.claims \
     RETURNING id, username, password_hash, claims, created_at";
pub(crate) const USER_BY_USERNAME: &str =
    "SELECT id, username, password_hash, claims, created_at FROM users WHERE username = $1";
pub(crate) const USER_GET: &str =
    "SELECT id, username, password_hash, claims, created_at FROM users WHERE id = $1";

pub(crate) const KEY_INSERT: &str = "INSERT INTO server_keys \
     (kid, key_use, alg, private_pkcs8, public_jwk, state, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(crate) const KEY_LIST: &str = "SELECT kid, key_use, alg, private_pkcs8, public_jwk, state, \
     created_at FROM server_keys ORDER BY created_at, kid";
pub(crate) const KEY_SET_STATE: &str = "UPDATE server_keys SET state = $2 WHERE kid = $1";

/// Insert or replace a pending interaction; an answered one (a tombstone) is never replaced.
pub(crate) const INTERACTION_PUT: &str = "INSERT INTO interactions (id, payload, expires_at) \
     VALUES ($1, $2, $3) \
     ON CONFLICT (id) DO UPDATE \
     SET payload = excluded.payload, expires_at = excluded.expires_at \
     WHERE NOT interactions.answered";
pub(crate) const INTERACTION_GET: &str = "SELECT id, payload, expires_at, answered \
     FROM interactions WHERE id = $1 AND expires_at > $2";
/// One statement: of concurrent takes, exactly one turns the row into a tombstone (its
/// payload dropped, kept until it expires) and is told so.
pub(crate) const INTERACTION_TAKE: &str = "UPDATE interactions SET answered = TRUE, payload = '' \
     WHERE id = $1 AND expires_at > $2 AND NOT answered RETURNING id";

pub(crate) const PUSHED_INSERT: &str = "INSERT INTO pushed_requests \
     (uri_hash, client_id, payload, expires_at) VALUES ($1, $2, $3, $4)";
/// One statement: of concurrent takes, exactly one deletes the row and gets it back.
pub(crate) const PUSHED_TAKE: &str = "DELETE FROM pushed_requests \
     WHERE uri_hash = $1 AND client_id = $2 AND expires_at > $3 \
     RETURNING uri_hash, client_id, payload, expires_at";

pub(crate) const SESSION_PUT: &str = "INSERT INTO sessions (id, user_id, auth_time, expires_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, \
     auth_time = excluded.auth_time, expires_at = excluded.expires_at";
pub(crate) const SESSION_GET: &str = "SELECT id, user_id, auth_time, expires_at FROM sessions \
     WHERE id = $1 AND expires_at > $2";
pub(crate) const SESSION_DELETE: &str = "DELETE FROM sessions WHERE id = $1";

pub(crate) const GRANT_INSERT: &str = "INSERT INTO grants (id, client_id, subject, created_at, expires_at, revoked_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const GRANT_GET: &str = "SELECT id, client_id, subject, created_at, expires_at, \
     revoked_at FROM grants WHERE id = $1";
/// The first revocation time is kept.
pub(crate) const GRANT_REVOKE: &str =
    "UPDATE grants SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";
/// Consumed codes and refresh tokens stay (until they expire) so a later replay of one is
/// still recognised as [`Consumed::Already`](writ_core::ports::Consumed::Already).
pub(crate) const GRANT_REVOKE_CODES: &str =
    "DELETE FROM codes WHERE grant_id = $1 AND consumed_at IS NULL";
pub(crate) const GRANT_REVOKE_REFRESH: &str =
    "DELETE FROM refresh_tokens WHERE grant_id = $1 AND consumed_at IS NULL";

pub(crate) const CODE_INSERT: &str =
    "INSERT INTO codes (code_hash, grant_id, payload, expires_at) VALUES ($1, $2, $3, $4)";
pub(crate) const CODE_CONSUME: &str = "UPDATE codes SET consumed_at = $2 \
     WHERE code_hash = $1 AND consumed_at IS NULL AND expires_at > $2 \
     RETURNING code_hash, grant_id, payload, expires_at";
pub(crate) const CODE_CONSUMED: &str = "SELECT code_hash, grant_id, payload, expires_at \
     FROM codes WHERE code_hash = $1 AND consumed_at IS NOT NULL";

pub(crate) const REFRESH_INSERT: &str = "INSERT INTO refresh_tokens \
     (token_hash, grant_id, payload, expires_at) VALUES ($1, $2, $3, $4)";
pub(crate) const REFRESH_CONSUME: &str = "UPDATE refresh_tokens SET consumed_at = $2 \
     WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $2 \
     RETURNING token_hash, grant_id, payload, expires_at";
pub(crate) const REFRESH_CONSUMED: &str = "SELECT token_hash, grant_id, payload, expires_at \
     FROM refresh_tokens WHERE token_hash = $1 AND consumed_at IS NOT NULL";

/// New key: inserted. Existing unexpired entry: untouched (0 rows, a replay). Existing
/// expired entry: replaced (1 row).
pub(crate) const REPLAY_INSERT: &str = "INSERT INTO replay (namespace, entry_key, expires_at) VALUES ($1, $2, $3) \
     ON CONFLICT (namespace, entry_key) DO UPDATE SET expires_at = excluded.expires_at \
     WHERE replay.expires_at <= $4";

/// Rows per purge statement, so one sweep never holds the (SQLite) writer for long.
pub(crate) const PURGE_BATCH: i64 = 500;
/// One bounded `DELETE` per table: `$1` is now, `$2` the batch size. A row is expired when
/// `expires_at <= now`, exactly when reads stop seeing it.
pub(crate) const PURGE: [&str; 7] = [
    "DELETE FROM interactions WHERE id IN \
     (SELECT id FROM interactions WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM sessions WHERE id IN \
     (SELECT id FROM sessions WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM pushed_requests WHERE uri_hash IN \
     (SELECT uri_hash FROM pushed_requests WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM codes WHERE code_hash IN \
     (SELECT code_hash FROM codes WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM refresh_tokens WHERE token_hash IN \
     (SELECT token_hash FROM refresh_tokens WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM replay WHERE (namespace, entry_key) IN \
     (SELECT namespace, entry_key FROM replay WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM grants WHERE id IN \
     (SELECT id FROM grants WHERE expires_at <= $1 LIMIT $2)",
];

#[derive(sqlx::FromRow)]
pub(crate) struct ClientRow {
    client_id: String,
    metadata: String,
    updated_at: i64,
}

impl From<ClientRow> for StoredClient {
    fn from(r: ClientRow) -> Self {
        StoredClient {
            client_id: r.client_id,
            metadata: r.metadata,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: String,
    username: String,
    password_hash: String,
    claims: String,
    created_at: i64,
}

impl From<UserRow> for StoredUser {
    fn from(r: UserRow) -> Self {
        StoredUser {
            id: r.id,
            username: r.username,
            password_hash: r.password_hash,
            claims: r.claims,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct KeyRow {
    kid: String,
    key_use: String,
    alg: String,
    private_pkcs8: Vec<u8>,
    public_jwk: String,
    state: String,
    created_at: i64,
}

impl TryFrom<KeyRow> for StoredKey {
    type Error = StoreError;
    fn try_from(r: KeyRow) -> Result<Self, StoreError> {
        let key_use = KeyUse::parse(&r.key_use).ok_or_else(|| {
            StoreError::Corrupt(format!("key {}: unknown use {:?}", r.kid, r.key_use))
        })?;
        let state = KeyState::parse(&r.state).ok_or_else(|| {
            StoreError::Corrupt(format!("key {}: unknown state {:?}", r.kid, r.state))
        })?;
        Ok(StoredKey {
            kid: r.kid,
            key_use,
            alg: r.alg,
            private_pkcs8: r.private_pkcs8,
            public_jwk: r.public_jwk,
            state,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct InteractionRow {
    id: String,
    payload: String,
    expires_at: i64,
    answered: bool,
}

impl From<InteractionRow> for StoredInteraction {
    fn from(r: InteractionRow) -> Self {
        StoredInteraction {
            id: r.id,
            payload: r.payload,
            expires_at: r.expires_at,
            answered: r.answered,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PushedRow {
    uri_hash: String,
    client_id: String,
    payload: String,
    expires_at: i64,
}

impl From<PushedRow> for StoredPushedRequest {
    fn from(r: PushedRow) -> Self {
        StoredPushedRequest {
            uri_hash: r.uri_hash,
            client_id: r.client_id,
            payload: r.payload,
            expires_at: r.expires_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id: String,
    user_id: Option<String>,
    auth_time: Option<i64>,
    expires_at: i64,
}

impl From<SessionRow> for StoredSession {
    fn from(r: SessionRow) -> Self {
        StoredSession {
            id: r.id,
            user_id: r.user_id,
            auth_time: r.auth_time,
            expires_at: r.expires_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct GrantRow {
    id: String,
    client_id: String,
    subject: String,
    created_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
}

impl From<GrantRow> for StoredGrant {
    fn from(r: GrantRow) -> Self {
        StoredGrant {
            id: r.id,
            client_id: r.client_id,
            subject: r.subject,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct CodeRow {
    code_hash: String,
    grant_id: String,
    payload: String,
    expires_at: i64,
}

impl From<CodeRow> for StoredCode {
    fn from(r: CodeRow) -> Self {
        StoredCode {
            code_hash: r.code_hash,
            grant_id: r.grant_id,
            payload: r.payload,
            expires_at: r.expires_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RefreshRow {
    token_hash: String,
    grant_id: String,
    payload: String,
    expires_at: i64,
}

impl From<RefreshRow> for StoredRefreshToken {
    fn from(r: RefreshRow) -> Self {
        StoredRefreshToken {
            token_hash: r.token_hash,
            grant_id: r.grant_id,
            payload: r.payload,
            expires_at: r.expires_at,
        }
    }
}

/// Decide a consumption from the guarded `UPDATE`'s row and, when it matched nothing, the
/// follow-up lookup of a consumed row.
pub(crate) fn consumed<R, T: From<R>>(
    now: Option<R>,
    before: Option<R>,
) -> writ_core::ports::Consumed<T> {
    use writ_core::ports::Consumed;
    match (now, before) {
        (Some(row), _) => Consumed::Now(row.into()),
        (None, Some(row)) => Consumed::Already(row.into()),
        (None, None) => Consumed::Missing,
    }
}

/// Implement [`Store`](writ_core::ports::Store) for a backend type that has
/// `fn reader(&self) -> &sqlx::Pool<DB>` (reads), `fn writer(&self) -> &sqlx::Pool<DB>`
/// (writes and every consumption) and `async fn put_interaction(&self, &StoredInteraction)`
/// (the one write each backend does its own way: SQLite groups them).
macro_rules! impl_store {
    ($backend:ty) => {
        #[::async_trait::async_trait]
        impl ::writ_core::ports::Store for $backend {
            async fn client_upsert(
                &self,
                client: &::writ_core::ports::StoredClient,
            ) -> Result<(), ::writ_core::ports::StoreError> {
                ::sqlx::query($crate::sql::CLIENT_UPSERT)
                    .bind(client.client_id.as_str())
                    .bind(client.metadata.as_str())
                    .bind(client.updated_at)
                    .execute(self.writer())
                    .await
                    .map_err($crate::backend)?;
                Ok(())
            }

            async fn client_get(
                &self,
                client_id: &str,
            ) -> Result<Option<::writ_core::ports::StoredClient>, ::writ_core::ports::StoreError>
            {
                let row = ::sqlx::query_as::<_, $crate::sql::ClientRow>($crate::sql::CLIENT_GET)
                    .bind(client_id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err($crate::backend)?;
                Ok(row.map(Into::into))
            }

            async fn client_list(
                &self,
            ) -> Result<Vec<::writ_core::ports::StoredClient>, ::writ_core::ports::StoreError> {
                let rows = ::sqlx::query_as::<_, $crate::sql::ClientRow>($crate::sql::CLIENT_LIST)
                    .fetch_all(self.reader())
                    .await
                    .map_err($crate::backend)?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn client_remove(
                &self,
                client_id: &str,
            ) -> Result<bool, ::writ_core::ports::StoreError> {
                let done = ::sqlx::query($crate::sql::CLIENT_REMOVE)
                    .bind(client_id)
                    .execute(self.writer())
                    .await
                    .map_err($crate::backend)?;
                Ok(done.rows_affected() > 0)
            }

            async fn user_upsert(
                &self,
                user: &::writ_core::ports::StoredUser,
            ) -> Result<::writ_core::ports::StoredUser, ::writ_core::ports::StoreError> {
                let row = ::sqlx::query_as::<_, $crate::sql::UserRow>($crate::sql::USER_UPSERT)
                    .bind(user.id.as_str())
                    .bind(user.username.as_str())
                    .bind(user.password_hash.as_str())
                    .bind(user.claims.as_str())
                    .bind(user.created_at)
                    .fetch_one(self.writer())
                    .await
                    .map_err(|e| $crate::insert_error(e, || format!("user id {}", user.id)))?;
                Ok(row.into())
            }

            async fn user_by_username(
                &self,
                username: &str,
            ) -> Result<Option<::writ_core::ports::StoredUser>, ::writ_core::ports::StoreError>
            {
                let row =
                    ::sqlx::query_as::<_, $crate::sql::UserRow>($crate::sql::USER_BY_USERNAME)
                        .bind(username)
                        .fetch_optional(self.reader())
                        .await
                        .map_err($crate::backend)?;
                Ok(row.map(Into::into))
            }

            async fn user_get(
                &self,
                id: &str,
            ) -> Result<Option<::writ_core::ports::StoredUser>, ::writ_core::ports::StoreError>
            {
                let row = ::sqlx::query_as::<_, $crate::sql::UserRow>($crate::sql::USER_GET)
                    .bind(id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err($crate::backend)?;
                Ok(row.map(Into::into))
            }

            async fn key_insert(
                &self,
                key: &::writ_core::ports::StoredKey,
            ) -> Result<(), ::writ_core::ports::StoreError> {
                ::sqlx::query($crate::sql::KEY_INSERT)
                    .bind(key.kid.as_str())
                    .bind(key.key_use.as_str())
                    .bind(key.alg.as_str())
                    .bind(key.private_pkcs8.as_slice())
                    .bind(key.public_jwk.as_str())
                    .bind(key.state.as_str())
                    .bind(key.created_at)
                    .execute(self.writer())
                    .await
                    .map_err(|e| $crate::insert_error(e, || format!("key {}", key.kid)))?;
                Ok(())
            }

            async fn key_list(
                &self,
            ) -> Result<Vec<::writ_core::ports::StoredKey>, ::writ_core::ports::StoreError> {
                let rows = ::sqlx::query_as::<_, $crate::sql::KeyRow>($crate::sql::KEY_LIST)
                    .fetch_all(self.reader())
                    .await
                    .map_err($crate::backend)?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn key_set_state(
                &self,
                kid: &str,
                state: ::writ_core::ports::KeyState,
            ) -> Result<bool, ::writ_core::ports::StoreError> {
                let done = ::sqlx::query($crate::sql::KEY_SET_STATE)
                    .bind(kid)
                    .bind(state.as_str())
                    .execute(self.writer())
                    .await
                    .map_err($crate::backend)?;
                Ok(done.rows_affected() > 0)
            }

            async fn interaction_put(
                &self,
                interaction: &::writ_core::ports::StoredInteraction,
            ) -> Result<(), ::writ_core::ports::StoreError> {
                self.put_interaction(interaction).await
            }

            async fn interaction_get(
                &self,
                id: &str,
                now: ::writ_core::ports::UnixTime,
            ) -> Result<
                Option<::writ_core::ports::StoredInteraction>,
                ::writ_core::ports::StoreError,
            > {
                let row = ::sqlx::query_as::<_, $crate::sql::InteractionRow>(
                    $crate::sql::INTERACTION_GET,
                )
                .bind(id)
                .bind(now)
                .fetch_optional(self.reader())
                .await
                .map_err($crate::backend)?;
                Ok(row.map(Into::into))
            }

            async fn interaction_take(
                &self,
                id: &str,
                now: ::writ_core::ports::UnixTime,
            ) -> Result<bool, ::writ_core::ports::StoreError> {
                let row: Option<(String,)> =
                    ::sqlx::query_as($crate::sql::INTERACTION_TAKE)
                        .bind(id)
                        .bind(now)
                        .fetch_optional(self.writer())
                        .await
                        .map_err($crate::backend)?;
                Ok(row.is_some())
            }

            async fn pushed_request_insert(
                &self,
                request: &::writ_core::ports::StoredPushedRequest,
            ) -> Result<(), ::writ_core::ports::StoreError> {
                ::sqlx::query($crate::sql::PUSHED_INSERT)
                    .bind(request.uri_hash.as_str())
                    .bind(request.client_id.as_str())
                    .bind(request.payload.as_str())
                    .bind(request.expires_at)
                    .execute(self.writer())
                    .await
                    .map_err(|e| $crate::insert_error(e, || "pushed request".to_owned()))?;
                Ok(())
            }

            async fn pushed_request_take(
                &self,
                uri_hash: &str,
                client_id: &str,
                now: ::writ_core::ports::UnixTime,
            ) -> Result<
                Option<::writ_core::ports::StoredPushedRequest>,
                ::writ_core::ports::StoreError,
            > {
                let row = ::sqlx::query_as::<_, $crate::sql::PushedRow>($crate::sql::PUSHED_TAKE)
                    .bind(uri_hash)
                    .bind(client_id)
                    .bind(now)
                    .fetch_optional(self.writer())
                    .await
                    .map_err($crate::backend)?;
                Ok(row.map(Into::into))
            }

            async fn session_put(
                &self,
                session: &::writ_core::ports::StoredSession,
            ) -> Result<(), ::writ_core::ports::StoreError> {
                ::sqlx::query($crate::sql::SESSION_PUT)
                    .bind(session.id.as_str())
                    .bind(session.user_id.as_deref())
                    .bind(session.auth_time)
                    .bind(session.expires_at)
                    .execute(self.writer())
                    .await
                    .map_err($crate::backend)?;
                Ok(())
            }

            async fn session_get(
                &self,
                id: &str,
                now: ::writ_core::ports::UnixTime,
            ) -> Result<Option<::writ_core::ports::StoredSession>, ::writ_core::ports::StoreError>
            {
                let row =
                    ::sqlx::query_as::<_, $crate::sql::SessionRow>($crate::sql::SESSION_GET)
                        .bind(id)
                        .bind(now)
                        .fetch_optional(self.reader())
                        .await
                        .map_err($crate::backend)?;
                Ok(row.map(Into::into))
            }

            async fn session_delete(&self, id: &str) -> Result<(), ::writ_core::ports::StoreError> {
                ::sqlx::query($crate::sql::SESSION_DELETE)
                    .bind(id)
                    .execute(self.writer())
                    .await
                    .map_err($crate::backend)?;
                Ok(())
            }

            async fn grant_insert(
                &self,
                grant: &::writ_core::ports::StoredGrant,
            ) -> Result<(), ::writ_core::ports::StoreError> {
                ::sqlx::query($crate::sql::GRANT_INSERT)
                    .bind(grant.id.as_str())
                    .bind(grant.client_id.as_str())
                    .bind(grant.subject.as_str())
                    .bind(grant.created_at)
                    .bind(grant.expires_at)
                    .bind(grant.revoked_at)
                    .execute(self.writer())
                    .await
                    .map_err(|e| $crate::insert_error(e, || format!("grant {}", grant.id)))?;
                Ok(())
            }

            async fn grant_get(
                &self,
                id: &str,
            ) -> Result<Option<::writ_core::ports::StoredGrant>, ::writ_core::ports::StoreError>
            {
                let row = ::sqlx::query_as::<_, $crate::sql::GrantRow>($crate::sql::GRANT_GET)
                    .bind(id)
                    .fetch_optional(self.reader())
                    .await
                    .map_err($crate::backend)?;
                Ok(row.map(Into::into))
            }

            async fn grant_revoke(
                &self,
                id: &str,
                now: ::writ_core::ports::UnixTime,
            ) -> Result<(), ::writ_core::ports::StoreError> {
                let mut tx = self.writer().begin().await.map_err($crate::backend)?;
                ::sqlx::query($crate::sql::GRANT_REVOKE)
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err($crate::backend)?;
                for statement in [
                    $crate::sql::GRANT_REVOKE_CODES,
                    $crate::sql::GRANT_REVOKE_REFRESH,
                ] {
                    ::sqlx::query(statement)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::backend)?;
                }
                tx.commit().await.map_err($crate::backend)
            }

            async fn code_insert(
                &self,
                code: &::writ_core::ports::StoredCode,
            ) -> Result<(), ::writ_core::ports::StoreError> {
                ::sqlx::query($crate::sql::CODE_INSERT)
                    .bind(code.code_hash.as_str())
                    .bind(code.grant_id.as_str())
                    .bind(code.payload.as_str())
                    .bind(code.expires_at)
                    .execute(self.writer())
                    .await
                    .map_err(|e| $crate::insert_error(e, || "authorization code".to_owned()))?;
                Ok(())
            }

            async fn code_consume(
                &self,
                code_hash: &str,
                now: ::writ_core::ports::UnixTime,
            ) -> Result<
                ::writ_core::ports::Consumed<::writ_core::ports::StoredCode>,
                ::writ_core::ports::StoreError,
            > {
                let won = ::sqlx::query_as::<_, $crate::sql::CodeRow>($crate::sql::CODE_CONSUME)
                    .bind(code_hash)
                    .bind(now)
                    .fetch_optional(self.writer())
                    .await
                    .map_err($crate::backend)?;
                let before = match won {
                    Some(_) => None,
                    None => ::sqlx::query_as::<_, $crate::sql::CodeRow>(
                        $crate::sql::CODE_CONSUMED,
                    )
                    .bind(code_hash)
                    .fetch_optional(self.writer())
                    .await
                    .map_err($crate::backend)?,
                };
                Ok($crate::sql::consumed(won, before))
            }

            async fn refresh_insert(
                &self,
                token: &::writ_core::ports::StoredRefreshToken,
            ) -> Result<(), ::writ_core::ports::StoreError> {
                ::sqlx::query($crate::sql::REFRESH_INSERT)
                    .bind(token.token_hash.as_str())
                    .bind(token.grant_id.as_str())
                    .bind(token.payload.as_str())
                    .bind(token.expires_at)
                    .execute(self.writer())
                    .await
                    .map_err(|e| $crate::insert_error(e, || "refresh token".to_owned()))?;
                Ok(())
            }

            async fn refresh_consume(
                &self,
                token_hash: &str,
                now: ::writ_core::ports::UnixTime,
            ) -> Result<
                ::writ_core::ports::Consumed<::writ_core::ports::StoredRefreshToken>,
                ::writ_core::ports::StoreError,
            > {
                let won =
                    ::sqlx::query_as::<_, $crate::sql::RefreshRow>($crate::sql::REFRESH_CONSUME)
                        .bind(token_hash)
                        .bind(now)
                        .fetch_optional(self.writer())
                        .await
                        .map_err($crate::backend)?;
                let before = match won {
                    Some(_) => None,
                    None => ::sqlx::query_as::<_, $crate::sql::RefreshRow>(
                        $crate::sql::REFRESH_CONSUMED,
                    )
                    .bind(token_hash)
                    .fetch_optional(self.writer())
                    .await
                    .map_err($crate::backend)?,
                };
                Ok($crate::sql::consumed(won, before))
            }

            async fn replay_insert_once(
                &self,
                namespace: &str,
                key: &str,
                expires_at: ::writ_core::ports::UnixTime,
                now: ::writ_core::ports::UnixTime,
            ) -> Result<bool, ::writ_core::ports::StoreError> {
                let done = ::sqlx::query($crate::sql::REPLAY_INSERT)
                    .bind(namespace)
                    .bind(key)
                    .bind(expires_at)
                    .bind(now)
                    .execute(self.writer())
                    .await
                    .map_err($crate::backend)?;
                Ok(done.rows_affected() > 0)
            }

            async fn purge_expired(
                &self,
                now: ::writ_core::ports::UnixTime,
            ) -> Result<u64, ::writ_core::ports::StoreError> {
                let mut total = 0;
                for statement in $crate::sql::PURGE {
                    loop {
                        let gone = ::sqlx::query(statement)
                            .bind(now)
                            .bind($crate::sql::PURGE_BATCH)
                            .execute(self.writer())
                            .await
                            .map_err($crate::backend)?
                            .rows_affected();
                        total += gone;
                        if gone < $crate::sql::PURGE_BATCH.unsigned_abs() {
                            break;
                        }
                    }
                }
                Ok(total)
            }
        }
    };
}

pub(crate) use impl_store;
