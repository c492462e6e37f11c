//! The `invicti_nad_agent` importer: its parameters, the [`TrafficStore`] the daemon
//! keeps observations in, and the run that turns them into one reconstructed
//! OpenAPI document per origin. Traffic arrives between runs (the daemon's
//! ingestion route records it); a run also reads offline `.har` captures from its
//! folder, learns path templates over everything kept, and marks each operation
//! documented or not by the definitions other importers imported for the origin.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::observe::ObservedOp;
use super::openapi::path_template;
use super::shadow::{Documented, Report};
use super::split::{self, Api};
use super::{capture, observe, openapi, shadow, template};
use crate::connector::{Connector, Context, Document, Item, Listed, Listing, fetch};
use crate::descriptor::{Descriptor, Parameters, read_for_build};
use crate::error::ConnectorError;
use crate::fields::FieldError;
use crate::importer_type::ImporterType;
use crate::normalize::DefinitionFormat;
use crate::params::Secret;
use crate::registry::Environment;

pub static DESCRIPTOR: Descriptor = Descriptor::new::<InvictiNadAgentParameters>(
    ImporterType::InvictiNadAgent,
    &["registrationToken"],
    &[],
    build,
)
.generates(&["registrationToken"]);

const DAY_MS: i64 = 86_400_000;

/// `parameters` of an `invicti_nad_agent` importer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvictiNadAgentParameters {
    /// The agent's credential for `POST /api/apihub/v1/importers/{importerId}/traffic`
    /// (`Authorization: Bearer <token>`). Left out of a create, the daemon generates
    /// one (32 random bytes) and returns it in clear once, in the create response.
    #[serde(default)]
    pub registration_token: Option<Secret>,
    /// Folder of offline `.har` captures read on each run (each file once), inside
    /// `importers.directory_roots`.
    #[serde(default, deserialize_with = "crate::params::non_empty")]
    #[schema(min_length = 1, max_length = 1024)]
    pub path: Option<String>,
    /// Only traffic to these hosts is kept: globs such as `*.example.com` (`*`, `?`,
    /// `[a-z]`), any letter case; text that is not a valid glob matches itself.
    /// Default: every host.
    #[serde(default, deserialize_with = "crate::params::string_list")]
    pub hosts: Option<Vec<String>>,
    /// A documented operation not seen in traffic for this many days is reported
    /// stale. 1-3650; default 30.
    #[serde(default, deserialize_with = "crate::params::whole_opt")]
    #[schema(minimum = 1, maximum = 3650, value_type = Option<u32>)]
    pub retention_days: Option<u32>,
}

impl Parameters for InvictiNadAgentParameters {
    fn check(&self, env: &Environment) -> Result<(), FieldError> {
        if let Some(path) = &self.path {
            crate::directory::resolve(path, &env.directory_roots)?;
        }
        match self.retention_days {
            Some(d) if !(1..=3650).contains(&d) => Err(FieldError::param(
                "retentionDays",
                "must be between 1 and 3650",
            )),
            _ => Ok(()),
        }
    }

    fn schema_rules() -> Option<Value> {
        Some(
            serde_json::json!({"properties": {"hosts": {"items": {"type": "string", "pattern": "\\S"}}}}),
        )
    }

    fn example() -> Value {
        serde_json::json!({"hosts": ["*.example.com"], "retentionDays": 30})
    }
}

/// `glob` as a pattern, or as the literal text when it is not a valid glob.
fn host_pattern(glob: &str) -> glob::Pattern {
    let g = glob.trim().to_ascii_lowercase();
    glob::Pattern::new(&g)
        .unwrap_or_else(|_| glob::Pattern::new(&glob::Pattern::escape(&g)).unwrap_or_default())
}

/// What the ingestion route and the run need of an importer's parameters.
pub struct Settings {
    pub token: Option<Secret>,
    hosts: Vec<glob::Pattern>,
    pub retention_ms: i64,
    path: Option<String>,
}

