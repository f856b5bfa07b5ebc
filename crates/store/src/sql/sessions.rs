//! Browser sessions (SPEC §8: the login a consent is bound to).

use writ_core::ports::{StoreError, StoredSession, UnixTime};

use super::db::{Arg, Db, On};
use crate::backend;

const PUT: &str = "INSERT INTO sessions (id, user_id, auth_time, expires_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, \
     auth_time = excluded.auth_time, expires_at = excluded.expires_at";
const GET: &str = "SELECT id, user_id, auth_time, expires_at FROM sessions \
     WHERE id = $1 AND expires_at > $2";
const DELETE: &str = "DELETE FROM sessions WHERE id = $1";

#[derive(sqlx::FromRow)]
struct SessionRow {
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

/// Insert or replace a session.
pub(crate) async fn put<D: Db>(db: &D, session: &StoredSession) -> Result<(), StoreError> {
    db.execute(
        PUT,
        &[
            Arg::Text(&session.id),
            Arg::OptText(session.user_id.as_deref()),
            Arg::OptInt(session.auth_time),
            Arg::Int(session.expires_at),
        ],
    )
    .await
    .map_err(backend)?;
    Ok(())
}

/// An unexpired session.
pub(crate) async fn get<D: Db>(
    db: &D,
    id: &str,
    now: UnixTime,
) -> Result<Option<StoredSession>, StoreError> {
    let row: Option<SessionRow> = db
        .fetch_optional(On::Reader, GET, &[Arg::Text(id), Arg::Int(now)])
        .await
        .map_err(backend)?;
    Ok(row.map(Into::into))
}

/// End a session.
pub(crate) async fn delete<D: Db>(db: &D, id: &str) -> Result<(), StoreError> {
    db.execute(DELETE, &[Arg::Text(id)])
        .await
        .map_err(backend)?;
    Ok(())
}
