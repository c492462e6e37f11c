-- The Inventory API of seed 002: collections group applications, applications
-- group assets (scan targets and repositories), vulnerabilities are findings on
-- assets. Lists, tags and the like are JSON arrays; times are epoch milliseconds.

-- One row per installation setting (`organization_id`).
CREATE TABLE appsec_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE appsec_collections (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    description     TEXT,
    collection_type TEXT NOT NULL,
    tags            TEXT NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX appsec_collections_order ON appsec_collections (created_at, id);

CREATE TABLE appsec_applications (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    tags        TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX appsec_applications_order ON appsec_applications (created_at, id);

-- `url_key` is the target URL as matched (lower-case scheme and host, no trailing
-- slash), so a scan's URL finds its asset whatever the spelling.
CREATE TABLE appsec_assets (
    id         TEXT PRIMARY KEY,
    asset_type TEXT NOT NULL,
    name       TEXT NOT NULL,
    target_url TEXT,
    url_key    TEXT,
    tags       TEXT NOT NULL DEFAULT '[]',
    deleted    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX appsec_assets_order ON appsec_assets (deleted, created_at, id);
CREATE INDEX appsec_assets_url ON appsec_assets (url_key);

-- One relation, two views: an application's `assetIds` and an asset's
-- `applicationIds`.
CREATE TABLE appsec_application_assets (
    application_id TEXT NOT NULL REFERENCES appsec_applications(id) ON DELETE CASCADE,
    asset_id       TEXT NOT NULL REFERENCES appsec_assets(id) ON DELETE CASCADE,
    PRIMARY KEY (application_id, asset_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX appsec_asset_applications ON appsec_application_assets (asset_id, application_id);

CREATE TABLE appsec_application_collections (
    application_id TEXT NOT NULL REFERENCES appsec_applications(id) ON DELETE CASCADE,
    collection_id  TEXT NOT NULL REFERENCES appsec_collections(id) ON DELETE CASCADE,
    PRIMARY KEY (application_id, collection_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX appsec_collection_applications ON appsec_application_collections (collection_id, application_id);

-- A finding on an asset. `fingerprint` is stable across scans of the same issue,
-- so a re-import updates `last_seen` instead of adding a row; `tool` is the
-- scanner (SARIF `run.tool.driver.name`) that reported it.
CREATE TABLE appsec_vulnerabilities (
    id             TEXT PRIMARY KEY,
    asset_id       TEXT NOT NULL REFERENCES appsec_assets(id) ON DELETE CASCADE,
    fingerprint    TEXT NOT NULL,
    tool           TEXT NOT NULL,
    name           TEXT NOT NULL,
    status         TEXT NOT NULL,
    severity       TEXT NOT NULL,
    confirmed      INTEGER NOT NULL DEFAULT 0,
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    dast_url       TEXT,
    dast_method    TEXT,
    dast_parameter TEXT,
    tags           TEXT NOT NULL DEFAULT '[]',
    UNIQUE (asset_id, fingerprint)
) STRICT;
CREATE INDEX appsec_vulnerabilities_order ON appsec_vulnerabilities (first_seen, id);
-- Each list filter walks an index in list order (oldest first).
CREATE INDEX appsec_vulnerabilities_status ON appsec_vulnerabilities (status, first_seen, id);
CREATE INDEX appsec_vulnerabilities_severity ON appsec_vulnerabilities (severity, first_seen, id);
CREATE INDEX appsec_vulnerabilities_last_seen ON appsec_vulnerabilities (last_seen);
CREATE INDEX appsec_vulnerabilities_tool ON appsec_vulnerabilities (asset_id, tool, status);
