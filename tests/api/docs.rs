//! The daemon's own OpenAPI document describes every route it serves, and the
//! Swagger UI is served offline.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{envelope, spawn_app};

#[tokio::test]
async fn every_documented_route_is_served() {
    let app = spawn_app().await;
    let (status, doc) = app.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.contains_key("/api/apihub/v1/importers"));
    assert!(paths.contains_key("/api/apihub/v1/importers/{importerId}/trigger"));
    let mut checked = 0;
    for (path, item) in paths {
        let concrete = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    "00000000-0000-0000-0000-000000000000"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().expect("item").keys() {
            let Ok(m) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            let resp = app
                .request(m.clone(), &concrete)
                .send()
                .await
                .expect("send");
            let status = resp.status();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED {
                let (code, _) = envelope(&body);
                assert!(
                    code != "route_not_found" && code != "method_not_allowed",
                    "{m} {path} is documented but not routed"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} operations documented");
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "DirectoryParameters",
        "ImporterRequest",
        "TargetView",
        "ErrorEnvelope",
    ] {
        assert!(schemas.contains_key(name), "{name} not documented");
    }
    // One `<Type>Parameters` schema per connector of this build, secrets write-only.
    for d in apihub_connectors::descriptors() {
        let (name, _) = (d.schema)();
        let schema = schemas
            .get(&name)
            .unwrap_or_else(|| panic!("{name} not documented"));
        for s in d.secrets {
            assert_eq!(schema["properties"][*s]["writeOnly"], true, "{name}.{s}");
            assert_eq!(schema["properties"][*s]["format"], "password", "{name}.{s}");
        }
    }
    #[cfg(feature = "aws")]
    assert!(
        schemas["AwsApiGatewayParameters"]["properties"]
            .get("roleArn")
            .is_some()
    );
}

#[tokio::test]
async fn swagger_ui_is_served() {
    let app = spawn_app().await;
    let resp = app.http.get(app.url("/docs/")).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    let resp = app
        .http
        .get(app.url("/docs/swagger-ui-bundle.js"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.expect("js").len() > 100_000);
}

/// The README's configuration table and the shipped config file agree with the
/// code: every key the table names is one the daemon accepts with the value the
/// table gives as its default, and every key of the shipped file (also the
/// commented ones) is in the table.
#[test]
fn the_readme_configuration_table_matches_the_settings() {
    use apihub_importer::config::{Settings, Sources};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    let table = readme
        .split("## Configuration")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Configuration section");
    let rows: Vec<(String, String)> = table
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let key = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((key.to_owned(), cells.get(2)?.trim_matches('`').to_owned()))
        })
        .collect();
    assert!(rows.len() > 20, "{rows:?}");
    // Values for keys without a default, or whose default is not a literal.
    let no_declarations = tempfile::tempdir().expect("tempdir");
    let no_declarations = no_declarations.path().display().to_string();
    let samples = [
        ("importers.declared_dir", no_declarations.as_str()),
        ("server.auth_tokens", "a-token-of-sixteen-chars"),
        (
            "secrets.key",
            "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
        ),
        ("secrets.key_file", "./data/secret.key"),
        ("sink.remote.url", "https://hub.example.com"),
        ("sink.remote.token", "a-token-of-sixteen-chars"),
        ("importers.directory_roots", "./specs"),
        (
            "inventory.organization_id",
            "3f2b6c1e-8d4a-4b7e-9c2f-1a5d7e9b0c3d",
        ),
    ];
    for (key, default) in &rows {
        let value = samples
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| (*v).to_owned())
            .unwrap_or_else(|| default.clone());
        let var = |k: &str| format!("APIHUB_{}", k.replace('.', "__").to_uppercase());
        let mut env = std::collections::HashMap::from([(var(key), value.clone())]);
        if key.starts_with("sink.remote.") {
            env.insert(var("sink.remote.url"), "https://hub.example.com".into());
        }
        Settings::load(&Sources { file: None, env })
            .unwrap_or_else(|e| panic!("README key `{key}` = `{value}`: {e}"));
    }
    let shipped =
        std::fs::read_to_string(root.join("config/apihub-importer.yaml")).expect("shipped config");
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut keys = Vec::new();
    for line in shipped.lines() {
        // A commented-out key is indented after its `#`; prose is not.
        let (line, commented) = match line.strip_prefix('#') {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        let text = line.trim_start();
        let indent = line.len() - text.len();
        let Some((key, _)) = text.split_once(':') else {
            continue;
        };
        let is_key = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !is_key || (commented && indent < 2) {
            continue;
        }
        path.retain(|(i, _)| *i < indent);
        let full: Vec<&str> = path.iter().map(|(_, k)| k.as_str()).chain([key]).collect();
        keys.push(full.join("."));
        path.push((indent, key.to_owned()));
    }
    for key in keys {
        let is_section = rows.iter().any(|(k, _)| k.starts_with(&format!("{key}.")));
        assert!(
            is_section || rows.iter().any(|(k, _)| *k == key),
            "config/apihub-importer.yaml has `{key}`, the README's table does not"
        );
    }
}
