//! The `azure` connector: every current API of the visible Azure API Management
//! services, each in its real format, keyed `<subscription>/<resourceGroup>/<service>/<apiId>`
//! (workspace APIs: `…/<service>/workspaces/<workspace>/<apiId>`).
//!
//! - Token: Microsoft Entra client credentials (form body, scope
//!   `<managementUrl>/.default`) through the toolkit's cached grant.
//! - Listing: subscriptions (or the one given), API Management services (or the one
//!   given), then each service's `apis?$filter=isCurrent eq true`, following
//!   `nextLink` (`""`, `null` or absent ends it). Non-current revisions (`;rev=`)
//!   never become targets.
//! - Export by the API's `properties.type` (absent: HTTP): HTTP and OData as
//!   `openapi+json-link` (then `openapi-link`, then the inline `openapi+json`, when
//!   an export answers 400 or 500), downloaded at once without the ARM token; SOAP as
//!   `wsdl-link`; GraphQL from its `graphql` schema's SDL (the OpenAPI export of a
//!   GraphQL API is empty by design); WebSocket and gRPC APIs have no export and are
//!   reported as skipped, naming the type.
//! - No revision: APIM gives no cheap token that provably changes with an API's
//!   content, so every run downloads every API (the content hash still makes an
//!   unchanged API write nothing).
//! - A 403 on one service (no API Management Service Reader role) does not stop
//!   the others: their APIs are written, then the run fails naming the role, and
//!   nothing is marked missing.

pub mod params;

use std::sync::Arc;

use serde_json::Value;

use self::params::{AzureParameters, Cloud};
use crate::connector::{Connector, Context, Document, Item, Listed, Listing, fetch};
use crate::descriptor::{Descriptor, read_for_build};
use crate::error::ConnectorError;
use crate::http::oauth::{Body, Cached, Grant};
use crate::http::paginate::LinkPages;
use crate::http::{Http, HttpOptions};
use crate::importer_type::ImporterType;
use crate::normalize::DefinitionFormat;
use crate::registry::Environment;

pub static DESCRIPTOR: Descriptor = Descriptor::new::<AzureParameters>(
    ImporterType::Azure,
    &["clientSecret"],
    &[
        "managementUrl",
        "loginUrl",
        "cloud",
        "tenantId",
        "organizationId",
    ],
    build,
);

const PLATFORM: &str = "Azure";
const SUBSCRIPTIONS_API: &str = "2020-01-01";
const WORKSPACES_API: &str = "2024-05-01";

fn build(parameters: &Value, env: &Environment) -> Result<Box<dyn Connector>, ConnectorError> {
    let p: AzureParameters = read_for_build(parameters, env)?;
    let (arm, login) = p.cloud.unwrap_or(Cloud::Public).hosts();
    let arm = p.management_url.clone().unwrap_or_else(|| arm.to_owned());
    let arm = arm.trim_end_matches('/').to_owned();
    let login = p.login_url.clone().unwrap_or_else(|| login.to_owned());
    let tenant = p.tenant_id.clone().unwrap_or_default();
    let token = Cached::new(
        format!("{}/{tenant}/oauth2/v2.0/token", login.trim_end_matches('/')),
        Grant::ClientCredentials {
            client_id: p.client_id.clone().unwrap_or_default(),
            client_secret: p
                .client_secret
                .clone()
                .ok_or_else(|| ConnectorError::config("clientSecret is required"))?,
            scope: Some(format!("{arm}/.default")),
            body: Body::Form,
        },
    );
    let mut opts = HttpOptions::new(PLATFORM);
    opts.requests_per_second = p.max_requests_per_second.unwrap_or(10);
    Ok(Box::new(AzureConnector {
        arm: Arc::new(Arm {
            http: Http::new(opts)?,
            base: arm,
            token,
            api_version: p.api_version.clone().unwrap_or_else(|| "2022-08-01".into()),
        }),
        subscription: p.subscription_id,
        service: p.resource_group.zip(p.service_name),
        workspaces: p.include_workspaces.unwrap_or(false),
    }))
}

