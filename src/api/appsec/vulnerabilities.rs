//! Vulnerabilities: findings on assets, filtered by severity, status, asset and
//! first/last seen; a bulk status change that is all or nothing; and the import
//! of a scanner's SARIF 2.1.0 log (`appsec::sarif` says where each field comes
//! from).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::header;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::AppState;
use crate::api::error::{ApiError, ErrorEnvelope};
use crate::api::extract::{ApiJson, ApiQuery, body_error};
use crate::appsec::rules;
use crate::appsec::{Severity, Vulnerability, VulnerabilityPage, VulnerabilityStatus};
use crate::inventory::filter::{TimeRange, parse_time_filter};
use crate::store::appsec::{ImportSummary, VulnerabilityFilter};

apihub_connectors::wire_enum! {
    /// How `firstSeen` / `lastSeen` compare (any letter case).
    pub enum Operator {
        Eq => "eq",
        Gt => "gt",
        Gte => "gte",
        Lt => "lt",
        Lte => "lte",
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct VulnerabilityQuery {
    /// Comma list of severities (`critical`, `high`, `medium`, `low`, `info`; any
    /// letter case), e.g. `Critical,High`.
    vulnerability_severities: Option<String>,
    /// Comma list of statuses (`open`, `fixed`, `fixedUnconfirmed`,
    /// `falsePositive`, `ignored`, `reDiscovered`, `notChecked`, `notFound`).
    vulnerability_status: Option<String>,
    /// Only the findings of this asset.
    asset_id: Option<String>,
    /// A date (`2025-11-13`, the whole UTC day) or an RFC 3339 time.
    first_seen: Option<String>,
    /// How `firstSeen` compares; default `gte`.
    #[param(value_type = Option<Operator>)]
    first_seen_operator: Option<Operator>,
    /// A date or an RFC 3339 time.
    last_seen: Option<String>,
    /// How `lastSeen` compares; default `lte`.
    #[param(value_type = Option<Operator>)]
    last_seen_operator: Option<Operator>,
    /// Items per page, 1-500; default 20.
    #[param(minimum = 1, maximum = 500)]
    page_size: Option<u32>,
    /// Which page, from 1; default 1. A page past the end is empty.
    #[param(minimum = 1, maximum = 10_000_000)]
    page_number: Option<u32>,
}

/// A comma list of enum values (spaces around items allowed); an empty item or
/// an unknown value names the parameter.
fn enum_list<T: std::str::FromStr<Err = String>>(
    field: &str,
    raw: Option<&str>,
) -> Result<Vec<T>, ApiError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(|s| s.trim_matches(' '))
        .map(|s| {
            if s.is_empty() {
                Err(ApiError::invalid(field, "an empty item in the comma list"))
            } else {
                s.parse::<T>().map_err(|e| ApiError::invalid(field, e))
            }
        })
        .collect()
}

fn time_filter(
    field: &str,
    value: Option<&str>,
    op: Option<Operator>,
    default: Operator,
) -> Result<Option<TimeRange>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    if value.trim() != value || crate::clock::parse_ms(value).is_none() {
        return Err(ApiError::invalid(
            field,
            format!("`{value}` is not a date (YYYY-MM-DD) or an RFC 3339 time"),
        ));
    }
    let symbol = match op.unwrap_or(default) {
        Operator::Eq => "=",
        Operator::Gt => ">",
        Operator::Gte => ">=",
        Operator::Lt => "<",
        Operator::Lte => "<=",
    };
    Ok(Some(parse_time_filter(field, &format!("{symbol}{value}"))?))
}

/// The filter the list's query parameters (and the export's) describe.
pub(super) fn vulnerability_filter(
    severities: Option<&str>,
    statuses: Option<&str>,
    asset_id: Option<String>,
    first_seen: (Option<&str>, Option<Operator>),
    last_seen: (Option<&str>, Option<Operator>),
) -> Result<VulnerabilityFilter, ApiError> {
    Ok(VulnerabilityFilter {
        severities: enum_list::<Severity>("vulnerabilitySeverities", severities)?,
        statuses: enum_list::<VulnerabilityStatus>("vulnerabilityStatus", statuses)?,
        asset_id,
        first_seen: time_filter("firstSeen", first_seen.0, first_seen.1, Operator::Gte)?,
        last_seen: time_filter("lastSeen", last_seen.0, last_seen.1, Operator::Lte)?,
    })
}

