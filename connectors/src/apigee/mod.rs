//! The `apigee` connector, in three modes:
//! - `proxies` (Apigee X / hybrid): every proxy deployed to an environment is one
//!   target per (proxy, environment), keyed `<org>/<env>/<proxy>`, its document
//!   taken from the deployed revision's bundle ([`synth`]); the revision is the
//!   deployed revision (with a digest of the environment's host names, which go
//!   into `servers`), so an unchanged organization downloads no bundle.
//! - `edge` (Apigee Edge / OPDK): the same on Edge's management API (bare-array
//!   lists, per-environment deployments, virtual hosts for the host names, Edge's
//!   own password token flow).
//! - `apihub` (Apigee API hub): every spec of every version of every API, keyed by
//!   the spec's resource name, its revision the spec's `updateTime`.
//!
//! Google's errors are read for what they say: a refused token names the token
//! endpoint and Google's `error_description` (the toolkit's grants), a 403 names the
//! IAM permission Google says is missing.

mod bundle;
mod condition;
mod hub;
pub mod params;
mod proxies;
mod synth;

use serde::Deserialize;
use serde_json::Value;

use self::params::{ApigeeParameters, Auth, Mode};
use crate::connector::{Connector, Context};
use crate::descriptor::{Descriptor, read_for_build};
use crate::error::ConnectorError;
use crate::http::oauth::{Cached, Grant, Static, TokenSource};
use crate::http::paginate::TokenPages;
use crate::http::{Http, HttpOptions};
use crate::importer_type::ImporterType;
use crate::registry::Environment;

pub static DESCRIPTOR: Descriptor = Descriptor::new::<ApigeeParameters>(
    ImporterType::Apigee,
    &[
        "serviceAccountKeyJson",
        "clientSecret",
        "refreshToken",
        "accessToken",
        "password",
    ],
    &["mode", "managementUrl", "apihubUrl", "tokenUrl"],
    build,
);

const GOOGLE_TOKEN: &str = "https://oauth2.googleapis.com/token";
const EDGE_TOKEN: &str = "https://login.apigee.com/oauth/token";
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// The OAuth client of Edge's own tools (`edgecli:edgeclisecret`), which Edge's
/// token endpoint expects in the Basic header.
const EDGE_CLIENT: (&str, &str) = ("edgecli", "edgeclisecret");

fn build(parameters: &Value, env: &Environment) -> Result<Box<dyn Connector>, ConnectorError> {
    let p: ApigeeParameters = read_for_build(parameters, env)?;
    let mode = p.mode();
    let auth = p
        .auth()
        .map_err(|e| ConnectorError::config(e.to_string()))?;
    let token: Box<dyn TokenSource> = match auth {
        Auth::AccessToken(t) => Box::new(Static(t)),
        Auth::ServiceAccount(key) => {
            let url = p
                .token_url
                .clone()
                .or_else(|| key.token_uri.clone())
                .unwrap_or_else(|| GOOGLE_TOKEN.into());
            Box::new(Cached::new(
                url,
                Grant::JwtBearer {
                    key,
                    scope: SCOPE.into(),
                },
            ))
        }
        Auth::RefreshToken {
            client_id,
            client_secret,
            refresh_token,
        } => Box::new(Cached::new(
            p.token_url.clone().unwrap_or_else(|| GOOGLE_TOKEN.into()),
            Grant::RefreshToken {
                client_id,
                client_secret,
                refresh_token,
            },
        )),
        Auth::Password { username, password } => Box::new(Cached::new(
            p.token_url.clone().unwrap_or_else(|| EDGE_TOKEN.into()),
            Grant::Password {
                username,
                password,
                basic_client: (EDGE_CLIENT.0.into(), EDGE_CLIENT.1.into()),
            },
        )),
    };
    let (platform, default_base, base) = match mode {
        Mode::Proxies => ("Apigee", "https://apigee.googleapis.com", &p.management_url),
        Mode::Edge => (
            "Apigee Edge",
            "https://api.enterprise.apigee.com",
            &p.management_url,
        ),
        Mode::Apihub => (
            "Apigee API hub",
            "https://apihub.googleapis.com",
            &p.apihub_url,
        ),
    };
    let mut opts = HttpOptions::new(platform);
    opts.requests_per_second = p.max_requests_per_second.unwrap_or(10);
    opts.max_body_bytes = opts.max_body_bytes.max(env.max_definition_bytes);
    let google = Google {
        http: Http::new(opts)?,
        base: base
            .clone()
            .unwrap_or_else(|| default_base.to_owned())
            .trim_end_matches('/')
            .to_owned(),
        token,
        max_bytes: env.max_definition_bytes,
    };
    Ok(match mode {
        Mode::Apihub => Box::new(hub::HubConnector::new(
            google,
            p.project_id.unwrap_or_default(),
            p.location.unwrap_or_default(),
        )),
        Mode::Proxies | Mode::Edge => Box::new(proxies::ProxiesConnector::new(
            google,
            mode == Mode::Edge,
            p.organization.unwrap_or_default(),
            p.environments,
        )),
    })
}

