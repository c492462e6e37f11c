//! Pacing and retries, for every call any connector makes (HTTP, or an SDK such as
//! AWS's): a token bucket per importer (or per region, where the platform's quota
//! is per region), and jittered exponential backoff on throttling, server errors
//! and timeouts that waits what `Retry-After` says when the server says it.

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio_util::sync::CancellationToken;

/// The longest `Retry-After` honoured; a server asking for more is given up on
/// for this run (the next run retries).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all (1 = no retry).
    pub max_attempts: usize,
    pub min_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Try again, after what the server asked for or after the backoff.
    Retry { after: Option<Duration> },
    /// Give up: retrying a rejected request only hides the problem.
    Stop,
}

/// A token bucket: at most `per_second` calls a second, in bursts of one.
#[derive(Clone)]
pub struct Pacer(Arc<DefaultDirectRateLimiter>);

impl Pacer {
    pub fn per_second(n: u32) -> Pacer {
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Pacer(Arc::new(RateLimiter::direct(
            Quota::per_second(n).allow_burst(NonZeroU32::MIN),
        )))
    }

    pub async fn wait(&self) {
        self.0.until_ready().await;
    }
}

/// How a run of attempts ended without success.
#[derive(Debug)]
pub struct Failed<E> {
    /// The last attempt's error; `None` when cancelled before any attempt ended.
    pub error: Option<E>,
    pub attempts: usize,
    /// The run was cancelled.
    pub cancelled: bool,
}

/// Runs `attempt` until it succeeds, `classify` says stop, the attempts run out or
/// `cancel` fires. Each attempt first waits for `pacer`.
pub async fn run<T, E, F, Fut>(
    policy: &RetryPolicy,
    pacer: Option<&Pacer>,
    cancel: Option<&CancellationToken>,
    mut attempt: F,
    classify: impl Fn(&E) -> Verdict,
) -> Result<T, Failed<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    // backon stops yielding after `max_times` (3 by default); the attempts are
    // counted here instead.
    let mut delays = ExponentialBuilder::default()
        .with_min_delay(policy.min_delay)
        .with_max_delay(policy.max_delay)
        .with_max_times(policy.max_attempts)
        .with_jitter()
        .build();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let once = async {
            if let Some(p) = pacer {
                p.wait().await;
            }
            attempt().await
        };
        let result = match cancel {
            Some(token) => tokio::select! {
                r = once => r,
                () = token.cancelled() => return Err(Failed { error: None, attempts, cancelled: true }),
            },
            None => once.await,
        };
        let error = match result {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let wait = match classify(&error) {
            Verdict::Retry { .. } if attempts >= policy.max_attempts => None,
            Verdict::Retry { after: Some(after) } if after > MAX_RETRY_AFTER => None,
            Verdict::Retry { after: Some(after) } => Some(after),
            Verdict::Retry { after: None } => Some(delays.next().unwrap_or(policy.max_delay)),
            Verdict::Stop => None,
        };
        let Some(wait) = wait else {
            return Err(Failed {
                error: Some(error),
                attempts,
                cancelled: false,
            });
        };
        tracing::debug!(
            attempt = attempts,
            wait_ms = wait.as_millis() as u64,
            "Retrying a call."
        );
        let sleep = tokio::time::sleep(wait);
        match cancel {
            Some(token) => tokio::select! {
                () = sleep => {}
                () = token.cancelled() => return Err(Failed { error: Some(error), attempts, cancelled: true }),
            },
            None => sleep.await,
        }
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = when.timestamp_millis() - chrono::Utc::now().timestamp_millis();
    Some(Duration::from_millis(u64::try_from(wait).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "7".parse().expect("header"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        h.insert("retry-after", soon.parse().expect("header"));
        let wait = retry_after(&h).expect("date");
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        h.insert(
            "retry-after",
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().expect("header"),
        );
        assert_eq!(
            retry_after(&h),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        h.insert("retry-after", "soon".parse().expect("header"));
        assert_eq!(retry_after(&h), None);
    }

    #[tokio::test]
    async fn retries_until_success_or_stop() {
        let policy = RetryPolicy {
            max_attempts: 4,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        };
        let mut n = 0;
        let ok = run(
            &policy,
            None,
            None,
            || {
                n += 1;
                let v = n;
                async move { if v < 3 { Err(v) } else { Ok(v) } }
            },
            |_| Verdict::Retry { after: None },
        )
        .await;
        assert_eq!(ok.expect("third attempt"), 3);
        let mut n = 0;
        let stop = run(
            &policy,
            None,
            None,
            || {
                n += 1;
                async { Err::<(), _>("no") }
            },
            |_| Verdict::Stop,
        )
        .await;
        let stop = stop.expect_err("stopped");
        assert_eq!((stop.attempts, stop.cancelled, n), (1, false, 1));
        let gave_up = run(
            &policy,
            None,
            None,
            || async { Err::<(), _>("busy") },
            |_| Verdict::Retry { after: None },
        )
        .await;
        assert_eq!(gave_up.expect_err("gave up").attempts, 4);
        // Every wait stays within the policy (backon's own attempt cap must not
        // turn the later ones into the maximum delay).
        let long = RetryPolicy {
            max_attempts: 8,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_secs(5),
        };
        let started = std::time::Instant::now();
        let _ = run(
            &long,
            None,
            None,
            || async { Err::<(), _>("busy") },
            |_| Verdict::Retry { after: None },
        )
        .await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "8 attempts from 1 ms took {:?}",
            started.elapsed()
        );
        let too_long = run(
            &policy,
            None,
            None,
            || async { Err::<(), _>("later") },
            |_| Verdict::Retry {
                after: Some(Duration::from_secs(3600)),
            },
        )
        .await;
        assert_eq!(
            too_long.expect_err("not waited").attempts,
            1,
            "a Retry-After beyond the cap is not waited for"
        );
        let cancel = CancellationToken::new();
        cancel.cancel();
        let c = run(
            &policy,
            None,
            Some(&cancel),
            std::future::pending::<Result<(), ()>>,
            |_| Verdict::Stop,
        )
        .await;
        assert!(c.expect_err("cancelled").cancelled);
    }
}
