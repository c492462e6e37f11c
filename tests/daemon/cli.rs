//! The `importers` commands against a running daemon, by name: `get`, `update`,
//! `runs`, `trigger --wait` (exit status follows the run), tables and JSON; and
//! the completion script and man page generated from the same definitions.

use serde_json::{Value, json};

use super::{cli, good_and_gone, ok};

#[test]
fn importers_by_name_with_tables_json_and_a_waiting_trigger() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let (daemon, _) = good_and_gone(dir, ["Good Docs", "gone docs"]);
    let specs = dir.join("specs");
    let url = daemon.base.as_str();

    // By name, any case; piped output is JSON.
    let got: Value =
        serde_json::from_str(&ok(&cli(&["importers", "get", "good docs", "--url", url])))
            .expect("json");
    assert_eq!(got["name"], "Good Docs");
    let update = json!({"name": "Good Docs", "type": "directory", "status": "inactive",
                        "updateFrequency": {"unit": "hourly", "value": 6},
                        "parameters": {"path": specs.join("good").display().to_string()}});
    ok(&cli(&[
        "importers",
        "update",
        "Good Docs",
        &update.to_string(),
        "--url",
        url,
    ]));

    let table = ok(&cli(&[
        "importers",
        "list",
        "--output",
        "table",
        "--url",
        url,
    ]));
    let mut lines = table.lines();
    let header = lines.next().expect("header");
    assert!(
        header.starts_with("NAME") && header.contains("SCHEDULE") && header.contains("RESULT"),
        "{table}"
    );
    let row = lines.find(|l| l.starts_with("Good Docs")).expect("a row");
    assert!(
        row.contains("every 6 hourly") && row.contains("Directory"),
        "{table}"
    );

    // trigger --wait: the outcome in one command, the exit status its verdict.
    let done = ok(&cli(&[
        "importers",
        "trigger",
        "good docs",
        "--wait",
        "-o",
        "table",
        "--url",
        url,
    ]));
    assert!(
        done.starts_with("Good Docs: Completed at ") && done.contains("created 1"),
        "{done}"
    );
    let failed = cli(&["importers", "trigger", "gone docs", "--wait", "--url", url]);
    assert!(!failed.status.success());
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(err.contains("the run failed:"), "{err}");
    let json_out: Value = serde_json::from_slice(&failed.stdout).expect("piped: the run as JSON");
    assert_eq!(json_out["status"], "Failed");
    assert!(json_out["failReason"].is_string(), "{json_out}");

    let runs = ok(&cli(&[
        "importers",
        "runs",
        "Good Docs",
        "-o",
        "table",
        "--url",
        url,
    ]));
    assert!(
        runs.starts_with("STARTED") && runs.lines().nth(1).is_some_and(|l| l.contains("Completed")),
        "{runs}"
    );
    let runs: Value = serde_json::from_str(&ok(&cli(&[
        "importers",
        "runs",
        "Good Docs",
        "--limit",
        "1",
        "--url",
        url,
    ])))
    .expect("json");
    assert_eq!(runs["runs"].as_array().map(Vec::len), Some(1));

    let missing = cli(&["importers", "get", "no such importer", "--url", url]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("no importer has the id or name `no such importer`")
    );
}

#[test]
fn completions_and_the_man_page_come_from_the_definitions() {
    let bash = ok(&cli(&["completions", "bash"]));
    assert!(
        bash.contains("apihub-importer") && bash.contains("apply") && bash.contains("--wait"),
        "{bash}"
    );
    let zsh = ok(&cli(&["completions", "zsh"]));
    assert!(zsh.starts_with("#compdef apihub-importer"), "{zsh}");
    let man = ok(&cli(&["man"]));
    assert!(
        man.starts_with(".ie") || man.starts_with(".TH"),
        "{}",
        &man[..man.len().min(200)]
    );
    assert!(
        man.contains(".TH apihub-importer") && man.contains("importers"),
        "{man}"
    );
    let bad = cli(&["completions", "tcsh"]);
    assert!(!bad.status.success());
}
