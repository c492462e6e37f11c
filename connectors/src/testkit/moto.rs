//! A real moto server (AWS emulator, PyPI `moto[server]`) on a free loopback port,
//! stopped when dropped, AWS SDK clients pointed at it, and the seeding both
//! crates' AWS tests share.
//!
//! `tests/run.sh` installs moto into `target/test-deps/venv`. Without it the AWS
//! tests are skipped, unless `CI=true`, where they fail.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use aws_sdk_apigateway::primitives::Blob;
use serde_json::json;

pub const ACCOUNT: &str = "123456789012";

pub struct Moto {
    child: Child,
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts moto; `None` (test skipped) when it is not installed and not in CI.
    pub async fn start(env: &[(&str, &str)]) -> Option<Moto> {
        let bin = super::peers::peer("APIHUB_MOTO_SERVER", "venv/bin/moto_server")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        // The child is owned by `Moto`, whose `Drop` kills and waits for it.
        #[allow(clippy::zombie_processes)]
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = reqwest::get(format!("{}/moto-api/", moto.url)).await
                && r.status().is_success()
            {
                return Some(moto);
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not start on {}",
                moto.url
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn config(&self, region: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::v2026_01_12())
            .region(aws_config::Region::new(region.to_owned()))
            .credentials_provider(Credentials::new(
                "AKIDSEED",
                "seed-secret",
                None,
                None,
                "test",
            ))
            .endpoint_url(&self.url)
            .load()
            .await
    }

    pub async fn v1(&self, region: &str) -> aws_sdk_apigateway::Client {
        aws_sdk_apigateway::Client::new(&self.config(region).await)
    }

    pub async fn v2(&self, region: &str) -> aws_sdk_apigatewayv2::Client {
        aws_sdk_apigatewayv2::Client::new(&self.config(region).await)
    }
}

/// An OpenAPI 3 document moto imports (it wants `info.description` and an
/// integration with `uri` and `httpMethod` on every operation).
pub fn spec(title: &str, ops: &[(&str, &str)]) -> Vec<u8> {
    let mut paths = serde_json::Map::new();
    for (method, path) in ops {
        let item = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        item[method.to_string()] = json!({
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "http", "uri": "https://backend.example.com", "httpMethod": method.to_uppercase()}
        });
    }
    serde_json::to_vec(&json!({"openapi": "3.0.1", "info": {"title": title, "version": "1.0", "description": format!("{title} API")}, "paths": paths})).expect("spec")
}

pub async fn import(
    moto: &Moto,
    region: &str,
    title: &str,
    ops: &[(&str, &str)],
    stages: &[&str],
) -> String {
    let c = moto.v1(region).await;
    let api = c
        .import_rest_api()
        .body(Blob::new(spec(title, ops)))
        .send()
        .await
        .expect("ImportRestApi");
    let id = api.id().expect("id").to_owned();
    for stage in stages {
        c.create_deployment()
            .rest_api_id(&id)
            .stage_name(*stage)
            .send()
            .await
            .expect("CreateDeployment");
    }
    id
}
