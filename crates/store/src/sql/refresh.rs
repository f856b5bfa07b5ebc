//! Refresh tokens (RFC 6749 §6; with rotation each is used once, RFC 9700 §4.14.2; SPEC §9).
//! A used token stays until it expires, so a reuse is recognised and revokes the grant.

use writ_core::ports::{Consumed, Payload, StoreError, StoredRefreshToken, UnixTime};

use super::db::{Arg, Db, On};
use super::once::{OneTimeUse, consume_once};
use crate::{backend, insert_error};

const INSERT: &str = "INSERT INTO refresh_tokens \
     (token_hash, grant_id, payload, expires_at) VALUES ($1, $2, $3, $4)";

/// `$1` the token hash, `$2` now.
const USE: OneTimeUse = OneTimeUse {
    take: "UPDATE refresh_tokens SET consumed_at = $2 \
     WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $2 \
     RETURNING token_hash, grant_id, payload, expires_at",
    used: Some(
        "SELECT token_hash, grant_id, payload, expires_at \
     FROM refresh_tokens WHERE token_hash = $1 AND consumed_at IS NOT NULL",
    ),
};

/// `$1` the token hash, `$2` now, `$3` the new expiry: an unused, unexpired token lives on.
const TOUCH: &str = "UPDATE refresh_tokens SET expires_at = $3 \
     WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $2 \
     RETURNING token_hash, grant_id, payload, expires_at";

/// [`TOUCH`] for `n` tokens at once (`$1..$2n`: hash, new expiry; `$2n+1` now), each hash at
/// most once: the grouped writer's.
pub(crate) fn touch_many_sql(n: usize) -> String {
    format!(
        "UPDATE refresh_tokens SET expires_at = v.column2 FROM (VALUES {}) AS v \
         WHERE refresh_tokens.token_hash = v.column1 AND refresh_tokens.consumed_at IS NULL \
         AND refresh_tokens.expires_at > ${} \
         RETURNING refresh_tokens.token_hash, refresh_tokens.grant_id, refresh_tokens.payload, \
         refresh_tokens.expires_at",
        super::db::values_list(n, 2),
        2 * n + 1
    )
}

/// `$1` the token hash, `$2` now: an unused, unexpired token, read without using it.
const GET_LIVE: &str = "SELECT token_hash, grant_id, payload, expires_at FROM refresh_tokens \
     WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $2";

/// Revoking a grant deletes its unused refresh tokens; used ones stay to recognise a reuse.
pub(crate) const REVOKE_UNUSED: &str =
    "DELETE FROM refresh_tokens WHERE grant_id = $1 AND consumed_at IS NULL";

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
            payload: Payload::from_stored(r.payload),
            expires_at: r.expires_at,
        }
    }
}

/// Store a new refresh token.
pub(crate) async fn insert<D: Db>(db: &D, token: &StoredRefreshToken) -> Result<(), StoreError> {
    db.execute(
        INSERT,
        &[
            Arg::Text(&token.token_hash),
            Arg::Text(&token.grant_id),
            Arg::Text(token.payload.as_stored()),
            Arg::Int(token.expires_at),
        ],
    )
    .await
    .map_err(|e| insert_error(e, || "refresh token".to_owned()))?;
    Ok(())
}

/// Use a refresh token, once.
pub(crate) async fn consume<D: Db>(
    db: &D,
    token_hash: &str,
    now: UnixTime,
) -> Result<Consumed<StoredRefreshToken>, StoreError> {
    consume_once::<D, RefreshRow, _>(
        db,
        &USE,
        &[Arg::Text(token_hash), Arg::Int(now)],
        &[Arg::Text(token_hash)],
    )
    .await
}

/// Use a refresh token without consuming it (`[tokens] refresh_rotation = "off"`): an unused,
/// unexpired token gets `expires_at` (its idle lifetime starts again) and is returned.
pub(crate) async fn touch<D: Db>(
    db: &D,
    token_hash: &str,
    now: UnixTime,
    expires_at: UnixTime,
) -> Result<Option<StoredRefreshToken>, StoreError> {
    let row: Option<RefreshRow> = db
        .fetch_optional(
            On::Writer,
            TOUCH,
            &[Arg::Text(token_hash), Arg::Int(now), Arg::Int(expires_at)],
        )
        .await
        .map_err(backend)?;
    Ok(row.map(Into::into))
}

/// An unused, unexpired refresh token, read without using it (introspection, RFC 7662 §2;
/// revocation, RFC 7009 §2).
pub(crate) async fn get_live<D: Db>(
    db: &D,
    token_hash: &str,
    now: UnixTime,
) -> Result<Option<StoredRefreshToken>, StoreError> {
    let row: Option<RefreshRow> = db
        .fetch_optional(
            On::Reader,
            GET_LIVE,
            &[Arg::Text(token_hash), Arg::Int(now)],
        )
        .await
        .map_err(backend)?;
    Ok(row.map(Into::into))
}
