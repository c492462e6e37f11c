//! What Swagger UI's "Try it out" puts in a request: an example body for every
//! operation that takes one, written so that it succeeds as it stands on a daemon
//! with its defaults. The only values to fill in are ids of objects made earlier
//! (in a path, or `apiTargetId` / `ids` in a body); the document's `links` say
//! which answer holds each one. `tests/daemon/examples.rs` sends every example to
//! a running daemon and expects the documented success status.

use std::path::PathBuf;

use serde_json::{Value, json};

/// Adds the examples to `doc`; `env` gives the folders a `directory` importer may
/// read, so its example `path` is one the daemon accepts.
pub fn add(doc: &mut Value, env: &apihub_connectors::Environment) {
    let root = example_root(env);
    let team = format!("{}/team", root.trim_end_matches('/'));
    let directory = json!({
        "name": "Specs in git", "type": "directory", "status": "active",
        "updateFrequency": {"unit": "daily", "value": 1}, "excludeEmptySpecs": true,
        "parameters": {"path": root},
    });
    let agent = json!({
        "name": "Traffic of the shop", "type": "invicti_nad_agent", "status": "active",
        "parameters": {"hosts": ["*.example.com"]},
    });
    let mut reconfigured = directory.clone();
    reconfigured["updateFrequency"] = json!({"unit": "hourly", "value": 6});
    let bodies = [
        (
            "create_importer",
            json!({"examples": {
                "directory": {"summary": "Definition files in a folder (works offline)", "value": directory},
                "invicti_nad_agent": {"summary": "A traffic agent (its registration token is generated and returned once)", "value": agent},
            }}),
        ),
        ("configure_importer", json!({"example": reconfigured})),
        (
            "apply_importers",
            json!({"example": {
                "source": "apply:/etc/apihub-importer/importers.yaml",
                "importers": [{
                    "declaredIn": "/etc/apihub-importer/importers.yaml",
                    "importer": {"name": "Team specs", "type": "directory", "status": "inactive",
                                 "parameters": {"path": team}},
                }],
            }}),
        ),
        ("push_traffic", json!({"example": har()})),
        (
            "patch_target",
            json!({"example": {
                "description": "The pet shop's public API, owned by the shop team.",
                "isHidden": false,
                "annotations": [{"key": "team", "value": "shop"}],
            }}),
        ),
        (
            "exclude_operation",
            json!({"example": {"excludeOperation": true}}),
        ),
        (
            "export",
            json!({"example": {"exportType": "targets", "format": "csv"}}),
        ),
        (
            "create_link",
            json!({"example": {
                "apiTargetId": "3f2b6c1e-8d4a-4b7e-9c2f-1a5d7e9b0c3d",
                "baseUrl": "https://petstore.example.com",
                "remoteTargetId": "petstore-production",
                "remoteTargetDisplayName": "Pet store (production)",
            }}),
        ),
        (
            "create_application",
            json!({"example": {
                "name": "Barnaby Stores App South",
                "description": "Checkout and loyalty for the southern stores.",
                "tags": ["retail"],
            }}),
        ),
        (
            "update_application",
            json!({"example": {"tags": ["retail", "pci"]}}),
        ),
        (
            "create_asset",
            json!({"example": {
                "name": "Billing portal", "assetType": "Target",
                "targetUrl": "https://billing.example.com", "tags": ["pci"],
            }}),
        ),
        (
            "update_asset",
            json!({"example": {"tags": ["pci", "external"]}}),
        ),
        (
            "create_collection",
            json!({"example": {
                "name": "Retail", "collectionType": "BusinessUnit", "tags": ["emea"],
            }}),
        ),
        (
            "update_collection",
            json!({"example": {"description": "Every store-facing application."}}),
        ),
        (
            "export_inventory",
            json!({"example": {"exportType": "vulnerabilities", "format": "csv"}}),
        ),
        (
            "change_status",
            json!({"example": {
                "ids": ["3f2b6c1e-8d4a-4b7e-9c2f-1a5d7e9b0c3d"], "newStatus": "falsePositive",
            }}),
        ),
        ("import_sarif", json!({"example": sarif()})),
    ];
    for (op, example) in bodies {
        let Some(content) =
            operation(doc, op).and_then(|o| o["requestBody"]["content"].as_object_mut())
        else {
            continue;
        };
        for media in content.values_mut() {
            if let (Some(media), Some(example)) = (media.as_object_mut(), example.as_object()) {
                media.extend(example.clone());
            }
        }
    }
    for (op, version) in [
        ("create_from_definition", "1.0.0"),
        ("replace_definition", "1.1.0"),
    ] {
        if let Some(op) = operation(doc, op) {
            op["requestBody"]["content"] = definition_upload(version);
        }
    }
}

