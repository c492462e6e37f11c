-- What the source says about an imported API beyond its document (Azure's version
-- set and version), as a JSON array of [key, value] pairs, shown as `apihub.<key>`
-- annotations. NULL: nothing. Replaced on every write of the target.
ALTER TABLE api_targets ADD COLUMN source_annotations TEXT;
