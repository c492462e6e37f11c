-- Sync engine: last run counts on the importer, and the remote sink's map of
-- (hub, importer, external key) to the target it created on the hub.
ALTER TABLE importers ADD COLUMN last_run_counts TEXT;

CREATE TABLE remote_targets (
    hub           TEXT NOT NULL,
    importer_id   TEXT NOT NULL REFERENCES importers(id) ON DELETE CASCADE,
    external_key  TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    definition_id TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    missing_since INTEGER,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (hub, importer_id, external_key)
) STRICT;
