//! Parameters of an `aws_api_gateway` importer. The seed 000 example (`clientId`,
//! `clientSecret`, `organizationId`) works: they are aliases of `accessKeyId`,
//! `secretAccessKey` and the AWS account id.

use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::descriptor::Parameters;
use crate::fields::FieldError;
use crate::params::{Secret, non_empty, string_list, whole_opt};
use crate::registry::Environment;

crate::wire_enum! {
    /// What `GetExport` returns for REST APIs.
    pub enum ExportType {
        Oas30 => "oas30",
        Swagger => "swagger",
    }
}

crate::wire_enum! {
    /// `GetExport`'s `extensions` for REST APIs.
    pub enum Extensions {
        None => "none",
        Integrations => "integrations",
        Apigateway => "apigateway",
        Authorizers => "authorizers",
    }
}

/// `parameters` of an `aws_api_gateway` importer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AwsApiGatewayParameters {
    /// Access key id (alias `clientId`). Without keys, the default AWS credential
    /// chain is used (environment, profile, web identity / IRSA, instance metadata).
    #[serde(default, alias = "clientId", deserialize_with = "non_empty")]
    #[schema(min_length = 1, pattern = r"^\S+$")]
    pub access_key_id: Option<String>,
    /// Secret access key (alias `clientSecret`).
    #[serde(default, alias = "clientSecret")]
    pub secret_access_key: Option<Secret>,
    /// Session token of temporary keys.
    #[serde(default)]
    pub session_token: Option<Secret>,
    /// AWS account id used in external keys (alias `accountId`); default: asked
    /// from STS.
    #[serde(default, alias = "accountId", deserialize_with = "non_empty")]
    #[schema(min_length = 1, pattern = r"\S")]
    pub organization_id: Option<String>,
    /// Regions to scan (a list, or one region as a string); default: every public
    /// region where API Gateway runs, skipping those that refuse the credentials.
    #[serde(default, deserialize_with = "string_list")]
    #[schema(value_type = Option<Vec<String>>, min_items = 1)]
    pub regions: Option<Vec<String>>,
    /// IAM role to assume through STS first (`arn:aws:iam::<account>:role/<name>`).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(pattern = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$")]
    pub role_arn: Option<String>,
    /// External id required by the role's trust policy (needs `roleArn`).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(min_length = 1, pattern = r"\S")]
    pub external_id: Option<String>,
    /// Session name of the assumed role (default `apihub-importer`; needs `roleArn`).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(min_length = 1, pattern = r"\S")]
    pub role_session_name: Option<String>,
    /// Also import HTTP and WebSocket APIs (default true).
    #[serde(default)]
    pub include_http_apis: Option<bool>,
    /// Glob patterns of stage names to import, e.g. `["prod*"]` (default: every
    /// deployed stage).
    #[serde(default, deserialize_with = "string_list")]
    #[schema(value_type = Option<Vec<String>>)]
    pub stages: Option<Vec<String>>,
    /// `oas30` (default) or `swagger`, for REST APIs.
    #[serde(default)]
    pub export_type: Option<ExportType>,
    /// `none` (default), `integrations`, `apigateway` or `authorizers` (REST
    /// export extensions).
    #[serde(default)]
    pub extensions: Option<Extensions>,
    /// Another endpoint (private endpoints, LocalStack, moto).
    #[serde(default, deserialize_with = "non_empty")]
    #[schema(pattern = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,4})?(/[A-Za-z0-9._~/-]*)?$")]
    pub endpoint_url: Option<String>,
    /// Calls per second per region, 1-10 (default 5; AWS allows about 10 per
    /// account and region).
    #[serde(default, deserialize_with = "whole_opt")]
    #[schema(minimum = 1, maximum = 10)]
    pub max_requests_per_second: Option<u32>,
    /// Attempts per call on throttling, 5xx and timeouts, 1-20 (default 8).
    #[serde(default, deserialize_with = "whole_opt")]
    #[schema(minimum = 1, maximum = 20)]
    pub max_attempts: Option<u32>,
}

fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// The rules of [`Parameters::check`] as JSON Schema, so the API document states
/// them too.
fn rules() -> Value {
    let any = |names: &[&str]| json!({"anyOf": names.iter().map(|n| json!({"required": [n]})).collect::<Vec<_>>()});
    let implies = |a: Value, b: Value| json!({"anyOf": [{"not": a}, b]});
    let id = any(&["accessKeyId", "clientId"]);
    let secret = any(&["secretAccessKey", "clientSecret"]);
    json!({
        "allOf": [
            implies(id.clone(), secret.clone()),
            implies(secret, id.clone()),
            implies(any(&["sessionToken"]), id),
            implies(any(&["externalId", "roleSessionName"]), any(&["roleArn"])),
        ],
        "properties": {
            "regions": {"items": {"type": "string", "pattern": "^[a-z]{2}(-[a-z]+)+-[0-9]$"}},
            "stages": {"items": {"type": "string", "pattern": "^[^\\[\\]\\s]+$"}}
        }
    })
}

