//! Applications: groups of assets, members of collections.

use rusqlite::{Connection, OptionalExtension, params};

use crate::appsec::rules::Paging;
use crate::appsec::{Application, AssetCounts};
use crate::store::targets::records::json_column;
use crate::store::{Store, StoreError};

use super::{relate, related, require_ids, tags_json};

/// A checked application to create.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub name: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub asset_ids: Vec<String>,
    pub collection_ids: Vec<String>,
}

/// Checked changes; `None` keeps a field, a list replaces the relation.
#[derive(Debug, Clone, Default)]
pub struct ApplicationPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub asset_ids: Option<Vec<String>>,
    pub collection_ids: Option<Vec<String>>,
}

const ASSETS_OF: &str = "SELECT x.asset_id FROM appsec_application_assets x \
    JOIN appsec_assets s ON s.id = x.asset_id WHERE x.application_id = ?1 AND s.deleted = 0 ORDER BY x.asset_id";
const COLLECTIONS_OF: &str = "SELECT collection_id FROM appsec_application_collections \
    WHERE application_id = ?1 ORDER BY collection_id";

/// One application with its relations; `counts` adds `assetCounts`.
fn load(
    c: &Connection,
    org: &str,
    id: &str,
    counts: bool,
) -> Result<Option<Application>, StoreError> {
    let row = c
        .query_row(
            "SELECT name, description, tags FROM appsec_applications WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    json_column(r, 2, "tags")?,
                ))
            },
        )
        .optional()?;
    let Some((name, description, tags)) = row else {
        return Ok(None);
    };
    let asset_counts = if counts {
        let (targets, repositories) = c.query_row(
            "SELECT count(*) FILTER (WHERE s.asset_type = 'Target'), count(*) FILTER (WHERE s.asset_type = 'Repository') \
             FROM appsec_application_assets x JOIN appsec_assets s ON s.id = x.asset_id \
             WHERE x.application_id = ?1 AND s.deleted = 0",
            [id],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )?;
        Some(AssetCounts {
            targets: super::count(targets),
            repositories: super::count(repositories),
        })
    } else {
        None
    };
    Ok(Some(Application {
        id: id.to_owned(),
        organization_id: org.to_owned(),
        collection_ids: related(c, COLLECTIONS_OF, id)?,
        asset_ids: related(c, ASSETS_OF, id)?,
        name,
        description,
        tags,
        asset_counts,
    }))
}

fn write_relations(
    tx: &rusqlite::Transaction<'_>,
    id: &str,
    asset_ids: Option<&[String]>,
    collection_ids: Option<&[String]>,
) -> Result<(), StoreError> {
    if let Some(ids) = asset_ids {
        require_ids(tx, "appsec_assets", "asset", "assetIds", ids)?;
        relate(
            tx,
            "appsec_application_assets",
            "application_id",
            "asset_id",
            id,
            ids,
        )?;
    }
    if let Some(ids) = collection_ids {
        require_ids(tx, "appsec_collections", "collection", "collectionIds", ids)?;
        relate(
            tx,
            "appsec_application_collections",
            "application_id",
            "collection_id",
            id,
            ids,
        )?;
    }
    Ok(())
}

fn loaded(c: &Connection, org: &str, id: &str) -> Result<Application, StoreError> {
    load(c, org, id, true)?.ok_or_else(|| StoreError::not_found("application", id))
}

/// Every application with its asset counts, oldest first.
pub(super) fn export(
    c: &Connection,
    org: &str,
    sink: &mut dyn FnMut(serde_json::Value) -> bool,
) -> Result<u64, StoreError> {
    let mut stmt = c.prepare("SELECT id FROM appsec_applications ORDER BY created_at, id")?;
    let mut rows = stmt.query([])?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let Some(app) = load(c, org, &id, true)? else {
            continue;
        };
        n += 1;
        if !super::emit(sink, &app)? {
            break;
        }
    }
    Ok(n)
}

impl Store {
    pub async fn create_application(
        &self,
        org: String,
        new: NewApplication,
        now: i64,
    ) -> Result<Application, StoreError> {
        self.write(move |tx| {
            let id = uuid::Uuid::now_v7().to_string();
            tx.execute(
                "INSERT INTO appsec_applications (id, name, description, tags, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![id, new.name, new.description, tags_json(&new.tags), now],
            )?;
            write_relations(tx, &id, Some(&new.asset_ids), Some(&new.collection_ids))?;
            loaded(tx, &org, &id)
        })
        .await
    }

    /// A page of applications, oldest first, and the total.
    pub async fn list_applications(
        &self,
        org: String,
        page: Paging,
        counts: bool,
    ) -> Result<(Vec<Application>, u64), StoreError> {
        self.read(move |c| {
            let snapshot = c.unchecked_transaction()?;
            let total: i64 =
                snapshot.query_row("SELECT count(*) FROM appsec_applications", [], |r| r.get(0))?;
            let ids: Vec<String> = snapshot
                .prepare_cached(
                    "SELECT id FROM appsec_applications ORDER BY created_at, id LIMIT ?1 OFFSET ?2",
                )?
                .query_map(params![page.size, page.offset()], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut items = Vec::with_capacity(ids.len());
            for id in &ids {
                items.extend(load(&snapshot, &org, id, counts)?);
            }
            Ok((items, super::count(total)))
        })
        .await
    }

    pub async fn get_application(
        &self,
        org: String,
        id: String,
    ) -> Result<Option<Application>, StoreError> {
        self.read(move |c| load(c, &org, &id, true)).await
    }

    pub async fn update_application(
        &self,
        org: String,
        id: String,
        patch: ApplicationPatch,
        now: i64,
    ) -> Result<Application, StoreError> {
        self.write(move |tx| {
            let changed = tx.execute(
                "UPDATE appsec_applications SET name = coalesce(?2, name), \
                 description = CASE WHEN ?3 THEN ?4 ELSE description END, \
                 tags = coalesce(?5, tags), updated_at = ?6 WHERE id = ?1",
                params![
                    id,
                    patch.name,
                    patch.description.is_some(),
                    patch.description.flatten(),
                    patch.tags.as_deref().map(tags_json),
                    now
                ],
            )?;
            if changed == 0 {
                return Err(StoreError::not_found("application", id));
            }
            write_relations(
                tx,
                &id,
                patch.asset_ids.as_deref(),
                patch.collection_ids.as_deref(),
            )?;
            loaded(tx, &org, &id)
        })
        .await
    }

    /// Deletes an application; its assets and collections stay.
    pub async fn delete_application(&self, id: String) -> Result<bool, StoreError> {
        self.write(move |tx| {
            Ok(tx.execute("DELETE FROM appsec_applications WHERE id = ?1", [&id])? > 0)
        })
        .await
    }
}
