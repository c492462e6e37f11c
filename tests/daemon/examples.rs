//! Every request example of `/openapi.json`, sent to a running daemon as Swagger
//! UI's "Try it out" sends it, must get its documented success status. Ids are
//! the one thing filled in: path parameters (and `apiTargetId` / `ids` in a body)
//! come from earlier answers, through the document's own `links`. Also: every
//! body and required query parameter has an example, the public routes carry no
//! lock, every `/api` operation documents its 401, and no text speaks in this
//! project's internal terms.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::Daemon;

const TOKEN: &str = "try-it-out-token-0123456789";

/// One request an operation's example makes.
struct Example {
    op: String,
    method: String,
    path: String,
    media: Option<String>,
    body: Option<Value>,
    query: Vec<(String, String)>,
    success: Vec<u16>,
    links: Value,
}

fn examples(doc: &Value) -> Vec<Example> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().expect("operationId").to_owned();
            let mut query = Vec::new();
            for p in op["parameters"].as_array().into_iter().flatten() {
                let example = p.get("example").or(p["schema"].get("example"));
                if p["in"] == "query" && p["required"] == true {
                    let v = example.unwrap_or_else(|| {
                        panic!(
                            "{id}: required query parameter {} has no example",
                            p["name"]
                        )
                    });
                    let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    query.push((p["name"].as_str().expect("name").to_owned(), v));
                }
            }
            let success: Vec<u16> = op["responses"]
                .as_object()
                .expect("responses")
                .keys()
                .filter_map(|k| k.parse().ok())
                .filter(|s: &u16| (200..300).contains(s))
                .collect();
            assert!(!success.is_empty(), "{id}: no success documented");
            let links = op["responses"]
                .as_object()
                .into_iter()
                .flat_map(|r| r.values())
                .find_map(|r| r.get("links"))
                .cloned()
                .unwrap_or(Value::Null);
            let base = |media: Option<String>, body: Option<Value>| Example {
                op: id.clone(),
                method: method.to_uppercase(),
                path: path.clone(),
                media,
                body,
                query: query.clone(),
                success: success.clone(),
                links: links.clone(),
            };
            let Some(content) = op["requestBody"]["content"].as_object() else {
                out.push(base(None, None));
                continue;
            };
            // Swagger UI shows the first media type that has an example.
            let (media, m) = content
                .iter()
                .find(|(_, m)| m.get("example").is_some() || m.get("examples").is_some())
                .unwrap_or_else(|| panic!("{id}: its request body has no example"));
            match m.get("examples").and_then(Value::as_object) {
                Some(named) => {
                    for e in named.values() {
                        out.push(base(Some(media.clone()), Some(e["value"].clone())));
                    }
                }
                None => out.push(base(Some(media.clone()), Some(m["example"].clone()))),
            }
        }
    }
    out
}

/// Creates and imports first, then reads and lists (whose answers link to what
/// the later calls need), then calls on one object, then deletes, newest kind first.
fn rank(e: &Example) -> (u8, u8) {
    let has_path_id = e.path.contains('{');
    let names_ids = e
        .body
        .as_ref()
        .is_some_and(|b| b.get("apiTargetId").is_some() || b.get("ids").is_some());
    let stage = match (e.method.as_str(), has_path_id) {
        ("DELETE", _) => 3,
        (_, true) => 2,
        ("GET", false) => 1,
        _ if names_ids => 1,
        _ => 0,
    };
    (stage, u8::from(e.method != "GET"))
}

/// `path` with its ids, or the name of one no earlier answer gave.
fn fill(
    path: &str,
    ids: &HashMap<String, Value>,
    e: &Example,
    agent: Option<&str>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').expect("closing brace") + start;
        let name = &rest[start + 1..end];
        let value = match (name, e.op.as_str()) {
            // Only a traffic agent takes traffic; the others answer 409.
            ("importerId", "push_traffic") => agent.map(str::to_owned),
            _ => ids.get(name).and_then(Value::as_str).map(str::to_owned),
        }
        .ok_or_else(|| format!("{}: no earlier answer links to its `{name}`", e.op))?;
        out.push_str(&rest[..start]);
        out.push_str(&value);
        rest = &rest[end + 1..];
    }
    Ok(out + rest)
}

