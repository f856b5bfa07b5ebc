//! The SQL both backends run, one module per aggregate, and the one [`Store`] implementation
//! they share.
//!
//! SQLite and PostgreSQL both accept `$N` placeholders, `ON CONFLICT ... DO UPDATE ... WHERE`,
//! `UPDATE/DELETE ... RETURNING` and row-value `IN`, so every statement is written once. Each
//! aggregate module holds its statements, the row they return and its operations, written
//! once against [`Db`](db::Db) (`db.rs`: a backend's reader and writer pools and the values
//! bound to `$N`, implemented per backend with concrete sqlx calls by `impl_db!`):
//!
//! | module | rows |
//! |---|---|
//! | `clients`, `users`, `keys` | registrations, users, the server's keys |
//! | `interactions`, `sessions` | pending interactions, browser sessions |
//! | `pushed` | pushed authorization requests (RFC 9126) |
//! | `grants`, `codes`, `refresh` | grants and what they produced |
//! | `replay` | `jti`s and other once-only keys; revoked access tokens' `jti`s |
//! | `attempts` | password attempts per interaction, failed sign-ins per account |
//! | `expiry` | the purge of expired rows, every table |
//!
//! One-time use (SPEC §9, §10) of codes, refresh tokens, pushed requests and interactions is
//! one helper, `once.rs`. Every time a statement compares against comes from the caller's
//! clock, never from the database's.
//!
//! [`impl_store!`] turns the operations into the port for a backend type; it is a macro only
//! because `Store` belongs to `writ-core`, so it cannot be implemented once for every `Db`.
//!
//! [`Store`]: writ_core::ports::Store

pub(crate) mod db;
mod once;

// `pub(crate)`: `impl_store!` expands in `sqlite.rs` and `postgres.rs`.
pub(crate) mod attempts;
pub(crate) mod clients;
pub(crate) mod codes;
pub(crate) mod expiry;
pub(crate) mod grants;
pub(crate) mod interactions;
pub(crate) mod issued;
pub(crate) mod keys;
pub(crate) mod pushed;
pub(crate) mod refresh;
pub(crate) mod replay;
pub(crate) mod sessions;
pub(crate) mod users;

