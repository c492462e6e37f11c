//! An importer's run history (`GET /importers/{id}/runs`): the store's run records
//! as the API shows them.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ErrorEnvelope};
use super::extract::ApiQuery;
use crate::clock::format_ms;
use crate::run::{RunCounts, RunStatus, RunTrigger};
use crate::store::{RunHistory, RunRecord};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1-100 (default 20).
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// `0` or absent for the first page, then the previous response's `nextPage`.
    #[serde(default)]
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit {
            None => Ok(20),
            Some(n @ 1..=100) => Ok(n),
            Some(_) => Err(ApiError::invalid("limit", "must be between 1 and 100")),
        }
    }
}

/// One run of an importer.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunView {
    pub run_id: String,
    pub importer_id: String,
    pub trigger: RunTrigger,
    pub status: RunStatus,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<String>,
    pub counts: RunCounts,
    pub fail_reason: Option<String>,
    /// Per-item notes: `{externalKey, name, outcome, message}`.
    #[schema(value_type = Vec<crate::run::ItemNote>)]
    pub items: Value,
}

impl From<RunRecord> for RunView {
    fn from(r: RunRecord) -> Self {
        RunView {
            run_id: r.run_id,
            importer_id: r.importer_id,
            trigger: r.trigger,
            status: r.status,
            started_at: format_ms(r.started_at),
            finished_at: r.finished_at.map(format_ms),
            counts: r.counts,
            fail_reason: r.fail_reason,
            items: r.items,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunPage {
    pub runs: Vec<RunView>,
    pub total_count: u64,
    /// Cursor of the next page, or `null` on the last one.
    pub next_page: Option<String>,
}

impl From<RunHistory> for RunPage {
    fn from(h: RunHistory) -> Self {
        RunPage {
            runs: h.runs.into_iter().map(RunView::from).collect(),
            total_count: h.total_count,
            next_page: h.next_page,
        }
    }
}

/// Run history of an importer, newest first.
#[utoipa::path(get, path = "/{importerId}/runs", tag = "Importers",
    params(("importerId" = String, Path, description = "Importer id"), PageQuery),
    responses((status = 200, description = "One page of runs", body = RunPage),
              (status = 400, description = "Bad limit or cursor", body = ErrorEnvelope),
              (status = 404, description = "Unknown id", body = ErrorEnvelope)))]
pub async fn list_runs(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<RunPage>, ApiError> {
    let limit = q.limit()?;
    if state.store.get_importer(&id).await?.is_none() {
        return Err(ApiError::not_found("importer", &id));
    }
    let history = state
        .store
        .list_runs(&id, limit, q.cursor.as_deref())
        .await?;
    Ok(Json(history.into()))
}
