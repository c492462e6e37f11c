//! Sync run history: one row per run with its trigger, outcome, counts and per-item
//! notes, listed newest first.

use rusqlite::{Row, params};
use serde_json::Value;

use super::{Cursor, Store, StoreError};
use crate::run::{ItemNote, RunCounts, RunStatus, RunTrigger};

/// One run as stored: times in milliseconds since the epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub run_id: String,
    pub importer_id: String,
    pub trigger: RunTrigger,
    pub status: RunStatus,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub counts: RunCounts,
    pub fail_reason: Option<String>,
    /// The per-item notes as stored (JSON array of [`ItemNote`]).
    pub items: Value,
}

/// One page of an importer's runs.
#[derive(Debug, Clone, PartialEq)]
pub struct RunHistory {
    pub runs: Vec<RunRecord>,
    pub total_count: u64,
    pub next_page: Option<String>,
}

/// What `finish_run` records.
#[derive(Debug, Clone)]
pub struct FinishedRun {
    pub run_id: String,
    pub importer_id: String,
    pub status: RunStatus,
    pub finished_at: i64,
    pub counts: RunCounts,
    pub fail_reason: Option<String>,
    pub items: Vec<ItemNote>,
    /// Runs of the importer to keep in the history (older ones are deleted).
    pub keep: u32,
}

const COLUMNS: &str = "id, importer_id, trigger, status, started_at, finished_at, discovered, \
    created, updated, unchanged, skipped_empty, skipped, failed, missing, fail_reason, items";
const SORT: &str = "-startedAt";

fn from_row(r: &Row<'_>) -> rusqlite::Result<RunRecord> {
    let bad = |what: &str, e: String| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("{what}: {e}").into(),
        )
    };
    let trigger: String = r.get(2)?;
    let status: String = r.get(3)?;
    let items: String = r.get(15)?;
    Ok(RunRecord {
        run_id: r.get(0)?,
        importer_id: r.get(1)?,
        trigger: trigger.parse().map_err(|e| bad("trigger", e))?,
        status: status.parse().map_err(|e| bad("status", e))?,
        started_at: r.get(4)?,
        finished_at: r.get(5)?,
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
    })
}

impl Store {
    /// Opens a run: refuses when the importer has one running already (also across
    /// processes, e.g. `apihub-importer sync` next to the daemon) and consumes a
    /// pending trigger, so a trigger that arrives during the run asks for one more.
    pub async fn start_run(
        &self,
        importer_id: &str,
        trigger: RunTrigger,
        now: i64,
    ) -> Result<String, StoreError> {
        let importer_id = importer_id.to_owned();
        self.write(move |tx| {
            let running: i64 = tx.query_row(
                "SELECT COUNT(*) FROM sync_runs WHERE importer_id = ?1 AND status = 'Running'",
                [&importer_id],
                |r| r.get(0),
            )?;
            if running > 0 {
                return Err(StoreError::Conflict("a run of this importer is already in progress".into()));
            }
            if super::importers::get(tx, &importer_id)?.is_none() {
                return Err(StoreError::not_found("importer", importer_id.as_str()));
            }
            let id = uuid::Uuid::now_v7().to_string();
            tx.execute(
                "INSERT INTO sync_runs (id, importer_id, trigger, status, started_at) VALUES (?1, ?2, ?3, 'Running', ?4)",
                params![id, importer_id, trigger.as_str(), now],
            )?;
            tx.execute("UPDATE importers SET trigger_requested_at = NULL WHERE id = ?1", [&importer_id])?;
            Ok(id)
        })
        .await
    }

    /// Closes a run and records its outcome on the importer, and trims the history
    /// to the newest `keep` runs. The scheduler works out the next run from it.
    pub async fn finish_run(&self, run: FinishedRun) -> Result<(), StoreError> {
        self.write(move |tx| {
            let c = run.counts;
            let items = serde_json::to_string(&run.items).unwrap_or_else(|_| "[]".into());
            tx.execute(
                "UPDATE sync_runs SET status = ?2, finished_at = ?3, discovered = ?4, created = ?5, updated = ?6, \
                 unchanged = ?7, skipped_empty = ?8, skipped = ?9, failed = ?10, missing = ?11, fail_reason = ?12, \
                 items = ?13 WHERE id = ?1",
                params![
                    run.run_id, run.status.as_str(), run.finished_at, c.discovered, c.created, c.updated, c.unchanged,
                    c.skipped_empty, c.skipped, c.failed, c.missing, run.fail_reason, items,
                ],
            )?;
            let sync = if run.status == RunStatus::Completed { "Completed" } else { "Failed" };
            let counts = serde_json::to_string(&c).unwrap_or_default();
            tx.execute(
                "UPDATE importers SET sync_status = ?2, last_run_at = ?3, last_run_fail_reason = ?4, \
                 last_run_counts = ?5, \
                 last_success_at = CASE WHEN ?2 = 'Completed' THEN ?3 ELSE last_success_at END WHERE id = ?1",
                params![run.importer_id, sync, run.finished_at, run.fail_reason, counts],
            )?;
            tx.execute(
                "DELETE FROM sync_runs WHERE importer_id = ?1 AND status != 'Running' AND id NOT IN \
                 (SELECT id FROM sync_runs WHERE importer_id = ?1 ORDER BY started_at DESC, id DESC LIMIT ?2)",
                params![run.importer_id, run.keep],
            )?;
            Ok(())
        })
        .await
    }

