//! Liveness and readiness. Neither ever asks a source platform anything: a down
//! gateway shows in its importer's status, not by taking this pod out of rotation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

/// The process is alive and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "Health",
    responses((status = 200, description = "Alive", body = Object)))]
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The store is open and migrated and the scheduler is running.
#[utoipa::path(get, path = "/readyz", tag = "Health",
    responses((status = 200, description = "Ready", body = Object),
              (status = 503, description = "Not ready", body = Object)))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let store = state.store.ready().await;
    let scheduler = state.scheduler.is_running();
    match (store, scheduler) {
        (Ok(()), true) => (StatusCode::OK, Json(json!({"status": "ready"}))),
        (store, scheduler) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "not ready",
                "store": store.map(|_| "ok".to_owned()).unwrap_or_else(|e| e.to_string()),
                "scheduler": if scheduler { "running" } else { "stopped" },
            })),
        ),
    }
}

/// Prometheus metrics: runs by status, items by outcome, run durations, runs in
/// flight, traffic exchanges and shadow/stale operation counts (names in
/// `src/metrics.rs`).
#[utoipa::path(get, path = "/metrics", tag = "Health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    // The shadow-API gauges are worked out when scraped, so they are never stale.
    match super::inventory::shadow::report(&state).await {
        Ok(r) => crate::metrics::shadow(&r),
        Err(e) => tracing::warn!(error = %e.message, "Shadow-API gauges not updated."),
    }
    let importers = match state.store.importer_health().await {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "Per-importer gauges not read.");
            Vec::new()
        }
    };
    let body = crate::metrics::render(&importers);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        body,
    )
}
