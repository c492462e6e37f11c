//! A real moto server (AWS emulator, PyPI `moto[server]`) on a free loopback port,
//! stopped when dropped, and AWS SDK clients pointed at it for seeding.
//!
//! `tests/run.sh` installs moto into `target/test-deps/venv`. Without it the AWS
//! tests are skipped, unless `CI=true`, where they fail.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;

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

fn binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("APIHUB_MOTO_SERVER") {
        return Some(PathBuf::from(p));
    }
    let deps = std::env::var_os("APIHUB_TEST_DEPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-deps"));
    Some(deps.join("venv/bin/moto_server")).filter(|p| p.exists())
}

impl Moto {
    /// Starts moto; `None` (test skipped) when it is not installed and not in CI.
    pub async fn start(env: &[(&str, &str)]) -> Option<Moto> {
        let Some(bin) = binary() else {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true");
            assert!(
                !ci,
                "CI=true but moto_server is missing: tests/run.sh installs it into target/test-deps/venv"
            );
            eprintln!("skipping: moto_server not installed (run tests/run.sh)");
            return None;
        };
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
