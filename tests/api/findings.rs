//! Inventory API (seed 002) vulnerabilities: SARIF 2.1.0 logs shaped as OWASP
//! ZAP's SARIF report writes them (rules with `security-severity`, results located
//! by URL, `webRequest` with the method) become findings on the asset whose
//! `targetUrl` they fall under; re-imports change only `lastSeen`; a fixed
//! finding found again is `reDiscovered`, one a later scan misses `notFound`; the
//! bulk status change is all or nothing; invalid logs change nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, envelope, spawn_app};

const V1: &str = "/api/inventory/v1";

/// A ZAP-style log of `results` (rule id, URL, method, parameter) at `ended`.
fn zap_log(ended: &str, results: &[(&str, &str, Option<&str>, &str)]) -> Value {
    let results: Vec<Value> = results
        .iter()
        .map(|(rule, url, method, param)| {
            let mut r = json!({
                "ruleId": rule, "level": if *rule == "0" { "note" } else { "warning" },
                "message": {"text": format!("{rule} at {url}")},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": url}}}],
                "properties": {"parameter": param}
            });
            if let Some(m) = method {
                r["webRequest"] =
                    json!({"protocol": "HTTP", "version": "1.1", "target": url, "method": m});
            }
            r
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ZAP", "version": "2.16.0", "rules": [
                {"id": "40018", "name": "SQL Injection", "properties": {"security-severity": "9.1"}},
                {"id": "10020", "shortDescription": {"text": "Missing Anti-clickjacking Header"},
                 "properties": {"security-severity": "4.0"}},
                {"id": "0", "name": "Directory Browsing", "defaultConfiguration": {"level": "note"}}
            ]}},
            "invocations": [{"executionSuccessful": true, "startTimeUtc": ended, "endTimeUtc": ended}],
            "results": results
        }]
    })
}

pub(crate) async fn import(app: &TestApp, log: &Value, query: &str) -> (StatusCode, Value) {
    let req = app
        .request(Method::POST, &format!("{V1}/vulnerabilities/import{query}"))
        .header("Content-Type", "application/sarif+json")
        .body(log.to_string());
    app.send(req).await
}

