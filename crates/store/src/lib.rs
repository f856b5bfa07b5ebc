//! Writ's storage: the core's [`Store`] port on two backends (SPEC §10).
//!
//! - [`SqliteStore`]: the embedded default, one file in WAL mode, one writer connection and a
//!   pool of readers.
//! - [`PgStore`]: PostgreSQL, shared by every node behind a balancer, so a code issued on one
//!   node is redeemed once across all of them and a `jti` seen on one is rejected on the rest.
//!
//! Both run the same SQL (see `sql/`, one module per aggregate) and the same conformance suite
//! (`tests/conformance.rs`). [`open`] picks the backend from the URL scheme; migrations are
//! embedded and applied on open. Every time a query compares against comes from the caller's
//! clock, never from the database's. [`spawn_purger`] deletes expired rows in the background.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod group_commit;
mod postgres;
mod purge;
mod sql;
mod sqlite;

use std::path::Path;
use std::sync::Arc;

pub use postgres::PgStore;
pub use purge::spawn_purger;
pub use sqlite::SqliteStore;
pub use writ_core::ports::{Store, StoreError};

/// Open the store named by `url`, applying pending migrations, and return it behind the port.
///
/// The scheme picks the backend: `sqlite:` ([`SqliteStore::open`]; `sqlite::memory:` gives
/// [`SqliteStore::open_in_memory`]), `postgres:` or `postgresql:` ([`PgStore::connect`]). A
/// string with no scheme is taken as the path of a SQLite file.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    match scheme(url).as_deref() {
        Some("sqlite") if sqlite::is_memory_url(url) => {
            Ok(Arc::new(SqliteStore::open_in_memory().await?))
        }
        Some("sqlite") | None => Ok(Arc::new(SqliteStore::open(url).await?)),
        Some("postgres" | "postgresql") => Ok(Arc::new(PgStore::connect(url).await?)),
        Some(other) => Err(StoreError::Backend(format!(
            "unsupported database URL scheme `{other}:` (expected sqlite:, postgres: or postgresql:)"
        ))),
    }
}

/// The default SQLite URL for a data directory: `sqlite://<dir>/writ.db?mode=rwc`
/// (created if missing). `%`, `?` and `#` in the path are percent-encoded.
pub fn sqlite_url_for_dir(dir: &Path) -> String {
    let path = dir.join("writ.db").display().to_string();
    let path = path
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23");
    format!("sqlite://{path}?mode=rwc")
}

/// The URL's scheme, lower-cased, or `None` when the string is a plain path (no `scheme:`
/// before the first `/`).
fn scheme(url: &str) -> Option<String> {
    let (scheme, _) = url.split_once(':')?;
    let is_scheme = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme.then(|| scheme.to_ascii_lowercase())
}

/// Map a driver error to the port's error without echoing bound values or the connection
/// URL: database errors keep their SQLSTATE and message, decoding errors become
/// [`StoreError::Corrupt`].
pub(crate) fn backend(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => StoreError::Backend(format!("database error {code}: {}", db.message())),
            None => StoreError::Backend(format!("database error: {}", db.message())),
        },
        sqlx::Error::ColumnDecode { index, .. } => {
            StoreError::Corrupt(format!("column {index} could not be decoded"))
        }
        sqlx::Error::Decode(_) => StoreError::Corrupt("a value could not be decoded".into()),
        // A malformed URL's message may quote the URL, password included.
        sqlx::Error::Configuration(_) => {
            StoreError::Backend("invalid database configuration (check the URL)".into())
        }
        other => StoreError::Backend(other.to_string()),
    }
}

/// Like [`backend`], but a unique-key violation becomes [`StoreError::Conflict`] naming `what`.
pub(crate) fn insert_error(err: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    let unique = err
        .as_database_error()
        .is_some_and(|db| db.is_unique_violation());
    if unique {
        StoreError::Conflict(what())
    } else {
        backend(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_picks_backend() {
        assert_eq!(scheme("sqlite://x.db?mode=rwc").as_deref(), Some("sqlite"));
        assert_eq!(scheme("sqlite::memory:").as_deref(), Some("sqlite"));
        assert_eq!(scheme("PostgreSQL://h/db").as_deref(), Some("postgresql"));
        assert_eq!(scheme("./data/writ.db"), None);
        assert_eq!(scheme("/var/lib/writ/writ.db"), None);
        assert_eq!(scheme("data/a:b.db"), None);
    }

    #[test]
    fn default_url_for_a_directory() {
        assert_eq!(
            sqlite_url_for_dir(Path::new("/var/lib/writ")),
            "sqlite:///var/lib/writ/writ.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url_for_dir(Path::new("./odd?dir#50%")),
            "sqlite://./odd%3Fdir%2350%25/writ.db?mode=rwc"
        );
    }

    #[tokio::test]
    async fn unknown_scheme_is_refused() {
        let err = open("mysql://h/db").await.err().unwrap();
        assert!(err.to_string().contains("mysql"), "{err}");
    }
}
