//! The Inventory API of seed 002 under `/api/inventory/v1`: applications, assets,
//! collections and vulnerabilities (with SARIF import). Every create answers `201 Created` with a `Location` header and the
//! new object; lists page with `pageSize` / `pageNumber` and answer `pageInfo`.

mod applications;
mod assets;
mod collections;
mod export;
mod vulnerabilities;

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

pub const PATH: &str = "/api/inventory/v1";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            applications::list_applications,
            applications::create_application
        ))
        .routes(routes!(
            applications::get_application,
            applications::update_application,
            applications::delete_application
        ))
        .routes(routes!(assets::list_assets, assets::create_asset))
        .routes(routes!(
            assets::get_asset,
            assets::update_asset,
            assets::delete_asset
        ))
        .routes(routes!(
            collections::list_collections,
            collections::create_collection
        ))
        .routes(routes!(
            collections::get_collection,
            collections::update_collection,
            collections::delete_collection
        ))
        .routes(routes!(
            vulnerabilities::list_vulnerabilities,
            vulnerabilities::change_status
        ))
        .routes(routes!(vulnerabilities::get_vulnerability))
        .routes(routes!(export::export_inventory))
}

/// Routes whose body is a scan log (the definition-sized limit applies).
pub fn upload_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(vulnerabilities::import_sarif))
}

/// `201 Created` with the new object at `Location` (`<collection path>/<id>`).
fn created(collection: &str, id: &str, body: impl Serialize) -> Response {
    let location = format!("{PATH}/{collection}/{id}");
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}

/// A tag: 1-255 characters, not only spaces (at most 100 per object; repeats
/// are dropped).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, min_length = 1, max_length = 255, pattern = r"\S")]
#[allow(dead_code)] // documentation only
struct Tag(String);

/// The id of an existing object.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, min_length = 1, pattern = r"\S")]
#[allow(dead_code)] // documentation only
struct Id(String);

/// An absolute http(s) URL with a host.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, max_length = 2048, pattern = r"^https?://[^\s/:?#]+\S*$")]
#[allow(dead_code)] // documentation only
struct HttpUrl(String);

impl AppState {
    fn org(&self) -> String {
        self.organization_id.to_string()
    }
}
