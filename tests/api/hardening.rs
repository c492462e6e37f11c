//! Regression tests for what an outside probe broke (issue 10), each on the
//! spawned app: a FIFO in a directory source, input edges, honest records.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{IMPORTERS, envelope, openapi, spawn_app, write_spec};
use crate::sync::{directory_importer, run};

/// Polls `/healthz` until `stop` is set; returns (answers, slowest answer).
async fn probe_health(
    base: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (usize, Duration) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    let (mut answers, mut slowest) = (0, Duration::ZERO);
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        let t = Instant::now();
        let resp = http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("/healthz must answer during the run");
        assert_eq!(resp.status(), StatusCode::OK);
        slowest = slowest.max(t.elapsed());
        answers += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (answers, slowest)
}

/// Issue 10.3: a named pipe among the definitions used to freeze the daemon (the
/// read blocked an async worker). It is skipped, the run completes, and `/healthz`
/// answers throughout.
#[cfg(unix)]
#[tokio::test]
async fn a_named_pipe_in_a_directory_source_never_stalls_the_daemon() {
    let app = spawn_app().await;
    write_spec(&app, "a.json", &openapi("Alpha", "a", 2));
    write_spec(&app, "team/b.graphql", "type Query { b: Int }");
    for fifo in ["pipe.json", "team/pipe.yaml"] {
        let status = std::process::Command::new("mkfifo")
            .arg(app.dir.path().join("specs").join(fifo))
            .status()
            .expect("mkfifo");
        assert!(status.success());
    }
    let id = directory_importer(&app, "with pipes", true).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = tokio::spawn(probe_health(app.base.clone(), stop.clone()));
    let r = tokio::time::timeout(Duration::from_secs(20), run(&app, &id))
        .await
        .expect("the run must finish");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let (answers, slowest) = probe.await.expect("probe");
    assert_eq!(r["status"], "Completed", "{r}");
    assert_eq!(r["counts"]["created"], 2, "{r}");
    assert_eq!(r["counts"]["skipped"], 2, "{r}");
    let items = r["items"].as_array().expect("items");
    for key in ["pipe.json", "team/pipe.yaml"] {
        let item = items
            .iter()
            .find(|i| i["externalKey"] == key)
            .unwrap_or_else(|| panic!("{key} not reported: {r}"));
        assert_eq!(item["outcome"], "skipped");
        assert!(
            item["message"]
                .as_str()
                .is_some_and(|m| m.contains("named pipe")),
            "{item}"
        );
    }
    assert!(answers >= 1, "the health probe never ran");
    assert!(
        slowest < Duration::from_secs(1),
        "/healthz took {slowest:?}"
    );
}

