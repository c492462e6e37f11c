//! What target reads return: plain records, times in milliseconds since the epoch,
//! provenance (`importer_id`, `external_key`, `missing_since`) as columns. How they
//! look on the wire (RFC 3339 times, `apihub.*` annotations) is the inventory
//! layer's business.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Row, params_from_iter};
use serde_json::Value;

use crate::inventory::{Annotation, Source, VulnerabilityCounts};
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq)]
pub struct DefinitionRecord {
    pub id: String,
    pub source: Source,
    pub format: String,
    pub name: String,
    pub url: Option<String>,
    pub source_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LinkRecord {
    pub id: String,
    pub target_id: String,
    pub base_url: String,
    pub remote_target_id: String,
    pub remote_target_display_name: Option<String>,
    pub remote_target_additional_info: Option<String>,
    pub remote_target_scan_profile: Option<Value>,
    pub remote_target_extra: Option<Value>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetRecord {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub alternative_urls: Vec<String>,
    pub definition_format: String,
    pub created_at: i64,
    pub modified_at: i64,
    pub last_scanned: Option<i64>,
    pub last_scan_status: Option<String>,
    pub operations_count: u32,
    pub is_hidden: bool,
    pub vulnerability_counts: Option<VulnerabilityCounts>,
    /// The users' annotations.
    pub annotations: Vec<Annotation>,
    pub api_credential_id: Option<String>,
    /// Set on targets an importer wrote, with the source's key for the API.
    pub importer_id: Option<String>,
    pub external_key: Option<String>,
    /// When the importer's source stopped listing it.
    pub missing_since: Option<i64>,
    /// What the importer's source says about it (shown as `apihub.<key>`).
    pub source_annotations: Vec<(String, String)>,
    pub definitions: Vec<DefinitionRecord>,
    pub links: Vec<LinkRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OperationRecord {
    pub id: String,
    pub kind: String,
    pub endpoint: String,
    pub name: String,
    pub last_scanned: Option<i64>,
    pub last_update: i64,
    pub exclude_operation: bool,
    pub source: Source,
    pub vulnerability_counts: Option<VulnerabilityCounts>,
    pub annotations: Vec<Annotation>,
    /// What the source says about it, shown as `apihub.<key>` annotations.
    pub source_annotations: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TargetWithOperations {
    pub target: TargetRecord,
    pub operations: Vec<OperationRecord>,
}

/// One page of targets.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRecords {
    pub targets: Vec<TargetRecord>,
    pub total_count: u64,
    pub next_page: Option<String>,
    pub previous_page: Option<String>,
}

pub(in crate::store) const TARGET_COLUMNS: &str = "id, name, description, alternative_urls, definition_format, created_at, \
    modified_at, last_scanned, last_scan_status, operations_count, is_hidden, vuln_critical, vuln_high, \
    vuln_medium, vuln_low, vuln_info, annotations, api_credential_id, importer_id, external_key, missing_since, \
    source_annotations";

pub(in crate::store) const LINK_COLUMNS: &str = "id, target_id, base_url, remote_target_id, remote_target_display_name, \
    remote_target_additional_info, remote_target_scan_profile, remote_target_extra, created_at";

pub(in crate::store) const OPERATION_COLUMNS: &str = "id, type, endpoint, name, last_scanned, last_update, exclude_operation, \
    source_mode, source_origin, vuln_critical, vuln_high, vuln_medium, vuln_low, vuln_info, position, annotations, source_annotations";

pub(in crate::store) fn bad(what: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("{what}: {e}").into(),
    )
}

pub(in crate::store) fn json_column<T: serde::de::DeserializeOwned>(
    r: &Row<'_>,
    i: usize,
    what: &str,
) -> rusqlite::Result<T> {
    let text: String = r.get(i)?;
    serde_json::from_str(&text).map_err(|e| bad(what, e))
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

fn source(r: &Row<'_>, first: usize) -> rusqlite::Result<Source> {
    let mode: String = r.get(first)?;
    Ok(Source {
        mode: mode.parse().map_err(|e| bad("source_mode", e))?,
        origin: r.get(first + 1)?,
    })
}

/// A target row without its definitions and links (filled in by `attach`).
pub(in crate::store) fn target_from_row(r: &Row<'_>) -> rusqlite::Result<TargetRecord> {
    Ok(TargetRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        alternative_urls: json_column(r, 3, "alternative_urls")?,
        definition_format: r.get(4)?,
        created_at: r.get(5)?,
        modified_at: r.get(6)?,
        last_scanned: r.get(7)?,
        last_scan_status: r.get(8)?,
        operations_count: r.get(9)?,
        is_hidden: r.get(10)?,
        vulnerability_counts: vulns(r, 11)?,
        annotations: json_column(r, 16, "annotations")?,
        api_credential_id: r.get(17)?,
        importer_id: r.get(18)?,
        external_key: r.get(19)?,
        missing_since: r.get(20)?,
        source_annotations: match r.get::<_, Option<String>>(21)? {
            Some(text) => serde_json::from_str(&text).map_err(|e| bad("source_annotations", e))?,
            None => Vec::new(),
        },
        definitions: Vec::new(),
        links: Vec::new(),
    })
}

pub(in crate::store) fn link_from_row(r: &Row<'_>) -> rusqlite::Result<LinkRecord> {
    let json = |i: usize| -> rusqlite::Result<Option<Value>> {
        r.get::<_, Option<String>>(i)?
            .map(|s| serde_json::from_str(&s).map_err(|e| bad("link", e)))
            .transpose()
    };
    Ok(LinkRecord {
        id: r.get(0)?,
        target_id: r.get(1)?,
        base_url: r.get(2)?,
        remote_target_id: r.get(3)?,
        remote_target_display_name: r.get(4)?,
        remote_target_additional_info: r.get(5)?,
        remote_target_scan_profile: json(6)?,
        remote_target_extra: json(7)?,
        created_at: r.get(8)?,
    })
}

pub(in crate::store) fn operation_from_row(r: &Row<'_>) -> rusqlite::Result<OperationRecord> {
    Ok(OperationRecord {
        id: r.get(0)?,
        kind: r.get(1)?,
        endpoint: r.get(2)?,
        name: r.get(3)?,
        last_scanned: r.get(4)?,
        last_update: r.get(5)?,
        exclude_operation: r.get(6)?,
        source: source(r, 7)?,
        vulnerability_counts: vulns(r, 9)?,
        annotations: json_column(r, 15, "annotations")?,
        source_annotations: match r.get::<_, Option<String>>(16)? {
            Some(text) => serde_json::from_str(&text).map_err(|e| bad("source_annotations", e))?,
            None => Vec::new(),
        },
    })
}

/// Fills in definitions and links of `targets` with one query each.
pub(in crate::store) fn attach(
    conn: &Connection,
    targets: &mut [TargetRecord],
) -> Result<(), StoreError> {
    if targets.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = targets.iter().map(|t| t.id.as_str()).collect();
    let marks = vec!["?"; ids.len()].join(",");
    let mut defs: HashMap<String, Vec<DefinitionRecord>> = HashMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT target_id, id, source_mode, source_origin, format, name, url, source_name FROM definitions \
         WHERE target_id IN ({marks}) ORDER BY created_at, id"
    ))?;
    let rows = stmt.query_map(params_from_iter(ids.iter()), |r| {
        Ok((
            r.get::<_, String>(0)?,
            DefinitionRecord {
                id: r.get(1)?,
                source: source(r, 2)?,
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
    let mut links: HashMap<String, Vec<LinkRecord>> = HashMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LINK_COLUMNS} FROM links WHERE target_id IN ({marks}) ORDER BY created_at, id"
    ))?;
    for link in stmt.query_map(params_from_iter(ids.iter()), link_from_row)? {
        let link = link?;
        links.entry(link.target_id.clone()).or_default().push(link);
    }
    for t in targets.iter_mut() {
        t.definitions = defs.remove(&t.id).unwrap_or_default();
        t.links = links.remove(&t.id).unwrap_or_default();
    }
    Ok(())
}

pub(in crate::store) fn read_target(
    conn: &Connection,
    id: &str,
) -> Result<Option<TargetRecord>, StoreError> {
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

pub(in crate::store) fn read_detail(
    conn: &Connection,
    id: &str,
) -> Result<Option<TargetWithOperations>, StoreError> {
    let Some(target) = read_target(conn, id)? else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {OPERATION_COLUMNS} FROM operations WHERE target_id = ?1 ORDER BY position, id"
    ))?;
    let operations = stmt
        .query_map([id], operation_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(TargetWithOperations { target, operations }))
}

/// `read_detail` for a target that must exist (it was just written).
pub(in crate::store) fn written(
    conn: &Connection,
    id: &str,
) -> Result<TargetWithOperations, StoreError> {
    read_detail(conn, id)?.ok_or_else(|| StoreError::not_found("API target", id))
}
