//! Tests of the real `apihub-importer` binary: config validation, restart on the
//! same database, SIGTERM with requests in flight, and what reaches the logs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod browser;
mod cli;
mod declared;
mod examples;
mod metrics;
mod packaging;
mod readme;
mod schemathesis;
mod secrets;
mod sync;
mod traffic;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_apihub-importer");
const IMPORTERS: &str = "/api/apihub/v1/importers";

pub(crate) struct Daemon {
    child: Child,
    base: String,
    log: PathBuf,
}

pub(crate) fn write_config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("config.yaml");
    let text = format!(
        "server:\n  bind: 127.0.0.1:0\n  shutdown_timeout_secs: 5\nstore:\n  path: {}\nlog:\n  format: json\n  level: debug\n{extra}",
        dir.join("data/apihub.db").display()
    );
    std::fs::write(&path, text).expect("write config");
    path
}

impl Daemon {
    fn start(dir: &Path) -> Daemon {
        Self::start_with(dir, "")
    }

    fn start_with(dir: &Path, extra: &str) -> Daemon {
        Self::start_env(dir, extra, &[])
    }

    /// Starts the daemon with `extra` config and these environment variables.
    fn start_env(dir: &Path, extra: &str, env: &[(&str, &str)]) -> Daemon {
        let config = write_config(dir, extra);
        Self::spawn(&config, dir, env)
    }

    /// `serve --config config` in `dir` (its log there too), once it listens.
    // The child is owned by `Daemon`, whose `Drop` kills and waits for it.
    #[allow(clippy::zombie_processes)]
    fn spawn(config: &Path, dir: &Path, env: &[(&str, &str)]) -> Daemon {
        let log = dir.join(format!(
            "daemon-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let child = Command::new(BIN)
            .current_dir(dir)
            .args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "debug")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn daemon");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(addr) = text.lines().find_map(listening_addr) {
                return Daemon {
                    child,
                    base: format!("http://{addr}"),
                    log,
                };
            }
            assert!(Instant::now() < deadline, "daemon did not start:\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }

    pub(crate) fn terminate(&mut self) -> ExitStatus {
        let ok = Command::new("kill")
            .args(["-TERM", &self.pid()])
            .status()
            .expect("kill");
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "daemon did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The command-line client run with `args`, as it exited.
pub(crate) fn cli(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run the CLI")
}

/// The output of a run that must succeed (else the test fails showing both streams).
pub(crate) fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The JSON answer of a run that must succeed.
pub(crate) fn ok_json(out: &Output) -> Value {
    let text = ok(out);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A daemon with two inactive `directory` importers made through the CLI, named
/// `names`: the first reads a folder with one OpenAPI document, the second a
/// folder removed after it was made (its runs fail). Returns their ids.
pub(crate) fn good_and_gone(dir: &Path, names: [&str; 2]) -> (Daemon, [String; 2]) {
    let specs = dir.join("specs");
    std::fs::create_dir_all(specs.join("good")).expect("specs");
    std::fs::create_dir_all(specs.join("gone")).expect("specs");
    std::fs::write(
        specs.join("good/api.json"),
        r#"{"openapi": "3.0.0", "info": {"title": "Good", "version": "1"}, "paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}}}"#,
    )
    .expect("spec");
    let daemon = Daemon::start_with(
        dir,
        &format!("importers:\n  directory_roots: [{}]\n", specs.display()),
    );
    let ids = [(names[0], "good"), (names[1], "gone")].map(|(name, folder)| {
        // Inactive: no scheduled run; each runs when a test triggers it.
        let body = json!({"name": name, "type": "directory", "status": "inactive",
                          "parameters": {"path": specs.join(folder).display().to_string()}});
        let made = ok_json(&cli(&[
            "importers",
            "create",
            &body.to_string(),
            "--url",
            &daemon.base,
        ]));
        made["importerId"].as_str().expect("id").to_owned()
    });
    std::fs::remove_dir_all(specs.join("gone")).expect("remove");
    (daemon, ids)
}

fn listening_addr(line: &str) -> Option<String> {
    let v: Value = serde_json::from_str(line).ok()?;
    (v["message"] == "Listening.").then(|| v["addr"].as_str().map(str::to_owned))?
}

#[test]
fn validate_names_an_unknown_key_and_accepts_the_shipped_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = write_config(dir.path(), "scheduler_typo:\n  x: 1\n");
    let out = Command::new(BIN)
        .args(["validate", "--config"])
        .arg(&bad)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("scheduler_typo"), "{err}");

    let nested = dir.path().join("nested.yaml");
    std::fs::write(&nested, "server:\n  bnd: 127.0.0.1:1\n").expect("write");
    let out = Command::new(BIN)
        .args(["validate", "--config"])
        .arg(&nested)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bnd") && err.contains("server"), "{err}");

    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/apihub-importer.yaml");
    let out = Command::new(BIN)
        .args(["validate", "--config"])
        .arg(&shipped)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = Command::new(BIN)
        .args(["validate", "--config"])
        .arg(dir.path().join("absent.yaml"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

#[test]
fn refuses_a_public_bind_without_tokens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), "");
    let out = Command::new(BIN)
        .args(["serve", "--config"])
        .arg(&config)
        .env("APIHUB_SERVER__BIND", "0.0.0.0:0")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("auth_tokens") && err.contains("loopback"),
        "{err}"
    );
}

/// Issue 10.1: an empty or placeholder token is not "auth configured". Both
/// `validate` and `serve` refuse it, naming the key, and nothing binds.
#[test]
fn empty_and_placeholder_tokens_are_refused_by_validate_and_serve() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), "");
    for value in ["", ",", "tok1-0123456789abcdef,", " ", "change-me"] {
        for command in ["validate", "serve"] {
            let out = Command::new(BIN)
                .args([command, "--config"])
                .arg(&config)
                .env("APIHUB_SERVER__BIND", "0.0.0.0:0")
                .env("APIHUB_SERVER__AUTH_TOKENS", value)
                .output()
                .expect("run");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{command} {value:?} accepted");
            assert!(
                err.contains("server.auth_tokens["),
                "{command} {value:?}: {err}"
            );
        }
    }
    let file = write_config(dir.path(), "");
    let text = std::fs::read_to_string(&file).expect("read") + "";
    let text = text.replace("server:\n", "server:\n  auth_tokens: [\"\"]\n");
    std::fs::write(&file, text).expect("write");
    let out = Command::new(BIN)
        .args(["validate", "--config"])
        .arg(&file)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("server.auth_tokens[0] is empty"));
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created for a bad config"
    );
}

