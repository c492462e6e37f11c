//! API targets: list (keyset pages, search, sort), read, edit, delete, exclude an
//! operation, download a definition's original file.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::AppState;
use crate::api::error::{ApiError, ErrorEnvelope};
use crate::api::extract::{ApiJson, ApiQuery};
use crate::inventory::filter::Sort;
use crate::inventory::{Annotation, OperationView, TargetDetail, TargetPage};
use crate::store::{ListQuery, TargetPatch};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1-500 (default 20).
    #[param(minimum = 1, maximum = 500)]
    pub(crate) limit: Option<u32>,
    /// `0` (or absent) for the first page, then `nextPage` / `previousPage`.
    /// Cursors are opaque; one made for another `sort` is refused.
    pub(crate) cursor: Option<String>,
    /// Case-insensitive substring of the name (at most 255 characters, no
    /// control characters).
    #[param(max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub(crate) search: Option<String>,
    /// `name`, `createdAt`, `modifiedAt`, `lastScanned`, `lastScanStatus`,
    /// `definitionFormat` or `operationsCount`; prefix `-` for descending
    /// (default `createdAt`).
    #[param(
        pattern = r"^(-?(name|createdAt|modifiedAt|lastScanned|lastScanStatus|definitionFormat|operationsCount))?$"
    )]
    pub(crate) sort: Option<String>,
    /// Only hidden (`true`) or only visible (`false`) targets; default both.
    pub(crate) is_hidden: Option<bool>,
}

/// List API targets.
#[utoipa::path(get, path = "/api-targets", tag = "API Targets", params(ListParams),
    responses((status = 200, description = "One page of targets", body = TargetPage),
              (status = 400, description = "Bad limit, cursor or sort", body = ErrorEnvelope)))]
pub async fn list_targets(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<TargetPage>, ApiError> {
    let limit = match p.limit {
        None => 20,
        Some(n @ 1..=500) => n,
        Some(_) => return Err(ApiError::invalid("limit", "must be between 1 and 500")),
    };
    let sort = match p.sort.as_deref() {
        None | Some("") => Sort::default(),
        Some(s) => s
            .parse::<Sort>()
            .map_err(|e| ApiError::invalid("sort", e))?,
    };
    if p.search.as_ref().is_some_and(|s| s.chars().count() > 255) {
        return Err(ApiError::invalid(
            "search",
            "must be at most 255 characters",
        ));
    }
    // A NUL or other control character cannot be in a name; it would also reach
    // the full-text index's query parser.
    if let Some(c) = p
        .search
        .as_deref()
        .and_then(|s| s.chars().find(|c| c.is_control()))
    {
        return Err(ApiError::invalid(
            "search",
            format!(
                "must not contain control characters (found U+{:04X})",
                u32::from(c)
            ),
        ));
    }
    let q = ListQuery {
        limit,
        cursor: p.cursor,
        search: p.search.map(|s| s.trim().to_owned()),
        sort,
        hidden: p.is_hidden,
    };
    Ok(Json(state.store.list_targets(q).await?.into()))
}

/// Get an API target with its operations.
#[utoipa::path(get, path = "/api-targets/{apiTargetId}", tag = "API Targets",
    params(("apiTargetId" = String, Path, description = "Target id")),
    responses((status = 200, description = "The target and its operations", body = TargetDetail),
              (status = 404, description = "Unknown id", body = ErrorEnvelope)))]
pub async fn get_target(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TargetDetail>, ApiError> {
    state
        .store
        .get_target(&id)
        .await?
        .map(|t| Json(t.into()))
        .ok_or_else(|| ApiError::not_found("API target", &id))
}

/// Fields of a target a user may change; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TargetPatchRequest {
    /// 1-255 characters; no control, bidirectional or invisible characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 255)]
    name: Option<String>,
    /// Up to 4096 characters; `null` clears it.
    #[serde(default, deserialize_with = "crate::api::extract::double_option")]
    #[schema(value_type = Option<String>, max_length = 4096)]
    description: Option<Option<String>>,
    #[serde(default)]
    is_hidden: Option<bool>,
    /// http(s) URLs of at most 2048 characters.
    #[serde(default)]
    #[schema(inline, value_type = Option<Vec<HttpUrl>>)]
    alternative_urls: Option<Vec<String>>,
    /// Replaces the user annotations (keys starting with `apihub.` are reserved).
    #[serde(default)]
    #[schema(value_type = Option<Vec<AnnotationInput>>)]
    annotations: Option<Vec<Annotation>>,
    #[serde(default, deserialize_with = "crate::api::extract::double_option")]
    #[schema(value_type = Option<String>)]
    api_credential_id: Option<Option<String>>,
}

/// An http(s) URL, as accepted in `alternativeUrls`.
#[derive(ToSchema)]
#[schema(value_type = String, max_length = 2048, pattern = r"^https?://\S+$")]
#[allow(dead_code)] // documentation only
struct HttpUrl(String);

/// A user annotation as sent in a PATCH (the daemon's `apihub.` keys are refused).
#[derive(ToSchema)]
#[allow(dead_code)] // documentation only; requests are read as `Annotation`
struct AnnotationInput {
    #[schema(min_length = 1, max_length = 255, pattern = r"^(?!apihub\.)\S")]
    key: String,
    #[schema(max_length = 4096)]
    value: String,
}

