//! The Inventory REST API of seed 001 under `/api/apihub/v1/inventory`: API
//! targets (list, read, upload, edit), links to DAST targets, and export.

pub(crate) mod export;
mod links;
pub mod shadow;
pub(crate) mod targets;
mod upload;

pub use upload::{REPLAYED, REPLAYED_REQUEST};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

pub const INVENTORY_PATH: &str = "/api/apihub/v1/inventory";

/// Routes that take JSON bodies (the importer-sized limit applies).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(targets::list_targets))
        .routes(routes!(
            targets::get_target,
            targets::patch_target,
            targets::delete_target
        ))
        .routes(routes!(targets::exclude_operation))
        .routes(routes!(targets::definition_content))
        .routes(routes!(links::create_link, links::list_links))
        .routes(routes!(links::get_link, links::delete_link))
        .routes(routes!(export::export))
        .routes(routes!(shadow::shadow_apis))
}

/// Routes whose body is an API definition (the definition-sized limit applies).
pub fn upload_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload::create_from_definition))
        .routes(routes!(upload::replace_definition))
}
