//! The writes one definition makes, inside the caller's transaction: the target
//! row, the definition with its original bytes, and its operations (kept by method
//! and endpoint so ids, exclusions and scan data survive a re-import).

use std::collections::{HashMap, HashSet};

use rusqlite::{Transaction, params};

use super::{NewDefinition, NewTarget};
use crate::store::{StoreError, execute_cached};

pub(super) fn urls_json(urls: &[String]) -> String {
    serde_json::to_string(urls).unwrap_or_else(|_| "[]".into())
}

/// A definition's `name`: empty as in the seed, except for documents a connector
/// built itself, which say so.
fn definition_name(def: &NewDefinition) -> String {
    def.synthesized
        .map(|from| format!("synthesized from {from}"))
        .unwrap_or_default()
}

pub(super) fn insert_definition(
    tx: &Transaction<'_>,
    target_id: &str,
    def: &NewDefinition,
    now: i64,
) -> Result<String, StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    execute_cached(
        tx,
        "INSERT INTO definitions (id, target_id, source_mode, source_origin, format, spec_version, name, url, \
         source_name, content, content_hash, synthesized, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?13, ?7, ?8, ?9, ?10, ?11, ?12, ?12)",
        params![
            id,
            target_id,
            def.source.mode.as_str(),
            def.source.origin,
            def.normalized.format.as_str(),
            def.normalized.spec_version,
            def.url,
            def.source_name,
            def.normalized.original,
            def.normalized.hash,
            def.synthesized.is_some(),
            now,
            definition_name(def),
        ],
    )?;
    Ok(id)
}

/// Writes a definition's operations, keeping the rows (ids, `excludeOperation`,
/// scan data) of operations that stay and touching `lastUpdate` only when an
/// operation is new or renamed.
fn write_operations(
    tx: &Transaction<'_>,
    target_id: &str,
    definition_id: &str,
    def: &NewDefinition,
    now: i64,
    fresh: Fresh,
) -> Result<u32, StoreError> {
    let mut existing: HashMap<(String, String), (String, String)> = HashMap::new();
    if fresh == Fresh::No {
        let mut stmt = tx.prepare_cached(
            "SELECT type, endpoint, id, name FROM operations WHERE target_id = ?1",
        )?;
        for row in stmt.query_map([target_id], |r| {
            Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?)))
        })? {
            let (k, v) = row?;
            existing.insert(k, v);
        }
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO operations (id, target_id, definition_id, position, type, endpoint, name, source_mode, \
         source_origin, last_update, source_annotations) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE operations SET definition_id = ?2, position = ?3, name = ?4, source_mode = ?5, source_origin = ?6, \
         last_update = CASE WHEN name = ?4 THEN last_update ELSE ?7 END, source_annotations = ?8 WHERE id = ?1",
    )?;
    // The same method and endpoint twice (e.g. two Postman items) is one operation.
    let mut notes: HashMap<(&str, &str), Vec<(&str, &str)>> = HashMap::new();
    for n in &def.operation_notes {
        notes
            .entry((n.method.as_str(), n.endpoint.as_str()))
            .or_default()
            .push((n.key.as_str(), n.value.as_str()));
    }
    let mut seen = HashSet::new();
    let mut count = 0u32;
    for op in &def.normalized.operations {
        let key = (op.method.clone(), op.endpoint.clone());
        if !seen.insert(key.clone()) {
            continue;
        }
        let annotations = notes
            .get(&(op.method.as_str(), op.endpoint.as_str()))
            .and_then(|n| serde_json::to_string(n).ok());
        let (mode, origin) = (def.source.mode.as_str(), def.source.origin.as_str());
        match existing.remove(&key) {
            Some((id, _)) => {
                update.execute(params![
                    id,
                    definition_id,
                    count,
                    op.name,
                    mode,
                    origin,
                    now,
                    annotations
                ])?;
            }
            None => {
                let id = uuid::Uuid::now_v7().to_string();
                insert.execute(params![
                    id,
                    target_id,
                    definition_id,
                    count,
                    op.method,
                    op.endpoint,
                    op.name,
                    mode,
                    origin,
                    now,
                    annotations
                ])?;
            }
        }
        count += 1;
    }
    let mut delete = tx.prepare_cached("DELETE FROM operations WHERE id = ?1")?;
    for (id, _) in existing.values() {
        delete.execute([id])?;
    }
    Ok(count)
}

