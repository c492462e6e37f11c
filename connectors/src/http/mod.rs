//! The HTTP toolkit every HTTP connector (and the remote sink) uses; no connector
//! writes its own.
//!
//! # How to call a platform
//! Build one [`Http`] per connector from [`HttpOptions`] (the platform's name for
//! messages, a rate limit, the retry policy, timeouts and a response size cap),
//! and make every call through it:
//! - [`Http::send`] paces the call, retries 429, 5xx, timeouts and connection
//!   failures with jittered backoff (waiting what `Retry-After` says), stops at
//!   once on other 4xx, and turns failures into a [`ConnectorError`] that names the
//!   platform, the call and the status, never a secret;
//! - [`Http::send_authed`] adds a bearer token from an [`oauth::TokenSource`] and,
//!   on a 401, fetches a fresh one and tries once more;
//! - [`Http::json`] / [`Http::bytes`] read an answer within the size cap;
//! - [`Http::download_unauthenticated`] fetches a presigned link (Azure's export
//!   blobs, Exchange's S3 files) with a client that never carries the platform's
//!   `Authorization` header;
//! - [`paginate`] walks next links, page tokens, offsets and page numbers.
//!
//! Never log requests or headers: they carry credentials.

pub mod oauth;
pub mod paginate;
pub mod retry;

use std::time::Duration;

use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

pub use retry::{Pacer, RetryPolicy, Verdict, retry_after};

use tokio_util::sync::CancellationToken;

use crate::error::{ConnectorError, chain, redact_queries};

/// How an [`Http`] behaves.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Names the platform in messages: "Kong Admin API", "Azure", "the hub".
    pub platform: String,
    /// Calls per second (0: not paced).
    pub requests_per_second: u32,
    pub retry: RetryPolicy,
    /// Whole-request timeout, always applied.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Largest answer read; more is an error, never a silent truncation.
    pub max_body_bytes: u64,
}

impl HttpOptions {
    pub fn new(platform: impl Into<String>) -> HttpOptions {
        HttpOptions {
            platform: platform.into(),
            requests_per_second: 10,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A failed attempt, before it becomes a [`ConnectorError`].
#[derive(Debug)]
enum Attempt {
    Status {
        status: StatusCode,
        body: String,
        retry_after: Option<Duration>,
    },
    Network {
        timeout: bool,
        cause: String,
    },
}

pub struct Http {
    client: reqwest::Client,
    /// For presigned links: no default headers, no auth, ever.
    bare: reqwest::Client,
    pacer: Option<Pacer>,
    opts: HttpOptions,
}

fn build_client(opts: &HttpOptions) -> Result<reqwest::Client, ConnectorError> {
    reqwest::Client::builder()
        .timeout(opts.timeout)
        .connect_timeout(opts.connect_timeout)
        .user_agent(concat!("apihub-importer/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            ConnectorError::config(format!(
                "cannot set up the HTTP client for {}: {}",
                opts.platform,
                chain(&e)
            ))
        })
}

impl Http {
    /// Fails (rather than falling back to a client without timeouts) when the TLS
    /// or proxy set-up cannot be built.
    pub fn new(opts: HttpOptions) -> Result<Http, ConnectorError> {
        Ok(Http {
            client: build_client(&opts)?,
            bare: build_client(&opts)?,
            pacer: (opts.requests_per_second > 0)
                .then(|| Pacer::per_second(opts.requests_per_second)),
            opts,
        })
    }

    pub fn platform(&self) -> &str {
        &self.opts.platform
    }

