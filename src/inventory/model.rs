//! Inventory objects as seed 001 shows them, field for field.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use apihub_connectors::wire_enum;

wire_enum! {
    /// How a definition got into the inventory.
    pub enum SourceMode {
        Provided => "Provided",
        Discovered => "Discovered",
        Imported => "Imported",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Source {
    pub mode: SourceMode,
    /// A label for where it came from: `manual-upload`, an importer type, ...
    pub origin: String,
}

/// Vulnerability counts by severity; `null` on a target until it is scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VulnerabilityCounts {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
    pub info: u32,
}

/// A key/value note on a target or operation. Keys starting with `apihub.` are
/// written by the daemon (`apihub.importerId`, `apihub.externalKey`,
/// `apihub.missingSince`) and cannot be set by users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Annotation {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DefinitionView {
    pub id: String,
    pub source: Source,
    /// `Openapi3`, `Openapi2`, `Genericapi`, `Graphql`, `Grpc`, `Raml`, `Wsdl`, `Wadl`.
    pub format: String,
    pub name: String,
    pub url: Option<String>,
    pub source_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkView {
    pub id: String,
    pub api_target_id: String,
    pub base_url: String,
    pub remote_target_id: String,
    pub remote_target_display_name: Option<String>,
    pub remote_target_additional_info: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub remote_target_scan_profile: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub remote_target_extra: Option<Value>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub alternative_urls: Vec<String>,
    pub definitions: Vec<DefinitionView>,
    pub definition_format: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    #[schema(value_type = String, format = DateTime)]
    pub modified_at: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_scanned: Option<String>,
    pub last_scan_status: Option<String>,
    pub operations_count: u32,
    pub is_hidden: bool,
    pub vulnerability_counts: Option<VulnerabilityCounts>,
    pub links: Vec<LinkView>,
    pub annotations: Vec<Annotation>,
    pub api_credential_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub endpoint: String,
    pub name: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_scanned: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub last_update: String,
    pub exclude_operation: bool,
    pub source: Source,
    pub vulnerability_counts: Option<VulnerabilityCounts>,
    pub annotations: Vec<Annotation>,
}

/// `GET /api-targets/{id}`: the target and its operations.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TargetDetail {
    pub target: TargetView,
    pub operations: Vec<OperationView>,
}

/// One page of `GET /api-targets`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetPage {
    pub targets: Vec<TargetView>,
    pub total_count: u64,
    /// Cursor of the next page, or `null` on the last one.
    pub next_page: Option<String>,
    /// Cursor of the previous page, or `null` on the first one.
    pub previous_page: Option<String>,
}

/// A link from an API target to a scan target of a DAST scanner.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinkRequest {
    #[schema(min_length = 1, pattern = r"\S")]
    pub api_target_id: String,
    /// The URL the DAST scan target scans (http or https, with a host).
    #[schema(max_length = 2048, pattern = r"^https?://[^/\s]\S*$")]
    pub base_url: String,
    /// 1-255 characters.
    #[schema(min_length = 1, max_length = 255, pattern = r"\S")]
    pub remote_target_id: String,
    #[serde(default)]
    pub remote_target_display_name: Option<String>,
    #[serde(default)]
    pub remote_target_additional_info: Option<String>,
    #[serde(default)]
    pub remote_target_scan_profile: Option<ScanProfile>,
    #[serde(default)]
    pub remote_target_extra: Option<RemoteTargetExtra>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScanProfile {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub remote_target_id: Option<String>,
    #[serde(default)]
    pub remote_target_uri: Option<String>,
    #[serde(default)]
    pub has_remote_target_id: Option<bool>,
}

wire_enum! {
    pub enum BusinessImpact {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RemoteTargetExtra {
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub environment_id: Option<String>,
    #[serde(default)]
    pub business_impact: Option<BusinessImpact>,
    #[serde(default)]
    pub target_type: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub collections: Vec<Value>,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub applications: Vec<Value>,
}