/// Azure Resource Manager with the principal's token.
struct Arm {
    http: Http,
    base: String,
    token: Cached,
    api_version: String,
}

impl Arm {
    fn url(
        &self,
        path: &str,
        api_version: &str,
        query: &[(&str, &str)],
    ) -> Result<url::Url, ConnectorError> {
        let mut all = vec![("api-version", api_version)];
        all.extend_from_slice(query);
        self.http.url(&self.base, path, &all)
    }

    async fn get(&self, cx: &Context, url: url::Url) -> Result<Value, ConnectorError> {
        let call = format!("GET {}", url.path());
        let resp = self
            .http
            .send_authed(&cx.cancel, &call, &self.token, &move |c| c.get(url.clone()))
            .await?;
        for (k, v) in resp.headers() {
            if k.as_str().starts_with("x-ms-ratelimit-remaining") {
                tracing::debug!(header = %k, value = ?v, call = %call, "ARM rate limit budget");
            }
        }
        self.http.json(&call, resp).await
    }

    /// Every `value` item of a list, following `nextLink`.
    async fn all(&self, cx: &Context, first: url::Url) -> Result<Vec<Value>, ConnectorError> {
        let mut pages = LinkPages::new(first);
        let mut items = Vec::new();
        while let Some(page) = pages.next_page() {
            cx.ensure_active()?;
            let body = self.get(cx, page.clone()).await?;
            if let Some(v) = body.get("value").and_then(Value::as_array) {
                items.extend(v.iter().cloned());
            }
            pages.advance(&page, body.get("nextLink").and_then(Value::as_str), |_| {})?;
        }
        Ok(items)
    }
}

struct AzureConnector {
    arm: Arc<Arm>,
    subscription: Option<String>,
    service: Option<(String, String)>,
    workspaces: bool,
}

/// One API Management service.
struct Service {
    sub: String,
    rg: String,
    name: String,
    /// ARM id (`/subscriptions/…/service/<name>`).
    id: String,
    gateway: Option<String>,
}

fn service_of(sub: &str, v: &Value) -> Option<Service> {
    let id = v.get("id")?.as_str()?.to_owned();
    let parts: Vec<&str> = id.split('/').collect();
    let rg = parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("resourceGroups"))
        .and_then(|i| parts.get(i + 1))?
        .to_string();
    Some(Service {
        sub: sub.to_owned(),
        rg,
        name: v.get("name")?.as_str()?.to_owned(),
        gateway: v
            .pointer("/properties/gatewayUrl")
            .and_then(Value::as_str)
            .map(str::to_owned),
        id,
    })
}

