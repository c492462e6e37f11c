//! The `invicti_nad_agent` importer end to end over HTTP: an agent pushes traffic
//! with its registration token, runs reconstruct OpenAPI per origin into the
//! inventory, and the shadow-API report compares it with a `directory` importer's
//! definitions. Secrets sent in traffic must never come back or reach the disk.

use std::io::Write as _;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{IMPORTERS, TestApp, spawn_with, write_spec};
use crate::sync::run;

const INVENTORY: &str = "/api/apihub/v1/inventory";
const API_TOKEN: &str = "operator-token-7f3a9c2e1b";
/// Credentials an agent's traffic carries; none may be stored or shown.
const BEARER: &str = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LWJlYXJlcg.Zm9vYmFy";
const API_KEY: &str = "k3y-Value-0c1d2e3f4a5b";
const COOKIE: &str = "sessionid=Sess-8a7b6c5d4e";
const QUERY_KEY: &str = "QryS3cret-99aa88bb";
const BODY_SECRET: &str = "hunter2-Body-Secret";

async fn app_with(configure: impl FnOnce(&mut apihub_importer::config::Settings)) -> TestApp {
    spawn_with(|s| {
        s.server.auth_tokens = vec![API_TOKEN.to_owned().into()];
        configure(s);
    })
    .await
}

