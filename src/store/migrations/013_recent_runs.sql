-- The console's overview lists the latest runs of every importer.
CREATE INDEX sync_runs_by_start ON sync_runs (started_at DESC, id DESC);