    /// `base` + `path` with `query` appended, or an error naming the platform
    /// and the path.
    pub fn url(
        &self,
        base: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<url::Url, ConnectorError> {
        let mut u = url::Url::parse(&format!("{base}{path}")).map_err(|e| {
            ConnectorError::protocol(format!(
                "{}: cannot build the URL of {path} ({e})",
                self.opts.platform
            ))
        })?;
        if !query.is_empty() {
            u.query_pairs_mut().extend_pairs(query);
        }
        Ok(u)
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends the request `build` makes (built again for each attempt), paced and
    /// retried. `call` names it in messages (`GET /services`, "token request").
    pub async fn send(
        &self,
        cancel: &CancellationToken,
        call: &str,
        build: &(dyn Fn(&reqwest::Client) -> RequestBuilder + Send + Sync),
    ) -> Result<Response, ConnectorError> {
        self.send_with(&self.client, cancel, call, build).await
    }

    async fn send_with(
        &self,
        client: &reqwest::Client,
        cancel: &CancellationToken,
        call: &str,
        build: &(dyn Fn(&reqwest::Client) -> RequestBuilder + Send + Sync),
    ) -> Result<Response, ConnectorError> {
        let attempt = || async {
            match build(client).send().await {
                Ok(resp) if resp.status().is_success() => Ok(resp),
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = retry_after(resp.headers());
                    let body = excerpt(resp).await;
                    Err(Attempt::Status {
                        status,
                        body,
                        retry_after,
                    })
                }
                Err(e) => Err(Attempt::Network {
                    timeout: e.is_timeout(),
                    cause: network_cause(&e),
                }),
            }
        };
        let classify = |a: &Attempt| match a {
            Attempt::Status {
                status,
                retry_after,
                ..
            } if *status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() => {
                Verdict::Retry {
                    after: *retry_after,
                }
            }
            Attempt::Status { .. } => Verdict::Stop,
            Attempt::Network { .. } => Verdict::Retry { after: None },
        };
        let result = retry::run(
            &self.opts.retry,
            self.pacer.as_ref(),
            Some(cancel),
            attempt,
            classify,
        )
        .await;
        result.map_err(|f| match f.error {
            _ if f.cancelled => ConnectorError::transient("run cancelled"),
            None => ConnectorError::transient("run cancelled"),
            Some(a) => self.error(call, a, f.attempts),
        })
    }

    /// [`Http::send`] with a bearer token from `auth`; after a 401 the token is
    /// fetched anew and the call made once more.
    pub async fn send_authed(
        &self,
        cancel: &CancellationToken,
        call: &str,
        auth: &dyn oauth::TokenSource,
        build: &(dyn Fn(&reqwest::Client) -> RequestBuilder + Send + Sync),
    ) -> Result<Response, ConnectorError> {
        let token = auth.token(self, cancel, false).await?;
        let first = self
            .send(cancel, call, &|c| build(c).bearer_auth(token.expose()))
            .await;
        match first {
            Err(e) if e.status == Some(401) => {
                let fresh = auth.token(self, cancel, true).await?;
                self.send(cancel, call, &|c| build(c).bearer_auth(fresh.expose()))
                    .await
            }
            other => other,
        }
    }

    /// The answer as JSON, read within the size cap.
    pub async fn json<T: DeserializeOwned>(
        &self,
        call: &str,
        resp: Response,
    ) -> Result<T, ConnectorError> {
        let bytes = self.bytes(call, resp).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            ConnectorError::protocol(format!(
                "{} {call}: the answer is not the JSON expected ({e})",
                self.opts.platform
            ))
        })
    }

