-- Attempt counters (issue 16, finding 3): password attempts per interaction and failed
-- sign-ins per account, each counted by one atomic upsert, so concurrent attempts on any node
-- never read the same count. A counter whose window has ended starts again at 1.
CREATE TABLE attempts (
    namespace  TEXT    NOT NULL,
    entry_key  TEXT    NOT NULL,
    count      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (namespace, entry_key)
);
CREATE INDEX attempts_by_expiry ON attempts (expires_at);
