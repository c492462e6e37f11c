//! Issue 11.1: secrets follow the descriptors. For every connector of this build and
//! every one of its secret parameters (aliases included), an importer is created
//! with that secret set to a unique value, read back, sent back masked, checked and
//! run; the value must appear in no response, not in the daemon's debug log, and
//! not in clear in the database, its WAL or its SHM file.

use serde_json::{Value, json};

use super::{Daemon, IMPORTERS};

/// A secret value no other byte sequence of the test can contain by accident.
fn unique(i: usize) -> String {
    format!("S3cr3t-{i:03}-{}", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn no_secret_of_any_descriptor_leaks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let specs = dir.path().join("specs");
    std::fs::create_dir_all(&specs).expect("specs");
    let daemon = Daemon::start_with(
        dir.path(),
        &format!(
            "importers:\n  directory_roots: [{}]\nscheduler:\n  enabled: false\n",
            specs.display()
        ),
    );
    let http = reqwest::Client::new();
    let mut secrets: Vec<String> = Vec::new();
    let mut responses = String::new();
    let mut checked = 0;
    let mut triggered: Vec<String> = Vec::new();
    for d in apihub_connectors::descriptors() {
        for (i, secret) in d.secrets.iter().enumerate() {
            let value = unique(secrets.len() + i);
            let mut params = (d.example_with_secret)(secret, &value);
            // Keep runs and checks on loopback: nothing listens on port 9.
            if d.is_destination("endpointUrl") {
                params["endpointUrl"] = json!("http://127.0.0.1:9");
            }
            let name = format!("{} {secret}", d.kind.request_str());
            let body = json!({"name": name, "type": d.kind.request_str(), "status": "inactive", "parameters": params});
            let resp = http
                .post(format!("{}{IMPORTERS}", daemon.base))
                .json(&body)
                .send()
                .await
                .expect("send");
            assert_eq!(resp.status(), 200, "{name}");
            let created: Value = resp.json().await.expect("json");
            let id = created["importerId"].as_str().expect("id").to_owned();
            assert_eq!(
                created["parameters"][*secret], "********",
                "{name}: {created}"
            );
            responses.push_str(&created.to_string());
            // Sent back as fetched: the mask keeps the secret.
            let url = format!("{}{IMPORTERS}/{id}", daemon.base);
            let fetched: Value = http
                .get(&url)
                .send()
                .await
                .expect("get")
                .json()
                .await
                .expect("json");
            let put = http.put(&url).json(&fetched).send().await.expect("put");
            assert_eq!(put.status(), 200, "{name}");
            responses.push_str(&put.text().await.expect("body"));
            let check = http
                .post(format!("{url}/check"))
                .send()
                .await
                .expect("check");
            responses.push_str(&check.text().await.expect("body"));
            let trigger = http
                .post(format!("{url}/trigger"))
                .send()
                .await
                .expect("trigger");
            assert_eq!(trigger.status(), 204);
            triggered.push(id);
            secrets.push(value);
            checked += 1;
        }
    }
    // Types without a connector in this build keep free-form parameters; names that
    // look like credentials are sealed at any depth.
    for kind in apihub_connectors::ImporterType::ALL {
        if apihub_connectors::descriptor(*kind).is_some() {
            continue;
        }
        let values: Vec<String> = (0..3).map(|i| unique(900 + checked + i)).collect();
        let params = json!({"clientSecret": values[0], "adminToken": values[1],
                            "nested": {"password": values[2]}, "tenant": "plain"});
        let body = json!({"name": format!("free-form {}", kind.request_str()), "type": kind.request_str(),
                          "status": "inactive", "parameters": params});
        let resp = http
            .post(format!("{}{IMPORTERS}", daemon.base))
            .json(&body)
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), 200, "{kind:?}");
        let created: Value = resp.json().await.expect("json");
        assert_eq!(
            created["parameters"]["nested"]["password"], "********",
            "{created}"
        );
        assert_eq!(created["parameters"]["tenant"], "plain", "{created}");
        responses.push_str(&created.to_string());
        secrets.extend(values);
        checked += 3;
    }
    assert!(checked >= 3, "only {checked} secret parameters walked");
    // Let the runs finish, then read everything a user or an attacker could.
    for _ in 0..200 {
        let list: Value = http
            .get(format!("{}{IMPORTERS}", daemon.base))
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        let done = list["importers"]
            .as_array()
            .expect("importers")
            .iter()
            .filter(|i| triggered.iter().any(|t| i["importerId"] == *t))
            .all(|i| i["syncStatus"] != "None");
        if done {
            responses.push_str(&list.to_string());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let list: Value = http
        .get(format!("{}{IMPORTERS}", daemon.base))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    for imp in list["importers"].as_array().expect("importers") {
        let runs = http
            .get(format!(
                "{}{IMPORTERS}/{}/runs",
                daemon.base,
                imp["importerId"].as_str().expect("id")
            ))
            .send()
            .await
            .expect("runs")
            .text()
            .await
            .expect("body");
        responses.push_str(&runs);
    }
    let data = dir.path().join("data");
    let mut files: Vec<(String, Vec<u8>)> = ["apihub.db", "apihub.db-wal", "apihub.db-shm"]
        .iter()
        .filter_map(|f| {
            std::fs::read(data.join(f))
                .ok()
                .map(|b| ((*f).to_owned(), b))
        })
        .collect();
    assert!(files.len() >= 2, "the database and its WAL exist");
    files.push(("responses".into(), responses.into_bytes()));
    files.push(("debug log".into(), daemon.logs().into_bytes()));
    for (what, bytes) in &files {
        for s in &secrets {
            let found = bytes.windows(s.len()).any(|w| w == s.as_bytes());
            assert!(!found, "a secret is in clear in the {what}");
        }
    }
}