#[test]
fn paths_in_the_config_file_are_read_next_to_it_and_nothing_is_made_for_a_bad_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("etc");
    let elsewhere = dir.path().join("cwd");
    std::fs::create_dir_all(&conf).expect("mkdir");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    let config = conf.join("c.yaml");
    std::fs::write(
        &config,
        "server: {bind: 127.0.0.1:0}\nstore: {path: state/hub.db}\nlog: {format: json}\n",
    )
    .expect("write");
    let out = Command::new(BIN)
        .current_dir(&elsewhere)
        .args(["serve", "--config"])
        .arg(&config)
        .env("APIHUB_SECRETS__KEY", "c2hvcnQ=")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a 5-byte key was accepted");
    assert!(err.contains("secrets.key: 5 bytes, not 32"), "{err}");
    assert!(
        !conf.join("state").exists(),
        "nothing is created for a bad key"
    );

    let mut daemon = Daemon::spawn(&config, &elsewhere, &[]);
    assert!(conf.join("state/hub.db").is_file(), "{}", daemon.logs());
    assert!(conf.join("state/secret.key").is_file());
    assert!(!elsewhere.join("state").exists());
    assert!(daemon.terminate().success());
}

#[tokio::test]
async fn data_survives_a_restart_and_secrets_stay_out_of_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = "Never-Log-Me-4242";
    let mut daemon = Daemon::start(dir.path());
    let http = reqwest::Client::new();
    let body = json!({"name": "restart", "type": "kong",
                      "parameters": {"adminUrl": "http://kong:8001", "adminToken": secret}});
    let created: Value = http
        .post(format!("{}{IMPORTERS}", daemon.base))
        .json(&body)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let id = created["importerId"].as_str().expect("id").to_owned();
    let mut put_body = body.clone();
    put_body["parameters"]["adminToken"] = json!("********");
    let resp = http
        .put(format!("{}{IMPORTERS}/{id}", daemon.base))
        .json(&put_body)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert!(daemon.terminate().success());
    let first_logs = daemon.logs();

    let daemon2 = Daemon::start(dir.path());
    let got: Value = http
        .get(format!("{}{IMPORTERS}/{id}", daemon2.base))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(got["name"], "restart");
    assert_eq!(got["parameters"]["adminToken"], "********");
    assert_eq!(got["parameters"]["adminUrl"], "http://kong:8001");
    for logs in [first_logs, daemon2.logs()] {
        assert!(logs.contains("Importer created.") || logs.contains("Listening."));
        assert!(!logs.contains(secret), "secret in logs:\n{logs}");
    }
}