/// Issue 10.6: junk after a JSON body is refused, and nothing is created.
#[tokio::test]
async fn junk_after_a_json_body_is_refused() {
    let app = spawn_app().await;
    for body in [
        r#"{"name": "a"} xyz"#,
        r#"{"name": "a"}{"name": "b"}"#,
        r#"{"name": "a"} ]"#,
    ] {
        let (status, resp) = app
            .send(
                app.request(reqwest::Method::POST, IMPORTERS)
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {resp}");
        assert_eq!(envelope(&resp).0, "malformed_json");
    }
    let (_, list) = app.get(IMPORTERS).await;
    assert_eq!(list, json!({"importers": []}));
}

/// Issue 10.6: importer names are one name under NFC and case folding, and names
/// that hide characters are refused, for importers and targets alike.
#[tokio::test]
async fn names_are_compared_folded_and_may_not_hide_characters() {
    let app = spawn_app().await;
    app.create_importer(&json!({"name": "Straße Gateway"}))
        .await;
    for twin in ["STRASSE GATEWAY", "strasse gateway", "Stra\u{df}e gateway"] {
        let (status, body) = app.post(IMPORTERS, &json!({"name": twin})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{twin}: {body}");
    }
    app.create_importer(&json!({"name": "Caf\u{e9}"})).await;
    let (status, _) = app.post(IMPORTERS, &json!({"name": "CAFE\u{301}"})).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a decomposed é is the same name"
    );
    for bad in ["ad\u{200B}min", "gpj\u{202E}.exe", "a\u{0}b", "bell\u{7}"] {
        let (status, body) = app.post(IMPORTERS, &json!({"name": bad})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert_eq!(envelope(&body).1.as_deref(), Some("name"));
    }
    let (_, list) = app.get(IMPORTERS).await;
    assert_eq!(list["importers"].as_array().map(Vec::len), Some(2));

    // Targets: an upload `name` and a PATCH are refused; a spec title is cleaned.
    let inv = "/api/apihub/v1/inventory/api-targets";
    let spec = openapi("Pet\u{200B}store\u{202E}", "p", 1);
    let upload = |name: Option<&str>| {
        let mut url =
            format!("{inv}/create-from-definition?format=openapi3&mode=provided&origin=t");
        if let Some(n) = name {
            url.push_str(&format!("&name={}", urlencode(n)));
        }
        app.request(reqwest::Method::POST, &url).body(spec.clone())
    };
    let (status, body) = app.send(upload(Some("bad\u{202E}name"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(envelope(&body).1.as_deref(), Some("name"));
    let (status, target) = app.send(upload(None)).await;
    assert_eq!(status, StatusCode::OK, "{target}");
    assert_eq!(target["name"], "Petstore");
    let id = target["id"].as_str().expect("id");
    let (status, body) = app
        .send(
            app.request(reqwest::Method::PATCH, &format!("{inv}/{id}"))
                .json(&json!({"name": "x\u{FEFF}y"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Search folds case the same way.
    let (_, page) = app.get(&format!("{inv}?search=PETSTORE")).await;
    assert_eq!(page["totalCount"], 1, "{page}");
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Issue 10.6: a NUL (or any control character) in `search` is a 400, not a 500.
#[tokio::test]
async fn control_characters_in_search_are_a_400() {
    let app = spawn_app().await;
    for q in ["%00", "a%00b", "%1b%5b31m", "x%0d%0ay"] {
        let (status, body) = app
            .get(&format!("/api/apihub/v1/inventory/api-targets?search={q}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
        assert_eq!(envelope(&body).1.as_deref(), Some("search"));
    }
}

/// Issue 10.7: the database, its WAL and SHM files and the key file are owner-only,
/// in an owner-only folder, whatever the umask.
#[cfg(unix)]
#[tokio::test]
async fn data_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    // Writes make sure the WAL and SHM files exist.
    app.create_importer(&json!({"name": "modes"})).await;
    let data = app.dir.path().join("data");
    let mode = |p: std::path::PathBuf| {
        std::fs::metadata(&p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(data.clone()), 0o700);
    for f in ["apihub.db", "apihub.db-wal", "apihub.db-shm", "secret.key"] {
        assert_eq!(mode(data.join(f)), 0o600, "{f}");
    }
}

/// Issue 10.7: a literal `********` in a field that is not a secret is a value like
/// any other: stored as sent, not sealed, and kept by a PUT.
#[tokio::test]
async fn a_literal_mask_in_a_plain_field_is_just_a_value() {
    let app = spawn_app().await;
    let body = json!({"name": "literal", "type": "aws_api_gateway", "status": "inactive",
        "parameters": {"organizationId": "********", "regions": ["eu-west-1"]}});
    let id = app.create_importer(&body).await;
    let (_, got) = app.get(&format!("{IMPORTERS}/{id}")).await;
    assert_eq!(got["parameters"]["organizationId"], "********");
    let (status, put) = app.put(&format!("{IMPORTERS}/{id}"), &body).await;
    assert_eq!(status, StatusCode::OK, "{put}");
    let db = rusqlite::Connection::open(app.dir.path().join("data/apihub.db")).expect("db");
    let stored: String = db
        .query_row(
            "SELECT parameters FROM importers WHERE id = ?1",
            [&id],
            |r| r.get(0),
        )
        .expect("row");
    let stored: serde_json::Value = serde_json::from_str(&stored).expect("json");
    assert_eq!(
        stored["organizationId"], "********",
        "stored as sent, not sealed"
    );
}

/// Issue 10.5: a token holder cannot PUT an importer back with its masks and a new
/// endpoint (or type) to have the stored secret sent elsewhere.
#[tokio::test]
async fn a_kept_secret_never_follows_a_new_endpoint() {
    let app = spawn_app().await;
    let body = json!({"name": "aws", "type": "aws_api_gateway", "status": "inactive",
        "parameters": {"accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "wJalrXUtnFEMI-kept",
                       "endpointUrl": "https://apigateway.eu-west-1.amazonaws.com", "regions": ["eu-west-1"]}});
    let id = app.create_importer(&body).await;
    let url = format!("{IMPORTERS}/{id}");
    let (_, before) = app.get(&url).await;
    let mut moved = before.clone();
    moved["parameters"]["endpointUrl"] = json!("https://collector.attacker.example");
    let (status, err) = app.put(&url, &moved).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(
        envelope(&err).1.as_deref(),
        Some("parameters.secretAccessKey")
    );
    let mut retyped = before.clone();
    retyped["type"] = json!("kong");
    retyped["parameters"] = json!({"adminUrl": "http://kong:8001", "adminToken": "********"});
    let (status, err) = app.put(&url, &retyped).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let (_, after) = app.get(&url).await;
    assert_eq!(after["parameters"], before["parameters"], "nothing changed");
    assert_eq!(
        after["extras"]["modifiedAt"],
        before["extras"]["modifiedAt"]
    );
    // Sending the secret itself with the new endpoint is allowed.
    moved["parameters"]["secretAccessKey"] = json!("a-new-secret-for-the-new-endpoint");
    let (status, _) = app.put(&url, &moved).await;
    assert_eq!(status, StatusCode::OK);
}

/// Issue 10.4: a flood of idle connections neither exhausts the daemon's file
/// descriptors nor keeps `/healthz` from answering; idle and slow connections are
/// closed. Bounded: 400 connections, loopback, a few seconds.
#[tokio::test]
async fn idle_connection_floods_are_bounded_and_health_keeps_answering() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let cap = 64;
    let app = crate::helpers::spawn_with(|s| {
        s.server.max_connections = cap;
        s.server.idle_timeout_secs = 2;
        s.server.header_read_timeout_secs = 1;
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    for _ in 0..400 {
        idle.push(
            tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connect"),
        );
    }
    // Health answers on a fresh connection, again and again, while the flood stands.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");
    for _ in 0..20 {
        let t = Instant::now();
        let resp = http
            .get(app.url("/healthz"))
            .send()
            .await
            .expect("healthz during the flood");
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        let resp = http
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("readyz during the flood");
        assert_eq!(resp.status(), StatusCode::OK);
    }
    // The server kept at most `cap` of them open: the others read EOF.
    let mut open = 0;
    for s in &mut idle {
        let mut buf = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(5), s.read(&mut buf)).await {
            Err(_) => open += 1,         // still open, nothing to read
            Ok(Ok(0)) | Ok(Err(_)) => {} // closed by the server
            Ok(Ok(_)) => panic!("the server sent data on an idle connection"),
        }
    }
    assert!(
        open <= cap,
        "{open} idle connections stayed open (cap {cap})"
    );
    // Idle connections are closed after the idle timeout, and a client that stops
    // half-way through its headers after the header timeout.
    let mut slow = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(2600)).await;
    for s in idle.iter_mut().chain(std::iter::once(&mut slow)) {
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
            .await
            .expect("closed, not hanging");
        // A closed connection reads EOF (or a 408 hyper sends before closing).
        if let Ok(n) = n
            && n > 0
        {
            assert!(
                String::from_utf8_lossy(&buf[..n]).contains("408"),
                "{n} bytes"
            );
        }
    }
}

/// Issue 10.6: 414 and 431 answers carry the error envelope.
#[tokio::test]
async fn long_uris_and_huge_headers_get_the_envelope() {
    let app = spawn_app().await;
    let long = "a".repeat(10 * 1024);
    let (status, body) = app.get(&format!("/healthz?x={long}")).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG);
    assert_eq!(envelope(&body).0, "uri_too_long");
    let mut req = app.http.get(app.url("/healthz"));
    for i in 0..150 {
        req = req.header(format!("x-h{i}"), "v");
    }
    let (status, body) = app.send(req).await;
    assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(envelope(&body).0, "headers_too_large");
    let (status, body) = app
        .send(
            app.http
                .get(app.url("/healthz"))
                .header("x-big", "b".repeat(40 * 1024)),
        )
        .await;
    assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(envelope(&body).0, "headers_too_large");
}

/// Issue 10.2, the hub's side: an upload with an `Idempotency-Key` that an earlier
/// upload used returns that target and writes nothing.
#[tokio::test]
async fn uploads_honour_idempotency_keys() {
    let app = spawn_app().await;
    let url = "/api/apihub/v1/inventory/api-targets/create-from-definition?format=openapi3&mode=imported&origin=t";
    let upload = |key: &str, rid: &str, spec: String| {
        app.request(reqwest::Method::POST, url)
            .header("Idempotency-Key", key)
            .header("X-Request-Id", rid)
            .body(spec)
    };
    let resp = upload("k-1", "first", openapi("One", "a", 1))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get("idempotent-replayed").is_none());
    let first: serde_json::Value = resp.json().await.expect("json");
    let resp = upload("k-1", "second", openapi("One changed", "a", 3))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["idempotent-replayed"], "true");
    assert_eq!(resp.headers()["idempotent-replayed-request"], "first");
    let again: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(
        again, first,
        "the replay answers with the original target, unchanged"
    );
    let other = upload("k-2", "third", openapi("Two", "b", 1))
        .send()
        .await
        .expect("send");
    assert!(other.headers().get("idempotent-replayed").is_none());
    let (_, page) = app.get("/api/apihub/v1/inventory/api-targets").await;
    assert_eq!(page["totalCount"], 2);
    for bad in ["", "with space", &"x".repeat(256)] {
        let (status, body) = app.send(upload(bad, "r", openapi("X", "x", 1))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert_eq!(envelope(&body).1.as_deref(), Some("Idempotency-Key"));
    }
    // Deleting the target frees its key.
    let id = first["id"].as_str().expect("id");
    app.delete(&format!("/api/apihub/v1/inventory/api-targets/{id}"))
        .await;
    let resp = upload("k-1", "fourth", openapi("One again", "a", 1))
        .send()
        .await
        .expect("send");
    assert!(resp.headers().get("idempotent-replayed").is_none());
}
