//! The `aws_api_gateway` connector: REST APIs (v1) and HTTP/WebSocket APIs (v2) of
//! one AWS account in one or more regions, one inventory item per API × deployed
//! stage, keyed `account:region:apiId:stage`.
//!
//! - Credentials: static keys (`accessKeyId`/`secretAccessKey`, aliases
//!   `clientId`/`clientSecret`, optional `sessionToken`), else the default AWS chain
//!   (environment, profile, web identity / IRSA, instance metadata); optionally a role
//!   assumed through STS (`roleArn`, `externalId`, `roleSessionName`).
//! - Throttling: at most `maxRequestsPerSecond` (default 5) calls per region, under
//!   API Gateway's ~10/s per account and region; throttled (`TooManyRequestsException`),
//!   5xx and network failures are retried with jittered backoff up to `maxAttempts`
//!   (default 8), so one throttled call never fails a run.
//! - Regions: `regions`, or every public region where API Gateway runs; in that case
//!   regions that refuse the credentials (opt-in regions not enabled) are skipped, and
//!   only a refusal everywhere fails the run.
//! - Revisions: a stage's deployment (with its documentation version and last
//!   update), so an unchanged account downloads no export.
//! - `check()` makes one `GetRestApis` call per region.

mod client;
mod http_apis;
pub mod params;
mod regions;
mod rest;
pub mod synth;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use self::client::{RegionClients, base_config};
use self::params::{AwsApiGatewayParameters, AwsParams};
use crate::connector::{Connector, Context, Listing};
use crate::descriptor::{Descriptor, read_for_build};
use crate::error::{ConnectorError, ErrorKind};
use crate::importer_type::ImporterType;
use crate::registry::Environment;

pub static DESCRIPTOR: Descriptor = Descriptor::new::<AwsApiGatewayParameters>(
    ImporterType::AwsApiGateway,
    &["secretAccessKey", "clientSecret", "sessionToken"],
    &["endpointUrl"],
    build,
);

fn build(parameters: &Value, env: &Environment) -> Result<Box<dyn Connector>, ConnectorError> {
    let p: AwsApiGatewayParameters = read_for_build(parameters, env)?;
    Ok(Box::new(AwsConnector {
        params: Arc::new(p.into()),
    }))
}

pub struct AwsConnector {
    params: Arc<AwsParams>,
}

impl AwsConnector {
    fn regions(&self) -> (Vec<String>, bool) {
        match &self.params.regions {
            Some(list) => (list.clone(), true),
            None => (
                regions::PUBLIC.iter().map(|r| (*r).to_owned()).collect(),
                false,
            ),
        }
    }

    /// The account id for keys: from the parameters, else from STS.
    async fn account(&self, base: &aws_config::SdkConfig) -> Result<String, ConnectorError> {
        if let Some(a) = &self.params.account_id {
            return Ok(a.clone());
        }
        let sts = aws_sdk_sts::Client::new(base);
        match sts.get_caller_identity().send().await {
            Ok(out) => out
                .account()
                .map(str::to_owned)
                .ok_or_else(|| ConnectorError::protocol("STS returned no account id")),
            Err(e) => {
                use aws_sdk_sts::error::ProvideErrorMetadata;
                let said = e
                    .message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| crate::error::chain(&e));
                let code = e.code().unwrap_or("");
                Err(ConnectorError::auth(format!(
                    "AWS STS GetCallerIdentity: {said} ({code}); set organizationId to the account id to skip this call"
                )))
            }
        }
    }
}

/// Whether `stage` passes the `stages` glob filter (no filter: every stage).
pub(crate) fn stage_selected(p: &AwsParams, stage: &str) -> bool {
    p.stages.is_empty() || p.stages.iter().any(|g| g.matches(stage))
}

#[async_trait]
impl Connector for AwsConnector {
    async fn check(&self, cx: &Context) -> Result<(), ConnectorError> {
        let base = base_config(&self.params).await;
        let (regions, explicit) = self.regions();
        let mut failures = Vec::new();
        for region in &regions {
            cx.ensure_active()?;
            let r = RegionClients::new(&base, region, &self.params, cx.cancel.clone());
            if let Err(e) = r
                .call("GetRestApis", || r.v1.get_rest_apis().limit(1).send())
                .await
            {
                let err = e.error;
                if explicit || err.kind != ErrorKind::Auth {
                    return Err(err);
                }
                failures.push(err);
            }
        }
        match failures.len() {
            n if n == regions.len() => Err(failures.swap_remove(0)),
            _ => Ok(()),
        }
    }

    async fn list(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError> {
        let base = base_config(&self.params).await;
        let account = self.account(&base).await?;
        let (regions, explicit) = self.regions();
        let mut refused = Vec::new();
        for region in &regions {
            cx.ensure_active()?;
            let r = Arc::new(RegionClients::new(
                &base,
                region,
                &self.params,
                cx.cancel.clone(),
            ));
            match rest::list(&r, &self.params, &account, cx, out).await {
                Ok(()) => {}
                // A region the account has not enabled refuses the credentials.
                Err(e) if !explicit && e.kind == ErrorKind::Auth => {
                    refused.push(e);
                    continue;
                }
                Err(e) => return Err(e),
            }
            if self.params.include_http_apis {
                http_apis::list(&r, &self.params, &account, cx, out).await?;
            }
        }
        if !refused.is_empty() && refused.len() == regions.len() {
            return Err(refused.swap_remove(0));
        }
        tracing::debug!(items = out.pushed(), "AWS listing done.");
        Ok(())
    }
}
