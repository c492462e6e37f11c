//! Metrics and logs to alert on, on the real binary: `/metrics` after one
//! importer's run succeeded and another's failed (build info, process metrics,
//! HTTP requests by route, the per-importer gauges), linted by `promtool check
//! metrics`; the shipped alert rules pass `promtool check rules` and their unit
//! tests (`promtool test rules`); a request's log line carries its
//! `x-request-id`. promtool comes from `tests/run.sh` (Debian's prometheus
//! package); missing, the test is skipped, and fails under `CI=true`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use apihub_connectors::testkit::peers::peer;
use serde_json::Value;

use super::{cli, good_and_gone, ok, ok_json};

fn promtool(bin: &Path, args: &[&str], stdin: Option<&str>, cwd: &Path) -> (bool, String) {
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("promtool output");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The sample of `name` whose labels include all of `labels`.
fn sample(body: &str, name: &str, labels: &[&str]) -> Option<f64> {
    body.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .find(|l| labels.iter().all(|want| l.contains(want)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_to_alert_on_and_logs_to_find_a_request_by() {
    let Some(promtool_bin) = peer("APIHUB_PROMTOOL", "promtool/usr/bin/promtool") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let (daemon, [good, bad]) = good_and_gone(dir, ["good docs", "gone \"docs\""]);
    let base = daemon.base.clone();
    for id in [&good, &bad] {
        ok(&cli(&["importers", "trigger", id, "--url", &base]));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let list = ok_json(&cli(&["importers", "list", "--url", &base]));
        let done = list["importers"]
            .as_array()
            .expect("importers")
            .iter()
            .all(|i| i["syncStatus"] != "None");
        if done {
            break;
        }
        assert!(Instant::now() < deadline, "runs did not finish: {list}");
        std::thread::sleep(Duration::from_millis(100));
    }

    let http = reqwest::Client::new();
    let resp = http
        .get(format!("{base}/api/apihub/v1/importers"))
        .header("x-request-id", "req-metrics-test-4711")
        .send()
        .await
        .expect("list");
    assert_eq!(resp.headers()["x-request-id"], "req-metrics-test-4711");
    let body = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("text");

    let commit = format!("commit=\"{}\"", env!("APIHUB_GIT_COMMIT"));
    assert_eq!(
        sample(&body, "apihub_build_info", &[&commit, "version=\""]),
        Some(1.0),
        "{body}"
    );
    assert!(
        sample(&body, "process_resident_memory_bytes", &[]).is_some_and(|b| b > 1e6),
        "{body}"
    );
    assert!(
        sample(&body, "process_open_fds", &[]).is_some_and(|n| n > 0.0),
        "{body}"
    );
    assert!(
        sample(
            &body,
            "apihub_http_requests_total",
            &[
                "route=\"/api/apihub/v1/importers\"",
                "status=\"200\"",
                "method=\"GET\""
            ]
        )
        .is_some_and(|n| n >= 1.0),
        "{body}"
    );
    assert!(
        body.contains("apihub_http_request_duration_seconds_bucket{"),
        "{body}"
    );
    let good_labels = format!("importer=\"{good}\"");
    let bad_labels = format!("importer=\"{bad}\"");
    assert_eq!(
        sample(
            &body,
            "apihub_importer_last_run_status",
            &[&good_labels, "name=\"good docs\"", "type=\"directory\""]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &body,
            "apihub_importer_last_run_status",
            &[&bad_labels, r#"name="gone \"docs\"""#]
        ),
        Some(0.0),
        "a failed run, the name escaped: {body}"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64();
    let success = sample(
        &body,
        "apihub_importer_last_success_timestamp_seconds",
        &[&good_labels],
    )
    .expect("good succeeded");
    assert!((now - success).abs() < 120.0, "{success} vs {now}");
    assert_eq!(
        sample(
            &body,
            "apihub_importer_last_success_timestamp_seconds",
            &[&bad_labels]
        ),
        None,
        "never succeeded: no series (the alert rules use `unless`)"
    );

    let (ok, lint) = promtool(&promtool_bin, &["check", "metrics"], Some(&body), dir);
    assert!(ok, "promtool check metrics:\n{lint}\n{body}");
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/prometheus");
    let (ok, out) = promtool(
        &promtool_bin,
        &["check", "rules", "apihub-importer.rules.yaml"],
        None,
        &rules,
    );
    assert!(ok && out.contains("SUCCESS: 5 rules found"), "{out}");
    let (ok, out) = promtool(
        &promtool_bin,
        &["test", "rules", "apihub-importer.rules.test.yaml"],
        None,
        &rules,
    );
    assert!(ok, "{out}");

    // The request's log line is found by the id its answer carried.
    let logs = daemon.logs();
    let line = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| {
            l["message"] == "finished processing request"
                && l.to_string().contains("req-metrics-test-4711")
        })
        .unwrap_or_else(|| panic!("no log line with the request id:\n{logs}"));
    assert_eq!(line["level"], "INFO", "{line}");
    assert_eq!(
        line["span"]["request_id"], "req-metrics-test-4711",
        "{line}"
    );
    assert!(
        line["latency_ms"].is_number() && line["status"] == 200,
        "a number, for JSON logs: {line}"
    );
    // A run logs its start, and its end with every count and its duration.
    let events: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let of = |message: &str| events.iter().filter(|e| e["message"] == message).count();
    assert_eq!(
        (
            of("Sync started."),
            of("Sync completed."),
            of("Sync failed.")
        ),
        (2, 1, 1),
        "{logs}"
    );
    let done = events
        .iter()
        .find(|e| e["message"] == "Sync completed.")
        .expect("completed");
    for k in [
        "discovered",
        "created",
        "updated",
        "unchanged",
        "skipped_empty",
        "skipped",
        "failed",
        "missing",
        "duration_ms",
    ] {
        assert!(done[k].is_number(), "{k} in {done}");
    }
    assert_eq!(done["created"], 1);
    assert!(
        events
            .iter()
            .any(|e| e["message"] == "Item synced." && e["level"] == "DEBUG"),
        "items at debug"
    );
    assert!(!logs.contains('\u{1b}'), "no colour codes in a log file");
}
