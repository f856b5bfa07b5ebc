-- Writ's schema, SQLite flavour. Keep in step with migrations/postgres (same tables, same
-- columns, same meaning); the conformance suite runs against both.
-- All times are Unix seconds, written by the caller's clock (never the database's).

CREATE TABLE clients (
    client_id  TEXT    NOT NULL PRIMARY KEY,
    metadata   TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    id            TEXT    NOT NULL PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    claims        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE server_keys (
    kid           TEXT    NOT NULL PRIMARY KEY,
    key_use       TEXT    NOT NULL CHECK (key_use IN ('sig', 'enc')),
    alg           TEXT    NOT NULL,
    private_pkcs8 BLOB    NOT NULL,
    public_jwk    TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('active', 'retiring', 'retired')),
    created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX server_keys_by_age ON server_keys (created_at, kid);

CREATE TABLE interactions (
    id         TEXT    NOT NULL PRIMARY KEY,
    payload    TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX interactions_by_expiry ON interactions (expires_at);

CREATE TABLE sessions (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT,
    auth_time  INTEGER,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE grants (
    id         TEXT    NOT NULL PRIMARY KEY,
    client_id  TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;
CREATE INDEX grants_by_expiry ON grants (expires_at);

CREATE TABLE codes (
    code_hash   TEXT    NOT NULL PRIMARY KEY,
    grant_id    TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER
) STRICT;
CREATE INDEX codes_by_grant ON codes (grant_id);
CREATE INDEX codes_by_expiry ON codes (expires_at);

CREATE TABLE refresh_tokens (
    token_hash  TEXT    NOT NULL PRIMARY KEY,
    grant_id    TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    consumed_at INTEGER
) STRICT;
CREATE INDEX refresh_tokens_by_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);

CREATE TABLE replay (
    namespace  TEXT    NOT NULL,
    entry_key  TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, entry_key)
) STRICT;
CREATE INDEX replay_by_expiry ON replay (expires_at);
