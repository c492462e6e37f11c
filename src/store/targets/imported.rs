//! The sync engine's side of the inventory: upsert by (importer, external key),
//! source revisions, and marking what the source no longer lists.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction, params};

use super::write::{Provenance, insert_definition, insert_target, replace};
use super::{NewTarget, Upsert};
use crate::store::{Store, StoreError, execute_cached};

/// An imported target's current definition, as the upsert compares it.
struct Current {
    target: String,
    definition: Option<String>,
    hash: Option<String>,
    missing: Option<i64>,
}

impl Store {
    /// The sync engine's write: create the target of (importer, key), replace its
    /// definition when the content hash differs, or leave it untouched. Grouped
    /// with the other items written meanwhile into one transaction (`store::group`).
    pub async fn upsert_imported(
        &self,
        importer_id: String,
        external_key: String,
        new: NewTarget,
        (revision, annotations): (Option<String>, Vec<(String, String)>),
        now: i64,
    ) -> Result<Upsert, StoreError> {
        let annotations = (!annotations.is_empty())
            .then(|| serde_json::to_string(&annotations).unwrap_or_default());
        self.write_grouped(move |tx| {
            let provenance = Provenance {
                importer_id: &importer_id,
                external_key: &external_key,
                revision: revision.as_deref(),
                annotations: annotations.as_deref(),
            };
            let out = upsert_one(tx, &provenance, &new, now)?;
            if let Upsert::Updated(id) | Upsert::Unchanged(id) = &out {
                execute_cached(
                    tx,
                    "UPDATE api_targets SET source_revision = ?2, source_annotations = ?3 \
                     WHERE id = ?1 AND (source_revision IS NOT ?2 OR source_annotations IS NOT ?3)",
                    params![id, provenance.revision, provenance.annotations],
                )?;
            }
            Ok(out)
        })
        .await
    }

    /// The source revisions of an importer's targets (external key → revision).
    pub async fn source_revisions(
        &self,
        importer_id: &str,
    ) -> Result<HashMap<String, String>, StoreError> {
        let importer_id = importer_id.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT external_key, source_revision FROM api_targets \
                 WHERE importer_id = ?1 AND source_revision IS NOT NULL",
            )?;
            let rows = stmt.query_map([&importer_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
        })
        .await
    }

    /// Marks the targets of `importer_id` whose keys are not in `present` as missing
    /// (once; the first time it noticed). Returns how many are missing now.
    pub async fn mark_missing(
        &self,
        importer_id: String,
        present: Vec<String>,
        now: i64,
    ) -> Result<u32, StoreError> {
        self.write(move |tx| {
            tx.execute_batch("CREATE TEMP TABLE IF NOT EXISTS present_keys (k TEXT PRIMARY KEY); DELETE FROM present_keys;")?;
            {
                let mut ins = tx.prepare_cached("INSERT OR IGNORE INTO present_keys (k) VALUES (?1)")?;
                for k in &present {
                    ins.execute([k])?;
                }
            }
            execute_cached(
                tx,
                "UPDATE api_targets SET missing_since = ?2 WHERE importer_id = ?1 AND missing_since IS NULL \
                 AND external_key NOT IN (SELECT k FROM present_keys)",
                params![importer_id, now],
            )?;
            let missing: u32 = tx.query_row(
                "SELECT COUNT(*) FROM api_targets WHERE importer_id = ?1 AND missing_since IS NOT NULL",
                [&importer_id],
                |r| r.get(0),
            )?;
            tx.execute_batch("DELETE FROM present_keys;")?;
            Ok(missing)
        })
        .await
    }

    /// The (importer, external key) → target id map of an importer's targets.
    pub async fn imported_targets(
        &self,
        importer_id: &str,
    ) -> Result<HashMap<String, String>, StoreError> {
        let importer_id = importer_id.to_owned();
        self.read(move |c| {
            let mut stmt =
                c.prepare("SELECT external_key, id FROM api_targets WHERE importer_id = ?1")?;
            let rows = stmt.query_map([&importer_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
        })
        .await
    }
}

/// The sync engine's write of one item, inside the caller's transaction.
fn upsert_one(
    tx: &Transaction<'_>,
    provenance: &Provenance<'_>,
    new: &NewTarget,
    now: i64,
) -> Result<Upsert, StoreError> {
    let current: Option<Current> = tx
        .prepare_cached(
            "SELECT t.id, d.id, d.content_hash, t.missing_since FROM api_targets t \
             LEFT JOIN definitions d ON d.target_id = t.id \
             WHERE t.importer_id = ?1 AND t.external_key = ?2 ORDER BY d.created_at LIMIT 1",
        )?
        .query_row(
            params![provenance.importer_id, provenance.external_key],
            |r| {
                Ok(Current {
                    target: r.get(0)?,
                    definition: r.get(1)?,
                    hash: r.get(2)?,
                    missing: r.get(3)?,
                })
            },
        )
        .optional()?;
    let Some(cur) = current else {
        return Ok(Upsert::Created(insert_target(
            tx,
            new,
            Some(provenance),
            now,
        )?));
    };
    if cur.hash.as_deref() == Some(new.definition.normalized.hash.as_str()) {
        if cur.missing.is_some() {
            execute_cached(
                tx,
                "UPDATE api_targets SET missing_since = NULL WHERE id = ?1",
                [&cur.target],
            )?;
        }
        return Ok(Upsert::Unchanged(cur.target));
    }
    // A target always has a definition; should one be gone, add it back.
    let definition = match cur.definition {
        Some(d) => d,
        None => insert_definition(tx, &cur.target, &new.definition, now)?,
    };
    replace(tx, &cur.target, &definition, new, true, now)?;
    Ok(Upsert::Updated(cur.target))
}
