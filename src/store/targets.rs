//! Inventory targets, their definitions and operations: create (upload), replace a
//! definition, the sync engine's upsert keyed by (importer, external key), list with
//! keyset pagination, read, edit, delete. One transaction per definition, so a
//! failure or a crash never leaves half a definition behind.

use std::collections::HashMap;

use apihub_connectors::normalize::NormalizedDefinition;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params, params_from_iter};
use serde_json::Value;

use super::{Cursor, Store, StoreError};
use crate::clock::format_ms;
use crate::inventory::filter::Sort;
use crate::inventory::{
    Annotation, DefinitionView, LinkView, OperationView, Source, TargetDetail, TargetPage,
    TargetView, VulnerabilityCounts,
};

/// A normalized definition and where it came from.
#[derive(Debug, Clone)]
pub struct NewDefinition {
    pub normalized: NormalizedDefinition,
    pub source: Source,
    pub source_name: Option<String>,
    pub url: Option<String>,
    /// Built by the connector (no export was available).
    pub synthesized: bool,
}

#[derive(Debug, Clone)]
pub struct NewTarget {
    pub name: String,
    pub description: Option<String>,
    pub definition: NewDefinition,
}

/// An imported target's current definition, as the upsert compares it.
struct Current {
    target: String,
    definition: Option<String>,
    hash: Option<String>,
    missing: Option<i64>,
}

/// What an upsert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upsert {
    Created(String),
    Updated(String),
    Unchanged(String),
}

/// The parts of a target a user may edit.
#[derive(Debug, Clone, Default)]
pub struct TargetPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub is_hidden: Option<bool>,
    pub alternative_urls: Option<Vec<String>>,
    pub annotations: Option<Vec<Annotation>>,
    pub api_credential_id: Option<Option<String>>,
}

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub limit: u32,
    pub cursor: Option<String>,
    pub search: Option<String>,
    pub sort: Sort,
    pub hidden: Option<bool>,
}

pub(super) const TARGET_COLUMNS: &str = "id, name, description, alternative_urls, definition_format, created_at, \
    modified_at, last_scanned, last_scan_status, operations_count, is_hidden, vuln_critical, vuln_high, \
    vuln_medium, vuln_low, vuln_info, annotations, api_credential_id, importer_id, external_key, missing_since";

fn bad(what: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("{what}: {e}").into(),
    )
}

fn vulns(r: &Row<'_>, first: usize) -> rusqlite::Result<Option<VulnerabilityCounts>> {
    let get = |i: usize| r.get::<_, Option<u32>>(first + i);
    Ok(match (get(0)?, get(1)?, get(2)?, get(3)?, get(4)?) {
        (Some(critical), Some(high), Some(medium), Some(low), Some(info)) => {
            Some(VulnerabilityCounts {
                critical,
                high,
                medium,
                low,
                info,
            })
        }
        _ => None,
    })
}

/// A target row without its definitions and links (filled in by `attach`).
pub(super) fn target_from_row(r: &Row<'_>) -> rusqlite::Result<TargetView> {
    let urls: String = r.get(3)?;
    let annotations: String = r.get(16)?;
    let mut annotations: Vec<Annotation> =
        serde_json::from_str(&annotations).map_err(|e| bad("annotations", e))?;
    let importer: Option<String> = r.get(18)?;
    let key: Option<String> = r.get(19)?;
    let missing: Option<i64> = r.get(20)?;
    let system = [
        ("apihub.importerId", importer),
        ("apihub.externalKey", key),
        ("apihub.missingSince", missing.map(format_ms)),
    ];
    for (k, v) in system {
        if let Some(value) = v {
            annotations.push(Annotation {
                key: k.into(),
                value,
            });
        }
    }
    Ok(TargetView {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        alternative_urls: serde_json::from_str(&urls).map_err(|e| bad("alternative_urls", e))?,
        definitions: Vec::new(),
        definition_format: r.get(4)?,
        created_at: format_ms(r.get(5)?),
        modified_at: format_ms(r.get(6)?),
        last_scanned: r.get::<_, Option<i64>>(7)?.map(format_ms),
        last_scan_status: r.get(8)?,
        operations_count: r.get(9)?,
        is_hidden: r.get(10)?,
        vulnerability_counts: vulns(r, 11)?,
        links: Vec::new(),
        annotations,
        api_credential_id: r.get(17)?,
    })
}