/// List vulnerabilities (of live assets), oldest first.
#[utoipa::path(get, path = "/vulnerabilities", tag = "Vulnerabilities", params(VulnerabilityQuery),
    responses((status = 200, description = "A page of vulnerabilities", body = VulnerabilityPage)))]
pub async fn list_vulnerabilities(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<VulnerabilityQuery>,
) -> Result<Json<VulnerabilityPage>, ApiError> {
    let page = rules::paging(q.page_size, q.page_number)?;
    let filter = vulnerability_filter(
        q.vulnerability_severities.as_deref(),
        q.vulnerability_status.as_deref(),
        q.asset_id,
        (q.first_seen.as_deref(), q.first_seen_operator),
        (q.last_seen.as_deref(), q.last_seen_operator),
    )?;
    let (items, total) = state.store.list_vulnerabilities(filter, page).await?;
    Ok(Json(VulnerabilityPage {
        items,
        page_info: page.info(total),
    }))
}

/// Get one vulnerability.
#[utoipa::path(get, path = "/vulnerabilities/{vulnerabilityId}", tag = "Vulnerabilities",
    params(("vulnerabilityId" = String, Path, description = "Vulnerability id")),
    responses((status = 200, description = "The vulnerability", body = Vulnerability)))]
pub async fn get_vulnerability(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vulnerability>, ApiError> {
    state
        .store
        .get_vulnerability(id.clone())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("vulnerability", &id))
}

/// A bulk status change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StatusChange {
    /// 1-1000 vulnerability ids; every one must exist, or nothing changes.
    #[schema(min_items = 1, max_items = 1000)]
    ids: Vec<String>,
    new_status: VulnerabilityStatus,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChanged {
    /// How many vulnerabilities now have the new status.
    updated: u64,
}

/// Change the status of several vulnerabilities at once: all of them, or (an
/// unknown id, a bad value) none.
#[utoipa::path(patch, path = "/vulnerabilities", tag = "Vulnerabilities", request_body = StatusChange,
    responses((status = 200, description = "Changed", body = StatusChanged)))]
pub async fn change_status(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<StatusChange>,
) -> Result<Json<StatusChanged>, ApiError> {
    if req.ids.is_empty() || req.ids.len() > 1000 {
        return Err(ApiError::invalid(
            "ids",
            "must list 1-1000 vulnerability ids",
        ));
    }
    let ids = rules::ids("ids", req.ids)?;
    let updated = state
        .store
        .set_vulnerability_status(ids, req.new_status)
        .await?;
    Ok(Json(StatusChanged { updated }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Record every result against this asset (for example a `Repository` for a
    /// code scanner's log). Without it each result's URL finds its `Target` asset
    /// (the longest `targetUrl` it starts with), created for the URL's origin when
    /// none matches.
    asset_id: Option<String>,
}

/// Import a scanner's SARIF 2.1.0 log (for example OWASP ZAP's or Nuclei's): its
/// results become vulnerabilities, deduplicated by fingerprint. Invalid SARIF is a
/// 400 naming the first problem, and nothing is imported.
#[utoipa::path(post, path = "/vulnerabilities/import", tag = "Vulnerabilities", params(ImportQuery),
    request_body(content = Object, content_type = "application/sarif+json",
        description = "A SARIF 2.1.0 log (`application/sarif+json` or `application/json`)"),
    responses((status = 200, description = "What the import did", body = ImportSummary),
              (status = 413, description = "Larger than `normalize.max_input_bytes`", body = ErrorEnvelope),
              (status = 415, description = "The body is not JSON", body = ErrorEnvelope)))]
pub async fn import_sarif(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    request: Request,
) -> Result<Json<ImportSummary>, ApiError> {
    let json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"));
    if !json {
        return Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be a SARIF log with `Content-Type: application/sarif+json` (or `application/json`)",
        ));
    }
    let bytes = Bytes::from_request(request, &state)
        .await
        .map_err(body_error)?;
    let runs =
        crate::appsec::sarif::read(&bytes).map_err(|e| ApiError::invalid(e.path, e.message))?;
    let summary = state
        .store
        .import_scan(runs, q.asset_id, state.clock.now_ms())
        .await?;
    Ok(Json(summary))
}
