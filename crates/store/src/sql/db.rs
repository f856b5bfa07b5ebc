//! What the statements of `sql/` need from a backend: its reader and writer pools, and values
//! bound to `$N` placeholders. The aggregate modules are written once against [`Db`];
//! [`impl_db!`] implements it for a backend with plain, concrete sqlx calls, so sqlx's
//! generic-over-database bounds are spelled out nowhere (the reason the shared code was one
//! big macro before, SPEC §10).

use std::future::Future;

use sqlx::FromRow;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

/// A value bound to one `$N` placeholder, in order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    /// `TEXT`.
    Text(&'a str),
    /// `TEXT`, or `NULL`.
    OptText(Option<&'a str>),
    /// `BIGINT` / `INTEGER`: times are Unix seconds from the caller's clock.
    Int(i64),
    /// `BIGINT` / `INTEGER`, or `NULL`.
    OptInt(Option<i64>),
    /// `BYTEA` / `BLOB`.
    Bytes(&'a [u8]),
}

/// A row type both backends decode (`#[derive(sqlx::FromRow)]` is generic over the row).
pub(crate) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// Which pool a statement runs on. Every write and every consumption goes to the writer
/// (SQLite has one writer connection; PostgreSQL has one pool for both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum On {
    /// The read pool: lookups that change nothing.
    Reader,
    /// The write pool.
    Writer,
}

/// One backend's pools, as the statements use them. Errors are the driver's; the aggregate
/// modules map them to [`StoreError`](writ_core::ports::StoreError).
pub(crate) trait Db: Sync {
    /// Run one statement on the writer; the number of rows it affected.
    fn execute(
        &self,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    /// Run one statement; its row, if it returned one.
    fn fetch_optional<R: Row>(
        &self,
        on: On,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> impl Future<Output = Result<Option<R>, sqlx::Error>> + Send;

    /// Run one statement that returns exactly one row.
    fn fetch_one<R: Row>(
        &self,
        on: On,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> impl Future<Output = Result<R, sqlx::Error>> + Send;

    /// Run one statement; every row it returned.
    fn fetch_all<R: Row>(
        &self,
        on: On,
        sql: &'static str,
        args: &[Arg<'_>],
    ) -> impl Future<Output = Result<Vec<R>, sqlx::Error>> + Send;

    /// Run statements in order in one transaction on the writer: all of them or none.
    fn transaction(
        &self,
        statements: &[(&'static str, &[Arg<'_>])],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

/// Implement [`Db`] for a backend type with `fn reader(&self) -> &sqlx::Pool<$db>` and
/// `fn writer(&self) -> &sqlx::Pool<$db>`.
macro_rules! impl_db {
    ($backend:ty, $db:ty) => {
        const _: () = {
            use $crate::sql::db::{Arg, Db, On, Row};

            type Arguments = <$db as ::sqlx::Database>::Arguments;

            /// The values, bound in order (an encoding error is the driver's `Encode`, as
            /// from `Query::bind`).
            fn arguments(args: &[Arg<'_>]) -> Result<Arguments, ::sqlx::Error> {
                use ::sqlx::Arguments as _;
                let mut bound = Arguments::default();
                for arg in args {
                    match *arg {
                        Arg::Text(v) => bound.add(v),
                        Arg::OptText(v) => bound.add(v),
                        Arg::Int(v) => bound.add(v),
                        Arg::OptInt(v) => bound.add(v),
                        Arg::Bytes(v) => bound.add(v),
                    }
                    .map_err(::sqlx::Error::Encode)?;
                }
                Ok(bound)
            }

            impl $backend {
                fn pool(&self, on: On) -> &::sqlx::Pool<$db> {
                    match on {
                        On::Reader => self.reader(),
                        On::Writer => self.writer(),
                    }
                }
            }

            impl Db for $backend {
                async fn execute(
                    &self,
                    sql: &'static str,
                    args: &[Arg<'_>],
                ) -> Result<u64, ::sqlx::Error> {
                    let done = ::sqlx::query_with::<$db, _>(sql, arguments(args)?)
                        .execute(self.writer())
                        .await?;
                    Ok(done.rows_affected())
                }

                async fn fetch_optional<R: Row>(
                    &self,
                    on: On,
                    sql: &'static str,
                    args: &[Arg<'_>],
                ) -> Result<Option<R>, ::sqlx::Error> {
                    ::sqlx::query_as_with::<$db, R, _>(sql, arguments(args)?)
                        .fetch_optional(self.pool(on))
                        .await
                }

                async fn fetch_one<R: Row>(
                    &self,
                    on: On,
                    sql: &'static str,
                    args: &[Arg<'_>],
                ) -> Result<R, ::sqlx::Error> {
                    ::sqlx::query_as_with::<$db, R, _>(sql, arguments(args)?)
                        .fetch_one(self.pool(on))
                        .await
                }

                async fn fetch_all<R: Row>(
                    &self,
                    on: On,
                    sql: &'static str,
                    args: &[Arg<'_>],
                ) -> Result<Vec<R>, ::sqlx::Error> {
                    ::sqlx::query_as_with::<$db, R, _>(sql, arguments(args)?)
                        .fetch_all(self.pool(on))
                        .await
                }

                async fn transaction(
                    &self,
                    statements: &[(&'static str, &[Arg<'_>])],
                ) -> Result<(), ::sqlx::Error> {
                    let mut tx = self.writer().begin().await?;
                    for (sql, args) in statements {
                        ::sqlx::query_with::<$db, _>(*sql, arguments(args)?)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await
                }
            }
        };
    };
}

pub(crate) use impl_db;

/// `(${b+1}, …, ${b+width})` for each of `n` rows, comma-separated: the `VALUES` list of a
/// multi-row statement whose rows bind `width` values each.
pub(crate) fn values_list(n: usize, width: usize) -> String {
    let mut sql = String::with_capacity(n * (width * 5 + 4));
    for i in 0..n {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for j in 0..width {
            if j > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", width * i + j + 1));
        }
        sql.push(')');
    }
    sql
}

/// `$1, $2, …, $n`: an `IN (…)` list of `n` values.
pub(crate) fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_list_numbers_every_value() {
        assert_eq!(values_list(1, 3), "($1, $2, $3)");
        assert_eq!(values_list(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values_list(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(3), "$1, $2, $3");
    }
}
