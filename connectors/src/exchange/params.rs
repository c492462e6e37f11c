//! Parameters of an `anypoint_exchange` importer: a connected app (client
//! credentials) and which business group's assets to read. These are the seed's
//! own example parameters (`clientId`, `clientSecret`, `organizationId`).

use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::descriptor::Parameters;
use crate::fields::FieldError;
use crate::params::{Secret, non_empty, string_list, whole_opt};
use crate::registry::Environment;

crate::wire_enum! {
    /// The Anypoint control plane.
    pub enum Region {
        Us => "us",
        Eu1 => "eu1",
        Gov => "gov",
        Ca1 => "ca1",
        Jp1 => "jp1",
    }
}

impl Region {
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Us => "https://anypoint.mulesoft.com",
            Region::Eu1 => "https://eu1.anypoint.mulesoft.com",
            Region::Gov => "https://gov.anypoint.mulesoft.com",
            Region::Ca1 => "https://ca1.platform.mulesoft.com",
            Region::Jp1 => "https://jp1.platform.mulesoft.com",
        }
    }
}

/// Asset types imported by default.
pub const DEFAULT_TYPES: [&str; 4] = ["rest-api", "soap-api", "graphql-api", "http-api"];

/// `parameters` of an `anypoint_exchange` importer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AnypointExchangeParameters {
    /// A connected app that acts on its own behalf (scope Exchange Viewer).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(min_length = 1, pattern = r"^\S+$")]
    pub client_id: Option<String>,
    /// The connected app's secret.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// The business group to import (default: the connected app's own).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(min_length = 1, pattern = r"^[A-Za-z0-9-]+$")]
    pub organization_id: Option<String>,
    /// Also the child business groups of `organizationId` (default false).
    #[serde(default)]
    pub include_child_business_groups: Option<bool>,
    /// `us` (default), `eu1`, `gov`, `ca1` or `jp1`: the control-plane host.
    #[serde(default)]
    pub region: Option<Region>,
    /// Overrides the Anypoint base URL (default from `region`).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(
        pattern = r"^https?://[A-Za-z0-9.-]+(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]*)?$"
    )]
    pub base_url: Option<String>,
    /// Exchange asset types to import (default `rest-api`, `soap-api`,
    /// `graphql-api`, `http-api`).
    #[serde(default, deserialize_with = "string_list")]
    #[schema(value_type = Option<Vec<String>>, min_items = 1)]
    pub types: Option<Vec<String>>,
    /// Only the newest version of each asset (default true).
    #[serde(default)]
    pub latest_only: Option<bool>,
    /// Calls per second, 1-100 (default 10).
    #[serde(default, deserialize_with = "whole_opt")]
    #[schema(minimum = 1, maximum = 100)]
    pub max_requests_per_second: Option<u32>,
}

impl AnypointExchangeParameters {
    pub fn types(&self) -> Vec<String> {
        self.types
            .clone()
            .unwrap_or_else(|| DEFAULT_TYPES.iter().map(|t| (*t).to_owned()).collect())
    }
}

impl Parameters for AnypointExchangeParameters {
    fn check(&self, _: &Environment) -> Result<(), FieldError> {
        for (name, missing) in [
            ("clientId", self.client_id.is_none()),
            ("clientSecret", self.client_secret.is_none()),
        ] {
            if missing {
                return Err(FieldError::param(name, "is required"));
            }
        }
        if let Some(u) = &self.base_url
            && crate::params::check_http_url("baseUrl", u)?
                .query()
                .is_some()
        {
            return Err(FieldError::param("baseUrl", "must not have a query"));
        }
        if let Some(t) = &self.types
            && (t.is_empty()
                || t.iter().any(|x| {
                    x.is_empty() || !x.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                }))
        {
            return Err(FieldError::param(
                "types",
                "must be Exchange asset types such as rest-api or soap-api",
            ));
        }
        if self
            .max_requests_per_second
            .is_some_and(|n| !(1..=100).contains(&n))
        {
            return Err(FieldError::param("maxRequestsPerSecond", "must be 1-100"));
        }
        Ok(())
    }

    fn schema_rules() -> Option<Value> {
        Some(json!({
            "properties": {"types": {"items": {"type": "string", "pattern": "^[a-z-]+$"}}},
            "allOf": [{"required": ["clientId", "clientSecret"]}],
        }))
    }

    fn example() -> Value {
        json!({"clientId": "0123456789abcdef0123456789abcdef", "clientSecret": "example-client-secret",
               "organizationId": "6a8e4b2c-1d3f-4e5a-9b7c-0d1e2f3a4b5c"})
    }
}
