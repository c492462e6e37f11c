//! Apigee API hub: `apis` → `versions` → `specs` of one project and location,
//! each list paged with `pageToken`, and a spec's `:contents` (base64 bytes with
//! their MIME type) as its document. One target per spec, keyed by the spec's
//! resource name, named `<API display name> <version display name>`, its revision
//! the spec's `updateTime`.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value;

use super::Google;
use crate::connector::{Connector, Context, Document, Listed, Listing, fetch};
use crate::error::ConnectorError;

pub(super) struct HubConnector {
    google: Arc<Google>,
    parent: String,
}

impl HubConnector {
    pub(super) fn new(google: Google, project: String, location: String) -> HubConnector {
        HubConnector {
            google: Arc::new(google),
            parent: format!("projects/{project}/locations/{location}"),
        }
    }

    /// Every item of a paged list under `/v1/<parent>/<collection>`.
    async fn all(
        &self,
        cx: &Context,
        parent: &str,
        collection: &str,
    ) -> Result<Vec<Value>, ConnectorError> {
        let path = format!("/v1/{parent}/{collection}");
        self.google.all(cx, &path, collection, Some("100")).await
    }
}

fn text<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Resource names go into paths as they are; one that could leave its collection
/// is the platform's mistake, reported for that item only.
fn resource(v: &Value, under: &str) -> Option<String> {
    let name = text(v, "name")?;
    (name.starts_with(&format!("{under}/")) && !name.contains("..") && !name.contains('?'))
        .then(|| name.to_owned())
}

async fn contents(google: &Google, cx: &Context, spec: &str) -> Result<Document, ConnectorError> {
    let call = format!("/v1/{spec}:contents");
    let body: Value = google.get(cx, &call, &[]).await?;
    let platform = google.http.platform();
    let encoded = text(&body, "contents").ok_or_else(|| {
        ConnectorError::protocol(format!("{platform} GET {call}: the answer has no contents"))
    })?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(encoded.trim()))
        .map_err(|e| {
            ConnectorError::protocol(format!(
                "{platform} GET {call}: contents is not base64 ({e})"
            ))
        })?;
    Ok(Document {
        bytes,
        content_type: text(&body, "mimeType").map(str::to_owned),
        ..Document::default()
    })
}

#[async_trait::async_trait]
impl Connector for HubConnector {
    async fn check(&self, cx: &Context) -> Result<(), ConnectorError> {
        let path = format!("/v1/{}/apis", self.parent);
        self.google
            .send(cx, &path, &[("pageSize", "1")])
            .await
            .map(|_| ())
    }

    async fn list(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError> {
        for api in self.all(cx, &self.parent, "apis").await? {
            let Some(api_name) = resource(&api, &format!("{}/apis", self.parent)) else {
                continue;
            };
            let api_title = text(&api, "displayName")
                .unwrap_or_else(|| api_name.rsplit('/').next().unwrap_or_default())
                .to_owned();
            for version in self.all(cx, &api_name, "versions").await? {
                let Some(version_name) = resource(&version, &format!("{api_name}/versions")) else {
                    continue;
                };
                let version_title = text(&version, "displayName")
                    .unwrap_or_else(|| version_name.rsplit('/').next().unwrap_or_default())
                    .to_owned();
                for spec in self.all(cx, &version_name, "specs").await? {
                    let Some(spec_name) = resource(&spec, &format!("{version_name}/specs")) else {
                        continue;
                    };
                    let (google, cx2, key) = (self.google.clone(), cx.clone(), spec_name.clone());
                    let item = fetch(async move { contents(&google, &cx2, &key).await });
                    let mut listed =
                        Listed::new(spec_name, item).named(format!("{api_title} {version_title}"));
                    if let Some(t) = text(&spec, "updateTime") {
                        listed = listed.revision(t);
                    }
                    out.push(listed).await?;
                }
            }
        }
        Ok(())
    }
}
