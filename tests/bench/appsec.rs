//! Inventory API (seed 002) benchmark: one SARIF 2.1.0 log of 100,000 results over
//! 10,000 hosts imported into a real daemon process (it creates the 10,000 Target
//! assets), a 10,000-result re-import (a later scan of 1,428 hosts that no longer
//! finds 3 of each one's 10), then list latency with filters and a full
//! CSV export's time and memory. Baselines from the same run: `/healthz` round
//! trips for latency, the idle daemon's RSS for memory.
//!
//! `cargo bench --bench appsec` (`-- --assets N` for a smaller run; 10 findings
//! per asset).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "daemon.rs"]
mod daemon;

use daemon::{Daemon, measure, peak_rss, rss_kib};

const V1: &str = "/api/inventory/v1";
const RULES: [(&str, &str); 5] = [
    ("40018", "9.1"),
    ("40012", "7.5"),
    ("10020", "4.0"),
    ("10021", "2.0"),
    ("10037", "0.0"),
];

/// A ZAP-shaped log: `per` results on each of `hosts` hosts, from `first`.
fn log(first: usize, hosts: usize, per: usize, ended: &str) -> Vec<u8> {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|(id, s)| json!({"id": id, "name": format!("rule {id}"), "properties": {"security-severity": s}}))
        .collect();
    let mut results = Vec::with_capacity(hosts * per);
    for h in first..first + hosts {
        for k in 0..per {
            let url = format!("https://a{h}.example.com/api/items/{k}");
            results.push(json!({
                "ruleId": RULES[k % RULES.len()].0, "message": {"text": "finding"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": url}}}],
                "webRequest": {"target": url, "method": if k % 2 == 0 { "GET" } else { "POST" }},
                "properties": {"parameter": "id"}
            }));
        }
    }
    serde_json::to_vec(&json!({"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "ZAP", "rules": rules}},
        "invocations": [{"executionSuccessful": true, "endTimeUtc": ended}],
        "results": results
    }]}))
    .expect("log")
}

