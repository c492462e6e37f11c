//! Parameters of a `kong` importer. The seed's generic `clientId`, `clientSecret`
//! and `organizationId` mean nothing to Kong and are refused as unknown fields.

use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::descriptor::Parameters;
use crate::fields::FieldError;
use crate::params::{Secret, non_empty, string_list, whole_opt};
use crate::registry::Environment;

crate::wire_enum! {
    /// Which Kong API the importer reads.
    pub enum Mode {
        Admin => "admin",
        Konnect => "konnect",
    }
}

crate::wire_enum! {
    /// Konnect's regional API hosts (`https://<region>.api.konghq.com`).
    pub enum Region {
        Us => "us",
        Eu => "eu",
        Au => "au",
        Me => "me",
        In => "in",
    }
}

crate::wire_enum! {
    /// Where Konnect definitions come from.
    pub enum Source {
        Auto => "auto",
        Catalog => "catalog",
        Gateway => "gateway",
    }
}

/// `parameters` of a `kong` importer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KongParameters {
    /// `admin` (default: a Kong Gateway Admin API) or `konnect`.
    #[serde(default)]
    pub mode: Option<Mode>,
    /// The Admin API, e.g. `http://kong:8001` (a path prefix is kept); required in
    /// admin mode.
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(
        pattern = r"^https?://[A-Za-z0-9.-]+(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]*)?$"
    )]
    pub admin_url: Option<String>,
    /// RBAC token of Kong Enterprise, sent as `Kong-Admin-Token`.
    #[serde(default)]
    pub admin_token: Option<Secret>,
    /// Enterprise workspaces (default `["default"]`); `["*"]` is every workspace
    /// `GET /workspaces` lists.
    #[serde(default, deserialize_with = "string_list")]
    #[schema(value_type = Option<Vec<String>>, min_items = 1)]
    pub workspaces: Option<Vec<String>>,
    /// The URL clients call the gateway on; with the routes' hosts it becomes the
    /// `servers` of the synthesized documents.
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(
        pattern = r"^https?://[A-Za-z0-9.-]+(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]*)?$"
    )]
    pub proxy_url: Option<String>,
    /// Only services carrying all these tags.
    #[serde(default, deserialize_with = "string_list")]
    #[schema(value_type = Option<Vec<String>>, min_items = 1)]
    pub tags: Option<Vec<String>>,
    /// Konnect region (default `us`).
    #[serde(default)]
    pub region: Option<Region>,
    /// Overrides the Konnect API base URL (default from `region`).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(
        pattern = r"^https?://[A-Za-z0-9.-]+(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]*)?$"
    )]
    pub konnect_url: Option<String>,
    /// A Konnect personal or system-account token (alias `personalAccessToken`),
    /// sent as a bearer token; required in konnect mode.
    #[serde(default, alias = "personalAccessToken")]
    pub token: Option<Secret>,
    /// Names or ids of the Konnect control planes to read (default: all).
    #[serde(default, deserialize_with = "string_list")]
    #[schema(value_type = Option<Vec<String>>, min_items = 1)]
    pub control_planes: Option<Vec<String>>,
    /// Konnect: `catalog`, `gateway` or `auto` (default).
    #[serde(default)]
    pub source: Option<Source>,
    /// Items per Admin API page, 1-1000 (default 1000, Kong's largest).
    #[serde(default, deserialize_with = "whole_opt")]
    #[schema(minimum = 1, maximum = 1000)]
    pub page_size: Option<u32>,
    /// Calls per second, 1-100 (default 10).
    #[serde(default, deserialize_with = "whole_opt")]
    #[schema(minimum = 1, maximum = 100)]
    pub max_requests_per_second: Option<u32>,
}

impl KongParameters {
    pub fn mode(&self) -> Mode {
        self.mode.unwrap_or(Mode::Admin)
    }
}

impl Parameters for KongParameters {
    const ALIASES: &'static [(&'static str, &'static str)] = &[("personalAccessToken", "token")];

    fn check(&self, _: &Environment) -> Result<(), FieldError> {
        match self.mode() {
            Mode::Admin if self.admin_url.is_none() => {
                return Err(FieldError::param("adminUrl", "is required in admin mode"));
            }
            Mode::Konnect if self.token.is_none() => {
                return Err(FieldError::param("token", "is required in konnect mode"));
            }
            _ => {}
        }
        for (name, url) in [
            ("adminUrl", &self.admin_url),
            ("proxyUrl", &self.proxy_url),
            ("konnectUrl", &self.konnect_url),
        ] {
            if let Some(u) = url
                && crate::params::check_http_url(name, u)?.query().is_some()
            {
                return Err(FieldError::param(name, "must not have a query"));
            }
        }
        if let Some(ws) = &self.workspaces
            && (ws.is_empty() || ws.iter().any(|w| w.trim().is_empty() || w.contains('/')))
        {
            return Err(FieldError::param(
                "workspaces",
                "must be workspace names, or [\"*\"]",
            ));
        }
        if self.page_size.is_some_and(|n| !(1..=1000).contains(&n)) {
            return Err(FieldError::param("pageSize", "must be 1-1000"));
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
        let word = json!({"items": {"type": "string", "pattern": "\\S"}});
        Some(json!({"properties": {
            "workspaces": {"items": {"type": "string", "pattern": "^[^/\\s]+$"}},
            "tags": word, "controlPlanes": word,
        }, "allOf": [
            {"anyOf": [
                {"required": ["mode"], "properties": {"mode": {"const": "konnect"}}},
                {"required": ["adminUrl"]},
            ]},
            {"anyOf": [
                {"not": {"required": ["mode"], "properties": {"mode": {"const": "konnect"}}}},
                {"required": ["token"]},
                {"required": ["personalAccessToken"]},
            ]},
        ]}))
    }

    fn example() -> Value {
        json!({"adminUrl": "http://kong:8001", "workspaces": ["default"], "proxyUrl": "https://api.example.com"})
    }
}
