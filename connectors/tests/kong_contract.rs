//! The `kong` connector (admin mode) against a contract server built from Kong's
//! published Admin API (research sources §4.1 and §9.7-9.8): `{data, offset, next}`
//! lists where `next` is a root-relative path with a url-safe base64 `offset` and
//! JSON `null` on the last page (where `offset` is absent); nested lists'
//! `next` drops `size` and `tags`; `size` must be 1-1000, else 400
//! `{"code": 9, "name": "invalid size", …}`; entities carry every field, absent ones
//! as `null`; Enterprise workspaces under `/{workspace}/…` and `GET /workspaces`;
//! RBAC refusals as 401 `{"message": "Invalid RBAC credentials"}` when the
//! `Kong-Admin-Token` header is wrong. The connector then runs the compliance suite.

use std::collections::BTreeMap;
use std::sync::Arc;

use apihub_connectors::connector::list_all;
use apihub_connectors::testkit::compliance::{self, Subject};
use apihub_connectors::testkit::server::{ContractServer, Fault, Recorded};
use apihub_connectors::{Connector, Context, Environment, ImporterType, Item};
use async_trait::async_trait;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use serde_json::{Value, json};

const TOKEN: &str = "kong-rbac-token-3b9e1f";

/// A service and its routes, as Kong returns them.
type ServiceRoutes = (Value, Vec<Value>);
/// Workspace name → its services.
type Estate = BTreeMap<String, Vec<ServiceRoutes>>;

#[derive(Clone)]
struct Kong {
    workspaces: Arc<Estate>,
    rbac: bool,
}

fn service(id: &str, name: &str, tags: &[&str]) -> Value {
    json!({"id": id, "name": name, "host": "backend.internal", "port": 80, "protocol": "http",
           "path": null, "retries": 5, "connect_timeout": 60000, "write_timeout": 60000,
           "read_timeout": 60000, "tags": if tags.is_empty() { Value::Null } else { json!(tags) },
           "client_certificate": null, "tls_verify": null, "ca_certificates": null, "enabled": true,
           "created_at": 1_700_000_000, "updated_at": 1_700_000_100})
}

fn route(id: &str, service: &str, paths: Value, methods: Value) -> Value {
    json!({"id": id, "name": format!("route-{id}"), "paths": paths, "methods": methods,
           "hosts": null, "headers": null, "snis": null, "sources": null, "destinations": null,
           "protocols": ["http", "https"], "strip_path": true, "preserve_host": false,
           "regex_priority": 0, "https_redirect_status_code": 426, "path_handling": "v0",
           "request_buffering": true, "response_buffering": true, "tags": null,
           "service": {"id": service}, "created_at": 1_700_000_000, "updated_at": 1_700_000_200})
}

fn kong_error(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// One page of `items`, Kong style. `base` is the list's path; `keep` says whether
/// `next` keeps `size` (top-level lists) or drops it (nested lists).
fn page(items: &[Value], q: &BTreeMap<String, String>, base: &str, keep: bool) -> Response {
    let size = match q.get("size") {
        None => 100,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return kong_error(
                    StatusCode::BAD_REQUEST,
                    json!({"code": 9, "name": "invalid size", "message": "size must be an integer between 1 and 1000"}),
                );
            }
        },
    };
    let b64 = base64::engine::general_purpose::URL_SAFE;
    let start = match q.get("offset") {
        None => 0,
        Some(o) => match b64
            .decode(o)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse::<usize>().ok())
        {
            Some(n) => n,
            None => {
                return kong_error(
                    StatusCode::BAD_REQUEST,
                    json!({"code": 9, "name": "invalid offset", "message": format!("'{o}' is not a valid offset: bad base64 encoding")}),
                );
            }
        },
    };
    let data: Vec<Value> = items.iter().skip(start).take(size).cloned().collect();
    let end = start + data.len();
    if end >= items.len() {
        return Json(json!({"data": data, "next": null})).into_response();
    }
    let offset = b64.encode(end.to_string());
    let mut next = format!("{base}?offset={}", urlencode(&offset));
    if keep {
        next.push_str(&format!("&size={size}"));
    }
    Json(json!({"data": data, "offset": offset, "next": next})).into_response()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Kong {
    fn refused(&self, headers: &HeaderMap) -> Option<Response> {
        let sent = headers
            .get("kong-admin-token")
            .and_then(|v| v.to_str().ok());
        (self.rbac && sent != Some(TOKEN)).then(|| {
            kong_error(
                StatusCode::UNAUTHORIZED,
                json!({"message": "Invalid RBAC credentials"}),
            )
        })
    }

    fn services(&self, ws: &str, q: &BTreeMap<String, String>) -> Option<Vec<Value>> {
        let tags: Vec<&str> = q
            .get("tags")
            .map(|t| t.split(',').collect())
            .unwrap_or_default();
        Some(
            self.workspaces
                .get(ws)?
                .iter()
                .map(|(s, _)| s.clone())
                .filter(|s| {
                    tags.iter().all(|t| {
                        s["tags"]
                            .as_array()
                            .is_some_and(|a| a.iter().any(|x| x == t))
                    })
                })
                .collect(),
        )
    }

    fn routes(&self, ws: &str, id: &str) -> Option<Vec<Value>> {
        self.workspaces
            .get(ws)?
            .iter()
            .find(|(s, _)| s["id"] == id || s["name"] == id)
            .map(|(_, r)| r.clone())
    }
}

