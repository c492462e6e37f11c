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