impl Parameters for AwsApiGatewayParameters {
    const ALIASES: &'static [(&'static str, &'static str)] = &[
        ("clientId", "accessKeyId"),
        ("clientSecret", "secretAccessKey"),
        ("accountId", "organizationId"),
    ];

    fn schema_rules() -> Option<Value> {
        Some(rules())
    }

    fn example() -> Value {
        json!({"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
               "regions": ["us-east-1", "eu-west-1"], "stages": ["prod*"]})
    }

    fn check(&self, _: &Environment) -> Result<(), FieldError> {
        match (&self.access_key_id, &self.secret_access_key) {
            (Some(_), None) => {
                return Err(FieldError::param(
                    "secretAccessKey",
                    "is required with accessKeyId (or clientSecret with clientId)",
                ));
            }
            (None, Some(_)) => {
                return Err(FieldError::param(
                    "accessKeyId",
                    "is required with secretAccessKey (or clientId with clientSecret)",
                ));
            }
            _ => {}
        }
        if self.session_token.is_some() && self.access_key_id.is_none() {
            return Err(FieldError::param(
                "sessionToken",
                "needs accessKeyId and secretAccessKey",
            ));
        }
        match &self.role_arn {
            Some(arn) => {
                let ok =
                    arn.starts_with("arn:aws") && arn.contains(":iam::") && arn.contains(":role/");
                if !ok {
                    return Err(FieldError::param(
                        "roleArn",
                        "must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
                    ));
                }
            }
            None => {
                if self.external_id.is_some() {
                    return Err(FieldError::param("externalId", "needs roleArn"));
                }
                if self.role_session_name.is_some() {
                    return Err(FieldError::param("roleSessionName", "needs roleArn"));
                }
            }
        }
        if let Some(list) = &self.regions {
            if list.is_empty() {
                return Err(FieldError::param(
                    "regions",
                    "must name at least one region (leave it out for all regions)",
                ));
            }
            if let Some((i, r)) = list.iter().enumerate().find(|(_, r)| !is_region(r)) {
                return Err(FieldError::param(
                    &format!("regions[{i}]"),
                    format!("`{r}` is not an AWS region name such as us-east-1"),
                ));
            }
        }
        for (i, s) in self.stages.iter().flatten().enumerate() {
            glob::Pattern::new(s).map_err(|e| {
                FieldError::param(&format!("stages[{i}]"), format!("not a glob pattern: {e}"))
            })?;
        }
        if let Some(u) = &self.endpoint_url {
            crate::params::check_http_url("endpointUrl", u)?;
        }
        if self
            .max_requests_per_second
            .is_some_and(|n| !(1..=10).contains(&n))
        {
            return Err(FieldError::param(
                "maxRequestsPerSecond",
                "must be 1-10 (AWS allows about 10 per account and region)",
            ));
        }
        if self.max_attempts.is_some_and(|n| !(1..=20).contains(&n)) {
            return Err(FieldError::param("maxAttempts", "must be 1-20"));
        }
        Ok(())
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct StaticKeys {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

impl std::fmt::Debug for StaticKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticKeys")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub external_id: Option<String>,
    pub session_name: String,
}

/// The parameters resolved, with their defaults.
#[derive(Debug, Clone)]
pub struct AwsParams {
    /// None: the default AWS credential chain (env, profile, IRSA, instance metadata).
    pub keys: Option<StaticKeys>,
    pub role: Option<AssumeRole>,
    /// The account id for external keys; None: asked from STS.
    pub account_id: Option<String>,
    /// None: every public region where API Gateway exists.
    pub regions: Option<Vec<String>>,
    pub include_http_apis: bool,
    /// Glob patterns of stage names to import; empty: all deployed stages.
    pub stages: Vec<glob::Pattern>,
    pub export_type: ExportType,
    /// `None` for no extensions.
    pub extensions: Option<Extensions>,
    pub endpoint_url: Option<String>,
    pub max_requests_per_second: u32,
    pub max_attempts: u32,
}

impl From<AwsApiGatewayParameters> for AwsParams {
    /// Only for checked parameters ([`Parameters::check`] passed).
    fn from(p: AwsApiGatewayParameters) -> AwsParams {
        let keys = match (p.access_key_id, p.secret_access_key) {
            (Some(access_key_id), Some(secret_access_key)) => Some(StaticKeys {
                access_key_id,
                secret_access_key,
                session_token: p.session_token,
            }),
            _ => None,
        };
        AwsParams {
            keys,
            role: p.role_arn.map(|role_arn| AssumeRole {
                role_arn,
                external_id: p.external_id,
                session_name: p
                    .role_session_name
                    .unwrap_or_else(|| "apihub-importer".into()),
            }),
            account_id: p.organization_id,
            regions: p.regions,
            include_http_apis: p.include_http_apis.unwrap_or(true),
            stages: p
                .stages
                .unwrap_or_default()
                .iter()
                .filter_map(|s| glob::Pattern::new(s).ok())
                .collect(),
            export_type: p.export_type.unwrap_or(ExportType::Oas30),
            extensions: p.extensions.filter(|e| *e != Extensions::None),
            endpoint_url: p.endpoint_url,
            max_requests_per_second: p.max_requests_per_second.unwrap_or(5),
            max_attempts: p.max_attempts.unwrap_or(8),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<AwsParams, FieldError> {
        crate::descriptor::read::<AwsApiGatewayParameters>(&v, &Environment::default())
            .map(AwsParams::from)
    }

    #[test]
    fn the_seed_example_parses_with_its_aliases() {
        let p = parse(
            json!({"clientId": "string", "clientSecret": "s3cr3t", "organizationId": "string"}),
        )
        .expect("seed");
        assert_eq!(
            p.keys.as_ref().map(|k| k.access_key_id.as_str()),
            Some("string")
        );
        assert_eq!(p.account_id.as_deref(), Some("string"));
        assert_eq!(
            (p.export_type, p.include_http_apis, p.regions.clone()),
            (ExportType::Oas30, true, None)
        );
        assert!(
            !format!("{p:?}").contains("s3cr3t"),
            "Debug never shows the secret"
        );
    }

    #[test]
    fn bad_parameters_name_the_field() {
        let field = |v: Value| parse(v).expect_err("must fail").field;
        assert_eq!(
            field(json!({"accessKeyId": "a"})),
            "parameters.secretAccessKey"
        );
        assert_eq!(
            field(json!({"regions": ["us-east-1", "mars"]})),
            "parameters.regions[1]"
        );
        assert_eq!(field(json!({"regions": []})), "parameters.regions");
        assert_eq!(field(json!({"roleArn": "role/x"})), "parameters.roleArn");
        assert_eq!(field(json!({"externalId": "x"})), "parameters.externalId");
        assert_eq!(
            field(json!({"exportType": "raml"})),
            "parameters.exportType"
        );
        assert_eq!(
            field(json!({"extensions": "postman"})),
            "parameters.extensions"
        );
        assert_eq!(field(json!({"stages": ["[bad"]})), "parameters.stages[0]");
        assert_eq!(
            field(json!({"endpointUrl": "localhost:5000"})),
            "parameters.endpointUrl"
        );
        assert_eq!(
            field(json!({"maxRequestsPerSecond": 50})),
            "parameters.maxRequestsPerSecond"
        );
        assert_eq!(field(json!({"region": "us-east-1"})), "parameters.region");
        assert_eq!(
            field(json!({"includeHttpApis": "yes"})),
            "parameters.includeHttpApis"
        );
        assert_eq!(
            field(json!({"accessKeyId": "a", "clientId": "b", "secretAccessKey": "s"})),
            "parameters.accessKeyId"
        );
    }

    #[test]
    fn full_parameters() {
        let p = parse(json!({"accessKeyId": "AK", "secretAccessKey": "SK", "sessionToken": "ST", "regions": "eu-west-1",
            "roleArn": "arn:aws:iam::123456789012:role/reader", "externalId": "ext", "includeHttpApis": false,
            "stages": ["prod*"], "exportType": "SWAGGER", "extensions": "integrations", "endpointUrl": "http://127.0.0.1:5000"}))
        .expect("valid");
        assert_eq!(p.regions, Some(vec!["eu-west-1".to_owned()]));
        assert_eq!(
            p.role.as_ref().map(|r| r.session_name.as_str()),
            Some("apihub-importer")
        );
        assert!(p.stages[0].matches("production") && !p.stages[0].matches("dev"));
        assert_eq!(
            (p.export_type, p.extensions),
            (ExportType::Swagger, Some(Extensions::Integrations))
        );
    }
}