/// The operation named `id`, wherever its path is.
fn operation<'a>(doc: &'a mut Value, id: &str) -> Option<&'a mut Value> {
    doc["paths"]
        .as_object_mut()?
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .find(|op| op["operationId"] == id)
}

/// The first `importers.directory_roots` folder as the documented `path` pattern
/// names it (absolute; the real path when it exists).
fn example_root(env: &apihub_connectors::Environment) -> String {
    let Some(root) = env.directory_roots.first() else {
        return "/srv/specs".into();
    };
    let abs = std::fs::canonicalize(root).unwrap_or_else(|_| {
        if root.is_absolute() {
            root.clone()
        } else {
            std::env::current_dir()
                .unwrap_or_else(|_| PathBuf::from("/"))
                .join(root)
        }
    });
    abs.display().to_string()
}

/// An upload: a JSON definition as the body (what "Try it out" fills in), a file
/// as the raw body, or the multipart field `body`.
fn definition_upload(version: &str) -> Value {
    let mut paths = json!({
        "/pets": {"get": {"operationId": "listPets", "summary": "List the pets",
                          "responses": {"200": {"description": "The pets"}}}},
        "/pets/{petId}": {"get": {"operationId": "getPet", "summary": "One pet",
            "parameters": [{"name": "petId", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The pet"}, "404": {"description": "No such pet"}}}},
    });
    if version != "1.0.0" {
        paths["/pets"]["post"] = json!({"operationId": "addPet", "summary": "Add a pet",
            "responses": {"201": {"description": "Added"}}});
    }
    let definition = json!({
        "openapi": "3.0.3",
        "info": {"title": "Pet store", "version": version},
        "servers": [{"url": "https://petstore.example.com/v1"}],
        "paths": paths,
    });
    json!({
        "application/json": {"schema": {"type": "object"}, "example": definition},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["body"],
            "properties": {"body": {"type": "string", "format": "binary",
                                    "description": "The definition file."}},
        }},
    })
}

/// One observed exchange, as a HAR 1.2 log.
fn har() -> Value {
    json!({"log": {"entries": [{
        "startedDateTime": "2026-12-01T10:00:00Z",
        "request": {"method": "GET", "url": "https://shop.example.com/api/orders/42",
                    "headers": [{"name": "Accept", "value": "application/json"}]},
        "response": {"status": 200,
                     "headers": [{"name": "Content-Type", "value": "application/json"}],
                     "content": {"mimeType": "application/json", "text": "{\"id\": 42, \"status\": \"paid\"}"}},
    }]}})
}

/// A scanner's SARIF 2.1.0 log with one finding on a URL.
fn sarif() -> Value {
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": {"driver": {"name": "OWASP ZAP", "version": "2.16.0", "rules": [{
                "id": "10038", "name": "Content Security Policy (CSP) Header Not Set",
            }]}},
            "results": [{
                "ruleId": "10038",
                "level": "warning",
                "message": {"text": "Content Security Policy (CSP) Header Not Set"},
                "locations": [{"physicalLocation": {"artifactLocation": {
                    "uri": "https://shop.example.com/login",
                }}}],
            }],
        }],
    })
}
