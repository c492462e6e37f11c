//! `apihub-importer sync --importer <id|name>`: one run in the foreground, with a
//! progress bar on a terminal, then a summary. Exits non-zero when the run failed.
//! Safe next to a running daemon: the store refuses a second run of the importer.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use crate::app::sync_context;
use crate::clock::Clock;
use crate::run::{ItemOutcome, RunStatus, RunTrigger};
use crate::sync::{Progress, ProgressFn, RunControl, sync_once};

pub async fn run(config: Option<PathBuf>, importer: &str) -> anyhow::Result<()> {
    let settings = crate::cli::load(config)?;
    crate::telemetry::init(&settings.log);
    let ctx = sync_context(&settings, Clock::System).await?;
    let row = ctx
        .store
        .find_importer(importer)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no importer with id or name `{importer}`"))?;
    let control = RunControl::new();
    let on_ctrl_c = control.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel("interrupted by the user");
        }
    });
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_message(format!("listing APIs of {}", row.name));
        bar
    });
    // While the listing goes on the total is unknown: a spinner counts what was
    // listed and done; once it ends, a bar with the real total.
    let progress: Option<ProgressFn> = bar.clone().map(|bar| {
        let listed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        Arc::new(move |p: Progress| match p {
            Progress::Listed { so_far } => {
                listed.store(so_far, std::sync::atomic::Ordering::Relaxed);
                bar.set_message(format!("{so_far} APIs listed so far"));
            }
            Progress::ListingDone { total } => {
                bar.set_length(total as u64);
                if let Ok(style) =
                    ProgressStyle::with_template("{bar:40} {pos}/{len} APIs {elapsed}")
                {
                    bar.set_style(style);
                }
            }
            Progress::Item { done } => {
                bar.set_position(done as u64);
                if bar.length().is_none() {
                    let so_far = listed.load(std::sync::atomic::Ordering::Relaxed);
                    bar.set_message(format!("{so_far} APIs listed so far, {done} done"));
                }
            }
        }) as ProgressFn
    });
    let report = sync_once(&ctx, &row.id, RunTrigger::Manual, control, progress).await?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let c = report.counts;
    println!(
        "{} {}: {} discovered, {} created, {} updated, {} unchanged, {} skipped (empty), {} skipped, {} failed, {} missing in {:.1} s (run {})",
        row.name,
        report.status(),
        c.discovered,
        c.created,
        c.updated,
        c.unchanged,
        c.skipped_empty,
        c.skipped,
        c.failed,
        c.missing,
        report.elapsed.as_secs_f64(),
        report.run_id
    );
    for note in report
        .notes
        .iter()
        .filter(|n| matches!(n.outcome, ItemOutcome::Failed | ItemOutcome::Skipped))
    {
        println!(
            "  {} {}: {}",
            note.outcome,
            note.external_key,
            note.message.as_deref().unwrap_or("")
        );
    }
    match report.status() {
        RunStatus::Completed => Ok(()),
        _ => anyhow::bail!(
            "{}",
            report
                .fail_reason()
                .unwrap_or_else(|| "the run failed".into())
        ),
    }
}
