//! The Inventory API's (seed 002) tables: collections, applications, assets and the
//! relations between them, and the installation's organization id. Lists read
//! their page and its total in one snapshot, so `pageInfo` agrees with `items`.

mod applications;
mod assets;
mod collections;
pub(in crate::store) mod scans;
mod vulnerabilities;

pub use applications::{ApplicationPatch, NewApplication};
pub use assets::{AssetFilter, AssetPatch, NewAsset};
pub use collections::{CollectionPatch, NewCollection};
pub use vulnerabilities::{ImportSummary, VulnerabilityFilter};

use rusqlite::{Connection, OptionalExtension, Transaction};

use apihub_connectors::FieldError;

use super::{Store, StoreError};

/// Receives exported objects, as the list endpoints show them; `false` stops the
/// export (the client went away).
pub trait ValueSink: Send + 'static {
    fn row(&mut self, object: serde_json::Value) -> bool;
    fn finish(self);
}

/// What an Inventory API export holds.
#[derive(Debug, Clone)]
pub enum Export {
    Vulnerabilities(VulnerabilityFilter),
    Assets(AssetFilter),
    Applications,
    Collections,
}

/// A row on its way out: serialized, or the reason it could not be.
fn emit<T: serde::Serialize>(
    sink: &mut dyn FnMut(serde_json::Value) -> bool,
    object: &T,
) -> Result<bool, StoreError> {
    let v = serde_json::to_value(object).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(sink(v))
}

impl Store {
    /// Streams every object of `what` to `sink`, oldest first, from one
    /// snapshot; returns how many were written.
    pub async fn export_appsec<S: ValueSink>(
        &self,
        org: String,
        what: Export,
        mut sink: S,
    ) -> Result<u64, StoreError> {
        self.read(move |c| {
            let snapshot = c.unchecked_transaction()?;
            let mut push = |v: serde_json::Value| sink.row(v);
            let n = match what {
                Export::Vulnerabilities(f) => vulnerabilities::export(&snapshot, &f, &mut push)?,
                Export::Assets(f) => assets::export(&snapshot, &org, &f, &mut push)?,
                Export::Applications => applications::export(&snapshot, &org, &mut push)?,
                Export::Collections => collections::export(&snapshot, &org, &mut push)?,
            };
            sink.finish();
            Ok(n)
        })
        .await
    }

    /// The organization id every Inventory API object carries: `configured` when
    /// set, else the one generated on first use and kept in the database.
    pub async fn organization_id(&self, configured: Option<String>) -> Result<String, StoreError> {
        if let Some(id) = configured {
            return Ok(id);
        }
        self.write(|tx| {
            let stored: Option<String> = tx
                .query_row(
                    "SELECT value FROM appsec_settings WHERE key = 'organization_id'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = stored {
                return Ok(id);
            }
            let id = uuid::Uuid::new_v4().to_string();
            tx.execute(
                "INSERT INTO appsec_settings (key, value) VALUES ('organization_id', ?1)",
                [&id],
            )?;
            Ok(id)
        })
        .await
    }
}

/// Fails with a field error naming the first id of `ids` not in `table`.
fn require_ids(
    tx: &Transaction<'_>,
    table: &'static str,
    what: &str,
    field: &str,
    ids: &[String],
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(&format!("SELECT 1 FROM {table} WHERE id = ?1"))?;
    for (i, id) in ids.iter().enumerate() {
        if !stmt.exists([id])? {
            return Err(FieldError::new(
                format!("{field}[{i}]"),
                format!("{what} `{id}` does not exist"),
            )
            .into());
        }
    }
    Ok(())
}

/// The ids of one side of a relation table for the other side's `id`.
fn related(c: &Connection, sql: &'static str, id: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = c.prepare_cached(sql)?;
    let ids = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}

/// Replaces the relation rows of `owner` in `table` (`owner_col`, `other_col`).
fn relate(
    tx: &Transaction<'_>,
    table: &'static str,
    owner_col: &'static str,
    other_col: &'static str,
    owner: &str,
    others: &[String],
) -> Result<(), StoreError> {
    tx.execute(
        &format!("DELETE FROM {table} WHERE {owner_col} = ?1"),
        [owner],
    )?;
    let mut stmt = tx.prepare_cached(&format!(
        "INSERT INTO {table} ({owner_col}, {other_col}) VALUES (?1, ?2)"
    ))?;
    for other in others {
        stmt.execute([owner, other])?;
    }
    Ok(())
}

fn tags_json(tags: &[String]) -> String {
    serde_json::Value::from(tags.to_vec()).to_string()
}

/// A `count(*)` as the API shows it.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}
