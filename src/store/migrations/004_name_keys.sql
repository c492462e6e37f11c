-- Importer names are unique by their comparison key (NFC + full case folding,
-- src/text.rs), not by SQLite's ASCII-only NOCASE. The key is filled, and target
-- name keys are recomputed, by the migration's hook (src/store/migrations.rs).
ALTER TABLE importers ADD COLUMN name_key TEXT;