fn source(mode: String, origin: String) -> rusqlite::Result<Source> {
    Ok(Source {
        mode: mode.parse().map_err(|e| bad("source_mode", e))?,
        origin,
    })
}

pub(super) fn link_from_row(r: &Row<'_>) -> rusqlite::Result<LinkView> {
    let json = |i: usize| -> rusqlite::Result<Option<Value>> {
        r.get::<_, Option<String>>(i)?
            .map(|s| serde_json::from_str(&s).map_err(|e| bad("link", e)))
            .transpose()
    };
    Ok(LinkView {
        id: r.get(0)?,
        api_target_id: r.get(1)?,
        base_url: r.get(2)?,
        remote_target_id: r.get(3)?,
        remote_target_display_name: r.get(4)?,
        remote_target_additional_info: r.get(5)?,
        remote_target_scan_profile: json(6)?,
        remote_target_extra: json(7)?,
        created_at: format_ms(r.get(8)?),
    })
}

pub(super) const LINK_COLUMNS: &str = "id, target_id, base_url, remote_target_id, remote_target_display_name, \
    remote_target_additional_info, remote_target_scan_profile, remote_target_extra, created_at";

pub(super) fn operation_from_row(r: &Row<'_>) -> rusqlite::Result<OperationView> {
    let annotations: String = r.get(15)?;
    Ok(OperationView {
        id: r.get(0)?,
        kind: r.get(1)?,
        endpoint: r.get(2)?,
        name: r.get(3)?,
        last_scanned: r.get::<_, Option<i64>>(4)?.map(format_ms),
        last_update: format_ms(r.get(5)?),
        exclude_operation: r.get(6)?,
        source: source(r.get(7)?, r.get(8)?)?,
        vulnerability_counts: vulns(r, 9)?,
        annotations: serde_json::from_str(&annotations).map_err(|e| bad("annotations", e))?,
    })
}

const OPERATION_COLUMNS: &str = "id, type, endpoint, name, last_scanned, last_update, exclude_operation, \
    source_mode, source_origin, vuln_critical, vuln_high, vuln_medium, vuln_low, vuln_info, position, annotations";

/// Fills in definitions and links of `targets` with one query each.
pub(super) fn attach(conn: &Connection, targets: &mut [TargetView]) -> Result<(), StoreError> {
    if targets.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = targets.iter().map(|t| t.id.as_str()).collect();
    let marks = vec!["?"; ids.len()].join(",");
    let mut defs: HashMap<String, Vec<DefinitionView>> = HashMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT target_id, id, source_mode, source_origin, format, name, url, source_name FROM definitions \
         WHERE target_id IN ({marks}) ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map(params_from_iter(ids.iter()), |r| {
        Ok((
            r.get::<_, String>(0)?,
            DefinitionView {
                id: r.get(1)?,
                source: source(r.get(2)?, r.get(3)?)?,
                format: r.get(4)?,
                name: r.get(5)?,
                url: r.get(6)?,
                source_name: r.get(7)?,
            },
        ))
    })?;
    for row in rows {
        let (target, def) = row?;
        defs.entry(target).or_default().push(def);
    }
    let mut links: HashMap<String, Vec<LinkView>> = HashMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LINK_COLUMNS} FROM links WHERE target_id IN ({marks}) ORDER BY created_at, id"
    ))?;
    for link in stmt.query_map(params_from_iter(ids.iter()), link_from_row)? {
        let link = link?;
        links
            .entry(link.api_target_id.clone())
            .or_default()
            .push(link);
    }
    for t in targets.iter_mut() {
        t.definitions = defs.remove(&t.id).unwrap_or_default();
        t.links = links.remove(&t.id).unwrap_or_default();
    }
    Ok(())
}

pub(super) fn read_target(conn: &Connection, id: &str) -> Result<Option<TargetView>, StoreError> {
    let target = conn
        .query_row(
            &format!("SELECT {TARGET_COLUMNS} FROM api_targets WHERE id = ?1"),
            [id],
            target_from_row,
        )
        .optional()?;
    let Some(target) = target else {
        return Ok(None);
    };
    let mut one = [target];
    attach(conn, &mut one)?;
    let [target] = one;
    Ok(Some(target))
}

