//! Importer rows: create, read, configure, delete, trigger requests.

use apihub_connectors::ImporterType;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;

use super::{Store, StoreError, is_unique_violation};
use crate::importer::{ImporterStatus, SyncStatus, UpdateFrequency};
use crate::text::name_key;

/// An importer as stored; `parameters` has its secrets sealed.
#[derive(Debug, Clone, PartialEq)]
pub struct ImporterRow {
    pub id: String,
    pub name: String,
    pub kind: Option<ImporterType>,
    pub status: ImporterStatus,
    pub update_frequency: Option<UpdateFrequency>,
    pub parameters: Value,
    pub exclude_empty_specs: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub sync_status: SyncStatus,
    pub last_run_at: Option<i64>,
    pub last_run_fail_reason: Option<String>,
    pub next_run_at: Option<i64>,
    pub trigger_requested_at: Option<i64>,
    /// Counts of the last finished run (JSON of `RunCounts`).
    pub last_run_counts: Option<Value>,
    /// Set for importers declared as code: see [`Managed`].
    pub managed: Option<Managed>,
}

/// An importer declared as code: the declaration set that reconciles it (the
/// daemon's config, or one `importers apply -f` path) and the file declaring it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Managed {
    pub by: String,
    pub declared_in: String,
}

/// What create and configure write. `parameters` must already be sealed.
#[derive(Debug, Clone)]
pub struct NewImporter {
    pub name: String,
    pub kind: Option<ImporterType>,
    pub status: ImporterStatus,
    pub update_frequency: Option<UpdateFrequency>,
    pub parameters: Value,
    pub exclude_empty_specs: bool,
    pub managed: Option<Managed>,
}

const COLUMNS: &str = "id, name, type, status, freq_unit, freq_value, parameters, \
    exclude_empty_specs, created_at, updated_at, sync_status, last_run_at, \
    last_run_fail_reason, next_run_at, trigger_requested_at, last_run_counts, managed_by, declared_in";

fn corrupt(what: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("{what}: {e}").into(),
    )
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<ImporterRow> {
    let kind: Option<String> = r.get(2)?;
    let status: String = r.get(3)?;
    let unit: Option<String> = r.get(4)?;
    let value: Option<u32> = r.get(5)?;
    let params: String = r.get(6)?;
    let sync: String = r.get(10)?;
    Ok(ImporterRow {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: kind
            .map(|k| k.parse().map_err(|e| corrupt("type", e)))
            .transpose()?,
        status: status.parse().map_err(|e| corrupt("status", e))?,
        update_frequency: match (unit, value) {
            (Some(u), Some(v)) => Some(UpdateFrequency {
                unit: u.parse().map_err(|e| corrupt("freq_unit", e))?,
                value: v,
            }),
            _ => None,
        },
        parameters: serde_json::from_str(&params).map_err(|e| corrupt("parameters", e))?,
        exclude_empty_specs: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
        sync_status: sync.parse().map_err(|e| corrupt("sync_status", e))?,
        last_run_at: r.get(11)?,
        last_run_fail_reason: r.get(12)?,
        next_run_at: r.get(13)?,
        trigger_requested_at: r.get(14)?,
        last_run_counts: r
            .get::<_, Option<String>>(15)?
            .map(|c| serde_json::from_str(&c).map_err(|e| corrupt("last_run_counts", e)))
            .transpose()?,
        managed: match (
            r.get::<_, Option<String>>(16)?,
            r.get::<_, Option<String>>(17)?,
        ) {
            (Some(by), declared_in) => Some(Managed {
                declared_in: declared_in.unwrap_or_else(|| by.clone()),
                by,
            }),
            (None, _) => None,
        },
    })
}

pub(super) fn get(conn: &Connection, id: &str) -> Result<Option<ImporterRow>, StoreError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM importers WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()
    .map_err(StoreError::from)
}

fn name_conflict(name: &str) -> StoreError {
    StoreError::Conflict(format!("an importer named `{name}` already exists"))
}

impl Store {
    pub async fn create_importer(
        &self,
        id: String,
        new: NewImporter,
        now: i64,
    ) -> Result<ImporterRow, StoreError> {
        self.write(move |tx| {
            let inserted = tx.execute(
                "INSERT INTO importers (id, name, type, status, freq_unit, freq_value, parameters, \
                 exclude_empty_specs, created_at, updated_at, name_key, managed_by, declared_in) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12)",
                params![
                    id,
                    new.name,
                    new.kind.map(|k| k.request_str()),
                    new.status.as_str(),
                    new.update_frequency.map(|f| f.unit.as_str()),
                    new.update_frequency.map(|f| f.value),
                    new.parameters.to_string(),
                    new.exclude_empty_specs,
                    now,
                    name_key(&new.name),
                    new.managed.as_ref().map(|m| m.by.as_str()),
                    new.managed.as_ref().map(|m| m.declared_in.as_str()),
                ],
            );
            match inserted {
                Err(e) if is_unique_violation(&e) => Err(name_conflict(&new.name)),
                other => other.map_err(StoreError::from),
            }?;
            get(tx, &id)?.ok_or_else(|| StoreError::not_found("importer", id.as_str()))
        })
        .await
    }

