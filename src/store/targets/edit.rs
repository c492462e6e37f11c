//! Uploads and users' edits: create a target (once per idempotency key), replace a
//! definition, patch, delete, exclude an operation, read.

use rusqlite::{OptionalExtension, params};

use super::records::{
    OPERATION_COLUMNS, OperationRecord, TargetWithOperations, operation_from_row, read_detail,
    read_target, written,
};
use super::write::{insert_target, replace, urls_json};
use super::{NewDefinition, NewTarget, TargetPatch};
use crate::store::{Store, StoreError};

impl Store {
    /// Creates a target from a definition (the upload endpoint).
    pub async fn create_target(
        &self,
        new: NewTarget,
        now: i64,
    ) -> Result<TargetWithOperations, StoreError> {
        self.create_target_once(new, None, now)
            .await
            .map(|(detail, _)| detail)
    }

    /// Creates a target unless one was already created with the idempotency key, in
    /// which case that one is returned and nothing is written, with the request id
    /// its create carried (`Some` only for such a replay).
    pub async fn create_target_once(
        &self,
        new: NewTarget,
        idempotency: Option<(String, Option<String>)>,
        now: i64,
    ) -> Result<(TargetWithOperations, Option<String>), StoreError> {
        self.write(move |tx| {
            if let Some((key, _)) = &idempotency {
                let existing: Option<(String, Option<String>)> = tx
                    .query_row(
                        "SELECT id, idempotency_request FROM api_targets WHERE idempotency_key = ?1",
                        [key],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                if let Some((id, request)) = existing {
                    let detail = written(tx, &id)?;
                    return Ok((detail, Some(request.unwrap_or_default())));
                }
            }
            let id = insert_target(tx, &new, None, now)?;
            if let Some((key, request)) = &idempotency {
                tx.execute(
                    "UPDATE api_targets SET idempotency_key = ?2, idempotency_request = ?3 WHERE id = ?1",
                    params![id, key, request],
                )?;
            }
            Ok((written(tx, &id)?, None))
        })
        .await
    }

    /// Replaces one definition of a target with new content (an edit by a user).
    pub async fn replace_definition(
        &self,
        target_id: String,
        definition_id: String,
        new: NewDefinition,
        now: i64,
    ) -> Result<TargetWithOperations, StoreError> {
        self.write(move |tx| {
            let target = NewTarget {
                name: String::new(),
                description: None,
                definition: new,
            };
            replace(tx, &target_id, &definition_id, &target, false, now)?;
            written(tx, &target_id)
        })
        .await
    }
}

impl Store {
    /// The original bytes and format of a target's definition.
    pub async fn definition_content(
        &self,
        target_id: &str,
        definition_id: &str,
    ) -> Result<Option<(Vec<u8>, String)>, StoreError> {
        let (t, d) = (target_id.to_owned(), definition_id.to_owned());
        self.read(move |c| {
            c.query_row(
                "SELECT content, format FROM definitions WHERE id = ?1 AND target_id = ?2",
                params![d, t],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(StoreError::from)
        })
        .await
    }

    pub async fn get_target(&self, id: &str) -> Result<Option<TargetWithOperations>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| read_detail(c, &id)).await
    }

    pub async fn delete_target(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.write(move |tx| Ok(tx.execute("DELETE FROM api_targets WHERE id = ?1", [&id])? > 0))
            .await
    }

    pub async fn patch_target(
        &self,
        id: String,
        patch: TargetPatch,
        now: i64,
    ) -> Result<TargetWithOperations, StoreError> {
        self.write(move |tx| {
            if read_target(tx, &id)?.is_none() {
                return Err(StoreError::not_found("API target", id.as_str()));
            }
            if let Some(name) = &patch.name {
                tx.execute(
                    "UPDATE api_targets SET name = ?2, name_key = ?3 WHERE id = ?1",
                    params![id, name, crate::text::name_key(name)],
                )?;
            }
            if let Some(description) = &patch.description {
                tx.execute(
                    "UPDATE api_targets SET description = ?2 WHERE id = ?1",
                    params![id, description],
                )?;
            }
            if let Some(hidden) = patch.is_hidden {
                tx.execute(
                    "UPDATE api_targets SET is_hidden = ?2 WHERE id = ?1",
                    params![id, hidden],
                )?;
            }
            if let Some(urls) = &patch.alternative_urls {
                tx.execute(
                    "UPDATE api_targets SET alternative_urls = ?2 WHERE id = ?1",
                    params![id, urls_json(urls)],
                )?;
            }
            if let Some(annotations) = &patch.annotations {
                let json = serde_json::to_string(annotations).unwrap_or_else(|_| "[]".into());
                tx.execute(
                    "UPDATE api_targets SET annotations = ?2 WHERE id = ?1",
                    params![id, json],
                )?;
            }
            if let Some(cred) = &patch.api_credential_id {
                tx.execute(
                    "UPDATE api_targets SET api_credential_id = ?2 WHERE id = ?1",
                    params![id, cred],
                )?;
            }
            tx.execute(
                "UPDATE api_targets SET modified_at = ?2 WHERE id = ?1",
                params![id, now],
            )?;
            written(tx, &id)
        })
        .await
    }

    pub async fn set_operation_excluded(
        &self,
        target_id: String,
        operation_id: String,
        excluded: bool,
    ) -> Result<OperationRecord, StoreError> {
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE operations SET exclude_operation = ?3 WHERE id = ?2 AND target_id = ?1",
                params![target_id, operation_id, excluded],
            )?;
            if n == 0 {
                return Err(StoreError::not_found(
                    "operation",
                    format!("{target_id}/{operation_id}"),
                ));
            }
            tx.query_row(
                &format!("SELECT {OPERATION_COLUMNS} FROM operations WHERE id = ?1"),
                [&operation_id],
                operation_from_row,
            )
            .map_err(StoreError::from)
        })
        .await
    }
}
