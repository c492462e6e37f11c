//! The scheduler on a manual clock: runs fire at their slots, edits and deletes
//! apply at once, downtime is caught up once, runs never overlap, triggers during a
//! run coalesce into exactly one more, and a global limit bounds concurrent runs.

use std::sync::Arc;
use std::time::Duration;

use apihub_importer::clock::Clock;
use apihub_importer::run::RunTrigger;
use apihub_importer::sink::Sink;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{GatedSink, IMPORTERS, TestApp, openapi, spawn_full, specs_dir, write_spec};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const HOUR: i64 = 3_600_000;

async fn scheduled_app(clock: &Clock, dir: tempfile::TempDir) -> TestApp {
    spawn_full(dir, |s| s.scheduler.enabled = true, clock.clone(), |_| None).await
}

async fn runs(app: &TestApp, id: &str) -> Vec<Value> {
    let (_, page) = app.get(&format!("{IMPORTERS}/{id}/runs?limit=100")).await;
    let mut runs = page["runs"].as_array().cloned().unwrap_or_default();
    runs.reverse();
    runs
}

/// Waits (real time) until the importer has `n` finished runs, then checks that no
/// more start for a while.
async fn settle(app: &TestApp, id: &str, n: usize) -> Vec<Value> {
    app.wait_for_runs(id, |p| {
        p["totalCount"].as_u64() == Some(n as u64) && p["runs"][0]["status"] != "Running"
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = runs(app, id).await;
    assert_eq!(r.len(), n, "{r:?}");
    r
}

async fn next_run_ms(app: &TestApp, id: &str) -> i64 {
    for _ in 0..500 {
        if let Some(n) = app
            .state
            .store
            .get_importer(id)
            .await
            .expect("db")
            .and_then(|i| i.next_run_at)
        {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("next run never set");
}

fn started_secs(run: &Value) -> i64 {
    apihub_importer::clock::parse_ms(run["startedAt"].as_str().expect("startedAt")).expect("time")
        / 1000
}

async fn importer(app: &TestApp, name: &str, freq: Value) -> String {
    write_spec(app, &format!("{name}.json"), &openapi(name, name, 1));
    app.create_importer(
        &json!({"name": name, "type": "directory", "status": "active", "updateFrequency": freq,
        "parameters": {"path": specs_dir(app)}}),
    )
    .await
}

#[tokio::test]
async fn every_three_hours_at_its_slots_then_edit_and_delete_take_effect() {
    let clock = Clock::manual(T0);
    let app = scheduled_app(&clock, tempfile::tempdir().expect("tempdir")).await;
    let id = importer(&app, "h3", json!({"unit": "hourly", "value": 3})).await;
    // A new importer runs at once, by its schedule (also when the scheduler's
    // startup pass, a task of its own, reads it: it was created after the start).
    let r = settle(&app, &id, 1).await;
    assert_eq!(r[0]["trigger"], "schedule");

    let mut starts = Vec::new();
    for k in 2..=4 {
        let next = next_run_ms(&app, &id).await;
        assert!(next > clock.now_ms(), "the next run is in the future");
        // One second early: nothing.
        clock.advance(Duration::from_millis(
            (next - clock.now_ms() - 1_000) as u64,
        ));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(runs(&app, &id).await.len(), k - 1, "ran before its slot");
        // At the slot: it runs.
        clock.advance(Duration::from_millis((next - clock.now_ms()) as u64));
        let r = settle(&app, &id, k).await;
        assert_eq!(r[k - 1]["trigger"], "schedule");
        assert_eq!(started_secs(&r[k - 1]), next / 1000);
        starts.push(next);
    }
    assert_eq!(
        (starts[1] - starts[0], starts[2] - starts[1]),
        (3 * HOUR, 3 * HOUR)
    );

    // Edit to hourly: the next run moves into the next hour at once, no restart.
    let (_, mut imp) = app.get(&format!("{IMPORTERS}/{id}")).await;
    imp["updateFrequency"] = json!({"unit": "hourly", "value": 1});
    assert_eq!(
        app.put(&format!("{IMPORTERS}/{id}"), &imp).await.0,
        StatusCode::OK
    );
    let last = starts[2];
    let mut next = next_run_ms(&app, &id).await;
    for _ in 0..50 {
        if next != starts[2] + 3 * HOUR {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        next = next_run_ms(&app, &id).await;
    }
    assert!(
        next > last + HOUR / 2 && next <= last + 3 * HOUR / 2,
        "hourly after {last}: {next}"
    );
    clock.advance(Duration::from_millis((next - clock.now_ms()) as u64));
    settle(&app, &id, 5).await;

    // Inactive: no more scheduled runs, and no next run shown.
    imp["status"] = json!("inactive");
    assert_eq!(
        app.put(&format!("{IMPORTERS}/{id}"), &imp).await.0,
        StatusCode::OK
    );
    clock.advance(Duration::from_millis((10 * HOUR) as u64));
    settle(&app, &id, 5).await;
    assert_eq!(
        app.state
            .store
            .get_importer(&id)
            .await
            .expect("db")
            .expect("row")
            .next_run_at,
        None
    );

    // Active again after its slot passed: it catches up once, at once.
    imp["status"] = json!("active");
    assert_eq!(
        app.put(&format!("{IMPORTERS}/{id}"), &imp).await.0,
        StatusCode::OK
    );
    let r = settle(&app, &id, 6).await;
    assert_eq!(started_secs(&r[5]), clock.now_ms() / 1000);

    // Deleted: gone from the schedule.
    assert_eq!(
        app.delete(&format!("{IMPORTERS}/{id}")).await.0,
        StatusCode::NO_CONTENT
    );
    let other = importer(&app, "other", json!({"unit": "daily", "value": 1})).await;
    settle(&app, &other, 1).await;
    clock.advance(Duration::from_millis((2 * 24 * HOUR) as u64));
    // The other importer's runs go on: the loop is alive and only the deleted one stopped.
    let r = settle(&app, &other, 2).await;
    assert_eq!(r[1]["trigger"], "schedule");
}

#[tokio::test]
async fn downtime_is_caught_up_once() {
    let clock = Clock::manual(T0);
    let app = scheduled_app(&clock, tempfile::tempdir().expect("tempdir")).await;
    let id = importer(&app, "daily", Value::Null).await;
    settle(&app, &id, 1).await;
    next_run_ms(&app, &id).await;
    let dir = app.stop().await;

    // Ten days later: ten missed slots, one run.
    let later = Clock::manual(T0 + 10 * 24 * HOUR);
    let app = scheduled_app(&later, dir).await;
    let r = settle(&app, &id, 2).await;
    assert_eq!(r[1]["trigger"], "startup");
    let next = next_run_ms(&app, &id).await;
    assert!(next > later.now_ms() + 12 * HOUR - 1, "{next}");
}

#[tokio::test]
async fn triggers_during_a_run_coalesce_into_one_more_and_runs_never_overlap() {
    let clock = Clock::System;
    let gate: std::sync::Mutex<Option<Arc<GatedSink>>> = std::sync::Mutex::new(None);
    let app = spawn_full(
        tempfile::tempdir().expect("tempdir"),
        |_| {},
        clock,
        |ctx| {
            let g = GatedSink::closed(ctx.sink.clone());
            *gate.lock().expect("lock") = Some(g.clone());
            Some(g as Arc<dyn Sink>)
        },
    )
    .await;
    let gate = gate.lock().expect("lock").clone().expect("gate");
    write_spec(&app, "a.json", &openapi("A", "a", 1));
    let id = app.create_importer(&json!({"name": "gated", "type": "directory", "status": "inactive", "parameters": {"path": specs_dir(&app)}})).await;

    assert_eq!(
        app.post(&format!("{IMPORTERS}/{id}/trigger"), &json!(null))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    tokio::time::timeout(Duration::from_secs(10), gate.entered.notified())
        .await
        .expect("the run reached the sink");
    let (_, imp) = app.get(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(imp["extras"]["runState"], "running");
    for _ in 0..5 {
        assert_eq!(
            app.post(&format!("{IMPORTERS}/{id}/trigger"), &json!(null))
                .await
                .0,
            StatusCode::NO_CONTENT
        );
    }
    let (_, imp) = app.get(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(imp["extras"]["triggerPending"], true);
    // A second run of the same importer cannot start while one is on (not even from another process).
    let err = app
        .state
        .store
        .start_run(&id, RunTrigger::Manual, 0)
        .await
        .expect_err("overlap");
    assert!(err.to_string().contains("already in progress"), "{err}");

    gate.open();
    let r = settle(&app, &id, 2).await;
    assert!(
        r.iter()
            .all(|x| x["status"] == "Completed" && x["trigger"] == "manual"),
        "{r:?}"
    );
    let first_end =
        apihub_importer::clock::parse_ms(r[0]["finishedAt"].as_str().expect("end")).expect("t");
    let second_start =
        apihub_importer::clock::parse_ms(r[1]["startedAt"].as_str().expect("start")).expect("t");
    assert!(second_start >= first_end, "runs overlapped");
    let (_, imp) = app.get(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(
        (&imp["extras"]["triggerPending"], &imp["extras"]["runState"]),
        (&json!(false), &json!("idle"))
    );
}

#[tokio::test]
async fn a_global_limit_bounds_simultaneous_runs() {
    let gate: std::sync::Mutex<Option<Arc<GatedSink>>> = std::sync::Mutex::new(None);
    let app = spawn_full(
        tempfile::tempdir().expect("tempdir"),
        |s| s.scheduler.max_concurrent_runs = 2,
        Clock::System,
        |ctx| {
            let g = GatedSink::closed(ctx.sink.clone());
            *gate.lock().expect("lock") = Some(g.clone());
            Some(g as Arc<dyn Sink>)
        },
    )
    .await;
    let gate = gate.lock().expect("lock").clone().expect("gate");
    let mut ids = Vec::new();
    for i in 0..4 {
        let dir = format!("{}/i{i}", specs_dir(&app));
        write_spec(&app, &format!("i{i}/x.json"), &openapi("X", "x", 1));
        ids.push(app.create_importer(&json!({"name": format!("imp{i}"), "type": "directory", "status": "inactive", "parameters": {"path": dir}})).await);
    }
    for id in &ids {
        assert_eq!(
            app.post(&format!("{IMPORTERS}/{id}/trigger"), &json!(null))
                .await
                .0,
            StatusCode::NO_CONTENT
        );
    }
    let mut states = Vec::new();
    for _ in 0..200 {
        let (_, list) = app.get(IMPORTERS).await;
        states = list["importers"]
            .as_array()
            .expect("list")
            .iter()
            .map(|i| i["extras"]["runState"].as_str().unwrap_or("").to_owned())
            .collect();
        if states.iter().filter(|s| *s == "running").count() == 2
            && states.iter().filter(|s| *s == "queued").count() == 2
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        states.iter().filter(|s| *s == "running").count(),
        2,
        "{states:?}"
    );
    assert_eq!(
        states.iter().filter(|s| *s == "queued").count(),
        2,
        "{states:?}"
    );
    gate.open();
    for id in &ids {
        settle(&app, id, 1).await;
    }
}

#[tokio::test]
async fn deleting_an_importer_cancels_its_run() {
    let gate: std::sync::Mutex<Option<Arc<GatedSink>>> = std::sync::Mutex::new(None);
    let app = spawn_full(
        tempfile::tempdir().expect("tempdir"),
        |_| {},
        Clock::System,
        |ctx| {
            let g = GatedSink::closed(ctx.sink.clone());
            *gate.lock().expect("lock") = Some(g.clone());
            Some(g as Arc<dyn Sink>)
        },
    )
    .await;
    let gate = gate.lock().expect("lock").clone().expect("gate");
    for i in 0..5 {
        write_spec(
            &app,
            &format!("d{i}.json"),
            &openapi(&format!("D{i}"), &format!("d{i}"), 1),
        );
    }
    let id = app
        .create_importer(
            &json!({"name": "doomed", "type": "directory", "status": "inactive",
        "parameters": {"path": specs_dir(&app), "maxConcurrentFetches": 1}}),
        )
        .await;
    app.post(&format!("{IMPORTERS}/{id}/trigger"), &json!(null))
        .await;
    tokio::time::timeout(Duration::from_secs(10), gate.entered.notified())
        .await
        .expect("run started");
    assert_eq!(
        app.delete(&format!("{IMPORTERS}/{id}")).await.0,
        StatusCode::NO_CONTENT
    );
    gate.open();
    // The item in the sink finishes; the run stops before the next one.
    for _ in 0..200 {
        let (_, list) = app.get(IMPORTERS).await;
        if list["importers"].as_array().is_some_and(Vec::is_empty) && app.state.scheduler_idle() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(app.state.scheduler_idle(), "the run is still going");
    let (_, page) = app
        .get(&format!("{}/api-targets", crate::inventory::INVENTORY))
        .await;
    assert_eq!(
        page["totalCount"], 1,
        "one item was in flight and is whole; the other four were never written"
    );
}
