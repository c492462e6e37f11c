//! An OpenAPI 3.0 document for one Kong service, built from its routes (Kong keeps
//! no spec): one operation per (method, path template); routes that differ only by
//! `hosts`, `headers` or `snis` are the same operation. `methods: null` means every
//! method (the seven OpenAPI methods other than TRACE); `paths: null` is `/`. gRPC
//! routes become `POST` operations; a route with only stream protocols (`tcp`,
//! `tls`, `udp`, `tls_passthrough`) has no HTTP operation. Regex paths that are not
//! templates are listed under `x-kong-regex` instead of being dropped.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::paths::{RoutePath, template};

pub const ANY_METHODS: [&str; 7] = ["delete", "get", "head", "options", "patch", "post", "put"];
const STREAM: [&str; 4] = ["tcp", "tls", "udp", "tls_passthrough"];

/// A Kong service as the Admin API returns it (absent fields are `null`).
#[derive(Debug, Clone, Deserialize)]
pub struct Service {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub updated_at: Option<i64>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// A Kong route (only what the document needs).
#[derive(Debug, Clone, Deserialize)]
pub struct Route {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub paths: Option<Vec<String>>,
    #[serde(default)]
    pub methods: Option<Vec<String>>,
    #[serde(default)]
    pub hosts: Option<Vec<String>>,
    #[serde(default)]
    pub protocols: Option<Vec<String>>,
    #[serde(default)]
    pub updated_at: Option<i64>,
}

impl Route {
    fn protocols(&self) -> Vec<String> {
        self.protocols
            .clone()
            .unwrap_or_else(|| vec!["http".into(), "https".into()])
            .into_iter()
            .map(|p| p.to_ascii_lowercase())
            .collect()
    }

    /// Only stream protocols: nothing an OpenAPI document can describe.
    pub fn is_stream_only(&self) -> bool {
        let p = self.protocols();
        !p.is_empty() && p.iter().all(|p| STREAM.contains(&p.as_str()))
    }
}

/// A token that changes when the service or any of its routes changes.
pub fn revision(service: &Service, routes: &[Route]) -> String {
    let mut ids: Vec<(&str, i64)> = routes
        .iter()
        .map(|r| (r.id.as_str(), r.updated_at.unwrap_or(0)))
        .collect();
    ids.sort();
    let mut h = Sha256::new();
    h.update(format!(
        "{}:{}",
        service.id,
        service.updated_at.unwrap_or(0)
    ));
    for (id, at) in ids {
        h.update(format!(";{id}:{at}"));
    }
    hex::encode(&h.finalize()[..16])
}

pub struct Shape<'a> {
    pub title: &'a str,
    /// Where the service was found ("workspace default", "control plane prod").
    pub origin: &'a str,
    pub proxy_url: Option<&'a str>,
}

