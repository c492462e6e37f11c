//! Upload and replace API definitions. The body is the definition file, sent raw or
//! as the multipart field `body`; it goes through the same normalizer the importers
//! use, and nothing is stored unless it normalizes.

use apihub_connectors::DefinitionFormat;
use apihub_connectors::normalize::{Hints, NormalizeError, NormalizedDefinition};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::AppState;
use crate::api::error::{ApiError, ErrorEnvelope};
use crate::api::extract::{ApiQuery, body_error};
use crate::inventory::{Source, SourceMode, TargetDetail, TargetView};
use crate::store::{NewDefinition, NewTarget};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// openapi3, openapi2, graphql, grpc, raml, genericapi, wsdl or wadl (any letter
    /// case). The content must be of this format.
    #[param(
        required = true,
        pattern = r"^(?i:openapi3|openapi2|graphql|grpc|raml|genericapi|wsdl|wadl)$",
        example = "openapi3"
    )]
    format: Option<String>,
    /// provided (manual upload), discovered or imported (any letter case).
    #[param(
        required = true,
        pattern = r"^(?i:provided|discovered|imported)$",
        example = "provided"
    )]
    mode: Option<String>,
    /// A label for the source, e.g. `manual-upload` (1-255 characters).
    #[param(
        required = true,
        min_length = 1,
        max_length = 255,
        pattern = r"\S",
        example = "manual-upload"
    )]
    origin: Option<String>,
    /// Name of the new target (default: the definition's title); 1-255 characters,
    /// no control, bidirectional or invisible characters.
    #[param(min_length = 1, max_length = 255)]
    name: Option<String>,
}

struct Checked {
    format: DefinitionFormat,
    source: Source,
    name: Option<String>,
    file_name: Option<String>,
}

fn required<'a>(v: &'a Option<String>, field: &str) -> Result<&'a str, ApiError> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Err(ApiError::invalid(field, "is required")),
        Some(s) => Ok(s),
    }
}

fn check(q: &UploadQuery) -> Result<Checked, ApiError> {
    let format = required(&q.format, "format")?
        .parse::<DefinitionFormat>()
        .map_err(|e| ApiError::invalid("format", e.to_string()))?;
    let mode = required(&q.mode, "mode")?
        .parse::<SourceMode>()
        .map_err(|e| ApiError::invalid("mode", e))?;
    let origin = required(&q.origin, "origin")?;
    if origin.chars().count() > 255 {
        return Err(ApiError::invalid(
            "origin",
            "must be at most 255 characters",
        ));
    }
    let name = match q.name.as_deref().map(str::trim) {
        Some("") => return Err(ApiError::invalid("name", "must not be empty")),
        Some(n) if n.chars().count() > 255 => {
            return Err(ApiError::invalid("name", "must be at most 255 characters"));
        }
        Some(n) => {
            crate::text::check_name(n).map_err(|e| ApiError::invalid("name", e))?;
            Some(crate::text::normalized(n))
        }
        None => None,
    };
    Ok(Checked {
        format,
        source: Source {
            mode,
            origin: origin.to_owned(),
        },
        name,
        file_name: None,
    })
}

/// The definition bytes, its file name (multipart) and content type (raw).
async fn read_body(
    state: &AppState,
    req: Request,
) -> Result<(Vec<u8>, Option<String>, Option<String>), ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = if content_type
        .as_deref()
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/form-data"))
    {
        let mut form = Multipart::from_request(req, state).await.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                format!("multipart body: {e}"),
            )
        })?;
        loop {
            let field = form
                .next_field()
                .await
                .map_err(|e| multipart_error(&e.to_string(), e.status()))?;
            let Some(field) = field else {
                return Err(ApiError::invalid(
                    "body",
                    "the multipart form has no field named `body`",
                ));
            };
            if field.name() == Some("body") {
                let file_name = field.file_name().map(str::to_owned);
                let ct = field.content_type().map(str::to_owned);
                let data = field
                    .bytes()
                    .await
                    .map_err(|e| multipart_error(&e.to_string(), e.status()))?;
                return non_empty(data.to_vec()).map(|d| (d, file_name, ct));
            }
        }
    } else {
        Bytes::from_request(req, state).await.map_err(body_error)?
    };
    non_empty(bytes.to_vec()).map(|b| (b, None, content_type))
}

fn multipart_error(message: &str, status: StatusCode) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "payload_too_large",
            "the definition is larger than this endpoint accepts",
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("multipart body: {message}"),
        )
    }
}

fn non_empty(b: Vec<u8>) -> Result<Vec<u8>, ApiError> {
    if b.iter().all(u8::is_ascii_whitespace) {
        Err(ApiError::invalid("body", "the definition is empty"))
    } else {
        Ok(b)
    }
}

/// Runs the normalizer off the async runtime and maps its errors to 4xx.
pub async fn normalize_upload(
    state: &AppState,
    bytes: Vec<u8>,
    hints: Hints,
) -> Result<NormalizedDefinition, ApiError> {
    let limits = state.limits.clone();
    let result = tokio::task::spawn_blocking(move || {
        apihub_connectors::normalize::normalize(bytes, &hints, &limits)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    result.map_err(|e| match e {
        NormalizeError::TooLarge { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            e.to_string(),
        ),
        NormalizeError::FormatMismatch { .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, "format_mismatch", e.to_string())
                .with_field("format")
        }
        other => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_definition",
            other.to_string(),
        )
        .with_field("body"),
    })
}