pub(super) fn insert_target(
    tx: &Transaction<'_>,
    new: &NewTarget,
    provenance: Option<&Provenance<'_>>,
    now: i64,
) -> Result<String, StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    let n = &new.definition.normalized;
    // The row is written whole at once: a new target has no operations to keep,
    // so its count is known before they are written.
    execute_cached(
        tx,
        "INSERT INTO api_targets (id, name, name_key, description, alternative_urls, definition_format, \
         created_at, modified_at, importer_id, external_key, source_revision, source_annotations, operations_count) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            id,
            new.name,
            crate::text::name_key(&new.name),
            new.description,
            urls_json(&n.servers),
            n.format.as_str(),
            now,
            provenance.map(|p| p.importer_id),
            provenance.map(|p| p.external_key),
            provenance.and_then(|p| p.revision),
            provenance.and_then(|p| p.annotations),
            distinct_operations(&new.definition),
        ],
    )?;
    let def_id = insert_definition(tx, &id, &new.definition, now)?;
    write_operations(tx, &id, &def_id, &new.definition, now, Fresh::Yes)?;
    Ok(id)
}

/// Where an imported target comes from, written with it.
pub(super) struct Provenance<'a> {
    pub importer_id: &'a str,
    pub external_key: &'a str,
    pub revision: Option<&'a str>,
    /// JSON list of the source's annotations.
    pub annotations: Option<&'a str>,
}

/// Operations a definition has: one per method and endpoint (what
/// `write_operations` writes).
fn distinct_operations(def: &NewDefinition) -> u32 {
    let ops = &def.normalized.operations;
    let distinct: HashSet<(&str, &str)> = ops
        .iter()
        .map(|o| (o.method.as_str(), o.endpoint.as_str()))
        .collect();
    u32::try_from(distinct.len()).unwrap_or(u32::MAX)
}

/// Whether the target's operations are all new (nothing to keep or delete).
#[derive(PartialEq)]
enum Fresh {
    Yes,
    No,
}

/// Replaces definition `definition_id` of `target_id` and refreshes the target.
pub(super) fn replace(
    tx: &Transaction<'_>,
    target_id: &str,
    definition_id: &str,
    new: &NewTarget,
    refresh_text: bool,
    now: i64,
) -> Result<(), StoreError> {
    let def = &new.definition;
    let n = &def.normalized;
    let changed = execute_cached(
        tx,
        "UPDATE definitions SET source_mode = ?3, source_origin = ?4, format = ?5, spec_version = ?6, url = ?7, \
         source_name = ?8, content = ?9, content_hash = ?10, synthesized = ?11, updated_at = ?12, name = ?13 \
         WHERE id = ?2 AND target_id = ?1",
        params![
            target_id,
            definition_id,
            def.source.mode.as_str(),
            def.source.origin,
            n.format.as_str(),
            n.spec_version,
            def.url,
            def.source_name,
            n.original,
            n.hash,
            def.synthesized.is_some(),
            now,
            definition_name(def),
        ],
    )?;
    if changed == 0 {
        return Err(StoreError::not_found(
            "definition",
            format!("{target_id}/{definition_id}"),
        ));
    }
    let count = write_operations(tx, target_id, definition_id, def, now, Fresh::No)?;
    execute_cached(
        tx,
        "UPDATE api_targets SET definition_format = ?2, alternative_urls = ?3, operations_count = ?4, \
         modified_at = ?5, missing_since = NULL, \
         name = CASE WHEN ?6 THEN ?7 ELSE name END, name_key = CASE WHEN ?6 THEN ?8 ELSE name_key END, \
         description = CASE WHEN ?6 THEN ?9 ELSE description END WHERE id = ?1",
        params![
            target_id,
            n.format.as_str(),
            urls_json(&n.servers),
            count,
            now,
            refresh_text,
            new.name,
            crate::text::name_key(&new.name),
            new.description
        ],
    )?;
    Ok(())
}
