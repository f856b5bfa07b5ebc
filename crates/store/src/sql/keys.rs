//! The server's own keys (SPEC §1 `writ keys`, §7): signing (`use=sig`) and decryption
//! (`use=enc`) keys with their rotation state.

use writ_core::ports::{KeyState, KeyUse, StoreError, StoredKey};

use super::db::{Arg, Db, On};
use crate::{backend, insert_error};

const INSERT: &str = "INSERT INTO server_keys \
     (kid, key_use, alg, private_pkcs8, public_jwk, state, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
const LIST: &str = "SELECT kid, key_use, alg, private_pkcs8, public_jwk, state, \
     created_at FROM server_keys ORDER BY created_at, kid";
const SET_STATE: &str = "UPDATE server_keys SET state = $2 WHERE kid = $1";
const SET_PRIVATE: &str =
    "UPDATE server_keys SET private_pkcs8 = $3 WHERE kid = $1 AND private_pkcs8 = $2";

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    key_use: String,
    alg: String,
    private_pkcs8: Vec<u8>,
    public_jwk: String,
    state: String,
    created_at: i64,
}

impl TryFrom<KeyRow> for StoredKey {
    type Error = StoreError;
    fn try_from(r: KeyRow) -> Result<Self, StoreError> {
        let key_use = KeyUse::parse(&r.key_use).ok_or_else(|| {
            StoreError::Corrupt(format!("key {}: unknown use {:?}", r.kid, r.key_use))
        })?;
        let state = KeyState::parse(&r.state).ok_or_else(|| {
            StoreError::Corrupt(format!("key {}: unknown state {:?}", r.kid, r.state))
        })?;
        Ok(StoredKey {
            kid: r.kid,
            key_use,
            alg: r.alg,
            private_pkcs8: r.private_pkcs8,
            public_jwk: r.public_jwk,
            state,
            created_at: r.created_at,
        })
    }
}

/// Store a new key.
pub(crate) async fn insert<D: Db>(db: &D, key: &StoredKey) -> Result<(), StoreError> {
    db.execute(
        INSERT,
        &[
            Arg::Text(&key.kid),
            Arg::Text(key.key_use.as_str()),
            Arg::Text(&key.alg),
            Arg::Bytes(&key.private_pkcs8),
            Arg::Text(&key.public_jwk),
            Arg::Text(key.state.as_str()),
            Arg::Int(key.created_at),
        ],
    )
    .await
    .map_err(|e| insert_error(e, || format!("key {}", key.kid)))?;
    Ok(())
}

/// Every key, oldest first.
pub(crate) async fn list<D: Db>(db: &D) -> Result<Vec<StoredKey>, StoreError> {
    let rows: Vec<KeyRow> = db.fetch_all(On::Reader, LIST, &[]).await.map_err(backend)?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Move a key to `state`: whether it exists.
pub(crate) async fn set_state<D: Db>(
    db: &D,
    kid: &str,
    state: KeyState,
) -> Result<bool, StoreError> {
    let changed = db
        .execute(SET_STATE, &[Arg::Text(kid), Arg::Text(state.as_str())])
        .await
        .map_err(backend)?;
    Ok(changed > 0)
}

/// Replace a key's stored private part, only if it is still `old`: whether it was replaced.
pub(crate) async fn set_private<D: Db>(
    db: &D,
    kid: &str,
    old: &[u8],
    new: &[u8],
) -> Result<bool, StoreError> {
    let changed = db
        .execute(
            SET_PRIVATE,
            &[Arg::Text(kid), Arg::Bytes(old), Arg::Bytes(new)],
        )
        .await
        .map_err(backend)?;
    Ok(changed > 0)
}
