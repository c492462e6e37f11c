//! Collections: groups of applications by business unit, team, region, ...

use rusqlite::{OptionalExtension, Row, params};

use crate::appsec::rules::Paging;
use crate::appsec::{Collection, CollectionType};
use crate::clock::format_ms;
use crate::store::targets::records::{bad, json_column};
use crate::store::{Store, StoreError};

use super::tags_json;

/// A checked collection to create.
#[derive(Debug, Clone)]
pub struct NewCollection {
    pub name: String,
    pub description: Option<String>,
    pub collection_type: CollectionType,
    pub tags: Vec<String>,
}

/// Checked changes; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct CollectionPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub collection_type: Option<CollectionType>,
    pub tags: Option<Vec<String>>,
}

const COLUMNS: &str = "id, name, description, collection_type, tags, created_at, updated_at";

fn from_row(org: &str) -> impl Fn(&Row<'_>) -> rusqlite::Result<Collection> + '_ {
    move |r| {
        let kind: String = r.get(3)?;
        Ok(Collection {
            id: r.get(0)?,
            organization_id: org.to_owned(),
            name: r.get(1)?,
            description: r.get(2)?,
            collection_type: kind.parse().map_err(|e| bad("collection_type", e))?,
            tags: json_column(r, 4, "tags")?,
            created_at: format_ms(r.get(5)?),
            updated_at: format_ms(r.get(6)?),
        })
    }
}

/// Every collection, oldest first.
pub(super) fn export(
    c: &rusqlite::Connection,
    org: &str,
    sink: &mut dyn FnMut(serde_json::Value) -> bool,
) -> Result<u64, StoreError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {COLUMNS} FROM appsec_collections ORDER BY created_at, id"
    ))?;
    let mut rows = stmt.query([])?;
    let read = from_row(org);
    let mut n = 0;
    while let Some(r) = rows.next()? {
        n += 1;
        if !super::emit(sink, &read(r)?)? {
            break;
        }
    }
    Ok(n)
}

impl Store {
    pub async fn create_collection(
        &self,
        org: String,
        new: NewCollection,
        now: i64,
    ) -> Result<Collection, StoreError> {
        self.write(move |tx| {
            let id = uuid::Uuid::now_v7().to_string();
            tx.execute(
                "INSERT INTO appsec_collections (id, name, description, collection_type, tags, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![id, new.name, new.description, new.collection_type.as_str(), tags_json(&new.tags), now],
            )?;
            tx.query_row(&format!("SELECT {COLUMNS} FROM appsec_collections WHERE id = ?1"), [&id], from_row(&org))
                .map_err(StoreError::from)
        })
        .await
    }

    pub async fn list_collections(
        &self,
        org: String,
        page: Paging,
    ) -> Result<(Vec<Collection>, u64), StoreError> {
        self.read(move |c| {
            let snapshot = c.unchecked_transaction()?;
            let total: i64 = snapshot.query_row("SELECT count(*) FROM appsec_collections", [], |r| r.get(0))?;
            let mut stmt = snapshot.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM appsec_collections ORDER BY created_at, id LIMIT ?1 OFFSET ?2"
            ))?;
            let items = stmt
                .query_map(params![page.size, page.offset()], from_row(&org))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok((items, super::count(total)))
        })
        .await
    }

    pub async fn get_collection(
        &self,
        org: String,
        id: String,
    ) -> Result<Option<Collection>, StoreError> {
        self.read(move |c| {
            c.query_row(
                &format!("SELECT {COLUMNS} FROM appsec_collections WHERE id = ?1"),
                [&id],
                from_row(&org),
            )
            .optional()
            .map_err(StoreError::from)
        })
        .await
    }

    pub async fn update_collection(
        &self,
        org: String,
        id: String,
        patch: CollectionPatch,
        now: i64,
    ) -> Result<Collection, StoreError> {
        self.write(move |tx| {
            let changed = tx.execute(
                "UPDATE appsec_collections SET name = coalesce(?2, name), \
                 description = CASE WHEN ?3 THEN ?4 ELSE description END, \
                 collection_type = coalesce(?5, collection_type), tags = coalesce(?6, tags), updated_at = ?7 \
                 WHERE id = ?1",
                params![
                    id,
                    patch.name,
                    patch.description.is_some(),
                    patch.description.flatten(),
                    patch.collection_type.map(CollectionType::as_str),
                    patch.tags.as_deref().map(tags_json),
                    now
                ],
            )?;
            if changed == 0 {
                return Err(StoreError::not_found("collection", id));
            }
            tx.query_row(&format!("SELECT {COLUMNS} FROM appsec_collections WHERE id = ?1"), [&id], from_row(&org))
                .map_err(StoreError::from)
        })
        .await
    }

    /// Deletes a collection; its applications stay (they leave it).
    pub async fn delete_collection(&self, id: String) -> Result<bool, StoreError> {
        self.write(move |tx| {
            Ok(tx.execute("DELETE FROM appsec_collections WHERE id = ?1", [&id])? > 0)
        })
        .await
    }
}