fn read_detail(conn: &Connection, id: &str) -> Result<Option<TargetDetail>, StoreError> {
    let Some(target) = read_target(conn, id)? else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {OPERATION_COLUMNS} FROM operations WHERE target_id = ?1 ORDER BY position, id"
    ))?;
    let operations = stmt
        .query_map([id], operation_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(TargetDetail { target, operations }))
}

fn urls_json(urls: &[String]) -> String {
    serde_json::to_string(urls).unwrap_or_else(|_| "[]".into())
}

/// A definition's `name`: empty as in the seed, except for documents a connector
/// built itself, which say so.
fn definition_name(def: &NewDefinition) -> &'static str {
    if def.synthesized {
        "synthesized from routes"
    } else {
        ""
    }
}

fn insert_definition(
    tx: &Transaction<'_>,
    target_id: &str,
    def: &NewDefinition,
    now: i64,
) -> Result<String, StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    tx.execute(
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
            def.synthesized,
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
) -> Result<u32, StoreError> {
    let mut existing: HashMap<(String, String), (String, String)> = HashMap::new();
    {
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
         source_origin, last_update) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE operations SET definition_id = ?2, position = ?3, name = ?4, source_mode = ?5, source_origin = ?6, \
         last_update = CASE WHEN name = ?4 THEN last_update ELSE ?7 END WHERE id = ?1",
    )?;
    // The same method and endpoint twice (e.g. two Postman items) is one operation.
    let mut seen = std::collections::HashSet::new();
    let mut count = 0u32;
    for op in &def.normalized.operations {
        let key = (op.method.clone(), op.endpoint.clone());
        if !seen.insert(key.clone()) {
            continue;
        }
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
                    now
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
                    now
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

fn insert_target(
    tx: &Transaction<'_>,
    new: &NewTarget,
    provenance: Option<(&str, &str)>,
    now: i64,
) -> Result<String, StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    let n = &new.definition.normalized;
    tx.execute(
        "INSERT INTO api_targets (id, name, name_key, description, alternative_urls, definition_format, \
         created_at, modified_at, importer_id, external_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9)",
        params![
            id,
            new.name,
            crate::text::name_key(&new.name),
            new.description,
            urls_json(&n.servers),
            n.format.as_str(),
            now,
            provenance.map(|p| p.0),
            provenance.map(|p| p.1),
        ],
    )?;
    let def_id = insert_definition(tx, &id, &new.definition, now)?;
    let count = write_operations(tx, &id, &def_id, &new.definition, now)?;
    tx.execute(
        "UPDATE api_targets SET operations_count = ?2 WHERE id = ?1",
        params![id, count],
    )?;
    Ok(id)
}