impl AzureConnector {
    async fn subscriptions(&self, cx: &Context) -> Result<Vec<String>, ConnectorError> {
        if let Some(s) = &self.subscription {
            return Ok(vec![s.clone()]);
        }
        let url = self.arm.url("/subscriptions", SUBSCRIPTIONS_API, &[])?;
        Ok(self
            .arm
            .all(cx, url)
            .await?
            .iter()
            .filter_map(|s| {
                s.get("subscriptionId")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect())
    }

    async fn services(&self, cx: &Context, sub: &str) -> Result<Vec<Service>, ConnectorError> {
        let v = &self.arm.api_version;
        if let Some((rg, name)) = &self.service {
            let path = format!(
                "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{name}"
            );
            let body = self.arm.get(cx, self.arm.url(&path, v, &[])?).await?;
            return Ok(service_of(sub, &body).into_iter().collect());
        }
        let path = format!("/subscriptions/{sub}/providers/Microsoft.ApiManagement/service");
        let url = self.arm.url(&path, v, &[])?;
        Ok(self
            .arm
            .all(cx, url)
            .await?
            .iter()
            .filter_map(|s| service_of(sub, s))
            .collect())
    }

    /// The current APIs under `scope` (a service, or one of its workspaces).
    async fn apis(
        &self,
        cx: &Context,
        scope: &str,
        version: &str,
    ) -> Result<Vec<Value>, ConnectorError> {
        let url = self.arm.url(
            &format!("{scope}/apis"),
            version,
            &[("$filter", "isCurrent eq true")],
        )?;
        self.arm.all(cx, url).await
    }

    async fn push_apis(
        &self,
        cx: &Context,
        out: &Listing,
        svc: &Service,
        scope: &str,
        version: &str,
        key_prefix: &str,
    ) -> Result<(), ConnectorError> {
        for api in self.apis(cx, scope, version).await? {
            let Some(name) = api.get("name").and_then(Value::as_str) else {
                continue;
            };
            if name.contains(";rev=")
                || api.pointer("/properties/isCurrent") == Some(&Value::Bool(false))
            {
                continue;
            }
            let props = api.get("properties").cloned().unwrap_or(Value::Null);
            let display = props
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or(name)
                .to_owned();
            let shown = match (
                props.get("apiVersionSetId"),
                props.get("apiVersion").and_then(Value::as_str),
            ) {
                (Some(Value::String(_)), Some(v)) if !v.is_empty() => format!("{display} ({v})"),
                _ => display,
            };
            let key = format!("{key_prefix}/{name}");
            // An API version of a version set says which set and version it is.
            let mut annotations = Vec::new();
            if let Some(set) = props.get("apiVersionSetId").and_then(Value::as_str) {
                let set = set.rsplit('/').next().unwrap_or(set);
                annotations.push(("versionSet".to_owned(), set.to_owned()));
                if let Some(v) = props.get("apiVersion").and_then(Value::as_str) {
                    annotations.push(("apiVersion".to_owned(), v.to_owned()));
                }
            }
            let kind = props
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("http")
                .to_ascii_lowercase();
            let urls: Vec<String> = svc
                .gateway
                .iter()
                .map(|g| {
                    let path = props
                        .get("path")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    format!(
                        "{}/{}",
                        g.trim_end_matches('/'),
                        path.trim_start_matches('/')
                    )
                })
                .collect();
            let item = match kind.as_str() {
                "http" | "odata" | "soap" | "graphql" => {
                    let arm = self.arm.clone();
                    let cx = cx.clone();
                    let api_path = format!("{scope}/apis/{name}");
                    let version = version.to_owned();
                    fetch(async move {
                        export(&arm, &cx, &api_path, &version, &kind, urls, annotations).await
                    })
                }
                other => Item::Skipped {
                    reason: format!("API Management exports no definition for {other} APIs"),
                },
            };
            out.push(Listed::new(key, item).named(shown)).await?;
        }
        Ok(())
    }
}

/// The API's definition in its own format.
async fn export(
    arm: &Arm,
    cx: &Context,
    api_path: &str,
    version: &str,
    kind: &str,
    urls: Vec<String>,
    annotations: Vec<(String, String)>,
) -> Result<Document, ConnectorError> {
    let doc = |bytes: Vec<u8>, hint: DefinitionFormat| Document {
        operation_notes: Vec::new(),
        bytes,
        format_hint: Some(hint),
        content_type: None,
        file_name: None,
        urls: urls.clone(),
        synthesized: None,
        annotations: annotations.clone(),
    };
    if kind == "graphql" {
        let url = arm.url(&format!("{api_path}/schemas/graphql"), version, &[])?;
        let body = arm.get(cx, url).await?;
        let sdl = body
            .pointer("/properties/document/value")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ConnectorError::protocol(format!(
                    "{PLATFORM} GET {api_path}/schemas/graphql: no SDL in properties.document.value"
                ))
            })?;
        return Ok(doc(sdl.as_bytes().to_vec(), DefinitionFormat::Graphql));
    }
    if kind == "soap" {
        let bytes = linked(arm, cx, api_path, version, "wsdl-link").await?;
        return Ok(doc(bytes, DefinitionFormat::Wsdl));
    }
    let mut last = None;
    for format in ["openapi+json-link", "openapi-link"] {
        match linked(arm, cx, api_path, version, format).await {
            Ok(bytes) => return Ok(doc(bytes, DefinitionFormat::Openapi3)),
            Err(e) if matches!(e.status, Some(400 | 500)) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    // The inline export, whose `value` is the document (a string or an object).
    let url = arm.url(
        api_path,
        version,
        &[("format", "openapi+json"), ("export", "true")],
    )?;
    let body = arm.get(cx, url).await.map_err(|e| last.unwrap_or(e))?;
    let bytes = match body.get("value") {
        Some(Value::String(s)) => s.as_bytes().to_vec(),
        Some(v @ Value::Object(_)) => serde_json::to_vec(v).unwrap_or_default(),
        _ => {
            return Err(ConnectorError::protocol(format!(
                "{PLATFORM} GET {api_path}: the export has no value"
            )));
        }
    };
    Ok(doc(bytes, DefinitionFormat::Openapi3))
}

/// A `*-link` export, downloaded at once without the ARM token (the link is a
/// short-lived SAS URL on a blob host).
async fn linked(
    arm: &Arm,
    cx: &Context,
    api_path: &str,
    version: &str,
    format: &str,
) -> Result<Vec<u8>, ConnectorError> {
    let url = arm.url(api_path, version, &[("format", format), ("export", "true")])?;
    let body = arm.get(cx, url).await?;
    let link = body
        .pointer("/value/link")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ConnectorError::protocol(format!(
                "{PLATFORM} GET {api_path} ({format}): the export has no value.link"
            ))
        })?;
    arm.http
        .download_unauthenticated(
            &cx.cancel,
            &format!("download of the {format} export of {api_path}"),
            link,
        )
        .await
}

