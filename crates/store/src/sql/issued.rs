//! What a token response leaves in the store (RFC 6749 §5.1): its new refresh token, if any,
//! and its grant's new expiry (SPEC §9: a grant lives as long as its longest-lived token), as
//! one write ([`Store::tokens_issued`](writ_core::ports::Store::tokens_issued)).

use writ_core::ports::{IssuedTokens, StoreError, StoredRefreshToken};

use super::db::{Arg, Db};
use super::grants;
use crate::insert_error;

/// The refresh token is inserted and the grant kept until at least `$5`, in one statement
/// (PostgreSQL's data-modifying `WITH`: both or neither). A token already there (a retry of
/// this very write) is left as it is.
const INSERT_AND_EXTEND: &str = "WITH refresh AS (\
     INSERT INTO refresh_tokens (token_hash, grant_id, payload, expires_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (token_hash) DO NOTHING) \
     UPDATE grants SET expires_at = $5 WHERE id = $2 AND expires_at < $5";

/// [`IssuedTokens::refresh`], checked to belong to the grant it is written with.
pub(crate) fn refresh_of(issued: &IssuedTokens) -> Result<Option<&StoredRefreshToken>, StoreError> {
    match &issued.refresh {
        Some(r) if r.grant_id != issued.grant_id => Err(StoreError::Backend(format!(
            "a refresh token of grant {} written with grant {}",
            r.grant_id, issued.grant_id
        ))),
        refresh => Ok(refresh.as_ref()),
    }
}

/// One statement (PostgreSQL).
pub(crate) async fn write_one_statement<D: Db>(
    db: &D,
    issued: &IssuedTokens,
) -> Result<(), StoreError> {
    match refresh_of(issued)? {
        None => grants::extend(db, &issued.grant_id, issued.grant_expires_at).await,
        Some(r) => {
            db.execute(
                INSERT_AND_EXTEND,
                &[
                    Arg::Text(&r.token_hash),
                    Arg::Text(&issued.grant_id),
                    Arg::Text(r.payload.as_stored()),
                    Arg::Int(r.expires_at),
                    Arg::Int(issued.grant_expires_at),
                ],
            )
            .await
            .map_err(|e| insert_error(e, || "refresh token".to_owned()))?;
            Ok(())
        }
    }
}

/// `n` refresh tokens in one statement (`$1..$4n`); one already there is left as it is.
pub(crate) fn insert_refresh_sql(n: usize) -> String {
    format!(
        "INSERT INTO refresh_tokens (token_hash, grant_id, payload, expires_at) VALUES {} \
         ON CONFLICT (token_hash) DO NOTHING",
        super::db::values_list(n, 4)
    )
}

/// `n` grants kept until at least their own expiry (`$1..$2n`: id, expiry), in one statement.
/// Each id at most once (the caller keeps the latest expiry of an id given twice).
pub(crate) fn extend_grants_sql(n: usize) -> String {
    format!(
        "UPDATE grants SET expires_at = v.column2 FROM (VALUES {}) AS v \
         WHERE grants.id = v.column1 AND grants.expires_at < v.column2",
        super::db::values_list(n, 2)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_statements_number_every_value() {
        assert_eq!(
            insert_refresh_sql(2),
            "INSERT INTO refresh_tokens (token_hash, grant_id, payload, expires_at) VALUES \
             ($1, $2, $3, $4), ($5, $6, $7, $8) ON CONFLICT (token_hash) DO NOTHING"
        );
        assert_eq!(
            extend_grants_sql(2),
            "UPDATE grants SET expires_at = v.column2 FROM (VALUES ($1, $2), ($3, $4)) AS v \
             WHERE grants.id = v.column1 AND grants.expires_at < v.column2"
        );
    }
}
