//! Vulnerabilities: findings on assets, listed with filters, changed in bulk
//! (all or nothing) and recorded from scans. A scan's import is one transaction:
//! findings it reports are created or updated (re-importing a scan changes only
//! `lastSeen`; a fixed one found again is `reDiscovered`), and open findings of
//! an asset the scan covered, from the same tool, that it no longer reports
//! become `notFound`.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{OptionalExtension, Row, Transaction, params};

use apihub_connectors::FieldError;

use crate::appsec::rules::{Paging, url_key};
use crate::appsec::sarif::Run;
use crate::appsec::{Dast, Severity, Vulnerability, VulnerabilityStatus};
use crate::clock::format_ms;
use crate::inventory::filter::TimeRange;
use crate::store::targets::records::{bad, json_column};
use crate::store::{Store, StoreError};

/// What a vulnerability list is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct VulnerabilityFilter {
    pub severities: Vec<Severity>,
    pub statuses: Vec<VulnerabilityStatus>,
    pub asset_id: Option<String>,
    pub first_seen: Option<TimeRange>,
    pub last_seen: Option<TimeRange>,
}

/// What one import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// Results read from the log.
    pub results: u64,
    /// Findings seen for the first time.
    pub created: u64,
    /// Findings seen before (only `lastSeen` and the rule's name and severity change).
    pub updated: u64,
    /// Fixed findings found again.
    pub re_discovered: u64,
    /// Open findings of a covered asset the scan no longer reports.
    pub not_found: u64,
    /// Target assets created for URLs no asset had.
    pub assets_created: u64,
}

const COLUMNS: &str = "v.id, v.asset_id, v.name, v.status, v.severity, v.confirmed, v.first_seen, v.last_seen, \
    v.dast_url, v.dast_method, v.dast_parameter, v.tags";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Vulnerability> {
    let status: String = r.get(3)?;
    let severity: String = r.get(4)?;
    Ok(Vulnerability {
        id: r.get(0)?,
        asset_id: r.get(1)?,
        name: r.get(2)?,
        status: status.parse().map_err(|e| bad("status", e))?,
        severity: severity.parse().map_err(|e| bad("severity", e))?,
        confirmed: r.get(5)?,
        first_seen: format_ms(r.get(6)?),
        last_seen: format_ms(r.get(7)?),
        dast: Dast {
            url: r.get(8)?,
            method: r.get(9)?,
            parameter: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
        },
        tags: json_column(r, 11, "tags")?,
    })
}

/// `(from, clause, args)` of a filter over `v` (vulnerabilities). Findings of
/// deleted assets are left out; the join that does so is only made when some
/// asset is deleted, so the usual count and page walk one index.
fn where_clause(
    c: &rusqlite::Connection,
    f: &VulnerabilityFilter,
) -> Result<(&'static str, String, Vec<rusqlite::types::Value>), StoreError> {
    use rusqlite::types::Value as V;
    let any_deleted: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM appsec_assets WHERE deleted = 1)",
        [],
        |r| r.get(0),
    )?;
    let (from, mut clauses) = if any_deleted {
        (
            "appsec_vulnerabilities v JOIN appsec_assets s ON s.id = v.asset_id",
            vec!["s.deleted = 0".to_owned()],
        )
    } else {
        ("appsec_vulnerabilities v", vec!["1".to_owned()])
    };
    let mut args: Vec<V> = Vec::new();
    let list = |col: &str, values: Vec<&str>, clauses: &mut Vec<String>, args: &mut Vec<V>| {
        if values.is_empty() {
            return;
        }
        let marks = vec!["?"; values.len()].join(", ");
        clauses.push(format!("{col} IN ({marks})"));
        args.extend(values.into_iter().map(|v| V::Text(v.to_owned())));
    };
    list(
        "v.severity",
        f.severities.iter().map(|s| s.as_str()).collect(),
        &mut clauses,
        &mut args,
    );
    list(
        "v.status",
        f.statuses.iter().map(|s| s.as_str()).collect(),
        &mut clauses,
        &mut args,
    );
    if let Some(a) = &f.asset_id {
        clauses.push("v.asset_id = ?".into());
        args.push(V::Text(a.clone()));
    }
    for (col, range) in [("v.first_seen", f.first_seen), ("v.last_seen", f.last_seen)] {
        let Some(r) = range else { continue };
        if let Some(from) = r.from {
            clauses.push(format!("{col} >= ?"));
            args.push(V::Integer(from));
        }
        if let Some(to) = r.to {
            clauses.push(format!("{col} < ?"));
            args.push(V::Integer(to));
        }
    }
    Ok((from, clauses.join(" AND "), args))
}