/// Creates an agent importer; returns its id and the generated token.
async fn agent(app: &TestApp, name: &str, params: Value) -> (String, String) {
    let (status, created) = app
        .post(
            IMPORTERS,
            &json!({"name": name, "type": "invicti_nad_agent", "parameters": params}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["importerId"].as_str().expect("id").to_owned();
    let token = created["parameters"]["registrationToken"]
        .as_str()
        .expect("token in clear once")
        .to_owned();
    (id, token)
}

fn exchange(method: &str, url: &str, status: u16) -> Value {
    json!({
        "method": method, "url": url, "status": status,
        "requestHeaders": {"Authorization": format!("Bearer {BEARER}"), "X-API-Key": API_KEY,
                           "Cookie": COOKIE, "Accept": "application/json"},
        "responseHeaders": {"Content-Type": "application/json", "Set-Cookie": COOKIE},
        "responseBody": {"id": 7, "password": BODY_SECRET, "items": [{"sku": "a"}]},
        "startedAt": "2026-11-30T10:00:00Z",
    })
}

fn ndjson(lines: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

async fn push(
    app: &TestApp,
    id: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let req = app
        .http
        .post(app.url(&format!("{IMPORTERS}/{id}/traffic")))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", content_type)
        .body(body);
    app.send(req).await
}

/// Traffic of a small shop: numeric and slug ids, a static sibling, a query key.
fn shop_traffic(origin: &str) -> Vec<Value> {
    let mut lines = Vec::new();
    for id in [11, 12, 13, 14, 15] {
        lines.push(exchange("GET", &format!("{origin}/v1/orders/{id}"), 200));
    }
    for user in ["alice", "bob", "carol", "dave", "erin"] {
        lines.push(exchange(
            "GET",
            &format!("{origin}/v1/users/{user}?api_key={QUERY_KEY}"),
            200,
        ));
    }
    for _ in 0..3 {
        lines.push(exchange("GET", &format!("{origin}/v1/orders/export"), 200));
        lines.push(exchange("POST", &format!("{origin}/v1/admin/debug"), 500));
    }
    lines
}

async fn targets(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get(&format!("{INVENTORY}/api-targets?limit=100")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["targets"].as_array().expect("targets").clone()
}

/// The reconstructed target of `origin`, its detail and its definition document.
async fn reconstructed(app: &TestApp, origin: &str) -> (Value, Value) {
    let all = targets(app).await;
    let t = all
        .iter()
        .find(|t| {
            t["definitions"][0]["source"]["mode"] == "Discovered"
                && t["alternativeUrls"]
                    .as_array()
                    .is_some_and(|u| u.iter().any(|u| u == origin))
        })
        .unwrap_or_else(|| panic!("no reconstructed target for {origin}: {all:?}"));
    let tid = t["id"].as_str().expect("id");
    let (_, detail) = app.get(&format!("{INVENTORY}/api-targets/{tid}")).await;
    let def = detail["target"]["definitions"][0]["id"]
        .as_str()
        .expect("definition");
    let (status, doc) = app
        .get(&format!(
            "{INVENTORY}/api-targets/{tid}/definitions/{def}/content"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    (detail, doc)
}

#[tokio::test]
async fn the_registration_token_is_shown_once_and_opens_only_its_importer() {
    let app = app_with(|_| {}).await;
    let (a, token_a) = agent(&app, "agent a", json!({})).await;
    let (b, token_b) = agent(&app, "agent b", json!({})).await;
    assert!(token_a.len() >= 43, "32 bytes of entropy: {token_a}");
    assert_ne!(token_a, token_b);
    let (_, shown) = app.get(&format!("{IMPORTERS}/{a}")).await;
    assert_eq!(shown["parameters"]["registrationToken"], "********");
    // A PUT without the token keeps it and does not show it again.
    let (status, put) = app
        .put(
            &format!("{IMPORTERS}/{a}"),
            &json!({"name": "agent a", "type": "invicti_nad_agent", "parameters": {"retentionDays": 7}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{put}");
    assert_eq!(put["parameters"]["registrationToken"], "********");

    let body = || ndjson(&[exchange("GET", "https://shop.test/v1/orders/1", 200)]);
    let (status, receipt) = push(&app, &a, &token_a, "application/x-ndjson", body()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{receipt}");
    assert_eq!(receipt["accepted"], 1);
    // One importer's token does not open another, nor any other route.
    let (status, _) = push(&app, &b, &token_a, "application/x-ndjson", body()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = push(&app, &a, "wrong", "application/x-ndjson", body()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .send(
            app.http
                .get(app.url(IMPORTERS))
                .header("Authorization", format!("Bearer {token_a}")),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .send(
            app.http
                .post(app.url(&format!("{IMPORTERS}/{a}/traffic")))
                .body(body()),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token at all");
    // Operators may push with an API token; they learn what a stranger may not.
    let (status, _) = push(&app, &b, API_TOKEN, "application/x-ndjson", body()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = push(&app, "nope", API_TOKEN, "application/x-ndjson", body()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = push(&app, "nope", &token_a, "application/x-ndjson", body()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    write_spec(&app, "x/a.json", &crate::helpers::openapi("X", "x", 1));
    let dir_id = app
        .create_importer(&json!({"name": "dir", "type": "directory",
            "parameters": {"path": crate::helpers::specs_dir(&app)}}))
        .await;
    let (status, _) = push(&app, &dir_id, API_TOKEN, "application/x-ndjson", body()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = push(&app, &dir_id, &token_a, "application/x-ndjson", body()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A token sent at create time is the one that works.
    let (status, created) = app
        .post(
            IMPORTERS,
            &json!({"name": "agent c", "type": "invicti_nad_agent",
                    "parameters": {"registrationToken": "chosen-token-0123456789abcdef"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(created["parameters"]["registrationToken"], "********");
    let c = created["importerId"].as_str().expect("id");
    let (status, _) = push(
        &app,
        c,
        "chosen-token-0123456789abcdef",
        "application/x-ndjson",
        body(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn batches_are_bounded_decoded_rate_limited_and_report_bad_lines() {
    let app = app_with(|s| {
        s.nad.max_batch_bytes = 4096;
        s.nad.batches_per_minute = 30; // burst of 3
    })
    .await;
    let (id, token) = agent(&app, "agent", json!({"hosts": ["*.shop.test"]})).await;
    let mut lines = vec![
        exchange("GET", "https://api.shop.test/v1/orders/1", 200),
        exchange("GET", "https://elsewhere.test/v1/orders/1", 200),
    ];
    lines.push(json!({"method": "GET", "status": 200}));
    let mut body = ndjson(&lines);
    body.extend_from_slice(b"{not json\n");
    let (status, receipt) = push(&app, &id, &token, "application/x-ndjson", body).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{receipt}");
    assert_eq!(receipt["accepted"], 1);
    assert_eq!(receipt["ignored"], 1, "host outside `hosts`");
    assert_eq!(receipt["rejected"], 2);
    let indexes: Vec<u64> = receipt["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["index"].as_u64().expect("index"))
        .collect();
    assert_eq!(indexes, [2, 3]);
    assert!(
        receipt["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("url")
    );

    // gzip is decoded, and the limit applies to what it decodes to.
    let gz = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).expect("gzip");
        e.finish().expect("gzip")
    };
    let small = ndjson(&[exchange("GET", "https://api.shop.test/v1/items/1", 200)]);
    let req = |body: Vec<u8>| {
        app.http
            .post(app.url(&format!("{IMPORTERS}/{id}/traffic")))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/x-ndjson")
            .header("Content-Encoding", "gzip")
            .body(body)
    };
    let (status, receipt) = app.send(req(gz(&small))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{receipt}");
    assert_eq!(receipt["accepted"], 1);
    let padding = " ".repeat(10_000);
    let bomb = format!("{}{padding}\n", small.len());
    let (status, err) = app.send(req(gz(bomb.as_bytes()))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("nad.max_batch_bytes")
    );
    // The burst is spent by now: the next batch waits.
    let mut limited = None;
    for _ in 0..3 {
        let resp = app
            .http
            .post(app.url(&format!("{IMPORTERS}/{id}/traffic")))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/x-ndjson")
            .body(small.clone())
            .send()
            .await
            .expect("send");
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(resp);
            break;
        }
    }
    let limited = limited.expect("rate limited within the burst");
    assert!(limited.headers().contains_key("retry-after"));
    let (status, err) = push(&app, &id, &token, "text/plain", b"x".to_vec()).await;
    assert!(
        status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{status} {err}"
    );
}

#[tokio::test]
async fn traffic_becomes_an_openapi_target_per_origin_without_any_secret() {
    let app = app_with(|_| {}).await;
    let (id, token) = agent(&app, "Shop agent", json!({})).await;
    let origin = "https://shop.test";
    let (status, receipt) = push(
        &app,
        &id,
        &token,
        "application/x-ndjson",
        ndjson(&shop_traffic(origin)),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{receipt}");
    // A HAR batch to a second origin.
    let har = json!({"log": {"version": "1.2", "entries": [{
        "startedDateTime": "2026-11-30T10:00:00Z",
        "request": {"method": "DELETE", "url": "http://10.0.0.5:8080/carts/5f0c3a1e-2b4d-4c6e-8f10-1a2b3c4d5e6f",
                    "headers": [{"name": "Authorization", "value": format!("Bearer {BEARER}")}]},
        "response": {"status": 204, "headers": [], "content": {"size": 0}}
    }]}});
    let (status, receipt) = push(
        &app,
        &id,
        &token,
        "application/json",
        har.to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{receipt}");
    let done = run(&app, &id).await;
    assert_eq!(done["status"], "Completed", "{done}");

    let (detail, doc) = reconstructed(&app, origin).await;
    let def = &detail["target"]["definitions"][0];
    assert_eq!(def["source"]["origin"], "invicti_nad_agent");
    assert_eq!(def["sourceName"], "Shop agent (reconstructed)");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        paths,
        [
            "/v1/admin/debug",
            "/v1/orders/export",
            "/v1/orders/{orderId}",
            "/v1/users/{userId}"
        ],
        "numbers and slugs become parameters, a static sibling stays"
    );
    // The credential-looking query parameter is a security scheme, not a parameter.
    let users = &doc["paths"]["/v1/users/{userId}"]["get"];
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("schemes");
    assert!(
        schemes
            .values()
            .any(|s| s["in"] == "query" && s["name"] == "api_key"),
        "{schemes:?}"
    );
    assert!(
        schemes.values().any(|s| s["scheme"] == "bearer"),
        "{schemes:?}"
    );
    assert!(
        users["security"].as_array().is_some_and(|s| s.len() >= 2),
        "{users}"
    );
    // Every operation says whether a definition documents it; nothing does here.
    let ops = detail["operations"].as_array().expect("operations");
    assert_eq!(ops.len(), 4);
    for op in ops {
        let undocumented = op["annotations"]
            .as_array()
            .expect("annotations")
            .iter()
            .find(|a| a["key"] == "apihub.undocumented")
            .unwrap_or_else(|| panic!("no apihub.undocumented on {op}"));
        assert_eq!(undocumented["value"], "true");
    }
    let (other, _) = reconstructed(&app, "http://10.0.0.5:8080").await;
    assert_eq!(other["operations"][0]["endpoint"], "/carts/{cartId}");

    // No credential, cookie, query value or body value is shown or stored.
    let mut shown = vec![doc.to_string(), detail.to_string(), other.to_string()];
    shown.push(
        app.get(&format!("{INVENTORY}/shadow-apis"))
            .await
            .1
            .to_string(),
    );
    shown.push(
        app.get(&format!("{IMPORTERS}/{id}/runs"))
            .await
            .1
            .to_string(),
    );
    shown.push(app.get(&format!("{IMPORTERS}/{id}")).await.1.to_string());
    let secrets = [
        BEARER,
        API_KEY,
        COOKIE,
        QUERY_KEY,
        BODY_SECRET,
        token.as_str(),
    ];
    for text in &shown {
        for s in secrets {
            assert!(!text.contains(s), "`{s}` shown: {text}");
        }
    }
    let dir = app.stop().await;
    for entry in std::fs::read_dir(dir.path().join("data")).expect("data dir") {
        let path = entry.expect("entry").path();
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        for s in secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "`{s}` stored in {}",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn runs_merge_what_earlier_runs_learned() {
    let app = app_with(|_| {}).await;
    let (id, token) = agent(&app, "agent", json!({})).await;
    let first: Vec<Value> = (1..=4)
        .map(|i| exchange("GET", &format!("https://shop.test/orders/{i}"), 200))
        .collect();
    push(&app, &id, &token, "application/x-ndjson", ndjson(&first)).await;
    run(&app, &id).await;
    let second = vec![
        exchange("GET", "https://shop.test/orders/99", 404),
        exchange("GET", "https://shop.test/health", 200),
    ];
    push(&app, &id, &token, "application/x-ndjson", ndjson(&second)).await;
    let done = run(&app, &id).await;
    assert_eq!(done["status"], "Completed", "{done}");
    let (_, doc) = reconstructed(&app, "https://shop.test").await;
    let orders = &doc["paths"]["/orders/{orderId}"]["get"];
    assert_eq!(orders["x-apihub-observed"]["requests"], 5, "{doc}");
    let statuses: Vec<&String> = orders["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .collect();
    assert_eq!(statuses, ["200", "404"]);
    assert!(
        doc["paths"]["/health"]["get"].is_object(),
        "the operation seen once stays"
    );
    assert_eq!(
        targets(&app).await.len(),
        1,
        "one target per origin, updated"
    );
}

#[tokio::test]
async fn the_shadow_report_matches_traffic_against_a_directory_importers_definitions() {
    let app = app_with(|_| {}).await;
    let spec = json!({
        "openapi": "3.0.3", "info": {"title": "Shop", "version": "1"},
        "servers": [{"url": "https://shop.test/v1"}],
        "paths": {
            "/orders/{id}": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/orders/export": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/users/{name}": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/orders": {"post": {"responses": {"201": {"description": "made"}}}}
        }
    });
    write_spec(&app, "shop.json", &spec.to_string());
    let dir_id = app
        .create_importer(&json!({"name": "specs", "type": "directory",
            "parameters": {"path": crate::helpers::specs_dir(&app)}}))
        .await;
    assert_eq!(run(&app, &dir_id).await["status"], "Completed");
    let (id, token) = agent(&app, "agent", json!({"retentionDays": 30})).await;
    let now = chrono::Utc::now().to_rfc3339();
    let lines: Vec<Value> = shop_traffic("https://shop.test")
        .into_iter()
        .map(|mut l| {
            l["startedAt"] = Value::String(now.clone());
            l
        })
        .collect();
    push(&app, &id, &token, "application/x-ndjson", ndjson(&lines)).await;
    assert_eq!(run(&app, &id).await["status"], "Completed");

    let (status, report) = app.get(&format!("{INVENTORY}/shadow-apis")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let list = |k: &str| -> Vec<(String, String)> {
        report[k]
            .as_array()
            .expect(k)
            .iter()
            .map(|f| {
                assert_eq!(f["importerId"], id.as_str());
                (
                    f["method"].as_str().expect("method").to_owned(),
                    f["path"].as_str().expect("path").to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        list("undocumented"),
        [("POST".to_owned(), "/v1/admin/debug".to_owned())],
        "{report}"
    );
    assert_eq!(
        list("stale"),
        [("POST".to_owned(), "/v1/orders".to_owned())],
        "{report}"
    );
    assert_eq!(report["stale"][0]["documentedBy"], "Shop");

    let (detail, _) = reconstructed(&app, "https://shop.test").await;
    let flag = |endpoint: &str| {
        detail["operations"]
            .as_array()
            .expect("ops")
            .iter()
            .find(|o| o["endpoint"] == endpoint)
            .and_then(|o| {
                o["annotations"]
                    .as_array()?
                    .iter()
                    .find(|a| a["key"] == "apihub.undocumented")
                    .map(|a| a["value"].clone())
            })
    };
    assert_eq!(flag("/v1/admin/debug"), Some(json!("true")));
    assert_eq!(flag("/v1/orders/{orderId}"), Some(json!("false")));
    assert_eq!(flag("/v1/orders/export"), Some(json!("false")));

    let resp = app
        .request(Method::GET, "/metrics")
        .send()
        .await
        .expect("metrics");
    let text = resp.text().await.expect("text");
    assert!(
        text.contains("apihub_nad_undocumented_operations 1"),
        "{text}"
    );
    assert!(text.contains("apihub_nad_stale_operations 1"), "{text}");
}

#[tokio::test]
async fn one_origin_serving_separate_apis_becomes_one_target_per_base_path() {
    let app = app_with(|_| {}).await;
    // A gateway importer declares `/legacy` on the gateway's origin.
    let spec = json!({
        "openapi": "3.0.3", "info": {"title": "Legacy", "version": "1"},
        "servers": [{"url": "https://gw.test/legacy"}],
        "paths": {"/status": {"get": {"responses": {"200": {"description": "ok"}}}}}
    });
    write_spec(&app, "legacy.json", &spec.to_string());
    let dir_id = app
        .create_importer(&json!({"name": "specs", "type": "directory",
            "parameters": {"path": crate::helpers::specs_dir(&app)}}))
        .await;
    assert_eq!(run(&app, &dir_id).await["status"], "Completed");
    let (id, token) = agent(&app, "gateway agent", json!({})).await;
    let mut lines = Vec::new();
    for n in [3, 4, 5] {
        let charge = format!("https://gw.test/payments/v1/charges/{n}");
        lines.push(exchange("GET", &charge, 200));
        lines.push(exchange("POST", "https://gw.test/payments/v1/charges", 201));
        lines.push(exchange(
            "GET",
            &format!("https://gw.test/orders/v2/orders/{n}"),
            200,
        ));
        lines.push(exchange("GET", "https://gw.test/orders/v2/carts", 200));
        lines.push(exchange("GET", "https://gw.test/legacy/status", 200));
        lines.push(exchange("GET", "https://gw.test/healthz", 200));
    }
    let (status, body) = push(&app, &id, &token, "application/x-ndjson", ndjson(&lines)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(run(&app, &id).await["status"], "Completed");

    let mut keys: Vec<String> = targets(&app)
        .await
        .iter()
        .filter(|t| t["definitions"][0]["source"]["mode"] == "Discovered")
        .map(|t| t["alternativeUrls"][0].as_str().expect("url").to_owned())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "https://gw.test",
            "https://gw.test/legacy",
            "https://gw.test/orders/v2",
            "https://gw.test/payments/v1"
        ]
    );
    let (detail, doc) = reconstructed(&app, "https://gw.test/payments/v1").await;
    assert_eq!(doc["servers"][0]["url"], "https://gw.test/payments/v1");
    let mut paths: Vec<&String> = doc["paths"].as_object().expect("paths").keys().collect();
    paths.sort();
    assert_eq!(paths, ["/charges", "/charges/{chargeId}"], "{doc}");
    assert_eq!(detail["target"]["name"], "gw.test/payments/v1");
    let undocumented = detail["operations"]
        .as_array()
        .expect("ops")
        .iter()
        .filter(|o| {
            o["annotations"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|a| a["key"] == "apihub.undocumented" && a["value"] == "true")
            })
        })
        .count();
    assert_eq!(undocumented, 2, "no gateway documents the payments API");
    let (_, legacy) = reconstructed(&app, "https://gw.test/legacy").await;
    assert_eq!(
        legacy["paths"]["/status"]["get"]["x-apihub-undocumented"],
        false
    );
    let (_, rest) = reconstructed(&app, "https://gw.test").await;
    let rest: Vec<&String> = rest["paths"].as_object().expect("paths").keys().collect();
    assert_eq!(rest, ["/healthz"], "what fits no API stays on the origin");
}
