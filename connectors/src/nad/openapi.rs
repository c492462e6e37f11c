//! The reconstructed OpenAPI 3.1 document of one origin. Deterministic (sorted
//! paths, methods and fields), so an unchanged observation set writes the same
//! bytes and the sync engine sees no change.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::observe::ObservedOp;
use super::template::kind_of;

/// Path template as OpenAPI writes it (`/pets/{petId}`), with its parameters'
/// names and types. A parameter is named for the segment before it.
pub fn path_template(path: &[String]) -> (String, Vec<(String, &str)>) {
    let mut out = String::new();
    let mut params: Vec<(String, &str)> = Vec::new();
    for (i, seg) in path.iter().enumerate() {
        out.push('/');
        match kind_of(seg) {
            Some(kind) => {
                let before = i
                    .checked_sub(1)
                    .and_then(|j| path.get(j))
                    .filter(|s| kind_of(s).is_none());
                let mut name = match before {
                    Some(b) => format!("{}Id", singular(&camel(b))),
                    None => "param".to_owned(),
                };
                if params.iter().any(|(n, _)| *n == name) {
                    name = format!("{name}{}", params.len() + 1);
                }
                out.push_str(&format!("{{{name}}}"));
                params.push((name, kind));
            }
            None => out.push_str(seg),
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    (out, params)
}

fn camel(s: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in s.chars() {
        if c == '-' || c == '_' || c == '.' {
            upper = !out.is_empty();
        } else if c.is_ascii_alphanumeric() {
            if upper {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        }
    }
    if out.is_empty() { "param".into() } else { out }
}

fn singular(s: &str) -> String {
    if let Some(stem) = s.strip_suffix("ies") {
        format!("{stem}y")
    } else if s.ends_with("ss") {
        s.to_owned()
    } else {
        s.strip_suffix('s').unwrap_or(s).to_owned()
    }
}

/// The JSON Schema of a path parameter of `kind`.
fn kind_schema(kind: &str) -> Value {
    match kind {
        "integer" => json!({"type": "integer"}),
        "uuid" => json!({"type": "string", "format": "uuid"}),
        "date" => json!({"type": "string", "format": "date"}),
        "datetime" => json!({"type": "string", "format": "date-time"}),
        "email" => json!({"type": "string", "format": "email"}),
        "ipv4" => json!({"type": "string", "format": "ipv4"}),
        _ => json!({"type": "string"}),
    }
}

fn query_schema(types: &std::collections::BTreeSet<String>) -> Value {
    let mut t: Vec<&str> = types.iter().map(String::as_str).collect();
    if t.contains(&"number") {
        t.retain(|x| *x != "integer");
    }
    match t.as_slice() {
        [one] => json!({"type": one}),
        _ => json!({"type": "string"}),
    }
}

fn day(ms: i64) -> Value {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| json!(t.format("%Y-%m-%d").to_string()))
        .unwrap_or(Value::Null)
}

/// A `content` map: each media type, with the schema on the JSON ones.
fn content(types: impl Iterator<Item = String>, schema: Option<&Value>) -> Value {
    let map: Map<String, Value> = types
        .map(|t| {
            let body = match schema.filter(|_| t.contains("json")) {
                Some(sc) => json!({"schema": sc}),
                None => json!({}),
            };
            (t, body)
        })
        .collect();
    Value::Object(map)
}

/// `origin` with the base path `base`, as a server URL.
pub fn base_url(origin: &str, base: &[String]) -> String {
    if base.is_empty() {
        origin.to_owned()
    } else {
        format!("{origin}/{}", base.join("/"))
    }
}

/// An operation's path template relative to the API's `base` (which every
/// operation of the API starts with).
pub fn relative_template<'a>(
    op: &'a ObservedOp,
    base: &[String],
) -> (String, Vec<(String, &'a str)>) {
    path_template(op.path.get(base.len()..).unwrap_or_default())
}

/// The document of the API at `base` on `origin` from its templated operations;
/// `undocumented` says which of them no imported definition documents
/// (`x-apihub-undocumented`).
pub fn document(
    origin: &str,
    base: &[String],
    ops: &[&ObservedOp],
    undocumented: impl Fn(&ObservedOp) -> bool,
) -> Value {
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut schemes: BTreeMap<String, Value> = BTreeMap::new();
    for op in ops {
        let (template, path_params) = relative_template(op, base);
        let s = &op.stats;
        let mut parameters: Vec<Value> = path_params
            .iter()
            .map(|(name, kind)| {
                json!({"name": name, "in": "path", "required": true, "schema": kind_schema(kind)})
            })
            .collect();
        for (name, (count, types)) in &s.query {
            parameters.push(
                json!({"name": name, "in": "query", "required": *count >= s.hits,
                                   "schema": query_schema(types)}),
            );
        }
        for (name, count) in &s.headers {
            parameters.push(
                json!({"name": name, "in": "header", "required": *count >= s.hits,
                                   "schema": {"type": "string"}}),
            );
        }
        let mut responses = Map::new();
        for status in s.statuses.keys() {
            let mut r = json!({"description": format!("Observed {status} response")});
            let types = s.response_types.get(status);
            let schema = s.response_schemas.get(status);
            if let Some(types) = types.filter(|t| !t.is_empty()) {
                r["content"] = content(types.iter().cloned(), schema);
            }
            responses.insert(status.to_string(), r);
        }
        let mut operation = json!({
            "operationId": operation_id(&op.method, &template),
            "responses": responses,
            "x-apihub-observed": {"requests": s.hits, "firstSeen": day(s.first_seen), "lastSeen": day(s.last_seen)},
            "x-apihub-undocumented": undocumented(op),
        });
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        if !s.request_types.is_empty() || s.request_schema.is_some() {
            let types: Vec<String> = if s.request_types.is_empty() {
                vec!["application/json".into()]
            } else {
                s.request_types.iter().cloned().collect()
            };
            operation["requestBody"] =
                json!({"content": content(types.into_iter(), s.request_schema.as_ref())});
        }
        if !s.security.is_empty() {
            let mut sec = Vec::new();
            for scheme in &s.security {
                let (name, def) = security_scheme(scheme);
                sec.push(json!({ name.clone(): [] }));
                schemes.insert(name, def);
            }
            operation["security"] = Value::Array(sec);
        }
        paths
            .entry(template)
            .or_default()
            .insert(op.method.to_ascii_lowercase(), operation);
    }
    let server = base_url(origin, base);
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {"title": format!("{} (reconstructed from traffic)", api_name(origin, base)), "version": "observed",
                 "description": format!("Operations observed in traffic to {server}.")},
        "servers": [{"url": server}],
        "paths": paths,
    });
    if !schemes.is_empty() {
        doc["components"] = json!({"securitySchemes": schemes});
    }
    doc
}

