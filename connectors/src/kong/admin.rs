//! Kong Gateway's Admin API: services and their routes, per workspace. Konnect's
//! core entities (`/v2/control-planes/{id}/core-entities/…`) are the same API with
//! a bearer token, so [`Entities`] and [`push_service`] serve both modes.
//!
//! Lists are `{data, next, offset}` envelopes; `next` is a path relative to the
//! server's root (so a base path prefix is put back) and, for nested lists, drops
//! `size` and `tags`, which are put back too. `size` is at most 1000. Workspace
//! `default` is the root (`/services`); others are `/{workspace}/…`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use super::params::KongParameters;
use super::synth::{self, Route, Service, Shape};
use crate::connector::{Connector, Context, Document, Item, Listed, Listing, fetch};
use crate::error::{ConnectorError, ErrorKind};
use crate::http::paginate::LinkPages;
use crate::http::{Http, HttpOptions};
use crate::normalize::DefinitionFormat;
use crate::params::Secret;

/// How calls authenticate.
#[derive(Clone)]
pub enum Auth {
    /// Kong Enterprise RBAC (`Kong-Admin-Token`), or none.
    AdminToken(Option<Secret>),
    /// Konnect personal or system-account tokens.
    Bearer(Secret),
}

/// Kong's entity API at one base URL.
pub struct Entities {
    pub http: Arc<Http>,
    /// The base with a trailing `/`, so joins keep its path prefix.
    pub base: url::Url,
    /// Names the API in messages ("Kong Admin API", "Konnect").
    pub label: String,
    pub auth: Auth,
    pub tags: Option<String>,
    pub proxy_url: Option<String>,
    pub page_size: String,
}

/// `raw` as a base URL (with a trailing `/`).
pub fn as_base(raw: &str) -> Result<url::Url, ConnectorError> {
    let mut base = url::Url::parse(raw.trim())
        .map_err(|e| ConnectorError::config(format!("`{raw}` is not a URL ({e})")))?;
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    Ok(base)
}

