//! `spawn_app()`: the daemon in-process on port 0 with a temporary database
//! (zero-to-production's harness). Set `TEST_LOG=1` to see its logs.

use std::sync::Once;

use std::sync::Arc;

use apihub_importer::api::AppState;
use apihub_importer::app::App;
use apihub_importer::clock::Clock;
use apihub_importer::config::Settings;
use apihub_importer::sink::{Sink, SinkError, SinkItem, Upsert};
use apihub_importer::sync::SyncContext;
use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const IMPORTERS: &str = "/api/apihub/v1/importers";

static TRACING: Once = Once::new();

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub token: Option<String>,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Port 0, a temporary database, and no scheduled runs (triggers still run):
/// tests that want the schedule turn it on.
pub fn test_settings(dir: &std::path::Path) -> Settings {
    let mut s = Settings::default();
    s.server.bind = "127.0.0.1:0".parse().expect("addr");
    s.store.path = dir.join("data/apihub.db");
    s.scheduler.enabled = false;
    s.importers.directory_roots = vec![dir.join("specs")];
    s
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    spawn_in(dir, configure).await
}

/// Starts an app on an existing directory (e.g. to restart on the same database).
pub async fn spawn_in(dir: tempfile::TempDir, configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_full(dir, configure, Clock::System, |_| None).await
}

/// The whole set of knobs: settings, clock, and a replacement sink.
pub async fn spawn_full(
    dir: tempfile::TempDir,
    configure: impl FnOnce(&mut Settings),
    clock: Clock,
    sink: impl FnOnce(&SyncContext) -> Option<Arc<dyn Sink>>,
) -> TestApp {
    spawn_customized(dir, configure, clock, |ctx| {
        if let Some(s) = sink(ctx) {
            ctx.sink = s;
        }
    })
    .await
}

