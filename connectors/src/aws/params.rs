//! Parameters of an `aws_api_gateway` importer, checked at create/configure time.
//!
//! The seed 000 example (`clientId`, `clientSecret`, `organizationId`) works: they
//! are aliases of `accessKeyId`, `secretAccessKey` and the AWS account id.

use serde_json::Value;

use crate::params::{ParamError, Params};

pub const KNOWN: &[&str] = &[
    "accessKeyId",
    "clientId",
    "secretAccessKey",
    "clientSecret",
    "sessionToken",
    "organizationId",
    "accountId",
    "regions",
    "roleArn",
    "externalId",
    "roleSessionName",
    "includeHttpApis",
    "stages",
    "exportType",
    "extensions",
    "endpointUrl",
    "maxRequestsPerSecond",
    "maxAttempts",
];

#[derive(Clone, PartialEq, Eq)]
pub struct StaticKeys {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
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

#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// `oas30` or `swagger`.
    pub export_type: String,
    /// `integrations`, `apigateway`, `authorizers` or none.
    pub extensions: Option<String>,
    pub endpoint_url: Option<String>,
    pub max_requests_per_second: u32,
    pub max_attempts: u32,
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

pub fn parse(value: &Value) -> Result<AwsParams, ParamError> {
    let p = Params::new(value)?;
    p.reject_unknown(KNOWN)?;
    let id = p.string(&["accessKeyId", "clientId"])?;
    let secret = p.string(&["secretAccessKey", "clientSecret"])?;
    let keys = match (id, secret) {
        (Some(access_key_id), Some(secret_access_key)) => Some(StaticKeys {
            access_key_id,
            secret_access_key,
            session_token: p.string(&["sessionToken"])?,
        }),
        (None, None) => {
            if p.get(&["sessionToken"]).is_some() {
                return Err(ParamError::new(
                    "sessionToken",
                    "needs accessKeyId and secretAccessKey",
                ));
            }
            None
        }
        (Some(_), None) => {
            return Err(ParamError::new(
                "secretAccessKey",
                "is required with accessKeyId (or clientSecret with clientId)",
            ));
        }
        (None, Some(_)) => {
            return Err(ParamError::new(
                "accessKeyId",
                "is required with secretAccessKey (or clientId with clientSecret)",
            ));
        }
    };
    let role = match p.string(&["roleArn"])? {
        Some(arn) => {
            let ok = arn.starts_with("arn:aws") && arn.contains(":iam::") && arn.contains(":role/");
            if !ok {
                return Err(ParamError::new(
                    "roleArn",
                    "must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
                ));
            }
            Some(AssumeRole {
                role_arn: arn,
                external_id: p.string(&["externalId"])?,
                session_name: p
                    .string(&["roleSessionName"])?
                    .unwrap_or_else(|| "apihub-importer".into()),
            })
        }
        None => {
            for k in ["externalId", "roleSessionName"] {
                if p.get(&[k]).is_some() {
                    return Err(ParamError::new(k, "needs roleArn"));
                }
            }
            None
        }
    };
    let regions = p.strings(&["regions"])?;
    if let Some(list) = &regions {
        if list.is_empty() {
            return Err(ParamError::new(
                "regions",
                "must name at least one region (leave it out for all regions)",
            ));
        }
        if let Some((i, r)) = list.iter().enumerate().find(|(_, r)| !is_region(r)) {
            return Err(ParamError::new(
                &format!("regions[{i}]"),
                format!("`{r}` is not an AWS region name such as us-east-1"),
            ));
        }
    }
    let stages = p
        .strings(&["stages"])?
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, s)| {
            glob::Pattern::new(s).map_err(|e| {
                ParamError::new(&format!("stages[{i}]"), format!("not a glob pattern: {e}"))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let export_type = p
        .string(&["exportType"])?
        .unwrap_or_else(|| "oas30".into())
        .to_ascii_lowercase();
    if export_type != "oas30" && export_type != "swagger" {
        return Err(ParamError::new("exportType", "must be oas30 or swagger"));
    }
    let extensions = match p.string(&["extensions"])?.map(|e| e.to_ascii_lowercase()) {
        None => None,
        Some(e) if e == "none" => None,
        Some(e) if ["integrations", "apigateway", "authorizers"].contains(&e.as_str()) => Some(e),
        Some(_) => {
            return Err(ParamError::new(
                "extensions",
                "must be none, integrations, apigateway or authorizers",
            ));
        }
    };
    let endpoint_url = p.string(&["endpointUrl"])?;
    if let Some(u) = &endpoint_url
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        return Err(ParamError::new("endpointUrl", "must be an http(s) URL"));
    }
    let rps = p.u64(&["maxRequestsPerSecond"])?.unwrap_or(5);
    if !(1..=10).contains(&rps) {
        return Err(ParamError::new(
            "maxRequestsPerSecond",
            "must be 1-10 (AWS allows about 10 per account and region)",
        ));
    }
    let attempts = p.u64(&["maxAttempts"])?.unwrap_or(8);
    if !(1..=20).contains(&attempts) {
        return Err(ParamError::new("maxAttempts", "must be 1-20"));
    }
    Ok(AwsParams {
        keys,
        role,
        account_id: p.string(&["organizationId", "accountId"])?,
        regions,
        include_http_apis: p.bool(&["includeHttpApis"])?.unwrap_or(true),
        stages,
        export_type,
        extensions,
        endpoint_url,
        max_requests_per_second: u32::try_from(rps).unwrap_or(5),
        max_attempts: u32::try_from(attempts).unwrap_or(8),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_seed_example_parses_with_its_aliases() {
        let p = parse(
            &json!({"clientId": "string", "clientSecret": "string", "organizationId": "string"}),
        )
        .expect("seed");
        assert_eq!(
            p.keys.as_ref().map(|k| k.access_key_id.as_str()),
            Some("string")
        );
        assert_eq!(p.account_id.as_deref(), Some("string"));
        assert_eq!(
            (
                p.export_type.as_str(),
                p.include_http_apis,
                p.regions.clone()
            ),
            ("oas30", true, None)
        );
        assert!(
            !format!("{:?}", p.keys).contains("clientSecret"),
            "Debug never shows the secret"
        );
    }

    #[test]
    fn bad_parameters_name_the_field() {
        let field = |v: Value| parse(&v).expect_err("must fail").field;
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
    }

    #[test]
    fn full_parameters() {
        let p = parse(&json!({"accessKeyId": "AK", "secretAccessKey": "SK", "sessionToken": "ST", "regions": "eu-west-1",
            "roleArn": "arn:aws:iam::123456789012:role/reader", "externalId": "ext", "includeHttpApis": false,
            "stages": ["prod*"], "exportType": "SWAGGER", "extensions": "integrations", "endpointUrl": "http://127.0.0.1:5000"})).expect("valid");
        assert_eq!(p.regions, Some(vec!["eu-west-1".to_owned()]));
        assert_eq!(
            p.role.as_ref().map(|r| r.session_name.as_str()),
            Some("apihub-importer")
        );
        assert!(p.stages[0].matches("production") && !p.stages[0].matches("dev"));
        assert_eq!(
            (p.export_type.as_str(), p.extensions.as_deref()),
            ("swagger", Some("integrations"))
        );
    }
}
