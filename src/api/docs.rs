//! The daemon's own OpenAPI document: title, tags and the two ways to send a token.
//! Paths are added by the routers themselves; [`finish`] then adds what every
//! operation has in common, so the document and the server agree on it (checked by
//! schemathesis in the tests).

use serde_json::{Value, json};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "apihub-importer",
        description = "The apihub-importer daemon: importers that pull API definitions from gateways on a schedule, the API Hub inventory they fill, the Inventory API of applications, assets and vulnerabilities, and health and metrics."
    ),
    modifiers(&Security),
    components(schemas(crate::api::traffic::TrafficExchange)),
    security(("xAuth" = []), ("bearer" = [])),
    tags(
        (name = "Importers", description = "Integrations that pull API definitions from gateways on a schedule."),
        (name = "API Targets", description = "The API Hub inventory: API targets, their definitions and operations."),
        (name = "Links", description = "Links from API targets to DAST scan targets."),
        (name = "Export", description = "Inventory downloads as CSV, JSON or XML."),
        (name = "Applications", description = "Inventory API: applications group related assets."),
        (name = "Assets", description = "Inventory API: scan targets and repositories."),
        (name = "Vulnerabilities", description = "Inventory API: findings on assets, and the import of scanners' SARIF logs."),
        (name = "Collections", description = "Inventory API: applications grouped by business unit, team, region, ..."),
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
/// - an importer without a type cannot be `Active`;
/// - answer fields whose values are a fixed set (held as strings) are enums;
/// - the vulnerability list's enum lists are comma lists of the enum values, and
///   its times a date or an RFC 3339 time.
///
/// The result is JSON, not utoipa's model: these keywords (`anyOf` beside
/// `properties`, `not`) do not fit its schema enum.
pub fn finish(openapi: &utoipa::openapi::OpenApi, env: &apihub_connectors::Environment) -> Value {
    let mut doc = serde_json::to_value(openapi).unwrap_or_default();
    standard_responses(&mut doc);
    closed_request_bodies(&mut doc);
    name_rules(&mut doc);
    parameters_by_type(&mut doc, env);
    enum_lists(&mut doc);
    closed_sets(&mut doc);
    links(&mut doc);
    crate::api::examples::add(&mut doc, env);
    doc
}

/// A comma list of enum values, any letter case, as a pattern (the vulnerability
/// list's `vulnerabilitySeverities` and `vulnerabilityStatus`).
fn enum_list_pattern(values: &[&str]) -> String {
    let any_case = |v: &str| -> String {
        v.chars()
            .map(|c| {
                if c.is_ascii_alphabetic() {
                    format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                } else {
                    c.to_string()
                }
            })
            .collect()
    };
    let one = values
        .iter()
        .map(|v| any_case(v))
        .collect::<Vec<_>>()
        .join("|");
    format!("^ *(?:{one}) *(?:, *(?:{one}) *)*$")
}

fn closed_sets(doc: &mut Value) {
    use apihub_connectors::{DefinitionFormat, ErrorKind};
    let formats: Vec<&str> = DefinitionFormat::ALL.iter().map(|f| f.as_str()).collect();
    let kinds: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    for (schema, field, values, nullable) in [
        ("DefinitionView", "format", &formats, false),
        ("TargetView", "definitionFormat", &formats, false),
        ("CheckResult", "kind", &kinds, true),
    ] {
        let property = &mut doc["components"]["schemas"][schema]["properties"][field];
        if property.is_object() {
            let mut values: Vec<Value> = values.iter().map(|v| json!(v)).collect();
            if nullable {
                values.push(Value::Null);
            }
            property["enum"] = Value::Array(values);
        }
    }
}

fn enum_lists(doc: &mut Value) {
    use crate::appsec::{Severity, VulnerabilityStatus};
    let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let statuses: Vec<&str> = VulnerabilityStatus::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    for (path, method) in [
        ("/api/inventory/v1/vulnerabilities", "get"),
        ("/api/inventory/v1/export", "post"),
    ] {
        if let Some(params) = doc["paths"][path][method]["parameters"].as_array_mut() {
            for p in params {
                enum_list_rule(p, &severities, &statuses);
            }
        }
    }
}

fn enum_list_rule(p: &mut Value, severities: &[&str], statuses: &[&str]) {
    let values = match p["name"].as_str() {
        Some("vulnerabilitySeverities") => severities,
        Some("vulnerabilityStatus") => statuses,
        Some("firstSeen" | "lastSeen") => {
            p["schema"] =
                json!({"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]});
            return;
        }
        _ => return,
    };
    if let Some(schema) = p["schema"].as_object_mut() {
        schema.insert("pattern".into(), Value::String(enum_list_pattern(values)));
    }
}

/// OpenAPI links from the operations that create things to those that use them,
/// so clients (and schemathesis's stateful phase) can follow an id from one answer
/// to the next request.
fn links(doc: &mut Value) {
    const IMPORTERS: &str = "/api/apihub/v1/importers";
    const TARGETS: &str = "/api/apihub/v1/inventory/api-targets/create-from-definition";
    const LINKS: &str = "/api/apihub/v1/inventory/links";
    /// (path, method, status, operations it leads to, (parameter, value) pairs).
    type Link<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a [&'a str],
        &'a [(&'a str, &'a str)],
    );
    let table: [Link; 8] = [
        (
            IMPORTERS,
            "post",
            "200",
            &[
                "get_importer",
                "configure_importer",
                "delete_importer",
                "trigger_importer",
                "check_importer",
                "list_runs",
            ],
            &[("importerId", "$response.body#/importerId")],
        ),
        (
            TARGETS,
            "post",
            "200",
            &[
                "get_target",
                "patch_target",
                "delete_target",
                "definition_content",
                "replace_definition",
            ],
            &[
                ("apiTargetId", "$response.body#/id"),
                ("definitionId", "$response.body#/definitions/0/id"),
            ],
        ),
        (
            "/api/apihub/v1/inventory/api-targets/{apiTargetId}",
            "get",
            "200",
            &["exclude_operation"],
            &[
                ("apiTargetId", "$response.body#/target/id"),
                ("operationId", "$response.body#/operations/0/id"),
            ],
        ),
        (
            LINKS,
            "post",
            "200",
            &["get_link", "delete_link"],
            &[("linkId", "$response.body#/id")],
        ),
        (
            "/api/inventory/v1/applications",
            "post",
            "201",
            &[
                "get_application",
                "update_application",
                "delete_application",
            ],
            &[("applicationId", "$response.body#/id")],
        ),
        (
            "/api/inventory/v1/assets",
            "post",
            "201",
            &["get_asset", "update_asset", "delete_asset"],
            &[("assetId", "$response.body#/id")],
        ),
        (
            "/api/inventory/v1/collections",
            "post",
            "201",
            &["get_collection", "update_collection", "delete_collection"],
            &[("collectionId", "$response.body#/id")],
        ),
        (
            "/api/inventory/v1/vulnerabilities",
            "get",
            "200",
            &["get_vulnerability"],
            &[("vulnerabilityId", "$response.body#/items/0/id")],
        ),
    ];
    for (path, method, status, targets, params) in table {
        let Some(resp) = doc["paths"][path][method]["responses"][status].as_object_mut() else {
            continue;
        };
        let mut links = serde_json::Map::new();
        for op in targets {
            let wanted: &[&str] = match *op {
                "definition_content" | "replace_definition" => &["apiTargetId", "definitionId"],
                "exclude_operation" => &["apiTargetId", "operationId"],
                _ => &[
                    "importerId",
                    "apiTargetId",
                    "linkId",
                    "applicationId",
                    "assetId",
                    "collectionId",
                    "vulnerabilityId",
                ],
            };
            let parameters: serde_json::Map<String, Value> = params
                .iter()
                .filter(|(name, _)| wanted.contains(name))
                .map(|(name, expr)| ((*name).to_owned(), Value::String((*expr).to_owned())))
                .collect();
            links.insert(
                (*op).to_owned(),
                json!({"operationId": op, "parameters": parameters}),
            );
        }
        resp.insert("links".into(), Value::Object(links));
    }
}

/// One `<Type>Parameters` schema per connector of this build (from its
/// descriptor), and an importer request whose `parameters` must fit its `type`.
/// Types without a connector take any object. An importer without a type cannot
/// be `Active` (it could never run).
fn parameters_by_type(doc: &mut Value, env: &apihub_connectors::Environment) {
    use apihub_connectors::ImporterType;
    let spellings = |t: ImporterType| {
        let mut v = vec![t.request_str(), t.as_str()];
        v.dedup();
        v
    };
    let mut variants = Vec::new();
    let mut untyped: Vec<&str> = Vec::new();
    for t in ImporterType::ALL {
        let Some(d) = apihub_connectors::descriptor(*t) else {
            untyped.extend(spellings(*t));
            continue;
        };
        let (name, mut schema) = (d.schema)();
        if matches!(*t, ImporterType::Directory | ImporterType::InvictiNadAgent) {
            directory_path_pattern(&mut schema, env);
        }
        // Required fields, or rules across fields (kong's `adminUrl` in admin mode),
        // that no parameters at all cannot meet.
        let needs_parameters = schema["required"].as_array().is_some_and(|r| !r.is_empty())
            || (d.validate)(&Value::Null, env).is_err();
        doc["components"]["schemas"][&name] = schema;
        let reference = json!({"$ref": format!("#/components/schemas/{name}")});
        variants.push(if needs_parameters {
            json!({"required": ["type", "parameters"],
                   "properties": {"type": {"enum": spellings(*t)}, "parameters": reference}})
        } else {
            json!({"required": ["type"],
                   "properties": {"type": {"enum": spellings(*t)},
                                  "parameters": {"anyOf": [reference, {"type": "null"}]}}})
        });
    }
    if !untyped.is_empty() {
        variants.push(json!({"required": ["type"],
            "properties": {"type": {"enum": untyped}, "parameters": {"type": ["object", "null"]}}}));
    }
    let not_active = json!({"not": {"const": "Active"}});
    variants.push(json!({"required": ["type"], "properties": {"type": {"type": "null"}, "status": not_active}}));
    variants.push(json!({"not": {"required": ["type"]}, "properties": {"status": not_active}}));
    if let Some(req) = doc["components"]["schemas"]["ImporterRequest"].as_object_mut() {
        req.insert("anyOf".into(), Value::Array(variants));
    }
}

/// The documented `path` of a `directory` (or traffic agent) importer: an absolute path under one of
/// the configured roots, without `..` segments (relative paths are accepted too,
/// and resolved against the daemon's working directory).
fn directory_path_pattern(schema: &mut Value, env: &apihub_connectors::Environment) {
    let mut roots: Vec<String> = Vec::new();
    for r in &env.directory_roots {
        let abs = if r.is_absolute() {
            r.clone()
        } else {
            std::env::current_dir().unwrap_or_default().join(r)
        };
        roots.push(abs.display().to_string());
        if let Ok(real) = std::fs::canonicalize(r) {
            roots.push(real.display().to_string());
        }
    }
    roots.sort();
    roots.dedup();
    let alternatives: Vec<String> = roots
        .iter()
        .map(|r| regex_escape(r.trim_end_matches('/')))
        .collect();
    if alternatives.is_empty() {
        return;
    }
    let segment = r"(?!\.\.(/|$))(?!\.(/|$))[^/\x00]{1,255}";
    schema["properties"]["path"]["pattern"] =
        Value::String(format!("^({})(/{segment})*/?$", alternatives.join("|")));
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn standard_responses(doc: &mut Value) {
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
                op.insert("security".into(), json!([]));
                continue;
            }
            let json_body = op
                .get("requestBody")
                .and_then(|b| b.get("content"))
                .is_some_and(|c| c.get("application/json").is_some());
            let responses = op.entry("responses").or_insert_with(|| json!({}));
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
];

fn closed_request_bodies(doc: &mut Value) {
    for name in REQUEST_SCHEMAS {
        if let Some(schema) = doc["components"]["schemas"][name].as_object_mut() {
            schema.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
}

fn name_rules(doc: &mut Value) {
    let pattern = Value::String(crate::text::name_pattern());
    for schema in [
        "ImporterRequest",
        "TargetPatchRequest",
        "ApplicationRequest",
        "ApplicationPatchRequest",
        "AssetRequest",
        "AssetPatchRequest",
        "CollectionRequest",
        "CollectionPatchRequest",
    ] {
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
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    })
}
