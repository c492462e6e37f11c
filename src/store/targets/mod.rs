//! Inventory targets, their definitions and operations: create (upload), replace a
//! definition, the sync engine's upsert keyed by (importer, external key), list with
//! keyset pagination, read, edit, delete. One transaction per definition, so a
//! failure or a crash never leaves half a definition behind.
//!
//! - [`records`]: what reads return, and how rows become them;
//! - [`write`]: the writes a definition makes (target, definition, operations);
//! - [`edit`]: uploads and users' edits;
//! - [`imported`]: the sync engine's side (upsert, revisions, missing);
//! - [`list`]: the list endpoint's search and keyset pagination.

mod edit;
mod imported;
mod list;
pub(super) mod records;
mod write;

use apihub_connectors::normalize::NormalizedDefinition;

use crate::inventory::filter::Sort;
use crate::inventory::{Annotation, Source};

pub use records::{
    DefinitionRecord, LinkRecord, OperationRecord, TargetRecord, TargetRecords,
    TargetWithOperations,
};

/// A normalized definition and where it came from.
#[derive(Debug, Clone)]
pub struct NewDefinition {
    pub normalized: NormalizedDefinition,
    pub source: Source,
    pub source_name: Option<String>,
    pub url: Option<String>,
    /// What the connector built it from (no export was available).
    pub synthesized: Option<&'static str>,
    /// `apihub.<key>` annotations of single operations, from the source.
    pub operation_notes: Vec<apihub_connectors::connector::OperationNote>,
}

#[derive(Debug, Clone)]
pub struct NewTarget {
    pub name: String,
    pub description: Option<String>,
    pub definition: NewDefinition,
}

/// What an upsert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upsert {
    Created(String),
    Updated(String),
    Unchanged(String),
}

/// The parts of a target a user may edit.
#[derive(Debug, Clone, Default)]
pub struct TargetPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub is_hidden: Option<bool>,
    pub alternative_urls: Option<Vec<String>>,
    pub annotations: Option<Vec<Annotation>>,
    pub api_credential_id: Option<Option<String>>,
}

#[derive(Debug, Clone)]
pub struct ListQuery {
    pub limit: u32,
    pub cursor: Option<String>,
    pub search: Option<String>,
    pub sort: Sort,
    pub hidden: Option<bool>,
}