impl Settings {
    /// Reads (opened) parameters; a bad one is a config error.
    pub fn of(parameters: &Value, env: &Environment) -> Result<Settings, ConnectorError> {
        let p: InvictiNadAgentParameters = read_for_build(parameters, env)?;
        let hosts = p
            .hosts
            .unwrap_or_default()
            .iter()
            .map(|h| host_pattern(h))
            .collect();
        Ok(Settings {
            token: p.registration_token,
            hosts,
            retention_ms: i64::from(p.retention_days.unwrap_or(30)) * DAY_MS,
            path: p.path,
        })
    }

    /// Whether traffic to `host` is kept.
    pub fn keeps(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.hosts.is_empty() || self.hosts.iter().any(|p| p.matches(&host))
    }

    /// A batch's scrubbed observations (only kept hosts).
    pub fn observe(&self, batch: &capture::Batch, now: i64) -> Vec<ObservedOp> {
        observe::observe(&batch.exchanges, |h| self.keeps(h), now)
    }
}

/// Where observations are kept: the daemon's store. Every method is one
/// transaction, so an accepted batch is either wholly kept or not at all.
#[async_trait]
pub trait TrafficStore: Send + Sync {
    /// Merges `observed` into the importer's observations. With `file`, a capture
    /// file's identity (name, size, time): a file recorded before is not recorded
    /// again, and `false` says so.
    async fn record(
        &self,
        importer_id: &str,
        file: Option<String>,
        observed: Vec<ObservedOp>,
    ) -> Result<bool, String>;

    /// Whether the capture file `file` was recorded before.
    async fn recorded(&self, importer_id: &str, file: &str) -> Result<bool, String>;

    /// Rewrites the importer's observations through `learn` (which merges those a
    /// learned template makes one) and returns them, in one transaction with the
    /// recording, so nothing recorded meanwhile is lost.
    async fn relearn(
        &self,
        importer_id: &str,
        learn: fn(Vec<ObservedOp>) -> Vec<ObservedOp>,
    ) -> Result<Vec<ObservedOp>, String>;

    /// Operations of targets other importers imported whose alternative URLs are
    /// on one of `origins`.
    async fn documented(&self, origins: &[String]) -> Result<Vec<Documented>, String>;

    /// The daemon's clock, in milliseconds since the epoch.
    fn now_ms(&self) -> i64;
}

/// The daemon's traffic store, as the [`Environment`] carries it.
#[derive(Clone)]
pub struct Traffic(pub Arc<dyn TrafficStore>);

impl std::fmt::Debug for Traffic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Traffic")
    }
}

fn build(parameters: &Value, env: &Environment) -> Result<Box<dyn Connector>, ConnectorError> {
    let settings = Settings::of(parameters, env)?;
    let captures = settings
        .path
        .as_ref()
        .map(|p| crate::directory::connector_for(p, env));
    let traffic = env.traffic.clone().ok_or_else(|| {
        ConnectorError::config("this process keeps no traffic; run the daemon (`serve`)")
    })?;
    Ok(Box::new(NadConnector {
        settings,
        captures,
        traffic: traffic.0,
    }))
}

struct NadConnector {
    settings: Settings,
    captures: Option<crate::directory::DirectoryConnector>,
    traffic: Arc<dyn TrafficStore>,
}

fn store_error(e: String) -> ConnectorError {
    ConnectorError::transient(format!("traffic store: {e}"))
}

