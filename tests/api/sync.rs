//! Sync semantics with the `directory` importer type: create, unchanged (no
//! writes), changed, missing, empty skipped or kept, partial failure, listing
//! failure, timeout, and the run history and status that tell of each.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    GatedSink, IMPORTERS, TestApp, envelope, openapi, spawn_app, spawn_full, specs_dir, write_spec,
};
use crate::inventory::INVENTORY;

pub async fn directory_importer(app: &TestApp, name: &str, exclude_empty: bool) -> String {
    let body = json!({"name": name, "type": "directory", "status": "active", "excludeEmptySpecs": exclude_empty,
                      "parameters": {"path": specs_dir(app)}});
    app.create_importer(&body).await
}

/// Triggers a run and waits until it has finished; returns the run.
pub async fn run(app: &TestApp, id: &str) -> Value {
    run_within(app, id, 30).await
}

/// [`run`] with a longer wait, for big or deliberately slowed runs.
pub async fn run_within(app: &TestApp, id: &str, secs: u64) -> Value {
    let (_, before) = app.get(&format!("{IMPORTERS}/{id}/runs?limit=1")).await;
    let previous = before["runs"][0]["runId"].clone();
    let (status, body) = app
        .post(&format!("{IMPORTERS}/{id}/trigger"), &json!(null))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let page = app
        .wait_for_runs_within(secs, id, |p| {
            p["runs"][0]["runId"] != previous
                && !p["runs"][0].is_null()
                && p["runs"][0]["status"] != "Running"
        })
        .await;
    page["runs"][0].clone()
}

pub fn counts(run: &Value) -> [u64; 8] {
    let c = &run["counts"];
    [
        "discovered",
        "created",
        "updated",
        "unchanged",
        "skippedEmpty",
        "skipped",
        "failed",
        "missing",
    ]
    .map(|k| c[k].as_u64().unwrap_or(99))
}

async fn targets(app: &TestApp) -> Vec<Value> {
    let (_, page) = app
        .get(&format!("{INVENTORY}/api-targets?limit=500&sort=name"))
        .await;
    page["targets"].as_array().expect("targets").clone()
}

/// Row counts of the inventory tables, read straight from the database file.
fn rows(app: &TestApp) -> (i64, i64, i64) {
    let c = rusqlite::Connection::open(app.dir.path().join("data/apihub.db")).expect("db");
    let n = |t: &str| {
        c.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
            .expect("count")
    };
    (n("api_targets"), n("definitions"), n("operations"))
}

