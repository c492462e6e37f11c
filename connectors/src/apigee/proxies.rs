//! Deployed proxies, on Apigee X / hybrid or on Edge: which revision of which
//! proxy runs in which environment, on which host names, and the bundle of that
//! revision as a document.
//!
//! - X: `envgroups` (paged) and their `attachments` give each environment's host
//!   names; `deployments?sharedFlows=false` what runs where (no base path: that is
//!   in the bundle); `apis?includeRevisions=true` the proxies, so one that is not
//!   deployed is reported as skipped rather than silently absent.
//! - Edge: `apis` and `environments` are bare arrays of names; each environment's
//!   `deployments` is `{aPIProxy: [{name, revision: [{name, state}]}]}`; the
//!   `hostAliases` of the virtual hosts a proxy's ProxyEndpoints name
//!   (`<VirtualHost>`) are its host names.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Google, bundle, synth};
use crate::connector::{Connector, Context, Document, Item, Listed, Listing, fetch};
use crate::error::ConnectorError;

pub(super) struct ProxiesConnector {
    google: Arc<Google>,
    edge: bool,
    org: String,
    environments: Option<Vec<String>>,
}

/// What runs where: (environment, proxy) → revision.
type Deployed = BTreeMap<(String, String), String>;

/// An origin (`https://host[:port]`) an environment serves, and on Edge the
/// virtual host it belongs to (a ProxyEndpoint names the virtual hosts it is on).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Host {
    vhost: Option<String>,
    origin: String,
}

/// Environment → its hosts.
type Hosts = BTreeMap<String, Vec<Host>>;

fn str_field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// A revision as a number, for "the highest one".
fn rev_order(r: &str) -> u64 {
    r.parse().unwrap_or(0)
}

impl ProxiesConnector {
    pub(super) fn new(
        google: Google,
        edge: bool,
        org: String,
        environments: Option<Vec<String>>,
    ) -> ProxiesConnector {
        ProxiesConnector {
            google: Arc::new(google),
            edge,
            org,
            environments,
        }
    }

    fn org_path(&self) -> String {
        format!("/v1/organizations/{}", self.org)
    }

    fn wanted(&self, env: &str) -> bool {
        self.environments
            .as_ref()
            .is_none_or(|e| e.iter().any(|x| x == env))
    }

