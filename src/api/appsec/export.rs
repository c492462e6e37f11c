//! `POST /export`: vulnerabilities, assets, applications or collections as a CSV,
//! JSON or XML download, streamed from one database snapshot in flat memory (the
//! same writer and channel as the API Hub export). The list filters of the
//! exported type are query parameters; a filter of another type is a 400.

use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::AppState;
use crate::api::error::{ApiError, ErrorEnvelope};
use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::inventory::export::download;
use crate::appsec::AssetType;
use crate::inventory::export::{ExportFormat, Writer};
use crate::store::appsec::{AssetFilter, Export};

use super::vulnerabilities::{Operator, vulnerability_filter};

apihub_connectors::wire_enum! {
    /// What an Inventory API export holds.
    pub enum InventoryExportType {
        Vulnerabilities => "vulnerabilities",
        Assets => "assets",
        Applications => "applications",
        Collections => "collections",
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InventoryExportRequest {
    export_type: InventoryExportType,
    /// `csv`, `json` or `xml`.
    format: ExportFormat,
}

/// The list filters of the exported type (see each list).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct InventoryExportQuery {
    /// Vulnerabilities: comma list of severities.
    vulnerability_severities: Option<String>,
    /// Vulnerabilities: comma list of statuses.
    vulnerability_status: Option<String>,
    /// Vulnerabilities: only this asset's.
    asset_id: Option<String>,
    /// Vulnerabilities: a date or an RFC 3339 time.
    first_seen: Option<String>,
    #[param(value_type = Option<Operator>)]
    first_seen_operator: Option<Operator>,
    /// Vulnerabilities: a date or an RFC 3339 time.
    last_seen: Option<String>,
    #[param(value_type = Option<Operator>)]
    last_seen_operator: Option<Operator>,
    /// Assets: only this application's.
    application_id: Option<String>,
    /// Assets: `Target` or `Repository`.
    #[param(value_type = Option<AssetType>)]
    asset_type: Option<AssetType>,
    /// Assets: only the one at this URL.
    target_url: Option<String>,
    /// Assets: deleted ones too.
    include_deleted: Option<bool>,
}

/// CSV columns (JSON pointers into the exported object) and XML names.
fn shape(
    kind: InventoryExportType,
) -> (
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
) {
    match kind {
        InventoryExportType::Vulnerabilities => (
            &[
                "id",
                "assetId",
                "name",
                "status",
                "severity",
                "confirmed",
                "firstSeen",
                "lastSeen",
                "dastUrl",
                "dastMethod",
                "dastParameter",
                "tags",
            ],
            &[
                "/id",
                "/assetId",
                "/name",
                "/status",
                "/severity",
                "/confirmed",
                "/firstSeen",
                "/lastSeen",
                "/dast/url",
                "/dast/method",
                "/dast/parameter",
                "/tags",
            ],
            "vulnerability",
        ),
        InventoryExportType::Assets => (
            &[
                "id",
                "organizationId",
                "assetType",
                "name",
                "targetUrl",
                "tags",
                "applicationIds",
                "deleted",
            ],
            &[
                "/id",
                "/organizationId",
                "/assetType",
                "/name",
                "/targetUrl",
                "/tags",
                "/applicationIds",
                "/deleted",
            ],
            "asset",
        ),
        InventoryExportType::Applications => (
            &[
                "id",
                "organizationId",
                "name",
                "description",
                "tags",
                "assetIds",
                "collectionIds",
                "targets",
                "repositories",
            ],
            &[
                "/id",
                "/organizationId",
                "/name",
                "/description",
                "/tags",
                "/assetIds",
                "/collectionIds",
                "/assetCounts/targets",
                "/assetCounts/repositories",
            ],
            "application",
        ),
        InventoryExportType::Collections => (
            &[
                "id",
                "organizationId",
                "name",
                "description",
                "collectionType",
                "tags",
                "createdAt",
                "updatedAt",
            ],
            &[
                "/id",
                "/organizationId",
                "/name",
                "/description",
                "/collectionType",
                "/tags",
                "/createdAt",
                "/updatedAt",
            ],
            "collection",
        ),
    }
}

/// Refuses the filters the exported type does not have.
fn only(kind: InventoryExportType, given: &[(&str, bool)]) -> Result<(), ApiError> {
    match given.iter().find(|(_, set)| *set) {
        Some((name, _)) => Err(ApiError::invalid(
            *name,
            format!("does not filter a `{kind}` export"),
        )),
        None => Ok(()),
    }
}

fn what(kind: InventoryExportType, q: InventoryExportQuery) -> Result<Export, ApiError> {
    let vulnerability_filters = [
        (
            "vulnerabilitySeverities",
            q.vulnerability_severities.is_some(),
        ),
        ("vulnerabilityStatus", q.vulnerability_status.is_some()),
        ("assetId", q.asset_id.is_some()),
        ("firstSeen", q.first_seen.is_some()),
        ("firstSeenOperator", q.first_seen_operator.is_some()),
        ("lastSeen", q.last_seen.is_some()),
        ("lastSeenOperator", q.last_seen_operator.is_some()),
    ];
    let asset_filters = [
        ("applicationId", q.application_id.is_some()),
        ("assetType", q.asset_type.is_some()),
        ("targetUrl", q.target_url.is_some()),
        ("includeDeleted", q.include_deleted.is_some()),
    ];
    Ok(match kind {
        InventoryExportType::Vulnerabilities => {
            only(kind, &asset_filters)?;
            Export::Vulnerabilities(vulnerability_filter(
                q.vulnerability_severities.as_deref(),
                q.vulnerability_status.as_deref(),
                q.asset_id,
                (q.first_seen.as_deref(), q.first_seen_operator),
                (q.last_seen.as_deref(), q.last_seen_operator),
            )?)
        }
        InventoryExportType::Assets => {
            only(kind, &vulnerability_filters)?;
            Export::Assets(AssetFilter {
                application_id: q.application_id,
                asset_type: q.asset_type,
                target_url: q.target_url,
                include_deleted: q.include_deleted.unwrap_or(false),
            })
        }
        InventoryExportType::Applications | InventoryExportType::Collections => {
            only(kind, &vulnerability_filters)?;
            only(kind, &asset_filters)?;
            if kind == InventoryExportType::Applications {
                Export::Applications
            } else {
                Export::Collections
            }
        }
    })
}

/// Export vulnerabilities, assets, applications or collections as a file.
#[utoipa::path(post, path = "/export", tag = "Export", request_body = InventoryExportRequest, params(InventoryExportQuery),
    responses((status = 200, description = "The file (Content-Disposition: attachment)",
        content((String = "text/csv"), (Vec<Object> = "application/json"), (String = "application/xml"))),
              (status = 400, description = "Bad exportType, format or filter", body = ErrorEnvelope)))]
pub async fn export_inventory(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<InventoryExportQuery>,
    ApiJson(req): ApiJson<InventoryExportRequest>,
) -> Result<Response, ApiError> {
    let kind = req.export_type;
    let export = what(kind, q)?;
    let (columns, pointers, item) = shape(kind);
    let writer = Writer::shaped(req.format, columns, kind.as_str(), item);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let file = format!("inventory-{kind}-{stamp}.{}", req.format);
    let store = state.store.clone();
    let org = state.org();
    Ok(download(
        writer,
        pointers,
        req.format,
        file,
        move |sink| async move { store.export_appsec(org, export, sink).await },
    ))
}
