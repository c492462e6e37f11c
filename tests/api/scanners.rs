//! Inventory API (seed 002) imports from real scanners, not hand-written logs:
//! OWASP Nettacker (PyPI `nettacker`, a network and web scanner) scans a site
//! served here on loopback, twice (before and after the site sends its security
//! headers), and Bandit (PyPI `bandit[sarif]`, a source scanner) scans a fixture
//! folder, twice (before and after one line is fixed). What the daemon records is
//! checked against what the scanner wrote. Both come from `tests/run.sh`; missing,
//! the test is skipped, and fails under `CI=true`.
//!
//! Both scanners' logs carry no http(s) URL (Nettacker locates a result by its
//! bare host, Bandit by its file), so they are imported with `assetId`; without
//! it the import is a 400 that stores nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use apihub_connectors::testkit::peers::peer;
use axum::http::HeaderValue;
use axum::response::{Html, IntoResponse, Response};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::findings::{import, list};
use crate::helpers::{TestApp, envelope, spawn_app};

const V1: &str = "/api/inventory/v1";

/// A shop page; until `hardened`, without a Content-Security-Policy, with a
/// session cookie lacking `Secure`/`HttpOnly`, a wildcard CORS grant and a
/// version-revealing `Server` header. It keeps the `Server` header after, so one
/// finding survives the fix.
async fn shop_page(hardened: Arc<AtomicBool>) -> Response {
    let mut res =
        Html("<html><head><title>shop</title></head><body><form>cart</form></body></html>")
            .into_response();
    let h = res.headers_mut();
    h.insert("server", HeaderValue::from_static("nginx/1.18.0"));
    if hardened.load(Ordering::SeqCst) {
        h.insert(
            "content-security-policy",
            HeaderValue::from_static("default-src 'self'"),
        );
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        h.insert(
            "set-cookie",
            HeaderValue::from_static("session=abc123; Path=/; Secure; HttpOnly; SameSite=Strict"),
        );
    } else {
        h.insert(
            "set-cookie",
            HeaderValue::from_static("session=abc123; Path=/"),
        );
        h.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    }
    res
}

