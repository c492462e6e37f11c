//! Traffic pushed to the real binary: a batch answered 202 survives `kill -9` right
//! after, the restarted daemon reconstructs it, and no credential the traffic
//! carried reaches the logs (at debug level, request headers included).

use serde_json::{Value, json};

use super::Daemon;
use super::sync::get;

const IMPORTERS: &str = "/api/apihub/v1/importers";
const TARGETS: &str = "/api/apihub/v1/inventory/api-targets";
const BEARER: &str = "eyJhbGciOiJIUzI1NiJ9.bG9nLXNlY3JldA.c2lnbmF0dXJl";
const API_KEY: &str = "apikey-In-Traffic-5e4d3c2b1a";

#[tokio::test]
async fn an_accepted_batch_survives_kill_9_and_no_secret_reaches_the_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let http = reqwest::Client::new();
    let mut daemon = Daemon::start(dir.path());
    let created: Value = http
        .post(format!("{}{IMPORTERS}", daemon.base))
        .json(&json!({"name": "agent", "type": "invicti_nad_agent", "status": "inactive"}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let id = created["importerId"].as_str().expect("id").to_owned();
    let token = created["parameters"]["registrationToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let lines: String = (1..=4)
        .map(|i| {
            json!({"method": "GET", "url": format!("https://shop.test/orders/{i}"), "status": 200,
                   "requestHeaders": {"Authorization": format!("Bearer {BEARER}"), "X-Api-Key": API_KEY}})
            .to_string()
                + "\n"
        })
        .collect();
    let resp = http
        .post(format!("{}{IMPORTERS}/{id}/traffic", daemon.base))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/x-ndjson")
        .body(lines)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 202);
    daemon.child.kill().expect("kill -9");
    daemon.child.wait().expect("reaped");
    let mut logs = daemon.logs();

    let daemon = Daemon::start(dir.path());
    let trigger = http
        .post(format!("{}{IMPORTERS}/{id}/trigger", daemon.base))
        .send()
        .await
        .expect("trigger");
    assert_eq!(trigger.status(), 204);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let target = loop {
        let page = get(&http, format!("{}{TARGETS}?limit=10", daemon.base)).await;
        if let Some(t) = page["targets"].as_array().and_then(|t| t.first()) {
            break t.clone();
        }
        assert!(std::time::Instant::now() < deadline, "no target: {page}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(target["alternativeUrls"], json!(["https://shop.test"]));
    let target_id = target["id"].as_str().expect("id");
    let detail = get(&http, format!("{}{TARGETS}/{target_id}", daemon.base)).await;
    assert_eq!(
        detail["operations"][0]["endpoint"], "/orders/{orderId}",
        "{detail}"
    );
    logs.push_str(&daemon.logs());
    assert!(
        logs.contains("Traffic batch stored."),
        "the batch is logged"
    );
    for secret in [BEARER, API_KEY, token.as_str()] {
        assert!(!logs.contains(secret), "`{secret}` in the logs");
    }
}
