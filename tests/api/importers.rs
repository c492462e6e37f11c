//! Seed 000 examples, the importer life cycle, bad input and secrets.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{IMPORTERS, TestApp, envelope, spawn_app, spawn_in, spawn_with};

/// The create example of seed 000, verbatim.
fn seed_create_body() -> Value {
    json!({
        "name": "AWS Gateway Importer",
        "type": "aws_api_gateway",
        "status": "active",
        "updateFrequency": {"unit": "daily", "value": 1},
        "parameters": {"clientId": "string", "clientSecret": "string", "organizationId": "string"},
        "excludeEmptySpecs": true
    })
}

const SEED_LIST_FIELDS: [&str; 10] = [
    "importerId",
    "name",
    "type",
    "status",
    "updateFrequency",
    "lastRunDate",
    "lastRunFailReason",
    "syncStatus",
    "parameters",
    "extras",
];

#[tokio::test]
async fn seed_create_example_returns_200_with_the_seed_shapes() {
    let app = spawn_app().await;
    let (status, body) = app.post(IMPORTERS, &seed_create_body()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["importerId"].as_str().expect("id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_eq!(body["type"], "Aws_api_gateway");
    assert_eq!(body["status"], "Active");
    assert_eq!(
        body["updateFrequency"],
        json!({"unit": "daily", "value": 1})
    );
    assert_eq!(body["syncStatus"], "None");
    assert_eq!(body["lastRunDate"], Value::Null);
    assert_eq!(body["lastRunFailReason"], Value::Null);
    assert_eq!(body["excludeEmptySpecs"], true);
    assert_eq!(body["parameters"]["clientId"], "string");
    assert_eq!(body["parameters"]["clientSecret"], "********");
}

#[tokio::test]
async fn seed_list_example_has_every_field() {
    let app = spawn_app().await;
    let (_, empty) = app.get(IMPORTERS).await;
    assert_eq!(empty, json!({"importers": []}));
    app.create_importer(&seed_create_body()).await;
    app.create_importer(&json!({"name": "Only a name"})).await;
    let (status, list) = app.get(IMPORTERS).await;
    assert_eq!(status, StatusCode::OK);
    let importers = list["importers"].as_array().expect("array");
    assert_eq!(importers.len(), 2);
    for imp in importers {
        for field in SEED_LIST_FIELDS.iter().chain(&["excludeEmptySpecs"]) {
            assert!(imp.get(*field).is_some(), "{field} missing in {imp}");
        }
    }
    let minimal = &importers[1];
    assert_eq!(minimal["type"], Value::Null);
    assert_eq!(minimal["status"], "Pending");
    assert_eq!(minimal["updateFrequency"], Value::Null);
    assert_eq!(minimal["parameters"], json!({}));
    assert_eq!(minimal["excludeEmptySpecs"], false);
}

#[tokio::test]
async fn seed_trigger_and_delete_examples() {
    let app = spawn_app().await;
    let id = app.create_importer(&seed_create_body()).await;
    let (status, body) = app
        .post(&format!("{IMPORTERS}/{id}/trigger"), &json!(null))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(body, Value::Null);
    // The trigger starts a run at once.
    let runs = app.wait_for_runs(&id, |p| p["totalCount"] == 1).await;
    assert_eq!(runs["runs"][0]["trigger"], "manual");

    let (status, _) = app.delete(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(envelope(&body).0, "not_found");
    let (status, _) = app.delete(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post(&format!("{IMPORTERS}/{id}/trigger"), &json!(null))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn requests_accept_any_case_and_responses_use_seed_spelling() {
    let app = spawn_app().await;
    let body = json!({"name": "n", "type": "AWS_API_GATEWAY", "status": "INACTIVE",
                      "updateFrequency": {"unit": "Weekly", "value": 2}});
    let (status, created) = app.post(IMPORTERS, &body).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["type"], "Aws_api_gateway");
    assert_eq!(created["status"], "Inactive");
    assert_eq!(
        created["updateFrequency"],
        json!({"unit": "weekly", "value": 2})
    );
}

#[tokio::test]
async fn life_cycle_round_trip_and_restart_keeps_data() {
    let app = spawn_app().await;
    let id = app.create_importer(&seed_create_body()).await;
    let (_, list) = app.get(IMPORTERS).await;
    assert_eq!(list["importers"][0]["importerId"], id.as_str());

    // GET -> edit -> PUT back, with the masked secret and read-only fields included.
    let (_, mut fetched) = app.get(&format!("{IMPORTERS}/{id}")).await;
    fetched["name"] = json!("Renamed");
    fetched["status"] = json!("inactive");
    fetched["updateFrequency"] = json!({"unit": "hourly", "value": 6});
    let (status, put) = app.put(&format!("{IMPORTERS}/{id}"), &fetched).await;
    assert_eq!(status, StatusCode::OK, "{put}");
    assert_eq!(put["name"], "Renamed");
    assert_eq!(put["status"], "Inactive");
    assert_eq!(
        put["updateFrequency"],
        json!({"unit": "hourly", "value": 6})
    );
    assert_eq!(put["parameters"]["clientSecret"], "********");

    let row = app
        .state
        .store
        .get_importer(&id)
        .await
        .expect("db")
        .expect("row");
    let opened = app
        .state
        .cipher
        .open_parameters(&id, &row.parameters)
        .expect("open");
    assert_eq!(
        opened["clientSecret"], "string",
        "masked PUT must keep the secret"
    );

    let (status, _) = app
        .post(&format!("{IMPORTERS}/{id}/trigger"), &json!(null))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // The trigger ran the importer; with the seed's placeholder keys AWS (or the
    // lack of a network) refuses it, and the run says so.
    let runs = app
        .wait_for_runs(&id, |p| p["runs"][0]["status"] == "Failed")
        .await;
    assert_eq!(runs["runs"][0]["trigger"], "manual");
    let reason = runs["runs"][0]["failReason"].as_str().expect("reason");
    if cfg!(feature = "aws") {
        assert!(
            reason.contains("AWS") && reason.contains("us-east-1"),
            "{reason}"
        );
    } else {
        assert!(reason.contains("without the `aws` feature"), "{reason}");
    }

    let dir = app.stop().await;
    let app = spawn_in(dir, |_| {}).await;
    let (_, again) = app.get(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(again["name"], "Renamed");
    assert_eq!(again["syncStatus"], "Failed");
    assert_eq!(again["extras"]["triggerPending"], false);
    let row = app
        .state
        .store
        .get_importer(&id)
        .await
        .expect("db")
        .expect("row");
    let opened = app
        .state
        .cipher
        .open_parameters(&id, &row.parameters)
        .expect("open after restart");
    assert_eq!(opened["clientSecret"], "string");

    let (status, _) = app.delete(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = app.get(IMPORTERS).await;
    assert_eq!(list, json!({"importers": []}));
}

#[tokio::test]
async fn put_with_a_new_secret_replaces_it_and_mask_without_secret_is_rejected() {
    let app = spawn_app().await;
    let id = app
        .create_importer(
            &json!({"name": "k", "type": "kong", "parameters": {"adminUrl": "http://kong:8001"}}),
        )
        .await;
    let path = format!("{IMPORTERS}/{id}");
    let (status, body) = app
        .put(
            &path,
            &json!({"name": "k", "type": "kong", "parameters": {"adminUrl": "http://kong:8001", "adminToken": "********"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(envelope(&body).1.as_deref(), Some("parameters.adminToken"));
    let (status, _) = app
        .put(
            &path,
            &json!({"name": "k", "type": "kong", "parameters": {"adminUrl": "http://kong:8001", "adminToken": "new"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let row = app
        .state
        .store
        .get_importer(&id)
        .await
        .expect("db")
        .expect("row");
    let opened = app
        .state
        .cipher
        .open_parameters(&id, &row.parameters)
        .expect("open");
    assert_eq!(opened["adminToken"], "new");
}

async fn snapshot(app: &TestApp) -> Value {
    let (_, list) = app.get(IMPORTERS).await;
    list
}

/// Bad input of every kind: the right 4xx, the envelope, and no change in the store.
#[tokio::test]
async fn bad_inputs_get_4xx_envelopes_and_change_nothing() {
    let app = spawn_app().await;
    let id = app.create_importer(&seed_create_body()).await;
    let pending = app
        .create_importer(&json!({"name": "p", "status": "pending"}))
        .await;
    let before = snapshot(&app).await;
    let one = format!("{IMPORTERS}/{id}");
    let json_req = |m: Method, p: &str, body: &str| {
        app.request(m, p)
            .header("content-type", "application/json")
            .body(body.to_owned())
    };
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(10 * 1024 * 1024));
    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode, Option<&str>)> = vec![
        (
            "malformed JSON",
            json_req(Method::POST, IMPORTERS, "{\"name\": "),
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            "not an object",
            json_req(Method::POST, IMPORTERS, "[1,2]"),
            StatusCode::BAD_REQUEST,
            Some("body"),
        ),
        (
            "missing name",
            json_req(Method::POST, IMPORTERS, "{\"type\": \"kong\"}"),
            StatusCode::BAD_REQUEST,
            Some("name"),
        ),
        (
            "name wrong type",
            json_req(Method::POST, IMPORTERS, "{\"name\": 42}"),
            StatusCode::BAD_REQUEST,
            Some("name"),
        ),
        (
            "empty name",
            json_req(Method::POST, IMPORTERS, "{\"name\": \"  \"}"),
            StatusCode::BAD_REQUEST,
            Some("name"),
        ),
        (
            "name too long",
            json_req(
                Method::POST,
                IMPORTERS,
                &format!("{{\"name\": \"{}\"}}", "n".repeat(256)),
            ),
            StatusCode::BAD_REQUEST,
            Some("name"),
        ),
        (
            "unknown type",
            json_req(
                Method::POST,
                IMPORTERS,
                "{\"name\": \"a\", \"type\": \"gcp\"}",
            ),
            StatusCode::BAD_REQUEST,
            Some("type"),
        ),
        (
            "unknown status",
            json_req(
                Method::POST,
                IMPORTERS,
                "{\"name\": \"a\", \"type\": \"kong\", \"status\": \"on\"}",
            ),
            StatusCode::BAD_REQUEST,
            Some("status"),
        ),
        (
            "unknown unit",
            json_req(
                Method::POST,
                IMPORTERS,
                "{\"name\": \"a\", \"updateFrequency\": {\"unit\": \"yearly\", \"value\": 1}}",
            ),
            StatusCode::BAD_REQUEST,
            Some("updateFrequency.unit"),
        ),
        (
            "value zero",
            json_req(
                Method::POST,
                IMPORTERS,
                "{\"name\": \"a\", \"updateFrequency\": {\"unit\": \"daily\", \"value\": 0}}",
            ),
            StatusCode::BAD_REQUEST,
            Some("updateFrequency.value"),
        ),
        (
            "value negative",
            json_req(
                Method::POST,
                IMPORTERS,
                "{\"name\": \"a\", \"updateFrequency\": {\"unit\": \"daily\", \"value\": -3}}",
            ),
            StatusCode::BAD_REQUEST,
            Some("updateFrequency.value"),
        ),
        (
            "value fractional",
            json_req(
                Method::POST,
                IMPORTERS,
                "{\"name\": \"a\", \"updateFrequency\": {\"unit\": \"daily\", \"value\": 1.5}}",
            ),
            StatusCode::BAD_REQUEST,
            Some("updateFrequency.value"),
        ),
        (
            "parameters not object",
            json_req(
                Method::POST,
                IMPORTERS,
                "{\"name\": \"a\", \"parameters\": \"x\"}",
            ),
            StatusCode::BAD_REQUEST,
            Some("parameters"),
        ),
        (
            "excludeEmptySpecs wrong type",
            json_req(
                Method::POST,
                IMPORTERS,
                "{\"name\": \"a\", \"excludeEmptySpecs\": \"yes\"}",
            ),
            StatusCode::BAD_REQUEST,
            Some("excludeEmptySpecs"),
        ),
        (
            "unknown field",
            json_req(
                Method::POST,
                IMPORTERS,
                "{\"name\": \"a\", \"updateFrequncy\": null}",
            ),
            StatusCode::BAD_REQUEST,
            Some("updateFrequncy"),
        ),
        (
            "duplicate name",
            json_req(
                Method::POST,
                IMPORTERS,
                "{\"name\": \"aws gateway importer\"}",
            ),
            StatusCode::CONFLICT,
            None,
        ),
        (
            "10 MB body",
            json_req(Method::POST, IMPORTERS, &big),
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
        ),
        (
            "not JSON content type",
            app.request(Method::POST, IMPORTERS)
                .header("content-type", "text/plain")
                .body("{\"name\": \"a\"}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
        ),
        (
            "wrong method",
            app.request(Method::PATCH, IMPORTERS),
            StatusCode::METHOD_NOT_ALLOWED,
            None,
        ),
        (
            "unknown id get",
            app.request(Method::GET, &format!("{IMPORTERS}/nope")),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            "unknown id put",
            json_req(
                Method::PUT,
                &format!("{IMPORTERS}/nope"),
                "{\"name\": \"a\"}",
            ),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            "put invalid",
            json_req(Method::PUT, &one, "{\"name\": \"\"}"),
            StatusCode::BAD_REQUEST,
            Some("name"),
        ),
        (
            "put rename to taken name",
            json_req(Method::PUT, &one, "{\"name\": \"P\"}"),
            StatusCode::CONFLICT,
            None,
        ),
        (
            "trigger pending",
            app.request(Method::POST, &format!("{IMPORTERS}/{pending}/trigger")),
            StatusCode::CONFLICT,
            None,
        ),
        (
            "runs bad limit",
            app.request(Method::GET, &format!("{one}/runs?limit=0")),
            StatusCode::BAD_REQUEST,
            Some("limit"),
        ),
        (
            "runs limit not a number",
            app.request(Method::GET, &format!("{one}/runs?limit=ten")),
            StatusCode::BAD_REQUEST,
            Some("limit"),
        ),
        (
            "runs bad cursor",
            app.request(Method::GET, &format!("{one}/runs?cursor=zzz")),
            StatusCode::BAD_REQUEST,
            Some("cursor"),
        ),
        (
            "unknown route",
            app.request(Method::GET, "/api/apihub/v1/nothing"),
            StatusCode::NOT_FOUND,
            None,
        ),
    ];
    assert!(cases.len() >= 15);
    for (name, req, want, field) in cases {
        let (status, body) = app.send(req).await;
        assert_eq!(status, want, "{name}: {body}");
        let (_, got_field) = envelope(&body);
        if let Some(f) = field {
            assert_eq!(got_field.as_deref(), Some(f), "{name}: {body}");
        }
        assert_eq!(snapshot(&app).await, before, "{name} changed the store");
    }
}

#[tokio::test]
async fn tokens_are_required_when_configured() {
    let app = spawn_with(|s| {
        s.server.auth_tokens = vec![
            "t0ken-one-0123456789".to_owned().into(),
            "t0ken-two-0123456789".to_owned().into(),
        ];
    })
    .await;
    let url = app.url(IMPORTERS);
    let cases = [
        (None, StatusCode::UNAUTHORIZED),
        (Some(("X-Auth", "wrong")), StatusCode::UNAUTHORIZED),
        (
            Some(("Authorization", "Bearer wrong")),
            StatusCode::UNAUTHORIZED,
        ),
        (
            Some(("Authorization", "Basic dDBrZW4tb25lLTAxMjM0NTY3ODk6")),
            StatusCode::UNAUTHORIZED,
        ),
        // An empty header is no token, whatever the configuration holds.
        (Some(("X-Auth", "")), StatusCode::UNAUTHORIZED),
        (Some(("X-Auth", "   ")), StatusCode::UNAUTHORIZED),
        (Some(("Authorization", "Bearer ")), StatusCode::UNAUTHORIZED),
        (Some(("Authorization", "Bearer")), StatusCode::UNAUTHORIZED),
        (Some(("X-Auth", "t0ken-one-0123456789")), StatusCode::OK),
        (
            Some(("Authorization", "Bearer t0ken-two-0123456789")),
            StatusCode::OK,
        ),
        (
            Some(("authorization", "bearer t0ken-one-0123456789")),
            StatusCode::OK,
        ),
    ];
    for (header, want) in cases {
        let mut req = app.http.get(&url);
        if let Some((k, v)) = header {
            req = req.header(k, v);
        }
        let resp = req.send().await.expect("send");
        assert_eq!(resp.status(), want, "{header:?}");
        if want == StatusCode::UNAUTHORIZED {
            assert!(resp.headers().contains_key("www-authenticate"));
            let body: Value = resp.json().await.expect("json");
            assert_eq!(envelope(&body).0, "unauthorized");
        }
    }
    // A bad token never creates anything.
    let resp = app
        .http
        .post(&url)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let (_, list) = app.get(IMPORTERS).await;
    assert_eq!(list, json!({"importers": []}));
    // Health and docs stay open.
    for path in ["/healthz", "/readyz", "/openapi.json"] {
        let resp = app.http.get(app.url(path)).send().await.expect("send");
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn secrets_never_leave_in_clear() {
    let app = spawn_app().await;
    let secret = "S3cr3t-Value-9f8e7d";
    // No type: free-form parameters, whose secrets are found by their names.
    let body = json!({"name": "s", "parameters": {
        "tenantId": "t", "clientId": "c", "clientSecret": secret,
        "nested": {"password": secret}, "list": [{"apiKey": secret}]}});
    let (_, created) = app.post(IMPORTERS, &body).await;
    let id = created["importerId"].as_str().expect("id").to_owned();
    let mut seen = vec![created.to_string()];
    seen.push(app.get(IMPORTERS).await.1.to_string());
    seen.push(app.get(&format!("{IMPORTERS}/{id}")).await.1.to_string());
    seen.push(
        app.put(&format!("{IMPORTERS}/{id}"), &body)
            .await
            .1
            .to_string(),
    );
    seen.push(
        app.get(&format!("{IMPORTERS}/{id}/runs"))
            .await
            .1
            .to_string(),
    );
    for text in &seen {
        assert!(!text.contains(secret), "secret in a response: {text}");
    }
    assert_eq!(created["parameters"]["nested"]["password"], "********");
    assert_eq!(created["parameters"]["list"][0]["apiKey"], "********");

    let dir = app.stop().await;
    let data = dir.path().join("data");
    for entry in std::fs::read_dir(&data).expect("data dir") {
        let path = entry.expect("entry").path();
        // SQLite removes -wal/-shm when the last connection closes; what was in them
        // is in the main file by then.
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "secret in clear in {}", path.display());
    }
}

#[tokio::test]
async fn run_history_is_empty_and_paginates_parameters() {
    let app = spawn_app().await;
    let id = app.create_importer(&seed_create_body()).await;
    let (status, body) = app
        .get(&format!("{IMPORTERS}/{id}/runs?limit=5&cursor=0"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"runs": [], "totalCount": 0, "nextPage": null}));
    let (status, _) = app.get(&format!("{IMPORTERS}/missing/runs")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
