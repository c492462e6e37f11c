//! The Inventory API of seed 002 over HTTP: the seed's example requests and shapes,
//! `201 Created` + `Location`, paging walks, the application/asset relation seen
//! from both sides, soft-deleted assets, and bad input that changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, envelope, spawn_app, spawn_with};

const V1: &str = "/api/inventory/v1";

/// POSTs `body`; asserts 201 with a `Location` that answers the same object.
async fn create(app: &TestApp, what: &str, body: Value) -> Value {
    let resp = app
        .request(Method::POST, &format!("{V1}/{what}"))
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), StatusCode::CREATED, "{what} {body}");
    let location = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("Location header")
        .to_owned();
    let made: Value = resp.json().await.expect("json");
    assert_eq!(
        location,
        format!("{V1}/{what}/{}", made["id"].as_str().expect("id"))
    );
    let (status, fetched) = app.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["id"], made["id"]);
    made
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|v| v.as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn the_seed_examples_work_as_written() {
    let app = spawn_app().await;
    // The seed's create body, as written.
    let made = create(
        &app,
        "applications",
        json!({"name": "string", "description": "string", "tags": ["string"]}),
    )
    .await;
    assert_eq!(made["name"], "string");
    assert_eq!(made["tags"], json!(["string"]));
    let asset = create(
        &app,
        "assets",
        json!({"assetType": "Target", "name": "Production API", "targetUrl": "https://api.example.com",
               "tags": ["api", "production"], "applicationIds": [made["id"]]}),
    )
    .await;
    let collection = create(
        &app,
        "collections",
        json!({"name": "Finance Systems", "description": "All financial processing applications",
               "collectionType": "BusinessUnit", "tags": ["finance", "pci-dss"]}),
    )
    .await;
    let app_id = made["id"].as_str().expect("id");
    let (status, _) = app
        .patch(
            &format!("{V1}/applications/{app_id}"),
            &json!({"collectionIds": [collection["id"]], "description": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, page) = app
        .get(&format!(
            "{V1}/applications?pageSize=10&pageNumber=1&includeAssetCounts=true"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let item = &page["items"][0];
    let mut keys: Vec<&String> = item.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "assetCounts",
            "assetIds",
            "collectionIds",
            "description",
            "id",
            "name",
            "organizationId",
            "tags"
        ]
    );
    assert_eq!(item["description"], Value::Null);
    assert_eq!(
        item["assetCounts"],
        json!({"targets": 1, "repositories": 0})
    );
    assert_eq!(ids(&item["assetIds"]), [asset["id"].as_str().expect("id")]);
    assert_eq!(
        ids(&item["collectionIds"]),
        [collection["id"].as_str().expect("id")]
    );
    assert_eq!(
        page["pageInfo"],
        json!({"totalCount": 1, "pageSize": 10, "currentPage": 1, "totalPages": 1})
    );
    let (_, plain) = app.get(&format!("{V1}/applications")).await;
    assert!(
        plain["items"][0].get("assetCounts").is_none(),
        "counts only when asked"
    );

    let (_, assets) = app.get(&format!("{V1}/assets")).await;
    let a = &assets["items"][0];
    assert_eq!(a["assetType"], "Target");
    assert_eq!(a["targetUrl"], "https://api.example.com");
    assert_eq!(a["deleted"], false);
    assert_eq!(ids(&a["applicationIds"]), [app_id]);
    assert_eq!(assets["pageInfo"]["pageSize"], 20, "default page size");

    let (_, cols) = app.get(&format!("{V1}/collections")).await;
    let c = &cols["items"][0];
    assert_eq!(c["collectionType"], "BusinessUnit");
    assert_eq!(c["tags"], json!(["finance", "pci-dss"]));
    for field in ["createdAt", "updatedAt"] {
        let at = c[field].as_str().expect(field);
        assert!(
            chrono::DateTime::parse_from_rfc3339(at).is_ok() && at.ends_with('Z'),
            "{at}"
        );
    }
    // One organization for everything.
    let org = &item["organizationId"];
    assert!(uuid::Uuid::parse_str(org.as_str().expect("org")).is_ok());
    assert_eq!(&a["organizationId"], org);
    assert_eq!(&c["organizationId"], org);
}

#[tokio::test]
async fn the_organization_id_comes_from_config_or_is_kept_across_restarts() {
    use apihub_importer::config::{Settings, Sources};
    let env = std::collections::HashMap::from([(
        "APIHUB_INVENTORY__ORGANIZATION_ID".to_owned(),
        "not-a-uuid".to_owned(),
    )]);
    let refused = Settings::load(&Sources { file: None, env }).map(|_| ());
    assert!(
        refused.is_err_and(|e| e.to_string().contains("inventory.organization_id")),
        "a bad organization id is refused at start, naming the key"
    );
    let configured = "3f2b6c1e-8d4a-4b7e-9c2f-1a5d7e9b0c3d";
    let app = spawn_with(|s| s.inventory.organization_id = Some(configured.into())).await;
    let made = create(&app, "collections", json!({"name": "Team A"})).await;
    assert_eq!(made["organizationId"], configured);
    assert_eq!(made["collectionType"], "Other", "the default type");

    let app = spawn_app().await;
    let first = create(&app, "collections", json!({"name": "Team B"})).await;
    let dir = app.stop().await;
    let app = crate::helpers::spawn_in(dir, |_| {}).await;
    let (_, again) = app
        .get(&format!(
            "{V1}/collections/{}",
            first["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(again["organizationId"], first["organizationId"]);
}

#[tokio::test]
async fn an_application_and_its_assets_are_two_views_of_one_relation() {
    let app = spawn_app().await;
    let shop = create(&app, "applications", json!({"name": "Shop"})).await;
    let shop_id = shop["id"].as_str().expect("id").to_owned();
    let web = create(
        &app,
        "assets",
        json!({"assetType": "Target", "name": "web", "targetUrl": "https://shop.example.com/"}),
    )
    .await;
    let repo = create(
        &app,
        "assets",
        json!({"assetType": "repository", "name": "shop.git", "applicationIds": [shop_id]}),
    )
    .await;
    let web_id = web["id"].as_str().expect("id").to_owned();
    let repo_id = repo["id"].as_str().expect("id").to_owned();
    assert_eq!(
        repo["assetType"], "Repository",
        "any case in, the seed's out"
    );
    // Setting the application's side shows on the asset.
    let (_, patched) = app
        .patch(
            &format!("{V1}/applications/{shop_id}"),
            &json!({"assetIds": [web_id, repo_id]}),
        )
        .await;
    assert_eq!(
        patched["assetCounts"],
        json!({"targets": 1, "repositories": 1})
    );
    let (_, w) = app.get(&format!("{V1}/assets/{web_id}")).await;
    assert_eq!(ids(&w["applicationIds"]), [shop_id.as_str()]);
    // Filters.
    let listed = |q: String| {
        let app = &app;
        async move {
            let (status, page) = app.get(&format!("{V1}/assets?{q}")).await;
            assert_eq!(status, StatusCode::OK, "{q}: {page}");
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|a| a["name"].as_str().expect("name").to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("assetType=Target".into()).await, ["web"]);
    assert_eq!(
        listed(format!("applicationId={shop_id}")).await,
        ["web", "shop.git"]
    );
    assert_eq!(
        listed("targetUrl=HTTPS://Shop.Example.com:443".into()).await,
        ["web"]
    );
    assert!(
        listed("targetUrl=https://other.example.com".into())
            .await
            .is_empty()
    );
    // A delete hides the asset from lists and from the application; asked, it shows.
    let (status, _) = app.delete(&format!("{V1}/assets/{web_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(listed(String::new()).await, ["shop.git"]);
    assert_eq!(
        listed("includeDeleted=true".into()).await,
        ["web", "shop.git"]
    );
    let (_, s) = app.get(&format!("{V1}/applications/{shop_id}")).await;
    assert_eq!(ids(&s["assetIds"]), [repo_id.as_str()]);
    let (status, _) = app.get(&format!("{V1}/assets/{web_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "deleted, it is hidden");
    let (status, _) = app.delete(&format!("{V1}/assets/{web_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "and cannot be deleted twice");
    let (_, w) = app
        .get(&format!("{V1}/assets/{web_id}?includeDeleted=true"))
        .await;
    assert_eq!(w["deleted"], true);
    // A second live Target for the same URL is a conflict; restoring works.
    let (status, body) = app
        .post(
            &format!("{V1}/assets"),
            &json!({"assetType": "Target", "name": "web 2", "targetUrl": "https://shop.example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "the first is deleted: {body}");
    let (status, _) = app
        .patch(
            &format!("{V1}/assets/{web_id}"),
            &json!({"name": "renamed"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "deleted, only a restore reaches it"
    );
    let (status, body) = app
        .patch(&format!("{V1}/assets/{web_id}"), &json!({"deleted": false}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // Deleting the application leaves its assets.
    let (status, _) = app.delete(&format!("{V1}/applications/{shop_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, r) = app.get(&format!("{V1}/assets/{repo_id}")).await;
    assert_eq!(r["applicationIds"], json!([]));
    let (status, body) = app.get(&format!("{V1}/applications/{shop_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(envelope(&body).0, "not_found");
}

#[tokio::test]
async fn paging_walks_every_item_once_and_past_the_end_is_empty() {
    let app = spawn_app().await;
    for i in 0..23 {
        create(&app, "collections", json!({"name": format!("c{i:02}")})).await;
    }
    let mut seen = Vec::new();
    for n in 1..=3 {
        let (_, page) = app
            .get(&format!("{V1}/collections?pageSize=10&pageNumber={n}"))
            .await;
        assert_eq!(
            page["pageInfo"],
            json!({"totalCount": 23, "pageSize": 10, "currentPage": n, "totalPages": 3})
        );
        for c in page["items"].as_array().expect("items") {
            seen.push(c["name"].as_str().expect("name").to_owned());
        }
    }
    let expected: Vec<String> = (0..23).map(|i| format!("c{i:02}")).collect();
    assert_eq!(seen, expected);
    let (status, past) = app
        .get(&format!("{V1}/collections?pageSize=10&pageNumber=4"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(past["items"], json!([]));
    assert_eq!(past["pageInfo"]["currentPage"], 4);
    let (_, all) = app.get(&format!("{V1}/collections?pageSize=500")).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(23));
}

/// Everything the Inventory API holds, deleted assets included.
async fn snapshot(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    for q in [
        "applications?pageSize=500",
        "assets?pageSize=500&includeDeleted=true",
        "collections?pageSize=500",
    ] {
        out.push(app.get(&format!("{V1}/{q}")).await.1);
    }
    out
}

#[tokio::test]
async fn bad_input_is_a_4xx_naming_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let shop = create(&app, "applications", json!({"name": "Shop"})).await;
    let shop_id = shop["id"].as_str().expect("id").to_owned();
    let before = snapshot(&app).await;
    let long = |n: usize| "x".repeat(n);
    let cases: Vec<(Method, String, Value, StatusCode, &str)> = vec![
        (
            Method::POST,
            "applications".into(),
            json!({}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            Method::POST,
            "applications".into(),
            json!({"name": ""}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            Method::POST,
            "applications".into(),
            json!({"name": "   "}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            Method::POST,
            "applications".into(),
            json!({"name": long(256)}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            Method::POST,
            "applications".into(),
            json!({"name": "a", "description": long(1024)}),
            StatusCode::BAD_REQUEST,
            "description",
        ),
        (
            Method::POST,
            "applications".into(),
            json!({"name": "a", "tags": "x"}),
            StatusCode::BAD_REQUEST,
            "tags",
        ),
        (
            Method::POST,
            "applications".into(),
            json!({"name": "a", "tags": [""]}),
            StatusCode::BAD_REQUEST,
            "tags[0]",
        ),
        (
            Method::POST,
            "applications".into(),
            json!({"name": "a", "colour": "red"}),
            StatusCode::BAD_REQUEST,
            "colour",
        ),
        (
            Method::POST,
            "applications".into(),
            json!({"name": "a", "assetIds": ["nope"]}),
            StatusCode::BAD_REQUEST,
            "assetIds[0]",
        ),
        (
            Method::POST,
            "applications".into(),
            json!({"name": "a", "collectionIds": ["", "x"]}),
            StatusCode::BAD_REQUEST,
            "collectionIds[0]",
        ),
        (
            Method::PATCH,
            format!("applications/{shop_id}"),
            json!({"name": long(256)}),
            StatusCode::BAD_REQUEST,
            "name",
        ),
        (
            Method::PATCH,
            format!("applications/{shop_id}"),
            json!({"assetIds": ["missing"]}),
            StatusCode::BAD_REQUEST,
            "assetIds[0]",
        ),
        (
            Method::PATCH,
            "applications/unknown".into(),
            json!({"name": "b"}),
            StatusCode::NOT_FOUND,
            "",
        ),
        (
            Method::POST,
            "assets".into(),
            json!({"name": "a"}),
            StatusCode::BAD_REQUEST,
            "assetType",
        ),
        (
            Method::POST,
            "assets".into(),
            json!({"assetType": "Server", "name": "a"}),
            StatusCode::BAD_REQUEST,
            "assetType",
        ),
        (
            Method::POST,
            "assets".into(),
            json!({"assetType": "Target", "name": "a"}),
            StatusCode::BAD_REQUEST,
            "targetUrl",
        ),
        (
            Method::POST,
            "assets".into(),
            json!({"assetType": "Target", "name": "a", "targetUrl": "ftp://x.example"}),
            StatusCode::BAD_REQUEST,
            "targetUrl",
        ),
        (
            Method::POST,
            "assets".into(),
            json!({"assetType": "Target", "name": "a", "targetUrl": "https://a.example", "applicationIds": [shop_id, "ghost"]}),
            StatusCode::BAD_REQUEST,
            "applicationIds[1]",
        ),
        (
            Method::POST,
            "collections".into(),
            json!({"name": "a", "collectionType": "Tribe"}),
            StatusCode::BAD_REQUEST,
            "collectionType",
        ),
        (
            Method::POST,
            "collections".into(),
            json!({"name": long(255), "description": long(1024)}),
            StatusCode::BAD_REQUEST,
            "description",
        ),
        (
            Method::GET,
            "collections?pageSize=0".into(),
            Value::Null,
            StatusCode::BAD_REQUEST,
            "pageSize",
        ),
        (
            Method::GET,
            "collections?pageSize=501".into(),
            Value::Null,
            StatusCode::BAD_REQUEST,
            "pageSize",
        ),
        (
            Method::GET,
            "applications?pageNumber=0".into(),
            Value::Null,
            StatusCode::BAD_REQUEST,
            "pageNumber",
        ),
        (
            Method::GET,
            "assets?pageNumber=abc".into(),
            Value::Null,
            StatusCode::BAD_REQUEST,
            "pageNumber",
        ),
        (
            Method::GET,
            "assets?assetType=Server".into(),
            Value::Null,
            StatusCode::BAD_REQUEST,
            "assetType",
        ),
        (
            Method::GET,
            "assets?colour=red".into(),
            Value::Null,
            StatusCode::BAD_REQUEST,
            "colour",
        ),
    ];
    assert!(cases.len() >= 20);
    for (method, path, body, status, field) in cases {
        let mut req = app.request(method.clone(), &format!("{V1}/{path}"));
        if !body.is_null() {
            req = req.json(&body);
        }
        let (got, answer) = app.send(req).await;
        assert_eq!(got, status, "{method} {path} {body}: {answer}");
        let (_, named) = envelope(&answer);
        if !field.is_empty() {
            assert_eq!(
                named.as_deref(),
                Some(field),
                "{method} {path} {body}: {answer}"
            );
        }
    }
    // The bounds themselves are accepted.
    create(
        &app,
        "applications",
        json!({"name": long(255), "description": long(1023)}),
    )
    .await;
    create(&app, "applications", json!({"name": "a"})).await;
    let after = snapshot(&app).await;
    assert_eq!(after[1], before[1], "assets unchanged");
    assert_eq!(after[2], before[2], "collections unchanged");
    let names: Vec<&str> = after[0]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names.len(), 3, "only the two valid creates were added");
    assert_eq!(
        after[0]["items"][0], before[0]["items"][0],
        "Shop unchanged"
    );
}
