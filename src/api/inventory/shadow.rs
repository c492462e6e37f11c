//! `GET /api/apihub/v1/inventory/shadow-apis`: what traffic shows that no imported
//! definition documents (shadow APIs), and what definitions document that traffic
//! has not shown within an importer's `retentionDays` (stale). Worked out at
//! request time from the stored observations, with the templates the next
//! reconstruction run would learn, against the inventory as it is now.

use apihub_connectors::ImporterType;
use apihub_connectors::nad::shadow::{Finding, compare};
use apihub_connectors::nad::template::learn;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::AppState;
use crate::api::error::{ApiError, ErrorEnvelope};

const DEFAULT_RETENTION_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

/// The shadow-API report over every `invicti_nad_agent` importer.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ShadowReport {
    /// Operations seen in traffic that no imported definition on the same origin
    /// and base path documents.
    pub undocumented: Vec<ShadowOperation>,
    /// Operations not seen in traffic within the importer's `retentionDays`:
    /// documented ones (with `documentedBy`) and undocumented ones traffic
    /// stopped showing.
    pub stale: Vec<ShadowOperation>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShadowOperation {
    /// The `invicti_nad_agent` importer whose traffic this is about.
    pub importer_id: String,
    /// `scheme://host[:port]`.
    #[schema(example = "https://shop.example.com")]
    pub origin: String,
    #[schema(example = "GET")]
    pub method: String,
    /// Path template, as in the reconstructed definition.
    #[schema(example = "/orders/{orderId}")]
    pub path: String,
    /// The target whose definition documents it (stale operations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documented_by: Option<String>,
    /// When traffic last showed it (RFC 3339), if ever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
}

fn tagged(importer_id: &str, findings: Vec<Finding>) -> impl Iterator<Item = ShadowOperation> + '_ {
    findings.into_iter().map(move |f| ShadowOperation {
        importer_id: importer_id.to_owned(),
        origin: f.origin,
        method: f.method,
        path: f.path,
        documented_by: f.documented_by,
        last_seen: f.last_seen,
    })
}

/// The report at this moment.
pub async fn report(state: &AppState) -> Result<ShadowReport, ApiError> {
    let importers = state.store.list_importers().await?;
    let now = state.clock.now_ms();
    let mut out = ShadowReport::default();
    for (importer_id, observed) in state.store.all_traffic().await? {
        let Some(row) = importers
            .iter()
            .find(|r| r.id == importer_id && r.kind == Some(ImporterType::InvictiNadAgent))
        else {
            continue;
        };
        let retention_days = row
            .parameters
            .get("retentionDays")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(DEFAULT_RETENTION_DAYS);
        let observed = learn(observed);
        let mut origins: Vec<String> = observed.iter().map(|o| o.origin.clone()).collect();
        origins.sort();
        origins.dedup();
        let documented = state.store.documented_operations(origins).await?;
        let r = compare(&observed, &documented, retention_days * DAY_MS, now);
        out.undocumented
            .extend(tagged(&importer_id, r.undocumented));
        out.stale.extend(tagged(&importer_id, r.stale));
    }
    Ok(out)
}

/// Shadow and stale APIs, from the traffic `invicti_nad_agent` importers saw.
#[utoipa::path(get, path = "/shadow-apis", tag = "API Targets",
    responses((status = 200, description = "The report", body = ShadowReport),
              (status = 401, description = "Missing or wrong API token", body = ErrorEnvelope)))]
pub async fn shadow_apis(State(state): State<AppState>) -> Result<Json<ShadowReport>, ApiError> {
    let r = report(&state).await?;
    crate::metrics::shadow(&r);
    Ok(Json(r))
}
