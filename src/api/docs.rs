//! The daemon's own OpenAPI document: title, tags and the two ways to send a token.
//! Paths are added by the routers themselves.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "apihub-importer",
        description = "Importers API (seed 000), API Hub inventory (seed 001), health and metrics of the apihub-importer daemon."
    ),
    modifiers(&Security),
    security(("xAuth" = []), ("bearer" = [])),
    tags(
        (name = "Importers", description = "Integrations that pull API definitions from gateways on a schedule."),
        (name = "API Targets", description = "The embedded API Hub inventory (seed 001): targets, definitions, operations."),
        (name = "Links", description = "Links from API targets to DAST scan targets."),
        (name = "Export", description = "Inventory downloads as CSV, JSON or XML."),
        (name = "Health", description = "Liveness and readiness; no authentication."),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "xAuth",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Auth"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
