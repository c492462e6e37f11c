//! Keyset pagination of `GET /api-targets`: every target exactly once, in order, for
//! every sort key and direction, also while targets are inserted between pages.

use std::collections::HashSet;

use apihub_connectors::normalize::{Hints, Limits, normalize};
use apihub_importer::inventory::{Source, SourceMode};
use apihub_importer::store::{NewDefinition, NewTarget};
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};
use crate::inventory::INVENTORY;

fn spec(i: usize) -> Vec<u8> {
    let ops: String = (0..(i % 7)).map(|k| format!("\"/p{k}\": {{\"get\": {{\"responses\": {{\"200\": {{\"description\": \"ok\"}}}}}}}}")).collect::<Vec<_>>().join(",");
    if i.is_multiple_of(5) {
        format!(
            "type Query {{ {} }}",
            (0..=(i % 4))
                .map(|k| format!("f{k}: Int"))
                .collect::<Vec<_>>()
                .join(" ")
        )
        .into_bytes()
    } else {
        format!("{{\"openapi\": \"3.0.0\", \"info\": {{\"title\": \"t{i}\", \"version\": \"1\"}}, \"paths\": {{{ops}}}}}").into_bytes()
    }
}

/// Inserts targets straight through the store (the upload path, minus HTTP).
pub async fn seed_targets(app: &TestApp, from: usize, to: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in from..to {
        let normalized = normalize(spec(i), &Hints::default(), &Limits::default()).expect("spec");
        // Names repeat and vary in case so ties and case-insensitive order are exercised.
        let name = if i.is_multiple_of(3) {
            format!("api {:03}", (i * 37) % 400)
        } else {
            format!("API {:03}", (i * 37) % 400)
        };
        let new = NewTarget {
            name,
            description: None,
            definition: NewDefinition {
                normalized,
                source: Source {
                    mode: SourceMode::Provided,
                    origin: "test".into(),
                },
                source_name: None,
                url: None,
                synthesized: None,
                operation_notes: Vec::new(),
            },
        };
        let now = 1_700_000_000_000 + i as i64 * 1_500;
        ids.push(
            app.state
                .store
                .create_target(new, now)
                .await
                .expect("create")
                .target
                .id,
        );
    }
    ids
}

/// Gives some targets scan results (no API writes them yet).
fn scan_some(app: &TestApp, ids: &[String]) {
    let conn = rusqlite::Connection::open(app.dir.path().join("data/apihub.db")).expect("db");
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .expect("busy");
    let statuses = ["Completed", "Failed", "Queued"];
    for (i, id) in ids.iter().enumerate().filter(|(i, _)| !i.is_multiple_of(4)) {
        conn.execute(
            "UPDATE api_targets SET last_scanned = ?2, last_scan_status = ?3 WHERE id = ?1",
            rusqlite::params![
                id,
                1_700_100_000_000i64 + ((i * 7919) % 500) as i64 * 60_000,
                statuses[i % 3]
            ],
        )
        .expect("update");
    }
}

async fn walk(app: &TestApp, sort: &str, limit: u32, mut between: impl AsyncFnMut()) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = "0".to_owned();
    for _ in 0..10_000 {
        let (status, page) = app
            .get(&format!(
                "{INVENTORY}/api-targets?limit={limit}&sort={sort}&cursor={cursor}"
            ))
            .await;
        assert_eq!(status, 200, "{page}");
        let targets = page["targets"].as_array().expect("targets");
        assert!(targets.len() <= limit as usize);
        out.extend(targets.iter().cloned());
        match page["nextPage"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return out,
        }
        between().await;
    }
    panic!("pagination did not end");
}

fn key(t: &Value, sort: &str) -> Value {
    let field = sort.trim_start_matches('-');
    match (field, &t[field]) {
        ("name", v) => Value::from(v.as_str().unwrap_or("").to_lowercase()),
        ("lastScanned", Value::Null) => Value::from(""),
        ("lastScanStatus", Value::Null) => Value::from(""),
        (_, v) => v.clone(),
    }
}

fn cmp(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_i64().cmp(&y.as_i64()),
        _ => a.as_str().unwrap_or("").cmp(b.as_str().unwrap_or("")),
    }
}

