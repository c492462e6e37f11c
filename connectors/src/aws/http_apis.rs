//! HTTP and WebSocket APIs (API Gateway v2): `GetApis` (paged by `nextToken`),
//! `GetStages`, then `ExportApi` (OAS30, JSON) per stage. Where AWS cannot export
//! (WebSocket APIs; endpoints without `ExportApi`, such as moto), the document is
//! built from `GetRoutes` ([`super::synth`]) and marked synthesized.

use aws_sdk_apigatewayv2::types::ProtocolType;

use super::client::{RegionClients, all_pages};
use super::params::AwsParams;
use super::stage_selected;
use super::synth::{self, ApiShape};
use crate::connector::{Context, Document, FetchOutcome, Fetched};
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

pub async fn fetch(
    r: &RegionClients,
    p: &AwsParams,
    account: &str,
    cx: &Context,
) -> Result<Vec<Fetched>, ConnectorError> {
    let mut items = Vec::new();
    for api in apis(r, cx).await? {
        cx.ensure_active()?;
        let id = api.api_id().unwrap_or_default().to_owned();
        let name = api.name().unwrap_or(&id).to_owned();
        let websocket = matches!(api.protocol_type(), Some(ProtocolType::Websocket));
        let api_key = format!("{account}:{}:{id}", r.region);
        let all = match stages(r, cx, &id).await {
            Ok(s) => s,
            Err(e) if e.kind == ErrorKind::Auth => return Err(e),
            Err(e) => {
                items.push(Fetched {
                    external_key: api_key,
                    name: Some(name),
                    outcome: FetchOutcome::Failed(e),
                });
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
            items.push(Fetched {
                external_key: api_key,
                name: Some(name),
                outcome: FetchOutcome::Skipped {
                    reason: reason.into(),
                },
            });
            continue;
        }
        let mut routes: Option<Result<Vec<String>, ConnectorError>> = None;
        for stage in deployed {
            let stage_name = stage.stage_name().unwrap_or_default().to_owned();
            let url = invoke_url(&api, &r.region, &stage_name);
            let exported = if websocket {
                None
            } else {
                let export = || {
                    r.v2.export_api()
                        .api_id(&id)
                        .specification("OAS30")
                        .output_type("JSON")
                        .stage_name(&stage_name)
                        .send()
                };
                match r.call("ExportApi", export).await {
                    Ok(out) => Some(Ok(out
                        .body()
                        .map(|b| b.as_ref().to_vec())
                        .unwrap_or_default())),
                    // Not exportable here: build it from the routes below.
                    Err(e) if matches!(e.status, Some(400 | 404)) => None,
                    Err(e) => Some(Err(e.error)),
                }
            };
            let outcome = match exported {
                Some(Ok(bytes)) => FetchOutcome::Document(Document {
                    bytes,
                    format_hint: Some(DefinitionFormat::Openapi3),
                    content_type: Some("application/json".into()),
                    file_name: None,
                    urls: vec![url],
                    synthesized: false,
                }),
                Some(Err(e)) => FetchOutcome::Failed(e),
                None => {
                    if routes.is_none() {
                        routes = Some(route_keys(r, cx, &id).await);
                    }
                    match routes.as_ref() {
                        Some(Ok(keys)) => {
                            let protocol = if websocket { "WEBSOCKET" } else { "HTTP" };
                            let shape = ApiShape {
                                api_id: &id,
                                name: &name,
                                version: api.version(),
                                protocol,
                                stage: &stage_name,
                                invoke_url: &url,
                            };
                            FetchOutcome::Document(Document {
                                bytes: synth::document(&shape, keys),
                                format_hint: Some(DefinitionFormat::Openapi3),
                                content_type: Some("application/json".into()),
                                file_name: None,
                                urls: vec![url],
                                synthesized: true,
                            })
                        }
                        Some(Err(e)) => FetchOutcome::Failed(e.clone()),
                        None => {
                            FetchOutcome::Failed(ConnectorError::protocol("routes unavailable"))
                        }
                    }
                }
            };
            items.push(Fetched {
                external_key: format!("{api_key}:{stage_name}"),
                name: Some(format!("{name} ({stage_name})")),
                outcome,
            });
        }
    }
    Ok(items)
}
