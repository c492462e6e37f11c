//! An OpenAPI 3 document built from an HTTP or WebSocket API's routes, for when AWS
//! cannot export one (WebSocket APIs, endpoints without `ExportApi`), so the API is
//! still inventoried with the right operations.
//!
//! - `METHOD /path` routes become that operation; `ANY /path` becomes every method
//!   API Gateway accepts for `ANY` (DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT).
//! - `$default` (the catch-all route) is not an operation and is left out, as are
//!   WebSocket's `$connect` and `$disconnect`.
//! - A WebSocket route `sendMessage` becomes `POST /sendMessage`: the message the
//!   client sends on the connection.
//! - The document says it is synthesized (`x-apihub-synthesized: true`).

use serde_json::{Map, Value, json};

pub const ANY_METHODS: [&str; 7] = ["delete", "get", "head", "options", "patch", "post", "put"];

pub struct ApiShape<'a> {
    pub api_id: &'a str,
    pub name: &'a str,
    pub version: Option<&'a str>,
    pub protocol: &'a str,
    pub stage: &'a str,
    pub invoke_url: &'a str,
}

/// (method, path) pairs of one route key; empty for keys that are not operations.
pub fn operations(route_key: &str, websocket: bool) -> Vec<(String, String)> {
    let key = route_key.trim();
    if key.starts_with('$') {
        return Vec::new();
    }
    if websocket {
        return vec![("post".into(), format!("/{key}"))];
    }
    let Some((method, path)) = key.split_once(' ') else {
        return Vec::new();
    };
    let path = path.trim().to_owned();
    if method.eq_ignore_ascii_case("ANY") {
        ANY_METHODS
            .iter()
            .map(|m| ((*m).to_owned(), path.clone()))
            .collect()
    } else {
        vec![(method.to_ascii_lowercase(), path)]
    }
}

pub fn document(api: &ApiShape<'_>, route_keys: &[String]) -> Vec<u8> {
    let websocket = api.protocol.eq_ignore_ascii_case("WEBSOCKET");
    let mut paths: Map<String, Value> = Map::new();
    let mut keys: Vec<&String> = route_keys.iter().collect();
    keys.sort();
    for key in keys {
        for (method, path) in operations(key, websocket) {
            let item = paths.entry(path).or_insert_with(|| json!({}));
            if let Value::Object(ops) = item {
                ops.insert(method, json!({"summary": format!("Route {key}"), "responses": {"default": {"description": "Response"}}}));
            }
        }
    }
    let doc = json!({
        "openapi": "3.0.1",
        "info": {
            "title": api.name,
            "version": api.version.unwrap_or("1.0"),
            "description": format!(
                "Built by apihub-importer from the routes of AWS API Gateway {} API {} (stage {}): AWS did not export it.",
                api.protocol, api.api_id, api.stage
            ),
        },
        "servers": [{"url": api.invoke_url}],
        "paths": paths,
        "x-apihub-synthesized": true,
    });
    serde_json::to_vec_pretty(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_keys_become_operations() {
        assert_eq!(
            operations("GET /orders", false),
            [("get".to_owned(), "/orders".to_owned())]
        );
        assert_eq!(operations("ANY /orders/{id}", false).len(), 7);
        assert!(operations("$default", false).is_empty());
        assert!(operations("$connect", true).is_empty());
        assert_eq!(
            operations("sendMessage", true),
            [("post".to_owned(), "/sendMessage".to_owned())]
        );
    }

    #[test]
    fn the_document_normalizes_with_the_right_count() {
        let shape = ApiShape {
            api_id: "a1",
            name: "Orders",
            version: None,
            protocol: "HTTP",
            stage: "$default",
            invoke_url: "https://a1.execute-api.us-east-1.amazonaws.com",
        };
        let keys: Vec<String> = [
            "GET /orders",
            "POST /orders",
            "ANY /orders/{id}",
            "$default",
        ]
        .map(String::from)
        .to_vec();
        let doc = document(&shape, &keys);
        let n = crate::normalize::normalize(doc, &Default::default(), &Default::default())
            .expect("valid OpenAPI");
        assert_eq!(n.operations_count(), 9);
        assert!(n.valid(), "{:?}", n.diagnostics);
        assert_eq!(
            n.servers,
            ["https://a1.execute-api.us-east-1.amazonaws.com"]
        );
    }
}
