-- Pushed authorization requests (RFC 9126, SPEC §6): keyed by the SHA-256 of the random part
-- of the request_uri (the URN itself is never stored), bound to the pushing client, taken once.
CREATE TABLE pushed_requests (
    uri_hash   TEXT    NOT NULL PRIMARY KEY,
    client_id  TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX pushed_requests_by_expiry ON pushed_requests (expires_at);
