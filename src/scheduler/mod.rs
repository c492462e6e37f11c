//! Runs importers on their schedule and on demand: the periodic-or-on-demand task
//! driver of omicron's `nexus/src/app/background`, with the schedule's truth in
//! SQLite.
//!
//! # Design notes
//! The driver is woken by *activations* that name one importer (created or edited,
//! triggered, deleted, a run ended) and by a timer set to the earliest stored
//! `next_run_at`; on the timer it asks the store which importers are due
//! (`due_importers`). Nothing rescans every importer except once at start, where
//! each importer's next run is worked out and those due after downtime run once
//! (trigger `startup`), not once per missed slot.
//!
//! - `next_run_at` has one writer, this driver: it is worked out ([`schedule`])
//!   when an importer is created or edited and when a run of it ends, cleared when
//!   it is not scheduled, and set to now when a shutdown cut a run short.
//! - One run per importer at a time: a trigger during a run is kept in the store
//!   (`trigger_requested_at`) and starts exactly one more run after it.
//! - A global semaphore bounds simultaneous runs; waiting runs show as `queued`.
//! - Deleting an importer or stopping the daemon cancels its run between items.
//! - Whether an importer may run is one rule, [`crate::importer::runnable`].
//!
//! tokio-cron-scheduler was the design's first choice; it was left out because it
//! has no persistent next-run time, no catch-up policy, no way to reschedule a job,
//! no overlap guard, and a bug where repeated jobs stop firing (see
//! `research/crates.md`).

pub mod schedule;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::format_ms;
use crate::config::SchedulerSettings;
use crate::importer::{ImporterStatus, runnable};
use crate::run::RunTrigger;
use crate::store::{ImporterRow, StoreError};
use crate::sync::{RunControl, SyncContext, SyncError, sync_once};

/// Why runs stop at shutdown; such a run is due again at the next start.
const SHUTDOWN: &str = "the daemon is shutting down";

/// How long an importer is left alone after a run could not even start.
const COOLDOWN_MS: i64 = 30_000;
/// The driver looks at the store at least this often, whatever else happens.
const MAX_SLEEP_MS: i64 = 60_000;

/// What woke the driver, for one importer.
#[derive(Debug, Clone)]
enum Activation {
    /// Created or edited: its schedule may have changed.
    Changed(String),
    Triggered(String),
    /// New input (traffic) wants a run by this time (ms); an earlier slot stays.
    RunBy(String, i64),
    Deleted(String),
    RunEnded(String),
}

#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

struct Inner {
    ctx: SyncContext,
    enabled: bool,
    tx: mpsc::UnboundedSender<Activation>,
    rx: Mutex<Option<mpsc::UnboundedReceiver<Activation>>>,
    runs: Mutex<HashMap<String, Active>>,
    cooldown: Mutex<HashMap<String, i64>>,
    slots: Arc<Semaphore>,
    tracker: TaskTracker,
    running: AtomicBool,
}

struct Active {
    control: Arc<RunControl>,
    running: bool,
    since: i64,
    trigger: RunTrigger,
}

impl Inner {
    /// Works out (and stores) when `imp` next runs on its schedule. `recompute`:
    /// from its settings and last run even when one is stored (it was edited or a
    /// run ended); else only where none is stored (at start, a stored one stands:
    /// an importer due during downtime runs once now).
    async fn reschedule(
        &self,
        mut imp: ImporterRow,
        recompute: bool,
    ) -> Result<ImporterRow, StoreError> {
        let scheduled = self.enabled
            && imp.status == ImporterStatus::Active
            && runnable(imp.kind, imp.status).is_ok();
        let now = self.ctx.clock.now_ms();
        let next = match (scheduled, imp.next_run_at) {
            (false, _) => None,
            (true, Some(n)) if !recompute => Some(n),
            (true, _) => Some(schedule::next_run(
                &imp.id,
                imp.update_frequency,
                imp.last_run_at,
                now,
            )),
        };
        if next != imp.next_run_at {
            self.ctx.store.set_next_run(&imp.id, next).await?;
            imp.next_run_at = next;
        }
        Ok(imp)
    }
}

