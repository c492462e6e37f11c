//! The sync engine on a scripted connector (the factory the engine takes its
//! connectors from is replaced), so its semantics are tested without a platform:
//! revisions skip downloads, a window of concurrent downloads while the listing
//! goes on, nothing marked missing after a listing that failed half-way, a refused
//! download stopping the run, new settings forgetting revisions.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apihub_connectors::{
    Connector, ConnectorError, ConnectorFactory, Context, Document, Environment, ImporterType,
    Listed, Listing,
};
use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{IMPORTERS, TestApp, openapi, spawn_customized};
use crate::inventory::INVENTORY;
use crate::sync::{counts, run};

/// One API as the script lists it.
#[derive(Clone)]
struct Api {
    key: String,
    revision: Option<String>,
    ops: usize,
}

#[derive(Default)]
struct Script {
    apis: Mutex<Vec<Api>>,
    /// The listing fails after this many items.
    fail_after: Mutex<Option<usize>>,
    /// Downloads refused as if the credentials were withdrawn.
    refuse_downloads: Mutex<bool>,
    fetch_delay: Mutex<Duration>,
    downloads: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Items listed before the first download finished.
    listed_before_first_download: AtomicUsize,
    listed: AtomicUsize,
}

impl Script {
    fn set(&self, apis: Vec<Api>) {
        *self.apis.lock().expect("lock") = apis;
    }
}

struct Scripted(Arc<Script>);

#[async_trait]
impl Connector for Scripted {
    async fn check(&self, _: &Context) -> Result<(), ConnectorError> {
        Ok(())
    }

    async fn list(&self, cx: &Context, out: &Listing) -> Result<(), ConnectorError> {
        let apis = self.0.apis.lock().expect("lock").clone();
        let fail_after = *self.0.fail_after.lock().expect("lock");
        for (i, api) in apis.into_iter().enumerate() {
            if fail_after == Some(i) {
                return Err(ConnectorError::transient(
                    "the platform went away mid-listing",
                ));
            }
            cx.ensure_active()?;
            self.0.listed.fetch_add(1, Ordering::SeqCst);
            let script = self.0.clone();
            let (key, revision) = (api.key.clone(), api.revision.clone());
            let item = apihub_connectors::connector::fetch(async move {
                let now = script.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                script.max_in_flight.fetch_max(now, Ordering::SeqCst);
                let delay = *script.fetch_delay.lock().expect("lock");
                tokio::time::sleep(delay).await;
                if script.downloads.fetch_add(1, Ordering::SeqCst) == 0 {
                    let seen = script.listed.load(Ordering::SeqCst);
                    script
                        .listed_before_first_download
                        .store(seen, Ordering::SeqCst);
                }
                script.in_flight.fetch_sub(1, Ordering::SeqCst);
                if *script.refuse_downloads.lock().expect("lock") {
                    return Err(ConnectorError::auth("Scripted GET /spec: HTTP 401"));
                }
                Ok(Document {
                    bytes: openapi(&format!("API {}", api.key), &api.key, api.ops).into_bytes(),
                    ..Document::default()
                })
            });
            let mut l = Listed::new(key, item);
            l.revision = revision;
            out.push(l).await?;
        }
        Ok(())
    }
}

struct Factory(Arc<Script>);

impl ConnectorFactory for Factory {
    fn build(
        &self,
        _: ImporterType,
        _: &Value,
        _: &Environment,
    ) -> Result<Box<dyn Connector>, ConnectorError> {
        Ok(Box::new(Scripted(self.0.clone())))
    }
}

async fn scripted_app() -> (TestApp, Arc<Script>) {
    let script = Arc::new(Script::default());
    let factory = script.clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let app = spawn_customized(
        dir,
        |_| {},
        apihub_importer::clock::Clock::System,
        move |ctx| {
            ctx.connectors = Arc::new(Factory(factory));
        },
    )
    .await;
    (app, script)
}

/// An `invicti_nad_agent` importer (every parameter optional): any type works, the
/// factory ignores it.
async fn importer(app: &TestApp, params: Value) -> String {
    app.create_importer(
        &json!({"name": "scripted", "type": "invicti_nad_agent", "status": "inactive", "parameters": params}),
    )
    .await
}

fn apis(n: usize, revision: &str) -> Vec<Api> {
    (0..n)
        .map(|i| Api {
            key: format!("api{i:03}"),
            revision: Some(format!("{revision}-{i}")),
            ops: 1,
        })
        .collect()
}

