//! Authorization codes (RFC 6749 §4.1.2: one-time, short-lived; SPEC §9). A used code stays
//! until it expires, so a replay is recognised and the grant it produced can be revoked
//! (RFC 6749 §4.1.2: "the authorization server MUST deny the request and SHOULD revoke").

use writ_core::ports::{Consumed, Payload, StoreError, StoredCode, UnixTime};

use super::db::{Arg, Db};
use super::once::{OneTimeUse, consume_once};
use crate::insert_error;

const INSERT: &str =
    "INSERT INTO codes (code_hash, grant_id, payload, expires_at) VALUES ($1, $2, $3, $4)";

/// `$1` the code hash, `$2` now.
const USE: OneTimeUse = OneTimeUse {
    take: "UPDATE codes SET consumed_at = $2 \
     WHERE code_hash = $1 AND consumed_at IS NULL AND expires_at > $2 \
     RETURNING code_hash, grant_id, payload, expires_at",
    used: Some(
        "SELECT code_hash, grant_id, payload, expires_at \
     FROM codes WHERE code_hash = $1 AND consumed_at IS NOT NULL",
    ),
};

/// [`USE`] for `n` codes at once (`$1..$n` the hashes, `$n+1` now): the grouped writer's.
pub(crate) fn use_many_sql(n: usize) -> String {
    format!(
        "UPDATE codes SET consumed_at = ${now} \
         WHERE code_hash IN ({list}) AND consumed_at IS NULL AND expires_at > ${now} \
         RETURNING code_hash, grant_id, payload, expires_at",
        list = super::db::placeholders(n),
        now = n + 1
    )
}

/// The used codes among `n` hashes (`$1..$n`).
pub(crate) fn used_many_sql(n: usize) -> String {
    format!(
        "SELECT code_hash, grant_id, payload, expires_at FROM codes \
         WHERE code_hash IN ({}) AND consumed_at IS NOT NULL",
        super::db::placeholders(n)
    )
}

/// Revoking a grant deletes its unused codes; used ones stay to recognise a replay.
pub(crate) const REVOKE_UNUSED: &str =
    "DELETE FROM codes WHERE grant_id = $1 AND consumed_at IS NULL";

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
            payload: Payload::from_stored(r.payload),
            expires_at: r.expires_at,
        }
    }
}

/// Store a new code.
pub(crate) async fn insert<D: Db>(db: &D, code: &StoredCode) -> Result<(), StoreError> {
    db.execute(
        INSERT,
        &[
            Arg::Text(&code.code_hash),
            Arg::Text(&code.grant_id),
            Arg::Text(code.payload.as_stored()),
            Arg::Int(code.expires_at),
        ],
    )
    .await
    .map_err(|e| insert_error(e, || "authorization code".to_owned()))?;
    Ok(())
}

/// Redeem a code, once.
pub(crate) async fn consume<D: Db>(
    db: &D,
    code_hash: &str,
    now: UnixTime,
) -> Result<Consumed<StoredCode>, StoreError> {
    consume_once::<D, CodeRow, _>(
        db,
        &USE,
        &[Arg::Text(code_hash), Arg::Int(now)],
        &[Arg::Text(code_hash)],
    )
    .await
}
