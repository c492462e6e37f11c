//! The remote sink: a worker daemon pushes into a hub daemon over HTTP through the
//! seed 001 wire contract, through a proxy that throttles the first requests.

use std::time::Duration;

use apihub_importer::config::{RemoteSinkSettings, SinkKind};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, openapi, spawn_with, write_spec};
use crate::inventory::INVENTORY;
use crate::sync::{directory_importer, run, run_within};
use apihub_connectors::testkit::server::{ContractServer, Fault};

async fn hub_targets(hub: &TestApp) -> Vec<Value> {
    let (_, page) = hub
        .get(&format!("{INVENTORY}/api-targets?limit=500&sort=name"))
        .await;
    page["targets"].as_array().expect("targets").clone()
}

#[tokio::test]
async fn a_worker_syncs_into_a_hub_without_duplicates_and_survives_throttling() {
    let hub =
        spawn_with(|s| s.server.auth_tokens = vec!["hub-token-0123456789ab".to_owned().into()])
            .await;
    let proxy = ContractServer::proxy(&hub.base).await;
    proxy.fault("/", Fault::throttled(1), 2);
    let worker = spawn_with(|s| {
        s.sink.kind = SinkKind::Remote;
        s.sink.remote = Some(RemoteSinkSettings {
            url: proxy.url.clone(),
            token: Some("hub-token-0123456789ab".to_owned().into()),
            timeout_secs: 10,
            max_attempts: 5,
            retry_min_delay_ms: 200,
        });
    })
    .await;
    write_spec(&worker, "a.json", &openapi("Alpha", "a", 2));
    write_spec(&worker, "b.json", &openapi("Beta", "b", 3));
    write_spec(&worker, "c.graphql", "type Query { c: Int }");
    // One item at a time, so the proxy's log shows one request's retries in order.
    let id = worker
        .create_importer(
            &json!({"name": "to the hub", "type": "directory", "excludeEmptySpecs": true,
            "parameters": {"path": crate::helpers::specs_dir(&worker), "maxConcurrentFetches": 1}}),
        )
        .await;

    let first = run_within(&worker, &id, 120).await;
    assert_eq!(first["status"], "Completed", "{first}");
    assert_eq!(first["counts"]["created"], 3);
    let calls = proxy.requests();
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>()[..3],
        [429, 429, 200]
    );
    assert!(
        calls[1].at - calls[0].at >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured"
    );
    assert!(
        calls[2].at - calls[1].at >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured"
    );
    let targets = hub_targets(&hub).await;
    assert_eq!(targets.len(), 3);
    assert!(targets.iter().all(
        |t| t["definitions"][0]["source"] == json!({"mode": "Imported", "origin": "directory"})
    ));
    assert_eq!(targets[0]["name"], "Alpha");

    // A re-sync sends nothing and duplicates nothing.
    let sent = proxy.requests().len();
    let second = run_within(&worker, &id, 120).await;
    assert_eq!(
        (
            second["status"].clone(),
            second["counts"]["unchanged"].clone()
        ),
        (json!("Completed"), json!(3))
    );
    assert_eq!(
        proxy.requests().len(),
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
        proxy
            .requests()
            .iter()
            .any(|c| c.method == "PUT" && c.status == 200)
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
    let hub =
        spawn_with(|s| s.server.auth_tokens = vec!["right-token-0123456789".to_owned().into()])
            .await;
    let worker = spawn_with(|s| {
        s.sink.kind = SinkKind::Remote;
        s.sink.remote = Some(RemoteSinkSettings {
            url: hub.base.clone(),
            token: Some("wrong-token-0123456789".to_owned().into()),
            timeout_secs: 10,
            max_attempts: 3,
            retry_min_delay_ms: 200,
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
        !reason.contains("attempts"),
        "a 401 is not retried: {reason}"
    );
    assert!(
        !reason.contains("wrong-token"),
        "the token must not appear: {reason}"
    );
}

/// Issue 10.2: creates retried after a lost answer never duplicate. Through a proxy
/// that drops one request in five after the hub handled it and throttles others,
/// 200 specs make exactly 200 hub targets, and again after the worker loses its
/// local map of what it created (as a crash between the hub's answer and the
/// worker's own write would).
#[tokio::test]
async fn lost_answers_and_lost_maps_never_duplicate_hub_targets() {
    let token = "hub-token-0123456789ab";
    let hub = spawn_with(|s| s.server.auth_tokens = vec![token.to_owned().into()]).await;
    // Faults by the request's number; a request (by its X-Request-Id) gets at most
    // two in a row, so every one goes through within the worker's attempts, every
    // time. 429 and 503 are answered without forwarding; the drops happen after
    // the hub did the work.
    let proxy = ContractServer::proxy(&hub.base).await;
    let attempts = std::sync::Mutex::new(std::collections::HashMap::<String, usize>::new());
    proxy.chaos(move |n, headers| {
        let id = headers.get("x-request-id")?.to_str().ok()?.to_owned();
        let mut seen = attempts.lock().ok()?;
        let attempt = seen.entry(id).or_insert(0);
        *attempt += 1;
        match (*attempt, n % 10) {
            (3.., _) => None,
            (_, 3) => Some(Fault::throttled(0)),
            (_, 5 | 9) => Some(Fault::Drop),
            (_, 7) => Some(Fault::status(503, "busy").header("retry-after", "0")),
            _ => None,
        }
    });
    let worker = spawn_with(|s| {
        s.sink.kind = SinkKind::Remote;
        s.sink.remote = Some(RemoteSinkSettings {
            url: proxy.url.clone(),
            token: Some(token.to_owned().into()),
            timeout_secs: 10,
            max_attempts: 8,
            retry_min_delay_ms: 10,
        });
    })
    .await;
    let n = 200;
    for i in 0..n {
        write_spec(
            &worker,
            &format!("api{i:03}.json"),
            &openapi(&format!("API {i:03}"), &format!("r{i}"), 1),
        );
    }
    let id = directory_importer(&worker, "faulty hub", true).await;
    let hub_count = |hub: &TestApp| {
        let c = rusqlite::Connection::open(hub.dir.path().join("data/apihub.db")).expect("db");
        let (all, names): (i64, i64) = c
            .query_row(
                "SELECT COUNT(*), COUNT(DISTINCT name) FROM api_targets",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("count");
        (all, names)
    };

    let first = run_within(&worker, &id, 120).await;
    assert_eq!(first["status"], "Completed", "{}", first["failReason"]);
    assert_eq!(first["counts"]["created"], n, "{}", first["counts"]);
    assert_eq!(
        hub_count(&hub),
        (n as i64, n as i64),
        "one hub target per spec"
    );
    let seen = proxy.requests();
    let dropped = seen.iter().filter(|r| r.status == 0).count();
    assert!(dropped >= 40, "only {dropped} answers were lost");
    assert!(
        seen.iter()
            .filter(|r| matches!(r.status, 429 | 503))
            .count()
            >= 40
    );

    // The worker forgets which hub target each API became.
    let db = rusqlite::Connection::open(worker.dir.path().join("data/apihub.db")).expect("db");
    db.execute("DELETE FROM remote_targets", [])
        .expect("forget");
    let second = run_within(&worker, &id, 120).await;
    assert_eq!(second["status"], "Completed", "{}", second["failReason"]);
    assert_eq!(second["counts"]["created"], 0, "{}", second["counts"]);
    assert_eq!(second["counts"]["updated"], n, "{}", second["counts"]);
    assert_eq!(
        hub_count(&hub),
        (n as i64, n as i64),
        "still one hub target per spec"
    );
    // And the map is whole again: a third run sends nothing.
    let before = proxy.requests().len();
    let third = run(&worker, &id).await;
    assert_eq!(third["counts"]["unchanged"], n, "{}", third["counts"]);
    assert_eq!(
        proxy.requests().len(),
        before,
        "an unchanged re-sync sends nothing"
    );
}
