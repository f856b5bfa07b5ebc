//! Pushed authorization requests (RFC 9126 §2.2: a `request_uri` is used once; SPEC §6). The
//! row goes with its use.

use writ_core::ports::{Payload, StoreError, StoredPushedRequest, UnixTime};

use super::db::{Arg, Db};
use super::once::{OneTimeUse, take_once};
use crate::insert_error;

const INSERT: &str = "INSERT INTO pushed_requests \
     (uri_hash, client_id, payload, expires_at) VALUES ($1, $2, $3, $4)";

/// `$1` the URI hash, `$2` the client it is bound to, `$3` now.
const USE: OneTimeUse = OneTimeUse {
    take: "DELETE FROM pushed_requests \
     WHERE uri_hash = $1 AND client_id = $2 AND expires_at > $3 \
     RETURNING uri_hash, client_id, payload, expires_at",
    used: None,
};

#[derive(sqlx::FromRow)]
struct PushedRow {
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
            payload: Payload::from_stored(r.payload),
            expires_at: r.expires_at,
        }
    }
}

/// Store a pushed request.
pub(crate) async fn insert<D: Db>(db: &D, request: &StoredPushedRequest) -> Result<(), StoreError> {
    db.execute(
        INSERT,
        &[
            Arg::Text(&request.uri_hash),
            Arg::Text(&request.client_id),
            Arg::Text(request.payload.as_stored()),
            Arg::Int(request.expires_at),
        ],
    )
    .await
    .map_err(|e| insert_error(e, || "pushed request".to_owned()))?;
    Ok(())
}

/// Use a pushed request, once, and only by the client that pushed it.
pub(crate) async fn take<D: Db>(
    db: &D,
    uri_hash: &str,
    client_id: &str,
    now: UnixTime,
) -> Result<Option<StoredPushedRequest>, StoreError> {
    take_once::<D, PushedRow, _>(
        db,
        &USE,
        &[Arg::Text(uri_hash), Arg::Text(client_id), Arg::Int(now)],
    )
    .await
}
