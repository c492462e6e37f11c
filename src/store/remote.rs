//! The remote sink's memory: which target on which hub each (importer, external
//! key) became, and the content hash last sent, so re-syncs update instead of
//! duplicating and unchanged content is not sent at all.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteTarget {
    pub target_id: String,
    pub definition_id: String,
    pub content_hash: String,
    pub missing_since: Option<i64>,
    pub source_revision: Option<String>,
}

impl Store {
    pub async fn remote_target(
        &self,
        hub: &str,
        importer_id: &str,
        key: &str,
    ) -> Result<Option<RemoteTarget>, StoreError> {
        let (hub, importer, key) = (hub.to_owned(), importer_id.to_owned(), key.to_owned());
        self.read(move |c| {
            c.query_row(
                "SELECT target_id, definition_id, content_hash, missing_since, source_revision FROM remote_targets \
                 WHERE hub = ?1 AND importer_id = ?2 AND external_key = ?3",
                params![hub, importer, key],
                |r| {
                    Ok(RemoteTarget {
                        target_id: r.get(0)?,
                        definition_id: r.get(1)?,
                        content_hash: r.get(2)?,
                        missing_since: r.get(3)?,
                        source_revision: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(StoreError::from)
        })
        .await
    }

    /// Records what the hub now holds for (importer, key); clears any missing mark.
    pub async fn save_remote_target(
        &self,
        hub: &str,
        importer_id: &str,
        key: &str,
        t: RemoteTarget,
        now: i64,
    ) -> Result<(), StoreError> {
        let (hub, importer, key) = (hub.to_owned(), importer_id.to_owned(), key.to_owned());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO remote_targets (hub, importer_id, external_key, target_id, definition_id, content_hash, missing_since, updated_at, source_revision) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8) ON CONFLICT (hub, importer_id, external_key) DO UPDATE SET \
                 target_id = excluded.target_id, definition_id = excluded.definition_id, \
                 content_hash = excluded.content_hash, missing_since = NULL, updated_at = excluded.updated_at, \
                 source_revision = excluded.source_revision",
                params![hub, importer, key, t.target_id, t.definition_id, t.content_hash, now, t.source_revision],
            )?;
            Ok(())
        })
        .await
    }

    /// The source revisions recorded for the importer's APIs on this hub.
    pub async fn remote_revisions(
        &self,
        hub: &str,
        importer_id: &str,
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let (hub, importer) = (hub.to_owned(), importer_id.to_owned());
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT external_key, source_revision FROM remote_targets \
                 WHERE hub = ?1 AND importer_id = ?2 AND source_revision IS NOT NULL",
            )?;
            let rows = stmt.query_map(params![hub, importer], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    /// Marks keys of the importer on this hub that are not in `present`; returns how
    /// many are missing now.
    pub async fn remote_mark_missing(
        &self,
        hub: &str,
        importer_id: &str,
        present: Vec<String>,
        now: i64,
    ) -> Result<u32, StoreError> {
        let (hub, importer) = (hub.to_owned(), importer_id.to_owned());
        self.write(move |tx| {
            let mut keys = tx.prepare_cached("SELECT external_key FROM remote_targets WHERE hub = ?1 AND importer_id = ?2 AND missing_since IS NULL")?;
            let known: Vec<String> = keys.query_map(params![hub, importer], |r| r.get(0))?.collect::<Result<_, _>>()?;
            let present: std::collections::HashSet<String> = present.into_iter().collect();
            let mut mark = tx.prepare_cached("UPDATE remote_targets SET missing_since = ?4 WHERE hub = ?1 AND importer_id = ?2 AND external_key = ?3")?;
            for k in known.iter().filter(|k| !present.contains(*k)) {
                mark.execute(params![hub, importer, k, now])?;
            }
            let n: u32 = tx.query_row(
                "SELECT COUNT(*) FROM remote_targets WHERE hub = ?1 AND importer_id = ?2 AND missing_since IS NOT NULL",
                params![hub, importer],
                |r| r.get(0),
            )?;
            Ok(n)
        })
        .await
    }
}
