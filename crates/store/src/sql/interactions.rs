//! Pending interactions (SPEC §8): the validated request between `/authorize` and the login
//! and consent posts. Answering one is one-time (its row becomes a tombstone until it expires,
//! so a replayed post finds nothing to answer).

use writ_core::ports::{Payload, StoreError, StoredInteraction, UnixTime};

use super::db::{Arg, Db, On};
use super::once::{OneTimeUse, take_once};
use crate::backend;

/// Insert or replace a pending interaction; an answered one (a tombstone) is never replaced.
/// Each backend runs it its own way (SQLite groups concurrent writes, `group_commit.rs`).
pub(crate) const PUT: &str = "INSERT INTO interactions (id, payload, expires_at) \
     VALUES ($1, $2, $3) \
     ON CONFLICT (id) DO UPDATE \
     SET payload = excluded.payload, expires_at = excluded.expires_at \
     WHERE NOT interactions.answered";
const GET: &str = "SELECT id, payload, expires_at, answered \
     FROM interactions WHERE id = $1 AND expires_at > $2";
/// One statement: of concurrent takes, exactly one turns the row into a tombstone (its
/// payload dropped, kept until it expires) and is told so. `$1` the id, `$2` now.
const TAKE: OneTimeUse = OneTimeUse {
    take: "UPDATE interactions SET answered = TRUE, payload = '' \
     WHERE id = $1 AND expires_at > $2 AND NOT answered RETURNING id",
    used: None,
};

#[derive(sqlx::FromRow)]
struct InteractionRow {
    id: String,
    payload: String,
    expires_at: i64,
    answered: bool,
}

impl From<InteractionRow> for StoredInteraction {
    fn from(r: InteractionRow) -> Self {
        StoredInteraction {
            id: r.id,
            payload: Payload::from_stored(r.payload),
            expires_at: r.expires_at,
            answered: r.answered,
        }
    }
}

/// An unexpired interaction, pending or answered.
pub(crate) async fn get<D: Db>(
    db: &D,
    id: &str,
    now: UnixTime,
) -> Result<Option<StoredInteraction>, StoreError> {
    let row: Option<InteractionRow> = db
        .fetch_optional(On::Reader, GET, &[Arg::Text(id), Arg::Int(now)])
        .await
        .map_err(backend)?;
    Ok(row.map(Into::into))
}

/// Answer a pending interaction, once: `true` for the one caller that did.
pub(crate) async fn take<D: Db>(db: &D, id: &str, now: UnixTime) -> Result<bool, StoreError> {
    let won =
        take_once::<D, (String,), (String,)>(db, &TAKE, &[Arg::Text(id), Arg::Int(now)]).await?;
    Ok(won.is_some())
}
