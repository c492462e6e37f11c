//! The daemon's own OpenAPI document: title, tags and the two ways to send a token.
//! Paths are added by the routers themselves.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "apihub-importer",
        description = "Importers API (seed 000), API Hub inventory (seed 001), health and metrics of the apihub-importer daemon."
    ),
    modifiers(&Security),
    components(schemas(AwsApiGatewayParameters, DirectoryParameters)),
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

/// `parameters` of an `aws_api_gateway` importer (checked at create and configure;
/// a bad one is a 400 naming it). Secret values are stored encrypted and returned
/// as `********`.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)] // documentation only; `apihub_connectors::aws::params` reads them
pub struct AwsApiGatewayParameters {
    /// Access key id (alias `clientId`). Without keys, the default AWS credential
    /// chain is used (environment, profile, web identity / IRSA, instance metadata).
    access_key_id: Option<String>,
    /// Secret access key (alias `clientSecret`); secret.
    secret_access_key: Option<String>,
    /// Session token of temporary keys; secret.
    session_token: Option<String>,
    /// AWS account id used in external keys (alias `accountId`); default: asked from STS.
    organization_id: Option<String>,
    /// Regions to scan; default: every public region where API Gateway runs.
    regions: Option<Vec<String>>,
    /// IAM role to assume through STS first.
    role_arn: Option<String>,
    /// External id required by the role's trust policy.
    external_id: Option<String>,
    /// Session name of the assumed role (default `apihub-importer`).
    role_session_name: Option<String>,
    /// Also import HTTP and WebSocket APIs (default true).
    include_http_apis: Option<bool>,
    /// Glob patterns of stage names to import (default: every deployed stage).
    stages: Option<Vec<String>>,
    /// `oas30` (default) or `swagger`.
    export_type: Option<String>,
    /// `none` (default), `integrations`, `apigateway` or `authorizers`.
    extensions: Option<String>,
    /// Another endpoint (private endpoints, LocalStack, moto).
    endpoint_url: Option<String>,
    /// Calls per second per region, 1-10 (default 5).
    max_requests_per_second: Option<u32>,
    /// Attempts per call on throttling, 5xx and timeouts, 1-20 (default 8).
    max_attempts: Option<u32>,
}

/// `parameters` of a `directory` importer (an extension beyond seed 000).
#[derive(ToSchema)]
#[allow(dead_code)] // documentation only; `apihub_connectors::directory` reads it
pub struct DirectoryParameters {
    /// Folder whose definition files are imported, recursively; it must resolve
    /// inside one of `importers.directory_roots`.
    path: String,
}