    /// X: environment → `https://<hostname>` of the environment groups it is in.
    async fn x_hosts(&self, cx: &Context) -> Result<Hosts, ConnectorError> {
        let path = format!("{}/envgroups", self.org_path());
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for g in self
            .google
            .all(cx, &path, "environmentGroups", Some("100"))
            .await?
        {
            let Some(name) = str_field(&g, "name") else {
                continue;
            };
            let hosts = g
                .get("hostnames")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|h| format!("https://{h}"))
                .collect();
            groups.push((name.to_owned(), hosts));
        }
        let mut by_env = Hosts::new();
        for (group, hosts) in groups {
            let path = format!("{}/envgroups/{group}/attachments", self.org_path());
            let attachments = self
                .google
                .all(cx, &path, "environmentGroupAttachments", None)
                .await?;
            for env in attachments
                .iter()
                .filter_map(|a| str_field(a, "environment"))
            {
                let list = by_env.entry(env.to_owned()).or_default();
                for h in &hosts {
                    let host = Host {
                        vhost: None,
                        origin: h.clone(),
                    };
                    if !list.contains(&host) {
                        list.push(host);
                    }
                }
            }
        }
        Ok(by_env)
    }

    /// X: the deployments, and every proxy's name.
    async fn x_deployed(
        &self,
        cx: &Context,
    ) -> Result<(Deployed, BTreeSet<String>), ConnectorError> {
        let body: Value = self
            .google
            .get(
                cx,
                &format!("{}/deployments", self.org_path()),
                &[("sharedFlows", "false")],
            )
            .await?;
        let mut deployed = Deployed::new();
        for d in body
            .get("deployments")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(env), Some(proxy), Some(rev)) = (
                str_field(d, "environment"),
                str_field(d, "apiProxy"),
                str_field(d, "revision"),
            ) else {
                continue;
            };
            let slot = deployed
                .entry((env.to_owned(), proxy.to_owned()))
                .or_insert_with(|| rev.to_owned());
            // A rollout lists two revisions for a moment; the newer one is what
            // the environment is moving to.
            if rev_order(rev) > rev_order(slot) {
                *slot = rev.to_owned();
            }
        }
        let body: Value = self
            .google
            .get(
                cx,
                &format!("{}/apis", self.org_path()),
                &[("includeRevisions", "true")],
            )
            .await?;
        let names = body
            .get("proxies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| str_field(p, "name").map(str::to_owned))
            .collect();
        Ok((deployed, names))
    }

    async fn names(&self, cx: &Context, path: &str) -> Result<Vec<String>, ConnectorError> {
        let body: Value = self.google.get(cx, path, &[]).await?;
        Ok(body
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect())
    }

    /// Edge: deployments per environment, host names from its virtual hosts, and
    /// every proxy's name.
    async fn edge_deployed(
        &self,
        cx: &Context,
    ) -> Result<(Deployed, BTreeSet<String>, Hosts), ConnectorError> {
        let org = self.org_path();
        let names: BTreeSet<String> = self
            .names(cx, &format!("{org}/apis"))
            .await?
            .into_iter()
            .collect();
        let envs = match &self.environments {
            Some(e) => e.clone(),
            None => self.names(cx, &format!("{org}/environments")).await?,
        };
        let mut deployed = Deployed::new();
        let mut hosts = Hosts::new();
        for env in envs {
            cx.ensure_active()?;
            let body: Value = self
                .google
                .get(cx, &format!("{org}/environments/{env}/deployments"), &[])
                .await?;
            for p in body
                .get("aPIProxy")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(proxy) = str_field(p, "name") else {
                    continue;
                };
                let revs = p
                    .get("revision")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten();
                let best = revs
                    .filter(|r| {
                        str_field(r, "state").is_none_or(|s| s.eq_ignore_ascii_case("deployed"))
                    })
                    .filter_map(|r| str_field(r, "name"))
                    .max_by_key(|r| rev_order(r));
                if let Some(rev) = best {
                    deployed.insert((env.clone(), proxy.to_owned()), rev.to_owned());
                }
            }
            let vhosts = self
                .names(cx, &format!("{org}/environments/{env}/virtualhosts"))
                .await?;
            let list = hosts.entry(env.clone()).or_default();
            for vh in vhosts {
                let v: Value = self
                    .google
                    .get(
                        cx,
                        &format!("{org}/environments/{env}/virtualhosts/{vh}"),
                        &[],
                    )
                    .await?;
                let port = v
                    .get("port")
                    .and_then(|p| {
                        p.as_str()
                            .map(str::to_owned)
                            .or_else(|| p.as_u64().map(|n| n.to_string()))
                    })
                    .unwrap_or_else(|| "443".into());
                let tls = v
                    .pointer("/sSLInfo/enabled")
                    .is_some_and(|e| e == "true" || e == true);
                let origin = |h: &str| match (tls || port == "443", port.as_str()) {
                    (true, "443") => format!("https://{h}"),
                    (false, "80") => format!("http://{h}"),
                    (true, p) => format!("https://{h}:{p}"),
                    (false, p) => format!("http://{h}:{p}"),
                };
                for h in v
                    .get("hostAliases")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    let host = Host {
                        vhost: Some(vh.clone()),
                        origin: origin(h),
                    };
                    if !list.contains(&host) {
                        list.push(host);
                    }
                }
            }
        }
        Ok((deployed, names, hosts))
    }
}

/// The revision token: the deployed revision, with a digest of the host names
/// (they become the document's `servers`).
fn revision(rev: &str, hosts: &[Host]) -> String {
    if hosts.is_empty() {
        return rev.to_owned();
    }
    let lines: Vec<String> = hosts
        .iter()
        .map(|h| format!("{} {}", h.vhost.as_deref().unwrap_or("-"), h.origin))
        .collect();
    let digest = Sha256::digest(lines.join("\n").as_bytes());
    format!("{rev}:{}", hex::encode(&digest[..6]))
}