async fn import(http: &reqwest::Client, base: &str, body: Vec<u8>) -> (Value, f64) {
    let t = Instant::now();
    let resp = http
        .post(format!("{base}{V1}/vulnerabilities/import"))
        .header("Content-Type", "application/sarif+json")
        .body(body)
        .send()
        .await
        .expect("import");
    assert!(resp.status().is_success(), "import: {}", resp.status());
    let summary: Value = resp.json().await.expect("summary");
    (summary, t.elapsed().as_secs_f64())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[tokio::main]
async fn main() {
    let mut assets = 10_000usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--assets" {
            assets = args.next().and_then(|n| n.parse().ok()).unwrap_or(assets);
        }
    }
    let per = 10;
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = Daemon::start(
        Path::new(env!("CARGO_BIN_EXE_apihub-importer")),
        dir.path(),
        "normalize:\n  max_input_bytes: 268435456\n",
    );
    let pid = daemon.pid();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .expect("client");
    let base = daemon.base.clone();

    let body = log(0, assets, per, "2025-11-13T10:39:15Z");
    let mb = body.len() as f64 / 1e6;
    let fresh = rss_kib(pid);
    let ((summary, secs), peak) = peak_rss(pid, import(&http, &base, body)).await;
    let after = rss_kib(pid);
    println!(
        "import of {} results ({mb:.1} MB) over {assets} hosts: {secs:.2} s ({:.0} results/s); {summary}",
        assets * per,
        (assets * per) as f64 / secs
    );
    println!(
        "daemon RSS before the import {:.1} MiB, peak {:.1} MiB (+{:.1} MiB), after {:.1} MiB",
        mib(fresh),
        mib(peak),
        mib(peak.saturating_sub(fresh)),
        mib(after)
    );
    // A later scan of a seventh of the hosts reports 7 of their 10 findings: the
    // 3 others become `notFound`, so the status filters have a mix to select.
    let (again, kept) = (assets / 7, 7);
    let (summary, secs) = import(&http, &base, log(0, again, kept, "2025-11-20T08:00:00Z")).await;
    println!(
        "re-import of {} results: {secs:.2} s ({:.0} results/s); {summary}",
        again * kept,
        (again * kept) as f64 / secs
    );

    let url = |q: &str| format!("{base}{V1}/vulnerabilities?{q}");
    let asset: Value = http
        .get(format!(
            "{base}{V1}/assets?pageSize=1&pageNumber={}",
            assets / 2
        ))
        .send()
        .await
        .expect("asset")
        .json()
        .await
        .expect("json");
    let asset_id = asset["items"][0]["id"].as_str().unwrap_or("").to_owned();
    measure(&http, &url("pageSize=20"), 20).await;
    let n = 300;
    let (h50, h99) = measure(&http, &format!("{base}/healthz"), n).await;
    println!(
        "\n{:<56} {:>9} {:>9} {:>12}",
        "request", "p50 ms", "p99 ms", "p99/healthz"
    );
    println!(
        "{:<56} {h50:>9.2} {h99:>9.2} {:>12}",
        "GET /healthz (baseline)", "1.0x"
    );
    let deep = (assets * per / 20 / 2).max(1);
    let cases = [
        ("first page, pageSize=20".to_owned(), url("pageSize=20")),
        (
            format!("middle page ({deep}), pageSize=20"),
            url(&format!("pageSize=20&pageNumber={deep}")),
        ),
        (
            "vulnerabilitySeverities=critical,high".to_owned(),
            url("vulnerabilitySeverities=critical,high&pageSize=20"),
        ),
        (
            "vulnerabilityStatus=notFound".to_owned(),
            url("vulnerabilityStatus=notFound&pageSize=20"),
        ),
        (
            "assetId=<one asset>".to_owned(),
            url(&format!("assetId={asset_id}&pageSize=20")),
        ),
        (
            "lastSeen>=2025-11-20 (re-imported)".to_owned(),
            url("lastSeen=2025-11-20&lastSeenOperator=gte&pageSize=20"),
        ),
        (
            "severity+status+firstSeen".to_owned(),
            url(
                "vulnerabilitySeverities=medium&vulnerabilityStatus=open&firstSeen=2025-11-01&pageSize=20",
            ),
        ),
        (
            "3 severities+2 statuses+firstSeen".to_owned(),
            url(
                "vulnerabilitySeverities=critical,high,medium&vulnerabilityStatus=open,reDiscovered&firstSeen=2025-11-01&pageSize=20",
            ),
        ),
        (
            "assets, first page".to_owned(),
            format!("{base}{V1}/assets?pageSize=20"),
        ),
    ];
    for (name, u) in cases {
        let (p50, p99) = measure(&http, &u, n).await;
        println!("{name:<56} {p50:>9.2} {p99:>9.2} {:>11.1}x", p99 / h99);
    }

    let idle = rss_kib(pid);
    let t = Instant::now();
    let ((bytes, lines), peak) = peak_rss(pid, async {
        let mut resp = http
            .post(format!("{base}{V1}/export"))
            .json(&json!({"exportType": "vulnerabilities", "format": "csv"}))
            .send()
            .await
            .expect("export");
        let (mut bytes, mut lines) = (0usize, 0usize);
        while let Some(chunk) = resp.chunk().await.expect("chunk") {
            bytes += chunk.len();
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        }
        (bytes, lines)
    })
    .await;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "\nCSV export of all vulnerabilities: {} rows, {:.1} MB in {secs:.2} s; daemon RSS idle {:.1} MiB, peak {:.1} MiB (+{:.1} MiB)",
        lines.saturating_sub(1),
        bytes as f64 / 1e6,
        mib(idle),
        mib(peak),
        mib(peak.saturating_sub(idle))
    );
}
