//! Importers as code on the real binary: declared in the config file and a
//! `declared_dir` (with `${VAR}` and `file:` references), reconciled at start and
//! on `SIGHUP`; `validate` names an unresolved reference; `importers apply -f`,
//! `delete` and `export` against the running daemon.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{BIN, Daemon, cli, ok, ok_json, write_config};

fn list(base: &str) -> Vec<Value> {
    let body = ok_json(&cli(&["importers", "list", "--url", base]));
    body["importers"].as_array().expect("importers").clone()
}

fn find<'a>(list: &'a [Value], name: &str) -> Option<&'a Value> {
    list.iter().find(|i| i["name"] == name)
}

fn config(specs: &Path, with_old: bool) -> String {
    let old = if with_old {
        format!(
            "    - name: old\n      type: directory\n      status: inactive\n      parameters:\n        path: {}\n",
            specs.display()
        )
    } else {
        String::new()
    };
    format!(
        "importers:\n  directory_roots: [{}]\n  declared_dir: importers.d\n  declared:\n    - name: edge\n      type: invicti_nad_agent\n      status: inactive\n      parameters:\n        registrationToken: file:edge.token\n{old}",
        specs.display()
    )
}

fn docs_yaml(dir: &Path, unit: &str) {
    std::fs::write(
        dir.join("importers.d/docs.yaml"),
        format!(
            "- name: docs\n  type: directory\n  status: inactive\n  updateFrequency: {{unit: {unit}, value: 3}}\n  parameters:\n    path: ${{DOCS_PATH}}\n"
        ),
    )
    .expect("write docs.yaml");
}

#[test]
fn importers_declared_in_the_config_apply_at_start_and_on_sighup() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let specs = dir.join("specs");
    std::fs::create_dir_all(&specs).expect("specs");
    std::fs::create_dir_all(dir.join("importers.d")).expect("importers.d");
    std::fs::write(dir.join("edge.token"), "edge-agent-token-0123456789\n").expect("token");
    docs_yaml(dir, "daily");
    let specs_str = specs.display().to_string();
    let env = [("DOCS_PATH", specs_str.as_str())];

    // An unresolved reference: `validate` says which importer and field.
    let path = write_config(dir, &config(&specs, true));
    let out = cli(&["validate", "--config", &path.display().to_string()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("docs.yaml")
            && err.contains("importer `docs`")
            && err.contains("parameters.path")
            && err.contains("DOCS_PATH"),
        "{err}"
    );

    let daemon = Daemon::start_env(dir, &config(&specs, true), &env);
    let at_start = list(&daemon.base);
    let names = |l: &[Value]| -> Vec<String> {
        let mut n: Vec<String> = l
            .iter()
            .filter_map(|i| i["name"].as_str().map(str::to_owned))
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&at_start), ["docs", "edge", "old"]);
    let docs = find(&at_start, "docs").expect("docs");
    assert_eq!(
        docs["parameters"]["path"],
        specs_str.as_str(),
        "${{DOCS_PATH}} resolved"
    );
    let edge = find(&at_start, "edge").expect("edge");
    assert_eq!(edge["parameters"]["registrationToken"], "********");

    // The file changes; SIGHUP applies it: `docs` updated, `old` deleted.
    docs_yaml(dir, "hourly");
    write_config(dir, &config(&specs, false));
    let hup = Command::new("kill")
        .args(["-HUP", &daemon.pid()])
        .status()
        .expect("kill");
    assert!(hup.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let after = loop {
        let now = list(&daemon.base);
        let hourly = find(&now, "docs").is_some_and(|d| d["updateFrequency"]["unit"] == "hourly");
        if hourly && find(&now, "old").is_none() {
            break now;
        }
        assert!(
            Instant::now() < deadline,
            "SIGHUP not applied:\n{}",
            daemon.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(names(&after), ["docs", "edge"]);
    assert!(daemon.logs().contains("Declared importers reconciled."));

    // Declared importers are changed in their file, not through the API.
    let id = find(&after, "docs")
        .and_then(|d| d["importerId"].as_str())
        .expect("id")
        .to_owned();
    let out = cli(&["importers", "delete", &id, "--url", &daemon.base]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("409") && err.contains("docs.yaml"), "{err}");

    // `apply -f`: a set of its own, created then unchanged.
    let team = dir.join("team.yaml");
    std::fs::write(
        &team,
        format!("- name: team docs\n  type: directory\n  status: inactive\n  parameters: {{path: '{specs_str}'}}\n"),
    )
    .expect("team.yaml");
    let team_str = team.display().to_string();
    let apply = || {
        ok(&cli(&[
            "importers",
            "apply",
            "-f",
            &team_str,
            "--url",
            &daemon.base,
        ]))
    };
    let first = apply();
    assert!(
        first.starts_with("created") && first.contains("team docs"),
        "{first}"
    );
    assert!(
        first.contains("1 importers: 1 created, 0 updated, 0 deleted, 0 unchanged"),
        "{first}"
    );
    let second = apply();
    assert!(
        second.contains("1 importers: 0 created, 0 updated, 0 deleted, 1 unchanged"),
        "{second}"
    );

    // `export`: YAML that `apply -f` takes, secrets as references.
    let out = ok(&cli(&["importers", "export", "--url", &daemon.base]));
    let exported: Vec<Value> = serde_yaml::from_str(&out).expect("YAML");
    let edge = exported
        .iter()
        .find(|e| e["name"] == "edge")
        .expect("edge exported");
    assert_eq!(
        edge["parameters"]["registrationToken"],
        "${EDGE_REGISTRATION_TOKEN}"
    );
    assert!(
        edge.get("importerId").is_none() && edge.get("extras").is_none(),
        "{edge}"
    );
    assert_eq!(exported.len(), 3);
}

#[test]
fn a_wrong_declaration_stops_the_start_before_anything_is_created() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let path = write_config(
        dir,
        "importers:\n  declared:\n    - name: docs\n      type: directory\n      updateFrequency: {unit: fortnightly, value: 1}\n      parameters: {path: ./specs}\n",
    );
    let config = path.display().to_string();
    let out = cli(&["validate", "--config", &config]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("importer `docs`") && err.contains("fortnightly"),
        "{err}"
    );
    let out = Command::new(BIN)
        .args(["serve", "--config", &config])
        .current_dir(dir)
        .output()
        .expect("serve");
    assert!(!out.status.success(), "serve must refuse it");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("declared importers") && err.contains("fortnightly"),
        "{err}"
    );
    assert!(
        !dir.join("data").exists(),
        "no data folder, database or key file was made"
    );
}
