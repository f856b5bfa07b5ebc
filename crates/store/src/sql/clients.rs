//! Client registrations (SPEC §2 `[[clients]]`, `writ client`): the metadata as JSON, keyed
//! by client id.

use writ_core::ports::{StoreError, StoredClient};

use super::db::{Arg, Db, On};
use crate::backend;

const UPSERT: &str = "INSERT INTO clients (client_id, metadata, updated_at) \
     VALUES ($1, $2, $3) \
     ON CONFLICT (client_id) DO UPDATE \
     SET metadata = excluded.metadata, updated_at = excluded.updated_at";
const GET: &str = "SELECT client_id, metadata, updated_at FROM clients WHERE client_id = $1";
const LIST: &str = "SELECT client_id, metadata, updated_at FROM clients ORDER BY client_id";
const REMOVE: &str = "DELETE FROM clients WHERE client_id = $1";

#[derive(sqlx::FromRow)]
struct ClientRow {
    client_id: String,
    metadata: String,
    updated_at: i64,
}

impl From<ClientRow> for StoredClient {
    fn from(r: ClientRow) -> Self {
        StoredClient {
            client_id: r.client_id,
            metadata: r.metadata,
            updated_at: r.updated_at,
        }
    }
}

/// Insert or replace a registration.
pub(crate) async fn upsert<D: Db>(db: &D, client: &StoredClient) -> Result<(), StoreError> {
    db.execute(
        UPSERT,
        &[
            Arg::Text(&client.client_id),
            Arg::Text(&client.metadata),
            Arg::Int(client.updated_at),
        ],
    )
    .await
    .map_err(backend)?;
    Ok(())
}

/// One registration.
pub(crate) async fn get<D: Db>(
    db: &D,
    client_id: &str,
) -> Result<Option<StoredClient>, StoreError> {
    let row: Option<ClientRow> = db
        .fetch_optional(On::Reader, GET, &[Arg::Text(client_id)])
        .await
        .map_err(backend)?;
    Ok(row.map(Into::into))
}

/// Every registration, by client id.
pub(crate) async fn list<D: Db>(db: &D) -> Result<Vec<StoredClient>, StoreError> {
    let rows: Vec<ClientRow> = db.fetch_all(On::Reader, LIST, &[]).await.map_err(backend)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Remove a registration: whether there was one.
pub(crate) async fn remove<D: Db>(db: &D, client_id: &str) -> Result<bool, StoreError> {
    let gone = db
        .execute(REMOVE, &[Arg::Text(client_id)])
        .await
        .map_err(backend)?;
    Ok(gone > 0)
}
