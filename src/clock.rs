//! Time as the daemon sees it. Production reads the system clock; scheduler tests
//! drive a manual clock, so "an hour later" takes no time and no tokio timer can
//! fire early. Stored times are integer milliseconds since the epoch.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::sync::watch;

#[derive(Clone, Debug)]
pub enum Clock {
    System,
    /// Moved only by [`Clock::advance`] / [`Clock::set`].
    Manual(Arc<watch::Sender<i64>>),
}

impl Clock {
    pub fn manual(start_ms: i64) -> Clock {
        Clock::Manual(Arc::new(watch::Sender::new(start_ms)))
    }

    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => Utc::now().timestamp_millis(),
            Clock::Manual(tx) => *tx.borrow(),
        }
    }

    /// Moves a manual clock forward (no effect on the system clock).
    pub fn advance(&self, by: Duration) {
        if let Clock::Manual(tx) = self {
            let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
            tx.send_modify(|now| *now = now.saturating_add(by));
        }
    }

    /// Waits until the clock reads `deadline_ms` or later.
    pub async fn sleep_until(&self, deadline_ms: i64) {
        match self {
            Clock::System => {
                let wait = deadline_ms.saturating_sub(self.now_ms()).max(0);
                tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(0))).await;
            }
            Clock::Manual(tx) => {
                let mut rx = tx.subscribe();
                // The sender lives as long as the clock; an error cannot happen.
                let _ = rx.wait_for(|now| *now >= deadline_ms).await;
            }
        }
    }
}

/// RFC 3339 in UTC with second precision, as the seeds show (`2025-11-15T10:30:00Z`).
pub fn format_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses an RFC 3339 timestamp (or a plain date, taken as midnight UTC) to millis.
pub fn parse_ms(s: &str) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
        return Some(t.timestamp_millis());
    }
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|dt| dt.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_seed_and_parses_back() {
        let ms = parse_ms("2025-11-15T10:30:00Z").expect("parse");
        assert_eq!(format_ms(ms), "2025-11-15T10:30:00Z");
        assert_eq!(parse_ms("2025-11-15"), parse_ms("2025-11-15T00:00:00Z"));
        assert_eq!(parse_ms("yesterday"), None);
    }

    #[tokio::test]
    async fn manual_clock_wakes_sleepers_when_advanced() {
        let clock = Clock::manual(1_000);
        let waiter = {
            let c = clock.clone();
            tokio::spawn(async move { c.sleep_until(3_601_000).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        clock.advance(Duration::from_secs(3600));
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woke")
            .expect("join");
        assert_eq!(clock.now_ms(), 3_601_000);
    }
}
