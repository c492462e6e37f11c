//! What a run did: counts, per-item notes and the one-line reason a failed run
//! gives (`lastRunFailReason`).

use std::time::Duration;

use crate::run::{ItemNote, ItemOutcome, RunCounts, RunStatus};

/// Notes kept per run; a source with more items still counts them all.
const MAX_NOTES: usize = 5_000;
const MAX_REASON_CHARS: usize = 300;

#[derive(Debug, Default, Clone)]
pub struct Report {
    pub run_id: String,
    pub counts: RunCounts,
    pub notes: Vec<ItemNote>,
    /// The listing failed: nothing was fetched.
    pub listing_error: Option<String>,
    /// The run was stopped (timeout, importer deleted, shutdown).
    pub cancelled: Option<String>,
    first_failure: Option<String>,
    pub elapsed: Duration,
}

impl Report {
    pub fn status(&self) -> RunStatus {
        if self.listing_error.is_some() || self.cancelled.is_some() || self.counts.failed > 0 {
            RunStatus::Failed
        } else {
            RunStatus::Completed
        }
    }

    /// Short and human: what failed and the first cause.
    pub fn fail_reason(&self) -> Option<String> {
        let reason = if let Some(e) = &self.listing_error {
            e.clone()
        } else if let Some(c) = &self.cancelled {
            format!(
                "run cancelled: {c} ({} of {} APIs processed)",
                self.processed(),
                self.counts.discovered.max(self.processed())
            )
        } else if self.counts.failed > 0 {
            let first = self.first_failure.as_deref().unwrap_or("unknown error");
            let of = if self.counts.discovered == 1 {
                "API".to_owned()
            } else {
                "APIs".to_owned()
            };
            format!(
                "{} of {} {of} failed: {first}",
                self.counts.failed, self.counts.discovered
            )
        } else {
            return None;
        };
        Some(truncate(&reason))
    }

    fn processed(&self) -> u32 {
        let c = self.counts;
        c.created + c.updated + c.unchanged + c.skipped_empty + c.skipped + c.failed
    }

    pub fn listing_failed(&mut self, message: String) {
        self.listing_error = Some(message);
    }

    /// A failure of the run's own bookkeeping (not an item of the source).
    pub fn note_run_failure(&mut self, what: &str, message: String) {
        self.counts.failed += 1;
        if self.first_failure.is_none() {
            self.first_failure = Some(format!("{what}: {message}"));
        }
        if self.notes.len() < MAX_NOTES {
            self.notes.push(ItemNote {
                external_key: what.to_owned(),
                name: None,
                outcome: ItemOutcome::Failed,
                message: Some(message),
            });
        }
    }

    /// Counts one item (`discovered` too) and keeps a note of it.
    pub fn note(
        &mut self,
        key: &str,
        name: Option<String>,
        outcome: ItemOutcome,
        message: Option<String>,
    ) {
        tracing::debug!(
            item = key,
            ?outcome,
            note = message.as_deref().unwrap_or(""),
            "Item synced."
        );
        let c = &mut self.counts;
        c.discovered += 1;
        match outcome {
            ItemOutcome::Created => c.created += 1,
            ItemOutcome::Updated => c.updated += 1,
            ItemOutcome::Unchanged => c.unchanged += 1,
            ItemOutcome::SkippedEmpty => c.skipped_empty += 1,
            ItemOutcome::Skipped => c.skipped += 1,
            ItemOutcome::Failed => {
                c.failed += 1;
                if self.first_failure.is_none() {
                    self.first_failure =
                        Some(format!("{key}: {}", message.as_deref().unwrap_or("failed")));
                }
            }
        }
        if self.notes.len() < MAX_NOTES {
            self.notes.push(ItemNote {
                external_key: key.to_owned(),
                name,
                outcome,
                message,
            });
        }
    }
}

fn truncate(s: &str) -> String {
    if s.chars().count() <= MAX_REASON_CHARS {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(MAX_REASON_CHARS).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_say_how_many_failed_and_the_first_cause() {
        let mut r = Report::default();
        for i in 0..40 {
            if i == 3 || i == 7 {
                let why = Some("401 Unauthorized".to_owned());
                r.note(&format!("api{i}"), None, ItemOutcome::Failed, why);
            } else {
                r.note(&format!("api{i}"), None, ItemOutcome::Created, None);
            }
        }
        assert_eq!(r.status(), RunStatus::Failed);
        assert_eq!(
            r.fail_reason().as_deref(),
            Some("2 of 40 APIs failed: api3: 401 Unauthorized")
        );
        let ok = Report::default();
        assert_eq!(
            (ok.status(), ok.fail_reason()),
            (RunStatus::Completed, None)
        );
        let mut listing = Report::default();
        listing.listing_failed("Azure token request failed: 401 invalid_client".into());
        assert_eq!(
            listing.fail_reason().as_deref(),
            Some("Azure token request failed: 401 invalid_client")
        );
    }
}
