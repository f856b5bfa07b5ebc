//! One-time use, written once (SPEC §9 "Authorization code (one-time ...)", §6 "The pushed
//! request is used once", §10: across every node): authorization codes (RFC 6749 §4.1.2),
//! refresh tokens under rotation (RFC 9700 §4.14.2), pushed requests (RFC 9126 §2.2) and
//! interactions.
//!
//! A use is one guarded statement, atomic on both backends: `UPDATE ... SET consumed_at = now
//! WHERE ... consumed_at IS NULL AND expires_at > now RETURNING ...` for rows kept after use,
//! `DELETE ... WHERE ... AND expires_at > now RETURNING ...` for rows that go. Of concurrent
//! uses exactly one gets the row back: PostgreSQL re-checks the guard after waiting for a
//! concurrent writer's row lock, and SQLite has one writer. When the statement matched
//! nothing, a row kept after use is looked up to tell a replay ([`Consumed::Already`]) from an
//! unknown or expired value ([`Consumed::Missing`]).

use writ_core::ports::{Consumed, StoreError};

use super::db::{Arg, Db, On, Row};
use crate::backend;

/// The statements of one kind of one-time value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OneTimeUse {
    /// The guarded `UPDATE ... RETURNING` or `DELETE ... RETURNING`.
    pub(crate) take: &'static str,
    /// For rows kept after use: the lookup of a used row. `None` when using deletes the row.
    pub(crate) used: Option<&'static str>,
}

/// Use the value once: run `once.take` with `take_args` (its keys and `now`); when it matched
/// nothing, run `once.used` with `used_args` (its keys). Both on the writer, so the lookup sees
/// the winner's commit.
pub(crate) async fn consume_once<D: Db, R: Row, T: From<R>>(
    db: &D,
    once: &OneTimeUse,
    take_args: &[Arg<'_>],
    used_args: &[Arg<'_>],
) -> Result<Consumed<T>, StoreError> {
    let won: Option<R> = db
        .fetch_optional(On::Writer, once.take, take_args)
        .await
        .map_err(backend)?;
    if let Some(row) = won {
        return Ok(Consumed::Now(row.into()));
    }
    let Some(used) = once.used else {
        return Ok(Consumed::Missing);
    };
    let before: Option<R> = db
        .fetch_optional(On::Writer, used, used_args)
        .await
        .map_err(backend)?;
    Ok(match before {
        Some(row) => Consumed::Already(row.into()),
        None => Consumed::Missing,
    })
}

/// [`consume_once`] for values whose rows go with their use: the row, for the one caller that
/// used it.
pub(crate) async fn take_once<D: Db, R: Row, T: From<R>>(
    db: &D,
    once: &OneTimeUse,
    take_args: &[Arg<'_>],
) -> Result<Option<T>, StoreError> {
    Ok(
        match consume_once::<D, R, T>(db, once, take_args, &[]).await? {
            Consumed::Now(row) => Some(row),
            Consumed::Already(_) | Consumed::Missing => None,
        },
    )
}
