//! Exchanges to aggregated, scrubbed observations: one [`ObservedOp`] per origin,
//! method and path (typed segments already replaced by their type), merged by
//! [`ObservedOp::merge`] across batches and runs.
//!
//! What is kept is listed in the fields below and nothing else: no header values,
//! no cookies, no query values, no body values.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::capture::{Exchange, header};

/// Deepest body nesting a schema records; deeper is `{}`.
const MAX_SCHEMA_DEPTH: usize = 8;
/// Most properties one object schema records.
const MAX_PROPERTIES: usize = 200;

/// Request headers that describe the transport or the client, not the API.
const TRANSPORT_HEADERS: &[&str] = &[
    "accept",
    "accept-encoding",
    "accept-language",
    "accept-charset",
    "cache-control",
    "connection",
    "content-length",
    "content-type",
    "content-encoding",
    "cookie",
    "dnt",
    "expect",
    "forwarded",
    "host",
    "keep-alive",
    "origin",
    "pragma",
    "priority",
    "referer",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "upgrade-insecure-requests",
    "user-agent",
    "via",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-forwarded-proto",
    "x-real-ip",
    "x-request-id",
    "traceparent",
    "tracestate",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-unmodified-since",
    "range",
];

/// Header names that carry an API key (their values are credentials).
const API_KEY_HEADERS: &[&str] = &[
    "x-api-key",
    "api-key",
    "apikey",
    "x-apikey",
    "x-auth-token",
    "x-access-token",
    "x-auth",
    "ocp-apim-subscription-key",
    "x-functions-key",
];

/// Query parameter names that carry an API key.
const API_KEY_QUERY: &[&str] = &[
    "api_key",
    "apikey",
    "api-key",
    "key",
    "access_token",
    "token",
];

/// One operation as traffic showed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservedOp {
    /// `scheme://host[:port]`.
    pub origin: String,
    pub method: String,
    /// Path segments; a typed value is written `{integer}`, `{uuid}`, ...
    pub path: Vec<String>,
    pub stats: Stats,
}

/// What is known about an operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub hits: u64,
    pub first_seen: i64,
    pub last_seen: i64,
    /// Response status to count.
    pub statuses: BTreeMap<u16, u64>,
    /// Query parameter to (times present, value types seen).
    pub query: BTreeMap<String, (u64, BTreeSet<String>)>,
    /// Custom request header names to times present.
    pub headers: BTreeMap<String, u64>,
    /// Request content types seen.
    pub request_types: BTreeSet<String>,
    /// Response content types by status.
    pub response_types: BTreeMap<u16, BTreeSet<String>>,
    /// Merged JSON Schema of the request bodies.
    pub request_schema: Option<Value>,
    /// Merged JSON Schema of the response bodies, by status.
    pub response_schemas: BTreeMap<u16, Value>,
    /// Security schemes the requests used: `bearer`, `basic`, `header:<name>`,
    /// `query:<name>`.
    pub security: BTreeSet<String>,
}

impl ObservedOp {
    /// The identity observations are merged under.
    pub fn key(&self) -> (String, String, Vec<String>) {
        (self.origin.clone(), self.method.clone(), self.path.clone())
    }

    /// Adds `other` (same key) into `self`.
    pub fn merge(&mut self, other: &ObservedOp) {
        let (a, b) = (&mut self.stats, &other.stats);
        a.first_seen = if a.hits == 0 {
            b.first_seen
        } else {
            a.first_seen.min(b.first_seen)
        };
        a.last_seen = a.last_seen.max(b.last_seen);
        a.hits += b.hits;
        for (k, v) in &b.statuses {
            *a.statuses.entry(*k).or_default() += v;
        }
        for (k, (n, types)) in &b.query {
            let e = a.query.entry(k.clone()).or_default();
            e.0 += n;
            e.1.extend(types.iter().cloned());
        }
        for (k, v) in &b.headers {
            *a.headers.entry(k.clone()).or_default() += v;
        }
        a.request_types.extend(b.request_types.iter().cloned());
        for (k, v) in &b.response_types {
            a.response_types
                .entry(*k)
                .or_default()
                .extend(v.iter().cloned());
        }
        a.request_schema = merge_optional(a.request_schema.take(), b.request_schema.as_ref());
        for (k, v) in &b.response_schemas {
            let merged = merge_optional(a.response_schemas.remove(k), Some(v));
            if let Some(m) = merged {
                a.response_schemas.insert(*k, m);
            }
        }
        a.security.extend(b.security.iter().cloned());
    }
}