/// The live Target asset a URL belongs to: the longest target URL that is a
/// prefix of it at a path boundary. Each candidate prefix (the origin, then one
/// more path segment at a time) is one indexed lookup.
fn asset_for(tx: &Transaction<'_>, url: &str) -> Result<Option<String>, StoreError> {
    let Ok(parsed) = url::Url::parse(url.trim()) else {
        return Ok(None);
    };
    let origin = parsed.origin().ascii_serialization();
    let mut candidates = vec![origin.clone()];
    let mut prefix = origin;
    for seg in parsed.path().split('/').filter(|s| !s.is_empty()) {
        prefix = format!("{prefix}/{seg}");
        candidates.push(prefix.clone());
    }
    let mut stmt = tx.prepare_cached(
        "SELECT id FROM appsec_assets WHERE url_key = ?1 AND asset_type = 'Target' AND deleted = 0 LIMIT 1",
    )?;
    for candidate in candidates.iter().rev() {
        let Some(key) = url_key(candidate) else {
            continue;
        };
        if let Some(id) = stmt
            .query_row([&key], |r| r.get::<_, String>(0))
            .optional()?
        {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Creates the Target asset for a URL's origin.
fn new_target(tx: &Transaction<'_>, url: &str, now: i64) -> Result<String, StoreError> {
    let parsed = url::Url::parse(url).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let origin = parsed.origin().ascii_serialization();
    let name = parsed.host_str().unwrap_or(&origin).to_owned();
    super::assets::insert_target(tx, &name, &origin, now)
}

/// Every vulnerability matching `filter`, oldest first.
pub(super) fn export(
    c: &rusqlite::Connection,
    filter: &VulnerabilityFilter,
    sink: &mut dyn FnMut(serde_json::Value) -> bool,
) -> Result<u64, StoreError> {
    let (from, clause, args) = where_clause(c, filter)?;
    let mut stmt = c.prepare(&format!(
        "SELECT {COLUMNS} FROM {from} WHERE {clause} ORDER BY v.first_seen, v.id"
    ))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        n += 1;
        if !super::emit(sink, &from_row(r)?)? {
            break;
        }
    }
    Ok(n)
}

impl Store {
    pub async fn list_vulnerabilities(
        &self,
        filter: VulnerabilityFilter,
        page: Paging,
    ) -> Result<(Vec<Vulnerability>, u64), StoreError> {
        self.read(move |c| {
            let snapshot = c.unchecked_transaction()?;
            let (from, clause, args) = where_clause(&snapshot, &filter)?;
            let total: i64 = snapshot.query_row(
                &format!("SELECT count(*) FROM {from} WHERE {clause}"),
                rusqlite::params_from_iter(args.iter()),
                |r| r.get(0),
            )?;
            let mut page_args = args;
            page_args.push(i64::from(page.size).into());
            page_args.push(page.offset().into());
            // The page's ids first (an index walk, however deep the page), then
            // their rows.
            let mut stmt = snapshot.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM appsec_vulnerabilities v WHERE v.id IN \
                 (SELECT v.id FROM {from} WHERE {clause} ORDER BY v.first_seen, v.id LIMIT ? OFFSET ?) \
                 ORDER BY v.first_seen, v.id"
            ))?;
            let items = stmt
                .query_map(rusqlite::params_from_iter(page_args.iter()), from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok((items, super::count(total)))
        })
        .await
    }

    pub async fn get_vulnerability(&self, id: String) -> Result<Option<Vulnerability>, StoreError> {
        self.read(move |c| {
            c.query_row(
                &format!(
                    "SELECT {COLUMNS} FROM appsec_vulnerabilities v JOIN appsec_assets s ON s.id = v.asset_id \
                     WHERE v.id = ?1 AND s.deleted = 0"
                ),
                [&id],
                from_row,
            )
            .optional()
            .map_err(StoreError::from)
        })
        .await
    }

    /// Sets the status of every vulnerability of `ids`, or of none: an unknown id
    /// is a field error naming it (`ids[2]`) and nothing changes.
    pub async fn set_vulnerability_status(
        &self,
        ids: Vec<String>,
        status: VulnerabilityStatus,
    ) -> Result<u64, StoreError> {
        self.write(move |tx| {
            let mut exists = tx.prepare_cached(
                "SELECT 1 FROM appsec_vulnerabilities v JOIN appsec_assets s ON s.id = v.asset_id \
                 WHERE v.id = ?1 AND s.deleted = 0",
            )?;
            let mut unknown: Vec<(usize, &String)> = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                if !exists.exists([id])? {
                    unknown.push((i, id));
                }
            }
            if let Some((i, _)) = unknown.first() {
                let names: Vec<String> = unknown.iter().map(|(_, id)| format!("`{id}`")).collect();
                return Err(FieldError::new(
                    format!("ids[{i}]"),
                    format!("no vulnerability {}; nothing was changed", names.join(", ")),
                )
                .into());
            }
            let mut update = tx.prepare_cached(
                "UPDATE appsec_vulnerabilities SET status = ?2, \
                 confirmed = CASE WHEN ?2 = 'fixed' THEN 1 ELSE confirmed END WHERE id = ?1",
            )?;
            let mut asset_of =
                tx.prepare_cached("SELECT asset_id FROM appsec_vulnerabilities WHERE id = ?1")?;
            let mut assets = BTreeSet::new();
            let mut n = 0;
            for id in &ids {
                n += update.execute(params![id, status.as_str()])? as u64;
                assets.insert(asset_of.query_row([id], |r| r.get::<_, String>(0))?);
            }
            super::scans::refresh_for_assets(tx, &assets)?;
            Ok(n)
        })
        .await
    }

    /// Records a scan's findings (see the module doc). `asset_id` pins every
    /// finding to one asset; otherwise each finding's URL picks (or creates) its
    /// Target asset, and a finding without a URL is a field error.
    pub async fn import_scan(
        &self,
        runs: Vec<Run>,
        asset_id: Option<String>,
        now: i64,
    ) -> Result<ImportSummary, StoreError> {
        self.write(move |tx| {
            if let Some(id) = &asset_id {
                let live: Option<i64> = tx
                    .query_row("SELECT 1 FROM appsec_assets WHERE id = ?1 AND deleted = 0", [id], |r| r.get(0))
                    .optional()?;
                if live.is_none() {
                    return Err(FieldError::new("assetId", format!("asset `{id}` does not exist")).into());
                }
            }
            let mut summary = ImportSummary::default();
            let mut by_url: BTreeMap<String, String> = BTreeMap::new();
            // Fingerprints reported, per (tool, asset) the log covers.
            let mut reported: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
            for run in &runs {
                let seen = run.seen_at.unwrap_or(now);
                if let Some(id) = &asset_id {
                    reported.entry((run.tool.clone(), id.clone())).or_default();
                }
                for f in &run.findings {
                    summary.results += 1;
                    let asset = match (&asset_id, &f.url) {
                        (Some(id), _) => id.clone(),
                        (None, Some(url)) => match by_url.get(url) {
                            Some(id) => id.clone(),
                            None => {
                                let id = match asset_for(tx, url)? {
                                    Some(id) => id,
                                    None => {
                                        summary.assets_created += 1;
                                        new_target(tx, url, now)?
                                    }
                                };
                                by_url.insert(url.clone(), id.clone());
                                id
                            }
                        },
                        (None, None) => {
                            return Err(FieldError::new(
                                f.at.clone(),
                                "has no http(s) URL to find its asset by; import with `assetId`",
                            )
                            .into());
                        }
                    };
                    reported
                        .entry((run.tool.clone(), asset.clone()))
                        .or_default()
                        .insert(f.fingerprint.clone());
                    let existing: Option<(String, String)> = tx
                        .query_row(
                            "SELECT id, status FROM appsec_vulnerabilities WHERE asset_id = ?1 AND fingerprint = ?2",
                            [&asset, &f.fingerprint],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )
                        .optional()?;
                    match existing {
                        None => {
                            summary.created += 1;
                            tx.execute(
                                "INSERT INTO appsec_vulnerabilities (id, asset_id, fingerprint, tool, name, status, severity, \
                                 confirmed, first_seen, last_seen, dast_url, dast_method, dast_parameter, tags) \
                                 VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6, 0, ?7, ?7, ?8, ?9, ?10, '[]')",
                                params![
                                    uuid::Uuid::now_v7().to_string(),
                                    asset,
                                    f.fingerprint,
                                    run.tool,
                                    f.name,
                                    f.severity.as_str(),
                                    seen,
                                    f.url,
                                    f.method,
                                    f.parameter
                                ],
                            )?;
                        }
                        Some((id, status)) => {
                            let next = match status.as_str() {
                                "fixed" | "fixedUnconfirmed" => {
                                    summary.re_discovered += 1;
                                    "reDiscovered"
                                }
                                "notFound" => {
                                    summary.updated += 1;
                                    "open"
                                }
                                other => {
                                    summary.updated += 1;
                                    other
                                }
                            };
                            tx.execute(
                                "UPDATE appsec_vulnerabilities SET status = ?2, name = ?3, severity = ?4, \
                                 last_seen = max(last_seen, ?5) WHERE id = ?1",
                                params![id, next, f.name, f.severity.as_str(), seen],
                            )?;
                        }
                    }
                }
            }
            let mut open = tx.prepare_cached(
                "SELECT id, fingerprint FROM appsec_vulnerabilities WHERE asset_id = ?1 AND tool = ?2 \
                 AND status IN ('open', 'reDiscovered')",
            )?;
            for ((tool, asset), fingerprints) in &reported {
                let gone: Vec<String> = open
                    .query_map(params![asset, tool], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .filter(|(_, fp)| !fingerprints.contains(fp))
                    .map(|(id, _)| id)
                    .collect();
                for id in gone {
                    summary.not_found += 1;
                    tx.execute(
                        "UPDATE appsec_vulnerabilities SET status = 'notFound' WHERE id = ?1",
                        [&id],
                    )?;
                }
            }
            let touched: BTreeSet<String> = reported.into_keys().map(|(_, a)| a).collect();
            super::scans::refresh_for_assets(tx, &touched)?;
            Ok(summary)
        })
        .await
    }
}
