//! AWS SDK set-up for one importer: credentials (static keys, the default chain, or
//! an assumed role), one pair of API Gateway clients per region, and
//! [`RegionClients::call`], the one way calls are made: through the shared toolkit's
//! pacer and retry loop (`http::retry`), with one token bucket per region (below API
//! Gateway's ~10 requests/s per account and region). Throttled and 5xx answers and
//! timeouts are retried with jittered exponential backoff (never sooner than 200 ms,
//! or after what a `Retry-After` header says; at most `maxAttempts` attempts); an
//! endpoint that cannot be reached at all fails at once. Errors name the region, the
//! call and what AWS said. The SDK's own retries are off so that retries are paced too.

use std::future::Future;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_apigateway::error::{ProvideErrorMetadata, SdkError};

use super::params::AwsParams;
use crate::error::ConnectorError;
use crate::http::retry::{self, Pacer, RetryPolicy, Verdict};

/// The SDK behaviour this code was written against; pinned so that an SDK update
/// does not change retries or timeouts silently.
fn behavior() -> BehaviorVersion {
    BehaviorVersion::v2026_01_12()
}

/// Credentials and settings shared by every region.
pub async fn base_config(p: &AwsParams) -> SdkConfig {
    let mut loader = aws_config::defaults(behavior())
        .region(Region::new("us-east-1"))
        .retry_config(RetryConfig::disabled());
    if let Some(k) = &p.keys {
        let creds = Credentials::new(
            &k.access_key_id,
            k.secret_access_key.expose(),
            k.session_token.as_ref().map(|t| t.expose().to_owned()),
            None,
            "apihub-importer",
        );
        loader = loader.credentials_provider(creds);
    }
    if let Some(url) = &p.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let base = loader.load().await;
    let Some(role) = &p.role else { return base };
    let mut assume = aws_config::sts::AssumeRoleProvider::builder(&role.role_arn)
        .session_name(&role.session_name)
        .configure(&base);
    if let Some(ext) = &role.external_id {
        assume = assume.external_id(ext);
    }
    let provider = assume.build().await;
    base.into_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

/// The clients and the rate limit of one region.
pub struct RegionClients {
    pub region: String,
    /// Where the calls go, for messages: a DNS failure must name the host.
    host: String,
    pub v1: aws_sdk_apigateway::Client,
    pub v2: aws_sdk_apigatewayv2::Client,
    pacer: Pacer,
    policy: RetryPolicy,
    cancel: tokio_util::sync::CancellationToken,
}

/// A failed call: the connector error and the HTTP status AWS answered with.
#[derive(Debug, Clone)]
pub struct CallError {
    pub error: ConnectorError,
    pub status: Option<u16>,
    verdict: Verdict,
}

fn verdict<E>(
    err: &SdkError<E, aws_sdk_apigateway::config::http::HttpResponse>,
    kind: crate::error::ErrorKind,
) -> Verdict {
    let retry = match err {
        SdkError::TimeoutError(_) => true,
        SdkError::DispatchFailure(d) => d.is_timeout(),
        _ => kind == crate::error::ErrorKind::Transient,
    };
    if !retry {
        return Verdict::Stop;
    }
    let after = err
        .raw_response()
        .and_then(|r| r.headers().get("retry-after"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    Verdict::Retry { after }
}

impl RegionClients {
    pub fn new(
        base: &SdkConfig,
        region: &str,
        p: &AwsParams,
        cancel: tokio_util::sync::CancellationToken,
    ) -> RegionClients {
        let region_cfg = base
            .clone()
            .into_builder()
            .region(Region::new(region.to_owned()))
            .build();
        let host = p
            .endpoint_url
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| format!("apigateway.{region}.amazonaws.com"));
        RegionClients {
            region: region.to_owned(),
            host,
            v1: aws_sdk_apigateway::Client::new(&region_cfg),
            v2: aws_sdk_apigatewayv2::Client::new(&region_cfg),
            pacer: Pacer::per_second(p.max_requests_per_second),
            policy: RetryPolicy {
                max_attempts: p.max_attempts as usize,
                ..RetryPolicy::default()
            },
            cancel,
        }
    }

    /// Makes one API call (`name` is for messages), paced and retried.
    pub async fn call<T, E, F, Fut>(&self, name: &str, mut f: F) -> Result<T, CallError>
    where
        F: FnMut() -> Fut,
        Fut:
            Future<Output = Result<T, SdkError<E, aws_sdk_apigateway::config::http::HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let (region, host) = (&self.region, &self.host);
        let attempt = || {
            // SDK futures send nothing until polled, so the pacing still comes first.
            let fut = f();
            async move {
                fut.await.map_err(|e| {
                    let error = error(region, host, name, &e);
                    let verdict = verdict(&e, error.kind);
                    CallError {
                        error,
                        status: status(&e),
                        verdict,
                    }
                })
            }
        };
        retry::run(
            &self.policy,
            Some(&self.pacer),
            Some(&self.cancel),
            attempt,
            |e: &CallError| e.verdict,
        )
        .await
        .map_err(|f| match f.error {
            Some(e) if !f.cancelled => e,
            _ => CallError {
                error: ConnectorError::transient("run cancelled"),
                status: None,
                verdict: Verdict::Stop,
            },
        })
    }
}

/// How an SDK error reads to an operator: which region and call, what AWS said.
pub fn error<E>(
    region: &str,
    host: &str,
    call: &str,
    err: &SdkError<E, aws_sdk_apigateway::config::http::HttpResponse>,
) -> ConnectorError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
            // The SDK's own text is "dispatch failure"; the cause chain holds what
            // an operator needs ("connection refused", the host that did not resolve).
            let cause = std::error::Error::source(err)
                .map(crate::error::chain)
                .unwrap_or_else(|| crate::error::chain(err));
            ConnectorError::transient(format!(
                "cannot reach AWS API Gateway in {region} at {host}: {cause}"
            ))
        }
        SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
            let status = err.raw_response().map(|r| r.status().as_u16());
            // Some endpoints (proxies, emulators) answer in XML the SDK cannot read.
            let body = err
                .raw_response()
                .and_then(|r| r.body().bytes())
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            let code = err
                .code()
                .map(str::to_owned)
                .or_else(|| between(&body, "<Code>", "</Code>"))
                .unwrap_or_default();
            let message = err
                .message()
                .map(str::to_owned)
                .or_else(|| between(&body, "<Message>", "</Message>"))
                .unwrap_or_else(|| {
                    status
                        .map(|s| format!("HTTP {s}"))
                        .unwrap_or_else(|| "no message".into())
                });
            let code = code.as_str();
            let said = if code.is_empty() {
                message.clone()
            } else {
                format!("{message} ({code})")
            };
            let text = format!("AWS {region} {call}: {said}");
            let auth_codes = [
                "UnrecognizedClientException",
                "InvalidSignatureException",
                "SignatureDoesNotMatch",
                "AccessDeniedException",
                "AccessDenied",
                "ExpiredTokenException",
                "InvalidClientTokenId",
                "UnauthorizedException",
                "MissingAuthenticationTokenException",
            ];
            if auth_codes.contains(&code) || matches!(status, Some(401 | 403)) {
                ConnectorError::auth(text)
            } else if code.contains("TooManyRequests")
                || code.contains("Throttl")
                || status.is_some_and(|s| s == 429 || s >= 500)
            {
                ConnectorError::transient(text)
            } else {
                ConnectorError::protocol(text)
            }
        }
        _ => ConnectorError::protocol(format!("AWS {region} {call}: {err}")),
    }
}

/// Collects every page of a token-paged listing. `page(token)` returns one page's
/// items and the next token (moto ignores page sizes and never sends one).
pub async fn all_pages<T, F, Fut>(
    cx: &crate::connector::Context,
    mut page: F,
) -> Result<Vec<T>, ConnectorError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ConnectorError>>,
{
    let mut out = Vec::new();
    let mut pages = crate::http::paginate::TokenPages::new();
    while let Some(token) = pages.next_page() {
        cx.ensure_active()?;
        let (items, next) = page(token).await?;
        out.extend(items);
        pages.advance(next);
    }
    Ok(out)
}

fn between(text: &str, open: &str, close: &str) -> Option<String> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(text[start..end].trim().to_owned()).filter(|s| !s.is_empty() && s.len() < 500)
}

/// The HTTP status of a service error, when there was a response.
pub fn status<E>(err: &SdkError<E, aws_sdk_apigateway::config::http::HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}