impl Scheduler {
    pub fn new(ctx: SyncContext, settings: &SchedulerSettings) -> Scheduler {
        let (tx, rx) = mpsc::unbounded_channel();
        Scheduler {
            inner: Arc::new(Inner {
                ctx,
                enabled: settings.enabled,
                tx,
                rx: Mutex::new(Some(rx)),
                runs: Mutex::new(HashMap::new()),
                cooldown: Mutex::new(HashMap::new()),
                slots: Arc::new(Semaphore::new(settings.max_concurrent_runs)),
                tracker: TaskTracker::new(),
                running: AtomicBool::new(false),
            }),
        }
    }

    /// The context runs use (for connection checks).
    pub fn context(&self) -> &SyncContext {
        &self.inner.ctx
    }

    /// Readiness: the driver's loop is running.
    pub fn is_running(&self) -> bool {
        self.inner.running.load(Ordering::SeqCst)
    }

    fn activate(&self, a: Activation) {
        let _ = self.inner.tx.send(a);
    }

    /// An importer was created or edited: a new frequency or status applies at once.
    pub fn changed(&self, id: &str) {
        self.activate(Activation::Changed(id.to_owned()));
    }

    /// A run was asked for (the trigger is already stored).
    pub fn triggered(&self, id: &str) {
        self.activate(Activation::Triggered(id.to_owned()));
    }

    /// New input arrived for the importer: it runs by `at` (ms), unless its
    /// schedule runs it sooner. Many calls before then make one run.
    pub fn run_by(&self, id: &str, at: i64) {
        self.activate(Activation::RunBy(id.to_owned(), at));
    }