/// Puts `op` into `map` under `key`, merged with what is there.
pub(super) fn add<K: Ord>(map: &mut BTreeMap<K, ObservedOp>, key: K, op: ObservedOp) {
    match map.entry(key) {
        std::collections::btree_map::Entry::Occupied(e) => e.into_mut().merge(&op),
        std::collections::btree_map::Entry::Vacant(e) => {
            e.insert(op);
        }
    }
}

/// Aggregates exchanges into observations, keeping only hosts `keep` accepts.
/// `now` stands in for a missing capture time.
pub fn observe(exchanges: &[Exchange], keep: impl Fn(&str) -> bool, now: i64) -> Vec<ObservedOp> {
    let mut ops: BTreeMap<(String, String, Vec<String>), ObservedOp> = BTreeMap::new();
    for x in exchanges {
        let Some(host) = x.url.host_str() else {
            continue;
        };
        if !keep(host) {
            continue;
        }
        let op = one(x, now);
        add(&mut ops, op.key(), op);
    }
    ops.into_values().collect()
}

fn one(x: &Exchange, now: i64) -> ObservedOp {
    let at = x.started_at.unwrap_or(now);
    let mut s = Stats {
        hits: 1,
        first_seen: at,
        last_seen: at,
        ..Stats::default()
    };
    s.statuses.insert(x.status, 1);
    let mut seen_query = BTreeSet::new();
    for (name, value) in x.url.query_pairs() {
        let name = name.into_owned();
        if API_KEY_QUERY.contains(&name.to_ascii_lowercase().as_str()) {
            s.security.insert(format!("query:{name}"));
            continue;
        }
        let e = s.query.entry(name.clone()).or_default();
        if seen_query.insert(name) {
            e.0 += 1;
        }
        e.1.insert(value_type(&value).to_owned());
    }
    for (name, value) in &x.request_headers {
        let name = name.as_str();
        if name == "authorization" || name == "proxy-authorization" {
            let scheme = value.split_whitespace().next().unwrap_or_default();
            let scheme = match scheme.to_ascii_lowercase().as_str() {
                "bearer" => "bearer".to_owned(),
                "basic" => "basic".to_owned(),
                _ => format!("header:{name}"),
            };
            s.security.insert(scheme);
        } else if API_KEY_HEADERS.contains(&name) {
            s.security.insert(format!("header:{name}"));
        } else if !TRANSPORT_HEADERS.contains(&name)
            && !name.starts_with(':')
            && !name.starts_with("sec-")
            && !name.starts_with("proxy-")
            && !crate::secret_names::looks_secret(name)
        {
            *s.headers.entry(name.to_owned()).or_default() += 1;
        }
    }
    if let Some(ct) = header(&x.request_headers, "content-type").map(media_type) {
        s.request_types.insert(ct);
    }
    if let Some(ct) = header(&x.response_headers, "content-type").map(media_type) {
        s.response_types.entry(x.status).or_default().insert(ct);
    }
    s.request_schema = x.request_body.as_ref().map(|b| schema_of(b, 0));
    if let Some(b) = &x.response_body {
        s.response_schemas.insert(x.status, schema_of(b, 0));
    }
    ObservedOp {
        origin: x.url.origin().ascii_serialization(),
        method: x.method.clone(),
        path: segments(x.url.path()),
        stats: s,
    }
}

fn media_type(ct: &str) -> String {
    ct.split(';')
        .next()
        .unwrap_or(ct)
        .trim()
        .to_ascii_lowercase()
}

/// A URL path as segments, typed values replaced by `{type}`. An empty path is `/`
/// (no segments); a trailing slash is dropped.
pub fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| match typed(s) {
            Some(kind) => format!("{{{kind}}}"),
            // `{` cannot stand in a path unencoded; never let it pass for a type.
            None => s.replace('{', "%7B").replace('}', "%7D"),
        })
        .collect()
}

