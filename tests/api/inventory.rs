//! The Inventory REST API of seed 001: shapes, uploads of every format, editing,
//! links and bad input.

use std::path::Path;

use apihub_connectors::normalize::{Hints, Limits, normalize};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, envelope, spawn_app};

pub const INVENTORY: &str = "/api/apihub/v1/inventory";

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("connectors/tests/fixtures/normalize")
            .join(name),
    )
    .expect("fixture")
}

pub async fn upload(
    app: &TestApp,
    format: &str,
    mode: &str,
    origin: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let path = format!(
        "{INVENTORY}/api-targets/create-from-definition?format={format}&mode={mode}&origin={origin}"
    );
    app.send(app.request(Method::POST, &path).body(body)).await
}

const TARGET_FIELDS: [&str; 17] = [
    "id",
    "name",
    "description",
    "alternativeUrls",
    "definitions",
    "definitionFormat",
    "createdAt",
    "modifiedAt",
    "lastScanned",
    "lastScanStatus",
    "operationsCount",
    "isHidden",
    "vulnerabilityCounts",
    "links",
    "annotations",
    "apiCredentialId",
    "definitions",
];
const OPERATION_FIELDS: [&str; 10] = [
    "id",
    "type",
    "endpoint",
    "name",
    "lastScanned",
    "lastUpdate",
    "excludeOperation",
    "source",
    "vulnerabilityCounts",
    "annotations",
];

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

fn sorted(fields: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
    k.sort();
    k.dedup();
    k
}

fn is_time(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok() && s.ends_with('Z'))
}

