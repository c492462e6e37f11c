//! The body of a run: the connector's listing streams in while up to
//! `maxConcurrentFetches` items are downloaded and normalized at once, and
//! normalized ones wait for their write in a window of at most the sink's
//! `write_depth` items per download slot and [`WRITE_WINDOW_BYTES`] of documents,
//! so a run holds a window of documents in memory, never the estate. The writes
//! that wait together share a transaction in the embedded inventory (the store's
//! group commit), which is what makes many small definitions fast to write.
//!
//! For each listed item: a skipped or failed one is counted as such; one whose
//! source revision equals the one recorded when it was last written is counted
//! `unchanged` without a download; anything else is downloaded, normalized (on the
//! blocking pool), left out when empty and `excludeEmptySpecs`, and written with its
//! revision (a failing write fails that item alone). A download refused for its credentials stops
//! the run (the next ones would be refused too). APIs are marked missing only after
//! a listing that completed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apihub_connectors::normalize::{Hints, normalize};
use apihub_connectors::params::CommonParameters;
use apihub_connectors::{
    ConnectorError, Context, Document, ErrorKind, ImporterType, Item, Listed, Listing,
};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio_util::sync::CancellationToken;

use super::{Progress, ProgressFn, Report, RunControl, SyncContext};
use crate::run::ItemOutcome;
use crate::sink::{SinkItem, Upsert};
use crate::store::ImporterRow;

/// How often a run's counts are saved while it goes.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Bytes of documents waiting for the writer at most: many small documents fill
/// the window by count, large ones by size (a normalized item holds its download
/// slot until it fits, so memory stays within this plus a document per slot).
pub const WRITE_WINDOW_BYTES: usize = 16 << 20;

/// The window's unit: a permit per KiB of document, at least one per item.
const WINDOW_UNIT: usize = 1024;

/// What processing one item came to.
struct Done {
    key: String,
    name: Option<String>,
    outcome: ItemOutcome,
    message: Option<String>,
    /// The platform refused the credentials: the run stops.
    refused: Option<ConnectorError>,
}

impl Done {
    fn new(l: &Listed, outcome: ItemOutcome, message: Option<String>) -> Done {
        Done {
            key: l.external_key.clone(),
            name: l.name.clone(),
            outcome,
            message,
            refused: None,
        }
    }
}

/// The revision as stored: tagged with the connector's output version, so a
/// connector that changes what it makes of a source does not skip anything.
fn versioned(kind: ImporterType, revision: &str) -> String {
    let version = apihub_connectors::descriptor(kind).map_or(1, |d| d.output_version);
    format!("v{version}:{revision}")
}

pub(super) async fn work(
    ctx: &SyncContext,
    importer: &ImporterRow,
    kind: ImporterType,
    run_id: &str,
    control: &Arc<RunControl>,
    progress: Option<ProgressFn>,
    report: &mut Report,
) {
    let parameters = match ctx
        .cipher
        .open_parameters(&importer.id, &importer.parameters)
    {
        Ok(p) => p,
        Err(e) => return report.listing_failed(format!("{e}; send the importer's secrets again")),
    };
    let connector = match ctx.connectors.build(kind, &parameters, &ctx.env) {
        Ok(c) => c,
        Err(e) => return report.listing_failed(e.message),
    };
    let concurrency = CommonParameters::of(&parameters)
        .map(|c| c.concurrent_fetches())
        .unwrap_or(apihub_connectors::params::DEFAULT_CONCURRENT_FETCHES);
    let known = match ctx.sink.revisions(&importer.id).await {
        Ok(k) => k,
        Err(e) => {
            tracing::warn!(error = %e, "Could not read recorded revisions; downloading everything.");
            HashMap::new()
        }
    };
    // The listing stops on its own token: a refused download stops it without
    // cancelling the run's bookkeeping.
    let listing_stop = control.token.child_token();
    let cx = Context {
        importer_id: importer.id.clone(),
        importer_name: importer.name.clone(),
        cancel: listing_stop.clone(),
    };
    let (listing, mut rx) = Listing::channel(concurrency * 2, listing_stop.clone());
    let listed = async {
        let result = connector.list(&cx, &listing).await;
        let total = listing.pushed();
        drop(listing);
        (result, total)
    };
    let run = Run {
        ctx,
        importer,
        kind,
        run_id,
        control,
        progress: progress.as_ref(),
        known: &known,
        listing_stop: &listing_stop,
        concurrency,
        depth: ctx.sink.write_depth().max(1),
        downloads: Arc::new(tokio::sync::Semaphore::new(concurrency)),
        window: Arc::new(tokio::sync::Semaphore::new(
            WRITE_WINDOW_BYTES / WINDOW_UNIT,
        )),
    };
    let ((listed, total), (present, refused)) = tokio::join!(listed, run.process(&mut rx, report));
    if let Some(p) = &progress {
        p(Progress::ListingDone { total });
    }
    if control.is_cancelled() {
        return;
    }
    if let Some(e) = refused {
        return report.listing_failed(e.message);
    }
    if let Err(e) = listed {
        tracing::warn!(error = %e.message, detail = e.detail.as_deref().unwrap_or(""), kind = e.kind.as_str(), "Listing failed.");
        return report.listing_failed(e.message);
    }
    // Only a complete listing can say what is gone.
    match ctx.sink.mark_missing(&importer.id, present).await {
        Ok(n) => report.counts.missing = n,
        Err(e) => {
            report.note_run_failure(
                "(missing APIs)",
                format!("could not mark missing APIs: {e}"),
            );
        }
    }
}

