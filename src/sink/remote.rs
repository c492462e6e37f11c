//! A remote API Hub as a sink, through the seed 001 wire contract: a new API is
//! `POST /api-targets/create-from-definition?format=&mode=imported&origin=<type>`,
//! a changed one `PUT /api-targets/{id}/definitions/{definitionId}` with the same
//! parameters. The map of (importer, external key) → hub target is kept locally, so
//! re-syncs update instead of duplicating and unchanged content is never sent.
//! Requests retry 429/5xx with backoff, honouring `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use apihub_connectors::ConnectorError;
use apihub_connectors::http::{Http, HttpOptions, RetryPolicy};
use async_trait::async_trait;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::{Sink, SinkError, SinkItem, Upsert, merged_urls};
use crate::clock::Clock;
use crate::config::RemoteSinkSettings;
use crate::store::{RemoteTarget, Store, StoreError};

const INVENTORY: &str = "/api/apihub/v1/inventory";

pub struct RemoteSink {
    http: Http,
    base: String,
    token: Option<SecretString>,
    store: Store,
    clock: Clock,
    /// Writes are not cancelled half-way; a run stops between items.
    never: CancellationToken,
    attempts: usize,
}

impl RemoteSink {
    pub fn new(
        settings: &RemoteSinkSettings,
        store: Store,
        clock: Clock,
    ) -> Result<RemoteSink, ConnectorError> {
        let mut opts = HttpOptions::new("the hub");
        opts.requests_per_second = 0;
        opts.timeout = Duration::from_secs(settings.timeout_secs);
        opts.retry = RetryPolicy {
            max_attempts: settings.max_attempts,
            min_delay: Duration::from_millis(settings.retry_min_delay_ms),
            ..RetryPolicy::default()
        };
        Ok(RemoteSink {
            http: Http::new(opts)?,
            base: settings.url.trim_end_matches('/').to_owned(),
            token: settings.token.clone(),
            store,
            clock,
            never: CancellationToken::new(),
            attempts: settings.max_attempts,
        })
    }

    /// Sends the definition; returns what the hub reports. Throttling (429), server
    /// errors and lost answers (the connection drops after the hub received the
    /// request, or the answer is cut off) are retried with backoff, honouring
    /// `Retry-After`. Creates carry an `Idempotency-Key` derived from the API's
    /// identity, so the hub answers a retried create with the target the first
    /// attempt made instead of a second one. Every attempt of one call carries the
    /// same `X-Request-Id`; a replay naming it is this call's own create whose
    /// answer was lost.
    async fn send(
        &self,
        method: Method,
        path: String,
        item: &SinkItem,
        create: bool,
    ) -> Result<Sent, ConnectorError> {
        let request_id = uuid::Uuid::now_v7().to_string();
        let mut attempt = 1;
        loop {
            match self
                .send_once(method.clone(), &path, item, create, &request_id)
                .await
            {
                // The answer started but was cut off: the whole call again.
                Err(e)
                    if e.status.is_none()
                        && e.message.contains("cut off")
                        && attempt < self.attempts =>
                {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => return other,
            }
        }
    }

    async fn send_once(
        &self,
        method: Method,
        path: &str,
        item: &SinkItem,
        create: bool,
        request_id: &str,
    ) -> Result<Sent, ConnectorError> {
        let url = format!("{}{INVENTORY}{path}", self.base);
        let mut query: Vec<(&str, String)> = vec![
            ("format", item.definition.format.request_str().to_owned()),
            ("mode", "imported".to_owned()),
            ("origin", item.importer_type.request_str().to_owned()),
        ];
        if create {
            query.push(("name", item.name.clone()));
        }
        let body = Arc::new(item.definition.original.clone());
        let key = create.then(|| idempotency_key(&item.importer_id, &item.external_key));
        let token = self.token.clone();
        let build = move |c: &reqwest::Client| {
            let mut req = c
                .request(method.clone(), &url)
                .query(&query)
                .body((*body).clone());
            if let Some(t) = &token {
                req = req.header("X-Auth", t.expose_secret());
            }
            if let Some(k) = &key {
                req = req.header("Idempotency-Key", k);
            }
            req.header("X-Request-Id", request_id)
        };
        let call = if create {
            "POST create-from-definition"
        } else {
            "PUT definition"
        };
        let resp = self.http.send(&self.never, call, &build).await?;
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok());
        let replayed =
            header(crate::api::inventory::REPLAYED).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let own_replay =
            replayed && header(crate::api::inventory::REPLAYED_REQUEST) == Some(request_id);
        let json: Value = self.http.json(call, resp).await?;
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
            return Err(ConnectorError::protocol(
                "the hub's answer has no target or definition id",
            ));
        }
        Ok(Sent {
            target_id: id,
            definition_id: def,
            replayed,
            own_replay,
        })
    }
}

/// What the hub answered to a create or replace.
struct Sent {
    target_id: String,
    definition_id: String,
    /// The hub had already made this target for the same idempotency key.
    replayed: bool,
    /// ... and it was this very create, retried after its answer was lost.
    own_replay: bool,
}

/// The same API of the same importer always sends the same key, so a create
/// retried after a lost answer, or after a crash lost the local map, finds the
/// target made the first time. (A hub that ignores the header may still duplicate
/// on a lost answer; this daemon's embedded inventory honours it.)
fn idempotency_key(importer_id: &str, external_key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{importer_id}\n{external_key}").as_bytes());
    format!("apihub-importer-{}", &hex::encode(digest)[..40])
}

fn hub_error(key: &str, e: ConnectorError) -> SinkError {
    SinkError {
        transient: e.kind == apihub_connectors::ErrorKind::Transient,
        message: format!("the hub refused {key}: {}", e.message),
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
        let revision = item.revision.clone();
        let save = |target_id: String, definition_id: String| {
            let t = RemoteTarget {
                target_id,
                definition_id,
                content_hash: hash.clone(),
                missing_since: None,
                source_revision: revision.clone(),
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
                if k.missing_since.is_some() || k.source_revision != item.revision {
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
                Ok(sent) => {
                    save(sent.target_id.clone(), sent.definition_id)
                        .await
                        .map_err(store_error)?;
                    return Ok(Upsert::Updated(sent.target_id));
                }
                // Deleted on the hub: create it again below.
                Err(e) if e.status == Some(404) => {}
                Err(e) => return Err(hub_error(&item.external_key, e)),
            }
        }
        let sent = self
            .send(
                Method::POST,
                "/api-targets/create-from-definition".into(),
                &item,
                true,
            )
            .await
            .map_err(|e| hub_error(&item.external_key, e))?;
        if sent.replayed && !sent.own_replay {
            // The hub made this target in an earlier attempt whose answer (or whose
            // local record) was lost; its content may be older than this one.
            let path = format!(
                "/api-targets/{}/definitions/{}",
                sent.target_id, sent.definition_id
            );
            let current = self
                .send(Method::PUT, path, &item, false)
                .await
                .map_err(|e| hub_error(&item.external_key, e))?;
            save(current.target_id.clone(), current.definition_id)
                .await
                .map_err(store_error)?;
            return Ok(Upsert::Updated(current.target_id));
        }
        save(sent.target_id.clone(), sent.definition_id)
            .await
            .map_err(store_error)?;
        Ok(Upsert::Created(sent.target_id))
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

    async fn revisions(
        &self,
        importer_id: &str,
    ) -> Result<std::collections::HashMap<String, String>, SinkError> {
        self.store
            .remote_revisions(&self.base, importer_id)
            .await
            .map_err(store_error)
    }
}