/// The type of a path segment that can only be a value, not a name.
pub fn typed(s: &str) -> Option<&'static str> {
    let b = s.as_bytes();
    let all = |f: fn(&u8) -> bool| b.iter().all(f);
    if !b.is_empty() && b.len() <= 19 && all(u8::is_ascii_digit) {
        return Some("integer");
    }
    if is_uuid(s) {
        return Some("uuid");
    }
    if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
        return Some("date");
    }
    if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
        return Some("datetime");
    }
    if s.parse::<std::net::Ipv4Addr>().is_ok() {
        return Some("ipv4");
    }
    let decoded = crate::normalize::percent_decode(s);
    if let Some((user, domain)) = decoded.split_once('@')
        && !user.is_empty()
        && domain.contains('.')
    {
        return Some("email");
    }
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count();
    if b.len() >= 8 && digits > 0 && letters > 0 && all(u8::is_ascii_hexdigit) {
        return Some("hex");
    }
    if s.starts_with("eyJ") && s.split('.').count() == 3 {
        return Some("token");
    }
    let base64 = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'=' | b'+');
    if b.len() >= 16 && digits >= 2 && letters > 0 && all(base64) && class_changes(b) * 2 >= b.len()
    {
        return Some("hash");
    }
    None
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// How often the character class (lower, upper, digit, other) changes: high for
/// random strings, low for words (`getUsersByStatus2` changes 6 times in 17).
fn class_changes(b: &[u8]) -> usize {
    let class = |c: &u8| match c {
        b'a'..=b'z' => 0,
        b'A'..=b'Z' => 1,
        b'0'..=b'9' => 2,
        _ => 3,
    };
    b.windows(2)
        .filter(|w| class(&w[0]) != class(&w[1]))
        .count()
}

/// The JSON Schema type of a query value.
fn value_type(v: &str) -> &'static str {
    if v.parse::<i64>().is_ok() {
        "integer"
    } else if v.parse::<f64>().is_ok_and(f64::is_finite) {
        "number"
    } else if v == "true" || v == "false" {
        "boolean"
    } else {
        "string"
    }
}

/// The JSON Schema of one sample: types and property names only, never values.
pub fn schema_of(v: &Value, depth: usize) -> Value {
    if depth >= MAX_SCHEMA_DEPTH {
        return json!({});
    }
    match v {
        Value::Null => json!({"type": "null"}),
        Value::Bool(_) => json!({"type": "boolean"}),
        Value::Number(n) if n.is_i64() || n.is_u64() => json!({"type": "integer"}),
        Value::Number(_) => json!({"type": "number"}),
        Value::String(_) => json!({"type": "string"}),
        Value::Array(items) => {
            let mut merged: Option<Value> = None;
            for item in items.iter().take(50) {
                merged = merge_optional(merged, Some(&schema_of(item, depth + 1)));
            }
            json!({"type": "array", "items": merged.unwrap_or_else(|| json!({}))})
        }
        Value::Object(map) => {
            let props: serde_json::Map<String, Value> = map
                .iter()
                .take(MAX_PROPERTIES)
                .map(|(k, v)| (k.clone(), schema_of(v, depth + 1)))
                .collect();
            let required: Vec<Value> = props.keys().map(|k| json!(k)).collect();
            json!({"type": "object", "properties": props, "required": required})
        }
    }
}

fn merge_optional(a: Option<Value>, b: Option<&Value>) -> Option<Value> {
    match (a, b) {
        (Some(a), Some(b)) => Some(merge_schemas(&a, b)),
        (a, None) => a,
        (None, Some(b)) => Some(b.clone()),
    }
}