impl Entities {
    pub fn shown(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// `path` (no leading `/`) in `workspace`.
    pub fn url(&self, workspace: &str, path: &str) -> Result<url::Url, ConnectorError> {
        let rel = if workspace == "default" {
            path.to_owned()
        } else {
            format!("{workspace}/{path}")
        };
        self.base
            .join(&rel)
            .map_err(|e| ConnectorError::protocol(format!("cannot build the URL of {rel} ({e})")))
    }

    /// What the operator reads for refusals.
    pub fn explain(&self, call: &str, e: ConnectorError) -> ConnectorError {
        let (label, at) = (&self.label, self.shown());
        match e.status {
            Some(401) => {
                ConnectorError::auth(format!("{label} at {at} refused the token (401) on {call}"))
                    .with_status(401)
            }
            Some(403) => ConnectorError::auth(format!(
                "{label} at {at} refused access (403) on {call}: the token's user may not read it"
            ))
            .with_status(403),
            _ => e,
        }
    }

    pub async fn get(
        &self,
        cx: &Context,
        call: &str,
        url: url::Url,
    ) -> Result<Value, ConnectorError> {
        let auth = self.auth.clone();
        let resp = self
            .http
            .send(&cx.cancel, call, &move |c| {
                let req = c.get(url.clone());
                match &auth {
                    Auth::AdminToken(Some(t)) => req.header("Kong-Admin-Token", t.expose()),
                    Auth::AdminToken(None) => req,
                    Auth::Bearer(t) => req.bearer_auth(t.expose()),
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
                    "{} {call}: the answer has no `data` list",
                    self.label
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

    /// Every workspace's name (`GET /workspaces`).
    async fn every_workspace(&self, cx: &Context) -> Result<Vec<String>, ConnectorError> {
        let mut url = self.url("default", "workspaces")?;
        url.query_pairs_mut().append_pair("size", &self.page_size);
        let list = self.all(cx, "GET /workspaces", url).await?;
        Ok(list
            .iter()
            .filter_map(|w| w.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect())
    }

    fn parsed<T: serde::de::DeserializeOwned>(
        &self,
        call: &str,
        what: &str,
        items: Vec<Value>,
    ) -> Result<Vec<T>, ConnectorError> {
        items
            .into_iter()
            .map(|v| {
                serde_json::from_value(v).map_err(|e| {
                    ConnectorError::protocol(format!(
                        "{} {call}: a {what} is not as documented ({e})",
                        self.label
                    ))
                })
            })
            .collect()
    }

    pub async fn services(&self, cx: &Context, ws: &str) -> Result<Vec<Service>, ConnectorError> {
        let mut url = self.url(ws, "services")?;
        url.query_pairs_mut().append_pair("size", &self.page_size);
        if let Some(t) = &self.tags {
            url.query_pairs_mut().append_pair("tags", t);
        }
        let call = format!("GET {}", url.path());
        let items = self.all(cx, &call, url).await?;
        self.parsed(&call, "service", items)
    }

    pub async fn routes(
        &self,
        cx: &Context,
        ws: &str,
        service: &str,
    ) -> Result<Vec<Route>, ConnectorError> {
        let mut url = self.url(ws, &format!("services/{service}/routes"))?;
        url.query_pairs_mut().append_pair("size", &self.page_size);
        let call = format!("GET {}", url.path());
        let items = self.all(cx, &call, url).await?;
        self.parsed(&call, "route", items)
    }
}

/// Display names for services found in several scopes (workspaces, control
/// planes): a name used in two scopes gets its scope, `<name> (<scope>)`.
pub fn display_names(found: &[(String, Service)]) -> Vec<String> {
    let plain = |s: &Service| s.name.clone().unwrap_or_else(|| s.id.clone());
    let mut scopes: HashMap<String, HashSet<&str>> = HashMap::new();
    for (scope, s) in found {
        scopes.entry(plain(s)).or_default().insert(scope.as_str());
    }
    found
        .iter()
        .map(|(scope, s)| {
            let name = plain(s);
            if scopes.get(&name).is_some_and(|w| w.len() > 1) {
                format!("{name} ({scope})")
            } else {
                name
            }
        })
        .collect()
}

/// One service as a listing item: where it lives and what it is called.
pub struct Found {
    /// The workspace the entity paths are under (`default` for Konnect).
    pub ws: String,
    pub key: String,
    pub name: String,
    /// Where it was found, for the document's description.
    pub origin: String,
    pub service: Service,
}

/// Lists one service: its routes are read now (they make the revision), its
/// document is built when the sync engine asks for it.
pub async fn push_service(
    entities: &Entities,
    cx: &Context,
    out: &Listing,
    found: Found,
) -> Result<(), ConnectorError> {
    let Found {
        ws,
        key,
        name,
        origin,
        service,
    } = found;
    let routes = match entities.routes(cx, &ws, &service.id).await {
        Ok(r) => r,
        Err(e) if e.kind == ErrorKind::Protocol => {
            return out
                .push(Listed::new(key, Item::Failed(e)).named(name))
                .await;
        }
        Err(e) => return Err(e),
    };
    if !routes.is_empty() && routes.iter().all(Route::is_stream_only) {
        let reason = "only tcp, tls or udp routes: no HTTP operations to describe".to_owned();
        return out
            .push(Listed::new(key, Item::Skipped { reason }).named(name))
            .await;
    }
    let revision = synth::revision(&service, &routes);
    let proxy = entities.proxy_url.clone();
    let title = name.clone();
    let item = fetch(async move {
        let shape = Shape {
            title: &title,
            origin: &origin,
            proxy_url: proxy.as_deref(),
        };
        let (bytes, urls) = synth::document(&shape, &service, &routes);
        Ok(Document {
            operation_notes: Vec::new(),
            bytes,
            format_hint: Some(DefinitionFormat::Openapi3),
            content_type: Some("application/json".into()),
            file_name: None,
            urls,
            synthesized: Some("routes"),
            annotations: Vec::new(),
        })
    });
    out.push(Listed::new(key, item).named(name).revision(revision))
        .await
}

pub struct AdminConnector {
    entities: Entities,
    workspaces: Vec<String>,
}

impl AdminConnector {
    pub fn new(p: KongParameters) -> Result<AdminConnector, ConnectorError> {
        let raw = p
            .admin_url
            .clone()
            .ok_or_else(|| ConnectorError::config("adminUrl is required in admin mode"))?;
        let mut opts = HttpOptions::new("Kong Admin API");
        opts.requests_per_second = p.max_requests_per_second.unwrap_or(10);
        Ok(AdminConnector {
            entities: Entities {
                http: Arc::new(Http::new(opts)?),
                base: as_base(&raw)?,
                label: "Kong Admin API".into(),
                auth: Auth::AdminToken(p.admin_token),
                tags: p.tags.map(|t| t.join(",")),
                proxy_url: p.proxy_url,
                page_size: p.page_size.unwrap_or(1000).to_string(),
            },
            workspaces: p.workspaces.unwrap_or_else(|| vec!["default".into()]),
        })
    }
}

#[async_trait::async_trait]
impl Connector for AdminConnector {
    async fn check(&self, cx: &Context) -> Result<(), ConnectorError> {
        let url = self.entities.url("default", "")?;
        self.entities.get(cx, "GET /", url).await.map(|_| ())
    }

    async fn list(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError> {
        let e = &self.entities;
        let workspaces = if self.workspaces.iter().any(|w| w == "*") {
            e.every_workspace(cx).await?
        } else {
            self.workspaces.clone()
        };
        let mut found: Vec<(String, Service)> = Vec::new();
        for ws in workspaces {
            for s in e.services(cx, &ws).await? {
                found.push((ws.clone(), s));
            }
        }
        let names = display_names(&found);
        for ((ws, service), name) in found.into_iter().zip(names) {
            cx.ensure_active()?;
            let key = format!("{ws}/{}", service.id);
            let origin = format!("workspace {ws}");
            push_service(
                e,
                cx,
                out,
                Found {
                    ws,
                    key,
                    name,
                    origin,
                    service,
                },
            )
            .await?;
        }
        Ok(())
    }
}
