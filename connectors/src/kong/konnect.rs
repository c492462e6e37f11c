//! Kong Konnect: control planes (`GET /v2/control-planes`, paged by `page[size]` /
//! `page[number]` with `meta.page.total`), each control plane's gateway services and
//! routes (`/v2/control-planes/{id}/core-entities/…`, the Admin API's envelope),
//! and the API catalog (`/v3/apis`, `/v3/apis/{id}/versions`, and
//! `GET /v3/apis/{id}/versions/{versionId}` for `spec.content`, the document as a
//! string). `source`:
//! - `catalog`: one target per catalog API version, keyed `catalog/<apiId>/<versionId>`,
//!   the real document;
//! - `gateway`: one target per gateway service, keyed `<control plane id>/<service id>`,
//!   synthesized from its routes;
//! - `auto` (default): the catalog, plus the gateway services no catalog API is
//!   implemented by (`GET /v3/api-implementations`).

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use super::admin::{Auth, Entities, Found, as_base, display_names, push_service};
use super::params::{KongParameters, Region, Source};
use super::synth::Service;
use crate::connector::{Connector, Context, Document, Listed, Listing, fetch};
use crate::error::ConnectorError;
use crate::http::paginate::NumberPages;
use crate::http::{Http, HttpOptions};
use crate::params::Secret;

const LABEL: &str = "Konnect";
/// The largest `page[size]` Konnect's v2 and v3 lists take.
const MAX_PAGE: u64 = 100;

pub struct KonnectConnector {
    api: Arc<Entities>,
    page: u64,
    control_planes: Option<Vec<String>>,
    source: Source,
}

fn region_url(r: Region) -> String {
    format!("https://{}.api.konghq.com", r.as_str())
}

impl KonnectConnector {
    pub fn new(p: KongParameters) -> Result<KonnectConnector, ConnectorError> {
        let token: Secret = p
            .token
            .clone()
            .ok_or_else(|| ConnectorError::config("token is required in konnect mode"))?;
        let raw = p
            .konnect_url
            .clone()
            .unwrap_or_else(|| region_url(p.region.unwrap_or(Region::Us)));
        let mut opts = HttpOptions::new(LABEL);
        opts.requests_per_second = p.max_requests_per_second.unwrap_or(10);
        Ok(KonnectConnector {
            api: Arc::new(Entities {
                http: Arc::new(Http::new(opts)?),
                base: as_base(&raw)?,
                label: LABEL.into(),
                auth: Auth::Bearer(token),
                tags: p.tags.map(|t| t.join(",")),
                proxy_url: p.proxy_url,
                page_size: p.page_size.unwrap_or(1000).to_string(),
            }),
            page: u64::from(p.page_size.unwrap_or(100)).min(MAX_PAGE),
            control_planes: p.control_planes,
            source: p.source.unwrap_or(Source::Auto),
        })
    }

    /// Every item of a `page[number]` list under `path`.
    async fn pages(&self, cx: &Context, path: &str) -> Result<Vec<Value>, ConnectorError> {
        let call = format!("GET /{path}");
        let mut pages = NumberPages::new(self.page);
        let mut items = Vec::new();
        while let Some(n) = pages.next_page() {
            cx.ensure_active()?;
            let mut url = self.api.url("default", path)?;
            url.query_pairs_mut()
                .append_pair("page[size]", &pages.size().to_string())
                .append_pair("page[number]", &n.to_string());
            let body = self.api.get(cx, &call, url).await?;
            let data = body.get("data").and_then(Value::as_array).ok_or_else(|| {
                ConnectorError::protocol(format!("{LABEL} {call}: the answer has no `data` list"))
            })?;
            let total = body.pointer("/meta/page/total").and_then(Value::as_u64);
            items.extend(data.iter().cloned());
            pages.advance(n, data.len(), total);
        }
        Ok(items)
    }

    /// `(id, name)` of the control planes to read.
    async fn control_planes(&self, cx: &Context) -> Result<Vec<(String, String)>, ConnectorError> {
        let all: Vec<(String, String)> = self
            .pages(cx, "v2/control-planes")
            .await?
            .iter()
            .filter_map(|cp| {
                let id = cp.get("id")?.as_str()?.to_owned();
                let name = cp
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(&id)
                    .to_owned();
                Some((id, name))
            })
            .collect();
        let Some(wanted) = &self.control_planes else {
            return Ok(all);
        };
        let picked: Vec<(String, String)> = all
            .iter()
            .filter(|(id, name)| wanted.iter().any(|w| w == id || w == name))
            .cloned()
            .collect();
        if let Some(missing) = wanted
            .iter()
            .find(|w| !all.iter().any(|(id, name)| *w == id || *w == name))
        {
            return Err(ConnectorError::config(format!(
                "{LABEL} has no control plane `{missing}` (parameters.controlPlanes)"
            )));
        }
        Ok(picked)
    }

