//! Time as the daemon sees it. Production reads the system clock; tests run the
//! scheduler on tokio's paused clock, so "now" is derived from `tokio::time::Instant`
//! whenever time is paused. Stored times are integer milliseconds since the epoch.

use chrono::{DateTime, SecondsFormat, Utc};

#[derive(Clone, Debug)]
pub enum Clock {
    System,
    /// Wall time = `base_ms` + time elapsed on tokio's clock since `start`.
    Tokio {
        base_ms: i64,
        start: tokio::time::Instant,
    },
}

impl Clock {
    /// A clock that follows tokio's (possibly paused) time, starting at `base_ms`.
    pub fn tokio_at(base_ms: i64) -> Clock {
        Clock::Tokio {
            base_ms,
            start: tokio::time::Instant::now(),
        }
    }

    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => Utc::now().timestamp_millis(),
            Clock::Tokio { base_ms, start } => {
                base_ms + i64::try_from(start.elapsed().as_millis()).unwrap_or(i64::MAX)
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

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let clock = Clock::tokio_at(1_000);
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        assert_eq!(clock.now_ms(), 1_000 + 3_600_000);
    }
}
