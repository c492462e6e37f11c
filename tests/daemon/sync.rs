//! Runs in the real binary: `kill -9` during a run leaves a consistent database and
//! a run marked interrupted, and `apihub-importer sync` runs one in the foreground.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{BIN, Daemon, write_config};

const IMPORTERS: &str = "/api/apihub/v1/importers";
const TARGETS: &str = "/api/apihub/v1/inventory/api-targets";

fn roots(dir: &Path) -> String {
    format!(
        "importers:\n  directory_roots: [{}]\n",
        dir.join("specs").display()
    )
}

fn write_specs(dir: &Path, n: usize) {
    let specs = dir.join("specs");
    std::fs::create_dir_all(&specs).expect("mkdir");
    for i in 0..n {
        let doc = format!(
            "{{\"openapi\": \"3.0.0\", \"info\": {{\"title\": \"API {i}\", \"version\": \"1\"}}, \"paths\": {{\"/r{i}\": {{\"get\": {{\"responses\": {{\"200\": {{\"description\": \"ok\"}}}}}}}}}}}}"
        );
        std::fs::write(specs.join(format!("api{i:05}.json")), doc).expect("write");
    }
}

pub(crate) async fn get(http: &reqwest::Client, url: String) -> Value {
    http.get(url)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json")
}

fn integrity(db: &Path) -> (String, i64, i64) {
    let c = rusqlite::Connection::open(db).expect("db");
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    let (all, keys): (i64, i64) = c
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT external_key) FROM api_targets",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count");
    // Every target is whole: as many operation rows as it says.
    let torn: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM api_targets t WHERE t.operations_count != (SELECT COUNT(*) FROM operations o WHERE o.target_id = t.id) \
             OR NOT EXISTS (SELECT 1 FROM definitions d WHERE d.target_id = t.id)",
            [],
            |r| r.get(0),
        )
        .expect("torn");
    assert_eq!(torn, 0, "half-written targets");
    (ok, all, keys)
}

