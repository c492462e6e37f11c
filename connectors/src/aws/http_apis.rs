//! HTTP and WebSocket APIs (API Gateway v2): `GetApis` (paged by `nextToken`) and
//! `GetStages` list; `ExportApi` (OAS30, JSON) per stage downloads. Where AWS cannot export
//! (WebSocket APIs; endpoints without `ExportApi`, such as moto), the document is
//! built from `GetRoutes` ([`super::synth`]) and marked synthesized.

use aws_sdk_apigatewayv2::types::ProtocolType;

use super::client::{RegionClients, all_pages};
use super::params::AwsParams;
use super::stage_selected;
use super::synth::{self, ApiShape};
use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::connector::{Context, Document, Item, Listed, Listing, fetch};
use crate::error::{ConnectorError, ErrorKind};
use crate::normalize::DefinitionFormat;

const PAGE: &str = "100";

async fn apis(
    r: &RegionClients,
    cx: &Context,
) -> Result<Vec<aws_sdk_apigatewayv2::types::Api>, ConnectorError> {
    all_pages(cx, |token| async move {
        let page = r
            .call("GetApis", || {
                r.v2.get_apis()
                    .max_results(PAGE)
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| e.error)?;
        Ok((page.items().to_vec(), page.next_token().map(str::to_owned)))
    })
    .await
}

async fn stages(
    r: &RegionClients,
    cx: &Context,
    api: &str,
) -> Result<Vec<aws_sdk_apigatewayv2::types::Stage>, ConnectorError> {
    all_pages(cx, |token| async move {
        let page = r
            .call("GetStages", || {
                r.v2.get_stages()
                    .api_id(api)
                    .max_results(PAGE)
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| e.error)?;
        Ok((page.items().to_vec(), page.next_token().map(str::to_owned)))
    })
    .await
}

async fn route_keys(
    r: &RegionClients,
    cx: &Context,
    api: &str,
) -> Result<Vec<String>, ConnectorError> {
    all_pages(cx, |token| async move {
        let page = r
            .call("GetRoutes", || {
                r.v2.get_routes()
                    .api_id(api)
                    .max_results(PAGE)
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| e.error)?;
        let keys = page
            .items()
            .iter()
            .filter_map(|x| x.route_key().map(str::to_owned))
            .collect();
        Ok((keys, page.next_token().map(str::to_owned)))
    })
    .await
}

fn invoke_url(api: &aws_sdk_apigatewayv2::types::Api, region: &str, stage: &str) -> String {
    let id = api.api_id().unwrap_or_default();
    let base = api
        .api_endpoint()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("https://{id}.execute-api.{region}.amazonaws.com"));
    if stage == "$default" {
        base
    } else {
        format!("{base}/{stage}")
    }
}

/// A stage's revision: its deployment and last update. An auto-deployed stage
/// without a deployment id (moto) has none: downloaded every run.
fn revision(stage: &aws_sdk_apigatewayv2::types::Stage) -> Option<String> {
    let deployment = stage.deployment_id()?;
    Some(format!(
        "{deployment}|{}",
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
    for api in apis(r, cx).await? {
        cx.ensure_active()?;
        let id = api.api_id().unwrap_or_default().to_owned();
        let name = api.name().unwrap_or(&id).to_owned();
        let api_key = format!("{account}:{}:{id}", r.region);
        let all = match stages(r, cx, &id).await {
            Ok(s) => s,
            Err(e) if e.kind == ErrorKind::Auth => return Err(e),
            Err(e) => {
                out.push(Listed::new(api_key, Item::Failed(e)).named(name))
                    .await?;
                continue;
            }
        };
        let deployed: Vec<_> = all
            .iter()
            .filter(|s| {
                (s.auto_deploy() == Some(true) || s.deployment_id().is_some())
                    && stage_selected(p, s.stage_name().unwrap_or_default())
            })
            .collect();
        if deployed.is_empty() {
            let reason = if all.is_empty() {
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
        // The stages of one API share one `GetRoutes`, made the first time a
        // stage needs it.
        let routes = Arc::new(OnceCell::new());
        for stage in deployed {
            let stage_name = stage.stage_name().unwrap_or_default().to_owned();
            let export = Export {
                r: r.clone(),
                cx: cx.clone(),
                api: api.clone(),
                stage: stage_name.clone(),
                routes: routes.clone(),
            };
            let mut listed = Listed::new(format!("{api_key}:{stage_name}"), fetch(export.run()))
                .named(format!("{name} ({stage_name})"));
            listed.revision = revision(stage);
            out.push(listed).await?;
        }
    }
    Ok(())
}

type Routes = Arc<OnceCell<Result<Vec<String>, ConnectorError>>>;

struct Export {
    r: Arc<RegionClients>,
    cx: Context,
    api: aws_sdk_apigatewayv2::types::Api,
    stage: String,
    routes: Routes,
}

impl Export {
    async fn run(self) -> Result<Document, ConnectorError> {
        let Export {
            r,
            cx,
            api,
            stage,
            routes,
        } = self;
        let id = api.api_id().unwrap_or_default().to_owned();
        let websocket = matches!(api.protocol_type(), Some(ProtocolType::Websocket));
        let url = invoke_url(&api, &r.region, &stage);
        if !websocket {
            let export = || {
                r.v2.export_api()
                    .api_id(&id)
                    .specification("OAS30")
                    .output_type("JSON")
                    .stage_name(&stage)
                    .send()
            };
            match r.call("ExportApi", export).await {
                Ok(out) => {
                    return Ok(Document {
                        operation_notes: Vec::new(),
                        bytes: out.body().map(|b| b.as_ref().to_vec()).unwrap_or_default(),
                        format_hint: Some(DefinitionFormat::Openapi3),
                        content_type: Some("application/json".into()),
                        file_name: None,
                        urls: vec![url],
                        synthesized: None,
                        annotations: Vec::new(),
                    });
                }
                // Not exportable here: build it from the routes below.
                Err(e) if matches!(e.status, Some(400 | 404)) => {}
                Err(e) => return Err(e.error),
            }
        }
        let keys = routes
            .get_or_init(|| async { route_keys(&r, &cx, &id).await })
            .await
            .clone()?;
        let name = api.name().unwrap_or(&id).to_owned();
        let shape = ApiShape {
            api_id: &id,
            name: &name,
            version: api.version(),
            protocol: if websocket { "WEBSOCKET" } else { "HTTP" },
            stage: &stage,
            invoke_url: &url,
        };
        Ok(Document {
            operation_notes: Vec::new(),
            bytes: synth::document(&shape, &keys),
            format_hint: Some(DefinitionFormat::Openapi3),
            content_type: Some("application/json".into()),
            file_name: None,
            urls: vec![url],
            synthesized: Some("routes"),
            annotations: Vec::new(),
        })
    }
}