    /// The answer's bytes, read within the size cap.
    pub async fn bytes(&self, call: &str, mut resp: Response) -> Result<Vec<u8>, ConnectorError> {
        let cap = self.opts.max_body_bytes;
        if resp.content_length().is_some_and(|n| n > cap) {
            return Err(self.too_large(call));
        }
        let mut out = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if out.len() as u64 + chunk.len() as u64 > cap {
                        return Err(self.too_large(call));
                    }
                    out.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(out),
                Err(e) => {
                    return Err(ConnectorError::transient(format!(
                        "{} {call}: the answer was cut off ({})",
                        self.opts.platform,
                        network_cause(&e)
                    )));
                }
            }
        }
    }

    /// GETs a presigned link with a client that carries no platform credentials.
    pub async fn download_unauthenticated(
        &self,
        cancel: &CancellationToken,
        call: &str,
        url: &str,
    ) -> Result<Vec<u8>, ConnectorError> {
        let parsed = url::Url::parse(url.trim()).map_err(|e| {
            // Not a URL, so `redact_queries` would not see its query: cut it here.
            let shown = match url.split_once('?') {
                Some((head, _)) => format!("{head}?…"),
                None => url.to_owned(),
            };
            ConnectorError::protocol(format!(
                "{} {call}: the download link `{shown}` is not a URL ({e})",
                self.opts.platform,
            ))
        })?;
        let resp = self
            .send_with(&self.bare, cancel, call, &|c| c.get(parsed.clone()))
            .await?;
        self.bytes(call, resp).await
    }

    fn too_large(&self, call: &str) -> ConnectorError {
        ConnectorError::protocol(format!(
            "{} {call}: the answer is larger than {} bytes",
            self.opts.platform, self.opts.max_body_bytes
        ))
    }

    fn error(&self, call: &str, a: Attempt, attempts: usize) -> ConnectorError {
        let p = &self.opts.platform;
        let tries = if attempts > 1 {
            format!(", after {attempts} attempts")
        } else {
            String::new()
        };
        match a {
            Attempt::Status { status, body, .. } => {
                let said = if body.is_empty() {
                    String::new()
                } else {
                    format!(": {}", body.chars().take(300).collect::<String>())
                };
                let text = format!("{p} {call}: HTTP {}{tries}{said}", status.as_u16());
                let e = match status.as_u16() {
                    401 | 403 => ConnectorError::auth(text),
                    429 | 500..=599 => ConnectorError::transient(text),
                    _ => ConnectorError::protocol(text),
                };
                e.with_status(status.as_u16()).with_detail(body)
            }
            Attempt::Network { timeout: true, .. } => ConnectorError::transient(format!(
                "{p} {call}: timed out after {}{tries}",
                shown(self.opts.timeout)
            )),
            Attempt::Network { cause, .. } => {
                ConnectorError::transient(format!("{p} {call}: {cause}{tries}"))
            }
        }
    }
}

/// `30 s`, or `250 ms` under a second (never "0 s").
fn shown(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// "cannot reach http://host:port: connection refused" — the origin (not the
/// path or query) and the whole cause chain.
fn network_cause(e: &reqwest::Error) -> String {
    let origin = e
        .url()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let cause = chain(&e.without_url_ref());
    if origin.is_empty() {
        cause
    } else {
        format!("cannot reach {origin} ({cause})")
    }
}

trait WithoutUrl {
    fn without_url_ref(&self) -> &(dyn std::error::Error + 'static);
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> &(dyn std::error::Error + 'static) {
        // reqwest's own text repeats the URL with its query; its sources say what
        // happened. Skip to the first source when there is one.
        std::error::Error::source(self).unwrap_or(self)
    }
}

/// The start of an error answer (up to 4 KiB), in one line.
async fn excerpt(resp: Response) -> String {
    let text = resp.text().await.unwrap_or_default();
    let short: String = text.chars().take(4096).collect();
    redact_queries(&short.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn failure(url: &str) -> String {
        let mut opts = HttpOptions::new("Kong Admin API");
        opts.retry.max_attempts = 1;
        let http = Http::new(opts).expect("client");
        let url = url.to_owned();
        http.send(&CancellationToken::new(), "GET /services", &move |c| {
            c.get(&url)
        })
        .await
        .expect_err("unreachable")
        .to_string()
    }

    #[test]
    fn timeouts_read_in_the_unit_that_fits() {
        assert_eq!(shown(Duration::from_millis(250)), "250 ms");
        assert_eq!(shown(Duration::from_secs(30)), "30 s");
        assert_eq!(shown(Duration::from_millis(1500)), "1.5 s");
    }

    /// Never a bare "error sending request": the cause chain names what failed.
    #[tokio::test]
    async fn network_failures_name_the_cause_and_the_host() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = closed.local_addr().expect("addr").port();
        drop(closed);
        let text = failure(&format!("http://127.0.0.1:{port}/services?token=s3cret")).await;
        assert!(text.starts_with("Kong Admin API GET /services: "), "{text}");
        assert!(text.to_lowercase().contains("connection refused"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");

        let text = failure("http://no-such-host.invalid/services").await;
        assert!(text.contains("no-such-host.invalid"), "{text}");
        assert!(text.contains("dns error"), "{text}");
    }
}