#[tokio::test]
async fn every_sort_key_both_directions_returns_each_target_once_in_order() {
    let app = spawn_app().await;
    let ids = seed_targets(&app, 0, 1000).await;
    scan_some(&app, &ids);
    for field in [
        "name",
        "createdAt",
        "modifiedAt",
        "lastScanned",
        "lastScanStatus",
        "definitionFormat",
        "operationsCount",
    ] {
        for sort in [field.to_owned(), format!("-{field}")] {
            let rows = walk(&app, &sort, 20, async || {}).await;
            let seen: HashSet<&str> = rows.iter().map(|t| t["id"].as_str().expect("id")).collect();
            assert_eq!((rows.len(), seen.len()), (1000, 1000), "{sort}");
            let descending = sort.starts_with('-');
            for pair in rows.windows(2) {
                let (a, b) = (key(&pair[0], &sort), key(&pair[1], &sort));
                let order = if descending { cmp(&b, &a) } else { cmp(&a, &b) };
                assert_ne!(order, std::cmp::Ordering::Greater, "{sort}: {a} before {b}");
                let exact = !field.ends_with("At") && field != "lastScanned";
                if exact && order == std::cmp::Ordering::Equal {
                    let (x, y) = (
                        pair[0]["id"].as_str().unwrap_or(""),
                        pair[1]["id"].as_str().unwrap_or(""),
                    );
                    assert!(
                        if descending { x > y } else { x < y },
                        "{sort}: ties must be broken by id"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn pages_stay_stable_while_targets_are_inserted() {
    let app = spawn_app().await;
    let original: HashSet<String> = seed_targets(&app, 0, 1000).await.into_iter().collect();
    for sort in ["createdAt", "-createdAt", "name", "-operationsCount"] {
        let mut next = 2000 + original.len() * 10;
        let rows = walk(&app, sort, 20, async || {
            seed_targets(&app, next, next + 1).await;
            next += 1;
        })
        .await;
        let mut counts = std::collections::HashMap::new();
        for t in &rows {
            *counts
                .entry(t["id"].as_str().expect("id").to_owned())
                .or_insert(0) += 1;
        }
        for id in &original {
            assert_eq!(
                counts.get(id),
                Some(&1),
                "{sort}: {id} not returned exactly once"
            );
        }
        assert!(
            counts.values().all(|n| *n == 1),
            "{sort}: a row came back twice"
        );
    }
}

#[tokio::test]
async fn previous_page_walks_back_and_search_filters() {
    let app = spawn_app().await;
    seed_targets(&app, 0, 95).await;
    let forward = walk(&app, "-name", 20, async || {}).await;
    // From the last page, walk back with previousPage.
    let mut cursor = "0".to_owned();
    let last = loop {
        let (_, page) = app
            .get(&format!(
                "{INVENTORY}/api-targets?limit=20&sort=-name&cursor={cursor}"
            ))
            .await;
        match page["nextPage"].as_str() {
            Some(n) => cursor = n.to_owned(),
            None => break page,
        }
    };
    let mut backward: Vec<Value> = last["targets"].as_array().expect("targets").clone();
    let mut prev = last["previousPage"].as_str().map(str::to_owned);
    while let Some(p) = prev {
        let (status, page) = app
            .get(&format!(
                "{INVENTORY}/api-targets?limit=20&sort=-name&cursor={p}"
            ))
            .await;
        assert_eq!(status, 200, "{page}");
        let mut rows = page["targets"].as_array().expect("targets").clone();
        rows.extend(backward);
        backward = rows;
        prev = page["previousPage"].as_str().map(str::to_owned);
    }
    let ids = |v: &[Value]| {
        v.iter()
            .map(|t| t["id"].as_str().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&backward), ids(&forward));

    let (_, found) = app
        .get(&format!(
            "{INVENTORY}/api-targets?search=Api%2000&limit=100"
        ))
        .await;
    let names: Vec<&str> = found["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| t["name"].as_str().unwrap_or(""))
        .collect();
    assert!(!names.is_empty());
    assert!(
        names.iter().all(|n| n.to_lowercase().contains("api 00")),
        "{names:?}"
    );
    assert_eq!(found["totalCount"], names.len());
    // Short terms scan, longer ones use the trigram index: both are substring matches.
    let all: Vec<String> = forward
        .iter()
        .map(|t| t["name"].as_str().unwrap_or("").to_lowercase())
        .collect();
    for term in ["pI", "i 0", "API 01", "3"] {
        let (_, found) = app
            .get(&format!(
                "{INVENTORY}/api-targets?search={}&limit=500",
                term.replace(' ', "%20")
            ))
            .await;
        let want = all
            .iter()
            .filter(|n| n.contains(&term.to_lowercase()))
            .count();
        assert_eq!(found["totalCount"], want, "{term}");
        assert_eq!(
            found["targets"].as_array().expect("targets").len(),
            want,
            "{term}"
        );
    }
    let (_, none) = app
        .get(&format!("{INVENTORY}/api-targets?search=%25_%5C"))
        .await;
    assert_eq!(
        none["totalCount"], 0,
        "LIKE wildcards in a search are literal"
    );
}
