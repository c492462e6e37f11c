//! The `anypoint_exchange` connector: the API assets of one Anypoint business
//! group (or it and its children) in their authored format.
//!
//! - Token: a connected app's client credentials at
//!   `/accounts/api/v2/oauth2/token`; an answer without `expires_in` is used until
//!   refused. Without `organizationId`, the app's own org from `/accounts/api/me`.
//! - Listing: `/exchange/api/v2/assets/search` per asset type, walked by
//!   `offset`/`limit` until a short page. The answer is a bare array that may
//!   hold several versions of one asset: with `latestOnly` the highest version
//!   (semantic order) is kept. Each asset's detail (`/exchange/api/v1/assets/…`,
//!   as MuleSoft's CLI reads it) names its files.
//! - The definition is the first file whose classifier fits the type (`oas` or
//!   `raml` for REST, `wsdl` for SOAP, the GraphQL schema) and that is **not**
//!   `isGenerated` (Exchange converts RAML to OAS and back; the machine version is
//!   not the API's). A zipped one (a RAML project with includes and libraries, an
//!   OpenAPI document with sibling files) is read by the normalizer as one
//!   definition. `http-api` assets have no specification and are skipped.
//! - Revision: the version and the chosen file's `md5`, so an unchanged business
//!   group downloads nothing. The presigned `externalLink` is fetched without any
//!   credentials (its storage refuses them); a link on the Anypoint host gets the
//!   bearer token.

pub mod params;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use self::params::{AnypointExchangeParameters, Region};
use crate::connector::{Connector, Context, Document, Item, Listed, Listing, fetch};
use crate::descriptor::{Descriptor, read_for_build};
use crate::error::ConnectorError;
use crate::http::oauth::{Body, Cached, Grant};
use crate::http::paginate::OffsetPages;
use crate::http::{Http, HttpOptions};
use crate::importer_type::ImporterType;
use crate::registry::Environment;

pub static DESCRIPTOR: Descriptor = Descriptor::new::<AnypointExchangeParameters>(
    ImporterType::AnypointExchange,
    &["clientSecret"],
    &["baseUrl", "region"],
    build,
);

const PLATFORM: &str = "Anypoint Exchange";
/// Assets per search page (Exchange's default is 20).
const PAGE: u64 = 100;

fn build(parameters: &Value, env: &Environment) -> Result<Box<dyn Connector>, ConnectorError> {
    let p: AnypointExchangeParameters = read_for_build(parameters, env)?;
    let base = p
        .base_url
        .clone()
        .unwrap_or_else(|| p.region.unwrap_or(Region::Us).base_url().to_owned())
        .trim_end_matches('/')
        .to_owned();
    let token = Cached::new(
        format!("{base}/accounts/api/v2/oauth2/token"),
        Grant::ClientCredentials {
            client_id: p.client_id.clone().unwrap_or_default(),
            client_secret: p
                .client_secret
                .clone()
                .ok_or_else(|| ConnectorError::config("clientSecret is required"))?,
            scope: None,
            body: Body::Form,
        },
    );
    let mut opts = HttpOptions::new(PLATFORM);
    opts.requests_per_second = p.max_requests_per_second.unwrap_or(10);
    opts.max_body_bytes = opts.max_body_bytes.max(env.max_definition_bytes);
    Ok(Box::new(ExchangeConnector {
        api: Arc::new(Anypoint {
            http: Http::new(opts)?,
            base,
            token,
        }),
        types: p.types(),
        organization: p.organization_id.clone(),
        children: p.include_child_business_groups.unwrap_or(false),
        latest_only: p.latest_only.unwrap_or(true),
    }))
}

struct Anypoint {
    http: Http,
    base: String,
    token: Cached,
}

