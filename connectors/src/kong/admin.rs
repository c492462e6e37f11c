//! Kong Gateway's Admin API: services and their routes, per workspace.
//!
//! Lists are `{data, next, offset}` envelopes; `next` is a path relative to the
//! server's root (so an `adminUrl` path prefix is put back) and, for nested lists,
//! drops `size` and `tags`, which are put back too. `size` is at most 1000.
//! Workspace `default` is the root (`/services`); others are `/{workspace}/…`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use super::params::KongParameters;
use super::synth::{self, Route, Service, Shape};
use crate::connector::{Connector, Context, Document, Item, Listed, Listing, fetch};
use crate::error::ConnectorError;
use crate::http::paginate::LinkPages;
use crate::http::{Http, HttpOptions};
use crate::normalize::DefinitionFormat;
use crate::params::Secret;

pub struct AdminConnector {
    inner: Arc<Inner>,
}

struct Inner {
    http: Http,
    /// `adminUrl` with a trailing `/`, so joins keep its path prefix.
    base: url::Url,
    token: Option<Secret>,
    workspaces: Vec<String>,
    tags: Option<String>,
    proxy_url: Option<String>,
    page_size: String,
}

impl AdminConnector {
    pub fn new(p: KongParameters) -> Result<AdminConnector, ConnectorError> {
        let raw = p
            .admin_url
            .clone()
            .ok_or_else(|| ConnectorError::config("adminUrl is required in admin mode"))?;
        let mut base = url::Url::parse(raw.trim())
            .map_err(|e| ConnectorError::config(format!("adminUrl `{raw}` is not a URL ({e})")))?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mut opts = HttpOptions::new("Kong Admin API");
        opts.requests_per_second = p.max_requests_per_second.unwrap_or(10);
        Ok(AdminConnector {
            inner: Arc::new(Inner {
                http: Http::new(opts)?,
                base,
                token: p.admin_token,
                workspaces: p.workspaces.unwrap_or_else(|| vec!["default".into()]),
                tags: p.tags.map(|t| t.join(",")),
                proxy_url: p.proxy_url,
                page_size: p.page_size.unwrap_or(1000).to_string(),
            }),
        })
    }
}