fn to_patch(r: TargetPatchRequest) -> Result<TargetPatch, ApiError> {
    let name = match r.name.map(|n| n.trim().to_owned()) {
        Some(n) if n.is_empty() || n.chars().count() > 255 => {
            return Err(ApiError::invalid("name", "must be 1-255 characters"));
        }
        Some(n) => {
            crate::text::check_name(&n).map_err(|e| ApiError::invalid("name", e))?;
            Some(crate::text::normalized(&n))
        }
        None => None,
    };
    if r.description
        .as_ref()
        .and_then(Option::as_ref)
        .is_some_and(|d| d.chars().count() > 4096)
    {
        return Err(ApiError::invalid(
            "description",
            "must be at most 4096 characters",
        ));
    }
    if let Some(urls) = &r.alternative_urls {
        for (i, u) in urls.iter().enumerate() {
            if !(u.starts_with("http://") || u.starts_with("https://")) || u.chars().count() > 2048
            {
                return Err(ApiError::invalid(
                    format!("alternativeUrls[{i}]"),
                    "must be an http(s) URL of at most 2048 characters",
                ));
            }
        }
    }
    if let Some(list) = &r.annotations {
        for (i, a) in list.iter().enumerate() {
            if a.key.trim().is_empty()
                || a.key.chars().count() > 255
                || a.value.chars().count() > 4096
            {
                return Err(ApiError::invalid(
                    format!("annotations[{i}]"),
                    "key must be 1-255 characters, value at most 4096",
                ));
            }
            if a.key.starts_with("apihub.") {
                return Err(ApiError::invalid(
                    format!("annotations[{i}].key"),
                    "keys starting with `apihub.` are set by the daemon",
                ));
            }
        }
    }
    Ok(TargetPatch {
        name,
        description: r.description,
        is_hidden: r.is_hidden,
        alternative_urls: r.alternative_urls,
        annotations: r.annotations,
        api_credential_id: r.api_credential_id,
    })
}

/// Rename, describe, hide or annotate an API target.
#[utoipa::path(patch, path = "/api-targets/{apiTargetId}", tag = "API Targets", request_body = TargetPatchRequest,
    params(("apiTargetId" = String, Path, description = "Target id")),
    responses((status = 200, description = "The updated target", body = TargetDetail),
              (status = 400, description = "Invalid field", body = ErrorEnvelope),
              (status = 404, description = "Unknown id", body = ErrorEnvelope)))]
pub async fn patch_target(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TargetPatchRequest>,
) -> Result<Json<TargetDetail>, ApiError> {
    let patch = to_patch(req)?;
    Ok(Json(
        state
            .store
            .patch_target(id, patch, state.clock.now_ms())
            .await?
            .into(),
    ))
}

/// Delete an API target with its definitions, operations and links.
#[utoipa::path(delete, path = "/api-targets/{apiTargetId}", tag = "API Targets",
    params(("apiTargetId" = String, Path, description = "Target id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Unknown id", body = ErrorEnvelope)))]
pub async fn delete_target(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_target(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("API target", &id))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExcludeRequest {
    /// `true` leaves the operation out of scans.
    exclude_operation: bool,
}

/// Include or exclude an operation (kept across re-imports of the definition).
#[utoipa::path(patch, path = "/api-targets/{apiTargetId}/operations/{operationId}", tag = "API Targets", request_body = ExcludeRequest,
    params(("apiTargetId" = String, Path, description = "Target id"), ("operationId" = String, Path, description = "Operation id")),
    responses((status = 200, description = "The operation", body = OperationView),
              (status = 404, description = "Unknown target or operation", body = ErrorEnvelope)))]
pub async fn exclude_operation(
    State(state): State<AppState>,
    Path((target, op)): Path<(String, String)>,
    ApiJson(req): ApiJson<ExcludeRequest>,
) -> Result<Json<OperationView>, ApiError> {
    let op = state
        .store
        .set_operation_excluded(target, op, req.exclude_operation)
        .await?;
    Ok(Json(op.into()))
}

/// Download a definition's file as it was uploaded or imported.
#[utoipa::path(get, path = "/api-targets/{apiTargetId}/definitions/{definitionId}/content", tag = "API Targets",
    params(("apiTargetId" = String, Path, description = "Target id"), ("definitionId" = String, Path, description = "Definition id")),
    responses((status = 200, description = "The original file: XML formats as `application/xml`, JSON documents as `application/json`, anything else (YAML, RAML, GraphQL, protobuf) as `text/plain`",
        content((String = "application/xml"), (Object = "application/json"), (String = "text/plain"))),
              (status = 404, description = "Unknown target or definition", body = ErrorEnvelope)))]
pub async fn definition_content(
    State(state): State<AppState>,
    Path((target, def)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (bytes, format) = state
        .store
        .definition_content(&target, &def)
        .await?
        .ok_or_else(|| ApiError::not_found("definition", &format!("{target}/{def}")))?;
    let ct = match format.as_str() {
        "Wsdl" | "Wadl" => "application/xml",
        _ if bytes.first() == Some(&b'{') => "application/json",
        _ => "text/plain; charset=utf-8",
    };
    Ok(([(header::CONTENT_TYPE, ct)], bytes).into_response())
}
