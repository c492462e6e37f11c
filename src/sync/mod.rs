//! One sync of one importer: [`sync_once`]. The scheduler, the trigger endpoint and
//! `apihub-importer sync` all call it.
//!
//! # Design notes
//! A run lists every API of the source (a full snapshot), normalizes each item,
//! leaves out empty ones when `excludeEmptySpecs`, and writes each through the sink
//! in its own transaction: unchanged content writes nothing, changed content
//! replaces the definition, and APIs the source no longer lists are marked missing,
//! never deleted. One failed item does not stop the run but makes it `Failed` with a
//! short reason; a failed listing fails the run with the connector's message and
//! marks nothing missing. Cancellation (timeout, importer deleted, shutdown) is
//! checked between items, so no item is ever half written.

mod report;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apihub_connectors::normalize::{Hints, Limits, normalize};
use apihub_connectors::{Context, Environment, FetchOutcome, Fetched, ImporterType};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use report::Report;

use crate::clock::Clock;
use crate::importer::ImporterStatus;
use crate::metrics as m;
use crate::secrets::Cipher;
use crate::sink::{Sink, SinkItem, Upsert};
use crate::store::{FinishedRun, ImporterRow, RunStatus, RunTrigger, Store, StoreError};

/// Everything a run needs.
#[derive(Clone)]
pub struct SyncContext {
    pub store: Store,
    pub cipher: Arc<Cipher>,
    pub sink: Arc<dyn Sink>,
    pub env: Environment,
    pub limits: Limits,
    pub clock: Clock,
    pub run_timeout: Duration,
    /// Runs per importer kept in the history.
    pub runs_kept: u32,
}

/// Stops a run between items, remembering why (the first reason wins).
#[derive(Default)]
pub struct RunControl {
    token: CancellationToken,
    reason: Mutex<Option<String>>,
}

impl RunControl {
    pub fn new() -> Arc<RunControl> {
        Arc::new(RunControl::default())
    }

    pub fn cancel(&self, reason: &str) {
        if let Ok(mut r) = self.reason.lock()
            && r.is_none()
        {
            *r = Some(reason.to_owned());
        }
        self.token.cancel();
    }

    pub fn reason(&self) -> Option<String> {
        self.reason.lock().ok().and_then(|r| r.clone())
    }

    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Completes once the run is cancelled.
    pub async fn cancelled(&self) {
        self.token.cancelled().await;
    }
}

/// Progress for a terminal: the listing's size, then each item done.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    Listed { total: usize },
    Item { done: usize },
}

pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("importer `{0}` does not exist")]
    NotFound(String),
    #[error("{0}")]
    NotRunnable(String),
    #[error("a run of this importer is already in progress")]
    AlreadyRunning,
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Runs one sync of `importer_id` and records it. Errors are returned only when no
/// run could be recorded (unknown importer, already running, store down); anything
/// that goes wrong during the run is in the returned report and the run history.
pub async fn sync_once(
    ctx: &SyncContext,
    importer_id: &str,
    trigger: RunTrigger,
    control: Arc<RunControl>,
    progress: Option<ProgressFn>,
) -> Result<Report, SyncError> {
    let importer = ctx
        .store
        .get_importer(importer_id)
        .await?
        .ok_or_else(|| SyncError::NotFound(importer_id.to_owned()))?;
    let Some(kind) = importer.kind else {
        return Err(SyncError::NotRunnable("the importer has no type".into()));
    };
    if importer.status == ImporterStatus::Pending {
        return Err(SyncError::NotRunnable("the importer is pending".into()));
    }
    let started = Instant::now();
    let run_id = match ctx
        .store
        .start_run(importer_id, trigger, ctx.clock.now_ms())
        .await
    {
        Err(StoreError::Conflict(_)) => return Err(SyncError::AlreadyRunning),
        other => other?,
    };
    let span = tracing::info_span!("importer.sync", importer = %importer.id, run = %run_id, r#type = kind.request_str(), trigger = %trigger);
    metrics::gauge!(m::RUNS_IN_FLIGHT).increment(1.0);
    let mut report = run(ctx, &importer, kind, &run_id, &control, progress)
        .instrument(span.clone())
        .await;
    metrics::gauge!(m::RUNS_IN_FLIGHT).decrement(1.0);
    report.run_id = run_id.clone();
    report.elapsed = started.elapsed();
    let finished = FinishedRun {
        run_id,
        importer_id: importer.id.clone(),
        status: report.status(),
        finished_at: ctx.clock.now_ms(),
        counts: report.counts,
        fail_reason: report.fail_reason(),
        items: report.notes.clone(),
        keep: ctx.runs_kept,
    };
    // The importer may have been deleted during the run: its history went with it.
    match ctx.store.finish_run(finished).await {
        Ok(()) | Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    record_metrics(kind, &report);
    span.in_scope(|| match report.status() {
        RunStatus::Completed => tracing::info!(
            discovered = report.counts.discovered,
            created = report.counts.created,
            updated = report.counts.updated,
            unchanged = report.counts.unchanged,
            "Sync completed."
        ),
        _ => tracing::warn!(
            reason = report.fail_reason().unwrap_or_default(),
            "Sync failed."
        ),
    });
    Ok(report)
}

/// Verifies an importer's credentials and reachability with one cheap call per
/// region/endpoint (the connector's `check`), without running a sync.
pub async fn check_connection(
    ctx: &SyncContext,
    importer: &ImporterRow,
) -> Result<(), apihub_connectors::ConnectorError> {
    let Some(kind) = importer.kind else {
        return Err(apihub_connectors::ConnectorError::config(
            "the importer has no type",
        ));
    };
    let parameters = ctx
        .cipher
        .open_parameters(&importer.id, &importer.parameters)
        .map_err(|e| {
            apihub_connectors::ConnectorError::config(format!(
                "{e}; send the importer's secrets again"
            ))
        })?;
    let connector = apihub_connectors::build(kind, &parameters, &ctx.env)?;
    let cx = Context::new(importer.id.clone(), importer.name.clone());
    match tokio::time::timeout(Duration::from_secs(60), connector.check(&cx)).await {
        Ok(result) => result,
        Err(_) => Err(apihub_connectors::ConnectorError::transient(
            "the check took longer than 60 s",
        )),
    }
}

fn record_metrics(kind: ImporterType, r: &Report) {
    let t = kind.request_str();
    let status = if r.status() == RunStatus::Completed {
        "Completed"
    } else {
        "Failed"
    };
    metrics::counter!(m::RUNS_TOTAL, "type" => t, "status" => status).increment(1);
    metrics::histogram!(m::RUN_DURATION, "type" => t).record(r.elapsed.as_secs_f64());
    let c = r.counts;
    for (outcome, n) in [
        ("created", c.created),
        ("updated", c.updated),
        ("unchanged", c.unchanged),
        ("skipped_empty", c.skipped_empty),
        ("skipped", c.skipped),
        ("failed", c.failed),
    ] {
        metrics::counter!(m::ITEMS_TOTAL, "type" => t, "outcome" => outcome)
            .increment(u64::from(n));
    }
    metrics::counter!(m::MISSING_TOTAL, "type" => t).increment(u64::from(c.missing));
}

/// The run itself, bounded by the run timeout.
async fn run(
    ctx: &SyncContext,
    importer: &ImporterRow,
    kind: ImporterType,
    run_id: &str,
    control: &Arc<RunControl>,
    progress: Option<ProgressFn>,
) -> Report {
    let mut report = Report::default();
    {
        let work = work(ctx, importer, kind, run_id, control, progress, &mut report);
        tokio::pin!(work);
        let timeout = tokio::time::sleep(ctx.run_timeout);
        tokio::pin!(timeout);
        tokio::select! {
            () = &mut work => {}
            () = &mut timeout => {
                control.cancel(&format!("timed out after {} s", ctx.run_timeout.as_secs()));
                // The work stops at the next item; a connector stuck in a call gets a grace period.
                let _ = tokio::time::timeout(Duration::from_secs(30), &mut work).await;
            }
        }
    }
    if let Some(reason) = control.reason() {
        report.cancelled = Some(reason);
    }
    report
}

/// How often a run's counts are saved while it goes.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

async fn work(
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
    let connector = match apihub_connectors::build(kind, &parameters, &ctx.env) {
        Ok(c) => c,
        Err(e) => return report.listing_failed(e.message),
    };
    let cx = Context {
        importer_id: importer.id.clone(),
        importer_name: importer.name.clone(),
        cancel: control.token.clone(),
    };
    let listed = tokio::select! {
        r = connector.fetch(&cx) => r,
        () = control.token.cancelled() => return,
    };
    let items = match listed {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!(error = %e.message, detail = e.detail.as_deref().unwrap_or(""), kind = e.kind.as_str(), "Listing failed.");
            return report.listing_failed(e.message);
        }
    };
    if let Some(p) = &progress {
        p(Progress::Listed { total: items.len() });
    }
    let mut present = Vec::with_capacity(items.len());
    let mut saved = Instant::now();
    for (done, item) in items.into_iter().enumerate() {
        if control.is_cancelled() {
            return;
        }
        present.push(item.external_key.clone());
        process(ctx, importer, kind, item, report).await;
        if let Some(p) = &progress {
            p(Progress::Item { done: done + 1 });
        }
        if saved.elapsed() >= PROGRESS_EVERY {
            saved = Instant::now();
            if let Err(e) = ctx.store.record_progress(run_id, report.counts).await {
                tracing::debug!(error = %e, "Could not save the run's progress.");
            }
        }
    }
    // Only a complete listing can say what is gone.
    match ctx.sink.mark_missing(&importer.id, present).await {
        Ok(n) => report.counts.missing = n,
        Err(e) => report.note_failure(
            "(missing APIs)",
            None,
            format!("could not mark missing APIs: {e}"),
        ),
    }
}

async fn process(
    ctx: &SyncContext,
    importer: &ImporterRow,
    kind: ImporterType,
    item: Fetched,
    report: &mut Report,
) {
    report.counts.discovered += 1;
    let Fetched {
        external_key,
        name,
        outcome,
    } = item;
    let doc = match outcome {
        FetchOutcome::Skipped { reason } => {
            return report.note(&external_key, name, "skipped", Some(reason));
        }
        FetchOutcome::Failed(e) => return report.note_failure(&external_key, name, e.message),
        FetchOutcome::Document(doc) => doc,
    };
    let hints = Hints {
        declared: None,
        format_hint: doc.format_hint,
        file_name: doc.file_name.clone(),
        content_type: doc.content_type.clone(),
    };
    let limits = ctx.limits.clone();
    let bytes = doc.bytes;
    let normalized = match tokio::task::spawn_blocking(move || normalize(bytes, &hints, &limits))
        .await
    {
        Ok(Ok(n)) => n,
        Ok(Err(e)) => {
            return report.note_failure(
                &external_key,
                name,
                format!("not a usable API definition: {e}"),
            );
        }
        Err(e) => {
            return report.note_failure(&external_key, name, format!("normalizer crashed: {e}"));
        }
    };
    if normalized.is_empty() && importer.exclude_empty_specs {
        return report.note(
            &external_key,
            name,
            "skippedEmpty",
            Some("no operations".into()),
        );
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
        .unwrap_or_else(|| external_key.clone());
    let item = SinkItem {
        importer_id: importer.id.clone(),
        importer_name: importer.name.clone(),
        importer_type: kind,
        external_key: external_key.clone(),
        name: display,
        definition: normalized,
        urls: doc.urls,
        synthesized: doc.synthesized,
    };
    match ctx.sink.upsert(item).await {
        Ok(Upsert::Created(_)) => report.note(&external_key, name, "created", None),
        Ok(Upsert::Updated(_)) => report.note(&external_key, name, "updated", None),
        Ok(Upsert::Unchanged(_)) => report.note(&external_key, name, "unchanged", None),
        Err(e) => report.note_failure(&external_key, name, e.message),
    }
}
