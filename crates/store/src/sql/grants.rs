//! Grants (SPEC §9, §15): what one authorization produced. Revoking one also removes its
//! unused codes and refresh tokens (RFC 7009 §2.1, RFC 9700 §4.14.2), in one transaction.

use writ_core::ports::{StoreError, StoredGrant, UnixTime};

use super::db::{Arg, Db, On};
use super::{codes, refresh};
use crate::{backend, insert_error};

const INSERT: &str = "INSERT INTO grants (id, client_id, subject, created_at, expires_at, revoked_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";
const GET: &str = "SELECT id, client_id, subject, created_at, expires_at, \
     revoked_at FROM grants WHERE id = $1";
/// [`GET`] for `n` ids at once (`$1..$n`): the grouped reader's.
pub(crate) fn get_many_sql(n: usize) -> String {
    format!(
        "SELECT id, client_id, subject, created_at, expires_at, revoked_at FROM grants \
         WHERE id IN ({})",
        super::db::placeholders(n)
    )
}
/// A grant's expiry only ever moves later.
const EXTEND: &str = "UPDATE grants SET expires_at = $2 WHERE id = $1 AND expires_at < $2";
/// The first revocation time is kept.
const REVOKE: &str = "UPDATE grants SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1";

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

/// Store a new grant.
pub(crate) async fn insert<D: Db>(db: &D, grant: &StoredGrant) -> Result<(), StoreError> {
    db.execute(
        INSERT,
        &[
            Arg::Text(&grant.id),
            Arg::Text(&grant.client_id),
            Arg::Text(&grant.subject),
            Arg::Int(grant.created_at),
            Arg::Int(grant.expires_at),
            Arg::OptInt(grant.revoked_at),
        ],
    )
    .await
    .map_err(|e| insert_error(e, || format!("grant {}", grant.id)))?;
    Ok(())
}

/// One grant, revoked or not.
pub(crate) async fn get<D: Db>(db: &D, id: &str) -> Result<Option<StoredGrant>, StoreError> {
    let row: Option<GrantRow> = db
        .fetch_optional(On::Reader, GET, &[Arg::Text(id)])
        .await
        .map_err(backend)?;
    Ok(row.map(Into::into))
}

/// Keep a grant until at least `expires_at` (a refresh token issued or used for it lives
/// that long).
pub(crate) async fn extend<D: Db>(
    db: &D,
    id: &str,
    expires_at: UnixTime,
) -> Result<(), StoreError> {
    db.execute(EXTEND, &[Arg::Text(id), Arg::Int(expires_at)])
        .await
        .map_err(backend)?;
    Ok(())
}

/// Revoke a grant at `now` (the first revocation time is kept) with its unused codes and
/// refresh tokens. Used ones stay until they expire, so a later replay of one is still
/// recognised as [`Consumed::Already`](writ_core::ports::Consumed::Already).
pub(crate) async fn revoke<D: Db>(db: &D, id: &str, now: UnixTime) -> Result<(), StoreError> {
    let grant = [Arg::Text(id)];
    db.transaction(&[
        (REVOKE, &[Arg::Text(id), Arg::Int(now)]),
        (codes::REVOKE_UNUSED, &grant),
        (refresh::REVOKE_UNUSED, &grant),
    ])
    .await
    .map_err(backend)
}
