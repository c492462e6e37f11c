-- The source revision each imported API was last written at (a deployment id, a
-- file's size and time, an ETag), so a run can skip downloading what did not
-- change. NULL: unknown, download. Cleared when the importer's settings change.
ALTER TABLE api_targets ADD COLUMN source_revision TEXT;
ALTER TABLE remote_targets ADD COLUMN source_revision TEXT;
