-- An answered interaction stays as a tombstone until it expires, so that a pending interaction
-- carried in a sealed handle (writ-core `interaction_handle`) cannot be started again once it
-- has been answered. `answered` is 0 or 1.
ALTER TABLE interactions ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;
