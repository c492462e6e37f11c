//! Assets: scan targets (a URL) and repositories, members of applications. A
//! delete only marks an asset `deleted`: its findings stay, and lists hide it
//! unless asked.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use apihub_connectors::FieldError;

use crate::appsec::rules::{Paging, url_key};
use crate::appsec::{Asset, AssetType};
use crate::store::targets::records::{bad, json_column};
use crate::store::{Store, StoreError};

use super::{relate, related, require_ids, tags_json};

/// A checked asset to create.
#[derive(Debug, Clone)]
pub struct NewAsset {
    pub asset_type: AssetType,
    pub name: String,
    pub target_url: Option<String>,
    pub tags: Vec<String>,
    pub application_ids: Vec<String>,
}

/// Checked changes; `None` keeps a field, a list replaces the relation.
#[derive(Debug, Clone, Default)]
pub struct AssetPatch {
    pub asset_type: Option<AssetType>,
    pub name: Option<String>,
    pub target_url: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub application_ids: Option<Vec<String>>,
    pub deleted: Option<bool>,
}

/// What an asset list is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub application_id: Option<String>,
    pub asset_type: Option<AssetType>,
    /// Matched as [`url_key`] (case of scheme and host, default port and a
    /// trailing slash do not matter).
    pub target_url: Option<String>,
    pub include_deleted: bool,
}

const APPLICATIONS_OF: &str = "SELECT application_id FROM appsec_application_assets \
    WHERE asset_id = ?1 ORDER BY application_id";

