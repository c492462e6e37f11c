//! Runs importers on their schedule and on demand (the periodic-or-on-demand task
//! driver of omicron's `nexus/src/app/background`, with the schedule's truth in
//! SQLite).
//!
//! # Design notes
//! One loop reads the importers, works out each one's `next_run_at` where it is not
//! set ([`schedule`]), starts those that are due or triggered, and sleeps until the
//! earliest next run or until woken (an importer was created, edited, deleted or
//! triggered, or a run ended). Because the next run is stored, edits apply at once,
//! restarts keep the schedule, and after downtime a due importer runs once, not once
//! per missed slot.
//!
//! - One run per importer at a time: a trigger during a run is kept in the store
//!   (`trigger_requested_at`) and starts exactly one more run after it.
//! - A global semaphore bounds simultaneous runs; waiting runs show as `queued`.
//! - Deleting an importer or stopping the daemon cancels its run between items.
//!
//! tokio-cron-scheduler was the design's first choice; it was left out because it
//! has no persistent next-run time, no catch-up policy, no way to reschedule a job,
//! no overlap guard, and a bug where repeated jobs stop firing (see
//! `research/crates.md`). This loop needs none of that machinery.

pub mod schedule;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::Readiness;
use crate::clock::format_ms;
use crate::config::SchedulerSettings;
use crate::importer::ImporterStatus;
use crate::store::{ImporterRow, RunTrigger};
use crate::sync::{RunControl, SyncContext, SyncError, sync_once};

/// Why runs stop at shutdown; such a run is due again at the next start.
const SHUTDOWN: &str = "the daemon is shutting down";

/// How long an importer is left alone after a run could not even start.
const COOLDOWN_MS: i64 = 30_000;
/// The loop looks at the store at least this often, whatever else happens.
const MAX_SLEEP_MS: i64 = 60_000;

#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

struct Inner {
    ctx: SyncContext,
    enabled: bool,
    wake: Arc<Notify>,
    runs: Mutex<HashMap<String, Active>>,
    cooldown: Mutex<HashMap<String, i64>>,
    slots: Arc<Semaphore>,
    tracker: TaskTracker,
}

struct Active {
    control: Arc<RunControl>,
    running: bool,
    since: i64,
    trigger: RunTrigger,
}

impl Scheduler {
    pub fn new(ctx: SyncContext, settings: &SchedulerSettings, wake: Arc<Notify>) -> Scheduler {
        Scheduler {
            inner: Arc::new(Inner {
                ctx,
                enabled: settings.enabled,
                wake,
                runs: Mutex::new(HashMap::new()),
                cooldown: Mutex::new(HashMap::new()),
                slots: Arc::new(Semaphore::new(settings.max_concurrent_runs)),
                tracker: TaskTracker::new(),
            }),
        }
    }

    /// The context runs use (for connection checks).
    pub fn context(&self) -> &SyncContext {
        &self.inner.ctx
    }

    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Cancels the importer's run, if any (it was deleted).
    pub fn importer_deleted(&self, id: &str) {
        if let Some(a) = self
            .inner
            .runs
            .lock()
            .ok()
            .and_then(|r| r.get(id).map(|a| a.control.clone()))
        {
            a.cancel("the importer was deleted");
        }
        self.wake();
    }

    /// No run in progress or waiting for a slot.
    pub fn idle(&self) -> bool {
        self.inner
            .runs
            .lock()
            .map(|r| r.is_empty())
            .unwrap_or(false)
    }

    /// Live state for an importer's `extras`.
    pub fn extras(&self, id: &str, extras: &mut Value) {
        let state = self.inner.runs.lock().ok().and_then(|r| {
            r.get(id).map(|a| {
                (
                    if a.running { "running" } else { "queued" },
                    a.since,
                    a.trigger,
                )
            })
        });
        let obj = extras.as_object_mut();
        if let Some(obj) = obj {
            match state {
                Some((s, since, trigger)) => {
                    obj.insert("runState".into(), json!(s));
                    obj.insert("runStartedAt".into(), json!(format_ms(since)));
                    obj.insert("runTrigger".into(), json!(trigger));
                }
                None => {
                    obj.insert("runState".into(), json!("idle"));
                }
            }
        }
    }