fn not_found() -> Response {
    kong_error(StatusCode::NOT_FOUND, json!({"message": "Not found"}))
}

async fn root(State(k): State<Kong>, headers: HeaderMap) -> Response {
    if let Some(r) = k.refused(&headers) {
        return r;
    }
    Json(
        json!({"version": "3.6.0.0", "tagline": "Welcome to kong", "hostname": "kong",
                "plugins": {"available_on_server": {"key-auth": true}}}),
    )
    .into_response()
}

async fn list_workspaces(
    State(k): State<Kong>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = k.refused(&headers) {
        return r;
    }
    let list: Vec<Value> = k
        .workspaces
        .keys()
        .map(|name| json!({"id": format!("ws-{name}"), "name": name, "comment": null}))
        .collect();
    page(&list, &q, "/workspaces", true)
}

async fn services(
    State(k): State<Kong>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    ws_services(State(k), headers, Path("default".into()), Query(q)).await
}

async fn ws_services(
    State(k): State<Kong>,
    headers: HeaderMap,
    Path(ws): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = k.refused(&headers) {
        return r;
    }
    let Some(list) = k.services(&ws, &q) else {
        return not_found();
    };
    let base = if ws == "default" {
        "/services".to_owned()
    } else {
        format!("/{ws}/services")
    };
    page(&list, &q, &base, true)
}

async fn routes(
    State(k): State<Kong>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    ws_routes(State(k), headers, Path(("default".into(), id)), Query(q)).await
}

async fn ws_routes(
    State(k): State<Kong>,
    headers: HeaderMap,
    Path((ws, id)): Path<(String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = k.refused(&headers) {
        return r;
    }
    let Some(list) = k.routes(&ws, &id) else {
        return not_found();
    };
    let base = if ws == "default" {
        format!("/services/{id}/routes")
    } else {
        format!("/{ws}/services/{id}/routes")
    };
    page(&list, &q, &base, false)
}

async fn start_kong(
    workspaces: BTreeMap<String, Vec<(Value, Vec<Value>)>>,
    rbac: bool,
) -> ContractServer {
    let state = Kong {
        workspaces: Arc::new(workspaces),
        rbac,
    };
    let routes = axum::Router::new()
        .route("/", get(root))
        .route("/workspaces", get(list_workspaces))
        .route("/services", get(services))
        .route("/services/{id}/routes", get(routes))
        .route("/{ws}/services", get(ws_services))
        .route("/{ws}/services/{id}/routes", get(ws_routes))
        .with_state(state);
    ContractServer::start(routes).await
}

/// `n` services in `ws`, each with a plain route and a regex route.
fn estate(ws: &str, n: usize) -> Vec<ServiceRoutes> {
    (0..n)
        .map(|i| {
            let id = format!("{ws}-svc-{i}");
            let routes = vec![
                route(
                    &format!("{id}-r1"),
                    &id,
                    json!([format!("/s{i}/items")]),
                    json!(["GET", "POST"]),
                ),
                route(
                    &format!("{id}-r2"),
                    &id,
                    json!([format!("~/s{i}/items/(?<itemId>[^#?/]+)$")]),
                    json!(["GET"]),
                ),
            ];
            (service(&id, &format!("service-{i}"), &["team-a"]), routes)
        })
        .collect()
}

fn connector(params: Value) -> Box<dyn Connector> {
    apihub_connectors::build(ImporterType::Kong, &params, &Environment::default())
        .expect("connector")
}

struct KongAdmin;

#[async_trait]
impl Subject for KongAdmin {
    fn platform(&self) -> &str {
        "Kong Admin API"
    }

    fn secret(&self) -> &str {
        TOKEN
    }

    async fn start(&self, apis: usize) -> ContractServer {
        start_kong(
            BTreeMap::from([("default".into(), estate("default", apis))]),
            true,
        )
        .await
    }

    fn connector(&self, server: &ContractServer) -> Box<dyn Connector> {
        connector(
            json!({"adminUrl": server.url, "adminToken": TOKEN, "pageSize": 2, "maxRequestsPerSecond": 100}),
        )
    }

    fn listing_path(&self) -> &str {
        "/services"
    }

    fn call(&self) -> &str {
        "GET /services"
    }

    /// Kong keeps no documents: each is built from the listed routes.
    fn is_download(&self, _: &Recorded) -> bool {
        false
    }

    fn attempts(&self) -> usize {
        5
    }

    fn refusal(&self) -> Fault {
        Fault::status(401, "{\"message\": \"Invalid RBAC credentials\"}")
            .header("content-type", "application/json")
    }
}

#[tokio::test]
async fn the_kong_connector_passes_the_compliance_suite() {
    compliance::run(&KongAdmin).await;
}

fn cx() -> Context {
    Context::new("i", "n")
}

#[tokio::test]
async fn services_become_documents_with_their_routes_operations() {
    let server = KongAdmin.start(3).await;
    let c = KongAdmin.connector(&server);
    let items = list_all(c.as_ref(), &cx()).await.expect("list");
    let keys: Vec<&str> = items.iter().map(|l| l.external_key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "default/default-svc-0",
            "default/default-svc-1",
            "default/default-svc-2"
        ]
    );
    assert_eq!(items[0].name.as_deref(), Some("service-0"));
    for l in items {
        let Item::Fetch(f) = l.item else {
            panic!("{} not fetched", l.external_key)
        };
        let doc = f().await.expect("document");
        assert!(doc.synthesized);
        let n = apihub_connectors::normalize::normalize(
            doc.bytes,
            &Default::default(),
            &Default::default(),
        )
        .expect("OpenAPI");
        assert_eq!(
            n.operations_count(),
            3,
            "GET+POST /items, GET /items/{{itemId}}"
        );
    }
    // Nested lists drop `size` in `next`; the connector puts it back.
    let routes: Vec<Recorded> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/routes"))
        .collect();
    assert!(
        routes.iter().all(|r| r.query.contains("size=2")),
        "{routes:?}"
    );
}