fn load(c: &Connection, org: &str, id: &str) -> Result<Option<Asset>, StoreError> {
    let row = c
        .query_row(
            "SELECT asset_type, name, target_url, tags, deleted FROM appsec_assets WHERE id = ?1",
            [id],
            |r| {
                let kind: String = r.get(0)?;
                Ok((
                    kind.parse::<AssetType>()
                        .map_err(|e| bad("asset_type", e))?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    json_column::<Vec<String>>(r, 3, "tags")?,
                    r.get::<_, bool>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((asset_type, name, target_url, tags, deleted)) = row else {
        return Ok(None);
    };
    Ok(Some(Asset {
        id: id.to_owned(),
        organization_id: org.to_owned(),
        application_ids: related(c, APPLICATIONS_OF, id)?,
        asset_type,
        name,
        target_url,
        tags,
        deleted,
    }))
}

fn loaded(c: &Connection, org: &str, id: &str) -> Result<Asset, StoreError> {
    load(c, org, id)?.ok_or_else(|| StoreError::not_found("asset", id))
}

/// A target needs a URL, and one live target per URL: a scan's findings must
/// know which asset they belong to.
fn check_target(
    tx: &Transaction<'_>,
    id: &str,
    kind: AssetType,
    url: Option<&str>,
) -> Result<(), StoreError> {
    if kind != AssetType::Target {
        return Ok(());
    }
    let Some(key) = url.and_then(url_key) else {
        return Err(FieldError::new("targetUrl", "a Target asset needs a targetUrl").into());
    };
    let other: Option<String> = tx
        .query_row(
            "SELECT id FROM appsec_assets WHERE url_key = ?1 AND asset_type = 'Target' AND deleted = 0 AND id <> ?2",
            [&key, id],
            |r| r.get(0),
        )
        .optional()?;
    match other {
        Some(other) => Err(StoreError::Conflict(format!(
            "asset `{other}` is already the Target for this targetUrl"
        ))),
        None => Ok(()),
    }
}

/// Inserts a live `Target` asset (no tags, no applications); returns its id.
pub(super) fn insert_target(
    tx: &Transaction<'_>,
    name: &str,
    target_url: &str,
    now: i64,
) -> Result<String, StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    tx.execute(
        "INSERT INTO appsec_assets (id, asset_type, name, target_url, url_key, tags, deleted, created_at, updated_at) \
         VALUES (?1, 'Target', ?2, ?3, ?4, '[]', 0, ?5, ?5)",
        params![id, name, target_url, url_key(target_url), now],
    )?;
    Ok(id)
}

fn write_applications(tx: &Transaction<'_>, id: &str, ids: &[String]) -> Result<(), StoreError> {
    require_ids(
        tx,
        "appsec_applications",
        "application",
        "applicationIds",
        ids,
    )?;
    relate(
        tx,
        "appsec_application_assets",
        "asset_id",
        "application_id",
        id,
        ids,
    )
}

const FILTER_SQL: &str = "(?1 IS NULL OR EXISTS (SELECT 1 FROM appsec_application_assets x \
        WHERE x.asset_id = a.id AND x.application_id = ?1)) \
     AND (?2 IS NULL OR a.asset_type = ?2) AND (?3 IS NULL OR a.url_key = ?3) AND (?4 OR a.deleted = 0)";

/// Every asset matching `filter`, oldest first.
pub(super) fn export(
    c: &Connection,
    org: &str,
    filter: &AssetFilter,
    sink: &mut dyn FnMut(serde_json::Value) -> bool,
) -> Result<u64, StoreError> {
    let key = filter.target_url.as_deref().and_then(url_key);
    if filter.target_url.is_some() && key.is_none() {
        return Ok(0);
    }
    let mut stmt = c.prepare(&format!(
        "SELECT a.id FROM appsec_assets a WHERE {FILTER_SQL} ORDER BY a.created_at, a.id"
    ))?;
    let mut rows = stmt.query(params![
        filter.application_id,
        filter.asset_type.map(AssetType::as_str),
        key,
        filter.include_deleted
    ])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let Some(asset) = load(c, org, &id)? else {
            continue;
        };
        n += 1;
        if !super::emit(sink, &asset)? {
            break;
        }
    }
    Ok(n)
}

impl Store {
    pub async fn create_asset(
        &self,
        org: String,
        new: NewAsset,
        now: i64,
    ) -> Result<Asset, StoreError> {
        self.write(move |tx| {
            let id = uuid::Uuid::now_v7().to_string();
            check_target(tx, &id, new.asset_type, new.target_url.as_deref())?;
            tx.execute(
                "INSERT INTO appsec_assets (id, asset_type, name, target_url, url_key, tags, deleted, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7)",
                params![
                    id,
                    new.asset_type.as_str(),
                    new.name,
                    new.target_url,
                    new.target_url.as_deref().and_then(url_key),
                    tags_json(&new.tags),
                    now
                ],
            )?;
            write_applications(tx, &id, &new.application_ids)?;
            loaded(tx, &org, &id)
        })
        .await
    }

    /// A page of assets, oldest first, and the total.
    pub async fn list_assets(
        &self,
        org: String,
        filter: AssetFilter,
        page: Paging,
    ) -> Result<(Vec<Asset>, u64), StoreError> {
        self.read(move |c| {
            let snapshot = c.unchecked_transaction()?;
            let key = filter.target_url.as_deref().and_then(url_key);
            if filter.target_url.is_some() && key.is_none() {
                return Ok((Vec::new(), 0));
            }
            let filter_sql = FILTER_SQL;
            let kind = filter.asset_type.map(AssetType::as_str);
            let total: i64 = snapshot.query_row(
                &format!("SELECT count(*) FROM appsec_assets a WHERE {filter_sql}"),
                params![filter.application_id, kind, key, filter.include_deleted],
                |r| r.get(0),
            )?;
            let ids: Vec<String> = snapshot
                .prepare_cached(&format!(
                    "SELECT a.id FROM appsec_assets a WHERE {filter_sql} ORDER BY a.created_at, a.id LIMIT ?5 OFFSET ?6"
                ))?
                .query_map(
                    params![
                        filter.application_id,
                        kind,
                        key,
                        filter.include_deleted,
                        page.size,
                        page.offset()
                    ],
                    |r| r.get(0),
                )?
                .collect::<Result<_, _>>()?;
            let mut items = Vec::with_capacity(ids.len());
            for id in &ids {
                items.extend(load(&snapshot, &org, id)?);
            }
            Ok((items, super::count(total)))
        })
        .await
    }

    /// One asset; a deleted one only with `include_deleted`.
    pub async fn get_asset(
        &self,
        org: String,
        id: String,
        include_deleted: bool,
    ) -> Result<Option<Asset>, StoreError> {
        self.read(move |c| Ok(load(c, &org, &id)?.filter(|a| include_deleted || !a.deleted)))
            .await
    }

    pub async fn update_asset(
        &self,
        org: String,
        id: String,
        patch: AssetPatch,
        now: i64,
    ) -> Result<Asset, StoreError> {
        self.write(move |tx| {
            let current = loaded(tx, &org, &id)?;
            // A deleted asset is hidden: only its restore reaches it.
            if current.deleted && patch.deleted != Some(false) {
                return Err(StoreError::not_found("asset", id));
            }
            let kind = patch.asset_type.unwrap_or(current.asset_type);
            let url = match &patch.target_url {
                Some(u) => u.clone(),
                None => current.target_url.clone(),
            };
            if !patch.deleted.unwrap_or(current.deleted) {
                check_target(tx, &id, kind, url.as_deref())?;
            }
            tx.execute(
                "UPDATE appsec_assets SET asset_type = ?2, name = coalesce(?3, name), target_url = ?4, url_key = ?5, \
                 tags = coalesce(?6, tags), deleted = coalesce(?7, deleted), updated_at = ?8 WHERE id = ?1",
                params![
                    id,
                    kind.as_str(),
                    patch.name,
                    url,
                    url.as_deref().and_then(url_key),
                    patch.tags.as_deref().map(tags_json),
                    patch.deleted,
                    now
                ],
            )?;
            if let Some(ids) = &patch.application_ids {
                write_applications(tx, &id, ids)?;
            }
            // Linked API targets follow the asset's URL and deletion, the old
            // URL's targets too.
            let keys: std::collections::BTreeSet<String> = [current.target_url.as_deref(), url.as_deref()]
                .into_iter()
                .flatten()
                .filter_map(url_key)
                .collect();
            super::scans::refresh_for_urls(tx, &keys)?;
            loaded(tx, &org, &id)
        })
        .await
    }

    /// Marks an asset deleted; `false` when there is no such live asset.
    pub async fn delete_asset(&self, id: String, now: i64) -> Result<bool, StoreError> {
        self.write(move |tx| {
            let gone = tx.execute(
                "UPDATE appsec_assets SET deleted = 1, updated_at = ?2 WHERE id = ?1 AND deleted = 0",
                params![id, now],
            )? > 0;
            if gone {
                super::scans::refresh_for_assets(tx, &std::collections::BTreeSet::from([id]))?;
            }
            Ok(gone)
        })
        .await
    }
}