    /// Cancels the importer's run, if any (it was deleted).
    pub fn deleted(&self, id: &str) {
        if let Some(a) = self
            .inner
            .runs
            .lock()
            .ok()
            .and_then(|r| r.get(id).map(|a| a.control.clone()))
        {
            a.cancel("the importer was deleted");
        }
        self.activate(Activation::Deleted(id.to_owned()));
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
        if let Some(obj) = extras.as_object_mut() {
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
    pub async fn run(self, shutdown: CancellationToken) {
        let Some(mut rx) = self.inner.rx.lock().ok().and_then(|mut r| r.take()) else {
            tracing::error!("The scheduler was started twice.");
            return;
        };
        self.inner.running.store(true, Ordering::SeqCst);
        let started = self.inner.ctx.clock.now_ms();
        if let Err(e) = self.startup(started).await {
            tracing::error!(error = %e, "Scheduler could not read the importers at start.");
        }
        loop {
            let wake_at = self.wake_at().await;
            tokio::select! {
                () = self.inner.ctx.clock.sleep_until(wake_at) => {
                    if let Err(e) = self.start_due().await {
                        tracing::error!(error = %e, "Scheduler could not read the due importers; retrying.");
                    }
                }
                Some(a) = rx.recv() => {
                    if let Err(e) = self.handle(a).await {
                        tracing::error!(error = %e, "Scheduler could not handle an importer change.");
                    }
                }
                () = shutdown.cancelled() => break,
            }
        }
        self.inner.running.store(false, Ordering::SeqCst);
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

    /// The one full pass: every importer's next run, and what is due or triggered
    /// (after downtime, once). An importer created since `started` (the API serves
    /// while this pass runs) is not catching up on downtime: its first run is
    /// `schedule`, as it would be had the pass come first.
    async fn startup(&self, started: i64) -> Result<(), StoreError> {
        for imp in self.inner.ctx.store.list_importers().await? {
            let imp = self.inner.reschedule(imp, false).await?;
            let trigger = if imp.created_at >= started {
                RunTrigger::Schedule
            } else {
                RunTrigger::Startup
            };
            self.consider(&imp, trigger);
        }
        Ok(())
    }

    async fn start_due(&self) -> Result<(), StoreError> {
        let now = self.inner.ctx.clock.now_ms();
        for imp in self.inner.ctx.store.due_importers(now).await? {
            self.consider(&imp, RunTrigger::Schedule);
        }
        Ok(())
    }

    async fn handle(&self, a: Activation) -> Result<(), StoreError> {
        let (id, recompute) = match &a {
            Activation::Changed(id) => (id, true),
            Activation::Triggered(id) => (id, false),
            Activation::RunBy(id, at) => {
                let busy = self
                    .inner
                    .runs
                    .lock()
                    .map(|r| r.contains_key(id))
                    .unwrap_or(false);
                // The end of a run reschedules from the frequency, so input that
                // arrives during one asks for the one run after it instead.
                if busy {
                    let now = self.inner.ctx.clock.now_ms();
                    self.inner.ctx.store.request_trigger(id, now).await?;
                } else {
                    self.inner.ctx.store.bring_next_run_forward(id, *at).await?;
                }
                (id, false)
            }
            Activation::RunEnded(id) => {
                // Only the loop forgets a run, so no decision it takes sees a row
                // read before the run's reschedule together with the run gone.
                if let Ok(mut runs) = self.inner.runs.lock() {
                    runs.remove(id);
                }
                (id, false)
            }
            Activation::Deleted(id) => {
                if let Ok(mut c) = self.inner.cooldown.lock() {
                    c.remove(id);
                }
                return Ok(());
            }
        };
        let Some(imp) = self.inner.ctx.store.get_importer(id).await? else {
            return Ok(());
        };
        let imp = if recompute {
            self.inner.reschedule(imp, true).await?
        } else {
            imp
        };
        self.consider(&imp, RunTrigger::Schedule);
        Ok(())
    }

    /// When to look at the store next: the earliest next run, a cooldown's end, or
    /// at the latest in a minute.
    async fn wake_at(&self) -> i64 {
        let now = self.inner.ctx.clock.now_ms();
        let mut at = now + MAX_SLEEP_MS;
        // A busy importer's stored slot is passed while it runs; the end of its run
        // reschedules it (and wakes the loop), so only idle importers set the timer.
        let busy: Vec<String> = self
            .inner
            .runs
            .lock()
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default();
        match self
            .inner
            .ctx
            .store
            .earliest_next_runs(busy.len() + 1)
            .await
        {
            Ok(next) => {
                if let Some((_, n)) = next.into_iter().find(|(id, _)| !busy.contains(id)) {
                    at = at.min(n.max(now));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "Scheduler could not read the next run; retrying.");
                at = now + 5_000;
            }
        }
        if let Some(until) = self
            .inner
            .cooldown
            .lock()
            .ok()
            .and_then(|c| c.values().copied().filter(|u| *u > now).min())
        {
            at = at.min(until);
        }
        at
    }

    /// Starts `imp` if it is triggered or due and neither busy nor resting.
    fn consider(&self, imp: &ImporterRow, due_trigger: RunTrigger) {
        let now = self.inner.ctx.clock.now_ms();
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
            .is_some_and(|until| until > now);
        if busy || resting || runnable(imp.kind, imp.status).is_err() {
            return;
        }
        let triggered = imp.trigger_requested_at.is_some();
        let due = imp.next_run_at.is_some_and(|n| n <= now);
        if triggered {
            self.start(imp, RunTrigger::Manual, now);
        } else if due {
            self.start(imp, due_trigger, now);
        }
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
            // The next run is worked out from this one before the loop hears the run
            // ended (and stops counting it busy), so it is never seen due twice. (A
            // shutdown's run is due now, set above.)
            if control.reason().is_none_or(|r| r != SHUTDOWN)
                && let Ok(Some(row)) = inner.ctx.store.get_importer(&id).await
                && let Err(e) = inner.reschedule(row, true).await
            {
                tracing::warn!(importer = %id, error = %e, "Could not work out the next run.");
            }
            // A trigger that came during the run starts the next one.
            let _ = inner.tx.send(Activation::RunEnded(id));
        });
    }
}
