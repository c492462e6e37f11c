//! A remote API Hub as a sink, through the seed 001 wire contract: a new API is
//! `POST /api-targets/create-from-definition?format=&mode=imported&origin=<type>`,
//! a changed one `PUT /api-targets/{id}/definitions/{definitionId}` with the same
//! parameters. The map of (importer, external key) → hub target is kept locally, so
//! re-syncs update instead of duplicating and unchanged content is never sent.
//! Requests retry 429/5xx with backoff, honouring `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use apihub_connectors::http::{self, HttpError, RetryPolicy};
use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::{Sink, SinkError, SinkItem, Upsert, merged_urls};
use crate::clock::Clock;
use crate::config::RemoteSinkSettings;
use crate::store::{RemoteTarget, Store, StoreError};

const INVENTORY: &str = "/api/apihub/v1/inventory";

pub struct RemoteSink {
    http: reqwest::Client,
    base: String,
    token: Option<SecretString>,
    policy: RetryPolicy,
    store: Store,
    clock: Clock,
}

impl RemoteSink {
    pub fn new(settings: &RemoteSinkSettings, store: Store, clock: Clock) -> RemoteSink {
        RemoteSink {
            http: http::client(Duration::from_secs(settings.timeout_secs)),
            base: settings.url.trim_end_matches('/').to_owned(),
            token: settings.token.clone(),
            policy: RetryPolicy {
                max_attempts: settings.max_attempts,
                ..RetryPolicy::default()
            },
            store,
            clock,
        }
    }

    /// Sends the definition; returns (target id, definition id) as the hub reports them.
    async fn send(
        &self,
        method: Method,
        path: String,
        item: &SinkItem,
        with_name: bool,
    ) -> Result<(String, String), HttpError> {
        let url = format!("{}{INVENTORY}{path}", self.base);
        let mut query: Vec<(&str, String)> = vec![
            ("format", item.definition.format.query_name().to_owned()),
            ("mode", "imported".to_owned()),
            ("origin", item.importer_type.as_str().to_owned()),
        ];
        if with_name {
            query.push(("name", item.name.clone()));
        }
        let body = Arc::new(item.definition.original.clone());
        let (http, token) = (self.http.clone(), self.token.clone());
        let build = move || {
            let mut req = http
                .request(method.clone(), &url)
                .query(&query)
                .body((*body).clone());
            if let Some(t) = &token {
                req = req.header("X-Auth", t.expose_secret());
            }
            req
        };
        let resp = http::send(&build, &self.policy, None).await?;
        let json: Value = resp.json().await.map_err(|e| HttpError {
            status: None,
            message: format!("the hub's answer is not JSON: {e}"),
            retry_after: None,
            attempts: 1,
        })?;
        // Create answers with the target; replace with {target, operations}.
        let target = if json.get("target").is_some() {
            &json["target"]
        } else {
            &json
        };
        let id = target["id"].as_str().unwrap_or_default().to_owned();
        let def = target["definitions"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if id.is_empty() || def.is_empty() {
            return Err(HttpError {
                status: None,
                message: "the hub's answer has no target or definition id".into(),
                retry_after: None,
                attempts: 1,
            });
        }
        Ok((id, def))
    }
}

fn hub_error(key: &str, e: HttpError) -> SinkError {
    let transient = e.is_transient();
    SinkError {
        message: format!(
            "the hub refused {key}: {} (after {} attempts)",
            e.message, e.attempts
        ),
        transient,
    }
}

fn store_error(e: StoreError) -> SinkError {
    SinkError {
        message: format!("remote sink map: {e}"),
        transient: true,
    }
}

#[async_trait]
impl Sink for RemoteSink {
    async fn upsert(&self, mut item: SinkItem) -> Result<Upsert, SinkError> {
        item.definition.servers = merged_urls(&item);
        let known = self
            .store
            .remote_target(&self.base, &item.importer_id, &item.external_key)
            .await
            .map_err(store_error)?;
        let hash = item.definition.hash.clone();
        let save = |target_id: String, definition_id: String| {
            let t = RemoteTarget {
                target_id,
                definition_id,
                content_hash: hash.clone(),
                missing_since: None,
            };
            self.store.save_remote_target(
                &self.base,
                &item.importer_id,
                &item.external_key,
                t,
                self.clock.now_ms(),
            )
        };
        if let Some(k) = &known {
            if k.content_hash == item.definition.hash {
                if k.missing_since.is_some() {
                    save(k.target_id.clone(), k.definition_id.clone())
                        .await
                        .map_err(store_error)?;
                }
                return Ok(Upsert::Unchanged(k.target_id.clone()));
            }
            let path = format!(
                "/api-targets/{}/definitions/{}",
                k.target_id, k.definition_id
            );
            match self.send(Method::PUT, path, &item, false).await {
                Ok((id, def)) => {
                    save(id.clone(), def).await.map_err(store_error)?;
                    return Ok(Upsert::Updated(id));
                }
                // Deleted on the hub: create it again below.
                Err(e) if e.status == Some(StatusCode::NOT_FOUND) => {}
                Err(e) => return Err(hub_error(&item.external_key, e)),
            }
        }
        let (id, def) = self
            .send(
                Method::POST,
                "/api-targets/create-from-definition".into(),
                &item,
                true,
            )
            .await
            .map_err(|e| hub_error(&item.external_key, e))?;
        save(id.clone(), def).await.map_err(store_error)?;
        Ok(Upsert::Created(id))
    }

    async fn mark_missing(
        &self,
        importer_id: &str,
        present: Vec<String>,
    ) -> Result<u32, SinkError> {
        self.store
            .remote_mark_missing(&self.base, importer_id, present, self.clock.now_ms())
            .await
            .map_err(store_error)
    }
}