    /// The loop: runs until `shutdown`, then cancels the runs in progress and waits
    /// for them to record their outcome.
    pub async fn run(self, shutdown: CancellationToken, readiness: Arc<Readiness>) {
        readiness.set_scheduler_running(true);
        let mut first = true;
        loop {
            let wake_at = match self.pass(first).await {
                Ok(at) => at,
                Err(e) => {
                    tracing::error!(error = %e, "Scheduler could not read the importers; retrying.");
                    self.inner.ctx.clock.now_ms() + 5_000
                }
            };
            first = false;
            tokio::select! {
                () = self.inner.ctx.clock.sleep_until(wake_at) => {}
                () = self.inner.wake.notified() => {}
                () = shutdown.cancelled() => break,
            }
        }
        readiness.set_scheduler_running(false);
        self.stop_runs(SHUTDOWN).await;
    }

    /// Cancels every run and waits until each has recorded its outcome.
    pub async fn stop_runs(&self, reason: &str) {
        let controls: Vec<Arc<RunControl>> = self
            .inner
            .runs
            .lock()
            .map(|r| r.values().map(|a| a.control.clone()).collect())
            .unwrap_or_default();
        for c in controls {
            c.cancel(reason);
        }
        self.inner.tracker.close();
        self.inner.tracker.wait().await;
    }

    /// One look at every importer: fill in next runs, start what is due or
    /// triggered. Returns when to look again.
    async fn pass(&self, first: bool) -> Result<i64, crate::store::StoreError> {
        let ctx = &self.inner.ctx;
        let now = ctx.clock.now_ms();
        let mut wake_at = now + MAX_SLEEP_MS;
        for imp in ctx.store.list_importers().await? {
            let scheduled =
                self.inner.enabled && imp.status == ImporterStatus::Active && imp.kind.is_some();
            let next = match (scheduled, imp.next_run_at) {
                (true, None) => {
                    let n = schedule::next_run(&imp.id, imp.update_frequency, imp.last_run_at, now);
                    ctx.store.set_next_run(&imp.id, Some(n)).await?;
                    Some(n)
                }
                (false, Some(_)) => {
                    ctx.store.set_next_run(&imp.id, None).await?;
                    None
                }
                (_, n) => n,
            };
            let busy = self
                .inner
                .runs
                .lock()
                .map(|r| r.contains_key(&imp.id))
                .unwrap_or(true);
            let resting = self
                .inner
                .cooldown
                .lock()
                .ok()
                .and_then(|c| c.get(&imp.id).copied())
                .filter(|until| *until > now);
            if let Some(until) = resting {
                wake_at = wake_at.min(until);
                continue;
            }
            let triggered = imp.trigger_requested_at.is_some()
                && imp.kind.is_some()
                && imp.status != ImporterStatus::Pending;
            let due = next.is_some_and(|n| n <= now);
            if busy {
                continue;
            }
            if triggered || due {
                let trigger = if triggered {
                    RunTrigger::Manual
                } else if first {
                    RunTrigger::Startup
                } else {
                    RunTrigger::Schedule
                };
                self.start(&imp, trigger, now);
            } else if let Some(n) = next {
                wake_at = wake_at.min(n);
            }
        }
        Ok(wake_at)
    }

    fn start(&self, imp: &ImporterRow, trigger: RunTrigger, now: i64) {
        let control = RunControl::new();
        if let Ok(mut runs) = self.inner.runs.lock() {
            runs.insert(
                imp.id.clone(),
                Active {
                    control: control.clone(),
                    running: false,
                    since: now,
                    trigger,
                },
            );
        }
        let inner = self.inner.clone();
        let id = imp.id.clone();
        self.inner.tracker.spawn(async move {
            let permit = tokio::select! {
                p = inner.slots.clone().acquire_owned() => p.ok(),
                () = control.cancelled() => None,
            };
            if permit.is_some() {
                if let Ok(mut runs) = inner.runs.lock()
                    && let Some(a) = runs.get_mut(&id)
                {
                    a.running = true;
                    a.since = inner.ctx.clock.now_ms();
                }
                match sync_once(&inner.ctx, &id, trigger, control.clone(), None).await {
                    Ok(report) if report.cancelled.as_deref() == Some(SHUTDOWN) => {
                        // Cut short by a shutdown: finish the job at the next start.
                        let _ = inner
                            .ctx
                            .store
                            .set_next_run(&id, Some(inner.ctx.clock.now_ms()))
                            .await;
                    }
                    Ok(_) | Err(SyncError::NotFound(_)) => {}
                    Err(e) => {
                        tracing::warn!(importer = %id, error = %e, "Run did not start.");
                        if let Ok(mut c) = inner.cooldown.lock() {
                            c.insert(id.clone(), inner.ctx.clock.now_ms() + COOLDOWN_MS);
                        }
                    }
                }
            }
            drop(permit);
            if let Ok(mut runs) = inner.runs.lock() {
                runs.remove(&id);
            }
            inner.wake.notify_one();
        });
    }
}
