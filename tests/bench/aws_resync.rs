//! Re-sync benchmark (issue 11.2): what source revisions save. A release daemon
//! syncs N REST APIs (default 200, one deployed stage each) from moto through a
//! recording proxy; then re-syncs with nothing changed; then again after
//! redeploying a tenth of them. Reported per run: `GetExport` calls, all calls, and
//! wall time, with the unchanged re-sync's time as a ratio of the first sync's
//! (the baseline from the same run).
//!
//! `cargo bench --bench aws_resync [-- --apis 200]` (moto from `tests/run.sh`, or
//! `APIHUB_MOTO_SERVER`).

use std::path::Path;
use std::time::Instant;

use apihub_connectors::testkit::moto::{self, ACCOUNT, Moto};
use apihub_connectors::testkit::server::ContractServer;
use serde_json::{Value, json};

#[path = "daemon.rs"]
mod daemon;

use daemon::Daemon;

const REGION: &str = "us-east-1";

struct Measured {
    label: &'static str,
    exports: usize,
    calls: usize,
    secs: f64,
    counts: Value,
}

#[tokio::main]
async fn main() {
    let mut apis = 200usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--apis" {
            apis = args.next().and_then(|n| n.parse().ok()).expect("--apis N");
        }
    }
    let Some(moto) = Moto::start(&[]).await else {
        eprintln!("moto is not installed; run tests/run.sh first");
        std::process::exit(1);
    };
    let mut ids = Vec::with_capacity(apis);
    for i in 0..apis {
        let ops = [
            ("get", "/items"),
            ("post", "/items"),
            ("get", "/items/{id}"),
        ];
        ids.push(moto::import(&moto, REGION, &format!("api-{i:04}"), &ops, &["prod"]).await);
    }
    let proxy = ContractServer::proxy(&moto.url).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let d = Daemon::start(
        Path::new(env!("CARGO_BIN_EXE_apihub-importer")),
        dir.path(),
        "",
    );
    let http = reqwest::Client::new();
    let id = d
        .create_importer(
            &http,
            &json!({"name": "aws", "type": "aws_api_gateway", "status": "active",
                    "parameters": {"accessKeyId": "AKIDBENCH", "secretAccessKey": "bench-secret-key",
                                   "organizationId": ACCOUNT, "regions": [REGION],
                                   "includeHttpApis": false, "endpointUrl": proxy.url,
                                   "maxRequestsPerSecond": 10}}),
        )
        .await;

    let mut measured = Vec::new();
    let mut seen = 0;
    let mut measure = async |label: &'static str, n: usize, started: Instant, trigger: bool| {
        if trigger {
            d.trigger(&http, &id).await;
        }
        let run = d.finished(&http, &id, n).await;
        let secs = started.elapsed().as_secs_f64();
        let log = proxy.requests();
        let new = &log[seen..];
        seen = log.len();
        measured.push(Measured {
            label,
            exports: new.iter().filter(|r| r.path.contains("/exports/")).count(),
            calls: new.len(),
            secs,
            counts: run["counts"].clone(),
        });
    };
    // Creating an active importer starts its first run.
    measure("first sync", 1, Instant::now(), false).await;
    measure("unchanged re-sync", 2, Instant::now(), true).await;
    let c = moto.v1(REGION).await;
    let tenth = apis.div_ceil(10);
    for api in ids.iter().take(tenth) {
        c.create_deployment()
            .rest_api_id(api)
            .stage_name("prod")
            .send()
            .await
            .expect("CreateDeployment");
    }
    measure("after redeploying a tenth", 3, Instant::now(), true).await;

    println!("\n{apis} REST APIs in moto, one stage each, through a recording proxy");
    println!(
        "{:<28} {:>8} {:>7} {:>9} {:>9} {:>10}",
        "run", "exports", "calls", "seconds", "vs first", "unchanged"
    );
    let first = measured[0].secs;
    for m in &measured {
        println!(
            "{:<28} {:>8} {:>7} {:>9.2} {:>8.2}x {:>10}",
            m.label,
            m.exports,
            m.calls,
            m.secs,
            m.secs / first,
            m.counts["unchanged"]
        );
    }
    let ok =
        measured[0].exports == apis && measured[1].exports == 0 && measured[2].exports == tenth;
    println!(
        "\nexports: {} then {} then {} (expected {apis}, 0, {tenth}): {}",
        measured[0].exports,
        measured[1].exports,
        measured[2].exports,
        if ok { "as expected" } else { "NOT as expected" }
    );
}