    /// Saves a run's counts while it goes, so a run cut short by a crash still tells
    /// what it had done.
    pub async fn record_progress(&self, run_id: &str, c: RunCounts) -> Result<(), StoreError> {
        let run_id = run_id.to_owned();
        self.write(move |tx| {
            tx.execute(
                "UPDATE sync_runs SET discovered = ?2, created = ?3, updated = ?4, unchanged = ?5, \
                 skipped_empty = ?6, skipped = ?7, failed = ?8 WHERE id = ?1 AND status = 'Running'",
                params![run_id, c.discovered, c.created, c.updated, c.unchanged, c.skipped_empty, c.skipped, c.failed],
            )?;
            Ok(())
        })
        .await
    }

    /// At start: runs left `Running` by a process that died are failed ("interrupted"),
    /// and so is their importer's sync status. Their counts are what was saved while
    /// they went, with `created` and `updated` recounted from the inventory itself
    /// (the last second of progress may not have been saved). Returns how many
    /// there were.
    pub async fn recover_interrupted(&self, now: i64) -> Result<u32, StoreError> {
        self.write(move |tx| {
            const REASON: &str = "interrupted: the daemon stopped during the run";
            tx.execute(
                "UPDATE sync_runs SET \
                 created = MAX(created, (SELECT COUNT(*) FROM api_targets t WHERE t.importer_id = sync_runs.importer_id \
                     AND t.created_at >= sync_runs.started_at)), \
                 updated = MAX(updated, (SELECT COUNT(*) FROM api_targets t WHERE t.importer_id = sync_runs.importer_id \
                     AND t.created_at < sync_runs.started_at AND t.modified_at >= sync_runs.started_at)) \
                 WHERE status = 'Running'",
                [],
            )?;
            tx.execute(
                "UPDATE sync_runs SET discovered = MAX(discovered, created + updated + unchanged + skipped_empty + skipped + failed) \
                 WHERE status = 'Running'",
                [],
            )?;
            tx.execute(
                "UPDATE importers SET sync_status = 'Failed', last_run_at = ?1, last_run_fail_reason = ?2, \
                 last_run_counts = (SELECT json_object('discovered', r.discovered, 'created', r.created, 'updated', r.updated, \
                     'unchanged', r.unchanged, 'skippedEmpty', r.skipped_empty, 'skipped', r.skipped, 'failed', r.failed, \
                     'missing', r.missing) FROM sync_runs r WHERE r.importer_id = importers.id AND r.status = 'Running') \
                 WHERE id IN (SELECT importer_id FROM sync_runs WHERE status = 'Running')",
                params![now, REASON],
            )?;
            let n = tx.execute(
                "UPDATE sync_runs SET status = 'Failed', finished_at = ?1, fail_reason = ?2 WHERE status = 'Running'",
                params![now, REASON],
            )?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
        .await
    }

    /// One page of an importer's runs, newest first.
    /// The latest runs of every importer, newest first (the console's overview).
    pub async fn recent_runs(&self, limit: u32) -> Result<Vec<RunRecord>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {COLUMNS} FROM sync_runs ORDER BY started_at DESC, id DESC LIMIT ?1"
            ))?;
            let rows = stmt
                .query_map([limit], from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    pub async fn list_runs(
        &self,
        importer_id: &str,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<RunHistory, StoreError> {
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
                rows.last().map(|run| {
                    Cursor {
                        sort: SORT.into(),
                        value: Value::from(run.started_at),
                        id: run.run_id.clone(),
                        backward: false,
                    }
                    .encode()
                })
            } else {
                None
            };
            Ok(RunHistory {
                runs: rows,
                total_count: u64::try_from(total).unwrap_or(0),
                next_page,
            })
        })
        .await
    }
}