/// Runs a scanner to completion off the test's runtime (the site it scans is
/// served on that runtime) and returns the SARIF log it wrote.
async fn run_scanner(bin: &Path, args: Vec<String>, cwd: &Path, out: PathBuf) -> Value {
    let (bin, cwd) = (bin.to_owned(), cwd.to_owned());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&bin)
            .args(&args)
            .current_dir(&cwd)
            .env("NO_COLOR", "1")
            .output()
    })
    .await
    .expect("scanner task")
    .expect("scanner runs");
    let log = std::fs::read(&out).unwrap_or_else(|e| {
        panic!(
            "no SARIF at {} ({e}); scanner said:\n{}\n{}",
            out.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    serde_json::from_slice(&log).expect("the scanner writes JSON")
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().expect("results")
}

async fn create_asset(app: &TestApp, body: Value) -> String {
    let (status, asset) = app.post(&format!("{V1}/assets"), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{asset}");
    asset["id"].as_str().expect("id").to_owned()
}

/// The summary's counts in a fixed order: results, created, updated,
/// reDiscovered, notFound, assetsCreated.
fn counts(summary: &Value) -> [u64; 6] {
    [
        "results",
        "created",
        "updated",
        "reDiscovered",
        "notFound",
        "assetsCreated",
    ]
    .map(|k| {
        summary[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} in {summary}"))
    })
}

#[tokio::test]
async fn nettacker_scans_of_a_site_before_and_after_its_fix() {
    let Some(nettacker) = peer("APIHUB_NETTACKER", "venv-nettacker/bin/nettacker") else {
        return;
    };
    let hardened = Arc::new(AtomicBool::new(false));
    let site = {
        let hardened = hardened.clone();
        axum::Router::new().fallback(move || shop_page(hardened.clone()))
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, site).await });

    let app = spawn_app().await;
    let shop = create_asset(
        &app,
        json!({"assetType": "Target", "name": "shop", "targetUrl": format!("http://127.0.0.1:{port}")}),
    )
    .await;
    let work = tempfile::tempdir().expect("tempdir");
    let scan = |name: &str| {
        let out = work.path().join(name);
        let args: Vec<String> = [
            "-i",
            "127.0.0.1",
            "-g",
            &port.to_string(),
            "-d",
            "-m",
            "content_security_policy_vuln,http_cookie_vuln,http_cors_vuln,server_version_vuln,clickjacking_vuln",
            "-o",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([out.display().to_string()])
        .collect();
        // Nettacker keeps its database under the working folder's `.nettacker`.
        run_scanner(&nettacker, args, work.path(), out)
    };

    let before = scan("before.sarif").await;
    assert_eq!(before["runs"][0]["tool"]["driver"]["name"], "Nettacker");
    let modules = |log: &Value| -> BTreeSet<String> {
        results(log)
            .iter()
            .map(|r| r["ruleId"].as_str().expect("ruleId").to_owned())
            .collect()
    };
    // What Nettacker tells apart: a module and its evidence (the message names
    // the request and the matched header). It may report one twice.
    let checks = |log: &Value| -> BTreeSet<(String, String)> {
        results(log)
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().expect("ruleId").to_owned(),
                    r["message"]["text"].as_str().expect("message").to_owned(),
                )
            })
            .collect()
    };
    let found = modules(&before);
    assert!(
        found.len() >= 3
            && found.contains("http_cors_vuln")
            && found.contains("server_version_vuln"),
        "Nettacker should flag the unhardened site several times: {found:?}"
    );

    // Located by a bare host, not a URL: the daemon cannot pick the asset.
    let (status, body) = import(&app, &before, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        envelope(&body),
        (
            "invalid_field".to_owned(),
            Some("runs[0].results[0]".to_owned())
        )
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("assetId")),
        "{body}"
    );
    assert!(list(&app, "").await.is_empty(), "nothing half imported");

    let (status, summary) = import(&app, &before, &format!("?assetId={shop}")).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let n = results(&before).len() as u64;
    let first = checks(&before);
    let k = first.len() as u64;
    assert_eq!(
        counts(&summary),
        [n, k, n - k, 0, 0, 0],
        "one finding per check"
    );
    let items = list(&app, &format!("assetId={shop}")).await;
    assert_eq!(items.len() as u64, k);
    assert_eq!(
        items
            .iter()
            .map(|v| v["name"].as_str().expect("name").to_owned())
            .collect::<BTreeSet<_>>(),
        found,
        "named by the module (Nettacker writes no rules)"
    );
    for v in &items {
        // No `level` in Nettacker's results: SARIF's default `warning`.
        assert_eq!(
            (&v["severity"], &v["status"]),
            (&json!("medium"), &json!("open")),
            "{v}"
        );
        assert_eq!(v["assetId"], shop.as_str());
    }

    hardened.store(true, Ordering::SeqCst);
    let after = scan("after.sarif").await;
    let still = modules(&after);
    assert!(
        !still.contains("http_cors_vuln"),
        "no wildcard CORS grant any more: {still:?}"
    );
    let second = checks(&after);
    let kept = second.intersection(&first).count() as u64;
    assert!(
        second.iter().any(|(m, _)| m == "server_version_vuln") && kept >= 1,
        "the Server header is still there, with the same evidence: {second:?}"
    );
    let (status, summary) = import(&app, &after, &format!("?assetId={shop}")).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let m = results(&after).len() as u64;
    let new = second.len() as u64 - kept;
    let gone = first.difference(&second).count() as u64;
    assert_eq!(
        counts(&summary),
        [m, new, m - new, 0, gone, 0],
        "checks seen again are the same findings; checks gone are notFound: {summary}"
    );
    let statuses = |items: &[Value], status: &str| {
        items.iter().filter(|v| v["status"] == status).count() as u64
    };
    let items = list(&app, &format!("assetId={shop}")).await;
    assert_eq!(
        (statuses(&items, "open"), statuses(&items, "notFound")),
        (second.len() as u64, gone)
    );
    let cors: Vec<&Value> = items
        .iter()
        .filter(|v| v["name"] == "http_cors_vuln")
        .collect();
    assert!(
        !cors.is_empty() && cors.iter().all(|v| v["status"] == "notFound"),
        "{cors:?}"
    );

    // The same scan again changes nothing.
    let (_, again) = import(&app, &after, &format!("?assetId={shop}")).await;
    assert_eq!(counts(&again), [m, 0, m, 0, 0, 0], "{again}");
    assert_eq!(
        list(&app, "vulnerabilityStatus=notFound").await.len() as u64,
        gone
    );
}

