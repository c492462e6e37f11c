//! The remote sink: a worker daemon pushes into a hub daemon over HTTP through the
//! seed 001 wire contract, through a proxy that throttles the first requests.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apihub_importer::config::{RemoteSinkSettings, SinkKind};
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, openapi, spawn_with, write_spec};
use crate::inventory::INVENTORY;
use crate::sync::{directory_importer, run};

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    throttle_first: usize,
    log: Arc<Mutex<Vec<(String, Instant, u16)>>>,
}

async fn forward(State(p): State<Proxy>, req: Request) -> Response {
    let seen = p.log.lock().map(|l| l.len()).unwrap_or(0);
    let line = format!("{} {}", req.method(), req.uri().path());
    if seen < p.throttle_first {
        if let Ok(mut l) = p.log.lock() {
            l.push((line, Instant::now(), 429));
        }
        let mut h = HeaderMap::new();
        h.insert("retry-after", "1".parse().expect("header"));
        return (StatusCode::TOO_MANY_REQUESTS, h, "slow down").into_response();
    }
    let url = format!(
        "{}{}",
        p.upstream,
        req.uri()
            .path_and_query()
            .map(|x| x.as_str())
            .unwrap_or("/")
    );
    let method = req.method().clone();
    let headers = req.headers().clone();
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let mut fwd = p.http.request(method, &url).body(body.to_vec());
    for (k, v) in &headers {
        if k != "host" && k != "content-length" {
            fwd = fwd.header(k, v);
        }
    }
    let resp = fwd.send().await.expect("upstream");
    let status = resp.status().as_u16();
    let bytes: Bytes = resp.bytes().await.unwrap_or_default();
    if let Ok(mut l) = p.log.lock() {
        l.push((line, Instant::now(), status));
    }
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
        [("content-type", "application/json")],
        bytes,
    )
        .into_response()
}

async fn start_proxy(
    upstream: &str,
    throttle_first: usize,
) -> (String, Arc<Mutex<Vec<(String, Instant, u16)>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let state = Proxy {
        upstream: upstream.to_owned(),
        http: reqwest::Client::new(),
        throttle_first,
        log: log.clone(),
    };
    let app = axum::Router::new().fallback(forward).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), log)
}

async fn hub_targets(hub: &TestApp) -> Vec<Value> {
    let (_, page) = hub
        .get(&format!("{INVENTORY}/api-targets?limit=500&sort=name"))
        .await;
    page["targets"].as_array().expect("targets").clone()
}

#[tokio::test]
async fn a_worker_syncs_into_a_hub_without_duplicates_and_survives_throttling() {
    let hub = spawn_with(|s| s.server.auth_tokens = vec!["hub-token".to_owned().into()]).await;
    let (proxy, log) = start_proxy(&hub.base, 2).await;
    let worker = spawn_with(|s| {
        s.sink.kind = SinkKind::Remote;
        s.sink.remote = Some(RemoteSinkSettings {
            url: proxy.clone(),
            token: Some("hub-token".to_owned().into()),
            timeout_secs: 10,
            max_attempts: 5,
        });
    })
    .await;
    write_spec(&worker, "a.json", &openapi("Alpha", "a", 2));
    write_spec(&worker, "b.json", &openapi("Beta", "b", 3));
    write_spec(&worker, "c.graphql", "type Query { c: Int }");
    let id = directory_importer(&worker, "to the hub", true).await;

    let first = run(&worker, &id).await;
    assert_eq!(first["status"], "Completed", "{first}");
    assert_eq!(first["counts"]["created"], 3);
    let calls = log.lock().expect("log").clone();
    assert_eq!(
        calls.iter().map(|c| c.2).collect::<Vec<_>>()[..3],
        [429, 429, 200]
    );
    assert!(
        calls[1].1 - calls[0].1 >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured"
    );
    assert!(
        calls[2].1 - calls[1].1 >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured"
    );
    let targets = hub_targets(&hub).await;
    assert_eq!(targets.len(), 3);
    assert!(targets.iter().all(
        |t| t["definitions"][0]["source"] == json!({"mode": "Imported", "origin": "directory"})
    ));
    assert_eq!(targets[0]["name"], "Alpha");

    // A re-sync sends nothing and duplicates nothing.
    let sent = log.lock().expect("log").len();
    let second = run(&worker, &id).await;
    assert_eq!(
        (
            second["status"].clone(),
            second["counts"]["unchanged"].clone()
        ),
        (json!("Completed"), json!(3))
    );
    assert_eq!(
        log.lock().expect("log").len(),
        sent,
        "unchanged content was sent again"
    );
    assert_eq!(hub_targets(&hub).await.len(), 3);

    // A change replaces the definition of the same hub target.
    write_spec(&worker, "b.json", &openapi("Beta", "b", 5));
    let third = run(&worker, &id).await;
    assert_eq!(third["counts"]["updated"], 1, "{third}");
    let after = hub_targets(&hub).await;
    let beta = after.iter().find(|t| t["name"] == "Beta").expect("beta");
    assert_eq!(
        (after.len(), beta["operationsCount"].clone()),
        (3, json!(5))
    );
    assert_eq!(
        beta["id"],
        targets.iter().find(|t| t["name"] == "Beta").expect("beta")["id"]
    );
    assert!(
        log.lock()
            .expect("log")
            .iter()
            .any(|c| c.0.starts_with("PUT ") && c.2 == 200)
    );

    // Deleted on the hub: the next change creates it again.
    assert_eq!(
        hub.delete(&format!(
            "{INVENTORY}/api-targets/{}",
            beta["id"].as_str().expect("id")
        ))
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    write_spec(&worker, "b.json", &openapi("Beta", "b", 6));
    let fourth = run(&worker, &id).await;
    assert_eq!(
        (
            fourth["status"].clone(),
            fourth["counts"]["created"].clone()
        ),
        (json!("Completed"), json!(1)),
        "{fourth}"
    );
    let last = hub_targets(&hub).await;
    assert_eq!(last.len(), 3);
    assert_eq!(
        last.iter().find(|t| t["name"] == "Beta").expect("beta")["operationsCount"],
        6
    );
}

#[tokio::test]
async fn a_hub_that_rejects_the_token_fails_the_run_clearly() {
    let hub = spawn_with(|s| s.server.auth_tokens = vec!["right".to_owned().into()]).await;
    let worker = spawn_with(|s| {
        s.sink.kind = SinkKind::Remote;
        s.sink.remote = Some(RemoteSinkSettings {
            url: hub.base.clone(),
            token: Some("wrong".to_owned().into()),
            timeout_secs: 10,
            max_attempts: 3,
        });
    })
    .await;
    write_spec(&worker, "a.json", &openapi("Alpha", "a", 1));
    let id = directory_importer(&worker, "bad token", true).await;
    let r = run(&worker, &id).await;
    assert_eq!(r["status"], "Failed");
    let reason = r["failReason"].as_str().expect("reason");
    assert!(
        reason.contains("401") && reason.contains("invalid API token"),
        "{reason}"
    );
    assert!(
        reason.contains("after 1 attempts"),
        "a 401 is not retried: {reason}"
    );
    assert!(
        !reason.contains("wrong"),
        "the token must not appear: {reason}"
    );
}