#[tokio::test]
async fn every_workspace_and_names_told_apart() {
    let server = start_kong(
        BTreeMap::from([
            ("default".into(), estate("default", 1)),
            ("payments".into(), estate("payments", 2)),
        ]),
        true,
    )
    .await;
    let c = connector(json!({"adminUrl": server.url, "adminToken": TOKEN, "workspaces": ["*"]}));
    let items = list_all(c.as_ref(), &cx()).await.expect("list");
    let mut got: Vec<(String, String)> = items
        .iter()
        .map(|l| (l.external_key.clone(), l.name.clone().unwrap_or_default()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "default/default-svc-0".to_owned(),
                "service-0 (default)".to_owned()
            ),
            (
                "payments/payments-svc-0".to_owned(),
                "service-0 (payments)".to_owned()
            ),
            ("payments/payments-svc-1".to_owned(), "service-1".to_owned()),
        ]
    );
    assert!(server.count("/payments/services") >= 1);
}

#[tokio::test]
async fn tags_filter_services_and_a_path_prefix_is_kept() {
    let mut ws = estate("default", 2);
    ws[1].0["tags"] = json!(["team-b"]);
    let server = start_kong(BTreeMap::from([("default".into(), ws)]), false).await;
    let c = connector(json!({"adminUrl": server.url, "tags": ["team-a"]}));
    let items = list_all(c.as_ref(), &cx()).await.expect("list");
    assert_eq!(items.len(), 1, "only the team-a service");

    // Behind a path prefix that Kong's `next` links do not carry.
    let c = connector(json!({"adminUrl": format!("{}/kong-admin", server.url)}));
    let err = list_all(c.as_ref(), &cx())
        .await
        .expect_err("no such prefix here");
    assert!(err.to_string().contains("/kong-admin/services"), "{err}");
}

#[tokio::test]
async fn refusals_and_bad_sizes_read_clearly() {
    let server = KongAdmin.start(1).await;
    let c = connector(json!({"adminUrl": server.url, "adminToken": "wrong-token-value"}));
    let err = c.check(&cx()).await.expect_err("wrong token");
    assert_eq!(
        err.to_string(),
        format!(
            "Kong Admin API at {} refused the token (401) on GET /",
            server.url
        )
    );
    assert!(!err.to_string().contains("wrong-token-value"));
    KongAdmin
        .connector(&server)
        .check(&cx())
        .await
        .expect("the right token");

    // The connector never asks for more than 1000, but a server's refusal reads as Kong said it.
    server.fault(
        "/services",
        Fault::status(400, "{\"code\": 9, \"name\": \"invalid size\", \"message\": \"size must be an integer between 1 and 1000\"}"),
        1,
    );
    let err = list_all(KongAdmin.connector(&server).as_ref(), &cx())
        .await
        .expect_err("refused size");
    assert_eq!(err.kind, apihub_connectors::ErrorKind::Protocol, "{err}");
    assert!(
        err.to_string()
            .contains("size must be an integer between 1 and 1000"),
        "{err}"
    );

    let err = apihub_connectors::validate_parameters(
        ImporterType::Kong,
        &json!({"adminUrl": server.url, "clientId": "x"}),
        &Environment::default(),
    )
    .expect_err("seed fields mean nothing to Kong");
    assert_eq!(err.field, "parameters.clientId");
}