    /// The control plane's entity API (the Admin API's shape).
    fn entities(&self, cp: &str) -> Result<Entities, ConnectorError> {
        let base = self
            .api
            .base
            .join(&format!("v2/control-planes/{cp}/core-entities/"))
            .map_err(|e| {
                ConnectorError::protocol(format!("cannot build a control plane URL ({e})"))
            })?;
        Ok(Entities {
            http: self.api.http.clone(),
            base,
            label: LABEL.into(),
            auth: self.api.auth.clone(),
            tags: self.api.tags.clone(),
            proxy_url: self.api.proxy_url.clone(),
            page_size: self.api.page_size.clone(),
        })
    }

    async fn catalog(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError> {
        for api in self.pages(cx, "v3/apis").await? {
            let Some(api_id) = api.get("id").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            let api_name = api
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&api_id)
                .to_owned();
            let versions = self
                .pages(cx, &format!("v3/apis/{api_id}/versions"))
                .await?;
            for v in versions {
                let Some(vid) = v.get("id").and_then(Value::as_str).map(str::to_owned) else {
                    continue;
                };
                let label = v.get("version").and_then(Value::as_str).unwrap_or(&vid);
                let name = format!("{api_name} {label}");
                let key = format!("catalog/{api_id}/{vid}");
                let revision = v
                    .get("updated_at")
                    .and_then(Value::as_str)
                    .map(|at| format!("{vid}@{at}"));
                let api = self.api.clone();
                let cx2 = cx.clone();
                let path = format!("v3/apis/{api_id}/versions/{vid}");
                let item = fetch(async move {
                    let call = format!("GET /{path}");
                    let url = api.url("default", &path)?;
                    let body = api.get(&cx2, &call, url).await?;
                    let content = body
                        .pointer("/spec/content")
                        .and_then(Value::as_str)
                        .ok_or_else(|| {
                            ConnectorError::protocol(format!("{LABEL} {call}: no spec.content"))
                        })?;
                    Ok(Document {
                        operation_notes: Vec::new(),
                        bytes: content.as_bytes().to_vec(),
                        format_hint: None,
                        content_type: None,
                        file_name: None,
                        urls: Vec::new(),
                        synthesized: None,
                        annotations: Vec::new(),
                    })
                });
                let mut listed = Listed::new(key, item).named(name);
                if let Some(r) = revision {
                    listed = listed.revision(r);
                }
                out.push(listed).await?;
            }
        }
        Ok(())
    }

    /// `(control plane id, service id)` pairs some catalog API is implemented by.
    async fn implemented(&self, cx: &Context) -> Result<HashSet<(String, String)>, ConnectorError> {
        Ok(self
            .pages(cx, "v3/api-implementations")
            .await?
            .iter()
            .filter_map(|i| {
                let s = i.get("service")?;
                Some((
                    s.get("control_plane_id")?.as_str()?.to_owned(),
                    s.get("id")?.as_str()?.to_owned(),
                ))
            })
            .collect())
    }

    async fn gateway(
        &self,
        cx: &Context,
        out: &Listing,
        covered: &HashSet<(String, String)>,
    ) -> Result<(), ConnectorError> {
        let mut found: Vec<(String, Service)> = Vec::new();
        let mut planes = Vec::new();
        for (cp, cp_name) in self.control_planes(cx).await? {
            let e = self.entities(&cp)?;
            for s in e.services(cx, "default").await? {
                if !covered.contains(&(cp.clone(), s.id.clone())) {
                    found.push((cp_name.clone(), s));
                    planes.push(cp.clone());
                }
            }
        }
        let names = display_names(&found);
        for (((cp_name, service), name), cp) in found.into_iter().zip(names).zip(planes) {
            cx.ensure_active()?;
            let e = self.entities(&cp)?;
            let found = Found {
                ws: "default".into(),
                key: format!("{cp}/{}", service.id),
                name,
                origin: format!("control plane {cp_name}"),
                service,
            };
            push_service(&e, cx, out, found).await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Connector for KonnectConnector {
    async fn check(&self, cx: &Context) -> Result<(), ConnectorError> {
        let mut url = self.api.url("default", "v2/control-planes")?;
        url.query_pairs_mut().append_pair("page[size]", "1");
        self.api
            .get(cx, "GET /v2/control-planes", url)
            .await
            .map(|_| ())
    }

    async fn list(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError> {
        match self.source {
            Source::Catalog => self.catalog(cx, out).await,
            Source::Gateway => self.gateway(cx, out, &HashSet::new()).await,
            Source::Auto => {
                self.catalog(cx, out).await?;
                let covered = self.implemented(cx).await?;
                self.gateway(cx, out, &covered).await
            }
        }
    }
}
