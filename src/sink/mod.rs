//! Where synced definitions go. The sync engine hands each normalized definition
//! to a [`Sink`] keyed by (importer id, external key); the sink creates, replaces
//! (when the content hash differs) or leaves it, one transaction per definition.
//!
//! - [`embedded::EmbeddedSink`]: this daemon's own inventory (the default).
//! - [`remote::RemoteSink`]: another API Hub over HTTP (seed 001 wire contract).

pub mod embedded;
pub mod remote;

use apihub_connectors::ImporterType;
use apihub_connectors::normalize::NormalizedDefinition;
use async_trait::async_trait;

pub use crate::store::Upsert;

/// One definition to write, with where it came from.
#[derive(Debug, Clone)]
pub struct SinkItem {
    pub importer_id: String,
    pub importer_name: String,
    pub importer_type: ImporterType,
    pub external_key: String,
    /// Target name (the connector's display name for the API).
    pub name: String,
    pub definition: NormalizedDefinition,
    /// URLs the connector knows the API is served on, besides the definition's servers.
    pub urls: Vec<String>,
    /// What the connector built the document from (no export was available).
    pub synthesized: Option<&'static str>,
    /// The source revision the document was downloaded at (kept to skip the next
    /// download when it is unchanged).
    pub revision: Option<String>,
    /// What the source says about the API beyond its document (`apihub.<key>`).
    pub source_annotations: Vec<(String, String)>,
    /// What the source says about single operations (`apihub.<key>` on each).
    pub operation_notes: Vec<apihub_connectors::connector::OperationNote>,
}

/// A sink failure; `message` is short and safe for `lastRunFailReason`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    pub message: String,
    /// Worth retrying later (network, 5xx) rather than a permanent rejection.
    pub transient: bool,
}

#[async_trait]
pub trait Sink: Send + Sync {
    /// Creates, replaces or leaves the target of (`importer_id`, `external_key`).
    async fn upsert(&self, item: SinkItem) -> Result<Upsert, SinkError>;

    /// Items a run may have waiting for this sink per download slot. A sink that
    /// writes each item on its own (the remote one: a request each) takes one,
    /// so `maxConcurrentFetches` bounds what it is sent at once; one that groups
    /// the writes waiting together (the embedded inventory) gains from more.
    fn write_depth(&self) -> usize {
        1
    }

    /// Marks the importer's targets whose keys are not in `present` as missing
    /// (they are not deleted); returns how many of its targets are missing now.
    async fn mark_missing(&self, importer_id: &str, present: Vec<String>)
    -> Result<u32, SinkError>;

    /// The source revision each of the importer's APIs was last written at, for
    /// those the sink still holds (a target deleted by a user has none, so it is
    /// downloaded and created again).
    async fn revisions(
        &self,
        importer_id: &str,
    ) -> Result<std::collections::HashMap<String, String>, SinkError>;
}

/// The definition's servers followed by the connector's URLs, without duplicates.
pub fn merged_urls(item: &SinkItem) -> Vec<String> {
    let mut urls = item.definition.servers.clone();
    for u in &item.urls {
        if !urls.contains(u) {
            urls.push(u.clone());
        }
    }
    urls
}
