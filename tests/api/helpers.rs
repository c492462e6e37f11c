//! `spawn_app()`: the daemon in-process on port 0 with a temporary database
//! (zero-to-production's harness). Set `TEST_LOG=1` to see its logs.

use std::sync::Once;

use apihub_importer::api::AppState;
use apihub_importer::app::App;
use apihub_importer::config::Settings;
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

pub fn test_settings(dir: &std::path::Path) -> Settings {
    let mut s = Settings::default();
    s.server.bind = "127.0.0.1:0".parse().expect("addr");
    s.store.path = dir.join("data/apihub.db");
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
    let app = App::build(settings).await.expect("app builds");
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