/// Replaces definition `definition_id` of `target_id` and refreshes the target.
fn replace(
    tx: &Transaction<'_>,
    target_id: &str,
    definition_id: &str,
    new: &NewTarget,
    refresh_text: bool,
    now: i64,
) -> Result<(), StoreError> {
    let def = &new.definition;
    let n = &def.normalized;
    let changed = tx.execute(
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
            def.synthesized,
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
    let count = write_operations(tx, target_id, definition_id, def, now)?;
    tx.execute(
        "UPDATE api_targets SET definition_format = ?2, alternative_urls = ?3, operations_count = ?4, \
         modified_at = ?5, missing_since = NULL, \
         name = CASE WHEN ?6 THEN ?7 ELSE name END, name_key = CASE WHEN ?6 THEN ?8 ELSE name_key END, \
         description = CASE WHEN ?6 THEN ?9 ELSE description END WHERE id = ?1",
        params![target_id, n.format.as_str(), urls_json(&n.servers), count, now, refresh_text, new.name, crate::text::name_key(&new.name), new.description],
    )?;
    Ok(())
}

impl Store {
    /// Creates a target from a definition (the upload endpoint).
    pub async fn create_target(
        &self,
        new: NewTarget,
        now: i64,
    ) -> Result<TargetDetail, StoreError> {
        self.create_target_once(new, None, now)
            .await
            .map(|(detail, _)| detail)
    }

    /// Creates a target unless one was already created with the idempotency key, in
    /// which case that one is returned and nothing is written, with the request id
    /// its create carried (`Some` only for such a replay).
    pub async fn create_target_once(
        &self,
        new: NewTarget,
        idempotency: Option<(String, Option<String>)>,
        now: i64,
    ) -> Result<(TargetDetail, Option<String>), StoreError> {
        self.write(move |tx| {
            if let Some((key, _)) = &idempotency {
                let existing: Option<(String, Option<String>)> = tx
                    .query_row(
                        "SELECT id, idempotency_request FROM api_targets WHERE idempotency_key = ?1",
                        [key],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                if let Some((id, request)) = existing {
                    let detail = read_detail(tx, &id)?.ok_or_else(|| StoreError::not_found("API target", id.as_str()))?;
                    return Ok((detail, Some(request.unwrap_or_default())));
                }
            }
            let id = insert_target(tx, &new, None, now)?;
            if let Some((key, request)) = &idempotency {
                tx.execute(
                    "UPDATE api_targets SET idempotency_key = ?2, idempotency_request = ?3 WHERE id = ?1",
                    params![id, key, request],
                )?;
            }
            Ok((read_detail(tx, &id)?.ok_or_else(|| StoreError::not_found("API target", id.as_str()))?, None))
        })
        .await
    }

    /// Replaces one definition of a target with new content (an edit by a user).
    pub async fn replace_definition(
        &self,
        target_id: String,
        definition_id: String,
        new: NewDefinition,
        now: i64,
    ) -> Result<TargetDetail, StoreError> {
        self.write(move |tx| {
            let target = NewTarget {
                name: String::new(),
                description: None,
                definition: new,
            };
            replace(tx, &target_id, &definition_id, &target, false, now)?;
            read_detail(tx, &target_id)?
                .ok_or_else(|| StoreError::not_found("API target", target_id.as_str()))
        })
        .await
    }

    /// The sync engine's write: create the target of (importer, key), replace its
    /// definition when the content hash differs, or leave it untouched.
    pub async fn upsert_imported(
        &self,
        importer_id: String,
        external_key: String,
        new: NewTarget,
        revision: Option<String>,
        now: i64,
    ) -> Result<Upsert, StoreError> {
        self.write(move |tx| {
            let out = upsert_one(tx, &importer_id, &external_key, &new, now)?;
            let id = match &out {
                Upsert::Created(id) | Upsert::Updated(id) | Upsert::Unchanged(id) => id,
            };
            tx.execute(
                "UPDATE api_targets SET source_revision = ?2 WHERE id = ?1 AND source_revision IS NOT ?2",
                params![id, revision],
            )?;
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
}

/// The sync engine's write of one item, inside the caller's transaction.
fn upsert_one(
    tx: &Transaction<'_>,
    importer_id: &str,
    external_key: &str,
    new: &NewTarget,
    now: i64,
) -> Result<Upsert, StoreError> {
    {
        {
            let current: Option<Current> = tx
                .query_row(
                    "SELECT t.id, d.id, d.content_hash, t.missing_since FROM api_targets t \
                     LEFT JOIN definitions d ON d.target_id = t.id \
                     WHERE t.importer_id = ?1 AND t.external_key = ?2 ORDER BY d.created_at LIMIT 1",
                    params![importer_id, external_key],
                    |r| Ok(Current { target: r.get(0)?, definition: r.get(1)?, hash: r.get(2)?, missing: r.get(3)? }),
                )
                .optional()?;
            let Some(cur) = current else {
                return Ok(Upsert::Created(insert_target(
                    tx,
                    new,
                    Some((importer_id, external_key)),
                    now,
                )?));
            };
            if cur.hash.as_deref() == Some(new.definition.normalized.hash.as_str()) {
                if cur.missing.is_some() {
                    tx.execute(
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
    }
}

impl Store {
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
            tx.execute(
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

    /// The original bytes and format of a target's definition.
    pub async fn definition_content(
        &self,
        target_id: &str,
        definition_id: &str,
    ) -> Result<Option<(Vec<u8>, String)>, StoreError> {
        let (t, d) = (target_id.to_owned(), definition_id.to_owned());
        self.read(move |c| {
            c.query_row(
                "SELECT content, format FROM definitions WHERE id = ?1 AND target_id = ?2",
                params![d, t],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(StoreError::from)
        })
        .await
    }

    pub async fn get_target(&self, id: &str) -> Result<Option<TargetDetail>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| read_detail(c, &id)).await
    }

    pub async fn delete_target(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |tx| Ok(tx.execute("DELETE FROM api_targets WHERE id = ?1", [&id])? > 0))
            .await
    }

    pub async fn patch_target(
        &self,
        id: String,
        patch: TargetPatch,
        now: i64,
    ) -> Result<TargetDetail, StoreError> {
        self.write(move |tx| {
            if read_target(tx, &id)?.is_none() {
                return Err(StoreError::not_found("API target", id.as_str()));
            }
            if let Some(name) = &patch.name {
                tx.execute(
                    "UPDATE api_targets SET name = ?2, name_key = ?3 WHERE id = ?1",
                    params![id, name, crate::text::name_key(name)],
                )?;
            }
            if let Some(description) = &patch.description {
                tx.execute(
                    "UPDATE api_targets SET description = ?2 WHERE id = ?1",
                    params![id, description],
                )?;
            }
            if let Some(hidden) = patch.is_hidden {
                tx.execute(
                    "UPDATE api_targets SET is_hidden = ?2 WHERE id = ?1",
                    params![id, hidden],
                )?;
            }
            if let Some(urls) = &patch.alternative_urls {
                tx.execute(
                    "UPDATE api_targets SET alternative_urls = ?2 WHERE id = ?1",
                    params![id, urls_json(urls)],
                )?;
            }
            if let Some(annotations) = &patch.annotations {
                let json = serde_json::to_string(annotations).unwrap_or_else(|_| "[]".into());
                tx.execute(
                    "UPDATE api_targets SET annotations = ?2 WHERE id = ?1",
                    params![id, json],
                )?;
            }
            if let Some(cred) = &patch.api_credential_id {
                tx.execute(
                    "UPDATE api_targets SET api_credential_id = ?2 WHERE id = ?1",
                    params![id, cred],
                )?;
            }
            tx.execute(
                "UPDATE api_targets SET modified_at = ?2 WHERE id = ?1",
                params![id, now],
            )?;
            read_detail(tx, &id)?.ok_or_else(|| StoreError::not_found("API target", id.as_str()))
        })
        .await
    }

    pub async fn set_operation_excluded(
        &self,
        target_id: String,
        operation_id: String,
        excluded: bool,
    ) -> Result<OperationView, StoreError> {
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE operations SET exclude_operation = ?3 WHERE id = ?2 AND target_id = ?1",
                params![target_id, operation_id, excluded],
            )?;
            if n == 0 {
                return Err(StoreError::not_found(
                    "operation",
                    format!("{target_id}/{operation_id}"),
                ));
            }
            tx.query_row(
                &format!("SELECT {OPERATION_COLUMNS} FROM operations WHERE id = ?1"),
                [&operation_id],
                operation_from_row,
            )
            .map_err(StoreError::from)
        })
        .await
    }

    /// One page of targets in `q.sort` order, keyset-paginated.
    pub async fn list_targets(&self, q: ListQuery) -> Result<TargetPage, StoreError> {
        let cursor = Cursor::decode(q.cursor.as_deref(), &q.sort.spec())?;
        self.read(move |c| list(c, &q, cursor)).await
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

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
fn like_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for ch in crate::text::name_key(s).chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// Up to this many names per trigram, a search goes through the trigram index.
const SELECTIVE_DOCS: i64 = 5_000;

/// Whether `term` is selective: 3+ characters and one of its trigrams is in at
/// most `SELECTIVE_DOCS` names (that bounds the matches from above).
fn selective(c: &Connection, term: &str) -> Result<bool, StoreError> {
    let chars: Vec<char> = crate::text::name_key(term).chars().collect();
    if chars.len() < 3 {
        return Ok(false);
    }
    let mut stmt = c.prepare_cached("SELECT doc FROM api_target_search_terms WHERE term = ?1")?;
    for w in chars.windows(3) {
        let trigram: String = w.iter().collect();
        let docs: i64 = stmt
            .query_row([&trigram], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        if docs <= SELECTIVE_DOCS {
            return Ok(true);
        }
    }
    Ok(false)
}

fn list(c: &Connection, q: &ListQuery, cursor: Option<Cursor>) -> Result<TargetPage, StoreError> {
    let col = q.sort.key.column();
    let mut filters: Vec<String> = Vec::new();
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(s) = q.search.as_deref().filter(|s| !s.is_empty()) {
        // A selective term is answered from the trigram index (a phrase query is a
        // case-insensitive substring match). A common or short one matches so many
        // names that scanning in sort order fills a page at once, and is cheaper
        // than reading the index's long posting lists.
        let n = args.len() + 1;
        if selective(c, s)? {
            let phrase = format!("\"{}\"", crate::text::name_key(s).replace('"', "\"\""));
            filters.push(format!(
                "rowid IN (SELECT rowid FROM api_target_search WHERE api_target_search MATCH ?{n})"
            ));
            args.push(phrase.into());
        } else {
            filters.push(format!("name_key LIKE ?{n} ESCAPE '\\'"));
            args.push(like_pattern(s).into());
        }
    }
    if let Some(h) = q.hidden {
        filters.push(format!("is_hidden = ?{}", args.len() + 1));
        args.push(i64::from(h).into());
    }
    let base_where = if filters.is_empty() {
        "1".to_owned()
    } else {
        filters.join(" AND ")
    };
    let total: i64 = c.query_row(
        &format!("SELECT COUNT(*) FROM api_targets WHERE {base_where}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;

    // Walking forward in the sort order, or backward for a previousPage cursor.
    let backward = cursor.as_ref().is_some_and(|c| c.backward);
    let ascending = q.sort.descending == backward;
    let (cmp, dir) = if ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let mut where_ = base_where.clone();
    if let Some(cur) = &cursor {
        let v = args.len() + 1;
        where_ = format!(
            "{base_where} AND ({col} {cmp} ?{v} OR ({col} = ?{v} AND id {cmp} ?{}))",
            v + 1
        );
        args.push(sort_value(&cur.value, q.sort.key.is_text()));
        args.push(cur.id.clone().into());
    }
    let sql = format!(
        "SELECT {TARGET_COLUMNS}, {col} FROM api_targets WHERE {where_} ORDER BY {col} {dir}, id {dir} LIMIT {}",
        q.limit + 1
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows: Vec<(TargetView, Value)> = stmt
        .query_map(params_from_iter(args.iter()), |r| {
            let key = match r.get_ref(21)? {
                rusqlite::types::ValueRef::Integer(i) => Value::from(i),
                rusqlite::types::ValueRef::Text(t) => {
                    Value::from(String::from_utf8_lossy(t).into_owned())
                }
                _ => Value::Null,
            };
            Ok((target_from_row(r)?, key))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let more = rows.len() > q.limit as usize;
    rows.truncate(q.limit as usize);
    if backward {
        rows.reverse();
    }
    let make = |(t, v): &(TargetView, Value), backward: bool| {
        Cursor {
            sort: q.sort.spec(),
            value: v.clone(),
            id: t.id.clone(),
            backward,
        }
        .encode()
    };
    // Forward: a next page if there were more rows; a previous page if we came from one.
    // Backward: the mirror image.
    let (next_page, previous_page) = if backward {
        (
            rows.last().map(|r| make(r, false)),
            if more {
                rows.first().map(|r| make(r, true))
            } else {
                None
            },
        )
    } else {
        (
            if more {
                rows.last().map(|r| make(r, false))
            } else {
                None
            },
            if cursor.is_some() {
                rows.first().map(|r| make(r, true))
            } else {
                None
            },
        )
    };
    let mut targets: Vec<TargetView> = rows.into_iter().map(|(t, _)| t).collect();
    attach(c, &mut targets)?;
    Ok(TargetPage {
        targets,
        total_count: u64::try_from(total).unwrap_or(0),
        next_page,
        previous_page,
    })
}

fn sort_value(v: &Value, text: bool) -> rusqlite::types::Value {
    match v {
        Value::String(s) if text => s.clone().into(),
        Value::Number(n) if !text => n.as_i64().unwrap_or(0).into(),
        // A tampered cursor: compare against something harmless rather than fail.
        _ if text => String::new().into(),
        _ => 0i64.into(),
    }
}