/// Settings, clock, and any change to the sync context (sink, connectors).
pub async fn spawn_customized(
    dir: tempfile::TempDir,
    configure: impl FnOnce(&mut Settings),
    clock: Clock,
    customize: impl FnOnce(&mut SyncContext),
) -> TestApp {
    TRACING.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            apihub_importer::telemetry::init(&Default::default());
        }
    });
    let mut settings = test_settings(dir.path());
    configure(&mut settings);
    let token = settings
        .server
        .auth_tokens
        .first()
        .map(|t| secrecy::ExposeSecret::expose_secret(t).to_owned());
    let app = App::build_customized(settings, clock, customize)
        .await
        .expect("app builds");
    let base = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    TestApp {
        base,
        http: reqwest::Client::new(),
        dir,
        token,
        state,
        stop: Some(tx),
        task: Some(task),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(method, self.url(path));
        match &self.token {
            Some(t) => req.header("X-Auth", t),
            None => req,
        }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.request(Method::PUT, path).json(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.send(self.request(Method::PATCH, path).json(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// Creates an importer and returns its id.
    pub async fn create_importer(&self, body: &Value) -> String {
        let (status, created) = self.post(IMPORTERS, body).await;
        assert_eq!(status, StatusCode::OK, "{created}");
        created["importerId"]
            .as_str()
            .expect("importerId")
            .to_owned()
    }

    /// Waits (up to 30 s of real time) until `check` holds for the importer's runs.
    pub async fn wait_for_runs(&self, importer: &str, check: impl Fn(&Value) -> bool) -> Value {
        self.wait_for_runs_within(30, importer, check).await
    }

    pub async fn wait_for_runs_within(
        &self,
        secs: u64,
        importer: &str,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let (_, page) = self
                .get(&format!("{IMPORTERS}/{importer}/runs?limit=100"))
                .await;
            if check(&page) {
                return page;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "runs never matched: {page}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Stops the server and returns its directory (to restart on the same data).
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("join").expect("clean stop");
        }
        let TestApp { dir, .. } = self;
        dir
    }
}

/// Asserts the error envelope and returns `(code, field)`.
pub fn envelope(body: &Value) -> (String, Option<String>) {
    let err = body
        .get("error")
        .unwrap_or_else(|| panic!("no error envelope in {body}"));
    let code = err["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code in {body}"));
    let message = err["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message in {body}"));
    assert!(!message.is_empty(), "{body}");
    (code.to_owned(), err["field"].as_str().map(str::to_owned))
}

/// A sink that holds every upsert until the test lets it through (`gate`), and
/// says when a run reached it (`entered`).
pub struct GatedSink {
    pub inner: Arc<dyn Sink>,
    pub gate: Arc<tokio::sync::Semaphore>,
    pub entered: Arc<tokio::sync::Notify>,
    /// Upserts that reached the sink so far.
    pub arrived: Arc<std::sync::atomic::AtomicUsize>,
    /// Extra time each upsert takes (to make runs slow).
    pub delay: std::time::Duration,
    /// The `write_depth` it claims (1 unless a test asks for the embedded sink's).
    pub depth: usize,
}

impl GatedSink {
    pub fn closed(inner: Arc<dyn Sink>) -> Arc<GatedSink> {
        Arc::new(GatedSink {
            inner,
            gate: Arc::new(tokio::sync::Semaphore::new(0)),
            entered: Arc::new(tokio::sync::Notify::new()),
            arrived: Arc::default(),
            delay: std::time::Duration::ZERO,
            depth: 1,
        })
    }

    /// [`GatedSink::closed`], taking as many waiting writes as the embedded sink.
    pub fn closed_deep(inner: Arc<dyn Sink>) -> Arc<GatedSink> {
        let depth = inner.write_depth();
        let mut g = Arc::into_inner(GatedSink::closed(inner)).expect("new");
        g.depth = depth;
        Arc::new(g)
    }

    /// Always open, but each upsert takes `delay`.
    pub fn slow(inner: Arc<dyn Sink>, delay: std::time::Duration) -> Arc<GatedSink> {
        let g = GatedSink {
            inner,
            gate: Arc::new(tokio::sync::Semaphore::new(1_000_000)),
            entered: Arc::new(tokio::sync::Notify::new()),
            arrived: Arc::default(),
            delay,
            depth: 1,
        };
        Arc::new(g)
    }

    pub fn open(&self) {
        self.gate.add_permits(1_000_000);
    }
}

#[async_trait]
impl Sink for GatedSink {
    fn write_depth(&self) -> usize {
        self.depth
    }

    async fn upsert(&self, item: SinkItem) -> Result<Upsert, SinkError> {
        self.arrived
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.entered.notify_one();
        if let Ok(p) = self.gate.acquire().await {
            p.forget();
        }
        tokio::time::sleep(self.delay).await;
        self.inner.upsert(item).await
    }

    async fn mark_missing(
        &self,
        importer_id: &str,
        present: Vec<String>,
    ) -> Result<u32, SinkError> {
        self.inner.mark_missing(importer_id, present).await
    }

    async fn revisions(
        &self,
        importer_id: &str,
    ) -> Result<std::collections::HashMap<String, String>, SinkError> {
        self.inner.revisions(importer_id).await
    }
}

/// Writes a definition file under the app's `specs` folder.
pub fn write_spec(app: &TestApp, rel: &str, content: &str) {
    let path = app.dir.path().join("specs").join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write spec");
}

pub fn specs_dir(app: &TestApp) -> String {
    let p = app.dir.path().join("specs");
    std::fs::create_dir_all(&p).expect("mkdir");
    p.display().to_string()
}

/// A small OpenAPI document with `n` GET operations under `/prefix/...`.
pub fn openapi(title: &str, prefix: &str, n: usize) -> String {
    let paths: Vec<String> = (0..n)
        .map(|i| format!("\"/{prefix}/{i}\": {{\"get\": {{\"responses\": {{\"200\": {{\"description\": \"ok\"}}}}}}}}"))
        .collect();
    format!(
        "{{\"openapi\": \"3.0.0\", \"info\": {{\"title\": \"{title}\", \"version\": \"1\"}}, \"paths\": {{{}}}}}",
        paths.join(", ")
    )
}
