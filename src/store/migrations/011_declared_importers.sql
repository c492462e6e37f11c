-- Importers declared as code (config file, `importers.declared_dir`, `importers
-- apply -f`): which declaration set reconciles them (`managed_by`) and the file
-- that declares them (`declared_in`), named in the 409 a change through the API
-- gets. Both NULL for importers made through the API.
ALTER TABLE importers ADD COLUMN managed_by TEXT;
ALTER TABLE importers ADD COLUMN declared_in TEXT;
