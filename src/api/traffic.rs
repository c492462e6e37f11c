//! `POST /api/apihub/v1/importers/{importerId}/traffic`: where a traffic agent
//! pushes what it saw, for an `invicti_nad_agent` importer. The importer's own
//! registration token authenticates it (the API-token check does not apply here;
//! an API token is accepted too, for operators), so one agent's credential opens
//! nothing else. The batch is read (HAR or NDJSON, gzip or not) within
//! `nad.max_batch_bytes`, scrubbed into observations and committed before the 202,
//! so an accepted batch survives a crash; it then asks for a reconstruction run
//! within a minute (many batches make one run).

use std::num::NonZeroU32;
use std::sync::Arc;

use apihub_connectors::ImporterType;
use apihub_connectors::nad::capture::{self, EntryError};
use apihub_connectors::nad::importer::Settings;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::{Tokens, presented};
use super::error::{ApiError, ErrorEnvelope};

/// Errors listed in a receipt; the counts cover the rest.
const ERRORS_SHOWN: usize = 10;
/// How soon a batch's reconstruction run starts, at the latest.
const RUN_WITHIN_MS: i64 = 60_000;

/// What the route needs besides the app state.
#[derive(Clone)]
pub struct Gate {
    tokens: Tokens,
    limiter: Arc<DefaultKeyedRateLimiter<[u8; 32]>>,
    max_bytes: usize,
}

impl Gate {
    pub fn new(tokens: Tokens, settings: &crate::config::NadSettings) -> Gate {
        let per_minute =
            NonZeroU32::new(settings.batches_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst =
            NonZeroU32::new((settings.batches_per_minute / 10).max(1)).unwrap_or(NonZeroU32::MIN);
        Gate {
            tokens,
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            )),
            max_bytes: settings.max_batch_bytes,
        }
    }
}

pub fn router(gate: Gate) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(push_traffic))
        .layer(axum::Extension(gate))
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
}

/// What happened to a batch.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrafficReceipt {
    /// Exchanges read and kept (after the importer's `hosts` filter).
    pub accepted: usize,
    /// Entries or lines that could not be read.
    pub rejected: usize,
    /// Exchanges read but to hosts the importer's `hosts` do not match.
    pub ignored: usize,
    /// The first few rejections, with their entry index (HAR) or line number
    /// (NDJSON), both from 0.
    pub errors: Vec<TrafficError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrafficError {
    pub index: usize,
    pub message: String,
}

/// A HAR 1.2 log, as browsers, proxies and mitmproxy write it.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documentation only: the connectors' reader parses it
pub struct HarBody {
    log: HarLog,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documentation only
pub struct HarLog {
    /// One exchange each: `request` (`method`, `url`, `headers`), `response`
    /// (`status`, `headers`, `content`), `startedDateTime`.
    #[schema(value_type = Vec<Object>)]
    entries: Vec<serde_json::Value>,
}

/// One NDJSON line: an HTTP exchange as a traffic agent saw it. Header values and
/// body samples are read to infer types and schemes, then dropped: only names,
/// types and schemas are kept.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documentation only: the connectors' reader parses lines
#[schema(rename_all = "camelCase")]
pub struct TrafficExchange {
    /// HTTP method.
    #[schema(example = "GET")]
    method: String,
    /// The absolute request URL.
    #[schema(example = "https://shop.example.com/orders/42?expand=items")]
    url: String,
    /// Response status code.
    #[schema(example = 200)]
    status: u16,
    /// Request headers, name to value.
    #[schema(value_type = Option<Object>)]
    request_headers: Option<serde_json::Value>,
    /// Response headers, name to value.
    #[schema(value_type = Option<Object>)]
    response_headers: Option<serde_json::Value>,
    /// A sample of the request body (JSON value or text, at most 1 MiB).
    #[schema(value_type = Option<Object>)]
    request_body: Option<serde_json::Value>,
    /// A sample of the response body (JSON value or text, at most 1 MiB).
    #[schema(value_type = Option<Object>)]
    response_body: Option<serde_json::Value>,
    /// When the request started (RFC 3339 or milliseconds since the epoch).
    #[schema(value_type = Option<String>, example = "2026-12-01T10:00:00Z")]
    started_at: Option<String>,
}

fn unauthorized() -> ApiError {
    ApiError::unauthorized("invalid registration token for this importer")
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// Push observed traffic to an `invicti_nad_agent` importer.
///
/// Authenticated by the importer's registration token (`Authorization: Bearer
/// <token>`) or an API token. The body is a HAR 1.2 log (`application/json`) or
/// NDJSON, one `TrafficExchange` (see the schemas) per line
/// (`application/x-ndjson`), optionally
/// `Content-Encoding: gzip`, at most `nad.max_batch_bytes` once decoded. Answers
/// after the batch is stored; a reconstruction run follows within a minute.
#[utoipa::path(post, path = "/{importerId}/traffic", tag = "Importers",
    params(("importerId" = String, Path, description = "Importer id")),
    request_body(content((HarBody = "application/json"))),
    responses((status = 202, description = "Stored", body = TrafficReceipt),
              (status = 400, description = "Not a HAR log or NDJSON", body = ErrorEnvelope),
              (status = 401, description = "Missing or wrong token", body = ErrorEnvelope),
              (status = 404, description = "Unknown id (operators only)", body = ErrorEnvelope),
              (status = 409, description = "Not an invicti_nad_agent importer", body = ErrorEnvelope),
              (status = 413, description = "Batch too large", body = ErrorEnvelope),
              (status = 415, description = "Neither JSON nor NDJSON", body = ErrorEnvelope),
              (status = 429, description = "Too many batches for this token", body = ErrorEnvelope)))]
