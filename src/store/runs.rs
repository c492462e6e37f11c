//! Sync run history: one row per run with its trigger, outcome, counts and per-item
//! notes, listed newest first.

use rusqlite::{Row, params};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{Cursor, Store, StoreError};
use crate::wire::wire_enum;

wire_enum! {
    /// Why a run started.
    pub enum RunTrigger {
        Schedule => "schedule",
        Manual => "manual",
        Startup => "startup",
    }
}

wire_enum! {
    pub enum RunStatus {
        Running => "Running",
        Completed => "Completed",
        Failed => "Failed",
    }
}

/// What a run did, item by item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunCounts {
    /// Items the source listed.
    pub discovered: u32,
    /// New inventory targets.
    pub created: u32,
    /// Targets whose definition changed and was replaced.
    pub updated: u32,
    /// Targets whose definition hash was unchanged (nothing written).
    pub unchanged: u32,
    /// Definitions with no operations that `excludeEmptySpecs` left out.
    pub skipped_empty: u32,
    /// Items the source reported but did not export (e.g. no deployed stage).
    pub skipped: u32,
    /// Items that could not be fetched, parsed or stored.
    pub failed: u32,
    /// Targets of this importer that the source no longer lists (marked, not deleted).
    pub missing: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunRow {
    pub run_id: String,
    pub importer_id: String,
    pub trigger: RunTrigger,
    pub status: RunStatus,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<String>,
    pub counts: RunCounts,
    pub fail_reason: Option<String>,
    /// Per-item notes: `{externalKey, name, outcome, message}`.
    #[schema(value_type = Vec<Object>)]
    pub items: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunPage {
    pub runs: Vec<RunRow>,
    pub total_count: u64,
    pub next_page: Option<String>,
}

const COLUMNS: &str = "id, importer_id, trigger, status, started_at, finished_at, discovered, \
    created, updated, unchanged, skipped_empty, skipped, failed, missing, fail_reason, items";
const SORT: &str = "-startedAt";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(i64, RunRow)> {
    let bad = |what: &str, e: String| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("{what}: {e}").into(),
        )
    };
    let trigger: String = r.get(2)?;
    let status: String = r.get(3)?;
    let started: i64 = r.get(4)?;
    let finished: Option<i64> = r.get(5)?;
    let items: String = r.get(15)?;
    Ok((
        started,
        RunRow {
            run_id: r.get(0)?,
            importer_id: r.get(1)?,
            trigger: trigger.parse().map_err(|e| bad("trigger", e))?,
            status: status.parse().map_err(|e| bad("status", e))?,
            started_at: crate::clock::format_ms(started),
            finished_at: finished.map(crate::clock::format_ms),
            counts: RunCounts {
                discovered: r.get(6)?,
                created: r.get(7)?,
                updated: r.get(8)?,
                unchanged: r.get(9)?,
                skipped_empty: r.get(10)?,
                skipped: r.get(11)?,
                failed: r.get(12)?,
                missing: r.get(13)?,
            },
            fail_reason: r.get(14)?,
            items: serde_json::from_str(&items).map_err(|e| bad("items", e.to_string()))?,
        },
    ))
}

impl Store {
    /// One page of an importer's runs, newest first.
    pub async fn list_runs(
        &self,
        importer_id: &str,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<RunPage, StoreError> {
        let importer_id = importer_id.to_owned();
        let cursor = Cursor::decode(cursor, SORT)?;
        self.read(move |c| {
            let total: i64 = c.query_row(
                "SELECT COUNT(*) FROM sync_runs WHERE importer_id = ?1",
                [&importer_id],
                |r| r.get(0),
            )?;
            let (after_ts, after_id) = match &cursor {
                Some(cur) => (cur.value.as_i64().unwrap_or(i64::MAX), cur.id.clone()),
                None => (i64::MAX, String::new()),
            };
            let mut stmt = c.prepare(&format!(
                "SELECT {COLUMNS} FROM sync_runs WHERE importer_id = ?1 \
                 AND (?4 = '' OR started_at < ?2 OR (started_at = ?2 AND id < ?4)) \
                 ORDER BY started_at DESC, id DESC LIMIT ?3"
            ))?;
            let mut rows = stmt
                .query_map(
                    params![importer_id, after_ts, limit + 1, after_id],
                    from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            let next_page = if rows.len() > limit as usize {
                rows.truncate(limit as usize);
                rows.last().map(|(ts, run)| {
                    Cursor {
                        sort: SORT.into(),
                        value: Value::from(*ts),
                        id: run.run_id.clone(),
                        backward: false,
                    }
                    .encode()
                })
            } else {
                None
            };
            Ok(RunPage {
                runs: rows.into_iter().map(|(_, r)| r).collect(),
                total_count: u64::try_from(total).unwrap_or(0),
                next_page,
            })
        })
        .await
    }
}
