//! Users (SPEC §1 `writ user add`, §2 `[[users]]`): an Argon2id hash and claims, keyed by id
//! and by username.

use writ_core::ports::{StoreError, StoredUser};

use super::db::{Arg, Db, On};
use crate::{backend, insert_error};

/// Keyed by username: an existing user keeps its `id` and `created_at`.
const UPSERT: &str = "INSERT INTO users (id, username, password_hash, claims, created_at) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (username) DO UPDATE \
     SET password_hash = excluded.password_hash, claims = excluded.claims \
     RETURNING id, username, password_hash, claims, created_at";
const BY_USERNAME: &str =
    "SELECT id, username, password_hash, claims, created_at FROM users WHERE username = $1";
const GET: &str = "SELECT id, username, password_hash, claims, created_at FROM users WHERE id = $1";
/// [`GET`] for `n` ids at once (`$1..$n`): the grouped reader's.
pub(crate) fn get_many_sql(n: usize) -> String {
    format!(
        "SELECT id, username, password_hash, claims, created_at FROM users WHERE id IN ({})",
        super::db::placeholders(n)
    )
}
const LIST: &str =
    "SELECT id, username, password_hash, claims, created_at FROM users ORDER BY username";
/// A removed user's grants end now, with their unused codes and refresh tokens (as
/// [`super::grants`] revokes one grant): the user's tokens stop working.
const REVOKE_CODES: &str = "DELETE FROM codes WHERE consumed_at IS NULL \
     AND grant_id IN (SELECT id FROM grants WHERE subject = $1)";
const REVOKE_REFRESH: &str = "DELETE FROM refresh_tokens WHERE consumed_at IS NULL \
     AND grant_id IN (SELECT id FROM grants WHERE subject = $1)";
const REVOKE_GRANTS: &str =
    "UPDATE grants SET revoked_at = COALESCE(revoked_at, $2) WHERE subject = $1";
const END_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
const REMOVE: &str = "DELETE FROM users WHERE id = $1";

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

/// Insert a user, or update the one with that username; the stored user.
pub(crate) async fn upsert<D: Db>(db: &D, user: &StoredUser) -> Result<StoredUser, StoreError> {
    let row: UserRow = db
        .fetch_one(
            On::Writer,
            UPSERT,
            &[
                Arg::Text(&user.id),
                Arg::Text(&user.username),
                Arg::Text(&user.password_hash),
                Arg::Text(&user.claims),
                Arg::Int(user.created_at),
            ],
        )
        .await
        .map_err(|e| insert_error(e, || format!("user id {}", user.id)))?;
    Ok(row.into())
}

/// The user with this username.
pub(crate) async fn by_username<D: Db>(
    db: &D,
    username: &str,
) -> Result<Option<StoredUser>, StoreError> {
    let row: Option<UserRow> = db
        .fetch_optional(On::Reader, BY_USERNAME, &[Arg::Text(username)])
        .await
        .map_err(backend)?;
    Ok(row.map(Into::into))
}

/// The user with this id.
pub(crate) async fn get<D: Db>(db: &D, id: &str) -> Result<Option<StoredUser>, StoreError> {
    let row: Option<UserRow> = db
        .fetch_optional(On::Reader, GET, &[Arg::Text(id)])
        .await
        .map_err(backend)?;
    Ok(row.map(Into::into))
}

/// Every user, by username.
pub(crate) async fn list<D: Db>(db: &D) -> Result<Vec<StoredUser>, StoreError> {
    let rows: Vec<UserRow> = db.fetch_all(On::Reader, LIST, &[]).await.map_err(backend)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Remove a user, in one transaction with the revocation of its grants (their unused codes
/// and refresh tokens deleted) and the end of its sessions. Whether there was one.
pub(crate) async fn remove<D: Db>(db: &D, id: &str, now: i64) -> Result<bool, StoreError> {
    if get(db, id).await?.is_none() {
        return Ok(false);
    }
    let user = [Arg::Text(id)];
    db.transaction(&[
        (REVOKE_CODES, &user),
        (REVOKE_REFRESH, &user),
        (REVOKE_GRANTS, &[Arg::Text(id), Arg::Int(now)]),
        (END_SESSIONS, &user),
        (REMOVE, &user),
    ])
    .await
    .map_err(backend)?;
    Ok(true)
}
