//! Write-throughput benchmark (issue 20): a `directory` sync of many small
//! definitions by a release daemon, against a bare SQLite insert loop writing the
//! same rows into the same schema, in the same run.
//!
//! - **bare loop**: the daemon's schema (migrated by `Store::open`), then for each
//!   file one `api_targets` row, one `definitions` row holding the file and one
//!   `operations` row per operation, inserted with prepared statements by a plain
//!   rusqlite loop, all in one transaction (the ceiling, and the goal's baseline)
//!   and, for comparison, one transaction per file (what a writer that commits
//!   each item does).
//! - **first sync**: a fresh daemon, a `directory` importer on the files, from the
//!   create call to the run's end (listing, reading, normalizing, writing, run
//!   bookkeeping).
//! - **unchanged re-sync**: the same importer triggered again with nothing changed
//!   (every revision matches, so nothing is read or written).
//!
//! Each round measures all four on a fresh database; the medians of the rounds
//! are printed (the shared machine's noise moves single runs by 20%).
//!
//! `cargo bench --bench sync [-- --files 10000 --rounds 3]`
//!
//! Goals: first sync >= 50% of the one-transaction bare loop's rows/s (the same
//! rows, so files/s against files/s); unchanged re-sync >= 10,000 files/s.

use std::path::Path;
use std::time::Instant;

use apihub_importer::config::StoreSettings;
use apihub_importer::store::Store;
use rusqlite::{Connection, params};

#[path = "daemon.rs"]
mod daemon;

use daemon::Daemon;

const OPS_PER_FILE: usize = 2;

/// A small OpenAPI 3.0 document (~700 bytes, two operations), different for each `i`.
fn spec(i: usize) -> Vec<u8> {
    format!(
        r#"{{"openapi":"3.0.3","info":{{"title":"API {i}","version":"1","description":"Bench API number {i}, one of many small ones."}},
"servers":[{{"url":"https://api{i}.example.com/v1"}}],
"paths":{{"/items/{{id}}":{{"get":{{"operationId":"get{i}","parameters":[{{"name":"id","in":"path","required":true,"schema":{{"type":"string"}}}}],"responses":{{"200":{{"description":"the item"}}}}}}}},
"/items":{{"post":{{"operationId":"create{i}","requestBody":{{"content":{{"application/json":{{"schema":{{"type":"object"}}}}}}}},"responses":{{"201":{{"description":"created"}}}}}}}}}}}}"#
    )
    .into_bytes()
}

fn write_specs(dir: &Path, files: usize) -> Vec<Vec<u8>> {
    std::fs::create_dir_all(dir).expect("specs dir");
    (0..files)
        .map(|i| {
            let doc = spec(i);
            std::fs::write(dir.join(format!("api-{i:05}.json")), &doc).expect("write spec");
            doc
        })
        .collect()
}

/// Seconds for the bare loop over `docs`, committing every `per_tx` files.
fn bare_loop(path: &Path, docs: &[Vec<u8>], per_tx: usize) -> f64 {
    let mut c = Connection::open(path).expect("open");
    c.pragma_update(None, "foreign_keys", "ON").expect("fk");
    c.pragma_update(None, "synchronous", "NORMAL")
        .expect("sync");
    let t = Instant::now();
    for (n, chunk) in docs.chunks(per_tx).enumerate() {
        let tx = c.transaction().expect("begin");
        {
            let mut target = tx
                .prepare_cached(
                    "INSERT INTO api_targets (id, name, name_key, description, alternative_urls, definition_format, \
                     created_at, modified_at, importer_id, external_key, operations_count) \
                     VALUES (?1, ?2, ?3, ?4, ?5, 'openapi3', 1, 1, 'bench', ?6, ?7)",
                )
                .expect("prepare");
            let mut definition = tx
                .prepare_cached(
                    "INSERT INTO definitions (id, target_id, source_mode, source_origin, format, spec_version, \
                     source_name, content, content_hash, created_at, updated_at) \
                     VALUES (?1, ?2, 'Imported', 'directory', 'openapi3', '3.0.3', 'bench', ?3, ?4, 1, 1)",
                )
                .expect("prepare");
            let mut operation = tx
                .prepare_cached(
                    "INSERT INTO operations (id, target_id, definition_id, position, type, endpoint, name, \
                     source_mode, source_origin, last_update) \
                     VALUES (?1, ?2, ?3, ?4, 'GET', ?5, ?6, 'Imported', 'directory', 1)",
                )
                .expect("prepare");
            for (k, doc) in chunk.iter().enumerate() {
                let i = n * per_tx + k;
                let (tid, did) = (
                    uuid::Uuid::now_v7().to_string(),
                    uuid::Uuid::now_v7().to_string(),
                );
                let name = format!("API {i}");
                target
                    .execute(params![
                        tid,
                        name,
                        name.to_lowercase(),
                        "Bench API",
                        "[\"https://api.example.com/v1\"]",
                        format!("api-{i:05}.json"),
                        OPS_PER_FILE as i64
                    ])
                    .expect("target");
                definition
                    .execute(params![did, tid, doc, format!("{i:064x}")])
                    .expect("definition");
                for p in 0..OPS_PER_FILE {
                    operation
                        .execute(params![
                            uuid::Uuid::now_v7().to_string(),
                            tid,
                            did,
                            p as i64,
                            format!("/items/{p}"),
                            format!("op{i}-{p}")
                        ])
                        .expect("operation");
                }
            }
        }
        tx.commit().expect("commit");
    }
    t.elapsed().as_secs_f64()
}

