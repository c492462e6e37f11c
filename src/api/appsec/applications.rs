//! Applications: related assets grouped, in collections. An application's
//! `assetIds` and an asset's `applicationIds` are two views of one relation.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::AppState;
use crate::api::error::{ApiError, ErrorEnvelope};
use crate::api::extract::{ApiJson, ApiQuery, double_option};
use crate::appsec::rules;
use crate::appsec::{Application, ApplicationPage};
use crate::store::appsec::{ApplicationPatch, NewApplication};

/// An application to create: its name, description and tags, and the assets and
/// collections it belongs with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApplicationRequest {
    /// 1-255 characters.
    #[schema(min_length = 1, max_length = 255, example = "Barnaby Stores App South")]
    name: String,
    /// Up to 1,023 characters.
    #[serde(default)]
    #[schema(max_length = 1023)]
    description: Option<String>,
    #[serde(default)]
    #[schema(inline, value_type = Vec<super::Tag>, max_items = 100)]
    tags: Vec<String>,
    /// Ids of existing assets.
    #[serde(default)]
    #[schema(inline, value_type = Vec<super::Id>)]
    asset_ids: Vec<String>,
    /// Ids of existing collections.
    #[serde(default)]
    #[schema(inline, value_type = Vec<super::Id>)]
    collection_ids: Vec<String>,
}

/// Changes to an application; absent fields stay as they are, a list replaces.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApplicationPatchRequest {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 255)]
    name: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 1023)]
    description: Option<Option<String>>,
    #[serde(default)]
    #[schema(inline, value_type = Option<Vec<super::Tag>>, max_items = 100)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    #[schema(inline, value_type = Option<Vec<super::Id>>)]
    asset_ids: Option<Vec<String>>,
    #[serde(default)]
    #[schema(inline, value_type = Option<Vec<super::Id>>)]
    collection_ids: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    /// Items per page, 1-500; default 20.
    #[param(minimum = 1, maximum = 500)]
    page_size: Option<u32>,
    /// Which page, from 1; default 1. A page past the end is empty.
    #[param(minimum = 1, maximum = 10_000_000)]
    page_number: Option<u32>,
    /// Add `assetCounts` (live targets and repositories) to each application.
    include_asset_counts: Option<bool>,
}

/// List applications.
#[utoipa::path(get, path = "/applications", tag = "Applications", params(ApplicationQuery),
    responses((status = 200, description = "A page of applications, oldest first", body = ApplicationPage)))]
pub async fn list_applications(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ApplicationQuery>,
) -> Result<Json<ApplicationPage>, ApiError> {
    let page = rules::paging(q.page_size, q.page_number)?;
    let counts = q.include_asset_counts.unwrap_or(false);
    let (items, total) = state
        .store
        .list_applications(state.org(), page, counts)
        .await?;
    Ok(Json(ApplicationPage {
        items,
        page_info: page.info(total),
    }))
}

/// Create an application.
#[utoipa::path(post, path = "/applications", tag = "Applications", request_body = ApplicationRequest,
    responses((status = 201, description = "Created; `Location` is its URL", body = Application,
               headers(("Location" = String, description = "URL of the new application")))))]
pub async fn create_application(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ApplicationRequest>,
) -> Result<Response, ApiError> {
    let new = NewApplication {
        name: rules::name("name", &req.name)?,
        description: rules::description("description", req.description)?,
        tags: rules::tags("tags", req.tags)?,
        asset_ids: rules::ids("assetIds", req.asset_ids)?,
        collection_ids: rules::ids("collectionIds", req.collection_ids)?,
    };
    let made = state
        .store
        .create_application(state.org(), new, state.clock.now_ms())
        .await?;
    Ok(super::created("applications", &made.id.clone(), made))
}

/// Get one application, with its `assetCounts`.
#[utoipa::path(get, path = "/applications/{applicationId}", tag = "Applications",
    params(("applicationId" = String, Path, description = "Application id")),
    responses((status = 200, description = "The application", body = Application)))]
pub async fn get_application(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Application>, ApiError> {
    state
        .store
        .get_application(state.org(), id.clone())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("application", &id))
}

/// Change an application, its assets or its collections.
#[utoipa::path(patch, path = "/applications/{applicationId}", tag = "Applications",
    params(("applicationId" = String, Path, description = "Application id")), request_body = ApplicationPatchRequest,
    responses((status = 200, description = "The changed application", body = Application)))]
pub async fn update_application(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ApplicationPatchRequest>,
) -> Result<Json<Application>, ApiError> {
    let patch = ApplicationPatch {
        name: req.name.map(|n| rules::name("name", &n)).transpose()?,
        description: req
            .description
            .map(|d| rules::description("description", d))
            .transpose()?,
        tags: req.tags.map(|t| rules::tags("tags", t)).transpose()?,
        asset_ids: req
            .asset_ids
            .map(|i| rules::ids("assetIds", i))
            .transpose()?,
        collection_ids: req
            .collection_ids
            .map(|i| rules::ids("collectionIds", i))
            .transpose()?,
    };
    Ok(Json(
        state
            .store
            .update_application(state.org(), id, patch, state.clock.now_ms())
            .await?,
    ))
}

/// Delete an application; its assets and collections stay.
#[utoipa::path(delete, path = "/applications/{applicationId}", tag = "Applications",
    params(("applicationId" = String, Path, description = "Application id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Unknown id", body = ErrorEnvelope)))]
pub async fn delete_application(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_application(id.clone()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("application", &id))
    }
}
