//! One sync of one importer: [`sync_once`]. The scheduler, the trigger endpoint and
//! `apihub-importer sync` all call it.
//!
//! # Design notes
//! A run lists every API of the source (a full snapshot) while it downloads,
//! normalizes and writes the items with bounded concurrency ([`items`]): an item
//! whose source revision is unchanged is not even downloaded, unchanged content
//! writes nothing, changed content replaces the definition, empty ones are left out
//! when `excludeEmptySpecs`, and APIs the source no longer lists are marked
//! missing, never deleted. One failed item does not stop the run but makes it
//! `Failed` with a short reason; a failed listing fails the run with the
//! connector's message and marks nothing missing. Each item is written in its own
//! transaction, so a cancellation (timeout, importer deleted, shutdown) never
//! leaves one half written.

mod items;
mod report;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apihub_connectors::normalize::Limits;
use apihub_connectors::{ConnectorFactory, Context, Environment, ImporterType};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use report::Report;

use crate::clock::Clock;
use crate::metrics as m;
use crate::run::{RunStatus, RunTrigger};
use crate::secrets::Cipher;
use crate::sink::Sink;
use crate::store::{FinishedRun, ImporterRow, Store, StoreError};

/// Everything a run needs.
#[derive(Clone)]
pub struct SyncContext {
    pub store: Store,
    pub cipher: Arc<Cipher>,
    pub sink: Arc<dyn Sink>,
    /// Where connectors come from: the registry, or a test's scripted ones.
    pub connectors: Arc<dyn ConnectorFactory>,
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

/// Progress for a terminal. The total is known only once the listing ends; until
/// then a display shows how many were listed and done.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    /// One more item listed.
    Listed { so_far: usize },
    /// The listing ended with this many items.
    ListingDone { total: usize },
    /// One more item processed.
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
    crate::importer::runnable(importer.kind, importer.status)
        .map_err(|why| SyncError::NotRunnable(why.into()))?;
    let Some(kind) = importer.kind else {
        return Err(SyncError::NotRunnable("the importer has no type".into()));
    };
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
    span.in_scope(|| tracing::info!(name = %importer.name, "Sync started."));
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
        Ok(()) | Err(StoreError::NotFound { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    record_metrics(kind, &report);
    let c = report.counts;
    let duration_ms = report.elapsed.as_millis() as u64;
    // The end of a run, with every count and the duration, at `$level`.
    macro_rules! finished {
        ($level:ident, $($extra:tt)*) => {
            tracing::$level!(
                discovered = c.discovered,
                created = c.created,
                updated = c.updated,
                unchanged = c.unchanged,
                skipped_empty = c.skipped_empty,
                skipped = c.skipped,
                failed = c.failed,
                missing = c.missing,
                duration_ms,
                $($extra)*
            )
        };
    }
    span.in_scope(|| match report.status() {
        RunStatus::Completed => finished!(info, "Sync completed."),
        _ => finished!(
            warn,
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
    let connector = ctx.connectors.build(kind, &parameters, &ctx.env)?;
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
        let work = items::work(ctx, importer, kind, run_id, control, progress, &mut report);
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
