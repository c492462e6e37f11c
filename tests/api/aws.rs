//! The `aws_api_gateway` connector against moto: REST and HTTP APIs of two regions,
//! synced through the daemon's API, checked against what moto itself reports.

use serde_json::{Value, json};

use crate::helpers::{IMPORTERS, TestApp, spawn_app};
use crate::inventory::INVENTORY;
use crate::sync::{counts, run};
use apihub_connectors::testkit::moto::{ACCOUNT, Moto, import};

/// Operations per resource as moto reports them (GetResources), for one REST API.
async fn moto_rest_ops(moto: &Moto, region: &str, id: &str) -> usize {
    let c = moto.v1(region).await;
    let res = c
        .get_resources()
        .rest_api_id(id)
        .limit(500)
        .send()
        .await
        .expect("GetResources");
    res.items()
        .iter()
        .map(|r| r.resource_methods().map_or(0, |m| m.len()))
        .sum()
}

/// Operations of an HTTP API as its routes say (GetRoutes; ANY is 7 methods).
async fn moto_http_ops(moto: &Moto, region: &str, id: &str) -> usize {
    let c = moto.v2(region).await;
    let routes = c.get_routes().api_id(id).send().await.expect("GetRoutes");
    routes
        .items()
        .iter()
        .filter_map(|r| r.route_key())
        .map(|k| {
            if k.starts_with('$') {
                0
            } else if k.starts_with("ANY ") {
                7
            } else {
                1
            }
        })
        .sum()
}

struct World {
    pets: String,
    orders: String,
    eu: String,
    http: String,
}

async fn seed(moto: &Moto) -> World {
    let pets = import(
        moto,
        "us-east-1",
        "Pets",
        &[("get", "/pets"), ("post", "/pets"), ("get", "/pets/{id}")],
        &["prod", "staging"],
    )
    .await;
    let orders = import(
        moto,
        "us-east-1",
        "Orders",
        &[("get", "/orders"), ("delete", "/orders/{id}")],
        &["prod"],
    )
    .await;
    // No deployed stage: reported, not exported.
    moto.v1("us-east-1")
        .await
        .create_rest_api()
        .name("Draft")
        .description("not deployed")
        .send()
        .await
        .expect("CreateRestApi");
    let eu = import(
        moto,
        "eu-west-1",
        "Billing",
        &[("get", "/invoices"), ("put", "/invoices/{id}")],
        &["v1"],
    )
    .await;
    let v2 = moto.v2("us-east-1").await;
    let http = v2
        .create_api()
        .name("orders-http")
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .send()
        .await
        .expect("CreateApi");
    let http_id = http.api_id().expect("id").to_owned();
    for key in [
        "GET /orders",
        "POST /orders",
        "ANY /orders/{id}",
        "$default",
    ] {
        v2.create_route()
            .api_id(&http_id)
            .route_key(key)
            .send()
            .await
            .expect("CreateRoute");
    }
    v2.create_stage()
        .api_id(&http_id)
        .stage_name("$default")
        .auto_deploy(true)
        .send()
        .await
        .expect("CreateStage");
    // Deployed, but its only route is the `$default` catch-all: no operations.
    let empty = v2
        .create_api()
        .name("Nothing")
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .send()
        .await
        .expect("CreateApi");
    v2.create_route()
        .api_id(empty.api_id().expect("id"))
        .route_key("$default")
        .send()
        .await
        .expect("CreateRoute");
    v2.create_stage()
        .api_id(empty.api_id().expect("id"))
        .stage_name("live")
        .auto_deploy(true)
        .send()
        .await
        .expect("CreateStage");
    World {
        pets,
        orders,
        eu,
        http: http_id,
    }
}

async fn aws_importer(
    app: &TestApp,
    name: &str,
    moto_url: &str,
    exclude_empty: bool,
    extra: Value,
) -> String {
    let mut params = json!({"clientId": "AKIDTEST", "clientSecret": "not-a-real-secret", "regions": ["us-east-1", "eu-west-1"], "endpointUrl": moto_url});
    if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
        p.extend(e.clone());
    }
    app.create_importer(&json!({"name": name, "type": "aws_api_gateway", "status": "inactive", "excludeEmptySpecs": exclude_empty, "parameters": params})).await
}

async fn targets(app: &TestApp) -> Vec<Value> {
    let (_, page) = app
        .get(&format!("{INVENTORY}/api-targets?limit=500&sort=name"))
        .await;
    page["targets"].as_array().expect("targets").clone()
}

