//! Assets: what is scanned, a `Target` (a URL) or a `Repository`. A delete marks
//! an asset `deleted` (lists and reads hide it unless asked `includeDeleted`);
//! a `PATCH` with `deleted: false` restores it.

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
use crate::appsec::{Asset, AssetPage, AssetType};
use crate::store::appsec::{AssetFilter, AssetPatch, NewAsset};

/// An asset to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AssetRequest {
    asset_type: AssetType,
    /// 1-255 characters.
    #[schema(min_length = 1, max_length = 255, example = "Production API")]
    name: String,
    /// Required for a `Target` (one live Target per URL); a repository's URL
    /// otherwise. An absolute http(s) URL.
    #[serde(default)]
    #[schema(inline, value_type = Option<super::HttpUrl>, example = "https://api.example.com")]
    target_url: Option<String>,
    #[serde(default)]
    #[schema(inline, value_type = Vec<super::Tag>, max_items = 100, example = json!(["api", "production"]))]
    tags: Vec<String>,
    /// Ids of existing applications.
    #[serde(default)]
    #[schema(inline, value_type = Vec<super::Id>)]
    application_ids: Vec<String>,
}

/// Changes to an asset; absent fields stay as they are, a list replaces.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AssetPatchRequest {
    #[serde(default)]
    asset_type: Option<AssetType>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 255)]
    name: Option<String>,
    /// `null` clears it (not on a `Target`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(inline, value_type = Option<super::HttpUrl>)]
    target_url: Option<Option<String>>,
    #[serde(default)]
    #[schema(inline, value_type = Option<Vec<super::Tag>>, max_items = 100)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    #[schema(inline, value_type = Option<Vec<super::Id>>)]
    application_ids: Option<Vec<String>>,
    /// `false` restores a deleted asset (any other change to a deleted asset is
    /// a 404).
    #[serde(default)]
    deleted: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AssetQuery {
    /// Only assets of this application.
    application_id: Option<String>,
    /// Only `Target` or only `Repository` assets.
    #[param(value_type = Option<AssetType>)]
    asset_type: Option<AssetType>,
    /// Only the asset at this URL (letter case of scheme and host, a default port
    /// and a trailing slash do not matter).
    target_url: Option<String>,
    /// Include deleted assets. Default `false`.
    include_deleted: Option<bool>,
    /// Items per page, 1-500; default 20.
    #[param(minimum = 1, maximum = 500)]
    page_size: Option<u32>,
    /// Which page, from 1; default 1. A page past the end is empty.
    #[param(minimum = 1, maximum = 10_000_000)]
    page_number: Option<u32>,
}

/// List assets.
#[utoipa::path(get, path = "/assets", tag = "Assets", params(AssetQuery),
    responses((status = 200, description = "A page of assets, oldest first", body = AssetPage)))]
pub async fn list_assets(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AssetQuery>,
) -> Result<Json<AssetPage>, ApiError> {
    let page = rules::paging(q.page_size, q.page_number)?;
    let filter = AssetFilter {
        application_id: q.application_id,
        asset_type: q.asset_type,
        target_url: q.target_url,
        include_deleted: q.include_deleted.unwrap_or(false),
    };
    let (items, total) = state.store.list_assets(state.org(), filter, page).await?;
    Ok(Json(AssetPage {
        items,
        page_info: page.info(total),
    }))
}

/// Create an asset.
#[utoipa::path(post, path = "/assets", tag = "Assets", request_body = AssetRequest,
    responses((status = 201, description = "Created; `Location` is its URL", body = Asset,
               headers(("Location" = String, description = "URL of the new asset"))),
              (status = 409, description = "A live Target already has this targetUrl", body = ErrorEnvelope)))]
pub async fn create_asset(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<AssetRequest>,
) -> Result<Response, ApiError> {
    let new = NewAsset {
        asset_type: req.asset_type,
        name: rules::name("name", &req.name)?,
        target_url: req
            .target_url
            .map(|u| rules::http_url("targetUrl", &u))
            .transpose()?,
        tags: rules::tags("tags", req.tags)?,
        application_ids: rules::ids("applicationIds", req.application_ids)?,
    };
    let made = state
        .store
        .create_asset(state.org(), new, state.clock.now_ms())
        .await?;
    Ok(super::created("assets", &made.id.clone(), made))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AssetGetQuery {
    /// Answer a deleted asset too (else it is a 404). Default `false`.
    include_deleted: Option<bool>,
}

/// Get one asset.
#[utoipa::path(get, path = "/assets/{assetId}", tag = "Assets",
    params(("assetId" = String, Path, description = "Asset id"), AssetGetQuery),
    responses((status = 200, description = "The asset", body = Asset)))]
pub async fn get_asset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<AssetGetQuery>,
) -> Result<Json<Asset>, ApiError> {
    state
        .store
        .get_asset(state.org(), id.clone(), q.include_deleted.unwrap_or(false))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("asset", &id))
}

/// Change an asset, its applications, or restore it.
#[utoipa::path(patch, path = "/assets/{assetId}", tag = "Assets",
    params(("assetId" = String, Path, description = "Asset id")), request_body = AssetPatchRequest,
    responses((status = 200, description = "The changed asset", body = Asset),
              (status = 409, description = "A live Target already has this targetUrl", body = ErrorEnvelope)))]
pub async fn update_asset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<AssetPatchRequest>,
) -> Result<Json<Asset>, ApiError> {
    let patch = AssetPatch {
        asset_type: req.asset_type,
        name: req.name.map(|n| rules::name("name", &n)).transpose()?,
        target_url: req
            .target_url
            .map(|u| u.map(|u| rules::http_url("targetUrl", &u)).transpose())
            .transpose()?,
        tags: req.tags.map(|t| rules::tags("tags", t)).transpose()?,
        application_ids: req
            .application_ids
            .map(|i| rules::ids("applicationIds", i))
            .transpose()?,
        deleted: req.deleted,
    };
    Ok(Json(
        state
            .store
            .update_asset(state.org(), id, patch, state.clock.now_ms())
            .await?,
    ))
}

/// Delete an asset: it is marked `deleted` and kept with its findings (a
/// `PATCH` with `deleted: false` restores it); deleted, it is a 404.
#[utoipa::path(delete, path = "/assets/{assetId}", tag = "Assets",
    params(("assetId" = String, Path, description = "Asset id")),
    responses((status = 204, description = "Marked deleted"), (status = 404, description = "Unknown id", body = ErrorEnvelope)))]
pub async fn delete_asset(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state
        .store
        .delete_asset(id.clone(), state.clock.now_ms())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("asset", &id))
    }
}