pub(crate) async fn list(app: &TestApp, query: &str) -> Vec<Value> {
    let (status, page) = app
        .get(&format!("{V1}/vulnerabilities?pageSize=500&{query}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{query}: {page}");
    page["items"].as_array().expect("items").clone()
}

fn names(items: &[Value]) -> Vec<String> {
    let mut n: Vec<String> = items
        .iter()
        .map(|v| {
            format!(
                "{} {} {}",
                v["name"].as_str().unwrap_or(""),
                v["status"].as_str().unwrap_or(""),
                v["severity"].as_str().unwrap_or("")
            )
        })
        .collect();
    n.sort();
    n
}

#[tokio::test]
async fn scans_become_findings_and_later_scans_move_them_on() {
    let app = spawn_app().await;
    let (status, shop) = app
        .post(
            &format!("{V1}/assets"),
            &json!({"assetType": "Target", "name": "shop", "targetUrl": "https://shop.example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{shop}");
    let shop_id = shop["id"].as_str().expect("id").to_owned();
    let first = zap_log(
        "2025-11-13T10:39:15Z",
        &[
            (
                "40018",
                "https://shop.example.com/search?q=1",
                Some("GET"),
                "q",
            ),
            ("10020", "https://shop.example.com/", None, ""),
            ("0", "https://files.example.com/backup/", Some("GET"), ""),
        ],
    );
    let (status, summary) = import(&app, &first, "").await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(
        summary,
        json!({"results": 3, "created": 3, "updated": 0, "reDiscovered": 0, "notFound": 0, "assetsCreated": 1})
    );
    let all = list(&app, "").await;
    assert_eq!(
        names(&all),
        [
            "Directory Browsing open low",
            "Missing Anti-clickjacking Header open medium",
            "SQL Injection open critical"
        ]
    );
    let sqli = all
        .iter()
        .find(|v| v["name"] == "SQL Injection")
        .expect("sqli")
        .clone();
    let mut keys: Vec<&String> = sqli.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "assetId",
            "confirmed",
            "dast",
            "firstSeen",
            "id",
            "lastSeen",
            "name",
            "severity",
            "status",
            "tags"
        ]
    );
    assert_eq!(sqli["assetId"], shop_id.as_str(), "the URL found its asset");
    assert_eq!(
        sqli["dast"],
        json!({"url": "https://shop.example.com/search?q=1", "method": "GET", "parameter": "q"})
    );
    assert_eq!(sqli["firstSeen"], "2025-11-13T10:39:15Z");
    let header = all
        .iter()
        .find(|v| v["severity"] == "medium")
        .expect("medium");
    assert_eq!(header["dast"]["method"], Value::Null);
    assert_eq!(header["dast"]["parameter"], "");
    // The other host got a Target asset of its own.
    let (_, assets) = app
        .get(&format!("{V1}/assets?targetUrl=https://files.example.com"))
        .await;
    assert_eq!(assets["items"][0]["name"], "files.example.com");

    // Filters: severities in any case, status, asset, dates with operators.
    assert_eq!(
        list(&app, "vulnerabilitySeverities=Critical,HIGH")
            .await
            .len(),
        1
    );
    assert_eq!(list(&app, "vulnerabilityStatus=open").await.len(), 3);
    assert_eq!(list(&app, &format!("assetId={shop_id}")).await.len(), 2);
    assert_eq!(
        list(&app, "firstSeen=2025-11-13").await.len(),
        3,
        "gte by default"
    );
    assert_eq!(
        list(&app, "firstSeen=2025-11-13&firstSeenOperator=gt")
            .await
            .len(),
        0
    );
    assert_eq!(
        list(&app, "lastSeen=2025-11-12").await.len(),
        0,
        "lte by default"
    );
    assert_eq!(
        list(&app, "firstSeen=2025-11-13T10:39:15Z&firstSeenOperator=eq")
            .await
            .len(),
        3
    );

    // The same scan again changes nothing.
    let (_, again) = import(&app, &first, "").await;
    assert_eq!(again["created"], 0);
    assert_eq!(again["updated"], 3);
    assert_eq!(list(&app, "").await, all, "a re-import changes nothing");

    // Bulk status change: all or nothing.
    let sqli_id = sqli["id"].as_str().expect("id");
    let (status, body) = app
        .patch(
            &format!("{V1}/vulnerabilities"),
            &json!({"ids": [sqli_id, "no-such-id"], "newStatus": "fixed"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(envelope(&body).1.as_deref(), Some("ids[1]"));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("no-such-id")
    );
    assert_eq!(list(&app, "").await, all, "nothing changed");
    let (status, body) = app
        .patch(
            &format!("{V1}/vulnerabilities"),
            &json!({"ids": [sqli_id], "newStatus": "Teleported"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(envelope(&body).1.as_deref(), Some("newStatus"));
    let (status, body) = app
        .patch(
            &format!("{V1}/vulnerabilities"),
            &json!({"ids": [sqli_id], "newStatus": "fixed"}),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"updated": 1})));

    // A later scan finds the fixed injection again and no longer the header.
    let second = zap_log(
        "2025-11-20T08:00:00Z",
        &[
            (
                "40018",
                "https://shop.example.com/search?q=1",
                Some("GET"),
                "q",
            ),
            ("0", "https://files.example.com/backup/", Some("GET"), ""),
        ],
    );
    let (_, summary) = import(&app, &second, "").await;
    assert_eq!(
        summary,
        json!({"results": 2, "created": 0, "updated": 1, "reDiscovered": 1, "notFound": 1, "assetsCreated": 0})
    );
    let now = list(&app, "").await;
    assert_eq!(
        names(&now),
        [
            "Directory Browsing open low",
            "Missing Anti-clickjacking Header notFound medium",
            "SQL Injection reDiscovered critical"
        ]
    );
    let sqli = now.iter().find(|v| v["id"] == sqli_id).expect("sqli");
    assert_eq!(sqli["firstSeen"], "2025-11-13T10:39:15Z");
    assert_eq!(sqli["lastSeen"], "2025-11-20T08:00:00Z");
    assert_eq!(
        list(&app, "vulnerabilityStatus=reDiscovered,notFound")
            .await
            .len(),
        2
    );

    // A deleted asset's findings are hidden with it.
    let (status, _) = app.delete(&format!("{V1}/assets/{shop_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        names(&list(&app, "").await),
        ["Directory Browsing open low"]
    );
}

#[tokio::test]
async fn a_pinned_asset_takes_every_result_and_a_clean_scan_closes_its_findings() {
    let app = spawn_app().await;
    let (_, repo) = app
        .post(
            &format!("{V1}/assets"),
            &json!({"assetType": "Repository", "name": "shop.git"}),
        )
        .await;
    let repo_id = repo["id"].as_str().expect("id");
    // A code scanner's results have file locations, not URLs.
    let log = json!({"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "Semgrep OSS"}},
        "results": [{"ruleId": "python.lang.security.audit.eval", "level": "error",
                     "message": {"text": "eval() on input"},
                     "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/views.py"}}}]}]
    }]});
    let (status, body) = import(&app, &log, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(envelope(&body).1.as_deref(), Some("runs[0].results[0]"));
    let (status, summary) = import(&app, &log, &format!("?assetId={repo_id}")).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["created"], 1);
    let found = list(&app, "").await;
    assert_eq!(found[0]["severity"], "high");
    assert_eq!(found[0]["assetId"], repo_id);
    let clean = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Semgrep OSS"}}, "results": []}]});
    let (_, summary) = import(&app, &clean, &format!("?assetId={repo_id}")).await;
    assert_eq!(summary["notFound"], 1);
    assert_eq!(list(&app, "").await[0]["status"], "notFound");
    // Another tool's clean scan says nothing about Semgrep's findings.
    let (_, summary) = import(
        &app,
        &json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Other"}}}]}),
        &format!("?assetId={repo_id}"),
    )
    .await;
    assert_eq!(summary["notFound"], 0);
}