#[tokio::test]
async fn bandit_scans_of_a_repository_before_and_after_a_fix() {
    let Some(bandit) = peer("APIHUB_BANDIT", "venv-bandit/bin/bandit") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let shop = work.path().join("shop");
    std::fs::create_dir_all(&shop).expect("copy folder");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scanners/shop");
    for file in ["orders.py", "debug.py"] {
        std::fs::copy(fixtures.join(file), shop.join(file)).expect("copy fixture");
    }
    let scan = |name: &str| {
        let out = work.path().join(name);
        let args = ["-q", "-r", "shop", "-f", "sarif", "-o"]
            .iter()
            .map(|s| s.to_string())
            .chain([out.display().to_string()])
            .collect();
        run_scanner(&bandit, args, work.path(), out)
    };

    let app = spawn_app().await;
    let repo = create_asset(&app, json!({"assetType": "Repository", "name": "shop.git"})).await;

    let before = scan("before.sarif").await;
    assert_eq!(before["runs"][0]["tool"]["driver"]["name"], "Bandit");
    let rules: BTreeMap<String, String> = before["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id").to_owned(),
                r["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect();
    // Bandit's own verdicts: (rule, file, line) → its severity.
    let verdicts = |log: &Value| -> BTreeMap<(String, String, u64), String> {
        results(log)
            .iter()
            .map(|r| {
                let at = &r["locations"][0]["physicalLocation"];
                (
                    (
                        r["ruleId"].as_str().expect("ruleId").to_owned(),
                        at["artifactLocation"]["uri"]
                            .as_str()
                            .expect("uri")
                            .to_owned(),
                        at["region"]["startLine"].as_u64().expect("line"),
                    ),
                    r["properties"]["issue_severity"]
                        .as_str()
                        .expect("severity")
                        .to_ascii_lowercase(),
                )
            })
            .collect()
    };
    let found = verdicts(&before);
    let shell: Vec<_> = found.keys().filter(|(rule, _, _)| rule == "B602").collect();
    assert_eq!(shell.len(), 2, "shell=True in both files: {found:?}");
    assert!(found.len() >= 5, "{found:?}");

    let (status, body) = import(&app, &before, "").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a file is not a URL: {body}"
    );
    assert!(list(&app, "").await.is_empty());

    let (status, summary) = import(&app, &before, &format!("?assetId={repo}")).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    let n = found.len() as u64;
    assert_eq!(
        counts(&summary),
        [n, n, 0, 0, 0, 0],
        "one finding per (rule, file, line)"
    );
    let items = list(&app, &format!("assetId={repo}")).await;
    let mut got: Vec<(String, String)> = items
        .iter()
        .map(|v| {
            (
                v["name"].as_str().expect("name").to_owned(),
                v["severity"].as_str().expect("severity").to_owned(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = found
        .iter()
        .map(|((rule, _, _), severity)| (rules[rule].clone(), severity.clone()))
        .collect();
    want.sort();
    assert_eq!(got, want, "named by the rule, severity as Bandit rated it");

    // Fixed in place (same line count): `yaml.load` becomes `yaml.safe_load`.
    let orders = shop.join("orders.py");
    let text = std::fs::read_to_string(&orders).expect("read");
    std::fs::write(
        &orders,
        text.replace("yaml.load(text)", "yaml.safe_load(text)"),
    )
    .expect("fix");
    let after = scan("after.sarif").await;
    let remaining = verdicts(&after);
    let gone: Vec<_> = found
        .keys()
        .filter(|k| !remaining.contains_key(*k))
        .collect();
    assert_eq!(gone.len(), 1, "only the yaml.load finding goes: {gone:?}");
    assert_eq!(gone[0].0, "B506");
    let (_, summary) = import(&app, &after, &format!("?assetId={repo}")).await;
    let m = remaining.len() as u64;
    assert_eq!(counts(&summary), [m, 0, m, 0, 1, 0], "{summary}");
    let gone_name = &rules[&gone[0].0];
    for v in list(&app, &format!("assetId={repo}")).await {
        let want = if v["name"] == gone_name.as_str() {
            "notFound"
        } else {
            "open"
        };
        assert_eq!(v["status"], want, "{v}");
    }
}