async fn push_traffic(
    State(state): State<AppState>,
    axum::Extension(gate): axum::Extension<Gate>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let token = presented(&req).map(str::to_owned).ok_or_else(|| {
        ApiError::unauthorized("missing registration token: send `Authorization: Bearer <token>`")
    })?;
    let operator = gate.tokens.enabled() && gate.tokens.accepts(&token);
    let row = state.store.get_importer(&id).await?;
    let row = match row {
        Some(r) => r,
        None if operator => return Err(ApiError::not_found("importer", &id)),
        None => return Err(unauthorized()),
    };
    if row.kind != Some(ImporterType::InvictiNadAgent) {
        return Err(if operator {
            ApiError::conflict("traffic is only accepted by invicti_nad_agent importers")
        } else {
            unauthorized()
        });
    }
    let params = state
        .cipher
        .open_parameters(&row.id, &row.parameters)
        .map_err(|e| ApiError::internal(&e))?;
    let settings = Settings::of(&params, &state.env)
        .map_err(|e| ApiError::conflict(format!("the importer's parameters: {}", e.message)))?;
    if !operator {
        let expected = settings.token.as_ref().map(|t| digest(t.expose()));
        let ok = expected.is_some_and(|e| bool::from(e.ct_eq(&digest(&token))));
        if !ok {
            return Err(unauthorized());
        }
    }
    if gate.limiter.check_key(&digest(&token)).is_err() {
        let mut resp = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many traffic batches for this token; retry later",
        )
        .into_response();
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return Ok(resp);
    }
    let ndjson = match content_type(&req).as_deref() {
        Some("application/json") | Some("application/har+json") | None => false,
        Some(
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonlines",
        ) => true,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "`{other}` is neither a HAR log (application/json) nor NDJSON (application/x-ndjson)"
                ),
            ));
        }
    };
    let bytes = read_body(req.into_body(), gate.max_bytes).await?;
    let read = if ndjson {
        capture::read_ndjson(&bytes)
    } else {
        capture::read_har(&bytes)
    };
    let batch = read.map_err(|e| ApiError::invalid("body", e))?;
    let now = state.clock.now_ms();
    let observed = settings.observe(&batch, now);
    let kept = batch
        .exchanges
        .iter()
        .filter(|x| x.url.host_str().is_some_and(|h| settings.keeps(h)))
        .count();
    if !observed.is_empty() {
        state
            .store
            .record_traffic(row.id.clone(), None, observed, now)
            .await?;
        if crate::importer::runnable(row.kind, row.status).is_ok() {
            state.scheduler.run_by(&row.id, now + RUN_WITHIN_MS);
        }
    }
    let receipt = TrafficReceipt {
        accepted: kept,
        rejected: batch.errors.len(),
        ignored: batch.exchanges.len() - kept,
        errors: batch
            .errors
            .into_iter()
            .take(ERRORS_SHOWN)
            .map(|EntryError { index, message }| TrafficError { index, message })
            .collect(),
    };
    crate::metrics::traffic(&receipt);
    tracing::info!(importer = %row.id, accepted = receipt.accepted, rejected = receipt.rejected,
        ignored = receipt.ignored, "Traffic batch stored.");
    Ok((StatusCode::ACCEPTED, Json(receipt)).into_response())
}

/// The media type without parameters, in lower case.
fn content_type(req: &Request) -> Option<String> {
    let v = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        v.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase(),
    )
}

/// The (decoded) body, refused with 413 once it passes `max` bytes.
async fn read_body(body: Body, max: usize) -> Result<Vec<u8>, ApiError> {
    let mut stream = body.into_data_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::invalid("body", format!("could not be read: {e}")))?;
        if out.len() + chunk.len() > max {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!(
                    "a traffic batch may hold at most {max} bytes (nad.max_batch_bytes), decoded"
                ),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
