//! The connector contract (after the Airbyte protocol's `check` / `read` verbs and
//! Backstage's full-snapshot entity providers): a connector lists every API visible
//! to one importer and hands back raw definitions. It never writes anywhere; the sync
//! engine normalizes, compares and stores what it returns.

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::error::ConnectorError;
use crate::normalize::DefinitionFormat;

/// What every call gets from the daemon. Connectors read their own typed parameters
/// when they are built; the context carries what is shared by all of them.
#[derive(Clone, Debug)]
pub struct Context {
    pub importer_id: String,
    pub importer_name: String,
    /// Cancelled when the importer is deleted, the run times out or the daemon stops.
    pub cancel: CancellationToken,
}

impl Context {
    pub fn new(importer_id: impl Into<String>, importer_name: impl Into<String>) -> Self {
        Context {
            importer_id: importer_id.into(),
            importer_name: importer_name.into(),
            cancel: CancellationToken::new(),
        }
    }

    /// Fails with a transient error once the run is cancelled, so loops can `?` it.
    pub fn ensure_active(&self) -> Result<(), ConnectorError> {
        if self.cancel.is_cancelled() {
            Err(ConnectorError::transient("run cancelled"))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
pub trait Connector: Send + Sync {
    /// Verify credentials and reachability cheaply (one list call).
    async fn check(&self, cx: &Context) -> Result<(), ConnectorError>;

    /// Every API visible to this importer: a full snapshot, one item per API.
    /// Items that fail individually are reported in the item, not as an `Err`.
    async fn fetch(&self, cx: &Context) -> Result<Vec<Fetched>, ConnectorError>;
}

/// One API as the source platform has it.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Stable identity within the importer (e.g. `account:region:apiId:stage`).
    pub external_key: String,
    /// Display name for the inventory target; `None` lets the definition's title
    /// (else the external key) name it.
    pub name: Option<String>,
    pub outcome: FetchOutcome,
}

#[derive(Debug, Clone)]
pub enum FetchOutcome {
    /// The definition was retrieved.
    Document(Document),
    /// Deliberately not exported (e.g. no deployed stage); reported, not an error.
    Skipped { reason: String },
    /// This item could not be fetched; the rest of the run goes on.
    Failed(ConnectorError),
}

/// A raw definition and what the source told us about it.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub bytes: Vec<u8>,
    pub format_hint: Option<DefinitionFormat>,
    pub content_type: Option<String>,
    pub file_name: Option<String>,
    /// Base URLs the API is served on (become `alternativeUrls`).
    pub urls: Vec<String>,
    /// True when the connector built the document itself (no export available).
    pub synthesized: bool,
}