impl NadConnector {
    /// Records every `.har` file of the folder not recorded before; a bad file
    /// is reported as a failed item and the rest goes on.
    async fn read_captures(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError> {
        let Some(dir) = &self.captures else {
            return Ok(());
        };
        for listed in crate::connector::list_all(dir, cx).await? {
            cx.ensure_active()?;
            let name = listed.external_key;
            if !name.to_ascii_lowercase().ends_with(".har") {
                continue;
            }
            let file = format!("{name}@{}", listed.revision.unwrap_or_default());
            let fetch = match listed.item {
                Item::Fetch(f) => f,
                _ => continue,
            };
            if self
                .traffic
                .recorded(&cx.importer_id, &file)
                .await
                .map_err(store_error)?
            {
                continue;
            }
            let batch = match fetch().await.map(|d| capture::read_har(&d.bytes)) {
                Ok(Ok(b)) => b,
                Ok(Err(e)) => {
                    let e = ConnectorError::protocol(format!("capture `{name}`: {e}"));
                    out.push(Listed::new(format!("capture:{name}"), Item::Failed(e)))
                        .await?;
                    continue;
                }
                Err(e) => {
                    out.push(Listed::new(format!("capture:{name}"), Item::Failed(e)))
                        .await?;
                    continue;
                }
            };
            let observed = self.settings.observe(&batch, self.traffic.now_ms());
            self.traffic
                .record(&cx.importer_id, Some(file), observed)
                .await
                .map_err(store_error)?;
        }
        Ok(())
    }
}

/// `(origin, method, path segments)` of every undocumented operation.
fn undocumented(report: &Report) -> BTreeSet<(String, String, String)> {
    report
        .undocumented
        .iter()
        .map(|f| (f.origin.clone(), f.method.clone(), f.path.clone()))
        .collect()
}

/// The base paths (segments) on `origin` of the definitions that document it.
fn declared_bases(origin: &str, documented: &[Documented]) -> Vec<Vec<String>> {
    let mut bases: BTreeSet<Vec<String>> = BTreeSet::new();
    for url in documented.iter().flat_map(|d| &d.urls) {
        if let Ok(u) = url::Url::parse(url)
            && u.origin().ascii_serialization() == origin
        {
            bases.insert(super::observe::segments(u.path()));
        }
    }
    bases.into_iter().collect()
}

#[async_trait]
impl Connector for NadConnector {
    async fn check(&self, cx: &Context) -> Result<(), ConnectorError> {
        if let Some(dir) = &self.captures {
            dir.check(cx).await?;
        }
        self.traffic
            .documented(&[])
            .await
            .map(|_| ())
            .map_err(store_error)
    }

    async fn list(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError> {
        self.read_captures(cx, out).await?;
        let observed = self
            .traffic
            .relearn(&cx.importer_id, template::learn)
            .await
            .map_err(store_error)?;
        let origins: BTreeSet<String> = observed.iter().map(|o| o.origin.clone()).collect();
        let origins: Vec<String> = origins.into_iter().collect();
        let documented = self
            .traffic
            .documented(&origins)
            .await
            .map_err(store_error)?;
        let now = self.traffic.now_ms();
        let report = shadow::compare(&observed, &documented, self.settings.retention_ms, now);
        let shadows = undocumented(&report);
        let mut by_origin: BTreeMap<String, Vec<ObservedOp>> = BTreeMap::new();
        for op in observed {
            by_origin.entry(op.origin.clone()).or_default().push(op);
        }
        for (origin, ops) in by_origin {
            let declared = declared_bases(&origin, &documented);
            for api in split::split(ops, &declared) {
                cx.ensure_active()?;
                out.push(api_item(&origin, &api, &shadows)).await?;
            }
        }
        Ok(())
    }
}

/// One API's reconstructed document, keyed by its base URL (the origin when the
/// origin is one API).
fn api_item(origin: &str, api: &Api, shadows: &BTreeSet<(String, String, String)>) -> Listed {
    let hidden = |op: &ObservedOp| {
        shadows.contains(&(
            origin.to_owned(),
            op.method.clone(),
            path_template(&op.path).0,
        ))
    };
    let refs: Vec<&ObservedOp> = api.ops.iter().collect();
    let doc = openapi::document(origin, &api.base, &refs, hidden);
    let notes = api
        .ops
        .iter()
        .map(|op| crate::connector::OperationNote {
            method: op.method.to_ascii_uppercase(),
            endpoint: openapi::relative_template(op, &api.base).0,
            key: "undocumented".into(),
            value: hidden(op).to_string(),
        })
        .collect();
    let url = openapi::base_url(origin, &api.base);
    let document = serde_json::to_vec(&doc)
        .map_err(|e| ConnectorError::protocol(format!("writing the document: {e}")));
    let urls = vec![url.clone()];
    let item = fetch(async move {
        Ok(Document {
            bytes: document?,
            format_hint: Some(DefinitionFormat::Openapi3),
            content_type: Some("application/json".into()),
            urls,
            synthesized: Some("traffic"),
            operation_notes: notes,
            ..Document::default()
        })
    });
    Listed::new(url, item).named(openapi::api_name(origin, &api.base))
}