/// Implement [`Db`](db::Db) and [`Store`](writ_core::ports::Store) for a backend type that has
/// `fn reader(&self) -> &sqlx::Pool<$db>` (reads), `fn writer(&self) -> &sqlx::Pool<$db>`
/// (writes and every consumption), `async fn put_interaction(&self, &StoredInteraction)` and
/// `async fn insert_replay(&self, namespace, key, expires_at, now) -> Result<bool, _>` and
/// `async fn insert_replay_each(&self, entries, now) -> Result<Vec<bool>, _>` and
/// `async fn write_issued(&self, &IssuedTokens)`, `async fn consume_code(&self, hash, now)`,
/// `async fn touch_refresh(&self, hash, now, expires_at)`, `async fn read_user(&self, id)` and
/// `async fn read_grant(&self, id)`
/// (what each backend does its own way: SQLite groups them).
macro_rules! impl_store {
    ($backend:ty, $db:ty) => {
        $crate::sql::db::impl_db!($backend, $db);

        const _: () = {
            use ::writ_core::ports::{
                Consumed, KeyState, StoreError, StoredClient, StoredCode, StoredGrant,
                StoredInteraction, StoredKey, StoredPushedRequest, StoredRefreshToken,
                StoredSession, StoredUser, UnixTime,
            };
            use $crate::sql::{
                attempts, clients, codes, expiry, grants, interactions, keys, pushed, refresh,
                replay, sessions, users,
            };

            #[::async_trait::async_trait]
            impl ::writ_core::ports::Store for $backend {
                async fn client_upsert(&self, client: &StoredClient) -> Result<(), StoreError> {
                    clients::upsert(self, client).await
                }

                async fn client_get(
                    &self,
                    client_id: &str,
                ) -> Result<Option<StoredClient>, StoreError> {
                    clients::get(self, client_id).await
                }

                async fn client_list(&self) -> Result<Vec<StoredClient>, StoreError> {
                    clients::list(self).await
                }

                async fn client_remove(&self, client_id: &str) -> Result<bool, StoreError> {
                    clients::remove(self, client_id).await
                }

                async fn user_upsert(&self, user: &StoredUser) -> Result<StoredUser, StoreError> {
                    users::upsert(self, user).await
                }

                async fn user_by_username(
                    &self,
                    username: &str,
                ) -> Result<Option<StoredUser>, StoreError> {
                    users::by_username(self, username).await
                }

                async fn user_get(&self, id: &str) -> Result<Option<StoredUser>, StoreError> {
                    self.read_user(id).await
                }

                async fn user_list(&self) -> Result<Vec<StoredUser>, StoreError> {
                    users::list(self).await
                }

                async fn user_remove(&self, id: &str, now: UnixTime) -> Result<bool, StoreError> {
                    users::remove(self, id, now).await
                }

                async fn key_insert(&self, key: &StoredKey) -> Result<(), StoreError> {
                    keys::insert(self, key).await
                }

                async fn key_list(&self) -> Result<Vec<StoredKey>, StoreError> {
                    keys::list(self).await
                }

                async fn key_set_state(
                    &self,
                    kid: &str,
                    state: KeyState,
                ) -> Result<bool, StoreError> {
                    keys::set_state(self, kid, state).await
                }

                async fn key_set_private(
                    &self,
                    kid: &str,
                    old: &[u8],
                    new: &[u8],
                ) -> Result<bool, StoreError> {
                    keys::set_private(self, kid, old, new).await
                }

                async fn interaction_put(
                    &self,
                    interaction: &StoredInteraction,
                ) -> Result<(), StoreError> {
                    self.put_interaction(interaction).await
                }

                async fn interaction_get(
                    &self,
                    id: &str,
                    now: UnixTime,
                ) -> Result<Option<StoredInteraction>, StoreError> {
                    interactions::get(self, id, now).await
                }

                async fn interaction_take(
                    &self,
                    id: &str,
                    now: UnixTime,
                ) -> Result<bool, StoreError> {
                    interactions::take(self, id, now).await
                }

                async fn pushed_request_insert(
                    &self,
                    request: &StoredPushedRequest,
                ) -> Result<(), StoreError> {
                    pushed::insert(self, request).await
                }

                async fn pushed_request_take(
                    &self,
                    uri_hash: &str,
                    client_id: &str,
                    now: UnixTime,
                ) -> Result<Option<StoredPushedRequest>, StoreError> {
                    pushed::take(self, uri_hash, client_id, now).await
                }

                async fn session_put(&self, session: &StoredSession) -> Result<(), StoreError> {
                    sessions::put(self, session).await
                }

                async fn session_get(
                    &self,
                    id: &str,
                    now: UnixTime,
                ) -> Result<Option<StoredSession>, StoreError> {
                    sessions::get(self, id, now).await
                }

                async fn session_delete(&self, id: &str) -> Result<(), StoreError> {
                    sessions::delete(self, id).await
                }

                async fn grant_insert(&self, grant: &StoredGrant) -> Result<(), StoreError> {
                    grants::insert(self, grant).await
                }

                async fn grant_get(&self, id: &str) -> Result<Option<StoredGrant>, StoreError> {
                    self.read_grant(id).await
                }

                async fn grant_revoke(&self, id: &str, now: UnixTime) -> Result<(), StoreError> {
                    grants::revoke(self, id, now).await
                }

                async fn code_insert(&self, code: &StoredCode) -> Result<(), StoreError> {
                    codes::insert(self, code).await
                }

                async fn code_consume(
                    &self,
                    code_hash: &str,
                    now: UnixTime,
                ) -> Result<Consumed<StoredCode>, StoreError> {
                    self.consume_code(code_hash, now).await
                }

                async fn refresh_insert(
                    &self,
                    token: &StoredRefreshToken,
                ) -> Result<(), StoreError> {
                    refresh::insert(self, token).await
                }

                async fn tokens_issued(
                    &self,
                    issued: ::writ_core::ports::IssuedTokens,
                ) -> Result<(), StoreError> {
                    self.write_issued(issued).await
                }

                async fn refresh_consume(
                    &self,
                    token_hash: &str,
                    now: UnixTime,
                ) -> Result<Consumed<StoredRefreshToken>, StoreError> {
                    refresh::consume(self, token_hash, now).await
                }

                async fn refresh_touch(
                    &self,
                    token_hash: &str,
                    now: UnixTime,
                    expires_at: UnixTime,
                ) -> Result<Option<StoredRefreshToken>, StoreError> {
                    self.touch_refresh(token_hash, now, expires_at).await
                }

                async fn refresh_get_live(
                    &self,
                    token_hash: &str,
                    now: UnixTime,
                ) -> Result<Option<StoredRefreshToken>, StoreError> {
                    refresh::get_live(self, token_hash, now).await
                }

                async fn replay_seen(
                    &self,
                    namespace: &str,
                    key: &str,
                    now: UnixTime,
                ) -> Result<bool, StoreError> {
                    replay::seen(self, namespace, key, now).await
                }

                async fn replay_insert_once(
                    &self,
                    namespace: &str,
                    key: &str,
                    expires_at: UnixTime,
                    now: UnixTime,
                ) -> Result<bool, StoreError> {
                    self.insert_replay(namespace, key, expires_at, now).await
                }

                async fn replay_insert_each(
                    &self,
                    entries: &[::writ_core::ports::ReplayEntry<'_>],
                    now: UnixTime,
                ) -> Result<Vec<bool>, StoreError> {
                    self.insert_replay_each(entries, now).await
                }

                async fn attempt_add(
                    &self,
                    namespace: &str,
                    key: &str,
                    window_end: UnixTime,
                    now: UnixTime,
                ) -> Result<(u32, UnixTime), StoreError> {
                    attempts::add(self, namespace, key, window_end, now).await
                }

                async fn attempt_get(
                    &self,
                    namespace: &str,
                    key: &str,
                    now: UnixTime,
                ) -> Result<Option<(u32, UnixTime)>, StoreError> {
                    attempts::get(self, namespace, key, now).await
                }

                async fn attempt_extend(
                    &self,
                    namespace: &str,
                    key: &str,
                    until: UnixTime,
                ) -> Result<(), StoreError> {
                    attempts::extend(self, namespace, key, until).await
                }

                async fn attempt_clear(
                    &self,
                    namespace: &str,
                    key: &str,
                ) -> Result<bool, StoreError> {
                    attempts::clear(self, namespace, key).await
                }

                async fn purge_expired(&self, now: UnixTime) -> Result<u64, StoreError> {
                    expiry::purge(self, now).await
                }
            }
        };
    };
}

pub(crate) use impl_store;
