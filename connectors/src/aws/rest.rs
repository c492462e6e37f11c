//! REST APIs (API Gateway v1): `GetRestApis` (paged by `position`) and `GetStages`
//! per API list; `GetExport` per deployed stage downloads. One item per API ×
//! stage, its revision the stage's deployment; an API with no deployed stage is
//! reported as skipped.

use std::sync::Arc;

use serde_json::Value;

use super::client::{RegionClients, all_pages};
use super::params::{AwsParams, ExportType};
use super::stage_selected;
use crate::connector::{Context, Document, Item, Listed, Listing, fetch};
use crate::error::{ConnectorError, ErrorKind};
use crate::normalize::DefinitionFormat;

const PAGE: i32 = 500;

pub async fn rest_apis(
    r: &RegionClients,
    cx: &Context,
) -> Result<Vec<aws_sdk_apigateway::types::RestApi>, ConnectorError> {
    all_pages(cx, |position| async move {
        let page = r
            .call("GetRestApis", || {
                r.v1.get_rest_apis()
                    .limit(PAGE)
                    .set_position(position.clone())
                    .send()
            })
            .await
            .map_err(|e| e.error)?;
        Ok((page.items().to_vec(), page.position().map(str::to_owned)))
    })
    .await
}

/// Two rewrites of an export, both documented in the README:
/// - AWS fills `info.version` with a time when the API has no version (moto: the
///   time of the export itself), which would make every export look new; it becomes
///   the API's version, else the deployment id: same deployment, same hash.
/// - An `ANY` method (`x-amazon-apigateway-any-method`; moto writes `ANY`) accepts
///   every method, so it becomes the seven methods API Gateway routes to it, as for
///   HTTP APIs: a `ANY /{proxy+}` Lambda proxy is not an API without operations.
pub fn stabilize(body: &[u8], api_version: Option<&str>, deployment: &str) -> Vec<u8> {
    let Ok(mut doc) = serde_json::from_slice::<Value>(body) else {
        return body.to_vec();
    };
    if let Some(info) = doc.get_mut("info").and_then(Value::as_object_mut) {
        let version = api_version
            .map(str::to_owned)
            .unwrap_or_else(|| format!("deployment {deployment}"));
        info.insert("version".into(), Value::String(version));
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            let any = ["x-amazon-apigateway-any-method", "ANY", "any"]
                .iter()
                .find_map(|k| item.remove(*k));
            if let Some(op) = any {
                for m in super::synth::ANY_METHODS {
                    let present = item.keys().any(|k| k.eq_ignore_ascii_case(m));
                    if !present {
                        item.insert(m.to_owned(), op.clone());
                    }
                }
            }
        }
    }
    serde_json::to_vec_pretty(&doc).unwrap_or_else(|_| body.to_vec())
}

/// A stage's revision: its deployment with its documentation version and last
/// update, which change whenever what `GetExport` returns can change. `None`
/// without a deployment id (nothing reliable to compare): downloaded every run.
fn revision(stage: &aws_sdk_apigateway::types::Stage) -> Option<String> {
    let deployment = stage.deployment_id()?;
    Some(format!(
        "{deployment}|{}|{}",
        stage.documentation_version().unwrap_or(""),
        stage.last_updated_date().map(|d| d.secs()).unwrap_or(0)
    ))
}