/// Two schemas as one: objects merge their properties (required only when both
/// require), arrays their items, other types become a type list.
pub fn merge_schemas(a: &Value, b: &Value) -> Value {
    let (ta, tb) = (a.get("type"), b.get("type"));
    if a == b {
        return a.clone();
    }
    if ta == tb && ta == Some(&json!("object")) {
        let mut props = a["properties"].as_object().cloned().unwrap_or_default();
        if let Some(pb) = b["properties"].as_object() {
            for (k, v) in pb {
                let merged = match props.get(k) {
                    Some(existing) => merge_schemas(existing, v),
                    None => v.clone(),
                };
                if props.len() < MAX_PROPERTIES || props.contains_key(k) {
                    props.insert(k.clone(), merged);
                }
            }
        }
        let req = |s: &Value| -> BTreeSet<String> {
            s["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        };
        let required: Vec<String> = req(a).intersection(&req(b)).cloned().collect();
        return json!({"type": "object", "properties": props, "required": required});
    }
    if ta == tb && ta == Some(&json!("array")) {
        return json!({"type": "array", "items": merge_schemas(&a["items"], &b["items"])});
    }
    if a.as_object().is_some_and(|o| o.is_empty()) || b.as_object().is_some_and(|o| o.is_empty()) {
        return json!({});
    }
    // Different types: integer within number is number; else a list of types.
    let types = |t: Option<&Value>| -> BTreeSet<String> {
        match t {
            Some(Value::String(s)) => BTreeSet::from([s.clone()]),
            Some(Value::Array(l)) => l
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
            _ => BTreeSet::new(),
        }
    };
    let mut all: BTreeSet<String> = types(ta).union(&types(tb)).cloned().collect();
    if all.contains("number") {
        all.remove("integer");
    }
    let structured = all.contains("object") || all.contains("array");
    if structured {
        return json!({"anyOf": [a, b]});
    }
    match all.len() {
        1 => json!({"type": all.into_iter().next()}),
        _ => json!({"type": all.into_iter().collect::<Vec<_>>()}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nad::capture::read_ndjson;

    #[test]
    fn typed_segments_are_recognized_and_words_are_not() {
        for (s, t) in [
            ("42", Some("integer")),
            ("0b7e3f4a-9c1d-4e2b-8a6f-1c2d3e4f5a6b", Some("uuid")),
            ("2026-12-01", Some("date")),
            ("alice%40example.com", Some("email")),
            ("5f1e9a2b3c4d5e6f7a8b9c0d", Some("hex")),
            ("x9K2mQ7pL1vZ8bN4", Some("hash")),
            ("10.1.2.3", Some("ipv4")),
            ("findByStatus", None),
            ("getUsersByStatus2", None),
            ("v2", None),
            ("deadbeef", None),
            ("openapi.json", None),
        ] {
            assert_eq!(typed(s), t, "{s}");
        }
    }

    /// A bearer token, an API key header, a cookie, a query key and body values all
    /// stay out of what is kept; only their names and the scheme are recorded.
    #[test]
    fn credentials_and_values_are_never_kept() {
        let line = serde_json::json!({
            "method": "POST", "url": "https://api.example.com/v1/users/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl?api_key=TOPSECRETKEY&page=2",
            "status": 200,
            "requestHeaders": {"Authorization": "Bearer TOPSECRETBEARER", "X-API-Key": "TOPSECRETAPIKEY",
                               "Cookie": "session=TOPSECRETCOOKIE", "X-Tenant": "TOPSECRETTENANT",
                               "X-Session-Token": "TOPSECRETSESSION", "Content-Type": "application/json"},
            "responseHeaders": {"Set-Cookie": "sid=TOPSECRETSETCOOKIE"},
            "requestBody": {"password": "TOPSECRETPASSWORD", "age": 3}
        });
        let batch = read_ndjson(line.to_string().as_bytes()).expect("ndjson");
        let ops = observe(&batch.exchanges, |_| true, 0);
        let kept = serde_json::to_string(&ops).expect("json");
        assert!(!kept.contains("TOPSECRET"), "{kept}");
        let s = &ops[0].stats;
        assert_eq!(ops[0].path, ["v1", "users", "{token}"]);
        assert_eq!(
            s.security.iter().map(String::as_str).collect::<Vec<_>>(),
            ["bearer", "header:x-api-key", "query:api_key"]
        );
        assert_eq!(s.headers.keys().collect::<Vec<_>>(), ["x-tenant"]);
        assert_eq!(s.query["page"].1, BTreeSet::from(["integer".to_owned()]));
        assert_eq!(
            s.request_schema
                .as_ref()
                .map(|r| r["properties"]["password"].clone()),
            Some(json!({"type": "string"}))
        );
    }

    #[test]
    fn merging_keeps_counts_times_and_optional_fields() {
        let mk = |body: Value, at: i64| {
            let line = json!({"method": "GET", "url": "http://h.test/a", "status": 200,
                              "responseBody": body, "startedAt": chrono::DateTime::from_timestamp_millis(at).map(|t| t.to_rfc3339())});
            let b = read_ndjson(line.to_string().as_bytes()).expect("ndjson");
            observe(&b.exchanges, |_| true, 0).remove(0)
        };
        let mut a = mk(json!({"id": 1, "name": "x"}), 2_000);
        a.merge(&mk(json!({"id": 2.5, "tags": []}), 1_000));
        assert_eq!(
            (a.stats.hits, a.stats.first_seen, a.stats.last_seen),
            (2, 1_000, 2_000)
        );
        let schema = &a.stats.response_schemas[&200];
        assert_eq!(schema["required"], json!(["id"]));
        assert_eq!(schema["properties"]["id"], json!({"type": "number"}));
        assert!(
            schema["properties"]["tags"].is_object() && schema["properties"]["name"].is_object()
        );
    }
}