/// One deployed proxy revision: where it runs and on which hosts.
struct Deployment {
    org: String,
    env: String,
    proxy: String,
    rev: String,
    hosts: Vec<Host>,
}

async fn download(
    google: &Google,
    cx: &Context,
    d: Deployment,
) -> Result<Document, ConnectorError> {
    let Deployment {
        org,
        env,
        proxy,
        rev,
        hosts,
    } = d;
    let (proxy, rev) = (proxy.as_str(), rev.as_str());
    let path = format!("/v1/organizations/{org}/apis/{proxy}/revisions/{rev}");
    let zip = google.bytes(cx, &path, &[("format", "bundle")]).await?;
    let platform = google.http.platform();
    let bundle = bundle::read(&zip, google.max_bytes).map_err(|e| {
        ConnectorError::protocol(format!(
            "{platform}: the bundle of {proxy} revision {rev} was refused: {e}"
        ))
    })?;
    // On Edge, only the virtual hosts the proxy's endpoints are on (all when
    // they name none).
    let named = synth::virtual_hosts(&bundle);
    let mut origins: Vec<String> = Vec::new();
    for h in &hosts {
        let on = h
            .vhost
            .as_ref()
            .is_none_or(|v| named.is_empty() || named.contains(v));
        if on && !origins.contains(&h.origin) {
            origins.push(h.origin.clone());
        }
    }
    let built = synth::build(&bundle, proxy, rev, &origins).map_err(|e| {
        ConnectorError::protocol(format!(
            "{platform}: the bundle of {proxy} revision {rev}: {e}"
        ))
    })?;
    Ok(Document {
        operation_notes: Vec::new(),
        bytes: built.bytes,
        content_type: None,
        format_hint: None,
        file_name: None,
        urls: built.urls,
        synthesized: built.synthesized.then_some("proxy bundle"),
        annotations: vec![
            ("proxy".to_owned(), proxy.to_owned()),
            ("environment".to_owned(), env),
            ("revision".to_owned(), rev.to_owned()),
        ],
    })
}

#[async_trait::async_trait]
impl Connector for ProxiesConnector {
    async fn check(&self, cx: &Context) -> Result<(), ConnectorError> {
        let path = format!("{}/apis", self.org_path());
        self.google.send(cx, &path, &[]).await.map(|_| ())
    }

    async fn list(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError> {
        let (deployed, names, hosts) = if self.edge {
            self.edge_deployed(cx).await?
        } else {
            let hosts = self.x_hosts(cx).await?;
            let (deployed, names) = self.x_deployed(cx).await?;
            (deployed, names, hosts)
        };
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for ((env, proxy), rev) in &deployed {
            if !self.wanted(env) {
                continue;
            }
            seen.insert(proxy);
            let env_hosts = hosts.get(env).cloned().unwrap_or_default();
            let deployment = Deployment {
                org: self.org.clone(),
                env: env.clone(),
                proxy: proxy.clone(),
                rev: rev.clone(),
                hosts: env_hosts.clone(),
            };
            let (google, cx2) = (self.google.clone(), cx.clone());
            let item = fetch(async move { download(&google, &cx2, deployment).await });
            out.push(
                Listed::new(format!("{}/{env}/{proxy}", self.org), item)
                    .named(format!("{proxy} ({env})"))
                    .revision(revision(rev, &env_hosts)),
            )
            .await?;
        }
        for proxy in &names {
            if seen.contains(proxy.as_str()) {
                continue;
            }
            let reason = match &self.environments {
                Some(e) => format!("not deployed to {}", e.join(", ")),
                None => "not deployed to any environment".to_owned(),
            };
            out.push(Listed::new(
                format!("{}/{proxy}", self.org),
                Item::Skipped { reason },
            ))
            .await?;
        }
        Ok(())
    }
}