async fn definition(
    state: &AppState,
    q: &UploadQuery,
    req: Request,
) -> Result<(Checked, NewDefinition), ApiError> {
    let mut checked = check(q)?;
    let (bytes, file_name, content_type) = read_body(state, req).await?;
    checked.file_name = file_name.clone();
    let hints = Hints {
        declared: Some(checked.format),
        file_name,
        content_type,
        format_hint: None,
    };
    let normalized = normalize_upload(state, bytes, hints).await?;
    let def = NewDefinition {
        normalized,
        source: checked.source.clone(),
        source_name: None,
        url: None,
        synthesized: None,
        operation_notes: Vec::new(),
    };
    Ok((checked, def))
}

/// Upload an API definition and create a new API target from it.
#[utoipa::path(post, path = "/api-targets/create-from-definition", tag = "API Targets",
    params(UploadQuery, ("Idempotency-Key" = Option<String>, Header, description = "Makes the create safe to retry: a create with a key that an earlier create used returns that target (with `Idempotent-Replayed: true`, and `Idempotent-Replayed-Request` naming the `X-Request-Id` of that create) and writes nothing. 1-255 visible ASCII characters.")),
    request_body(description = "The definition file: the raw body, or the multipart/form-data field `body`. A zip is one multi-file definition (a RAML project or an OpenAPI document with sibling files; the root from `exchange.json`'s `main`).",
        content((Vec<u8> = "application/octet-stream"), (Vec<u8> = "multipart/form-data"))),
    responses((status = 200, description = "The new target", body = TargetView),
              (status = 400, description = "Missing parameter, unknown format, unreadable definition or content of another format", body = ErrorEnvelope),
              (status = 413, description = "Definition over `normalize.max_input_bytes`", body = ErrorEnvelope)))]
pub async fn create_from_definition(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    req: Request,
) -> Result<Response, ApiError> {
    let key = idempotency_key(req.headers())?;
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (checked, def) = definition(&state, &q, req).await?;
    let n = &def.normalized;
    // Name: the `name` parameter, else the definition's title, else the file's name.
    let stem = checked
        .file_name
        .as_deref()
        .and_then(|f| f.rsplit_once('.').map_or(Some(f), |(s, _)| Some(s)))
        .filter(|s| !s.is_empty());
    let name = checked
        .name
        .or_else(|| n.title.as_deref().and_then(crate::text::clean_name))
        .or_else(|| stem.and_then(crate::text::clean_name))
        .unwrap_or_else(|| "Untitled API".into());
    let description = Some(
        n.description
            .clone()
            .unwrap_or_else(|| "No description provided".into()),
    );
    let (detail, replayed) = state
        .store
        .create_target_once(
            NewTarget {
                name,
                description,
                definition: def,
            },
            key.map(|k| (k, request_id)),
            state.clock.now_ms(),
        )
        .await?;
    if let Some(original) = replayed {
        tracing::info!(target_id = %detail.target.id, "Upload replayed for its Idempotency-Key; nothing written.");
        let mut resp = Json(TargetView::from(detail.target)).into_response();
        let headers = resp.headers_mut();
        headers.insert(REPLAYED, axum::http::HeaderValue::from_static("true"));
        if let Ok(v) = axum::http::HeaderValue::from_str(&original) {
            headers.insert(REPLAYED_REQUEST, v);
        }
        return Ok(resp);
    }
    tracing::info!(target_id = %detail.target.id, operations = detail.target.operations_count, "Definition uploaded.");
    Ok(Json(TargetView::from(detail.target)).into_response())
}

/// Answer header of a create that an earlier one with the same key already did.
pub const REPLAYED: &str = "idempotent-replayed";
/// ... and the `X-Request-Id` that earlier create carried, so a client that sends
/// its own request id can tell its lost create from someone else's.
pub const REPLAYED_REQUEST: &str = "idempotent-replayed-request";

/// The `Idempotency-Key` header (IETF draft-ietf-httpapi-idempotency-key-header):
/// 1-255 visible ASCII characters.
fn idempotency_key(headers: &axum::http::HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let bad = || ApiError::invalid("Idempotency-Key", "must be 1-255 visible ASCII characters");
    let key = v.to_str().map_err(|_| bad())?.trim();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(Some(key.to_owned()))
}

/// Replace a definition of a target with a new file (same query parameters as the
/// upload). Operations that stay keep their id and `excludeOperation`.
#[utoipa::path(put, path = "/api-targets/{apiTargetId}/definitions/{definitionId}", tag = "API Targets",
    params(("apiTargetId" = String, Path, description = "Target id"), ("definitionId" = String, Path, description = "Definition id"), UploadQuery),
    request_body(description = "The definition file, raw or as the multipart field `body` (a zip: one multi-file definition).",
        content((Vec<u8> = "application/octet-stream"), (Vec<u8> = "multipart/form-data"))),
    responses((status = 200, description = "The target with its operations", body = TargetDetail),
              (status = 400, description = "Bad input", body = ErrorEnvelope),
              (status = 404, description = "Unknown target or definition", body = ErrorEnvelope),
              (status = 413, description = "Definition too large", body = ErrorEnvelope)))]
pub async fn replace_definition(
    State(state): State<AppState>,
    Path((target_id, definition_id)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    req: Request,
) -> Result<Json<TargetDetail>, ApiError> {
    if q.name.is_some() {
        return Err(ApiError::invalid(
            "name",
            "rename a target with PATCH /api-targets/{apiTargetId}",
        ));
    }
    let (_, def) = definition(&state, &q, req).await?;
    let detail = state
        .store
        .replace_definition(target_id, definition_id, def, state.clock.now_ms())
        .await?;
    Ok(Json(detail.into()))
}
