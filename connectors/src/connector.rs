//! The connector contract (after the Airbyte protocol's `check` / `read` verbs and
//! Backstage's full-snapshot entity providers), in two phases: a connector *lists*
//! every API visible to one importer, pushing each as the source pages through
//! them, with a stable key and, where the platform has one, a *source revision*;
//! downloading a document is a separate step the sync engine takes only when the
//! revision changed. A connector never writes anywhere; the sync engine normalizes,
//! compares and stores what it gets.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use tokio::sync::mpsc;
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

    /// Every API visible to this importer, pushed to `out` as found. `Ok(())` means
    /// the listing is complete (only then may the sync engine mark APIs missing).
    /// Items that fail individually are pushed as [`Item::Failed`], not returned.
    async fn list(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError>;
}

/// One API as the listing found it.
pub struct Listed {
    /// Stable identity within the importer (e.g. `account:region:apiId:stage`).
    pub external_key: String,
    /// Display name for the inventory target; `None` lets the definition's title
    /// (else the external key) name it.
    pub name: Option<String>,
    /// A token the platform changes when the API's content changes (a deployment
    /// id, a file's size and modification time, an ETag). `None`: unknown, so the
    /// document is downloaded every run.
    pub revision: Option<String>,
    pub item: Item,
}

pub enum Item {
    /// The document can be downloaded with this.
    Fetch(Fetch),
    /// Deliberately not exported (e.g. no deployed stage); reported, not an error.
    Skipped { reason: String },
    /// This item could not be listed; the rest of the run goes on.
    Failed(ConnectorError),
}

/// Downloads one document. It owns what it needs (shared clients behind `Arc`), so
/// the sync engine can run several while the listing goes on.
pub type Fetch = Box<
    dyn FnOnce() -> Pin<Box<dyn Future<Output = Result<Document, ConnectorError>> + Send>> + Send,
>;

/// Wraps an async block as a [`Fetch`].
pub fn fetch<F>(f: F) -> Item
where
    F: Future<Output = Result<Document, ConnectorError>> + Send + 'static,
{
    Item::Fetch(Box::new(move || Box::pin(f)))
}

impl Listed {
    pub fn new(external_key: impl Into<String>, item: Item) -> Listed {
        Listed {
            external_key: external_key.into(),
            name: None,
            revision: None,
            item,
        }
    }

    pub fn named(mut self, name: impl Into<String>) -> Listed {
        self.name = Some(name.into());
        self
    }

    pub fn revision(mut self, revision: impl Into<String>) -> Listed {
        self.revision = Some(revision.into());
        self
    }
}

impl std::fmt::Debug for Listed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let item = match &self.item {
            Item::Fetch(_) => "fetch".to_owned(),
            Item::Skipped { reason } => format!("skipped: {reason}"),
            Item::Failed(e) => format!("failed: {e}"),
        };
        f.debug_struct("Listed")
            .field("external_key", &self.external_key)
            .field("name", &self.name)
            .field("revision", &self.revision)
            .field("item", &item)
            .finish()
    }
}

/// Where a connector pushes what it lists: a bounded channel, so a listing never
/// runs far ahead of the downloads and holds no documents itself.
pub struct Listing {
    tx: mpsc::Sender<Listed>,
    pushed: AtomicUsize,
    stop: CancellationToken,
}

impl Listing {
    /// A listing and the receiving end the sync engine reads from; `stop` (the
    /// run's cancellation) also ends a push waiting for room.
    pub fn channel(capacity: usize, stop: CancellationToken) -> (Listing, mpsc::Receiver<Listed>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (
            Listing {
                tx,
                pushed: AtomicUsize::new(0),
                stop,
            },
            rx,
        )
    }

    /// Hands one item on; fails (as a cancellation) when the run stops or nobody
    /// reads any more.
    pub async fn push(&self, item: Listed) -> Result<(), ConnectorError> {
        let cancelled = || ConnectorError::transient("run cancelled");
        tokio::select! {
            sent = self.tx.send(item) => sent.map_err(|_| cancelled())?,
            () = self.stop.cancelled() => return Err(cancelled()),
        }
        self.pushed.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Items pushed so far.
    pub fn pushed(&self) -> usize {
        self.pushed.load(Ordering::Relaxed)
    }
}

/// Lists a connector into memory (for tests and small tools; the sync engine
/// streams instead).
pub async fn list_all(
    connector: &dyn Connector,
    cx: &Context,
) -> Result<Vec<Listed>, ConnectorError> {
    let (listing, mut rx) = Listing::channel(64, cx.cancel.clone());
    let collect = async {
        let mut out = Vec::new();
        while let Some(item) = rx.recv().await {
            out.push(item);
        }
        out
    };
    let list = async {
        let r = connector.list(cx, &listing).await;
        drop(listing);
        r
    };
    let (result, items) = tokio::join!(list, collect);
    result.map(|()| items)
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
    /// What the connector built the document from when the platform had no
    /// export (`"routes"`, `"proxy bundle"`); `None` for a real export.
    pub synthesized: Option<&'static str>,
    /// Facts of the source the inventory shows as `apihub.<key>` annotations on the
    /// target (Azure's `versionSet` and `apiVersion`), replaced on every write.
    pub annotations: Vec<(String, String)>,
    /// Facts about single operations, shown as `apihub.<key>` annotations on the
    /// operation (`undocumented` on reconstructed ones), replaced on every write.
    pub operation_notes: Vec<OperationNote>,
}

/// One `apihub.<key>` annotation of the operation `method endpoint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationNote {
    pub method: String,
    pub endpoint: String,
    pub key: String,
    pub value: String,
}
