//! Links from API targets to DAST scan targets (seed 001).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::AppState;
use crate::api::error::{ApiError, ErrorEnvelope};
use crate::api::extract::{ApiJson, ApiQuery};
use crate::inventory::{LinkRequest, LinkView};
use crate::store::{NewLink, StoreError};

fn check(req: &LinkRequest) -> Result<(), ApiError> {
    let url = req.base_url.trim();
    let after_scheme = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    if !after_scheme.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        || url.chars().count() > 2048
    {
        return Err(ApiError::invalid(
            "baseUrl",
            "must be an http(s) URL with a host",
        ));
    }
    if req.api_target_id.trim().is_empty() {
        return Err(ApiError::invalid("apiTargetId", "must not be empty"));
    }
    if req.remote_target_id.trim().is_empty() || req.remote_target_id.chars().count() > 255 {
        return Err(ApiError::invalid(
            "remoteTargetId",
            "must be 1-255 characters",
        ));
    }
    Ok(())
}

/// Link an API target to a DAST scan target; the link shows in the target's `links`.
#[utoipa::path(post, path = "/links", tag = "Links", request_body = LinkRequest,
    responses((status = 200, description = "The link", body = LinkView),
              (status = 400, description = "Invalid field", body = ErrorEnvelope),
              (status = 404, description = "Unknown apiTargetId", body = ErrorEnvelope)))]
pub async fn create_link(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LinkRequest>,
) -> Result<Json<LinkView>, ApiError> {
    check(&req)?;
    let json = |v: Option<serde_json::Value>| v.filter(|v| !v.is_null());
    let new = NewLink {
        api_target_id: req.api_target_id,
        base_url: req.base_url,
        remote_target_id: req.remote_target_id,
        remote_target_display_name: req.remote_target_display_name,
        remote_target_additional_info: req.remote_target_additional_info,
        remote_target_scan_profile: json(serde_json::to_value(req.remote_target_scan_profile).ok()),
        remote_target_extra: json(serde_json::to_value(req.remote_target_extra).ok()),
    };
    match state.store.create_link(new, state.clock.now_ms()).await {
        Err(e @ StoreError::NotFound { .. }) => Err(ApiError::from(e).with_field("apiTargetId")),
        other => Ok(Json(other?.into())),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    /// Only the links of this target.
    api_target_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LinkList {
    links: Vec<LinkView>,
}

/// List links, optionally of one target.
#[utoipa::path(get, path = "/links", tag = "Links", params(LinkQuery),
    responses((status = 200, description = "Links", body = LinkList)))]
pub async fn list_links(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<LinkQuery>,
) -> Result<Json<LinkList>, ApiError> {
    Ok(Json(LinkList {
        links: (state.store.list_links(q.api_target_id).await?)
            .into_iter()
            .map(Into::into)
            .collect(),
    }))
}

/// Get one link.
#[utoipa::path(get, path = "/links/{linkId}", tag = "Links", params(("linkId" = String, Path, description = "Link id")),
    responses((status = 200, description = "The link", body = LinkView), (status = 404, description = "Unknown id", body = ErrorEnvelope)))]
pub async fn get_link(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<LinkView>, ApiError> {
    state
        .store
        .get_link(&id)
        .await?
        .map(|l| Json(l.into()))
        .ok_or_else(|| ApiError::not_found("link", &id))
}

/// Delete a link.
#[utoipa::path(delete, path = "/links/{linkId}", tag = "Links", params(("linkId" = String, Path, description = "Link id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Unknown id", body = ErrorEnvelope)))]
pub async fn delete_link(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_link(&id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("link", &id))
    }
}