impl Anypoint {
    async fn get(
        &self,
        cx: &Context,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, ConnectorError> {
        let url = self.http.url(&self.base, path, query)?;
        let call = format!("GET {path}");
        let resp = self
            .http
            .send_authed(&cx.cancel, &call, &self.token, &move |c| c.get(url.clone()))
            .await?;
        self.http.json(&call, resp).await
    }

    /// A file on the Anypoint host (`downloadURL`), with the token.
    async fn download(
        &self,
        cx: &Context,
        link: &str,
        what: &str,
    ) -> Result<Vec<u8>, ConnectorError> {
        let url = link.to_owned();
        let resp = self
            .http
            .send_authed(&cx.cancel, what, &self.token, &move |c| c.get(&url))
            .await?;
        self.http.bytes(what, resp).await
    }
}

struct ExchangeConnector {
    api: Arc<Anypoint>,
    types: Vec<String>,
    organization: Option<String>,
    children: bool,
    latest_only: bool,
}

/// `1.10.0` after `1.9.2`; numeric parts compare as numbers, a pre-release
/// (`1.0.0-rc1`) before its release.
fn version_order(a: &str, b: &str) -> Ordering {
    let split = |v: &str| {
        let (core, pre) = v
            .split_once('-')
            .map_or((v, None), |(c, p)| (c, Some(p.to_owned())));
        let nums: Vec<u64> = core.split('.').map(|n| n.parse().unwrap_or(0)).collect();
        (nums, pre)
    };
    let ((na, pa), (nb, pb)) = (split(a), split(b));
    na.cmp(&nb).then_with(|| match (pa, pb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(&y),
    })
}

fn text<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The authored definition file of an asset of type `kind`.
fn main_file<'a>(kind: &str, files: &'a [Value]) -> Option<&'a Value> {
    let classifiers: &[&str] = match kind {
        "rest-api" => &["oas", "raml"],
        "soap-api" => &["wsdl"],
        "graphql-api" => &["graphql", "graphql-schema"],
        "async-api" | "asyncapi" => &["asyncapi"],
        _ => return None,
    };
    files.iter().find(|f| {
        text(f, "classifier").is_some_and(|c| classifiers.contains(&c))
            && f.get("isGenerated") != Some(&Value::Bool(true))
    })
}

impl ExchangeConnector {
    async fn organization(&self, cx: &Context) -> Result<String, ConnectorError> {
        if let Some(o) = &self.organization {
            return Ok(o.clone());
        }
        let me = self.api.get(cx, "/accounts/api/me", &[]).await?;
        me.pointer("/client/org_id")
            .or_else(|| me.pointer("/user/organization/id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                ConnectorError::protocol(format!(
                    "{PLATFORM} GET /accounts/api/me: no client.org_id; give organizationId"
                ))
            })
    }

    /// Every asset of one type, as the search lists them (several versions each).
    async fn search(
        &self,
        cx: &Context,
        org: &str,
        kind: &str,
    ) -> Result<Vec<Value>, ConnectorError> {
        let scope = if self.children {
            "masterOrganizationId"
        } else {
            "organizationId"
        };
        let mut out = Vec::new();
        let mut pages = OffsetPages::new(PAGE);
        while let Some(offset) = pages.next_page() {
            cx.ensure_active()?;
            let (limit, offset_text) = (pages.size().to_string(), offset.to_string());
            let q = [
                (scope, org),
                ("types", kind),
                ("limit", limit.as_str()),
                ("offset", offset_text.as_str()),
            ];
            let page = self
                .api
                .get(cx, "/exchange/api/v2/assets/search", &q)
                .await?;
            let items = page.as_array().cloned().ok_or_else(|| {
                ConnectorError::protocol(format!(
                    "{PLATFORM} GET /exchange/api/v2/assets/search: the answer is not a list"
                ))
            })?;
            pages.advance(offset, items.len());
            out.extend(items);
        }
        Ok(out)
    }
}

/// Downloads the chosen file.
async fn download(
    api: &Anypoint,
    cx: &Context,
    file: Value,
    annotations: Vec<(String, String)>,
) -> Result<Document, ConnectorError> {
    let classifier = text(&file, "classifier").unwrap_or("file");
    let what = format!("download of the {classifier} file");
    // The presigned storage link refuses any credentials; Anypoint's own
    // `downloadURL` needs the token.
    let bytes = match (text(&file, "externalLink"), text(&file, "downloadURL")) {
        (Some(link), _) => {
            api.http
                .download_unauthenticated(&cx.cancel, &what, link)
                .await?
        }
        (None, Some(link)) => api.download(cx, link, &what).await?,
        (None, None) => {
            return Err(ConnectorError::protocol(format!(
                "{PLATFORM}: the asset's {classifier} file has no externalLink or downloadURL"
            )));
        }
    };
    Ok(Document {
        bytes,
        file_name: text(&file, "mainFile").map(str::to_owned),
        annotations,
        ..Document::default()
    })
}

