//! Parameters of an `azure` importer: a service principal (Microsoft Entra client
//! credentials) and which API Management services to read. The seed's generic
//! `organizationId` is an alias of `tenantId`.

use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::descriptor::Parameters;
use crate::fields::FieldError;
use crate::params::{Secret, non_empty, whole_opt};
use crate::registry::Environment;

crate::wire_enum! {
    /// The Azure cloud: picks the ARM and login hosts.
    pub enum Cloud {
        Public => "public",
        Usgov => "usgov",
        China => "china",
    }
}

impl Cloud {
    /// (ARM base URL, Entra authority base URL).
    pub fn hosts(self) -> (&'static str, &'static str) {
        match self {
            Cloud::Public => (
                "https://management.azure.com",
                "https://login.microsoftonline.com",
            ),
            Cloud::Usgov => (
                "https://management.usgovcloudapi.net",
                "https://login.microsoftonline.us",
            ),
            Cloud::China => (
                "https://management.chinacloudapi.cn",
                "https://login.chinacloudapi.cn",
            ),
        }
    }
}

/// `parameters` of an `azure` importer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AzureParameters {
    /// Microsoft Entra tenant (alias `organizationId`).
    #[serde(default, alias = "organizationId", deserialize_with = "non_empty")]
    #[schema(min_length = 1, pattern = r"^[A-Za-z0-9.-]+$")]
    pub tenant_id: Option<String>,
    /// Application (client) id of the service principal.
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(min_length = 1, pattern = r"^\S+$")]
    pub client_id: Option<String>,
    /// The service principal's client secret.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// One subscription; default: every subscription the principal can read.
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(pattern = r"^[A-Za-z0-9-]+$")]
    pub subscription_id: Option<String>,
    /// Resource group of one API Management service (with `serviceName`).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(pattern = r"^[-\w._()]+$")]
    pub resource_group: Option<String>,
    /// One API Management service (with `resourceGroup`); default: every
    /// `Microsoft.ApiManagement/service` of the subscription(s).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(pattern = r"^[A-Za-z0-9-]+$")]
    pub service_name: Option<String>,
    /// `public` (default), `usgov` or `china`.
    #[serde(default)]
    pub cloud: Option<Cloud>,
    /// Overrides the ARM base URL (the token scope is `<managementUrl>/.default`).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(
        pattern = r"^https?://[A-Za-z0-9.-]+(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]*)?$"
    )]
    pub management_url: Option<String>,
    /// Overrides the Microsoft Entra authority base URL.
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(
        pattern = r"^https?://[A-Za-z0-9.-]+(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[A-Za-z0-9._~/-]*)?$"
    )]
    pub login_url: Option<String>,
    /// ARM `api-version` of the API Management calls (default `2022-08-01`).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$")]
    pub api_version: Option<String>,
    /// Also import the APIs of API Management workspaces (default false).
    #[serde(default)]
    pub include_workspaces: Option<bool>,
    /// Calls per second, 1-25 (default 10; ARM refills 25 reads a second).
    #[serde(default, deserialize_with = "whole_opt")]
    #[schema(minimum = 1, maximum = 25)]
    pub max_requests_per_second: Option<u32>,
}

impl Parameters for AzureParameters {
    const ALIASES: &'static [(&'static str, &'static str)] = &[("organizationId", "tenantId")];

    fn check(&self, _: &Environment) -> Result<(), FieldError> {
        for (name, missing) in [
            ("tenantId", self.tenant_id.is_none()),
            ("clientId", self.client_id.is_none()),
            ("clientSecret", self.client_secret.is_none()),
        ] {
            if missing {
                return Err(FieldError::param(name, "is required"));
            }
        }
        match (&self.resource_group, &self.service_name) {
            (Some(_), None) => {
                return Err(FieldError::param(
                    "serviceName",
                    "is required with resourceGroup",
                ));
            }
            (None, Some(_)) => {
                return Err(FieldError::param(
                    "resourceGroup",
                    "is required with serviceName",
                ));
            }
            _ => {}
        }
        if self.service_name.is_some() && self.subscription_id.is_none() {
            return Err(FieldError::param(
                "subscriptionId",
                "is required with serviceName",
            ));
        }
        for (name, url) in [
            ("managementUrl", &self.management_url),
            ("loginUrl", &self.login_url),
        ] {
            if let Some(u) = url
                && crate::params::check_http_url(name, u)?.query().is_some()
            {
                return Err(FieldError::param(name, "must not have a query"));
            }
        }
        if self
            .max_requests_per_second
            .is_some_and(|n| !(1..=25).contains(&n))
        {
            return Err(FieldError::param("maxRequestsPerSecond", "must be 1-25"));
        }
        Ok(())
    }

    fn schema_rules() -> Option<Value> {
        let either = |a: &str, b: &str| json!({"anyOf": [{"required": [a]}, {"required": [b]}]});
        Some(json!({"allOf": [
            either("tenantId", "organizationId"),
            {"required": ["clientId", "clientSecret"]},
            {"dependentRequired": {"resourceGroup": ["serviceName"], "serviceName": ["resourceGroup", "subscriptionId"]}},
        ]}))
    }

    fn example() -> Value {
        json!({"tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47", "clientId": "00000000-0000-0000-0000-000000000001",
               "clientSecret": "example-client-secret", "subscriptionId": "subid"})
    }
}
