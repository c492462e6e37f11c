//! The `importers` commands that read and act on one importer of a running daemon,
//! named by id or name: `get`, `update`, `runs`, `check`, `trigger [--wait]`,
//! `delete`, and `list`. On a terminal lists print as tables; `--output json`
//! (the default when piped) prints the API's JSON for scripts.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use reqwest::Method;
use serde_json::Value;

use super::client::Client;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Tables on a terminal, JSON otherwise.
    Auto,
    Table,
    Json,
}

impl Output {
    fn table(self) -> bool {
        match self {
            Output::Auto => std::io::stdout().is_terminal(),
            Output::Table => true,
            Output::Json => false,
        }
    }
}

/// The id of the importer `id_or_name` names: an id as is, else the one importer
/// with that name (letter case aside).
pub async fn resolve(client: &Client, id_or_name: &str) -> anyhow::Result<String> {
    let list = client.call(Method::GET, "", None).await?;
    let importers = list["importers"].as_array().cloned().unwrap_or_default();
    if let Some(i) = importers.iter().find(|i| i["importerId"] == id_or_name) {
        return Ok(i["importerId"].as_str().unwrap_or(id_or_name).to_owned());
    }
    let key = crate::text::name_key(id_or_name);
    importers
        .iter()
        .find(|i| {
            i["name"]
                .as_str()
                .is_some_and(|n| crate::text::name_key(n) == key)
        })
        .and_then(|i| i["importerId"].as_str().map(str::to_owned))
        .with_context(|| format!("404 Not Found: no importer has the id or name `{id_or_name}`"))
}

pub fn print(value: &Value, output: Output) -> anyhow::Result<()> {
    if value.is_null() {
        return Ok(());
    }
    if output.table() {
        if let Some(rows) = value["importers"].as_array() {
            print_table(
                &[
                    "NAME", "TYPE", "STATUS", "SCHEDULE", "LAST RUN", "RESULT", "ID",
                ],
                rows.iter().map(importer_row).collect(),
            );
            return Ok(());
        }
        if let Some(rows) = value["runs"].as_array() {
            print_table(
                &[
                    "STARTED",
                    "TRIGGER",
                    "STATUS",
                    "CREATED",
                    "UPDATED",
                    "UNCHANGED",
                    "FAILED",
                    "REASON",
                ],
                rows.iter().map(run_row).collect(),
            );
            return Ok(());
        }
    }
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn s(v: &Value) -> String {
    match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn importer_row(i: &Value) -> Vec<String> {
    let f = &i["updateFrequency"];
    let schedule = if f.is_null() {
        "daily".to_owned()
    } else {
        format!("every {} {}", s(&f["value"]), s(&f["unit"]))
    };
    let result = match (i["syncStatus"].as_str(), i["lastRunFailReason"].as_str()) {
        (Some("Failed"), Some(reason)) => format!("Failed: {reason}"),
        (Some(status), _) => status.to_owned(),
        _ => "-".to_owned(),
    };
    vec![
        s(&i["name"]),
        s(&i["type"]),
        s(&i["status"]),
        schedule,
        s(&i["lastRunDate"]),
        result,
        s(&i["importerId"]),
    ]
}

fn run_row(r: &Value) -> Vec<String> {
    let c = &r["counts"];
    vec![
        s(&r["startedAt"]),
        s(&r["trigger"]),
        s(&r["status"]),
        s(&c["created"]),
        s(&c["updated"]),
        s(&c["unchanged"]),
        s(&c["failed"]),
        s(&r["failReason"]),
    ]
}

fn print_table(headers: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(headers.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        line(row);
    }
}

/// Triggers a run; with `wait`, waits for it and prints its outcome, failing
/// when the run failed. The run waited for is the first one newer than the
/// newest before the trigger (a trigger during a run queues one more).
pub async fn trigger(
    client: &Client,
    id: &str,
    wait: bool,
    timeout: Duration,
    output: Output,
) -> anyhow::Result<()> {
    let newest = |runs: &Value| runs["runs"][0].clone();
    let before = newest(
        &client
            .call(Method::GET, &format!("/{id}/runs?limit=1"), None)
            .await?,
    );
    client
        .call(Method::POST, &format!("/{id}/trigger"), None)
        .await?;
    if !wait {
        return Ok(());
    }
    let deadline = Instant::now() + timeout;
    let run = loop {
        let now = newest(
            &client
                .call(Method::GET, &format!("/{id}/runs?limit=1"), None)
                .await?,
        );
        let finished = now["status"].as_str().is_some_and(|s| s != "Running");
        if finished && now["runId"] != before["runId"] {
            break now;
        }
        if Instant::now() > deadline {
            anyhow::bail!("the run did not finish within {} s", timeout.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let importer = client.call(Method::GET, &format!("/{id}"), None).await?;
    let counts = &run["counts"];
    if output.table() {
        println!(
            "{}: {} at {} (created {}, updated {}, unchanged {}, failed {})",
            s(&importer["name"]),
            s(&run["status"]),
            s(&run["finishedAt"]),
            s(&counts["created"]),
            s(&counts["updated"]),
            s(&counts["unchanged"]),
            s(&counts["failed"]),
        );
    } else {
        println!("{}", serde_json::to_string_pretty(&run)?);
    }
    if run["status"] == "Failed" {
        anyhow::bail!(
            "the run failed: {}",
            run["failReason"].as_str().unwrap_or("no reason given")
        );
    }
    Ok(())
}