impl Inner {
    fn shown(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// `path` (no leading `/`) in `workspace`.
    fn url(&self, workspace: &str, path: &str) -> Result<url::Url, ConnectorError> {
        let rel = if workspace == "default" {
            path.to_owned()
        } else {
            format!("{workspace}/{path}")
        };
        self.base
            .join(&rel)
            .map_err(|e| ConnectorError::protocol(format!("cannot build the URL of {rel} ({e})")))
    }

    /// What the operator reads for Kong's refusals and errors.
    fn explain(&self, call: &str, e: ConnectorError) -> ConnectorError {
        match e.status {
            Some(401) => ConnectorError::auth(format!(
                "Kong Admin API at {} refused the token (401) on {call}",
                self.shown()
            ))
            .with_status(401),
            Some(403) => ConnectorError::auth(format!(
                "Kong Admin API at {} refused access (403) on {call}: the RBAC user may not read it",
                self.shown()
            ))
            .with_status(403),
            _ => e,
        }
    }

    async fn get(&self, cx: &Context, call: &str, url: url::Url) -> Result<Value, ConnectorError> {
        let token = self.token.clone();
        let resp = self
            .http
            .send(&cx.cancel, call, &move |c| {
                let req = c.get(url.clone());
                match &token {
                    Some(t) => req.header("Kong-Admin-Token", t.expose()),
                    None => req,
                }
            })
            .await
            .map_err(|e| self.explain(call, e))?;
        self.http.json(call, resp).await
    }

    /// Every item of a paged list; `call` names it in messages.
    async fn all(
        &self,
        cx: &Context,
        call: &str,
        first: url::Url,
    ) -> Result<Vec<Value>, ConnectorError> {
        let prefix = self.base.path().trim_end_matches('/').to_owned();
        let tags = self.tags.clone();
        let page_size = self.page_size.clone();
        let mut pages = LinkPages::new(first);
        let mut items = Vec::new();
        while let Some(page) = pages.next_page() {
            cx.ensure_active()?;
            let body = self.get(cx, call, page.clone()).await?;
            let Some(data) = body.get("data").and_then(Value::as_array) else {
                return Err(ConnectorError::protocol(format!(
                    "Kong Admin API {call}: the answer has no `data` list"
                )));
            };
            items.extend(data.iter().cloned());
            let next = body.get("next").and_then(Value::as_str);
            pages.advance(&page, next, |u| {
                if !prefix.is_empty() && !u.path().starts_with(&format!("{prefix}/")) {
                    let path = format!("{prefix}{}", u.path());
                    u.set_path(&path);
                }
                let has = |k: &str| u.query_pairs().any(|(q, _)| q == k);
                let (size, tagged) = (has("size"), has("tags"));
                let mut q = u.query_pairs_mut();
                if !size {
                    q.append_pair("size", &page_size);
                }
                if let (false, Some(t)) = (tagged, &tags) {
                    q.append_pair("tags", t);
                }
            })?;
        }
        Ok(items)
    }

    async fn workspaces(&self, cx: &Context) -> Result<Vec<String>, ConnectorError> {
        if self.workspaces.iter().any(|w| w == "*") {
            let mut url = self.url("default", "workspaces")?;
            url.query_pairs_mut().append_pair("size", &self.page_size);
            let list = self.all(cx, "GET /workspaces", url).await?;
            return Ok(list
                .iter()
                .filter_map(|w| w.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect());
        }
        Ok(self.workspaces.clone())
    }

    async fn services(&self, cx: &Context, ws: &str) -> Result<Vec<Service>, ConnectorError> {
        let mut url = self.url(ws, "services")?;
        url.query_pairs_mut().append_pair("size", &self.page_size);
        if let Some(t) = &self.tags {
            url.query_pairs_mut().append_pair("tags", t);
        }
        let call = format!("GET {}", url.path());
        self.all(cx, &call, url)
            .await?
            .into_iter()
            .map(|v| {
                serde_json::from_value(v).map_err(|e| {
                    ConnectorError::protocol(format!(
                        "Kong Admin API {call}: a service is not as documented ({e})"
                    ))
                })
            })
            .collect()
    }

    async fn routes(
        &self,
        cx: &Context,
        ws: &str,
        service: &str,
    ) -> Result<Vec<Route>, ConnectorError> {
        let mut url = self.url(ws, &format!("services/{service}/routes"))?;
        url.query_pairs_mut().append_pair("size", &self.page_size);
        let call = format!("GET {}", url.path());
        self.all(cx, &call, url)
            .await?
            .into_iter()
            .map(|v| {
                serde_json::from_value(v).map_err(|e| {
                    ConnectorError::protocol(format!(
                        "Kong Admin API {call}: a route is not as documented ({e})"
                    ))
                })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl Connector for AdminConnector {
    async fn check(&self, cx: &Context) -> Result<(), ConnectorError> {
        let url = self.inner.url("default", "")?;
        self.inner.get(cx, "GET /", url).await.map(|_| ())
    }

    async fn list(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError> {
        let inner = &self.inner;
        let mut found: Vec<(String, Service)> = Vec::new();
        for ws in inner.workspaces(cx).await? {
            for s in inner.services(cx, &ws).await? {
                found.push((ws.clone(), s));
            }
        }
        // A name used in two workspaces is told apart by its workspace.
        let mut seen: HashMap<String, HashSet<&str>> = HashMap::new();
        for (ws, s) in &found {
            let name = s.name.clone().unwrap_or_else(|| s.id.clone());
            seen.entry(name).or_default().insert(ws.as_str());
        }
        let shared: HashSet<String> = seen
            .into_iter()
            .filter(|(_, w)| w.len() > 1)
            .map(|(n, _)| n)
            .collect();
        for (ws, service) in found {
            cx.ensure_active()?;
            let key = format!("{ws}/{}", service.id);
            let plain = service.name.clone().unwrap_or_else(|| service.id.clone());
            let name = if shared.contains(&plain) {
                format!("{plain} ({ws})")
            } else {
                plain
            };
            let routes = match inner.routes(cx, &ws, &service.id).await {
                Ok(r) => r,
                Err(e) if e.kind == crate::error::ErrorKind::Protocol => {
                    out.push(Listed::new(key, Item::Failed(e)).named(name))
                        .await?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if !routes.is_empty() && routes.iter().all(Route::is_stream_only) {
                let reason =
                    "only tcp, tls or udp routes: no HTTP operations to describe".to_owned();
                out.push(Listed::new(key, Item::Skipped { reason }).named(name))
                    .await?;
                continue;
            }
            let revision = synth::revision(&service, &routes);
            let proxy = inner.proxy_url.clone();
            let title = name.clone();
            let origin = format!("workspace {ws}");
            let item = fetch(async move {
                let shape = Shape {
                    title: &title,
                    origin: &origin,
                    proxy_url: proxy.as_deref(),
                };
                let (bytes, urls) = synth::document(&shape, &service, &routes);
                Ok(Document {
                    bytes,
                    format_hint: Some(DefinitionFormat::Openapi3),
                    content_type: Some("application/json".into()),
                    file_name: None,
                    urls,
                    synthesized: true,
                })
            });
            out.push(Listed::new(key, item).named(name).revision(revision))
                .await?;
        }
        Ok(())
    }
}
