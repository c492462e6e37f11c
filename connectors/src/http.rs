//! Shared HTTP plumbing for connectors and the remote sink.
//!
//! # How to call a platform
//! Build one `reqwest::Client` per connector ([`client`]), and send every request
//! through [`send`] with a [`RetryPolicy`]: it retries 429, 5xx, timeouts and
//! connection errors with jittered exponential backoff, waits what `Retry-After`
//! says when the server says it, and stops when the run is cancelled. A 4xx other
//! than 429 is returned at once: retrying a rejected request only hides the problem.
//! Never log requests or headers: they carry credentials.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::{RequestBuilder, Response, StatusCode};
use tokio_util::sync::CancellationToken;

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

/// A request that failed for good (after retries, when they applied).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct HttpError {
    /// HTTP status, when the server answered.
    pub status: Option<StatusCode>,
    /// Short: the status and the start of the body, or the network error.
    pub message: String,
    /// What the server asked to wait before retrying.
    pub retry_after: Option<Duration>,
    pub attempts: usize,
}

impl HttpError {
    /// Worth trying again later (throttled, server or network trouble).
    pub fn is_transient(&self) -> bool {
        self.status
            .is_none_or(|s| s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error())
    }
}

/// A client with sane timeouts for talking to a platform.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("apihub-importer/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(resp: &Response) -> Option<Duration> {
    let v = resp
        .headers()
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

async fn excerpt(resp: Response) -> String {
    let text = resp.text().await.unwrap_or_default();
    let short: String = text.chars().take(300).collect();
    short.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn attempt(
    build: &(dyn Fn() -> RequestBuilder + Send + Sync),
) -> Result<Response, HttpError> {
    match build().send().await {
        Ok(resp) if resp.status().is_success() => Ok(resp),
        Ok(resp) => {
            let status = resp.status();
            let wait = retry_after(&resp);
            let body = excerpt(resp).await;
            let message = if body.is_empty() {
                status.to_string()
            } else {
                format!("{status}: {body}")
            };
            Err(HttpError {
                status: Some(status),
                message,
                retry_after: wait,
                attempts: 1,
            })
        }
        Err(e) => {
            let kind = if e.is_timeout() {
                "timed out"
            } else if e.is_connect() {
                "connection failed"
            } else {
                "request failed"
            };
            // reqwest's error text names the URL, not headers or credentials.
            Err(HttpError {
                status: None,
                message: format!("{kind}: {e}"),
                retry_after: None,
                attempts: 1,
            })
        }
    }
}

/// Sends the request `build` makes, retrying transient failures per `policy`.
pub async fn send(
    build: &(dyn Fn() -> RequestBuilder + Send + Sync),
    policy: &RetryPolicy,
    cancel: Option<&CancellationToken>,
) -> Result<Response, HttpError> {
    let backoff = ExponentialBuilder::default()
        .with_min_delay(policy.min_delay)
        .with_max_delay(policy.max_delay)
        .with_max_times(policy.max_attempts.saturating_sub(1))
        .with_jitter();
    let mut attempts = 0usize;
    let work = (|| {
        attempts += 1;
        attempt(build)
    })
    .retry(backoff)
    .when(|e: &HttpError| e.is_transient() && !cancel.is_some_and(CancellationToken::is_cancelled))
    // A server that says how long to wait knows better than our backoff.
    .adjust(|e: &HttpError, dur| e.retry_after.map(|r| r.min(Duration::from_secs(300))).or(dur))
    .notify(|e: &HttpError, dur| tracing::debug!(error = %e.message, wait_ms = dur.as_millis() as u64, "Retrying request."));
    let result = match cancel {
        Some(token) => tokio::select! {
            r = work => r,
            () = token.cancelled() => Err(HttpError { status: None, message: "cancelled".into(), retry_after: None, attempts: 0 }),
        },
        None => work.await,
    };
    result.map_err(|mut e| {
        e.attempts = attempts;
        e
    })
}