/// A Google (or Edge) API with the importer's token.
pub(crate) struct Google {
    http: Http,
    base: String,
    token: Box<dyn TokenSource>,
    /// Largest bundle or spec read, unpacked.
    max_bytes: u64,
}

/// Google's error body: `{"error": {code, message, status, details[]}}`.
#[derive(Deserialize)]
struct GoogleError {
    error: GoogleErrorBody,
}

#[derive(Deserialize)]
struct GoogleErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    details: Vec<Value>,
}

/// The IAM permission a 403 says is missing (`ErrorInfo.metadata.permission`, or
/// `Permission 'x' denied` in the message).
fn missing_permission(body: &str) -> Option<(String, String)> {
    let e: GoogleError = serde_json::from_str(body).ok()?;
    let from_details = e.error.details.iter().find_map(|d| {
        d.pointer("/metadata/permission")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let from_message = || {
        let rest = e.error.message.split("Permission '").nth(1)?;
        Some(rest.split('\'').next()?.to_owned())
    };
    let permission = from_details.or_else(from_message)?;
    Some((permission, e.error.message.clone()))
}

impl Google {
    async fn send(
        &self,
        cx: &Context,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<reqwest::Response, ConnectorError> {
        let url = self.http.url(&self.base, path, query)?;
        let call = format!("GET {path}");
        self.http
            .send_authed(&cx.cancel, &call, self.token.as_ref(), &move |c| {
                c.get(url.clone())
            })
            .await
            .map_err(|e| self.explained(e, &call))
    }

    /// Every item of the `field` list of a paged `pageToken` listing at `path`.
    async fn all(
        &self,
        cx: &Context,
        path: &str,
        field: &str,
        page_size: Option<&str>,
    ) -> Result<Vec<Value>, ConnectorError> {
        let mut items = Vec::new();
        let mut pages = TokenPages::new();
        while let Some(token) = pages.next_page() {
            cx.ensure_active()?;
            let mut q: Vec<(&str, &str)> = page_size.map(|n| ("pageSize", n)).into_iter().collect();
            if let Some(t) = token.as_deref() {
                q.push(("pageToken", t));
            }
            let page: Value = self.get(cx, path, &q).await?;
            if let Some(list) = page.get(field).and_then(Value::as_array) {
                items.extend(list.iter().cloned());
            }
            pages.advance(
                page.get("nextPageToken")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            );
        }
        Ok(items)
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        cx: &Context,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ConnectorError> {
        let resp = self.send(cx, path, query).await?;
        self.http.json(&format!("GET {path}"), resp).await
    }

    async fn bytes(
        &self,
        cx: &Context,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<u8>, ConnectorError> {
        let resp = self.send(cx, path, query).await?;
        self.http.bytes(&format!("GET {path}"), resp).await
    }

    /// A 403 names the permission Google says is missing.
    fn explained(&self, e: ConnectorError, call: &str) -> ConnectorError {
        if e.status != Some(403) {
            return e;
        }
        match e.detail.as_deref().and_then(missing_permission) {
            Some((permission, said)) => ConnectorError::auth(format!(
                "{} {call}: HTTP 403: the credentials lack the IAM permission {permission} ({said})",
                self.http.platform()
            ))
            .with_status(403)
            .with_detail(e.detail.unwrap_or_default()),
            None => e,
        }
    }
}