    /// Replaces an importer's configuration. `seal` gets the stored importer (its
    /// parameters sealed) so masked secrets can be kept; it runs inside the
    /// transaction.
    pub async fn configure_importer<F>(
        &self,
        id: String,
        new: NewImporter,
        seal: F,
        now: i64,
    ) -> Result<ImporterRow, StoreError>
    where
        F: FnOnce(&ImporterRow) -> Result<Value, StoreError> + Send + 'static,
    {
        self.write(move |tx| {
            let old =
                get(tx, &id)?.ok_or_else(|| StoreError::not_found("importer", id.as_str()))?;
            let parameters = seal(&old)?;
            // Recorded source revisions say "this content was written with these
            // settings"; new settings (another export type, stages, folder) may
            // make different documents of the same revision.
            let settings_changed = old.kind != new.kind
                || old.exclude_empty_specs != new.exclude_empty_specs
                || crate::secrets::mask_parameters(&old.parameters)
                    != crate::secrets::mask_parameters(&parameters);
            if settings_changed {
                tx.execute(
                    "UPDATE api_targets SET source_revision = NULL WHERE importer_id = ?1",
                    [&id],
                )?;
                tx.execute(
                    "UPDATE remote_targets SET source_revision = NULL WHERE importer_id = ?1",
                    [&id],
                )?;
            }
            let updated = tx.execute(
                "UPDATE importers SET name = ?2, type = ?3, status = ?4, freq_unit = ?5, \
                 freq_value = ?6, parameters = ?7, exclude_empty_specs = ?8, updated_at = ?9, \
                 name_key = ?10, managed_by = ?11, declared_in = ?12 WHERE id = ?1",
                params![
                    id,
                    new.name,
                    new.kind.map(|k| k.request_str()),
                    new.status.as_str(),
                    new.update_frequency.map(|f| f.unit.as_str()),
                    new.update_frequency.map(|f| f.value),
                    parameters.to_string(),
                    new.exclude_empty_specs,
                    now,
                    name_key(&new.name),
                    new.managed.as_ref().map(|m| m.by.as_str()),
                    new.managed.as_ref().map(|m| m.declared_in.as_str()),
                ],
            );
            match updated {
                Err(e) if is_unique_violation(&e) => Err(name_conflict(&new.name)),
                other => other.map_err(StoreError::from),
            }?;
            get(tx, &id)?.ok_or_else(|| StoreError::not_found("importer", id.as_str()))
        })
        .await
    }

    /// Each importer's last outcome and last success, for the `/metrics` gauges.
    pub async fn importer_health(&self) -> Result<Vec<crate::metrics::ImporterHealth>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, name, type, sync_status, last_success_at FROM importers ORDER BY created_at, id",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    let kind: Option<String> = r.get(2)?;
                    let sync: String = r.get(3)?;
                    Ok(crate::metrics::ImporterHealth {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        kind: kind
                            .and_then(|k| k.parse::<ImporterType>().ok())
                            .map(|k| k.request_str()),
                        last_run_ok: match sync.as_str() {
                            "Completed" => Some(true),
                            "Failed" => Some(false),
                            _ => None,
                        },
                        last_success_at: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    pub async fn get_importer(&self, id: &str) -> Result<Option<ImporterRow>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| get(c, &id)).await
    }

    /// By id, or else by name (compared by [`name_key`]), for the CLI.
    pub async fn find_importer(&self, id_or_name: &str) -> Result<Option<ImporterRow>, StoreError> {
        let key = id_or_name.to_owned();
        self.read(move |c| {
            if let Some(row) = get(c, &key)? {
                return Ok(Some(row));
            }
            c.query_row(
                &format!("SELECT {COLUMNS} FROM importers WHERE name_key = ?1"),
                [name_key(&key)],
                from_row,
            )
            .optional()
            .map_err(StoreError::from)
        })
        .await
    }

    /// Every importer, oldest first.
    pub async fn list_importers(&self) -> Result<Vec<ImporterRow>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {COLUMNS} FROM importers ORDER BY created_at, id"
            ))?;
            let rows = stmt
                .query_map([], from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// Deletes the importer and its run history; inventory data is not touched.
    pub async fn delete_importer(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |tx| Ok(tx.execute("DELETE FROM importers WHERE id = ?1", [&id])? > 0))
            .await
    }

    /// Importers to start now: due on their schedule (active, with a type) or
    /// triggered (with a type, not pending).
    pub async fn due_importers(&self, now: i64) -> Result<Vec<ImporterRow>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM importers WHERE type IS NOT NULL AND \
                 ((next_run_at <= ?1 AND status = 'Active') OR (trigger_requested_at IS NOT NULL AND status != 'Pending')) \
                 ORDER BY COALESCE(trigger_requested_at, next_run_at), id"
            ))?;
            let rows = stmt.query_map([now], from_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// The `limit` earliest stored next runs, earliest first, as (id, time).
    pub async fn earliest_next_runs(&self, limit: usize) -> Result<Vec<(String, i64)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, next_run_at FROM importers WHERE next_run_at IS NOT NULL \
                 ORDER BY next_run_at, id LIMIT ?1",
            )?;
            let rows = stmt
                .query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// Records when an importer should next run on its schedule (the scheduler is
    /// the only caller).
    pub async fn set_next_run(&self, id: &str, next_run_at: Option<i64>) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |tx| {
            tx.execute(
                "UPDATE importers SET next_run_at = ?2 WHERE id = ?1",
                params![id, next_run_at],
            )?;
            Ok(())
        })
        .await
    }

    /// Moves the importer's next run to `at` unless it is sooner already.
    pub async fn bring_next_run_forward(&self, id: &str, at: i64) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |tx| {
            tx.execute(
                "UPDATE importers SET next_run_at = MIN(COALESCE(next_run_at, ?2), ?2) WHERE id = ?1",
                params![id, at],
            )?;
            Ok(())
        })
        .await
    }

    /// Records a manual run request; `false` if the importer does not exist.
    pub async fn request_trigger(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |tx| {
            Ok(tx.execute(
                "UPDATE importers SET trigger_requested_at = COALESCE(trigger_requested_at, ?2) \
                 WHERE id = ?1",
                params![id, now],
            )? > 0)
        })
        .await
    }
}
