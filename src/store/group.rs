//! Group commit for the sync engine's writes: items that arrive while another
//! transaction holds the writer's turn wait in a queue, and whoever takes the
//! turn next writes every queued item in one transaction. A commit costs about as
//! much as several small items' inserts, so sharing it is most of the write
//! throughput (`cargo bench --bench sync`).
//!
//! What a caller can rely on:
//! - **Nothing is reported written before it is committed.** Each item's result
//!   is held until the transaction's `COMMIT` returns; if the commit fails, every
//!   item of the batch gets that error, and the transaction is rolled back.
//! - **A failing item fails alone.** Each item runs inside its own `SAVEPOINT`;
//!   an error rolls back to it, so the item leaves no trace and the others of the
//!   batch still commit.
//! - **Nobody waits longer than before.** The queue is drained by whichever caller
//!   takes the turn, so the wait is at most the batch ahead plus one's own; a
//!   batch holds at most [`MAX_BATCH`] items.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use super::{Store, StoreError};

/// Items per transaction at most: bounds how long one commit keeps others waiting.
pub(super) const MAX_BATCH: usize = 256;

/// An item's result, held until its batch commits (`Ok`) or fails (`Err`).
type Pending = Box<dyn FnOnce(Result<(), &str>) + Send>;

/// One queued write: runs inside the batch's transaction, within its savepoint.
/// `Err` means the transaction itself can no longer be used.
type Job = Box<dyn FnOnce(&Transaction<'_>) -> Result<Pending, StoreError> + Send>;

#[derive(Default)]
pub(super) struct Queue {
    jobs: Mutex<Vec<Job>>,
    /// Transactions run and items written through them (tests read the ratio).
    batches: AtomicU64,
    items: AtomicU64,
}

impl Queue {
    fn push(&self, job: Job) {
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(job);
    }

    fn take(&self) -> Vec<Job> {
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
    pub(super) async fn write_grouped<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&Transaction<'_>) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let (done, result) = oneshot::channel::<Result<R, StoreError>>();
        self.group.push(Box::new(move |tx| {
            tx.execute_batch("SAVEPOINT item")?;
            let out = f(tx);
            tx.execute_batch(if out.is_ok() {
                "RELEASE item"
            } else {
                "ROLLBACK TO item; RELEASE item"
            })?;
            Ok(Box::new(move |committed: Result<(), &str>| {
                let _ = done.send(match committed {
                    Ok(()) => out,
                    Err(e) => Err(StoreError::Pool(format!(
                        "the write was not committed: {e}"
                    ))),
                });
            }))
        }));
        // Until our item has been written, by us or by whoever had the turn.
        let mut result = result;
        loop {
            {
                let _turn = self.writer.lock().await;
                let jobs = self.group.take();
                if !jobs.is_empty() {
                    self.run_batch(jobs).await;
                }
            }
            match result.try_recv() {
                Ok(out) => return out,
                Err(oneshot::error::TryRecvError::Empty) => {}
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err(StoreError::Pool(
                        "the write was not committed: its transaction failed".into(),
                    ));
                }
            }
        }
    }

    async fn run_batch(&self, jobs: Vec<Job>) {
        self.group.batches.fetch_add(1, Ordering::Relaxed);
        self.group
            .items
            .fetch_add(jobs.len() as u64, Ordering::Relaxed);
        let outcome = self
            .with_conn(move |c| {
                let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let mut pending = Vec::with_capacity(jobs.len());
                for job in jobs {
                    match job(&tx) {
                        Ok(p) => pending.push(p),
                        // The rest are dropped unrun: their callers hear "not committed".
                        Err(e) => return Ok((pending, Err(e.to_string()))),
                    }
                }
                let committed = tx.commit().map_err(|e| e.to_string());
                Ok((pending, committed))
            })
            .await;
        match outcome {
            Ok((pending, committed)) => {
                for p in pending {
                    p(committed.as_ref().map(|_| ()).map_err(String::as_str));
                }
            }
            // No connection: the jobs were dropped with the closure, and their
            // callers hear "not committed".
            Err(e) => tracing::warn!(error = %e, "A grouped inventory write could not start."),
        }
    }
}

#[cfg(test)]
impl Store {
    /// (transactions, items) the group commit has run so far.
    pub(crate) fn group_stats(&self) -> (u64, u64) {
        (
            self.group.batches.load(Ordering::Relaxed),
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
