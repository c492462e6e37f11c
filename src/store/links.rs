//! Links between inventory targets and DAST scan targets (seed 001 `POST /links`).
//! A link's `baseUrl` is a `Target` asset of the Inventory API (seed 002), made
//! when none is, whose findings become the target's scan fields.

use rusqlite::{OptionalExtension, params};

use serde_json::Value;

use super::targets::records::{LINK_COLUMNS, link_from_row};
use super::{LinkRecord, Store, StoreError};

/// A link to store (checked by the API layer).
#[derive(Debug, Clone)]
pub struct NewLink {
    pub api_target_id: String,
    pub base_url: String,
    pub remote_target_id: String,
    pub remote_target_display_name: Option<String>,
    pub remote_target_additional_info: Option<String>,
    pub remote_target_scan_profile: Option<Value>,
    pub remote_target_extra: Option<Value>,
}

impl Store {
    /// Stores a link; `NotFound` when its target does not exist.
    pub async fn create_link(&self, req: NewLink, now: i64) -> Result<LinkRecord, StoreError> {
        self.write(move |tx| {
            let exists: Option<i64> = tx
                .query_row("SELECT 1 FROM api_targets WHERE id = ?1", [&req.api_target_id], |r| r.get(0))
                .optional()?;
            if exists.is_none() {
                return Err(StoreError::not_found("API target", req.api_target_id.as_str()));
            }
            let id = uuid::Uuid::now_v7().to_string();
            let json = |v: Option<Value>| v.map(|v| v.to_string());
            tx.execute(
                "INSERT INTO links (id, target_id, base_url, remote_target_id, remote_target_display_name, \
                 remote_target_additional_info, remote_target_scan_profile, remote_target_extra, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    id,
                    req.api_target_id,
                    req.base_url,
                    req.remote_target_id,
                    req.remote_target_display_name,
                    req.remote_target_additional_info,
                    json(req.remote_target_scan_profile),
                    json(req.remote_target_extra),
                    now,
                ],
            )?;
            // The DAST target is an Inventory API asset; its findings show on the target.
            let host = url::Url::parse(req.base_url.trim())
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| req.base_url.clone());
            let name = req
                .remote_target_display_name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty() && n.chars().count() <= 255)
                .map_or(host, str::to_owned);
            super::appsec::scans::asset_for_link(tx, &req.base_url, &name, now)?;
            super::appsec::scans::refresh_target(tx, &req.api_target_id)?;
            tx.query_row(&format!("SELECT {LINK_COLUMNS} FROM links WHERE id = ?1"), [&id], link_from_row)
                .map_err(StoreError::from)
        })
        .await
    }

    /// All links, or those of one target, oldest first.
    pub async fn list_links(
        &self,
        target_id: Option<String>,
    ) -> Result<Vec<LinkRecord>, StoreError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {LINK_COLUMNS} FROM links WHERE ?1 IS NULL OR target_id = ?1 ORDER BY created_at, id"
            ))?;
            let links = stmt.query_map([&target_id], link_from_row)?.collect::<Result<Vec<_>, _>>()?;
            Ok(links)
        })
        .await
    }

    pub async fn get_link(&self, id: &str) -> Result<Option<LinkRecord>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {LINK_COLUMNS} FROM links WHERE id = ?1"),
                [&id],
                link_from_row,
            )
            .optional()
            .map_err(StoreError::from)
        })
        .await
    }

    pub async fn delete_link(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |tx| {
            let target: Option<String> = tx
                .query_row("SELECT target_id FROM links WHERE id = ?1", [&id], |r| {
                    r.get(0)
                })
                .optional()?;
            let Some(target) = target else {
                return Ok(false);
            };
            tx.execute("DELETE FROM links WHERE id = ?1", [&id])?;
            super::appsec::scans::refresh_target(tx, &target)?;
            Ok(true)
        })
        .await
    }
}