#[tokio::test]
async fn seed_list_and_get_examples_field_for_field() {
    let app = spawn_app().await;
    let (status, created) = upload(
        &app,
        "openapi3",
        "provided",
        "Manually%20uploaded",
        fixture("petstore-3.0.json"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let (status, page) = app
        .get(&format!("{INVENTORY}/api-targets?limit=20&cursor=0"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        keys(&page),
        sorted(&["targets", "totalCount", "nextPage", "previousPage"])
    );
    assert_eq!(
        (
            page["totalCount"].clone(),
            page["nextPage"].clone(),
            page["previousPage"].clone()
        ),
        (json!(1), Value::Null, Value::Null)
    );
    let t = &page["targets"][0];
    assert_eq!(keys(t), sorted(&TARGET_FIELDS));
    assert_eq!(t["id"], created["id"]);
    assert!(uuid::Uuid::parse_str(t["id"].as_str().expect("id")).is_ok());
    assert_eq!(t["name"], "Petstore");
    assert_eq!(
        t["alternativeUrls"],
        json!(["https://api.pets.example.com/v1"])
    );
    assert_eq!(
        keys(&t["definitions"][0]),
        sorted(&["id", "source", "format", "name", "url", "sourceName"])
    );
    assert_eq!(
        t["definitions"][0]["source"],
        json!({"mode": "Provided", "origin": "Manually uploaded"})
    );
    assert_eq!(
        (&t["definitions"][0]["format"], &t["definitions"][0]["name"]),
        (&json!("Openapi3"), &json!(""))
    );
    assert_eq!(
        (
            &t["definitions"][0]["url"],
            &t["definitions"][0]["sourceName"]
        ),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(t["definitionFormat"], "Openapi3");
    assert!(is_time(&t["createdAt"]) && is_time(&t["modifiedAt"]), "{t}");
    // Not scanned yet: the seed says these may be null.
    assert_eq!(
        (
            &t["lastScanned"],
            &t["lastScanStatus"],
            &t["vulnerabilityCounts"]
        ),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(
        (
            &t["operationsCount"],
            &t["isHidden"],
            &t["links"],
            &t["annotations"],
            &t["apiCredentialId"]
        ),
        (
            &json!(5),
            &json!(false),
            &json!([]),
            &json!([]),
            &Value::Null
        )
    );

    // The get example: a discovered Genericapi definition with `getapiv1users`.
    let har = json!({"log": {"version": "1.2", "entries": [
        {"request": {"method": "GET", "url": "http://api.example.com/api/v1/users"}},
        {"request": {"method": "POST", "url": "http://api.example.com/api/v1/users"}},
        {"request": {"method": "GET", "url": "http://api.example.com/api/v1/users/7"}},
        {"request": {"method": "DELETE", "url": "http://api.example.com/api/v1/users/7"}}]}});
    let (status, made) = upload(
        &app,
        "genericapi",
        "discovered",
        "dast_engine_api_discovery",
        har.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let (status, detail) = app
        .get(&format!(
            "{INVENTORY}/api-targets/{}",
            made["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&detail), sorted(&["target", "operations"]));
    assert_eq!(detail["target"]["definitionFormat"], "Genericapi");
    assert_eq!(detail["target"]["description"], "No description provided");
    assert_eq!(
        detail["target"]["alternativeUrls"],
        json!(["http://api.example.com"])
    );
    assert_eq!(
        detail["target"]["definitions"][0]["source"],
        json!({"mode": "Discovered", "origin": "dast_engine_api_discovery"})
    );
    assert_eq!(detail["target"]["operationsCount"], 4);
    let op = &detail["operations"][0];
    assert_eq!(keys(op), sorted(&OPERATION_FIELDS));
    assert_eq!(
        (&op["type"], &op["endpoint"], &op["name"]),
        (
            &json!("GET"),
            &json!("/api/v1/users"),
            &json!("getapiv1users")
        )
    );
    assert_eq!(
        op["source"],
        json!({"mode": "Discovered", "origin": "dast_engine_api_discovery"})
    );
    assert_eq!(
        (
            &op["excludeOperation"],
            &op["lastScanned"],
            &op["vulnerabilityCounts"],
            &op["annotations"]
        ),
        (&json!(false), &Value::Null, &Value::Null, &json!([]))
    );
    assert!(is_time(&op["lastUpdate"]));
}

#[tokio::test]
async fn every_fixture_format_uploads_with_the_normalizer_s_operations() {
    let app = spawn_app().await;
    let cases = [
        ("petstore-3.0.json", "openapi3"),
        ("petstore-3.0.yaml", "openapi3"),
        ("petstore-3.1.yaml", "openapi3"),
        ("swagger-2.0.json", "openapi2"),
        ("swagger-2.0.yaml", "openapi2"),
        ("api-1.0.raml", "raml"),
        ("api-0.8.raml", "raml"),
        ("service-1.1.wsdl", "wsdl"),
        ("service-2.0.wsdl", "wsdl"),
        ("application.wadl", "wadl"),
        ("schema.graphql", "graphql"),
        ("introspection.json", "graphql"),
        ("services.proto", "grpc"),
        ("legacy.proto", "grpc"),
        ("collection.postman.json", "genericapi"),
        ("traffic.har", "genericapi"),
        ("empty-3.0.json", "openapi3"),
    ];
    for (file, format) in cases {
        let bytes = fixture(file);
        let expected =
            normalize(bytes.clone(), &Hints::default(), &Limits::default()).expect("fixture");
        // Multipart for half of them, raw for the rest.
        let path = format!(
            "{INVENTORY}/api-targets/create-from-definition?format={format}&mode=provided&origin=manual-upload"
        );
        let req = if file.len().is_multiple_of(2) {
            let part = reqwest::multipart::Part::bytes(bytes).file_name(file.to_owned());
            app.request(Method::POST, &path)
                .multipart(reqwest::multipart::Form::new().part("body", part))
        } else {
            app.request(Method::POST, &path).body(bytes)
        };
        let (status, target) = app.send(req).await;
        assert_eq!(status, StatusCode::OK, "{file}: {target}");
        assert_eq!(
            target["operationsCount"],
            expected.operations_count(),
            "{file}"
        );
        assert_eq!(
            target["definitionFormat"],
            expected.format.as_str(),
            "{file}"
        );
        let (_, detail) = app
            .get(&format!(
                "{INVENTORY}/api-targets/{}",
                target["id"].as_str().expect("id")
            ))
            .await;
        let got: Vec<(String, String, String)> = detail["operations"]
            .as_array()
            .expect("operations")
            .iter()
            .map(|o| {
                (
                    o["type"].as_str().unwrap_or("").into(),
                    o["endpoint"].as_str().unwrap_or("").into(),
                    o["name"].as_str().unwrap_or("").into(),
                )
            })
            .collect();
        let want: Vec<(String, String, String)> = expected
            .operations
            .iter()
            .map(|o| (o.method.clone(), o.endpoint.clone(), o.name.clone()))
            .collect();
        assert_eq!(got, want, "{file}");
    }
}

#[tokio::test]
async fn targets_can_be_edited_replaced_and_deleted() {
    let app = spawn_app().await;
    let (_, t) = upload(
        &app,
        "openapi3",
        "provided",
        "manual-upload",
        fixture("petstore-3.0.json"),
    )
    .await;
    let id = t["id"].as_str().expect("id").to_owned();
    let def = t["definitions"][0]["id"].as_str().expect("def").to_owned();
    let one = format!("{INVENTORY}/api-targets/{id}");

    let (status, patched) = app
        .send(app.request(Method::PATCH, &one).json(
            &json!({"name": "Pets v1", "description": null, "isHidden": true,
            "annotations": [{"key": "team", "value": "pets"}]}),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        (
            &patched["target"]["name"],
            &patched["target"]["description"],
            &patched["target"]["isHidden"]
        ),
        (&json!("Pets v1"), &Value::Null, &json!(true))
    );
    assert_eq!(
        patched["target"]["annotations"],
        json!([{"key": "team", "value": "pets"}])
    );
    let (_, hidden) = app
        .get(&format!("{INVENTORY}/api-targets?isHidden=true"))
        .await;
    assert_eq!(hidden["totalCount"], 1);
    let (_, visible) = app
        .get(&format!("{INVENTORY}/api-targets?isHidden=false"))
        .await;
    assert_eq!(visible["totalCount"], 0);

    let op = patched["operations"]
        .as_array()
        .expect("ops")
        .iter()
        .find(|o| o["endpoint"] == "/pets/{petId}" && o["type"] == "GET")
        .expect("op")
        .clone();
    let (status, excluded) = app
        .send(
            app.request(
                Method::PATCH,
                &format!("{one}/operations/{}", op["id"].as_str().expect("op id")),
            )
            .json(&json!({"excludeOperation": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{excluded}");
    assert_eq!(excluded["excludeOperation"], true);

    // Replace with the Swagger 2.0 users API: operations change, the target stays.
    let path =
        format!("{one}/definitions/{def}?format=openapi2&mode=provided&origin=manual-upload");
    let (status, replaced) = app
        .send(
            app.request(Method::PUT, &path)
                .body(fixture("swagger-2.0.json")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(
        (
            &replaced["target"]["id"],
            &replaced["target"]["definitionFormat"],
            &replaced["target"]["operationsCount"]
        ),
        (&json!(id), &json!("Openapi2"), &json!(5))
    );
    assert_eq!(
        replaced["target"]["name"], "Pets v1",
        "a user's name survives a replacement"
    );
    assert!(
        replaced["operations"]
            .as_array()
            .expect("ops")
            .iter()
            .all(|o| o["endpoint"].as_str().unwrap_or("").starts_with("/users"))
    );
    let (status, content) = app.get(&format!("{one}/definitions/{def}/content")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content["swagger"], "2.0", "the original file is kept");

    let (status, _) = app.delete(&one).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&one).await;
    assert_eq!(
        (status, envelope(&body).0),
        (StatusCode::NOT_FOUND, "not_found".to_owned())
    );
}

#[tokio::test]
async fn links_attach_to_targets() {
    let app = spawn_app().await;
    let (_, t) = upload(
        &app,
        "graphql",
        "provided",
        "manual-upload",
        fixture("schema.graphql"),
    )
    .await;
    let id = t["id"].as_str().expect("id");
    let seed = json!({
        "apiTargetId": id, "baseUrl": "https://api.example.com", "remoteTargetId": "rt-1",
        "remoteTargetDisplayName": "Prod", "remoteTargetAdditionalInfo": "note",
        "remoteTargetScanProfile": {"id": "p", "name": "Full", "remoteTargetId": "rt-1", "remoteTargetUri": "https://api.example.com", "hasRemoteTargetId": true},
        "remoteTargetExtra": {"tags": [], "agentId": "a", "environmentId": "e", "businessImpact": "low", "targetType": "web", "collections": [], "applications": []}
    });
    let (status, link) = app.post(&format!("{INVENTORY}/links"), &seed).await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(
        (
            &link["apiTargetId"],
            &link["remoteTargetId"],
            &link["remoteTargetExtra"]["businessImpact"]
        ),
        (&json!(id), &json!("rt-1"), &json!("low"))
    );
    let (_, detail) = app.get(&format!("{INVENTORY}/api-targets/{id}")).await;
    assert_eq!(detail["target"]["links"][0]["id"], link["id"]);
    let (_, list) = app
        .get(&format!("{INVENTORY}/links?apiTargetId={id}"))
        .await;
    assert_eq!(list["links"].as_array().expect("links").len(), 1);

    let mut bad = seed.clone();
    bad["apiTargetId"] = json!("nope");
    let (status, body) = app.post(&format!("{INVENTORY}/links"), &bad).await;
    assert_eq!(
        (status, envelope(&body).1.as_deref()),
        (StatusCode::NOT_FOUND, Some("apiTargetId"))
    );
    assert_eq!(body["error"]["message"], "API target `nope` does not exist");
    let (status, body) = app
        .patch(
            &format!("{INVENTORY}/api-targets/{id}/operations/nope"),
            &json!({"excludeOperation": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["error"]["message"],
        format!("operation `{id}/nope` does not exist"),
        "the store's not-found names the entity and its id"
    );
    bad["apiTargetId"] = json!(id);
    bad["baseUrl"] = json!("ftp://x");
    let (status, body) = app.post(&format!("{INVENTORY}/links"), &bad).await;
    assert_eq!(
        (status, envelope(&body).1.as_deref()),
        (StatusCode::BAD_REQUEST, Some("baseUrl"))
    );

    let lid = link["id"].as_str().expect("link id");
    assert_eq!(
        app.delete(&format!("{INVENTORY}/links/{lid}")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&format!("{INVENTORY}/links/{lid}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, detail) = app.get(&format!("{INVENTORY}/api-targets/{id}")).await;
    assert_eq!(detail["target"]["links"], json!([]));
}

async fn counts(app: &TestApp) -> (Value, Value) {
    let (_, page) = app.get(&format!("{INVENTORY}/api-targets?limit=500")).await;
    let (_, links) = app.get(&format!("{INVENTORY}/links")).await;
    (page, links)
}

#[tokio::test]
async fn bad_input_gets_4xx_and_changes_nothing() {
    let app = spawn_app().await;
    let (_, t) = upload(
        &app,
        "openapi3",
        "provided",
        "manual-upload",
        fixture("petstore-3.0.json"),
    )
    .await;
    let id = t["id"].as_str().expect("id").to_owned();
    let def = t["definitions"][0]["id"].as_str().expect("def").to_owned();
    let before = counts(&app).await;
    let up = |q: &str| format!("{INVENTORY}/api-targets/create-from-definition?{q}");
    let huge = vec![b' '; 100 * 1024 * 1024];
    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode, Option<&str>)> = vec![
        ("unknown format", app.request(Method::POST, &up("format=swagger3&mode=provided&origin=m")).body(fixture("petstore-3.0.json")), StatusCode::BAD_REQUEST, Some("format")),
        ("missing format", app.request(Method::POST, &up("mode=provided&origin=m")).body(fixture("petstore-3.0.json")), StatusCode::BAD_REQUEST, Some("format")),
        ("bad mode", app.request(Method::POST, &up("format=openapi3&mode=guessed&origin=m")).body(fixture("petstore-3.0.json")), StatusCode::BAD_REQUEST, Some("mode")),
        ("missing origin", app.request(Method::POST, &up("format=openapi3&mode=provided")).body(fixture("petstore-3.0.json")), StatusCode::BAD_REQUEST, Some("origin")),
        ("content of another format", app.request(Method::POST, &up("format=wsdl&mode=provided&origin=m")).body(fixture("petstore-3.0.json")), StatusCode::BAD_REQUEST, Some("format")),
        ("unparseable", app.request(Method::POST, &up("format=openapi3&mode=provided&origin=m")).body("{\"openapi\": \"3.0.0\", \"paths\": "), StatusCode::BAD_REQUEST, Some("body")),
        ("empty body", app.request(Method::POST, &up("format=openapi3&mode=provided&origin=m")).body(""), StatusCode::BAD_REQUEST, Some("body")),
        ("multipart without body field", app.request(Method::POST, &up("format=openapi3&mode=provided&origin=m")).multipart(reqwest::multipart::Form::new().text("file", "x")), StatusCode::BAD_REQUEST, Some("body")),
        ("100 MB body", app.request(Method::POST, &up("format=openapi3&mode=provided&origin=m")).body(huge), StatusCode::PAYLOAD_TOO_LARGE, None),
        ("bad cursor", app.request(Method::GET, &format!("{INVENTORY}/api-targets?cursor=abc")), StatusCode::BAD_REQUEST, Some("cursor")),
        ("bad sort key", app.request(Method::GET, &format!("{INVENTORY}/api-targets?sort=size")), StatusCode::BAD_REQUEST, Some("sort")),
        ("bad limit", app.request(Method::GET, &format!("{INVENTORY}/api-targets?limit=0")), StatusCode::BAD_REQUEST, Some("limit")),
        ("unknown query parameter", app.request(Method::GET, &format!("{INVENTORY}/api-targets?page=2")), StatusCode::BAD_REQUEST, Some("page")),
        ("unknown target", app.request(Method::GET, &format!("{INVENTORY}/api-targets/nope")), StatusCode::NOT_FOUND, None),
        ("unknown definition", app.request(Method::PUT, &format!("{INVENTORY}/api-targets/{id}/definitions/nope?format=openapi3&mode=provided&origin=m")).body(fixture("petstore-3.0.json")), StatusCode::NOT_FOUND, None),
        ("replace with garbage", app.request(Method::PUT, &format!("{INVENTORY}/api-targets/{id}/definitions/{def}?format=openapi3&mode=provided&origin=m")).body("<<<"), StatusCode::BAD_REQUEST, None),
        ("patch unknown field", app.request(Method::PATCH, &format!("{INVENTORY}/api-targets/{id}")).json(&json!({"title": "x"})), StatusCode::BAD_REQUEST, Some("title")),
        ("patch reserved annotation", app.request(Method::PATCH, &format!("{INVENTORY}/api-targets/{id}")).json(&json!({"annotations": [{"key": "apihub.x", "value": "1"}]})), StatusCode::BAD_REQUEST, Some("annotations[0].key")),
        ("patch unknown target", app.request(Method::PATCH, &format!("{INVENTORY}/api-targets/nope")).json(&json!({"name": "x"})), StatusCode::NOT_FOUND, None),
        ("unknown operation", app.request(Method::PATCH, &format!("{INVENTORY}/api-targets/{id}/operations/nope")).json(&json!({"excludeOperation": true})), StatusCode::NOT_FOUND, None),
        ("delete unknown", app.request(Method::DELETE, &format!("{INVENTORY}/api-targets/nope")), StatusCode::NOT_FOUND, None),
        ("export bad type", app.request(Method::POST, &format!("{INVENTORY}/export")).json(&json!({"exportType": "apis", "format": "csv"})), StatusCode::BAD_REQUEST, Some("exportType")),
        ("export bad filter", app.request(Method::POST, &format!("{INVENTORY}/export?createdAt=yesterday")).json(&json!({"exportType": "targets", "format": "csv"})), StatusCode::BAD_REQUEST, Some("createdAt")),
        ("export bad format filter", app.request(Method::POST, &format!("{INVENTORY}/export?definitionFormat=yaml")).json(&json!({"exportType": "targets", "format": "csv"})), StatusCode::BAD_REQUEST, Some("definitionFormat")),
    ];
    for (name, req, want, field) in cases {
        let (status, body) = app.send(req).await;
        assert_eq!(status, want, "{name}: {body}");
        let (_, got) = envelope(&body);
        if let Some(f) = field {
            assert_eq!(got.as_deref(), Some(f), "{name}: {body}");
        }
        assert_eq!(counts(&app).await, before, "{name} changed the inventory");
    }
}

/// A zipped RAML project (root from `exchange.json`, `!include`d resources and a
/// `uses:` library) uploads as one definition counted over all its files; an
/// include the zip does not hold is a 400 naming both files, and nothing is stored.
#[tokio::test]
async fn a_zipped_raml_project_uploads_as_one_definition() {
    let app = spawn_app().await;
    let zip = apihub_connectors::archive::zip_of(&[
        ("exchange.json", br#"{"main": "api.raml"}"#),
        ("api.raml", b"#%RAML 1.0\ntitle: Orders\nuses:\n  lib: lib.raml\n/orders: !include orders.raml\n/items:\n  type: lib.collection\n"),
        ("orders.raml", b"get:\npost:\n/{id}:\n  get:\n"),
        ("lib.raml", b"#%RAML 1.0 Library\nresourceTypes:\n  collection:\n    get:\n    delete:\n"),
    ]);
    let (status, target) = upload(&app, "raml", "provided", "manual-upload", zip.clone()).await;
    assert_eq!(status, StatusCode::OK, "{target}");
    assert_eq!(target["operationsCount"], 5);
    assert_eq!(target["definitionFormat"], "Raml");
    let (status, body) = upload(&app, "openapi3", "provided", "manual-upload", zip).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let broken = apihub_connectors::archive::zip_of(&[(
        "api.raml",
        b"#%RAML 1.0\ntitle: Broken\n/a: !include missing/a.raml\n",
    )]);
    let (status, body) = upload(&app, "raml", "provided", "manual-upload", broken).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let text = body.to_string();
    assert!(
        text.contains("`api.raml` refers to `missing/a.raml`, which is not in the archive"),
        "{text}"
    );
    let (_, list) = app.get(&format!("{INVENTORY}/api-targets")).await;
    assert_eq!(list["totalCount"], 1, "{list}");
}
