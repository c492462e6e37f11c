//! Inventory benchmark: 100,000 targets × 10 operations in a real daemon process;
//! latency of `GET /api-targets?limit=20` (first page, deep page, search, sorts) and
//! a full CSV export's time and memory; the web console's inventory page against
//! the API's answer to the same query. Baselines from the same run: `/healthz`
//! round trips for latency, the idle daemon's RSS for memory.
//!
//! `cargo bench --bench inventory` (`-- --targets N` for a smaller run).

use std::path::Path;
use std::time::{Duration, Instant};

use apihub_connectors::normalize::{Hints, Limits, normalize};
use apihub_importer::config::StoreSettings;
use apihub_importer::inventory::{Source, SourceMode};
use apihub_importer::store::{NewDefinition, NewTarget, Store};
use serde_json::Value;

#[path = "daemon.rs"]
mod daemon;

use daemon::{Daemon, measure, rss_kib};

const INVENTORY: &str = "/api/apihub/v1/inventory";

fn spec(i: usize) -> Vec<u8> {
    let paths: Vec<String> = (0..10).map(|k| format!("\"/r{i}/p{k}\": {{\"get\": {{\"responses\": {{\"200\": {{\"description\": \"ok\"}}}}}}}}")).collect();
    format!("{{\"openapi\":\"3.0.0\",\"info\":{{\"title\":\"t\",\"version\":\"1\"}},\"servers\":[{{\"url\":\"https://api{i}.example.com\"}}],\"paths\":{{{}}}}}", paths.join(",")).into_bytes()
}

async fn load(db: &Path, n: usize) -> Duration {
    let store = Store::open(&StoreSettings {
        path: db.to_path_buf(),
        ..StoreSettings::default()
    })
    .await
    .expect("store");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(n.div_ceil(4)) {
        let store = store.clone();
        let chunk = chunk.to_vec();
        tasks.push(tokio::spawn(async move {
            for i in chunk {
                let normalized =
                    normalize(spec(i), &Hints::default(), &Limits::default()).expect("spec");
                let new = NewTarget {
                    name: format!(
                        "API {:06} {}",
                        (i * 7919) % n,
                        ["orders", "users", "billing", "search"][i % 4]
                    ),
                    description: None,
                    definition: NewDefinition {
                        normalized,
                        source: Source {
                            mode: SourceMode::Provided,
                            origin: "bench".into(),
                        },
                        source_name: None,
                        url: None,
                        synthesized: None,
                        operation_notes: Vec::new(),
                    },
                };
                store
                    .create_target(new, 1_700_000_000_000 + i as i64)
                    .await
                    .expect("insert");
            }
        }));
    }
    for t in tasks {
        t.await.expect("loader");
    }
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let mut targets = 100_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--targets" {
            targets = args.next().and_then(|n| n.parse().ok()).unwrap_or(targets);
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let loaded = load(&dir.path().join("apihub.db"), targets).await;
    println!(
        "loaded {targets} targets x 10 operations in {:.1} s",
        loaded.as_secs_f64()
    );
    let daemon = Daemon::start(
        Path::new(env!("CARGO_BIN_EXE_apihub-importer")),
        dir.path(),
        "",
    );
    let pid = daemon.pid();
    let http = reqwest::Client::new();
    let base = daemon.base.clone();
    let url = |q: &str| format!("{base}{INVENTORY}/api-targets?{q}");

    // Warm up, then find a deep cursor (page ~1/2 through) by walking with large pages.
    measure(&http, &url("limit=20"), 20).await;
    let mut cursor = "0".to_owned();
    for _ in 0..(targets / 2 / 500) {
        let page: Value = http
            .get(url(&format!("limit=500&cursor={cursor}")))
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        cursor = page["nextPage"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or(cursor);
    }
    let n = 300;
    let (h50, h99) = measure(&http, &format!("{base}/healthz"), n).await;
    println!(
        "\n{:<44} {:>9} {:>9} {:>12}",
        "request", "p50 ms", "p99 ms", "p99/healthz"
    );
    println!(
        "{:<44} {h50:>9.2} {h99:>9.2} {:>12}",
        "GET /healthz (baseline)", "1.0x"
    );
    let cases = [
        ("first page, limit=20", url("limit=20")),
        (
            "deep page (middle), limit=20",
            url(&format!("limit=20&cursor={cursor}")),
        ),
        ("search=billing, limit=20", url("limit=20&search=billing")),
        (
            "search=000042 (rare), limit=20",
            url("limit=20&search=000042"),
        ),
        ("sort=name, limit=20", url("limit=20&sort=name")),
        (
            "sort=-operationsCount, limit=20",
            url("limit=20&sort=-operationsCount"),
        ),
        (
            "sort=-lastScanned, limit=20",
            url("limit=20&sort=-lastScanned"),
        ),
        (
            "search=users&sort=-name, limit=20",
            url("limit=20&search=users&sort=-name"),
        ),
    ];
    for (name, u) in cases {
        let (p50, p99) = measure(&http, &u, n).await;
        println!("{name:<44} {p50:>9.2} {p99:>9.2} {:>11.1}x", p99 / h99);
    }

    // The console's inventory page renders the API's page of 50 as HTML: the
    // same query, so the ratio is the cost of rendering.
    println!(
        "\n{:<44} {:>9} {:>9} {:>12}",
        "console page (50 rows)", "p50 ms", "p99 ms", "p99/API p99"
    );
    let pages = [
        ("/inventory", "limit=50".to_owned()),
        ("/inventory?cursor=", format!("limit=50&cursor={cursor}")),
        (
            "/inventory?search=billing",
            "limit=50&search=billing".to_owned(),
        ),
        ("/inventory?sort=-name", "limit=50&sort=-name".to_owned()),
    ];
    for (page, api) in pages {
        let page = if page.ends_with('=') {
            format!("{page}{cursor}")
        } else {
            page.to_owned()
        };
        let (_, a99) = measure(&http, &url(&api), n).await;
        let (p50, p99) = measure(&http, &format!("{base}{page}"), n).await;
        let shown = if page.contains("cursor=") {
            "/inventory (deep page)".to_owned()
        } else {
            page.clone()
        };
        println!("{shown:<44} {p50:>9.2} {p99:>9.2} {:>11.2}x", p99 / a99);
    }

    // Export: time and peak RSS sampled every 5 ms while it streams.
    let idle = rss_kib(pid);
    for kind in ["targets", "operations"] {
        let t = Instant::now();
        let (bytes, peak) = daemon::peak_rss(pid, async {
            let mut resp = http
                .post(format!("{base}{INVENTORY}/export"))
                .json(&serde_json::json!({"exportType": kind, "format": "csv"}))
                .send()
                .await
                .expect("export");
            let mut bytes = 0usize;
            while let Some(chunk) = resp.chunk().await.expect("chunk") {
                bytes += chunk.len();
            }
            bytes
        })
        .await;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "\nCSV export of all {kind}: {:.1} MB in {secs:.2} s ({:.0} MB/s); daemon RSS idle {:.1} MiB, peak {:.1} MiB (+{:.1} MiB)",
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / secs,
            idle as f64 / 1024.0,
            peak as f64 / 1024.0,
            (peak.saturating_sub(idle)) as f64 / 1024.0
        );
    }
}