#[tokio::test]
async fn sigterm_during_requests_exits_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut daemon = Daemon::start(dir.path());
    let http = reqwest::Client::new();
    let base = daemon.base.clone();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let http = http.clone();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let mut ok = 0u32;
            for j in 0..200 {
                let r = http
                    .post(format!("{base}{IMPORTERS}"))
                    .json(&json!({"name": format!("imp-{i}-{j}")}))
                    .send()
                    .await;
                match r {
                    Ok(resp) => {
                        // Every answer that arrives is complete and well-formed.
                        assert_eq!(resp.status(), 200);
                        let v: Value = resp.json().await.expect("complete body");
                        assert!(v["importerId"].is_string());
                        ok += 1;
                    }
                    Err(_) => break,
                }
            }
            ok
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = tokio::task::spawn_blocking(move || {
        let s = daemon.terminate();
        (s, daemon.logs())
    })
    .await
    .expect("join");
    let mut served = 0;
    for t in tasks {
        served += t.await.expect("client task");
    }
    assert!(
        status.0.success(),
        "exit status {:?}\n{}",
        status.0,
        status.1
    );
    assert!(status.1.contains("Shutdown requested"), "{}", status.1);
    assert!(served > 0, "no request was served before the signal");

    // Every importer whose creation was answered is in the database.
    let daemon = Daemon::start(dir.path());
    let list: Value = http
        .get(format!("{}{IMPORTERS}", daemon.base))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let stored = list["importers"].as_array().expect("array").len() as u32;
    assert!(stored >= served, "stored {stored} < answered {served}");
}

#[tokio::test]
async fn importers_commands_manage_a_running_daemon() {
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = Daemon::start(dir.path());
    let base = daemon.base.clone();
    let cli = move |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("importers")
            .args(args)
            .args(["--url", &base])
            .output()
            .expect("run cli");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let cli = std::sync::Arc::new(cli);
    let run = |args: Vec<String>| {
        let cli = cli.clone();
        tokio::task::spawn_blocking(move || {
            cli(&args.iter().map(String::as_str).collect::<Vec<_>>())
        })
    };
    let (ok, out, err) = run(vec![
        "create".into(),
        r#"{"name": "from-cli", "type": "kong", "parameters": {"adminUrl": "http://kong:8001", "adminToken": "t"}}"#.into(),
    ])
    .await
    .expect("join");
    assert!(ok, "{err}");
    let created: Value = serde_json::from_str(&out).expect("json output");
    let id = created["importerId"].as_str().expect("id").to_owned();
    assert_eq!(created["parameters"]["adminToken"], "********");

    let (ok, out, _) = run(vec!["list".into()]).await.expect("join");
    assert!(ok);
    let list: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(list["importers"][0]["name"], "from-cli");

    let (ok, _, _) = run(vec!["trigger".into(), id.clone()]).await.expect("join");
    assert!(ok);
    let (ok, _, err) = run(vec!["create".into(), r#"{"name": ""}"#.into()])
        .await
        .expect("join");
    assert!(!ok);
    assert!(err.contains("400") && err.contains("name"), "{err}");
    let (ok, _, _) = run(vec!["delete".into(), id.clone()]).await.expect("join");
    assert!(ok);
    let (ok, _, err) = run(vec!["delete".into(), id]).await.expect("join");
    assert!(!ok && err.contains("404"), "{err}");
}

#[test]
fn inspect_prints_the_summary_and_fails_on_bad_input() {
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("connectors/tests/fixtures/normalize");
    let out = Command::new(BIN)
        .arg("inspect")
        .arg(fixtures.join("swagger-2.0.yaml"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json summary");
    for key in [
        "format",
        "specVersion",
        "title",
        "version",
        "servers",
        "operationsCount",
        "operations",
        "hash",
        "warnings",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert_eq!(v["format"], "Openapi2");
    assert_eq!(v["operationsCount"], 5);
    assert_eq!(v["operations"][0]["type"], "GET");

    let out = Command::new(BIN)
        .args(["inspect", "--format", "wsdl"])
        .arg(fixtures.join("swagger-2.0.yaml"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("declared format wsdl"));

    let dir = tempfile::tempdir().expect("tempdir");
    // Read but invalid: the summary is printed and the exit status says so.
    let invalid = dir.path().join("invalid.json");
    std::fs::write(
        &invalid,
        r#"{"openapi": "3.0.0", "paths": {"/a": {"get": {}}}}"#,
    )
    .expect("write");
    let out = Command::new(BIN)
        .arg("inspect")
        .arg(&invalid)
        .output()
        .expect("run");
    assert!(!out.status.success(), "an invalid definition exited 0");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json summary");
    assert_eq!(v["valid"], false);
    assert_eq!(v["operationsCount"], 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a valid definition (2 errors"), "{err}");

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"openapi\": \"3.0.0\", ").expect("write");
    let out = Command::new(BIN)
        .arg("inspect")
        .arg(&bad)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("JSON syntax error"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
