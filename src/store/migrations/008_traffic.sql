-- What `invicti_nad_agent` importers saw in traffic, aggregated and scrubbed: one
-- row per (importer, origin, method, path template); `stats` is the JSON of the
-- connectors' `nad::observe::Stats` (counts, parameter names and types, content
-- types, body schemas; never values). Deleted with the importer.
CREATE TABLE nad_observations (
    importer_id TEXT NOT NULL REFERENCES importers(id) ON DELETE CASCADE,
    origin      TEXT NOT NULL,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,   -- JSON array of segments
    stats       TEXT NOT NULL,
    last_seen   INTEGER NOT NULL,
    PRIMARY KEY (importer_id, origin, method, path)
) STRICT, WITHOUT ROWID;

-- Offline capture files already recorded (name@revision), so a run reads each once.
CREATE TABLE nad_files (
    importer_id TEXT NOT NULL REFERENCES importers(id) ON DELETE CASCADE,
    file        TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (importer_id, file)
) STRICT, WITHOUT ROWID;

-- What the source says about one operation (`undocumented` on reconstructed ones),
-- as a JSON array of [key, value] pairs shown as `apihub.<key>`. NULL: nothing.
ALTER TABLE operations ADD COLUMN source_annotations TEXT;