async fn fresh_schema(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("bare.db");
    let settings = StoreSettings {
        path: path.clone(),
        ..StoreSettings::default()
    };
    drop(Store::open(&settings).await.expect("schema"));
    path
}

/// One round: (bare per-file, bare one-transaction, first sync, re-sync) seconds.
async fn round(dir: &Path, specs: &Path, docs: &[Vec<u8>]) -> [f64; 4] {
    let files = docs.len();
    let per_file = bare_loop(&fresh_schema(&dir.join("a")).await, docs, 1);
    let one_tx = bare_loop(&fresh_schema(&dir.join("b")).await, docs, files);

    let bin = Path::new(env!("CARGO_BIN_EXE_apihub-importer"));
    let extra = format!("importers:\n  directory_roots: [{}]\n", specs.display());
    let home = dir.join("daemon");
    std::fs::create_dir_all(&home).expect("daemon dir");
    let d = Daemon::start(bin, &home, &extra);
    let http = reqwest::Client::new();
    let (id, first) = d.first_directory_sync(&http, specs, files).await;
    let resync = d.unchanged_resync(&http, &id, 2, files).await;
    [per_file, one_tx, first, resync]
}

#[tokio::main]
async fn main() {
    let (mut files, mut rounds) = (10_000usize, 3usize);
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut number = |what: &str| -> usize {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{what}: a number"))
        };
        match k.as_str() {
            "--files" => files = number("--files"),
            "--rounds" => rounds = number("--rounds").max(1),
            _ => {} // cargo bench passes `--bench`
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let specs = dir.path().join("specs");
    let docs = write_specs(&specs, files);
    let bytes: usize = docs.iter().map(Vec::len).sum();
    println!(
        "{files} files, {:.1} MB, {OPS_PER_FILE} operations each ({} rows a file); median of {rounds} rounds",
        bytes as f64 / 1e6,
        2 + OPS_PER_FILE
    );
    let mut runs = Vec::new();
    for r in 0..rounds {
        let work = dir.path().join(format!("round{r}"));
        runs.push(round(&work, &specs, &docs).await);
        std::fs::remove_dir_all(&work).expect("clean round");
    }
    let median = |i: usize| {
        let mut v: Vec<f64> = runs.iter().map(|r| r[i]).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let [per_file, one_tx, first, resync] = [median(0), median(1), median(2), median(3)];

    let rate = |secs: f64| files as f64 / secs;
    println!();
    for (name, secs, rows) in [
        ("bare loop, one transaction per file", per_file, true),
        ("bare loop, one transaction for all", one_tx, true),
        ("daemon: first directory sync", first, true),
        ("daemon: unchanged re-sync (writes none)", resync, false),
    ] {
        let rows = if rows {
            format!("{:>9.0} rows/s", rate(secs) * (2 + OPS_PER_FILE) as f64)
        } else {
            String::new()
        };
        println!(
            "{name:<40} {secs:>7.2} s {:>9.0} files/s {rows}",
            rate(secs)
        );
    }
    println!();
    let ratio = one_tx / first * 100.0;
    println!(
        "first sync / bare one-transaction loop: {ratio:.0}% (/ the per-file loop: {:.0}%)",
        per_file / first * 100.0
    );
    let met = ratio >= 50.0 && rate(resync) >= 10_000.0;
    println!(
        "goals (first sync >= 50% of the bare loop's rows/s, unchanged re-sync >= 10,000 files/s): {}",
        if met { "met" } else { "NOT met" }
    );
}
