CREATE TABLE importers (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE COLLATE NOCASE,
    type                 TEXT,
    status               TEXT NOT NULL,
    freq_unit            TEXT,
    freq_value           INTEGER,
    parameters           TEXT NOT NULL DEFAULT '{}',
    exclude_empty_specs  INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    sync_status          TEXT NOT NULL DEFAULT 'None',
    last_run_at          INTEGER,
    last_run_fail_reason TEXT,
    next_run_at          INTEGER,
    trigger_requested_at INTEGER
) STRICT;

CREATE TABLE sync_runs (
    id            TEXT PRIMARY KEY,
    importer_id   TEXT NOT NULL REFERENCES importers(id) ON DELETE CASCADE,
    trigger       TEXT NOT NULL,
    status        TEXT NOT NULL,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    discovered    INTEGER NOT NULL DEFAULT 0,
    created       INTEGER NOT NULL DEFAULT 0,
    updated       INTEGER NOT NULL DEFAULT 0,
    unchanged     INTEGER NOT NULL DEFAULT 0,
    skipped_empty INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    missing       INTEGER NOT NULL DEFAULT 0,
    fail_reason   TEXT,
    items         TEXT NOT NULL DEFAULT '[]'
) STRICT;

CREATE INDEX sync_runs_by_importer ON sync_runs (importer_id, started_at DESC, id DESC);
CREATE INDEX sync_runs_by_status ON sync_runs (status);
