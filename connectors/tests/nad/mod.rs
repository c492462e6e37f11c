//! What the NAD scoring tests share: ten APIs.guru specs, requests to every
//! operation with fresh values of the declared types (string ids as words, slugs,
//! dotted and host names), and (method, path template) precision and recall.
//!
//! Path parameters are compared by position, not name (`/pets/{}` for both
//! `/pets/{petId}` and `/pets/{id}`); a segment that holds a parameter and text
//! (`{name}.json`) counts as one parameter. A parameter with an `enum` matches its
//! values as well: traffic shows `/packages/docker/{name}` for
//! `/packages/{package_type}/{name}`, which is the same operation, more precisely.

#![allow(dead_code)] // each test uses its part

use apihub_connectors::nad::template;
use serde_json::{Value, json};
use std::collections::BTreeSet;

pub const SPECS: &[&str] = &[
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
pub const REQUESTS_PER_OPERATION: usize = 5;
pub const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

/// SplitMix64: deterministic values, so a failure reproduces.
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn word(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'a' + (self.next() % 26) as u8))
            .collect()
    }
    pub fn value(&mut self, schema: &Value) -> String {
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

pub fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => spec.pointer(pointer).unwrap_or(v),
        None => v,
    }
}

/// The schema a path parameter declares (OpenAPI 3 `schema` or Swagger 2 inline).
pub fn param_schema(spec: &Value, item: &Value, op: &Value, name: &str) -> Value {
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
pub enum Seg {
    Text(String),
    Param(BTreeSet<String>),
}

pub fn spec_segments(spec: &Value, item: &Value, op: &Value, path: &str) -> Vec<Seg> {
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

pub fn matches(truth: &[Seg], predicted: &[String]) -> bool {
    truth.len() == predicted.len()
        && truth.iter().zip(predicted).all(|(t, p)| match t {
            Seg::Text(s) => s == p,
            Seg::Param(values) => template::is_placeholder(p) || values.contains(p),
        })
}

pub fn show(method: &str, segs: impl Iterator<Item = String>) -> String {
    format!("{method} /{}", segs.collect::<Vec<_>>().join("/"))
}

pub struct Score {
    /// A few of the templates missed and of those made up, for the failure message.
    pub missed: Vec<String>,
    pub extra: Vec<String>,
    pub truth: usize,
    pub predicted: usize,
    pub precision: f64,
    pub recall: f64,
}

/// The spec's operations (the truth) and `REQUESTS_PER_OPERATION` requests to
/// each, with fresh values of the declared types: (method, path).
pub fn requests(spec: &Value, rng: &mut Rng) -> (Truth, Vec<(String, String)>) {
    let mut truth = BTreeSet::new();
    let mut out = Vec::new();
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
                let mut url = String::new();
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
                out.push((method.to_ascii_uppercase(), url));
            }
        }
    }
    (truth, out)
}

/// (method, path segments) of what a tool reconstructed.
pub type Predicted = BTreeSet<(String, Vec<String>)>;
pub type Truth = BTreeSet<(String, Vec<Seg>)>;

/// Precision and recall of `predicted` against `truth`.
pub fn score_of(truth: &Truth, predicted: &Predicted) -> Score {
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
