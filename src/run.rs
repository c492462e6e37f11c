//! What a sync run is, in the words the API, the store and the sync engine share:
//! why it started, how it ended, its counts and what it did with each item.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use apihub_connectors::wire_enum;

wire_enum! {
    /// Why a run started.
    pub enum RunTrigger {
        Schedule => "schedule",
        Manual => "manual",
        Startup => "startup",
    }
}

wire_enum! {
    pub enum RunStatus {
        Running => "Running",
        Completed => "Completed",
        Failed => "Failed",
    }
}

/// What a run did, item by item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunCounts {
    /// Items the source listed.
    pub discovered: u32,
    /// New inventory targets.
    pub created: u32,
    /// Targets whose definition changed and was replaced.
    pub updated: u32,
    /// Targets whose definition hash was unchanged (nothing written).
    pub unchanged: u32,
    /// Definitions with no operations that `excludeEmptySpecs` left out.
    pub skipped_empty: u32,
    /// Items the source reported but did not export (e.g. no deployed stage).
    pub skipped: u32,
    /// Items that could not be fetched, parsed or stored.
    pub failed: u32,
    /// Targets of this importer that the source no longer lists (marked, not deleted).
    pub missing: u32,
}

wire_enum! {
    /// What a run did with one item.
    pub enum ItemOutcome {
        Created => "created",
        Updated => "updated",
        /// The definition's content (or the source revision) was unchanged.
        Unchanged => "unchanged",
        /// No operations, and `excludeEmptySpecs` is set.
        SkippedEmpty => "skippedEmpty",
        /// The source reported it but did not export it (e.g. no deployed stage).
        Skipped => "skipped",
        Failed => "failed",
    }
}

/// What happened to one item of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemNote {
    pub external_key: String,
    pub name: Option<String>,
    pub outcome: ItemOutcome,
    pub message: Option<String>,
}