fn by_key<'a>(targets: &'a [Value], key: &str) -> &'a Value {
    targets
        .iter()
        .find(|t| {
            t["annotations"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x["key"] == "apihub.externalKey" && x["value"] == key)
            })
        })
        .unwrap_or_else(|| panic!("no target for {key}"))
}

#[tokio::test]
async fn syncs_rest_and_http_apis_of_two_regions() {
    let Some(moto) = Moto::start(&[]).await else {
        return;
    };
    let w = seed(&moto).await;
    let app = spawn_app().await;
    let id = aws_importer(&app, "AWS", &moto.url, true, json!({})).await;

    let first = run(&app, &id).await;
    assert_eq!(first["status"], "Completed", "{first}");
    // Pets ×2 stages, Orders, Billing, orders-http: created; Nothing: empty; Draft: no stage.
    assert_eq!(counts(&first), [7, 5, 0, 0, 1, 1, 0, 0], "{first}");
    assert!(
        first["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["outcome"] == "skipped"
                && i["message"] == "no deployed stage"
                && i["name"] == "Draft")
    );
    let all = targets(&app).await;
    assert_eq!(all.len(), 5);
    for (key, name, moto_ops) in [
        (
            format!("{ACCOUNT}:us-east-1:{}:prod", w.pets),
            "Pets (prod)",
            moto_rest_ops(&moto, "us-east-1", &w.pets).await,
        ),
        (
            format!("{ACCOUNT}:us-east-1:{}:staging", w.pets),
            "Pets (staging)",
            moto_rest_ops(&moto, "us-east-1", &w.pets).await,
        ),
        (
            format!("{ACCOUNT}:us-east-1:{}:prod", w.orders),
            "Orders (prod)",
            moto_rest_ops(&moto, "us-east-1", &w.orders).await,
        ),
        (
            format!("{ACCOUNT}:eu-west-1:{}:v1", w.eu),
            "Billing (v1)",
            moto_rest_ops(&moto, "eu-west-1", &w.eu).await,
        ),
        (
            format!("{ACCOUNT}:us-east-1:{}:$default", w.http),
            "orders-http ($default)",
            moto_http_ops(&moto, "us-east-1", &w.http).await,
        ),
    ] {
        let t = by_key(&all, &key);
        assert_eq!(t["name"], name);
        assert_eq!(
            t["operationsCount"].as_u64().expect("count") as usize,
            moto_ops,
            "{name}"
        );
        assert_eq!(
            t["definitions"][0]["source"],
            json!({"mode": "Imported", "origin": "aws_api_gateway"})
        );
        assert_eq!(t["definitions"][0]["sourceName"], "AWS");
    }
    assert_eq!(moto_http_ops(&moto, "us-east-1", &w.http).await, 9);
    let pets = by_key(&all, &format!("{ACCOUNT}:us-east-1:{}:prod", w.pets));
    assert!(
        pets["alternativeUrls"]
            .as_array()
            .expect("urls")
            .contains(&json!(format!(
                "https://{}.execute-api.us-east-1.amazonaws.com/prod",
                w.pets
            )))
    );
    let http = by_key(&all, &format!("{ACCOUNT}:us-east-1:{}:$default", w.http));
    assert_eq!(http["definitions"][0]["name"], "synthesized from routes");
    let (_, detail) = app
        .get(&format!(
            "{INVENTORY}/api-targets/{}",
            http["id"].as_str().expect("id")
        ))
        .await;
    let mut eps: Vec<String> = detail["operations"]
        .as_array()
        .expect("ops")
        .iter()
        .map(|o| {
            format!(
                "{} {}",
                o["type"].as_str().unwrap_or(""),
                o["endpoint"].as_str().unwrap_or("")
            )
        })
        .collect();
    eps.sort();
    assert_eq!(eps.len(), 9);
    assert!(
        eps.contains(&"GET /orders".to_owned()) && eps.contains(&"PATCH /orders/{id}".to_owned())
    );
    let (_, imp) = app.get(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(
        (&imp["syncStatus"], &imp["lastRunFailReason"]),
        (&json!("Completed"), &Value::Null)
    );

    // A re-sync writes nothing.
    let second = run(&app, &id).await;
    assert_eq!(counts(&second), [7, 0, 0, 5, 1, 1, 0, 0], "{second}");
    assert_eq!(targets(&app).await, all);

    // A method added to Orders (deployed to prod only) updates exactly that target.
    let v1 = moto.v1("us-east-1").await;
    let res = v1
        .get_resources()
        .rest_api_id(&w.orders)
        .send()
        .await
        .expect("resources");
    let orders_res = res
        .items()
        .iter()
        .find(|r| r.path() == Some("/orders"))
        .and_then(|r| r.id())
        .expect("/orders")
        .to_owned();
    v1.put_method()
        .rest_api_id(&w.orders)
        .resource_id(&orders_res)
        .http_method("POST")
        .authorization_type("NONE")
        .send()
        .await
        .expect("PutMethod");
    v1.put_integration()
        .rest_api_id(&w.orders)
        .resource_id(&orders_res)
        .http_method("POST")
        .r#type(aws_sdk_apigateway::types::IntegrationType::Http)
        .integration_http_method("POST")
        .uri("https://backend.example.com")
        .send()
        .await
        .expect("PutIntegration");
    v1.create_deployment()
        .rest_api_id(&w.orders)
        .stage_name("prod")
        .send()
        .await
        .expect("redeploy");
    let third = run(&app, &id).await;
    assert_eq!(counts(&third), [7, 0, 1, 4, 1, 1, 0, 0], "{third}");
    let now = targets(&app).await;
    let orders_key = format!("{ACCOUNT}:us-east-1:{}:prod", w.orders);
    assert_eq!(by_key(&now, &orders_key)["operationsCount"], 3);
    for t in &all {
        if t["id"] != by_key(&all, &orders_key)["id"] {
            assert!(now.contains(t), "{} changed", t["name"]);
        }
    }

    // An API deleted in AWS is marked missing, not deleted.
    moto.v1("eu-west-1")
        .await
        .delete_rest_api()
        .rest_api_id(&w.eu)
        .send()
        .await
        .expect("DeleteRestApi");
    let fourth = run(&app, &id).await;
    assert_eq!(counts(&fourth), [6, 0, 0, 4, 1, 1, 0, 1], "{fourth}");
    let after = targets(&app).await;
    let billing = by_key(&after, &format!("{ACCOUNT}:eu-west-1:{}:v1", w.eu));
    assert!(
        billing["annotations"]
            .as_array()
            .expect("a")
            .iter()
            .any(|a| a["key"] == "apihub.missingSince")
    );

    // Kept when excludeEmptySpecs is false; REST APIs only when includeHttpApis is false.
    let keep = aws_importer(
        &app,
        "AWS with empties",
        &moto.url,
        false,
        json!({"regions": ["us-east-1"]}),
    )
    .await;
    let r = run(&app, &keep).await;
    assert_eq!(counts(&r), [6, 5, 0, 0, 0, 1, 0, 0], "{r}");
    assert!(
        targets(&app)
            .await
            .iter()
            .any(|t| t["name"] == "Nothing (live)" && t["operationsCount"] == 0)
    );
    let rest_only = aws_importer(
        &app,
        "REST only",
        &moto.url,
        true,
        json!({"regions": ["us-east-1"], "includeHttpApis": false, "stages": ["pro*"]}),
    )
    .await;
    let r = run(&app, &rest_only).await;
    // Pets (prod), Orders (prod); Pets (staging) filtered out; Draft: no stage.
    assert_eq!(counts(&r), [3, 2, 0, 0, 0, 1, 0, 0], "{r}");
}

#[tokio::test]
async fn connection_check_tells_good_keys_from_bad_ones() {
    let Some(good) = Moto::start(&[]).await else {
        return;
    };
    let Some(strict) = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]).await else {
        return;
    };
    let app = spawn_app().await;
    let ok = aws_importer(&app, "ok", &good.url, true, json!({})).await;
    let (status, body) = app
        .post(&format!("{IMPORTERS}/{ok}/check"), &json!(null))
        .await;
    assert_eq!(
        (status, body),
        (
            reqwest::StatusCode::OK,
            json!({"ok": true, "kind": null, "message": null})
        )
    );
    let bad = aws_importer(
        &app,
        "bad",
        &strict.url,
        true,
        json!({"regions": ["us-west-2"]}),
    )
    .await;
    let (_, body) = app
        .post(&format!("{IMPORTERS}/{bad}/check"), &json!(null))
        .await;
    assert_eq!(
        (&body["ok"], &body["kind"]),
        (&json!(false), &json!("auth"))
    );
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("us-west-2"),
        "{body}"
    );
    let (status, _) = app
        .post(&format!("{IMPORTERS}/nope/check"), &json!(null))
        .await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);
}
