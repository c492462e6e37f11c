//! Traffic observations of `invicti_nad_agent` importers: recorded by the ingestion
//! route, rewritten by a run's template learning, read by the shadow-API report.
//! Each call is one transaction, so an accepted batch is kept whole or not at all,
//! and a run's rewrite never loses a batch recorded while it learned.

use apihub_connectors::nad::ObservedOp;
use apihub_connectors::nad::importer::TrafficStore;
use apihub_connectors::nad::observe::Stats;
use apihub_connectors::nad::shadow::Documented;
use async_trait::async_trait;
use rusqlite::{Connection, Transaction, params};

use super::{Store, StoreError};
use crate::clock::Clock;

fn corrupt(what: &str, e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("nad_observations.{what}: {e}"))
}

/// Every observation of `importer_id`.
fn load(c: &Connection, importer_id: &str) -> Result<Vec<ObservedOp>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT origin, method, path, stats FROM nad_observations WHERE importer_id = ?1 \
         ORDER BY origin, path, method",
    )?;
    let rows = stmt.query_map([importer_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (origin, method, path, stats) = row?;
        out.push(ObservedOp {
            origin,
            method,
            path: serde_json::from_str(&path).map_err(|e| corrupt("path", e))?,
            stats: serde_json::from_str::<Stats>(&stats).map_err(|e| corrupt("stats", e))?,
        });
    }
    Ok(out)
}

/// Writes `op` merged with the stored observation of the same key.
fn merge_one(tx: &Transaction<'_>, importer_id: &str, op: ObservedOp) -> Result<(), StoreError> {
    let path = serde_json::to_string(&op.path).map_err(|e| corrupt("path", e))?;
    let stored: Option<String> = tx
        .prepare_cached(
            "SELECT stats FROM nad_observations WHERE importer_id = ?1 AND origin = ?2 \
             AND method = ?3 AND path = ?4",
        )?
        .query_row(params![importer_id, op.origin, op.method, path], |r| {
            r.get(0)
        })
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    let mut merged = op;
    if let Some(text) = stored {
        let mut old = ObservedOp {
            stats: serde_json::from_str(&text).map_err(|e| corrupt("stats", e))?,
            ..merged.clone()
        };
        old.merge(&merged);
        merged = old;
    }
    let stats = serde_json::to_string(&merged.stats).map_err(|e| corrupt("stats", e))?;
    tx.prepare_cached(
        "INSERT INTO nad_observations (importer_id, origin, method, path, stats, last_seen) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (importer_id, origin, method, path) \
         DO UPDATE SET stats = excluded.stats, last_seen = excluded.last_seen",
    )?
    .execute(params![
        importer_id,
        merged.origin,
        merged.method,
        path,
        stats,
        merged.stats.last_seen
    ])?;
    Ok(())
}

impl Store {
    /// Merges a batch's observations; with `file`, only once per capture file.
    pub async fn record_traffic(
        &self,
        importer_id: String,
        file: Option<String>,
        observed: Vec<ObservedOp>,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.write(move |tx| {
            if let Some(file) = &file {
                let inserted = tx.execute(
                    "INSERT OR IGNORE INTO nad_files (importer_id, file, recorded_at) VALUES (?1, ?2, ?3)",
                    params![importer_id, file, now],
                )?;
                if inserted == 0 {
                    return Ok(false);
                }
            }
            for op in observed {
                merge_one(tx, &importer_id, op)?;
            }
            Ok(true)
        })
        .await
    }

    pub async fn traffic_file_recorded(
        &self,
        importer_id: String,
        file: String,
    ) -> Result<bool, StoreError> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM nad_files WHERE importer_id = ?1 AND file = ?2)",
                params![importer_id, file],
                |r| r.get(0),
            )?)
        })
        .await
    }

    /// Replaces the importer's observations by `learn` of them.
    pub async fn relearn_traffic(
        &self,
        importer_id: String,
        learn: fn(Vec<ObservedOp>) -> Vec<ObservedOp>,
    ) -> Result<Vec<ObservedOp>, StoreError> {
        self.write(move |tx| {
            let before = load(tx, &importer_id)?;
            let learned = learn(before.clone());
            if learned != before {
                tx.execute(
                    "DELETE FROM nad_observations WHERE importer_id = ?1",
                    [&importer_id],
                )?;
                // A duplicate key (none expected) merges rather than fails.
                for op in learned.iter().cloned() {
                    merge_one(tx, &importer_id, op)?;
                }
            }
            Ok(learned)
        })
        .await
    }

    /// The observations of every `invicti_nad_agent` importer, as last learned.
    pub async fn all_traffic(&self) -> Result<Vec<(String, Vec<ObservedOp>)>, StoreError> {
        self.read(|c| {
            let ids: Vec<String> = c
                .prepare("SELECT DISTINCT importer_id FROM nad_observations ORDER BY importer_id")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            ids.into_iter()
                .map(|id| load(c, &id).map(|ops| (id, ops)))
                .collect()
        })
        .await
    }

    /// Operations of targets not discovered from traffic whose alternative URLs
    /// are on one of `origins`.
    pub async fn documented_operations(
        &self,
        origins: Vec<String>,
    ) -> Result<Vec<Documented>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT t.alternative_urls, o.type, o.endpoint, t.name FROM operations o \
                 JOIN api_targets t ON t.id = o.target_id \
                 WHERE o.source_mode <> 'Discovered' AND EXISTS (SELECT 1 FROM json_each(t.alternative_urls) u \
                   WHERE u.value = ?1 OR u.value LIKE ?2 ESCAPE '\\') \
                 ORDER BY t.id, o.position",
            )?;
            let mut out = Vec::new();
            for origin in &origins {
                let like = format!(
                    "{}/%",
                    origin.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
                );
                let rows = stmt.query_map(params![origin, like], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })?;
                for row in rows {
                    let (urls, method, endpoint, source) = row?;
                    out.push(Documented {
                        urls: serde_json::from_str(&urls).unwrap_or_default(),
                        method,
                        endpoint,
                        source,
                    });
                }
            }
            Ok(out)
        })
        .await
    }
}

/// The store as connectors see it.
pub struct StoreTraffic {
    pub store: Store,
    pub clock: Clock,
}

#[async_trait]
impl TrafficStore for StoreTraffic {
    async fn record(
        &self,
        importer_id: &str,
        file: Option<String>,
        observed: Vec<ObservedOp>,
    ) -> Result<bool, String> {
        self.store
            .record_traffic(importer_id.to_owned(), file, observed, self.clock.now_ms())
            .await
            .map_err(|e| e.to_string())
    }

    async fn recorded(&self, importer_id: &str, file: &str) -> Result<bool, String> {
        self.store
            .traffic_file_recorded(importer_id.to_owned(), file.to_owned())
            .await
            .map_err(|e| e.to_string())
    }

    async fn relearn(
        &self,
        importer_id: &str,
        learn: fn(Vec<ObservedOp>) -> Vec<ObservedOp>,
    ) -> Result<Vec<ObservedOp>, String> {
        self.store
            .relearn_traffic(importer_id.to_owned(), learn)
            .await
            .map_err(|e| e.to_string())
    }

    async fn documented(&self, origins: &[String]) -> Result<Vec<Documented>, String> {
        self.store
            .documented_operations(origins.to_vec())
            .await
            .map_err(|e| e.to_string())
    }

    fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
