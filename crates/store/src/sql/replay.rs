//! Replay detection (SPEC §4.5 `replay`, §9 `private_key_jwt` `jti`; RFC 7519 §4.1.7,
//! RFC 7523 §3): a key seen once is refused until it expires, across every node.

use std::collections::HashSet;
use std::sync::LazyLock;

use writ_core::ports::{MAX_REPLAY_ENTRIES, ReplayEntry, StoreError, UnixTime};

use super::db::{Arg, Db, On};
use crate::backend;

/// New key: inserted. Existing unexpired entry: untouched (0 rows, a replay). Existing
/// expired entry: replaced (1 row).
pub(crate) const INSERT: &str = "INSERT INTO replay (namespace, entry_key, expires_at) VALUES ($1, $2, $3) \
     ON CONFLICT (namespace, entry_key) DO UPDATE SET expires_at = excluded.expires_at \
     WHERE replay.expires_at <= $4";

/// [`INSERT`] widened to `n` rows (`$1..$3n`, then "now" last), answering with the rows it
/// inserted or renewed: an unexpired entry is left alone and not returned (RETURNING's rule
/// for an upsert whose `DO UPDATE ... WHERE` is false).
pub(crate) fn insert_returning_sql(n: usize) -> String {
    format!(
        "INSERT INTO replay (namespace, entry_key, expires_at) VALUES {} \
         ON CONFLICT (namespace, entry_key) DO UPDATE SET expires_at = excluded.expires_at \
         WHERE replay.expires_at <= ${} RETURNING namespace, entry_key",
        super::db::values_list(n, 3),
        3 * n + 1
    )
}

/// [`insert_returning_sql`] for 1 to [`MAX_REPLAY_ENTRIES`] rows, built once.
static INSERT_RETURNING: LazyLock<Vec<String>> =
    LazyLock::new(|| (1..=MAX_REPLAY_ENTRIES).map(insert_returning_sql).collect());

/// The first occurrence of each `(namespace, key)` of `entries`: a key given twice is written
/// once (PostgreSQL refuses an upsert that touches one row twice) and is new at most for its
/// first occurrence, as it would be written in turn. Returns whether each entry is a first
/// occurrence, and the distinct entries in order.
pub(crate) fn first_occurrences<'e, 'a>(
    entries: impl Iterator<Item = &'e ReplayEntry<'a>> + Clone,
) -> (Vec<bool>, Vec<&'e ReplayEntry<'a>>)
where
    'a: 'e,
{
    let mut seen = HashSet::new();
    let first: Vec<bool> = entries
        .clone()
        .map(|e| seen.insert((e.namespace, e.key)))
        .collect();
    let distinct = entries
        .zip(&first)
        .filter(|(_, first)| **first)
        .map(|(e, _)| e)
        .collect();
    (first, distinct)
}

/// The outcome at each index: new if it is the key's first occurrence and the statement
/// returned its row.
pub(crate) fn outcomes<'e, 'a: 'e>(
    entries: impl Iterator<Item = &'e ReplayEntry<'a>>,
    first: &[bool],
    written: &HashSet<(String, String)>,
) -> Vec<bool> {
    entries
        .zip(first)
        .map(|(e, first)| *first && written.contains(&(e.namespace.to_owned(), e.key.to_owned())))
        .collect()
}

/// Remember every entry in one statement (the port's `replay_insert_each`).
pub(crate) async fn insert_each<D: Db>(
    db: &D,
    entries: &[ReplayEntry<'_>],
    now: UnixTime,
) -> Result<Vec<bool>, StoreError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    if entries.len() > MAX_REPLAY_ENTRIES {
        return Err(StoreError::Backend(format!(
            "{} replay entries in one write; at most {MAX_REPLAY_ENTRIES}",
            entries.len()
        )));
    }
    let (first, distinct) = first_occurrences(entries.iter());
    let mut args = Vec::with_capacity(distinct.len() * 3 + 1);
    for e in &distinct {
        args.extend([
            Arg::Text(e.namespace),
            Arg::Text(e.key),
            Arg::Int(e.expires_at),
        ]);
    }
    args.push(Arg::Int(now));
    let sql: &'static str = INSERT_RETURNING[distinct.len() - 1].as_str();
    let rows: Vec<(String, String)> = db
        .fetch_all(On::Writer, sql, &args)
        .await
        .map_err(backend)?;
    let written: HashSet<(String, String)> = rows.into_iter().collect();
    Ok(outcomes(entries.iter(), &first, &written))
}

/// `$1` the namespace, `$2` the key, `$3` now.
const SEEN: &str = "SELECT expires_at FROM replay \
     WHERE namespace = $1 AND entry_key = $2 AND expires_at > $3";

/// Remember `key` in `namespace` until `expires_at`: `true` the first time (or once an
/// earlier entry has expired), `false` for a replay.
pub(crate) async fn insert_once<D: Db>(
    db: &D,
    namespace: &str,
    key: &str,
    expires_at: UnixTime,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let inserted = db
        .execute(
            INSERT,
            &[
                Arg::Text(namespace),
                Arg::Text(key),
                Arg::Int(expires_at),
                Arg::Int(now),
            ],
        )
        .await
        .map_err(backend)?;
    Ok(inserted > 0)
}

/// Whether `key` is remembered in `namespace` and not yet expired (a revoked access token's
/// `jti`, RFC 7009 §2).
pub(crate) async fn seen<D: Db>(
    db: &D,
    namespace: &str,
    key: &str,
    now: UnixTime,
) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = db
        .fetch_optional(
            On::Reader,
            SEEN,
            &[Arg::Text(namespace), Arg::Text(key), Arg::Int(now)],
        )
        .await
        .map_err(backend)?;
    Ok(row.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widened_statement_is_the_single_row_one_for_one_row() {
        assert_eq!(
            insert_returning_sql(1),
            format!("{} RETURNING namespace, entry_key", INSERT)
        );
        assert!(insert_returning_sql(2).contains("VALUES ($1, $2, $3), ($4, $5, $6) ON CONFLICT"));
        assert!(insert_returning_sql(2).contains("WHERE replay.expires_at <= $7 RETURNING"));
    }
}
