//! The README's curl examples, run against a real `serve`: each `curl` line of the
//! README's `sh` blocks is parsed and sent as written (with `-f`, a 4xx/5xx is a
//! failure). `$IMPORTER_ID` is taken from the create example's answer, the
//! Inventory API's `$APPLICATION_ID`, `$ASSET_ID` and `$COLLECTION_ID` from theirs
//! and `$VULNERABILITY_ID` from the first listed vulnerability.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::Daemon;

struct Curl {
    method: reqwest::Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    form: Option<(String, String, Vec<u8>)>,
}

fn parse(line: &str, vars: &HashMap<&str, String>, base: &str) -> Curl {
    let mut expanded = line.to_owned();
    for (k, v) in vars {
        expanded = expanded.replace(&format!("${k}"), v);
    }
    let words = shell_words::split(&expanded).unwrap_or_else(|e| panic!("{line}: {e}"));
    let mut curl = Curl {
        method: reqwest::Method::GET,
        url: String::new(),
        headers: vec![],
        body: None,
        form: None,
    };
    let mut it = words.into_iter().skip(1);
    while let Some(w) = it.next() {
        match w.as_str() {
            "-X" => curl.method = it.next().expect("method").parse().expect("valid method"),
            "-H" => {
                let h = it.next().expect("header");
                let (k, v) = h.split_once(':').expect("header has a colon");
                curl.headers
                    .push((k.trim().to_owned(), v.trim().to_owned()));
            }
            "-F" => {
                let f = it.next().expect("form field");
                let (name, value) = f.split_once('=').expect("name=value");
                let file = value.strip_prefix('@').expect("-F name=@file");
                let bytes = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
                    .expect("form file");
                let file_name = Path::new(file)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                curl.form = Some((name.to_owned(), file_name, bytes));
                curl.method = reqwest::Method::POST;
            }
            "-d" | "--data" | "--data-binary" => {
                let d = it.next().expect("data");
                let bytes = match d.strip_prefix('@') {
                    Some(file) => std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
                        .expect("data file"),
                    None => d.into_bytes(),
                };
                if curl.method == reqwest::Method::GET {
                    curl.method = reqwest::Method::POST;
                }
                curl.body = Some(bytes);
            }
            flag if flag.starts_with('-') => {} // -f, -s, -S: output flags only
            url => curl.url = url.replace("http://127.0.0.1:8080", base),
        }
    }
    assert!(curl.url.starts_with(base), "{line}: no URL");
    curl
}

#[tokio::test]
async fn readme_examples_work() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    let mut in_sh = false;
    let mut lines = Vec::new();
    for line in readme.lines() {
        match line.trim() {
            "```sh" => in_sh = true,
            "```" => in_sh = false,
            l if in_sh && l.starts_with("curl ") => lines.push(l.to_owned()),
            _ => {}
        }
    }
    assert!(
        lines.len() >= 13,
        "found only {} curl examples",
        lines.len()
    );

    let dir = tempfile::tempdir().expect("tempdir");
    // The README's `mkdir -p specs && cp …` set-up, in the daemon's working directory.
    let specs = dir.path().join("specs");
    std::fs::create_dir_all(&specs).expect("mkdir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("connectors/tests/fixtures/normalize/petstore-3.0.yaml");
    std::fs::copy(fixture, specs.join("petstore-3.0.yaml")).expect("cp");
    let daemon = Daemon::start(dir.path());
    let http = reqwest::Client::new();
    let mut vars: HashMap<&str, String> = HashMap::new();
    for line in &lines {
        let curl = parse(line, &vars, &daemon.base);
        let mut req = http.request(curl.method, &curl.url);
        for (k, v) in curl.headers {
            req = req.header(k, v);
        }
        if let Some(b) = curl.body {
            req = req.body(b);
        }
        if let Some((name, file_name, bytes)) = curl.form {
            let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name);
            req = req.multipart(reqwest::multipart::Form::new().part(name, part));
        }
        let resp = req.send().await.expect("send");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert!(status.is_success(), "{line}\n-> {status}: {text}");
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Some(id) = json["importerId"].as_str() {
            vars.entry("IMPORTER_ID").or_insert_with(|| id.to_owned());
            // A traffic agent's token is shown in clear once, in its create answer.
            if let Some(token) = json["parameters"]["registrationToken"]
                .as_str()
                .filter(|t| *t != "********")
            {
                vars.insert("AGENT_ID", id.to_owned());
                vars.insert("AGENT_TOKEN", token.to_owned());
            }
        }
        // Inventory API (seed 002) objects, told apart by their fields.
        if let (Some(id), true) = (json["id"].as_str(), json["organizationId"].is_string()) {
            for (var, field) in [
                ("APPLICATION_ID", "assetIds"),
                ("ASSET_ID", "assetType"),
                ("COLLECTION_ID", "collectionType"),
            ] {
                if !json[field].is_null() {
                    vars.entry(var).or_insert_with(|| id.to_owned());
                }
            }
        }
        if let (Some(id), true) = (
            json["items"][0]["id"].as_str(),
            json["items"][0]["dast"].is_object(),
        ) {
            vars.entry("VULNERABILITY_ID")
                .or_insert_with(|| id.to_owned());
        }
        if let (Some(id), Some(_)) = (json["id"].as_str(), json["definitions"].as_array()) {
            vars.entry("TARGET_ID").or_insert_with(|| id.to_owned());
        }
    }
    assert!(
        vars.contains_key("IMPORTER_ID"),
        "no example created an importer"
    );
}