#[tokio::test]
async fn unchanged_revisions_skip_the_download() {
    let (app, script) = scripted_app().await;
    let id = importer(&app, json!({})).await;
    script.set(apis(20, "r1"));
    let first = run(&app, &id).await;
    assert_eq!(counts(&first)[..3], [20, 20, 0], "{first}");
    assert_eq!(script.downloads.load(Ordering::SeqCst), 20);

    let again = run(&app, &id).await;
    assert_eq!(again["counts"]["unchanged"], 20, "{again}");
    assert_eq!(
        script.downloads.load(Ordering::SeqCst),
        20,
        "an unchanged source downloads nothing"
    );

    // Two new revisions, one without any: three downloads.
    let mut changed = apis(20, "r1");
    changed[3].revision = Some("r2-3".into());
    changed[4].revision = Some("r2-4".into());
    changed[5].revision = None;
    changed[3].ops = 2;
    script.set(changed);
    let third = run(&app, &id).await;
    assert_eq!(script.downloads.load(Ordering::SeqCst), 23, "{third}");
    assert_eq!(
        (
            third["counts"]["updated"].clone(),
            third["counts"]["unchanged"].clone()
        ),
        (json!(1), json!(19))
    );

    // A target deleted by a user is downloaded and created again.
    let (_, page) = app.get(&format!("{INVENTORY}/api-targets?limit=500")).await;
    let victim = page["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .find(|t| {
            t["annotations"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["value"] == "api010"))
        })
        .expect("api010")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(
        app.delete(&format!("{INVENTORY}/api-targets/{victim}"))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let before = script.downloads.load(Ordering::SeqCst);
    let fourth = run(&app, &id).await;
    assert_eq!(fourth["counts"]["created"], 1, "{fourth}");
    assert_eq!(
        script.downloads.load(Ordering::SeqCst),
        before + 2,
        "api010 and the revision-less api005"
    );
}

#[tokio::test]
async fn new_settings_forget_the_revisions() {
    let (app, script) = scripted_app().await;
    let body = |p: Value| json!({"name": "scripted", "type": "kong", "status": "inactive", "parameters": p});
    let id = app
        .create_importer(&body(json!({"adminUrl": "http://kong:8001"})))
        .await;
    script.set(apis(5, "r1"));
    run(&app, &id).await;
    run(&app, &id).await;
    assert_eq!(script.downloads.load(Ordering::SeqCst), 5);
    let (status, _) = app
        .put(
            &format!("{IMPORTERS}/{id}"),
            &body(json!({"adminUrl": "http://kong:8444"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    run(&app, &id).await;
    assert_eq!(
        script.downloads.load(Ordering::SeqCst),
        10,
        "other settings may make other documents"
    );
}

#[tokio::test]
async fn downloads_overlap_the_listing_within_the_window() {
    let (app, script) = scripted_app().await;
    *script.fetch_delay.lock().expect("lock") = Duration::from_millis(50);
    let id = importer(&app, json!({"maxConcurrentFetches": 3})).await;
    script.set(apis(30, "r1"));
    let r = run(&app, &id).await;
    assert_eq!(r["counts"]["created"], 30, "{r}");
    let max = script.max_in_flight.load(Ordering::SeqCst);
    assert!(
        (2..=3).contains(&max),
        "{max} downloads at once with a window of 3"
    );
    // The listing did not wait for the estate: it was only a few items ahead of the
    // first download, bounded by the window and the channel behind it.
    let ahead = script.listed_before_first_download.load(Ordering::SeqCst);
    assert!(
        ahead < 30,
        "the whole listing ran before any download ({ahead})"
    );
}

#[tokio::test]
async fn a_listing_that_fails_half_way_writes_what_it_got_and_marks_nothing_missing() {
    let (app, script) = scripted_app().await;
    let id = importer(&app, json!({})).await;
    script.set(apis(10, "r1"));
    run(&app, &id).await;
    *script.fail_after.lock().expect("lock") = Some(4);
    let mut fewer = apis(10, "r2");
    fewer.truncate(8);
    script.set(fewer);
    let r = run(&app, &id).await;
    assert_eq!(r["status"], "Failed");
    assert!(
        r["failReason"]
            .as_str()
            .is_some_and(|m| m.contains("mid-listing")),
        "{r}"
    );
    assert_eq!(
        r["counts"]["missing"], 0,
        "only a complete listing says what is gone"
    );
    assert_eq!(r["counts"]["updated"], 0, "same content, new revision: {r}");
    let (_, page) = app.get(&format!("{INVENTORY}/api-targets?limit=500")).await;
    assert_eq!(page["totalCount"], 10);
}

#[tokio::test]
async fn a_refused_download_stops_the_run() {
    let (app, script) = scripted_app().await;
    let id = importer(&app, json!({"maxConcurrentFetches": 1})).await;
    script.set(apis(50, "r1"));
    *script.refuse_downloads.lock().expect("lock") = true;
    let r = run(&app, &id).await;
    assert_eq!(r["status"], "Failed");
    assert!(
        r["failReason"].as_str().is_some_and(|m| m.contains("401")),
        "{r}"
    );
    let downloads = script.downloads.load(Ordering::SeqCst);
    assert!(
        downloads < 10,
        "{downloads} downloads after the credentials were refused"
    );
    assert_eq!(r["counts"]["missing"], 0);
}
