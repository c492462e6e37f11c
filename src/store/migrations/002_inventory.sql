-- The embedded API Hub inventory (seed 001).
CREATE TABLE api_targets (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    name_key          TEXT NOT NULL,              -- lower-case name: search and sort
    description       TEXT,
    alternative_urls  TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    definition_format TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    modified_at       INTEGER NOT NULL,
    last_scanned      INTEGER,
    last_scan_status  TEXT,
    operations_count  INTEGER NOT NULL DEFAULT 0,
    is_hidden         INTEGER NOT NULL DEFAULT 0,
    vuln_critical     INTEGER,                    -- all NULL until scanned
    vuln_high         INTEGER,
    vuln_medium       INTEGER,
    vuln_low          INTEGER,
    vuln_info         INTEGER,
    annotations       TEXT NOT NULL DEFAULT '[]', -- user annotations, JSON
    api_credential_id TEXT,
    importer_id       TEXT,                       -- provenance of imported targets
    external_key      TEXT,
    missing_since     INTEGER                     -- set when the source stopped listing it
) STRICT;

CREATE UNIQUE INDEX api_targets_by_source ON api_targets (importer_id, external_key)
    WHERE importer_id IS NOT NULL;
CREATE INDEX api_targets_by_name ON api_targets (name_key, id);
CREATE INDEX api_targets_by_created ON api_targets (created_at, id);
CREATE INDEX api_targets_by_modified ON api_targets (modified_at, id);
CREATE INDEX api_targets_by_scanned ON api_targets (IFNULL(last_scanned, -1), id);
CREATE INDEX api_targets_by_scan_status ON api_targets (IFNULL(last_scan_status, ''), id);
CREATE INDEX api_targets_by_format ON api_targets (definition_format, id);
CREATE INDEX api_targets_by_operations ON api_targets (operations_count, id);

CREATE TABLE definitions (
    id            TEXT PRIMARY KEY,
    target_id     TEXT NOT NULL REFERENCES api_targets(id) ON DELETE CASCADE,
    source_mode   TEXT NOT NULL,
    source_origin TEXT NOT NULL,
    format        TEXT NOT NULL,
    spec_version  TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    url           TEXT,
    source_name   TEXT,
    content       BLOB NOT NULL,
    content_hash  TEXT NOT NULL,
    synthesized   INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX definitions_by_target ON definitions (target_id, created_at);

CREATE TABLE operations (
    id                TEXT PRIMARY KEY,
    target_id         TEXT NOT NULL REFERENCES api_targets(id) ON DELETE CASCADE,
    definition_id     TEXT NOT NULL REFERENCES definitions(id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    type              TEXT NOT NULL,
    endpoint          TEXT NOT NULL,
    name              TEXT NOT NULL,
    exclude_operation INTEGER NOT NULL DEFAULT 0,
    source_mode       TEXT NOT NULL,
    source_origin     TEXT NOT NULL,
    last_scanned      INTEGER,
    last_update       INTEGER NOT NULL,
    vuln_critical     INTEGER,
    vuln_high         INTEGER,
    vuln_medium       INTEGER,
    vuln_low          INTEGER,
    vuln_info         INTEGER,
    annotations       TEXT NOT NULL DEFAULT '[]'
) STRICT;
CREATE INDEX operations_by_target ON operations (target_id, position);
CREATE INDEX operations_by_definition ON operations (definition_id);

CREATE TABLE links (
    id                             TEXT PRIMARY KEY,
    target_id                      TEXT NOT NULL REFERENCES api_targets(id) ON DELETE CASCADE,
    base_url                       TEXT NOT NULL,
    remote_target_id               TEXT NOT NULL,
    remote_target_display_name     TEXT,
    remote_target_additional_info  TEXT,
    remote_target_scan_profile     TEXT,   -- JSON object or NULL
    remote_target_extra            TEXT,   -- JSON object or NULL
    created_at                     INTEGER NOT NULL
) STRICT;
CREATE INDEX links_by_target ON links (target_id, created_at);


-- Substring search on names: a trigram full-text index kept in step by triggers,
-- and its term statistics, which tell a selective search from a common one.
CREATE VIRTUAL TABLE api_target_search USING fts5(
    name_key, content = 'api_targets', content_rowid = 'rowid', tokenize = 'trigram'
);
CREATE VIRTUAL TABLE api_target_search_terms USING fts5vocab(api_target_search, 'row');
CREATE TRIGGER api_targets_search_insert AFTER INSERT ON api_targets BEGIN
    INSERT INTO api_target_search (rowid, name_key) VALUES (new.rowid, new.name_key);
END;
CREATE TRIGGER api_targets_search_delete AFTER DELETE ON api_targets BEGIN
    INSERT INTO api_target_search (api_target_search, rowid, name_key) VALUES ('delete', old.rowid, old.name_key);
END;
CREATE TRIGGER api_targets_search_update AFTER UPDATE OF name_key ON api_targets BEGIN
    INSERT INTO api_target_search (api_target_search, rowid, name_key) VALUES ('delete', old.rowid, old.name_key);
    INSERT INTO api_target_search (rowid, name_key) VALUES (new.rowid, new.name_key);
END;