struct Run<'a> {
    ctx: &'a SyncContext,
    importer: &'a ImporterRow,
    kind: ImporterType,
    run_id: &'a str,
    control: &'a Arc<RunControl>,
    progress: Option<&'a ProgressFn>,
    known: &'a HashMap<String, String>,
    listing_stop: &'a CancellationToken,
    concurrency: usize,
    /// Items in flight per download slot (the sink's `write_depth`).
    depth: usize,
    /// `concurrency` permits: held from an item's download to its normalized form.
    downloads: Arc<tokio::sync::Semaphore>,
    /// [`WRITE_WINDOW_BYTES`] in KiB: held by a normalized item until written.
    window: Arc<tokio::sync::Semaphore>,
}

impl Run<'_> {
    /// Takes items as they are listed, at most `concurrency` in flight; returns the
    /// keys seen and the credentials refusal that stopped the run, if one did.
    async fn process(
        &self,
        rx: &mut tokio::sync::mpsc::Receiver<Listed>,
        report: &mut Report,
    ) -> (Vec<String>, Option<ConnectorError>) {
        let mut in_flight = FuturesUnordered::new();
        let mut present = Vec::new();
        let mut refused: Option<ConnectorError> = None;
        let mut open = true;
        let (mut seen, mut done) = (0usize, 0usize);
        let mut saved = Instant::now();
        loop {
            let taking =
                open && refused.is_none() && in_flight.len() < self.concurrency * self.depth;
            // A download slot first, then the next item (both wait cancel-safely).
            let next = async {
                let slot = Arc::clone(&self.downloads).acquire_owned().await.ok();
                (slot, rx.recv().await)
            };
            let finished = tokio::select! {
                Some(d) = in_flight.next(), if !in_flight.is_empty() => d,
                (slot, item) = next, if taking => match (slot, item) {
                    (_, None) | (None, _) => { open = false; continue; }
                    // A cancelled run starts nothing new (what is in flight finishes).
                    (_, Some(_)) if self.control.is_cancelled() => { open = false; continue; }
                    (Some(slot), Some(l)) => {
                        seen += 1;
                        if let Some(p) = self.progress {
                            p(Progress::Listed { so_far: seen });
                        }
                        present.push(l.external_key.clone());
                        match self.start(l, slot) {
                            Ok(d) => d,
                            Err(fut) => { in_flight.push(fut); continue; }
                        }
                    }
                },
                else => break,
            };
            if let Some(e) = finished.refused.clone()
                && refused.is_none()
            {
                refused = Some(e);
                self.listing_stop.cancel();
            }
            report.note(
                &finished.key,
                finished.name,
                finished.outcome,
                finished.message,
            );
            done += 1;
            if let Some(p) = self.progress {
                p(Progress::Item { done });
            }
            if saved.elapsed() >= PROGRESS_EVERY {
                saved = Instant::now();
                // Not awaited here: an item in flight may hold the store's writer
                // turn, and it only moves on while this loop polls it.
                let store = self.ctx.store.clone();
                let (run, counts) = (self.run_id.to_owned(), report.counts);
                tokio::spawn(async move {
                    if let Err(e) = store.record_progress(&run, counts).await {
                        tracing::debug!(error = %e, "Could not save the run's progress.");
                    }
                });
            }
        }
        // Whatever the listing still pushes finds the channel closed.
        rx.close();
        (present, refused)
    }

    /// An item that needs no download is done at once (`Ok`); else the future that
    /// downloads, normalizes and writes it.
    #[allow(clippy::type_complexity)]
    fn start(
        &self,
        l: Listed,
        slot: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<Done, std::pin::Pin<Box<dyn std::future::Future<Output = Done> + Send + '_>>> {
        let revision = l.revision.as_deref().map(|r| versioned(self.kind, r));
        match l.item {
            Item::Skipped { ref reason } => {
                let reason = reason.clone();
                Ok(Done::new(&l, ItemOutcome::Skipped, Some(reason)))
            }
            Item::Failed(ref e) => {
                let message = e.message.clone();
                let mut d = Done::new(&l, ItemOutcome::Failed, Some(message));
                if e.kind == ErrorKind::Auth {
                    d.refused = Some(e.clone());
                }
                Ok(d)
            }
            _ if revision.is_some() && self.known.get(&l.external_key) == revision.as_ref() => {
                Ok(Done::new(
                    &l,
                    ItemOutcome::Unchanged,
                    Some("source revision unchanged; not downloaded".into()),
                ))
            }
            Item::Fetch(fetch) => {
                let (key, name) = (l.external_key, l.name);
                Err(Box::pin(async move {
                    let doc = fetch().await;
                    self.write(key, name, revision, doc, slot).await
                }))
            }
        }
    }

    async fn write(
        &self,
        key: String,
        name: Option<String>,
        revision: Option<String>,
        doc: Result<Document, ConnectorError>,
        slot: tokio::sync::OwnedSemaphorePermit,
    ) -> Done {
        let done = |outcome, message: Option<String>| Done {
            key: key.clone(),
            name: name.clone(),
            outcome,
            message,
            refused: None,
        };
        let doc = match doc {
            Ok(d) => d,
            Err(e) => {
                let mut d = done(ItemOutcome::Failed, Some(e.message.clone()));
                if e.kind == ErrorKind::Auth {
                    d.refused = Some(e);
                }
                return d;
            }
        };
        let hints = Hints {
            declared: None,
            format_hint: doc.format_hint,
            file_name: doc.file_name.clone(),
            content_type: doc.content_type.clone(),
        };
        let limits = self.ctx.limits.clone();
        let bytes = doc.bytes;
        let normalized =
            match tokio::task::spawn_blocking(move || normalize(bytes, &hints, &limits)).await {
                Ok(Ok(n)) => n,
                Ok(Err(e)) => {
                    return done(
                        ItemOutcome::Failed,
                        Some(format!("not a usable API definition: {e}")),
                    );
                }
                Err(e) => {
                    return done(
                        ItemOutcome::Failed,
                        Some(format!("normalizer crashed: {e}")),
                    );
                }
            };
        if normalized.is_empty() && self.importer.exclude_empty_specs {
            return done(ItemOutcome::SkippedEmpty, Some("no operations".into()));
        }
        // Platform names and spec titles are cleaned of invisible and control
        // characters (src/text.rs) rather than failing the import.
        let display = name
            .as_deref()
            .and_then(crate::text::clean_name)
            .or_else(|| {
                normalized
                    .title
                    .as_deref()
                    .and_then(crate::text::clean_name)
            })
            .unwrap_or_else(|| key.clone());
        let item = SinkItem {
            importer_id: self.importer.id.clone(),
            importer_name: self.importer.name.clone(),
            importer_type: self.kind,
            external_key: key.clone(),
            name: display,
            definition: normalized,
            urls: doc.urls,
            synthesized: doc.synthesized,
            revision,
            source_annotations: doc.annotations,
            operation_notes: doc.operation_notes,
        };
        // Downloaded and normalized: once the item fits the write window, its slot
        // goes to the next download while it waits for the writer.
        let size = item.definition.original.len().div_ceil(WINDOW_UNIT);
        let size = u32::try_from(size.clamp(1, WRITE_WINDOW_BYTES / WINDOW_UNIT)).unwrap_or(1);
        let waiting = Arc::clone(&self.window).acquire_many_owned(size).await;
        drop(slot);
        let _waiting = waiting;
        // Cancelled meanwhile: what was not handed to the sink is not written.
        if self.control.is_cancelled() {
            return done(
                ItemOutcome::Skipped,
                Some("not written: the run was cancelled".into()),
            );
        }
        match self.ctx.sink.upsert(item).await {
            Ok(Upsert::Created(_)) => done(ItemOutcome::Created, None),
            Ok(Upsert::Updated(_)) => done(ItemOutcome::Updated, None),
            Ok(Upsert::Unchanged(_)) => done(ItemOutcome::Unchanged, None),
            Err(e) => done(ItemOutcome::Failed, Some(e.message)),
        }
    }
}