#[tokio::test]
async fn invalid_logs_and_filters_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let good = zap_log(
        "2025-11-13T10:39:15Z",
        &[("40018", "https://shop.example.com/a", Some("GET"), "q")],
    );
    let (status, _) = import(&app, &good, "").await;
    assert_eq!(status, StatusCode::OK);
    let before = list(&app, "").await;
    let (_, assets_before) = app.get(&format!("{V1}/assets?includeDeleted=true")).await;
    // A log whose second result is broken imports nothing, not even the first.
    let mut half = zap_log(
        "2025-11-14T00:00:00Z",
        &[
            ("10020", "https://new.example.com/", None, ""),
            ("40018", "https://shop.example.com/b", None, ""),
        ],
    );
    half["runs"][0]["results"][1]["level"] = json!("catastrophic");
    let cases: Vec<(Value, &str, &str)> = vec![
        (half, "", "runs[0].results[1].level"),
        (json!({"version": "2.1.0"}), "", "runs"),
        (json!({"version": "1.0", "runs": []}), "", "version"),
        (
            json!({"version": "2.1.0", "runs": [{"tool": {}}]}),
            "",
            "runs[0].tool.driver.name",
        ),
        (good.clone(), "?assetId=ghost", "assetId"),
        (good.clone(), "?colour=red", "colour"),
    ];
    for (log, query, field) in cases {
        let (status, body) = import(&app, &log, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query} {body}");
        assert_eq!(envelope(&body).1.as_deref(), Some(field), "{body}");
    }
    let req = app
        .request(Method::POST, &format!("{V1}/vulnerabilities/import"))
        .header("Content-Type", "text/plain")
        .body(good.to_string());
    let (status, body) = app.send(req).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let req = app
        .request(Method::POST, &format!("{V1}/vulnerabilities/import"))
        .header("Content-Type", "application/json")
        .body("{\"version\": \"2.1.0\", \"runs\": [");
    let (status, body) = app.send(req).await;
    assert_eq!(
        (status, envelope(&body).1.as_deref()),
        (StatusCode::BAD_REQUEST, Some("body"))
    );
    for (query, field) in [
        ("vulnerabilitySeverities=severe", "vulnerabilitySeverities"),
        ("vulnerabilityStatus=closed", "vulnerabilityStatus"),
        ("firstSeen=yesterday", "firstSeen"),
        ("lastSeenOperator=within", "lastSeenOperator"),
        ("pageSize=0", "pageSize"),
    ] {
        let (status, body) = app.get(&format!("{V1}/vulnerabilities?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(envelope(&body).1.as_deref(), Some(field), "{body}");
    }
    let (status, body) = app
        .patch(
            &format!("{V1}/vulnerabilities"),
            &json!({"ids": [], "newStatus": "fixed"}),
        )
        .await;
    assert_eq!(
        (status, envelope(&body).1.as_deref()),
        (StatusCode::BAD_REQUEST, Some("ids"))
    );
    assert_eq!(list(&app, "").await, before);
    let (_, assets_after) = app.get(&format!("{V1}/assets?includeDeleted=true")).await;
    assert_eq!(
        assets_after, assets_before,
        "no asset was created by a refused log"
    );
}

#[tokio::test]
async fn every_type_exports_in_every_format_from_the_list_filters() {
    let app = spawn_app().await;
    let log = zap_log(
        "2025-11-13T10:39:15Z",
        &[
            ("40018", "https://shop.example.com/search", Some("GET"), "q"),
            ("10020", "https://shop.example.com/", None, ""),
        ],
    );
    assert_eq!(import(&app, &log, "").await.0, StatusCode::OK);
    let (_, made) = app
        .post(
            &format!("{V1}/applications"),
            &json!({"name": "Shop, \"main\""}),
        )
        .await;
    assert!(made["id"].is_string());
    app.post(
        &format!("{V1}/collections"),
        &json!({"name": "Team <A>", "collectionType": "Team"}),
    )
    .await;
    let export = |kind: &'static str, format: &'static str, query: &'static str| {
        let app = &app;
        async move {
            let resp = app
                .request(Method::POST, &format!("{V1}/export{query}"))
                .json(&json!({"exportType": kind, "format": format}))
                .send()
                .await
                .expect("sent");
            let status = resp.status();
            let disposition = resp
                .headers()
                .get("content-disposition")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            (status, disposition, resp.text().await.expect("text"))
        }
    };
    for kind in ["vulnerabilities", "assets", "applications", "collections"] {
        let (_, listed) = app.get(&format!("{V1}/{kind}?pageSize=500")).await;
        let (status, disposition, json_text) = export(kind, "json", "").await;
        assert_eq!(status, StatusCode::OK, "{kind}: {json_text}");
        assert!(
            disposition.contains(&format!("inventory-{kind}-")),
            "{disposition}"
        );
        let exported: Value = serde_json::from_str(&json_text).expect("JSON array");
        let mut expected = listed["items"].clone();
        if kind == "applications" {
            // Exports carry the counts the list shows when asked.
            let (_, with_counts) = app
                .get(&format!(
                    "{V1}/applications?pageSize=500&includeAssetCounts=true"
                ))
                .await;
            expected = with_counts["items"].clone();
        }
        assert_eq!(exported, expected, "{kind}: the JSON export is the list");
        let (_, _, csv) = export(kind, "csv", "").await;
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let headers = reader.headers().expect("header").clone();
        assert_eq!(&headers[0], "id");
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert_eq!(
            rows.len(),
            expected.as_array().map_or(0, Vec::len),
            "{kind}"
        );
        for (row, item) in rows.iter().zip(expected.as_array().into_iter().flatten()) {
            assert_eq!(&row[0], item["id"].as_str().expect("id"));
        }
        let (_, _, xml) = export(kind, "xml", "").await;
        assert!(xml.starts_with("<?xml"), "{xml}");
        assert!(xml.trim_end().ends_with(&format!("</{kind}>")), "{xml}");
    }
    let (_, _, csv) = export("applications", "csv", "").await;
    assert!(
        csv.contains("\"Shop, \"\"main\"\"\""),
        "RFC 4180 quoting: {csv}"
    );
    let (_, _, xml) = export("collections", "xml", "").await;
    assert!(xml.contains("<name>Team &lt;A&gt;</name>"), "{xml}");
    // The list filters apply; another type's filter is refused.
    let (_, _, high) = export(
        "vulnerabilities",
        "json",
        "?vulnerabilitySeverities=critical",
    )
    .await;
    let high: Value = serde_json::from_str(&high).expect("json");
    assert_eq!(high.as_array().map(Vec::len), Some(1));
    assert_eq!(high[0]["name"], "SQL Injection");
    let (_, _, assets) = export("assets", "json", "?assetType=Repository").await;
    assert_eq!(assets, "[]");
    for (kind, query, field) in [
        ("vulnerabilities", "?assetType=Target", "assetType"),
        ("collections", "?assetId=x", "assetId"),
        ("assets", "?firstSeen=2025-01-01", "firstSeen"),
        (
            "vulnerabilities",
            "?vulnerabilitySeverities=dire",
            "vulnerabilitySeverities",
        ),
    ] {
        let (status, _, body) = export(kind, "csv", query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{kind}{query}: {body}");
        let body: Value = serde_json::from_str(&body).expect("envelope");
        assert_eq!(envelope(&body).1.as_deref(), Some(field));
    }
    let (status, _, body) = export("targets", "csv", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn a_linked_api_target_shows_its_dast_assets_findings() {
    let app = spawn_app().await;
    let spec = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("connectors/tests/fixtures/normalize/petstore-3.0.json"),
    )
    .expect("fixture");
    let req = app
        .request(
            Method::POST,
            "/api/apihub/v1/inventory/api-targets/create-from-definition?format=openapi3&mode=provided&origin=manual-upload",
        )
        .body(spec);
    let (status, target) = app.send(req).await;
    assert_eq!(status, StatusCode::OK, "{target}");
    let tid = target["id"].as_str().expect("id").to_owned();
    let path = format!("/api/apihub/v1/inventory/api-targets/{tid}");
    let before = app.get(&path).await.1;
    assert_eq!(
        before["target"]["vulnerabilityCounts"],
        Value::Null,
        "never scanned"
    );
    // The link makes (or reuses) the Target asset at its base URL.
    let (status, link) = app
        .post(
            "/api/apihub/v1/inventory/links",
            &json!({"apiTargetId": tid, "baseUrl": "https://api.pets.example.com/v1",
                    "remoteTargetId": "dast-7", "remoteTargetDisplayName": "Pets API (DAST)"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    let (_, assets) = app
        .get(&format!(
            "{V1}/assets?targetUrl=https://api.pets.example.com/v1/"
        ))
        .await;
    assert_eq!(assets["items"][0]["name"], "Pets API (DAST)");
    let log = zap_log(
        "2025-11-19T09:15:00Z",
        &[
            (
                "40018",
                "https://api.pets.example.com/v1/pets/42",
                Some("GET"),
                "petId",
            ),
            (
                "40018",
                "https://api.pets.example.com/v1/pets/7",
                Some("DELETE"),
                "petId",
            ),
            ("10020", "https://api.pets.example.com/v1/", None, ""),
        ],
    );
    let (_, summary) = import(&app, &log, "").await;
    assert_eq!(
        summary["assetsCreated"], 0,
        "the link's asset took them: {summary}"
    );
    let after = app.get(&path).await.1;
    let t = &after["target"];
    assert_eq!(
        t["vulnerabilityCounts"],
        json!({"critical": 2, "high": 0, "medium": 1, "low": 0, "info": 0})
    );
    assert_eq!(t["lastScanned"], "2025-11-19T09:15:00Z");
    assert_eq!(t["lastScanStatus"], "Completed");
    let op = |method: &str, endpoint: &str| {
        after["operations"]
            .as_array()
            .expect("operations")
            .iter()
            .find(|o| o["type"] == method && o["endpoint"] == endpoint)
            .unwrap_or_else(|| panic!("no {method} {endpoint}: {after}"))
            .clone()
    };
    assert_eq!(
        op("GET", "/pets/{petId}")["vulnerabilityCounts"]["critical"],
        1
    );
    assert_eq!(
        op("DELETE", "/pets/{petId}")["vulnerabilityCounts"]["critical"],
        1
    );
    assert_eq!(op("GET", "/pets")["vulnerabilityCounts"], Value::Null);
    // Fixing a finding moves the counts; so does deleting the link.
    let (_, page) = app
        .get(&format!(
            "{V1}/vulnerabilities?vulnerabilitySeverities=critical"
        ))
        .await;
    let ids: Vec<Value> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| v["id"].clone())
        .collect();
    let (status, _) = app
        .patch(
            &format!("{V1}/vulnerabilities"),
            &json!({"ids": ids, "newStatus": "fixed"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let fixed = app.get(&path).await.1;
    assert_eq!(fixed["target"]["vulnerabilityCounts"]["critical"], 0);
    assert_eq!(fixed["target"]["vulnerabilityCounts"]["medium"], 1);
    let link_id = link["id"].as_str().expect("link id");
    let (status, _) = app
        .delete(&format!("/api/apihub/v1/inventory/links/{link_id}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let unlinked = app.get(&path).await.1;
    assert_eq!(unlinked["target"]["vulnerabilityCounts"], Value::Null);
    assert_eq!(unlinked["target"]["lastScanned"], Value::Null);
}