/// The API's name: its host, and its base path when it has one.
pub fn api_name(origin: &str, base: &[String]) -> String {
    let host = url::Url::parse(origin)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| origin.to_owned());
    if base.is_empty() {
        host
    } else {
        format!("{host}/{}", base.join("/"))
    }
}

fn operation_id(method: &str, template: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    for part in template.split('/').filter(|p| !p.is_empty()) {
        let part = part.trim_matches(['{', '}']);
        let c = camel(part);
        let mut chars = c.chars();
        if let Some(first) = chars.next() {
            id.extend(first.to_uppercase());
            id.push_str(chars.as_str());
        }
    }
    id
}

fn security_scheme(s: &str) -> (String, Value) {
    match s.split_once(':') {
        Some((place, name)) => (
            format!("{}_{}", place, camel(name)),
            json!({"type": "apiKey", "in": place, "name": name}),
        ),
        None => (s.to_owned(), json!({"type": "http", "scheme": s})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nad::capture::read_ndjson;
    use crate::nad::observe::segments;
    use crate::nad::{observe, template};

    #[test]
    fn a_document_has_templates_parameters_schemas_and_security() {
        let mut lines = String::new();
        for (i, id) in ["7", "8", "9"].iter().enumerate() {
            let page = if i == 0 {
                "".to_owned()
            } else {
                format!("&page={i}")
            };
            lines.push_str(&serde_json::json!({
                "method": "GET", "url": format!("https://shop.test/orders/{id}/items?limit=5{page}"),
                "status": 200, "requestHeaders": {"Authorization": "Bearer abc", "X-Tenant": "t"},
                "responseHeaders": {"Content-Type": "application/json; charset=utf-8"},
                "responseBody": [{"sku": "a", "qty": 1}], "startedAt": "2026-12-01T10:00:00Z"
            }).to_string());
            lines.push('\n');
        }
        let batch = read_ndjson(lines.as_bytes()).expect("ndjson");
        let ops = template::learn(observe(&batch.exchanges, |_| true, 0));
        let refs: Vec<&ObservedOp> = ops.iter().collect();
        let doc = document("https://shop.test", &[], &refs, |_| true);
        let get = &doc["paths"]["/orders/{orderId}/items"]["get"];
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["servers"][0]["url"], "https://shop.test");
        let params: Vec<(String, bool)> = get["parameters"]
            .as_array()
            .expect("params")
            .iter()
            .map(|p| {
                (
                    format!(
                        "{}:{}",
                        p["in"].as_str().unwrap_or(""),
                        p["name"].as_str().unwrap_or("")
                    ),
                    p["required"] == true,
                )
            })
            .collect();
        assert_eq!(
            params,
            [
                ("path:orderId".to_owned(), true),
                ("query:limit".to_owned(), true),
                ("query:page".to_owned(), false),
                ("header:x-tenant".to_owned(), true),
            ]
        );
        assert_eq!(
            get["responses"]["200"]["content"]["application/json"]["schema"]["items"]["properties"]
                ["qty"],
            json!({"type": "integer"})
        );
        assert_eq!(get["security"], json!([{"bearer": []}]));
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert_eq!(get["x-apihub-observed"]["requests"], 3);
        assert_eq!(get["x-apihub-undocumented"], true);
        let based = document("https://shop.test", &segments("/orders"), &refs, |_| false);
        assert_eq!(based["servers"][0]["url"], "https://shop.test/orders");
        assert_eq!(
            based["info"]["title"],
            "shop.test/orders (reconstructed from traffic)"
        );
        let get = &based["paths"]["/{param}/items"]["get"];
        assert_eq!(get["x-apihub-undocumented"], false);
    }
}