/// A daemon on `n` spec files with an active directory importer whose first run is
/// well under way (at least 100 targets written, not all): (daemon, importer id).
async fn big_run_under_way(dir: &Path, n: usize, http: &reqwest::Client) -> (Daemon, String) {
    write_specs(dir, n);
    let daemon = Daemon::start_with(dir, &roots(dir));
    let created: Value = http
        .post(format!("{}{IMPORTERS}", daemon.base))
        .json(
            &json!({"name": "big folder", "type": "directory", "status": "active",
                      "parameters": {"path": dir.join("specs").display().to_string()}}),
        )
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let id = created["importerId"].as_str().expect("id").to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let made = get(http, format!("{}{TARGETS}?limit=1", daemon.base)).await["totalCount"]
            .as_u64()
            .unwrap_or(0);
        if made >= 100 {
            assert!(
                made < n as u64,
                "the run finished before it could be stopped"
            );
            return (daemon, id);
        }
        assert!(Instant::now() < deadline, "the run never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// After a restart: waits for the second run to finish and returns both, newest first.
async fn second_run(daemon: &Daemon, id: &str, http: &reqwest::Client) -> Value {
    let url = format!("{}{IMPORTERS}/{id}/runs", daemon.base);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let page = get(http, url.clone()).await;
        if page["totalCount"] == 2 && page["runs"][0]["status"] != "Running" {
            return page;
        }
        assert!(Instant::now() < deadline, "the job was not resumed: {page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn kill_9_during_a_run_then_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 3_000;
    let http = reqwest::Client::new();
    let (mut daemon, id) = big_run_under_way(dir.path(), n, &http).await;
    daemon.child.kill().expect("kill -9");
    daemon.child.wait().expect("reaped");
    let db = dir.path().join("data/apihub.db");
    let (ok, partial, keys) = integrity(&db);
    assert_eq!(ok, "ok");
    assert_eq!(partial, keys);
    assert!(partial > 0 && partial < n as i64);

    let daemon = Daemon::start_with(dir.path(), &roots(dir.path()));
    let runs = second_run(&daemon, &id, &http).await;
    let interrupted = &runs["runs"][1];
    assert_eq!(interrupted["status"], "Failed");
    assert!(
        interrupted["failReason"]
            .as_str()
            .expect("reason")
            .starts_with("interrupted"),
        "{interrupted}"
    );
    // Issue 10.7: the interrupted run tells what it had written, not zeros.
    assert_eq!(
        interrupted["counts"]["created"].as_i64(),
        Some(partial),
        "{interrupted}"
    );
    assert!(interrupted["counts"]["discovered"].as_i64() >= Some(partial));
    let next = &runs["runs"][0];
    assert_eq!(
        (&next["status"], &next["trigger"]),
        (&json!("Completed"), &json!("startup")),
        "{next}"
    );
    assert_eq!(
        next["counts"]["created"].as_i64().expect("n")
            + next["counts"]["unchanged"].as_i64().expect("n"),
        n as i64
    );
    let (ok, all, keys) = integrity(&db);
    assert_eq!(
        (ok.as_str(), all, keys),
        ("ok", n as i64, n as i64),
        "no duplicates after the restart"
    );
}

#[test]
fn sync_command_runs_one_sync_and_prints_a_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_specs(dir.path(), 3);
    let config = write_config(
        dir.path(),
        &format!("{}scheduler:\n  enabled: false\n", roots(dir.path())),
    );
    // Create the importer through a short-lived daemon, then sync without one.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let daemon = Daemon::start_with(
        dir.path(),
        &format!("{}scheduler:\n  enabled: false\n", roots(dir.path())),
    );
    rt.block_on(async {
        let http = reqwest::Client::new();
        let r = http
            .post(format!("{}{IMPORTERS}", daemon.base))
            .json(
                &json!({"name": "cli folder", "type": "directory", "status": "inactive",
                          "parameters": {"path": dir.path().join("specs").display().to_string()}}),
            )
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 200);
    });
    drop(daemon);
    let out = Command::new(BIN)
        .args(["sync", "--importer", "cli folder", "--config"])
        .arg(&config)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("cli folder Completed: 3 discovered, 3 created"),
        "{stdout}"
    );

    std::fs::write(dir.path().join("specs/broken.json"), "{ not json").expect("write");
    let out = Command::new(BIN)
        .args(["sync", "--importer", "cli folder", "--config"])
        .arg(&config)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        stdout.contains("Failed: 4 discovered, 0 created, 0 updated, 3 unchanged"),
        "{stdout}"
    );
    assert!(stdout.contains("failed broken.json"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of 4 APIs failed"));

    let out = Command::new(BIN)
        .args(["sync", "--importer", "nope", "--config"])
        .arg(&config)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no importer with id or name `nope`"));
}

#[tokio::test]
async fn sigterm_during_a_run_records_it_and_the_next_start_finishes_the_job() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 3_000;
    let http = reqwest::Client::new();
    let (mut daemon, id) = big_run_under_way(dir.path(), n, &http).await;
    let stopped = Instant::now();
    let status = tokio::task::spawn_blocking(move || daemon.terminate())
        .await
        .expect("join");
    assert!(status.success(), "{status:?}");
    assert!(
        stopped.elapsed() < Duration::from_secs(10),
        "shutdown took {:?}",
        stopped.elapsed()
    );
    let db = dir.path().join("data/apihub.db");
    let (ok, partial, _) = integrity(&db);
    assert_eq!(ok, "ok");
    assert!(partial < n as i64, "the run finished before the signal");

    let daemon = Daemon::start_with(dir.path(), &roots(dir.path()));
    let runs = second_run(&daemon, &id, &http).await;
    let cut = &runs["runs"][1];
    assert_eq!(cut["status"], "Failed");
    assert!(
        cut["failReason"]
            .as_str()
            .expect("reason")
            .starts_with("run cancelled: the daemon is shutting down"),
        "{cut}"
    );
    assert_eq!(
        (&runs["runs"][0]["status"], &runs["runs"][0]["trigger"]),
        (&json!("Completed"), &json!("startup"))
    );
    let (ok, all, keys) = integrity(&db);
    assert_eq!((ok.as_str(), all, keys), ("ok", n as i64, n as i64));
}
