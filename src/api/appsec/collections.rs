//! Collections: applications grouped by business unit, product family, region,
//! team or anything else.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::error::{ApiError, ErrorEnvelope};
use crate::api::extract::{ApiJson, ApiQuery, double_option};
use crate::appsec::rules::{self, PageQuery};
use crate::appsec::{Collection, CollectionPage, CollectionType};
use crate::store::appsec::{CollectionPatch, NewCollection};

/// A collection to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CollectionRequest {
    /// 1-255 characters.
    #[schema(min_length = 1, max_length = 255, example = "Finance Systems")]
    name: String,
    /// Up to 1,023 characters.
    #[serde(default)]
    #[schema(max_length = 1023, example = "All financial processing applications")]
    description: Option<String>,
    /// Default `Other`.
    #[serde(default)]
    collection_type: Option<CollectionType>,
    #[serde(default)]
    #[schema(inline, value_type = Vec<super::Tag>, max_items = 100, example = json!(["finance", "pci-dss"]))]
    tags: Vec<String>,
}

/// Changes to a collection; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CollectionPatchRequest {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 255)]
    name: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 1023)]
    description: Option<Option<String>>,
    #[serde(default)]
    collection_type: Option<CollectionType>,
    #[serde(default)]
    #[schema(inline, value_type = Option<Vec<super::Tag>>, max_items = 100)]
    tags: Option<Vec<String>>,
}

/// List collections.
#[utoipa::path(get, path = "/collections", tag = "Collections", params(PageQuery),
    responses((status = 200, description = "A page of collections, oldest first", body = CollectionPage)))]
pub async fn list_collections(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<CollectionPage>, ApiError> {
    let page = q.paging()?;
    let (items, total) = state.store.list_collections(state.org(), page).await?;
    Ok(Json(CollectionPage {
        items,
        page_info: page.info(total),
    }))
}

/// Create a collection.
#[utoipa::path(post, path = "/collections", tag = "Collections", request_body = CollectionRequest,
    responses((status = 201, description = "Created; `Location` is its URL", body = Collection,
               headers(("Location" = String, description = "URL of the new collection")))))]
pub async fn create_collection(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CollectionRequest>,
) -> Result<Response, ApiError> {
    let new = NewCollection {
        name: rules::name("name", &req.name)?,
        description: rules::description("description", req.description)?,
        collection_type: req.collection_type.unwrap_or(CollectionType::Other),
        tags: rules::tags("tags", req.tags)?,
    };
    let made = state
        .store
        .create_collection(state.org(), new, state.clock.now_ms())
        .await?;
    Ok(super::created("collections", &made.id.clone(), made))
}

/// Get one collection.
#[utoipa::path(get, path = "/collections/{collectionId}", tag = "Collections",
    params(("collectionId" = String, Path, description = "Collection id")),
    responses((status = 200, description = "The collection", body = Collection)))]
pub async fn get_collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Collection>, ApiError> {
    state
        .store
        .get_collection(state.org(), id.clone())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("collection", &id))
}

/// Change a collection.
#[utoipa::path(patch, path = "/collections/{collectionId}", tag = "Collections",
    params(("collectionId" = String, Path, description = "Collection id")), request_body = CollectionPatchRequest,
    responses((status = 200, description = "The changed collection", body = Collection)))]
pub async fn update_collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CollectionPatchRequest>,
) -> Result<Json<Collection>, ApiError> {
    let patch = CollectionPatch {
        name: req.name.map(|n| rules::name("name", &n)).transpose()?,
        description: req
            .description
            .map(|d| rules::description("description", d))
            .transpose()?,
        collection_type: req.collection_type,
        tags: req.tags.map(|t| rules::tags("tags", t)).transpose()?,
    };
    Ok(Json(
        state
            .store
            .update_collection(state.org(), id, patch, state.clock.now_ms())
            .await?,
    ))
}

/// Delete a collection; its applications stay.
#[utoipa::path(delete, path = "/collections/{collectionId}", tag = "Collections",
    params(("collectionId" = String, Path, description = "Collection id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Unknown id", body = ErrorEnvelope)))]
pub async fn delete_collection(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state.store.delete_collection(id.clone()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("collection", &id))
    }
}