#[async_trait::async_trait]
impl Connector for ExchangeConnector {
    async fn check(&self, cx: &Context) -> Result<(), ConnectorError> {
        let org = self.organization(cx).await?;
        let q = [
            ("organizationId", org.as_str()),
            ("limit", "1"),
            ("offset", "0"),
        ];
        self.api
            .get(cx, "/exchange/api/v2/assets/search", &q)
            .await
            .map(|_| ())
    }

    async fn list(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError> {
        let org = self.organization(cx).await?;
        for kind in &self.types {
            // (groupId, assetId) → versions found, newest last.
            let mut assets: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
            for a in self.search(cx, &org, kind).await? {
                let (Some(g), Some(id), Some(_)) = (
                    text(&a, "groupId"),
                    text(&a, "assetId"),
                    text(&a, "version"),
                ) else {
                    continue;
                };
                assets
                    .entry((g.to_owned(), id.to_owned()))
                    .or_default()
                    .push(a.clone());
            }
            for ((group, asset), mut versions) in assets {
                versions.sort_by(|a, b| {
                    version_order(
                        text(a, "version").unwrap_or(""),
                        text(b, "version").unwrap_or(""),
                    )
                });
                versions.dedup_by(|a, b| text(a, "version") == text(b, "version"));
                if self.latest_only {
                    versions.drain(..versions.len().saturating_sub(1));
                }
                for v in versions {
                    let version = text(&v, "version").unwrap_or_default().to_owned();
                    let key = if self.latest_only {
                        format!("{group}/{asset}")
                    } else {
                        format!("{group}/{asset}/{version}")
                    };
                    let name = text(&v, "name").unwrap_or(&asset).to_owned();
                    if kind == "http-api" {
                        out.push(
                            Listed::new(
                                key,
                                Item::Skipped {
                                    reason: "no specification in Exchange".into(),
                                },
                            )
                            .named(name),
                        )
                        .await?;
                        continue;
                    }
                    let path = format!("/exchange/api/v1/assets/{group}/{asset}/{version}");
                    let detail = match self.api.get(cx, &path, &[]).await {
                        Ok(d) => d,
                        Err(e) if e.status == Some(404) => {
                            out.push(Listed::new(key, Item::Failed(e)).named(name))
                                .await?;
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    let files = detail
                        .get("files")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    let Some(file) = main_file(kind, &files).cloned() else {
                        let generated = files
                            .iter()
                            .any(|f| f.get("isGenerated") == Some(&Value::Bool(true)));
                        let reason = if generated {
                            "Exchange has only generated files for it, no authored specification"
                        } else {
                            "no specification in Exchange"
                        };
                        out.push(
                            Listed::new(
                                key,
                                Item::Skipped {
                                    reason: reason.into(),
                                },
                            )
                            .named(name),
                        )
                        .await?;
                        continue;
                    };
                    let revision = format!(
                        "{version}:{}",
                        text(&file, "md5")
                            .or_else(|| text(&file, "createdDate"))
                            .unwrap_or("-")
                    );
                    let annotations = vec![
                        ("version".to_owned(), version.clone()),
                        ("assetType".to_owned(), kind.clone()),
                    ];
                    let (api, cx2) = (self.api.clone(), cx.clone());
                    let item = fetch(async move { download(&api, &cx2, file, annotations).await });
                    out.push(Listed::new(key, item).named(name).revision(revision))
                        .await?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_semantically() {
        let mut v = vec!["1.10.0", "1.9.2", "2.0.0-rc1", "1.0.0", "2.0.0"];
        v.sort_by(|a, b| version_order(a, b));
        assert_eq!(v, ["1.0.0", "1.9.2", "1.10.0", "2.0.0-rc1", "2.0.0"]);
    }
}
