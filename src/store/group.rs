//! Group commit for the sync engine's writes: items that arrive while another
//! transaction holds the writer's turn wait in a queue, and the next caller to take
//! the turn writes every queued item in one transaction. A commit costs about as
//! much as several small items' inserts, so sharing it is most of the write
//! throughput (`cargo bench --bench sync`).
//!
//! What a caller can rely on:
//! - **Nothing is reported written before it is committed.** Each item's result
//!   is held until the transaction's `COMMIT` returns; if the commit fails, every
//!   item of the batch gets that error, and the transaction is rolled back. A
//!   crash before the commit loses only writes nobody was told about.
//! - **A failing item fails alone.** A batch first runs without savepoints (a
//!   savepoint per item makes SQLite journal every page an item touches and flush
//!   the name index at each release: 10-20% of the write). When an item fails, that
//!   attempt is rolled back and the batch runs again with each item inside its own
//!   `SAVEPOINT`, so the failing one leaves no trace and the others commit. Items
//!   are pure functions of the database, so running one twice writes it once.
//! - **Nobody waits long.** The queue is drained by whichever waiting caller still
//!   has an item in it, so a wait is at most the batch ahead plus one's own; a
//!   batch holds at most [`MAX_BATCH`] items.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use super::{Store, StoreError, execute_cached};

/// Items per transaction at most: bounds how long one commit keeps others waiting.
pub(super) const MAX_BATCH: usize = 256;

/// One queued write and its caller.
trait Queued: Send {
    /// Writes the item in `tx`; whether it succeeded.
    fn run(&mut self, tx: &Transaction<'_>) -> bool;
    /// Tells the caller, once the transaction has committed (`Ok`) or not.
    fn settle(self: Box<Self>, committed: Result<(), &str>);
}

struct Write<R, F> {
    f: F,
    out: Option<Result<R, StoreError>>,
    done: oneshot::Sender<Result<R, StoreError>>,
}

impl<R, F> Queued for Write<R, F>
where
    F: FnMut(&Transaction<'_>) -> Result<R, StoreError> + Send,
    R: Send,
{
    fn run(&mut self, tx: &Transaction<'_>) -> bool {
        let out = (self.f)(tx);
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }

    fn settle(self: Box<Self>, committed: Result<(), &str>) {
        let out = match (committed, self.out) {
            (Ok(()), Some(out)) => out,
            (Err(e), _) => Err(not_committed(e)),
            (Ok(()), None) => Err(not_committed("it was not run")),
        };
        let _ = self.done.send(out);
    }
}

fn not_committed(why: &str) -> StoreError {
    StoreError::Pool(format!("the write was not committed: {why}"))
}

#[derive(Default)]
pub(super) struct Queue {
    jobs: Mutex<Vec<Box<dyn Queued>>>,
    /// Transactions begun and items taken into them (tests read these).
    transactions: AtomicU64,
    items: AtomicU64,
}

impl Queue {
    fn push(&self, job: Box<dyn Queued>) {
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(job);
    }

    fn take(&self) -> Vec<Box<dyn Queued>> {
        let mut jobs = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = jobs.len().min(MAX_BATCH);
        jobs.drain(..n).collect()
    }
}

impl Store {
    /// Runs `f` in a transaction shared with the other grouped writes queued
    /// meanwhile (see the module doc); its result is returned once committed.
    /// `f` may run twice (the second time after its first attempt was rolled
    /// back), so it must only write through `tx`.
    pub(super) async fn write_grouped<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnMut(&Transaction<'_>) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (done, mut result) = oneshot::channel();
        self.group.push(Box::new(Write { f, out: None, done }));
        loop {
            let turn = self.writer.lock().await;
            // Written in the batch ahead: the queue is left to the writes still
            // in it, whose callers wait in line too, so the next batch takes all
            // that came meanwhile instead of one each.
            if let Some(out) = settled(&mut result) {
                return out;
            }
            let jobs = self.group.take();
            if !jobs.is_empty() {
                self.run_batch(jobs).await;
            }
            drop(turn);
            if let Some(out) = settled(&mut result) {
                return out;
            }
        }
    }

    async fn run_batch(&self, mut jobs: Vec<Box<dyn Queued>>) {
        let group = std::sync::Arc::clone(&self.group);
        group.items.fetch_add(jobs.len() as u64, Ordering::Relaxed);
        let outcome = self
            .with_conn(move |c| {
                let committed = write_batch(c, &mut jobs, &group.transactions);
                Ok((jobs, committed))
            })
            .await;
        match outcome {
            Ok((jobs, committed)) => {
                let committed = committed.map_err(|e| e.to_string());
                for job in jobs {
                    job.settle(committed.as_ref().map(|_| ()).map_err(String::as_str));
                }
            }
            // No connection: the jobs were dropped with the closure, and their
            // callers hear "not committed".
            Err(e) => tracing::warn!(error = %e, "A grouped inventory write could not start."),
        }
    }
}

/// One batch: all items in one transaction, or, when one fails, again with a
/// savepoint each (see the module doc). `Err` when the transaction could not be
/// committed.
fn write_batch(
    c: &mut Connection,
    jobs: &mut [Box<dyn Queued>],
    transactions: &AtomicU64,
) -> Result<(), rusqlite::Error> {
    transactions.fetch_add(1, Ordering::Relaxed);
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if jobs.iter_mut().all(|job| job.run(&tx)) {
        return tx.commit();
    }
    drop(tx);
    transactions.fetch_add(1, Ordering::Relaxed);
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for job in jobs.iter_mut() {
        execute_cached(&tx, "SAVEPOINT item", [])?;
        if !job.run(&tx) {
            execute_cached(&tx, "ROLLBACK TO item", [])?;
        }
        execute_cached(&tx, "RELEASE item", [])?;
    }
    tx.commit()
}

/// An item's result once its batch has committed or failed.
fn settled<R>(
    result: &mut oneshot::Receiver<Result<R, StoreError>>,
) -> Option<Result<R, StoreError>> {
    match result.try_recv() {
        Ok(out) => Some(out),
        Err(oneshot::error::TryRecvError::Empty) => None,
        Err(oneshot::error::TryRecvError::Closed) => {
            Some(Err(not_committed("its transaction failed")))
        }
    }
}

#[cfg(test)]
impl Store {
    /// (transactions begun, items taken) by the group commit so far.
    pub(crate) fn group_stats(&self) -> (u64, u64) {
        (
            self.group.transactions.load(Ordering::Relaxed),
            self.group.items.load(Ordering::Relaxed),
        )
    }

    /// Writes waiting in the queue for a turn.
    pub(crate) fn group_queued(&self) -> usize {
        self.group
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Holds the writer's turn, so the writes started meanwhile queue up.
    pub(crate) async fn hold_writer(&self) -> tokio::sync::OwnedMutexGuard<()> {
        std::sync::Arc::clone(&self.writer).lock_owned().await
    }
}