#[tokio::test]
async fn create_unchanged_changed_missing_and_empty() {
    let app = spawn_app().await;
    write_spec(&app, "orders.json", &openapi("Orders", "orders", 3));
    write_spec(
        &app,
        "team/users.graphql",
        "type Query { me: Int users: [Int] }",
    );
    write_spec(&app, "empty.json", &openapi("Empty", "none", 0));
    write_spec(&app, "README.txt", "not a definition");
    let id = directory_importer(&app, "specs in git", true).await;

    let first = run(&app, &id).await;
    assert_eq!(first["status"], "Completed", "{first}");
    assert_eq!(counts(&first), [3, 2, 0, 0, 1, 0, 0, 0], "{first}");
    assert_eq!(first["trigger"], "manual");
    let (_, imp) = app.get(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(
        (&imp["syncStatus"], &imp["lastRunFailReason"]),
        (&json!("Completed"), &Value::Null)
    );
    assert!(imp["lastRunDate"].is_string());
    assert_eq!(imp["extras"]["lastRunCounts"]["created"], 2);
    let made = targets(&app).await;
    assert_eq!(made.len(), 2);
    let orders = made
        .iter()
        .find(|t| t["name"] == "Orders")
        .expect("titled after the definition")
        .clone();
    assert_eq!(orders["operationsCount"], 3);
    assert_eq!(
        orders["definitions"][0]["source"],
        json!({"mode": "Imported", "origin": "directory"})
    );
    assert_eq!(orders["definitions"][0]["sourceName"], "specs in git");
    assert!(
        orders["annotations"]
            .as_array()
            .expect("a")
            .iter()
            .any(|a| a["key"] == "apihub.externalKey" && a["value"] == "orders.json")
    );
    assert!(
        made.iter()
            .any(|t| t["name"] == "team/users.graphql" && t["definitionFormat"] == "Graphql")
    );

    // Nothing changed at the source: nothing is written.
    let rows_before = rows(&app);
    let second = run(&app, &id).await;
    assert_eq!(counts(&second), [3, 0, 0, 2, 1, 0, 0, 0], "{second}");
    assert_eq!(
        targets(&app).await,
        made,
        "modifiedAt and everything else untouched"
    );
    assert_eq!(rows(&app), rows_before);

    // One API gains an operation: exactly that target is replaced.
    write_spec(&app, "orders.json", &openapi("Orders", "orders", 4));
    let third = run(&app, &id).await;
    assert_eq!(counts(&third), [3, 0, 1, 1, 1, 0, 0, 0], "{third}");
    let now = targets(&app).await;
    let new_orders = now
        .iter()
        .find(|t| t["id"] == orders["id"])
        .expect("same target");
    assert_eq!(new_orders["operationsCount"], 4);
    assert_eq!(
        now.iter().find(|t| t["name"] != "Orders"),
        made.iter().find(|t| t["name"] != "Orders")
    );

    // An API gone from the source is marked, not deleted.
    std::fs::remove_file(app.dir.path().join("specs/team/users.graphql")).expect("rm");
    let fourth = run(&app, &id).await;
    assert_eq!(fourth["status"], "Completed");
    assert_eq!(counts(&fourth), [2, 0, 0, 1, 1, 0, 0, 1], "{fourth}");
    let after = targets(&app).await;
    assert_eq!(after.len(), 2);
    let gone = after
        .iter()
        .find(|t| t["name"] == "team/users.graphql")
        .expect("kept");
    assert!(
        gone["annotations"]
            .as_array()
            .expect("a")
            .iter()
            .any(|a| a["key"] == "apihub.missingSince")
    );

    // Keep empty definitions: the empty one is imported with 0 operations.
    let (_, mut imp) = app.get(&format!("{IMPORTERS}/{id}")).await;
    imp["excludeEmptySpecs"] = json!(false);
    let (status, _) = app.put(&format!("{IMPORTERS}/{id}"), &imp).await;
    assert_eq!(status, StatusCode::OK);
    let fifth = run(&app, &id).await;
    assert_eq!(counts(&fifth), [2, 1, 0, 1, 0, 0, 0, 1], "{fifth}");
    assert!(
        targets(&app)
            .await
            .iter()
            .any(|t| t["name"] == "Empty" && t["operationsCount"] == 0)
    );

    // The history lists all five, newest first, with per-item notes.
    let (_, history) = app.get(&format!("{IMPORTERS}/{id}/runs?limit=2")).await;
    assert_eq!(history["totalCount"], 5);
    assert_eq!(history["runs"][0]["runId"], fifth["runId"]);
    let next = history["nextPage"].as_str().expect("next page");
    let (_, older) = app
        .get(&format!("{IMPORTERS}/{id}/runs?limit=2&cursor={next}"))
        .await;
    assert_eq!(older["runs"][0]["runId"], third["runId"]);
    assert!(
        first["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["externalKey"] == "empty.json" && i["outcome"] == "skippedEmpty")
    );
}

#[tokio::test]
async fn item_failures_fail_the_run_but_keep_the_rest() {
    let app = spawn_app().await;
    for i in 0..39 {
        write_spec(
            &app,
            &format!("api{i:02}.json"),
            &openapi(&format!("API {i}"), &format!("a{i}"), 1),
        );
    }
    write_spec(
        &app,
        "zz-broken.json",
        "{\"openapi\": \"3.0.0\", \"paths\": ",
    );
    let id = directory_importer(&app, "partly broken", true).await;
    let r = run(&app, &id).await;
    assert_eq!(r["status"], "Failed");
    assert_eq!(counts(&r), [40, 39, 0, 0, 0, 0, 1, 0], "{r}");
    let reason = r["failReason"].as_str().expect("reason");
    assert!(
        reason.starts_with(
            "1 of 40 APIs failed: zz-broken.json: not a usable API definition: JSON syntax error"
        ),
        "{reason}"
    );
    let (_, imp) = app.get(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(
        (&imp["syncStatus"], &imp["lastRunFailReason"]),
        (&json!("Failed"), &json!(reason))
    );
    assert_eq!(targets(&app).await.len(), 39);
    let note = r["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["outcome"] == "failed")
        .expect("note")
        .clone();
    assert_eq!(note["externalKey"], "zz-broken.json");
}

#[tokio::test]
async fn a_listing_failure_fails_the_run_and_marks_nothing_missing() {
    let app = spawn_app().await;
    write_spec(&app, "one.json", &openapi("One", "one", 2));
    let id = directory_importer(&app, "moving folder", true).await;
    assert_eq!(run(&app, &id).await["status"], "Completed");
    std::fs::rename(
        app.dir.path().join("specs"),
        app.dir.path().join("specs-moved"),
    )
    .expect("mv");
    let r = run(&app, &id).await;
    assert_eq!(r["status"], "Failed");
    assert_eq!(counts(&r), [0, 0, 0, 0, 0, 0, 0, 0]);
    assert!(
        r["failReason"]
            .as_str()
            .expect("reason")
            .contains("cannot be read"),
        "{r}"
    );
    let t = targets(&app).await;
    assert!(
        !t[0]["annotations"]
            .as_array()
            .expect("a")
            .iter()
            .any(|a| a["key"] == "apihub.missingSince")
    );
}

#[tokio::test]
async fn a_run_past_its_timeout_stops_between_items() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = spawn_full(
        dir,
        |s| s.scheduler.run_timeout_secs = 1,
        apihub_importer::clock::Clock::System,
        |ctx| {
            Some(
                GatedSink::slow(ctx.sink.clone(), Duration::from_millis(300))
                    as Arc<dyn apihub_importer::sink::Sink>,
            )
        },
    )
    .await;
    // 30 items of 300 ms, 4 at a time: well past the 1 s timeout.
    for i in 0..30 {
        write_spec(
            &app,
            &format!("s{i}.json"),
            &openapi(&format!("S{i}"), &format!("s{i}"), 2),
        );
    }
    let id = directory_importer(&app, "slow", true).await;
    let r = run(&app, &id).await;
    assert_eq!(r["status"], "Failed");
    let reason = r["failReason"].as_str().expect("reason");
    assert!(
        reason.starts_with("run cancelled: timed out after 1 s"),
        "{reason}"
    );
    let written = counts(&r)[1];
    assert!((1..30).contains(&written), "{r}");
    // Every target that was written is whole: its operations match its count.
    for t in targets(&app).await {
        let (_, d) = app
            .get(&format!(
                "{INVENTORY}/api-targets/{}",
                t["id"].as_str().expect("id")
            ))
            .await;
        assert_eq!(
            d["operations"].as_array().expect("ops").len() as u64,
            t["operationsCount"].as_u64().expect("n")
        );
    }
    assert_eq!(targets(&app).await.len() as u64, written);
}

#[tokio::test]
async fn directory_paths_must_stay_inside_the_allowed_roots() {
    let app = spawn_app().await;
    specs_dir(&app);
    let outside = tempfile::tempdir().expect("tempdir");
    for path in [
        outside.path().display().to_string(),
        format!("{}/../..", specs_dir(&app)),
        "/etc".into(),
        "relative/nowhere".into(),
    ] {
        let (status, body) = app.post(IMPORTERS, &json!({"name": format!("bad {path}"), "type": "directory", "parameters": {"path": path}})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(envelope(&body).1.as_deref(), Some("parameters.path"));
    }
    let (status, body) = app
        .post(
            IMPORTERS,
            &json!({"name": "no path", "type": "directory", "parameters": {}}),
        )
        .await;
    assert_eq!(
        (status, envelope(&body).1.as_deref()),
        (StatusCode::BAD_REQUEST, Some("parameters.path"))
    );
    let (_, list) = app.get(IMPORTERS).await;
    assert_eq!(list["importers"], json!([]));
}

#[tokio::test]
async fn metrics_count_runs_and_items() {
    let app = spawn_app().await;
    write_spec(&app, "m.json", &openapi("M", "m", 1));
    let id = directory_importer(&app, "metrics", true).await;
    run(&app, &id).await;
    let text = reqwest::get(app.url("/metrics"))
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    for needle in [
        "apihub_sync_runs_total{type=\"directory\",status=\"Completed\"}",
        "apihub_sync_items_total{type=\"directory\",outcome=\"created\"}",
        "apihub_sync_run_duration_seconds_bucket{type=\"directory\"",
        "apihub_sync_runs_in_flight",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

#[tokio::test]
async fn the_history_keeps_the_newest_runs() {
    let app = crate::helpers::spawn_with(|s| s.scheduler.runs_kept = 3).await;
    write_spec(&app, "k.json", &openapi("K", "k", 1));
    let id = directory_importer(&app, "short memory", true).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            run(&app, &id).await["runId"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    let (_, page) = app.get(&format!("{IMPORTERS}/{id}/runs?limit=100")).await;
    assert_eq!(page["totalCount"], 3);
    let kept: Vec<&str> = page["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .map(|r| r["runId"].as_str().expect("id"))
        .collect();
    assert_eq!(kept, [ids[4].as_str(), ids[3].as_str(), ids[2].as_str()]);
}

/// Into a sink that groups writes, a run hands over what fits its write window
/// (16 MiB of documents: three of 5 MiB here; the fourth waits for room, holding
/// the one download slot) and, once cancelled, writes nothing it had not handed
/// over: the three are written whole, the fourth is skipped and says why. The
/// test cancels the run itself once the three have arrived (not by the run
/// timeout, which a slow machine could reach before the third is normalized).
#[tokio::test]
async fn a_cancelled_run_writes_only_what_it_handed_to_the_sink() {
    let gate = Arc::new(std::sync::Mutex::new(None::<Arc<GatedSink>>));
    let slot = gate.clone();
    let app = spawn_full(
        tempfile::tempdir().expect("tempdir"),
        |_| {},
        apihub_importer::clock::Clock::System,
        move |ctx| {
            let g = GatedSink::closed_deep(ctx.sink.clone());
            *slot.lock().expect("lock") = Some(g.clone());
            Some(g as Arc<dyn apihub_importer::sink::Sink>)
        },
    )
    .await;
    let gate = gate.lock().expect("lock").clone().expect("gate");
    assert_eq!(gate.depth, apihub_importer::sink::embedded::WRITE_DEPTH);
    let padding = "x".repeat(5 << 20);
    for i in 0..5 {
        let doc = json!({"openapi": "3.0.3", "info": {"title": format!("Big {i}"), "version": "1", "description": padding},
            "paths": {format!("/big{i}"): {"get": {"responses": {"200": {"description": "ok"}}}}}});
        write_spec(&app, &format!("big{i}.json"), &doc.to_string());
    }
    let id = app
        .create_importer(
            &json!({"name": "big", "type": "directory", "status": "inactive",
            "parameters": {"path": specs_dir(&app), "maxConcurrentFetches": 1}}),
        )
        .await;
    let (status, _) = app
        .post(&format!("{IMPORTERS}/{id}/trigger"), &json!(null))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let arrived = || gate.arrived.load(std::sync::atomic::Ordering::SeqCst);
    for _ in 0..3000 {
        if arrived() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The fourth, once normalized, waits for room: nothing more arrives.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(arrived(), 3, "the window holds three documents of 5 MiB");
    let scheduler = app.state.scheduler.clone();
    let mut stop = Box::pin(async move { scheduler.stop_runs("stopped by the test").await });
    // Its first poll cancels the run; it then waits for the run, which waits for the gate.
    assert!(
        futures_util::FutureExt::now_or_never(&mut stop).is_none(),
        "the run ended with its writes held at the gate"
    );
    gate.open();
    stop.await;
    let page = app
        .wait_for_runs_within(30, &id, |p| {
            !p["runs"][0].is_null() && p["runs"][0]["status"] != "Running"
        })
        .await;
    let run = &page["runs"][0];
    assert!(
        run["failReason"]
            .as_str()
            .is_some_and(|r| r.starts_with("run cancelled: stopped by the test")),
        "{run}"
    );
    assert_eq!(counts(run)[1], 3, "created: {run}");
    assert_eq!(counts(run)[5], 1, "skipped: {run}");
    assert_eq!(arrived(), 3, "nothing more reached the sink");
    assert!(
        run["items"]
            .to_string()
            .contains("not written: the run was cancelled"),
        "{run}"
    );
    assert_eq!(targets(&app).await.len(), 3);
}