pub async fn list(
    r: &Arc<RegionClients>,
    p: &Arc<AwsParams>,
    account: &str,
    cx: &Context,
    out: &Listing,
) -> Result<(), ConnectorError> {
    for api in rest_apis(r, cx).await? {
        cx.ensure_active()?;
        let id = api.id().unwrap_or_default().to_owned();
        let name = api.name().unwrap_or(&id).to_owned();
        let api_key = format!("{account}:{}:{id}", r.region);
        let stages = match r
            .call("GetStages", || r.v1.get_stages().rest_api_id(&id).send())
            .await
        {
            Ok(s) => s.item().to_vec(),
            // Credentials that stop working mid-run fail the run, not one item.
            Err(e) if e.error.kind == ErrorKind::Auth => return Err(e.error),
            Err(e) => {
                out.push(Listed::new(api_key, Item::Failed(e.error)).named(name))
                    .await?;
                continue;
            }
        };
        let deployed: Vec<_> = stages
            .iter()
            .filter(|s| {
                s.deployment_id().is_some() && stage_selected(p, s.stage_name().unwrap_or_default())
            })
            .collect();
        if deployed.is_empty() {
            let reason = if stages.is_empty() {
                "no deployed stage"
            } else {
                "no deployed stage matches `stages`"
            };
            let skipped = Item::Skipped {
                reason: reason.into(),
            };
            out.push(Listed::new(api_key, skipped).named(name)).await?;
            continue;
        }
        for stage in deployed {
            let stage_name = stage.stage_name().unwrap_or_default().to_owned();
            let key = format!("{api_key}:{stage_name}");
            let display = format!("{name} ({stage_name})");
            let export = Export {
                r: r.clone(),
                p: p.clone(),
                id: id.clone(),
                stage: stage_name,
                api_version: api.version().map(str::to_owned),
                deployment: stage.deployment_id().unwrap_or_default().to_owned(),
            };
            let mut listed = Listed::new(key, fetch(export.run())).named(display);
            listed.revision = revision(stage);
            out.push(listed).await?;
        }
    }
    Ok(())
}

/// What downloading one stage's export needs.
struct Export {
    r: Arc<RegionClients>,
    p: Arc<AwsParams>,
    id: String,
    stage: String,
    api_version: Option<String>,
    deployment: String,
}

impl Export {
    async fn run(self) -> Result<Document, ConnectorError> {
        let Export {
            r,
            p,
            id,
            stage,
            api_version,
            deployment,
        } = self;
        let export = || {
            let mut req =
                r.v1.get_export()
                    .rest_api_id(&id)
                    .stage_name(&stage)
                    .export_type(p.export_type.as_str())
                    .accepts("application/json");
            if let Some(ext) = p.extensions {
                req = req.parameters("extensions", ext.as_str());
            }
            req.send()
        };
        let out = r.call("GetExport", export).await.map_err(|e| e.error)?;
        let body = out.body().map(|b| b.as_ref().to_vec()).unwrap_or_default();
        Ok(Document {
            operation_notes: Vec::new(),
            bytes: stabilize(&body, api_version.as_deref(), &deployment),
            format_hint: Some(if p.export_type == ExportType::Swagger {
                DefinitionFormat::Openapi2
            } else {
                DefinitionFormat::Openapi3
            }),
            content_type: Some("application/json".into()),
            file_name: None,
            urls: vec![format!(
                "https://{id}.execute-api.{}.amazonaws.com/{stage}",
                r.region
            )],
            synthesized: None,
            annotations: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::stabilize;

    #[test]
    fn export_versions_become_stable() {
        let a = stabilize(
            br#"{"swagger": "2.0", "info": {"title": "T", "version": "2026-11-23T02:11:07"}}"#,
            None,
            "d1",
        );
        let b = stabilize(
            br#"{"info": {"version": "2026-11-23T02:12:59", "title": "T"}, "swagger": "2.0"}"#,
            None,
            "d1",
        );
        let v: serde_json::Value = serde_json::from_slice(&a).expect("json");
        assert_eq!(v["info"]["version"], "deployment d1");
        let (x, y): (serde_json::Value, serde_json::Value) = (
            serde_json::from_slice(&a).expect("a"),
            serde_json::from_slice(&b).expect("b"),
        );
        assert_eq!(x, y);
        let named = stabilize(br#"{"info": {"version": "x"}}"#, Some("2.1"), "d1");
        assert!(String::from_utf8_lossy(&named).contains("2.1"));
        let any = stabilize(br#"{"info": {}, "paths": {"/{proxy+}": {"x-amazon-apigateway-any-method": {"responses": {}}, "GET": {"operationId": "keep"}}}}"#, None, "d");
        let v: serde_json::Value = serde_json::from_slice(&any).expect("json");
        let item = v["paths"]["/{proxy+}"].as_object().expect("item");
        assert_eq!(item.len(), 7, "{item:?}");
        assert_eq!(item["GET"]["operationId"], "keep");
        assert_eq!(stabilize(b"not json", None, "d"), b"not json");
    }
}
