//! A thin HTTP client of the daemon's own API for the `importers` commands, so
//! scripts can manage a running daemon without curl.

use anyhow::Context as _;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::api::IMPORTERS_PATH;

pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    pub fn new(base: &str, token: Option<String>) -> anyhow::Result<Client> {
        Ok(Client {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(60))
                .build()?,
            base: base.trim_end_matches('/').to_owned(),
            token,
        })
    }

    /// Sends a request; returns the JSON body (or `null` for 204). A non-2xx answer
    /// becomes an error carrying the API's error message.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{IMPORTERS_PATH}{path}", self.base);
        let mut req = self.http.request(method, &url);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach {url}"))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if status == StatusCode::NO_CONTENT || text.is_empty() {
            return if status.is_success() {
                Ok(Value::Null)
            } else {
                anyhow::bail!("{status}")
            };
        }
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status.is_success() {
            Ok(json)
        } else {
            let msg = json["error"]["message"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| json.to_string());
            anyhow::bail!("{status}: {msg}")
        }
    }
}
