//! The daemon's own OpenAPI document: title, tags and the two ways to send a token.
//! Paths are added by the routers themselves; [`finish`] then adds what every
//! operation has in common, so the document and the server agree on it (checked by
//! schemathesis in the tests).

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

/// Completes the generated document so it says what the server does, for rules
/// that live in code rather than in types (checked by schemathesis in the tests):
/// - answers every operation may give, where a handler does not document them:
///   the public routes need no token (`security: []`); every `/api` route may
///   answer 400 (bad query or body), 401 (no or a wrong token) and 503 (not
///   answered within `server.request_timeout_secs`); routes with a path parameter
///   404; routes with a JSON body 413 and 415. 414 and 431 (`api::limits`) apply to
///   any request and are described once, in the document's description;
/// - request bodies refuse unknown fields (`additionalProperties: false`);
/// - names follow `text::name_pattern`;
/// - an importer without a type cannot be `Active`.
///
/// The result is JSON, not utoipa's model: these keywords (`anyOf` beside
/// `properties`, `not`) do not fit its schema enum.
pub fn finish(openapi: &utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut doc = serde_json::to_value(openapi).unwrap_or_default();
    standard_responses(&mut doc);
    closed_request_bodies(&mut doc);
    name_rules(&mut doc);
    doc
}

fn standard_responses(doc: &mut serde_json::Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let public = !path.starts_with("/api/");
        let has_path_param = path.contains('{');
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (_, op) in item.iter_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            if public {
                op.insert("security".into(), serde_json::json!([]));
                continue;
            }
            let json_body = op
                .get("requestBody")
                .and_then(|b| b.get("content"))
                .is_some_and(|c| c.get("application/json").is_some());
            let responses = op
                .entry("responses")
                .or_insert_with(|| serde_json::json!({}));
            let mut add = |code: &str, what: &str| {
                if let Some(r) = responses.as_object_mut() {
                    r.entry(code).or_insert_with(|| error_response(what));
                }
            };
            add(
                "400",
                "Invalid input: a query parameter or a body field breaks a rule (the envelope names it)",
            );
            add("401", "Missing or invalid API token");
            add("503", "Not answered within `server.request_timeout_secs`");
            if has_path_param {
                add("404", "No such resource");
            }
            if json_body {
                add("413", "Body larger than `server.max_body_bytes`");
                add("415", "The body is not `application/json`");
            }
        }
    }
}

/// Schemas of request bodies, which the server reads with `deny_unknown_fields`.
const REQUEST_SCHEMAS: &[&str] = &[
    "ImporterRequest",
    "UpdateFrequency",
    "TargetPatchRequest",
    "AnnotationInput",
    "ExcludeRequest",
    "LinkRequest",
    "ScanProfile",
    "RemoteTargetExtra",
    "ExportRequest",
    "AwsApiGatewayParameters",
    "DirectoryParameters",
];

fn closed_request_bodies(doc: &mut serde_json::Value) {
    for name in REQUEST_SCHEMAS {
        if let Some(schema) = doc["components"]["schemas"][name].as_object_mut() {
            schema.insert(
                "additionalProperties".into(),
                serde_json::Value::Bool(false),
            );
        }
    }
}

fn name_rules(doc: &mut serde_json::Value) {
    let pattern = serde_json::Value::String(crate::text::name_pattern());
    for schema in ["ImporterRequest", "TargetPatchRequest"] {
        if let Some(name) =
            doc["components"]["schemas"][schema]["properties"]["name"].as_object_mut()
        {
            name.insert("pattern".into(), pattern.clone());
        }
    }
    let upload = &mut doc["paths"]["/api/apihub/v1/inventory/api-targets/create-from-definition"]["post"]
        ["parameters"];
    if let Some(params) = upload.as_array_mut() {
        for p in params.iter_mut().filter(|p| p["name"] == "name") {
            if let Some(schema) = p["schema"].as_object_mut() {
                schema.insert("pattern".into(), pattern.clone());
            }
        }
    }
    // `status: Active` needs a `type` (without one the importer could never run).
    if let Some(req) = doc["components"]["schemas"]["ImporterRequest"].as_object_mut() {
        req.insert(
            "anyOf".into(),
            serde_json::json!([
                {"required": ["type"], "properties": {"type": {"type": "string"}}},
                {"properties": {"status": {"not": {"const": "Active"}}}}
            ]),
        );
    }
}

fn error_response(description: &str) -> serde_json::Value {
    serde_json::json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    })
}
