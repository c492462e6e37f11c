-- When each importer last finished a run without failing, kept on the importer
-- (the run history is trimmed, so a long failing streak would lose it) for the
-- `apihub_importer_last_success_timestamp_seconds` gauge. Filled from the history
-- that is still there.
ALTER TABLE importers ADD COLUMN last_success_at INTEGER;
UPDATE importers SET last_success_at =
    (SELECT max(r.finished_at) FROM sync_runs r WHERE r.importer_id = importers.id AND r.status = 'Completed');
