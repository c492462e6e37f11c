//! Prometheus metrics, served at `/metrics`. Every name lives here; labels are
//! bounded (importer type, status, outcome, route templates), never error text or
//! request paths. The per-importer gauges carry the importer's id and name (one
//! series per importer, as many as the operator made) and are written from the
//! store at each scrape, so a deleted importer's series goes with it.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Runs finished, by `type` and `status` (Completed / Failed).
pub const RUNS_TOTAL: &str = "apihub_sync_runs_total";
/// Items processed, by `type` and `outcome` (created, updated, unchanged,
/// skipped_empty, skipped, failed).
pub const ITEMS_TOTAL: &str = "apihub_sync_items_total";
/// Targets of an importer the source stopped listing, counted at each run, by `type`.
pub const MISSING_TOTAL: &str = "apihub_sync_missing_total";
/// Run duration in seconds, by `type`.
pub const RUN_DURATION: &str = "apihub_sync_run_duration_seconds";
/// Runs in progress (including those waiting for a free slot).
pub const RUNS_IN_FLIGHT: &str = "apihub_sync_runs_in_flight";

/// Exchanges pushed by traffic agents, by `outcome` (accepted, rejected, ignored).
pub const TRAFFIC_EXCHANGES_TOTAL: &str = "apihub_nad_exchanges_total";
/// Operations seen in traffic that no imported definition documents.
pub const UNDOCUMENTED_OPERATIONS: &str = "apihub_nad_undocumented_operations";
/// Documented operations traffic has not shown within the retention window.
pub const STALE_OPERATIONS: &str = "apihub_nad_stale_operations";

/// Counts one traffic batch.
pub fn traffic(receipt: &crate::api::traffic::TrafficReceipt) {
    for (outcome, n) in [
        ("accepted", receipt.accepted),
        ("rejected", receipt.rejected),
        ("ignored", receipt.ignored),
    ] {
        metrics::counter!(TRAFFIC_EXCHANGES_TOTAL, "outcome" => outcome).increment(n as u64);
    }
}

/// Sets the shadow-API gauges from a report.
pub fn shadow(report: &crate::api::inventory::shadow::ShadowReport) {
    metrics::gauge!(UNDOCUMENTED_OPERATIONS).set(report.undocumented.len() as f64);
    metrics::gauge!(STALE_OPERATIONS).set(report.stale.len() as f64);
}

/// The build: `version` and `commit` labels, value 1.
pub const BUILD_INFO: &str = "apihub_build_info";
/// HTTP requests answered, by `method`, `route` (the matched template) and `status`.
pub const HTTP_REQUESTS_TOTAL: &str = "apihub_http_requests_total";
/// HTTP request latency in seconds, by `method` and `route`.
pub const HTTP_REQUEST_DURATION: &str = "apihub_http_request_duration_seconds";
/// When each importer last finished a run without failing (Unix seconds).
pub const LAST_SUCCESS: &str = "apihub_importer_last_success_timestamp_seconds";
/// 1 when an importer's last run completed, 0 when it failed (absent before its
/// first run).
pub const LAST_RUN_STATUS: &str = "apihub_importer_last_run_status";

const BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];
const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The version and commit this binary was built from.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const COMMIT: &str = env!("APIHUB_GIT_COMMIT");
pub const BUILD_DATE: &str = env!("APIHUB_BUILD_DATE");

static PROCESS: OnceLock<metrics_process::Collector> = OnceLock::new();

/// Counts one answered request (`route` is the matched path template).
pub fn http_request(method: &str, route: &str, status: u16, seconds: f64) {
    metrics::counter!(HTTP_REQUESTS_TOTAL, "method" => method.to_owned(), "route" => route.to_owned(),
        "status" => status.to_string())
    .increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION, "method" => method.to_owned(), "route" => route.to_owned())
        .record(seconds);
}

/// One importer's state for the per-importer gauges.
pub struct ImporterHealth {
    pub id: String,
    pub name: String,
    pub kind: Option<&'static str>,
    /// `Some(true)` when the last run completed, `Some(false)` when it failed.
    pub last_run_ok: Option<bool>,
    /// Epoch milliseconds.
    pub last_success_at: Option<i64>,
}

/// The exposition text: the recorder's metrics, the process's, and the
/// per-importer gauges.
pub fn render(importers: &[ImporterHealth]) -> String {
    if let Some(p) = PROCESS.get() {
        p.collect();
    }
    let mut out = handle().map(|h| h.render()).unwrap_or_default();
    let labels = |i: &ImporterHealth| {
        format!(
            "importer=\"{}\",name=\"{}\",type=\"{}\"",
            escape(&i.id),
            escape(&i.name),
            i.kind.unwrap_or("")
        )
    };
    let mut success = format!(
        "# HELP {LAST_SUCCESS} When the importer last finished a run without failing (Unix time).\n# TYPE {LAST_SUCCESS} gauge\n"
    );
    let mut status = format!(
        "# HELP {LAST_RUN_STATUS} 1 when the importer's last run completed, 0 when it failed.\n# TYPE {LAST_RUN_STATUS} gauge\n"
    );
    for i in importers {
        if let Some(at) = i.last_success_at {
            success.push_str(&format!(
                "{LAST_SUCCESS}{{{}}} {}\n",
                labels(i),
                at as f64 / 1000.0
            ));
        }
        if let Some(ok) = i.last_run_ok {
            status.push_str(&format!(
                "{LAST_RUN_STATUS}{{{}}} {}\n",
                labels(i),
                u8::from(ok)
            ));
        }
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&success);
    out.push_str(&status);
    out
}

/// A label value in the text format: `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide recorder (installed on first use; several apps in one test
/// process share it).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .ok()?
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(HTTP_REQUEST_DURATION.to_owned()),
                    HTTP_BUCKETS,
                )
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            let process = metrics_process::Collector::default();
            process.describe();
            let _ = PROCESS.set(process);
            metrics::gauge!(BUILD_INFO, "version" => VERSION, "commit" => COMMIT).set(1.0);
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    metrics::describe_counter!(RUNS_TOTAL, "Importer runs finished, by type and status.");
    metrics::describe_counter!(
        ITEMS_TOTAL,
        "API definitions processed, by importer type and outcome."
    );
    metrics::describe_counter!(
        MISSING_TOTAL,
        "Targets no longer listed by their source, counted at each run."
    );
    metrics::describe_histogram!(
        RUN_DURATION,
        metrics::Unit::Seconds,
        "Importer run duration."
    );
    metrics::describe_counter!(
        TRAFFIC_EXCHANGES_TOTAL,
        "Exchanges pushed by traffic agents, by outcome."
    );
    metrics::describe_gauge!(
        UNDOCUMENTED_OPERATIONS,
        "Operations seen in traffic that no imported definition documents (shadow APIs)."
    );
    metrics::describe_gauge!(
        STALE_OPERATIONS,
        "Documented operations not seen in traffic within the retention window."
    );
    metrics::describe_gauge!(
        RUNS_IN_FLIGHT,
        "Importer runs in progress or waiting for a slot."
    );
    metrics::describe_gauge!(
        BUILD_INFO,
        "The version and commit of this build (value 1)."
    );
    metrics::describe_counter!(
        HTTP_REQUESTS_TOTAL,
        "HTTP requests answered, by method, route template and status."
    );
    metrics::describe_histogram!(
        HTTP_REQUEST_DURATION,
        metrics::Unit::Seconds,
        "HTTP request latency, by method and route template."
    );
}