#[async_trait::async_trait]
impl Connector for AzureConnector {
    async fn check(&self, cx: &Context) -> Result<(), ConnectorError> {
        let sub = match &self.subscription {
            Some(s) => s.clone(),
            None => {
                let url = self.arm.url("/subscriptions", SUBSCRIPTIONS_API, &[])?;
                self.arm.get(cx, url).await?;
                return Ok(());
            }
        };
        let path = format!("/subscriptions/{sub}/providers/Microsoft.ApiManagement/service");
        self.arm
            .get(cx, self.arm.url(&path, &self.arm.api_version, &[])?)
            .await
            .map(|_| ())
    }

    async fn list(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError> {
        let mut refused: Vec<String> = Vec::new();
        for sub in self.subscriptions(cx).await? {
            for svc in self.services(cx, &sub).await? {
                let prefix = format!("{}/{}/{}", svc.sub, svc.rg, svc.name);
                let version = self.arm.api_version.clone();
                let result = async {
                    self.push_apis(cx, out, &svc, &svc.id, &version, &prefix)
                        .await?;
                    if self.workspaces {
                        let url =
                            self.arm
                                .url(&format!("{}/workspaces", svc.id), WORKSPACES_API, &[])?;
                        for ws in self.arm.all(cx, url).await? {
                            let Some(w) = ws.get("name").and_then(Value::as_str) else {
                                continue;
                            };
                            let scope = format!("{}/workspaces/{w}", svc.id);
                            let key = format!("{prefix}/workspaces/{w}");
                            self.push_apis(cx, out, &svc, &scope, WORKSPACES_API, &key)
                                .await?;
                        }
                    }
                    Ok::<(), ConnectorError>(())
                }
                .await;
                match result {
                    Err(e) if e.status == Some(403) => refused.push(prefix),
                    other => other?,
                }
            }
        }
        if refused.is_empty() {
            return Ok(());
        }
        Err(ConnectorError::auth(format!(
            "{PLATFORM} refused to list the APIs of {} (403): give the service principal the API Management Service Reader role there; the other services were imported",
            refused.join(", ")
        ))
        .with_status(403))
    }
}