#[tokio::test]
async fn every_example_of_the_api_document_succeeds_as_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("specs")).expect("specs");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("connectors/tests/fixtures/normalize/petstore-3.0.json"),
        dir.path().join("specs/petstore.json"),
    )
    .expect("fixture");
    // Defaults, as a first run has them: `directory_roots` is `./specs` of the
    // working directory. A token is configured, as Swagger UI's "Authorize" sends it.
    let daemon = Daemon::start_env(dir.path(), "", &[("APIHUB_SERVER__AUTH_TOKENS", TOKEN)]);
    let http = reqwest::Client::new();
    let doc: Value = http
        .get(format!("{}/openapi.json", daemon.base))
        .send()
        .await
        .expect("doc")
        .json()
        .await
        .expect("JSON doc");

    let mut words = Vec::new();
    jargon(&doc, "", &mut words);
    assert!(
        words.is_empty(),
        "internal terms in the document: {words:#?}"
    );
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            if path.starts_with("/api/") {
                assert!(
                    op["responses"].get("401").is_some(),
                    "{method} {path}: no 401"
                );
                assert_ne!(op.get("security"), Some(&json!([])), "{method} {path}");
            } else {
                assert_eq!(op["security"], json!([]), "{method} {path} shows a lock");
            }
        }
    }

    // Fields with a fixed set of values are enums (Swagger UI shows the choices).
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("DefinitionView", "format"),
        ("TargetView", "definitionFormat"),
        ("CheckResult", "kind"),
        ("ImporterStatus", ""),
        ("FrequencyUnit", ""),
    ] {
        let s = if field.is_empty() {
            &schemas[schema]
        } else {
            &schemas[schema]["properties"][field]
        };
        assert!(s["enum"].is_array(), "{schema}.{field} is not an enum: {s}");
    }

    let mut all = examples(&doc);
    assert!(all.len() >= 47, "only {} requests", all.len());
    all.sort_by_key(rank);
    // Within the deletes, the later path first: a link goes before its target.
    let first_delete = all
        .iter()
        .position(|e| e.method == "DELETE")
        .unwrap_or(all.len());
    all[first_delete..].reverse();

    let mut ids: HashMap<String, Value> = HashMap::new();
    let mut agent: Option<String> = None;
    let mut failures = Vec::new();
    let mut sent = 0;
    for e in &all {
        let path = match fill(&e.path, &ids, e, agent.as_deref()) {
            Ok(p) => p,
            Err(why) => {
                failures.push(why);
                continue;
            }
        };
        let url = format!("{}{path}", daemon.base);
        let mut req = http
            .request(e.method.parse().expect("method"), &url)
            .header("X-Auth", TOKEN)
            .query(&e.query);
        if let (Some(media), Some(body)) = (&e.media, &e.body) {
            let mut body = body.clone();
            if body.get("apiTargetId").is_some() {
                body["apiTargetId"] = ids.get("apiTargetId").cloned().expect("a target");
            }
            if body.get("ids").is_some() {
                let v = ids.get("vulnerabilityId").cloned().expect("a finding");
                body["ids"] = json!([v]);
            }
            req = req
                .header("Content-Type", media)
                .body(serde_json::to_vec(&body).expect("body"));
        }
        let resp = req.send().await.expect("send");
        sent += 1;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        if !e.success.contains(&status) {
            failures.push(format!(
                "{} {} ({}): {status}, documented {:?}: {text}",
                e.method, e.path, e.op, e.success
            ));
            continue;
        }
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let kind = answer["type"].as_str().unwrap_or_default();
        if e.op == "create_importer" && kind.eq_ignore_ascii_case("invicti_nad_agent") {
            agent = answer["importerId"].as_str().map(str::to_owned);
        }
        for link in e.links.as_object().into_iter().flat_map(|l| l.values()) {
            for (param, expr) in link["parameters"].as_object().expect("parameters") {
                let pointer = expr
                    .as_str()
                    .and_then(|x| x.strip_prefix("$response.body#"))
                    .expect("a body pointer");
                if let Some(v) = answer.pointer(pointer).filter(|v| v.is_string()) {
                    ids.entry(param.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(sent, all.len(), "every example was sent");
    assert!(agent.is_some(), "no traffic agent example");
}

/// Words of this project's issues and research that mean nothing to a user.
fn jargon(v: &Value, at: &str, found: &mut Vec<String>) {
    const TERMS: [&str; 6] = [
        "seed 00",
        "seed's",
        "(seed",
        "issue 1",
        "schemathesis",
        "extension beyond",
    ];
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if let (true, Some(text)) = (
                    ["description", "summary", "title"].contains(&k.as_str()),
                    v.as_str(),
                ) {
                    let lower = text.to_lowercase();
                    if let Some(term) = TERMS.iter().find(|t| lower.contains(*t)) {
                        found.push(format!("{at}/{k}: `{term}` in {text:?}"));
                    }
                }
                jargon(v, &format!("{at}/{k}"), found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                jargon(v, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}