/// The document and the base URLs it names.
pub fn document(shape: &Shape<'_>, service: &Service, routes: &[Route]) -> (Vec<u8>, Vec<String>) {
    let mut ops: BTreeMap<(String, String), (Vec<String>, String)> = BTreeMap::new();
    let mut regexes = Vec::new();
    let mut servers: Vec<String> = shape
        .proxy_url
        .map(|u| vec![u.trim_end_matches('/').to_owned()])
        .unwrap_or_default();
    let mut sorted: Vec<&Route> = routes.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for route in sorted {
        if route.is_stream_only() {
            continue;
        }
        let protocols = route.protocols();
        let grpc = protocols.iter().all(|p| p.starts_with("grpc"));
        let methods: Vec<String> = if grpc {
            vec!["post".into()]
        } else {
            match &route.methods {
                Some(m) if !m.is_empty() => m.iter().map(|m| m.to_ascii_lowercase()).collect(),
                _ => ANY_METHODS.iter().map(|m| (*m).to_owned()).collect(),
            }
        };
        let scheme = if protocols.iter().any(|p| p == "https" || p == "grpcs") {
            "https"
        } else {
            "http"
        };
        for host in route.hosts.iter().flatten() {
            let url = format!("{scheme}://{host}");
            if !servers.contains(&url) {
                servers.push(url);
            }
        }
        let label = route.name.clone().unwrap_or_else(|| route.id.clone());
        let paths = match &route.paths {
            Some(p) if !p.is_empty() => p.clone(),
            _ => vec!["/".into()],
        };
        for path in paths {
            match template(&path) {
                RoutePath::Template { path, params } => {
                    for m in &methods {
                        ops.entry((path.clone(), m.clone()))
                            .or_insert_with(|| (params.clone(), label.clone()));
                    }
                }
                RoutePath::Regex(regex) => regexes.push(json!({
                    "route": label, "regex": regex, "methods": methods,
                })),
            }
        }
    }
    let mut paths: Map<String, Value> = Map::new();
    for ((path, method), (params, label)) in ops {
        let item = paths.entry(path).or_insert_with(|| json!({}));
        if !params.is_empty() && item.get("parameters").is_none() {
            item["parameters"] = Value::Array(
                params
                    .iter()
                    .map(|p| json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}}))
                    .collect(),
            );
        }
        item[method.as_str()] = json!({
            "summary": format!("Route {label}"),
            "responses": {"default": {"description": "Response"}},
        });
    }
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": shape.title,
            "version": "1.0",
            "description": format!(
                "Built by apihub-importer from the routes of Kong service {} ({}): Kong keeps no spec.",
                service.id, shape.origin
            ),
        },
        "paths": paths,
        "x-apihub-synthesized": true,
    });
    if !servers.is_empty() {
        doc["servers"] = Value::Array(servers.iter().map(|u| json!({"url": u})).collect());
    }
    if !regexes.is_empty() {
        doc["x-kong-regex"] = Value::Array(regexes);
    }
    (serde_json::to_vec_pretty(&doc).unwrap_or_default(), servers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(id: &str, v: Value) -> Route {
        let mut v = v;
        v["id"] = json!(id);
        serde_json::from_value(v).expect("route")
    }

    fn service() -> Service {
        serde_json::from_value(
            json!({"id": "s1", "name": "orders", "updated_at": 10, "tags": null}),
        )
        .expect("service")
    }

    fn count(doc: &[u8]) -> crate::normalize::NormalizedDefinition {
        crate::normalize::normalize(doc.to_vec(), &Default::default(), &Default::default())
            .expect("valid OpenAPI")
    }

    #[test]
    fn routes_become_operations_once_each() {
        let routes = vec![
            route(
                "r1",
                json!({"name": "list", "paths": ["/orders"], "methods": ["GET", "POST"], "hosts": ["api.example.com"], "protocols": ["https"]}),
            ),
            // Same operations, other host: still one operation each.
            route(
                "r2",
                json!({"paths": ["/orders"], "methods": ["GET"], "hosts": ["eu.example.com"], "protocols": ["http", "https"]}),
            ),
            route(
                "r3",
                json!({"paths": ["~/orders/(?<orderId>[^#?/]+)$"], "methods": null, "hosts": null, "protocols": null}),
            ),
            route("r4", json!({"paths": ["~/(a|b)$"], "methods": ["GET"]})),
            route("r5", json!({"paths": null, "protocols": ["tcp"]})),
            route(
                "r6",
                json!({"paths": ["/pkg.Orders/Get"], "protocols": ["grpcs"]}),
            ),
        ];
        let shape = Shape {
            title: "orders",
            origin: "workspace default",
            proxy_url: Some("https://gw.example.com/"),
        };
        let (doc, servers) = document(&shape, &service(), &routes);
        assert_eq!(
            servers,
            [
                "https://gw.example.com",
                "https://api.example.com",
                "https://eu.example.com"
            ]
        );
        let n = count(&doc);
        assert!(n.valid(), "{:?}", n.diagnostics);
        // 2 (r1) + 7 (r3, every method) + 1 (r6); r2 repeats r1, r4 is a regex, r5 is tcp.
        assert_eq!(n.operations_count(), 10);
        let v: Value = serde_json::from_slice(&doc).expect("json");
        assert_eq!(
            v["paths"]["/orders/{orderId}"]["parameters"][0]["name"],
            "orderId"
        );
        assert_eq!(v["x-kong-regex"][0]["regex"], "/(a|b)$");
        assert_eq!(v["x-apihub-synthesized"], true);
    }

    #[test]
    fn the_revision_follows_the_service_and_its_routes() {
        let a = vec![
            route("r1", json!({"updated_at": 5})),
            route("r2", json!({"updated_at": 6})),
        ];
        let mut b = a.clone();
        b.reverse();
        assert_eq!(
            revision(&service(), &a),
            revision(&service(), &b),
            "order does not matter"
        );
        b[0].updated_at = Some(7);
        assert_ne!(revision(&service(), &a), revision(&service(), &b));
        assert_ne!(
            revision(&service(), &a),
            revision(&service(), &a[..1]),
            "a route removed"
        );
    }
}
