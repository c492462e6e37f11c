//! Inventory API objects as seed 002 shows them. Enum spellings are the seed's
//! (`Target`, `BusinessUnit`, `medium`, `fixedUnconfirmed`); requests accept any
//! letter case.

use serde::Serialize;
use utoipa::ToSchema;

use apihub_connectors::wire_enum;

wire_enum! {
    /// What an asset is.
    pub enum AssetType {
        Target => "Target",
        Repository => "Repository",
    }
}

wire_enum! {
    /// What a collection groups applications by.
    pub enum CollectionType {
        BusinessUnit => "BusinessUnit",
        ProductFamily => "ProductFamily",
        Region => "Region",
        Team => "Team",
        Other => "Other",
    }
}

wire_enum! {
    /// Where a vulnerability stands.
    pub enum VulnerabilityStatus {
        /// Active and unresolved.
        Open => "open",
        /// Remediated and confirmed fixed.
        Fixed => "fixed",
        /// Marked fixed, not yet verified by a scan.
        FixedUnconfirmed => "fixedUnconfirmed",
        /// Identified as a false positive.
        FalsePositive => "falsePositive",
        /// Acknowledged, not being actioned.
        Ignored => "ignored",
        /// Fixed before, found again by a later scan.
        ReDiscovered => "reDiscovered",
        /// Not checked yet.
        NotChecked => "notChecked",
        /// Not found by the most recent scan.
        NotFound => "notFound",
    }
}

wire_enum! {
    /// How bad a vulnerability is.
    pub enum Severity {
        Critical => "critical",
        High => "high",
        Medium => "medium",
        Low => "low",
        Info => "info",
    }
}

/// Paging of every list: `pageNumber` starts at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub total_count: u64,
    pub page_size: u32,
    pub current_page: u32,
    pub total_pages: u64,
}

/// How many assets of each type an application has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct AssetCounts {
    pub targets: u64,
    pub repositories: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub id: String,
    pub organization_id: String,
    pub collection_ids: Vec<String>,
    pub asset_ids: Vec<String>,
    pub name: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// Only when the list is asked `includeAssetCounts=true` (always on one
    /// application).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset_counts: Option<AssetCounts>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Asset {
    pub id: String,
    pub organization_id: String,
    pub application_ids: Vec<String>,
    pub asset_type: AssetType,
    pub name: String,
    pub target_url: Option<String>,
    pub tags: Vec<String>,
    /// Deleted assets are kept (their findings too) and hidden from lists unless
    /// asked `includeDeleted=true`.
    pub deleted: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub description: Option<String>,
    pub collection_type: CollectionType,
    pub tags: Vec<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationPage {
    pub items: Vec<Application>,
    #[serde(rename = "pageInfo")]
    pub page_info: PageInfo,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssetPage {
    pub items: Vec<Asset>,
    #[serde(rename = "pageInfo")]
    pub page_info: PageInfo,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CollectionPage {
    pub items: Vec<Collection>,
    #[serde(rename = "pageInfo")]
    pub page_info: PageInfo,
}

/// Where a DAST finding was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Dast {
    pub url: Option<String>,
    /// The HTTP method, when the scanner recorded the request.
    pub method: Option<String>,
    /// The parameter at fault; `""` when the scanner names none.
    pub parameter: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Vulnerability {
    pub id: String,
    pub asset_id: String,
    pub name: String,
    pub status: VulnerabilityStatus,
    pub severity: Severity,
    pub confirmed: bool,
    /// RFC 3339, UTC: the first and the latest scan that reported it.
    pub first_seen: String,
    pub last_seen: String,
    pub dast: Dast,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VulnerabilityPage {
    pub items: Vec<Vulnerability>,
    #[serde(rename = "pageInfo")]
    pub page_info: PageInfo,
}
