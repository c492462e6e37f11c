//! Prometheus metrics of the sync engine, served at `/metrics`. Every name lives
//! here; labels are bounded (importer type, status, outcome), never ids or error
//! text.

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

const BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide recorder (installed on first use; several apps in one test
/// process share it).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(BUCKETS)
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
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
}
