//! The `anypoint_exchange` connector against a contract server built from
//! MuleSoft's published Access Management and Exchange documentation, research
//! sources §5 and §9.15-9.18, and the request paths MuleSoft's own CLI
//! (`anypoint-cli-exchange-plugin`) uses:
//! - `POST /accounts/api/v2/oauth2/token` (client credentials, form or JSON body;
//!   the answer has no `expires_in`), `GET /accounts/api/me` (`client.org_id`);
//! - `GET /exchange/api/v2/assets/search` with `organizationId` (or
//!   `masterOrganizationId`), `types`, `limit`, `offset`: a bare array that holds
//!   several versions of one asset; an unknown type is a 400;
//! - `GET /exchange/api/v1/assets/{groupId}/{assetId}/{version}` with `files[]`
//!   (`classifier`, `packaging`, `isGenerated`, `externalLink`, `md5`), including
//!   the `oas`/`fat-oas` zips Exchange generates for RAML-authored APIs;
//! - presigned downloads that answer 400 when an `Authorization` header is sent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use apihub_connectors::archive::zip_of_text as zip_of;
use apihub_connectors::connector::list_all;
use apihub_connectors::testkit::compliance::{self, Subject};
use apihub_connectors::testkit::server::{ContractServer, Recorded};
use apihub_connectors::{Connector, Context, Environment, ErrorKind, ImporterType, Item};
use async_trait::async_trait;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

const ORG: &str = "6a8e4b2c-1d3f-4e5a-9b7c-0d1e2f3a4b5c";
const CHILD: &str = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
const CLIENT: &str = "0123456789abcdef0123456789abcdef";
const SECRET: &str = "exchange-client-secret-4f2a";
const TOKEN: &str = "8c7a5f0e-anypoint-access-token";
const TYPES: [&str; 12] = [
    "rest-api",
    "soap-api",
    "http-api",
    "graphql-api",
    "raml-fragment",
    "custom",
    "connector",
    "template",
    "example",
    "policy",
    "app",
    "extension",
];

/// One file of an asset version.
#[derive(Clone)]
struct File {
    classifier: &'static str,
    packaging: &'static str,
    generated: bool,
    bytes: Vec<u8>,
}

#[derive(Clone)]
struct Asset {
    org: &'static str,
    group: String,
    id: String,
    version: String,
    name: String,
    kind: &'static str,
    files: Vec<File>,
}

struct Exchange {
    url: Mutex<String>,
    assets: Mutex<Vec<Asset>>,
}

type Shared = Arc<Exchange>;

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"status": status.as_u16(), "message": message})),
    )
        .into_response()
}

fn authorized(headers: &HeaderMap) -> Option<Response> {
    let ok = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {TOKEN}"));
    (!ok).then(|| error(StatusCode::UNAUTHORIZED, "Unauthorized"))
}

async fn token(headers: HeaderMap, body: Bytes) -> Response {
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let f: BTreeMap<String, String> = if json {
        serde_json::from_slice(&body).unwrap_or_default()
    } else {
        url::form_urlencoded::parse(&body).into_owned().collect()
    };
    let field = |k: &str| f.get(k).map(String::as_str).unwrap_or_default();
    if field("grant_type") != "client_credentials" {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "unsupported_grant_type"})),
        )
            .into_response();
    }
    if field("client_id") != CLIENT || field("client_secret") != SECRET {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client", "error_description": "Invalid client credentials"}))).into_response();
    }
    // MuleSoft's example answer: no expires_in.
    Json(json!({"access_token": TOKEN, "token_type": "bearer"})).into_response()
}

async fn me(headers: HeaderMap) -> Response {
    if let Some(r) = authorized(&headers) {
        return r;
    }
    Json(json!({"client": {"client_id": CLIENT, "name": "apihub-importer", "org_id": ORG}}))
        .into_response()
}

fn summary(a: &Asset) -> Value {
    json!({"groupId": a.group, "assetId": a.id, "version": a.version, "name": a.name, "type": a.kind,
           "organizationId": a.org, "description": "", "createdBy": {"userName": "ops"}, "status": "published"})
}

async fn search(
    State(x): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    if let Some(r) = authorized(&headers) {
        return r;
    }
    let kind = q.get("types").cloned().unwrap_or_default();
    if !kind.is_empty() && !TYPES.contains(&kind.as_str()) {
        return error(StatusCode::BAD_REQUEST, &format!("Invalid type {kind}"));
    }
    let (org, children) = match (q.get("organizationId"), q.get("masterOrganizationId")) {
        (Some(o), _) => (o.clone(), false),
        (None, Some(m)) => (m.clone(), true),
        (None, None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "organizationId or masterOrganizationId is required",
            );
        }
    };
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20)
        .min(100);
    let offset: usize = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let all: Vec<Value> = x
        .assets
        .lock()
        .expect("state")
        .iter()
        .filter(|a| a.org == org || (children && org == ORG && a.org == CHILD))
        .filter(|a| kind.is_empty() || a.kind == kind)
        .map(summary)
        .collect();
    Json(Value::Array(
        all.into_iter().skip(offset).take(limit).collect(),
    ))
    .into_response()
}

async fn detail(
    State(x): State<Shared>,
    headers: HeaderMap,
    Path((g, a, v)): Path<(String, String, String)>,
) -> Response {
    if let Some(r) = authorized(&headers) {
        return r;
    }
    let base = x.url.lock().expect("url").clone();
    let assets = x.assets.lock().expect("state");
    let Some(asset) = assets
        .iter()
        .find(|x| x.group == g && x.id == a && x.version == v)
    else {
        return error(StatusCode::NOT_FOUND, "Asset not found");
    };
    let files: Vec<Value> = asset.files.iter().enumerate().map(|(i, f)| {
        let name = format!("{}-{}-{}-{}.{}", asset.id, asset.version, f.classifier, i, f.packaging);
        json!({"classifier": f.classifier, "packaging": f.packaging, "isGenerated": f.generated,
               "mainFile": if f.packaging == "zip" { Value::Null } else { json!(name) },
               "md5": format!("{:x}", md5ish(&f.bytes)), "createdDate": "2026-01-01T00:00:00.000Z",
               "externalLink": format!("{base}/s3/{}/{}/{}/{i}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=86400&X-Amz-Signature=abc123", asset.group, asset.id, asset.version),
               "downloadURL": format!("{base}/exchange/api/v2/assets/{}/{}/{}/files/{i}", asset.group, asset.id, asset.version)})
    }).map(|mut f| {
        // Some assets' files are only on the Anypoint host.
        if asset.id.ends_with("-hosted") {
            f["externalLink"] = Value::Null;
        }
        f
    }).collect();
    let mut body = summary(asset);
    body["files"] = Value::Array(files);
    body["instances"] = json!([]);
    Json(body).into_response()
}

/// Not MD5 (the test needs only a digest that changes with the bytes).
fn md5ish(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The presigned storage: any `Authorization` header is refused, as S3 does.
async fn storage(
    State(x): State<Shared>,
    headers: HeaderMap,
    Path((g, a, v, i)): Path<(String, String, String, usize)>,
) -> Response {
    if headers.contains_key("authorization") {
        return (StatusCode::BAD_REQUEST, "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>").into_response();
    }
    let assets = x.assets.lock().expect("state");
    match assets
        .iter()
        .find(|x| x.group == g && x.id == a && x.version == v)
        .and_then(|x| x.files.get(i))
    {
        Some(f) => f.bytes.clone().into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "<Error><Code>NoSuchKey</Code></Error>",
        )
            .into_response(),
    }
}

/// A file on the Anypoint host: the bearer token is required.
async fn hosted(
    state: State<Shared>,
    headers: HeaderMap,
    Path((g, a, v, i)): Path<(String, String, String, usize)>,
) -> Response {
    if let Some(r) = authorized(&headers) {
        return r;
    }
    storage(state, HeaderMap::new(), Path((g, a, v, i))).await
}

async fn start(assets: Vec<Asset>) -> (ContractServer, Shared) {
    let x = Arc::new(Exchange {
        url: Mutex::new(String::new()),
        assets: Mutex::new(assets),
    });
    let routes = axum::Router::new()
        .route("/accounts/api/v2/oauth2/token", post(token))
        .route("/accounts/api/me", get(me))
        .route("/exchange/api/v2/assets/search", get(search))
        .route("/exchange/api/v1/assets/{g}/{a}/{v}", get(detail))
        .route("/s3/{g}/{a}/{v}/{i}", get(storage))
        .route("/exchange/api/v2/assets/{g}/{a}/{v}/files/{i}", get(hosted))
        .with_state(x.clone());
    let server = ContractServer::start(routes).await;
    *x.url.lock().expect("url") = server.url.clone();
    (server, x)
}

fn openapi(title: &str, ops: usize) -> Vec<u8> {
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
        .into_bytes()
}

fn rest(id: &str, version: &str, ops: usize) -> Asset {
    Asset {
        org: ORG,
        group: ORG.into(),
        id: id.into(),
        version: version.into(),
        name: format!("API {id}"),
        kind: "rest-api",
        files: vec![File {
            classifier: "oas",
            packaging: "json",
            generated: false,
            bytes: openapi(id, ops),
        }],
    }
}

fn connector(server: &ContractServer, extra: Value) -> Box<dyn Connector> {
    let mut p = json!({"clientId": CLIENT, "clientSecret": SECRET, "organizationId": ORG, "baseUrl": server.url, "maxRequestsPerSecond": 100});
    for (k, v) in extra.as_object().into_iter().flatten() {
        p[k] = v.clone();
    }
    apihub_connectors::build(ImporterType::AnypointExchange, &p, &Environment::default())
        .expect("connector")
}

fn cx() -> Context {
    Context::new("i", "n")
}

struct Anypoint;

#[async_trait]
impl Subject for Anypoint {
    fn platform(&self) -> &str {
        "Anypoint Exchange"
    }

    fn secret(&self) -> &str {
        SECRET
    }

    async fn start(&self, apis: usize) -> ContractServer {
        start(
            (0..apis)
                .map(|i| rest(&format!("api-{i}"), "1.0.0", 2))
                .collect(),
        )
        .await
        .0
    }

    fn connector(&self, server: &ContractServer) -> Box<dyn Connector> {
        connector(server, json!({}))
    }

    fn listing_path(&self) -> &str {
        "/exchange/api/v2/assets/search"
    }

    fn call(&self) -> &str {
        "GET /exchange/api/v2/assets/search"
    }

    fn is_download(&self, r: &Recorded) -> bool {
        r.path.starts_with("/s3/")
    }

    fn attempts(&self) -> usize {
        5
    }
}

#[tokio::test]
async fn the_exchange_connector_passes_the_compliance_suite() {
    compliance::run(&Anypoint).await;
}

/// Lists and downloads: key → (name, revision, outcome: format and count, or why not).
async fn import(c: &dyn Connector) -> BTreeMap<String, (String, Option<String>, String)> {
    let mut got = BTreeMap::new();
    for l in list_all(c, &cx()).await.expect("list") {
        let outcome = match l.item {
            Item::Fetch(f) => match f().await {
                Ok(d) => match apihub_connectors::normalize::normalize(
                    d.bytes,
                    &Default::default(),
                    &Default::default(),
                ) {
                    Ok(n) => format!(
                        "{:?} {} ops; {:?}",
                        n.format,
                        n.operations_count(),
                        d.annotations
                    ),
                    Err(e) => format!("unreadable: {e}"),
                },
                Err(e) => format!("failed: {e}"),
            },
            Item::Skipped { reason } => format!("skipped: {reason}"),
            Item::Failed(e) => format!("failed: {e}"),
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

#[tokio::test]
async fn every_asset_comes_in_its_authored_format() {
    let raml_project = zip_of(&[
        (
            "exchange.json",
            r#"{"main": "orders.raml", "name": "Orders", "classifier": "raml", "groupId": "g", "assetId": "orders", "version": "2.0.0"}"#,
        ),
        (
            "orders.raml",
            "#%RAML 1.0\ntitle: Orders\nuses:\n  lib: exchange_modules/acme/common/1.0.0/common.raml\n/orders: !include resources/orders.raml\n/returns:\n  type: lib.collection\n",
        ),
        (
            "resources/orders.raml",
            "get:\npost:\n/{id}:\n  get:\n  delete:\n",
        ),
        (
            "exchange_modules/acme/common/1.0.0/common.raml",
            "#%RAML 1.0 Library\nresourceTypes:\n  collection:\n    get:\n    post:\n",
        ),
    ]);
    let generated = zip_of(&[(
        "api.json",
        &String::from_utf8_lossy(&openapi("generated", 9)),
    )]);
    let mut orders = rest("orders", "2.0.0", 0);
    orders.files = vec![
        File {
            classifier: "oas",
            packaging: "zip",
            generated: true,
            bytes: generated.clone(),
        },
        File {
            classifier: "fat-oas",
            packaging: "zip",
            generated: true,
            bytes: generated.clone(),
        },
        File {
            classifier: "raml",
            packaging: "zip",
            generated: false,
            bytes: raml_project,
        },
        File {
            classifier: "fat-raml",
            packaging: "zip",
            generated: true,
            bytes: generated.clone(),
        },
    ];
    let older = rest("orders", "1.9.0", 1);
    let mut soap = rest("calc", "1.0.0", 0);
    soap.kind = "soap-api";
    soap.files = vec![File { classifier: "wsdl", packaging: "wsdl", generated: false, bytes: br#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" name="Calc" targetNamespace="urn:calc"><portType name="P"><operation name="Add"/><operation name="Sub"/></portType></definitions>"#.to_vec() }];
    let mut http = rest("legacy-http", "1.0.0", 0);
    http.kind = "http-api";
    http.files = vec![];
    let mut only_generated = rest("converted", "1.0.0", 0);
    only_generated.files = vec![File {
        classifier: "oas",
        packaging: "zip",
        generated: true,
        bytes: generated,
    }];
    let mut child = rest("child-api", "1.0.0", 3);
    child.org = CHILD;
    child.group = CHILD.into();
    let (server, _) = start(vec![
        rest("pets", "1.10.0", 4),
        rest("docs-hosted", "3.0.0", 2),
        rest("pets", "1.9.2", 2),
        orders,
        older,
        soap,
        http,
        only_generated,
        child,
    ])
    .await;

    // The seed's three parameters; the org from `/accounts/api/me` without them.
    let got = import(connector(&server, json!({})).as_ref()).await;
    let key = |id: &str| format!("{ORG}/{id}");
    assert_eq!(got.len(), 6, "{got:#?}");
    assert!(
        got[&key("docs-hosted")].2.starts_with("Openapi3 2 ops"),
        "{:?}",
        got[&key("docs-hosted")]
    );
    assert_eq!(got[&key("pets")].0, "API pets");
    assert!(
        got[&key("pets")]
            .1
            .as_deref()
            .is_some_and(|r| r.starts_with("1.10.0:")),
        "{:?}",
        got[&key("pets")]
    );
    assert!(
        got[&key("pets")].2.starts_with("Openapi3 4 ops"),
        "{:?}",
        got[&key("pets")]
    );
    assert!(
        got[&key("pets")].2.contains("(\"version\", \"1.10.0\")"),
        "{:?}",
        got[&key("pets")]
    );
    // The authored RAML project, not Exchange's generated OAS: 4 + 2 operations.
    assert!(
        got[&key("orders")].2.starts_with("Raml 6 ops"),
        "{:?}",
        got[&key("orders")]
    );
    assert!(
        got[&key("calc")].2.starts_with("Wsdl 2 ops"),
        "{:?}",
        got[&key("calc")]
    );
    assert_eq!(
        got[&key("legacy-http")].2,
        "skipped: no specification in Exchange"
    );
    assert_eq!(
        got[&key("converted")].2,
        "skipped: Exchange has only generated files for it, no authored specification"
    );
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.path.starts_with("/s3/"))
            .all(|r| r.header("authorization").is_none() && r.status == 200)
    );

    let without_org = json!({"clientId": CLIENT, "clientSecret": SECRET, "baseUrl": server.url});
    let c = apihub_connectors::build(
        ImporterType::AnypointExchange,
        &without_org,
        &Environment::default(),
    )
    .expect("connector");
    assert_eq!(list_all(c.as_ref(), &cx()).await.expect("list").len(), 6);
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path == "/accounts/api/me")
    );

    // Every version, and the child business groups.
    let got = import(
        connector(
            &server,
            json!({"latestOnly": false, "includeChildBusinessGroups": true, "types": ["rest-api"]}),
        )
        .as_ref(),
    )
    .await;
    let keys: Vec<&String> = got.keys().collect();
    assert_eq!(
        keys,
        [
            format!("{CHILD}/child-api/1.0.0"),
            format!("{ORG}/converted/1.0.0"),
            format!("{ORG}/docs-hosted/3.0.0"),
            format!("{ORG}/orders/1.9.0"),
            format!("{ORG}/orders/2.0.0"),
            format!("{ORG}/pets/1.10.0"),
            format!("{ORG}/pets/1.9.2"),
        ]
        .iter()
        .collect::<Vec<_>>()
    );

    // An unknown asset type is Exchange's 400, named.
    let err = list_all(
        connector(&server, json!({"types": ["rest-apis"]})).as_ref(),
        &cx(),
    )
    .await
    .expect_err("unknown type");
    assert!(
        err.to_string()
            .contains("GET /exchange/api/v2/assets/search: HTTP 400")
            && err.to_string().contains("Invalid type rest-apis"),
        "{err}"
    );
}

#[tokio::test]
async fn a_redeployed_file_changes_only_its_assets_revision() {
    let (server, x) = start(vec![rest("a", "1.0.0", 1), rest("b", "1.0.0", 1)]).await;
    let c = connector(&server, json!({}));
    let before: BTreeMap<String, Option<String>> = list_all(c.as_ref(), &cx())
        .await
        .expect("list")
        .into_iter()
        .map(|l| (l.external_key, l.revision))
        .collect();
    x.assets.lock().expect("state")[1].files[0].bytes = openapi("b", 2);
    let after: BTreeMap<String, Option<String>> = list_all(c.as_ref(), &cx())
        .await
        .expect("list")
        .into_iter()
        .map(|l| (l.external_key, l.revision))
        .collect();
    let changed: Vec<&String> = after.keys().filter(|k| after[*k] != before[*k]).collect();
    assert_eq!(changed, [&format!("{ORG}/b")]);
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/s3/")),
        "listing downloads nothing"
    );
}

#[tokio::test]
async fn a_wrong_secret_reads_as_anypoint_said() {
    let (server, _) = start(vec![rest("a", "1.0.0", 1)]).await;
    let p = json!({"clientId": CLIENT, "clientSecret": "wrong-secret-81", "organizationId": ORG, "baseUrl": server.url});
    let c = apihub_connectors::build(ImporterType::AnypointExchange, &p, &Environment::default())
        .expect("connector");
    let err = c.check(&cx()).await.expect_err("refused");
    assert_eq!(err.kind, ErrorKind::Auth);
    assert_eq!(
        err.to_string(),
        format!(
            "Anypoint Exchange token request to {}/accounts/api/v2/oauth2/token failed: 401 invalid_client (Invalid client credentials)",
            server.url
        )
    );
    assert!(!err.to_string().contains("wrong-secret-81"));
    let check = |p: Value| {
        apihub_connectors::validate_parameters(
            ImporterType::AnypointExchange,
            &p,
            &Environment::default(),
        )
        .err()
        .map(|e| e.field)
    };
    assert_eq!(
        check(json!({"clientId": CLIENT})),
        Some("parameters.clientSecret".into())
    );
    assert_eq!(
        check(json!({"clientId": CLIENT, "clientSecret": "s", "types": ["REST API"]})),
        Some("parameters.types".into())
    );
    assert_eq!(
        check(json!({"clientId": CLIENT, "clientSecret": "s", "region": "eu1"})),
        None
    );
}

/// MuleSoft's own CLI (npm `anypoint-cli-exchange-plugin`) names the asset
/// detail path the connector reads, and the v2 assets collection its search is
/// under: its URL helpers, run with node, must give the paths the connector asked
/// the contract server for.
#[tokio::test]
async fn mulesofts_cli_names_the_same_paths() {
    let Some(cli) = apihub_connectors::testkit::peers::peer(
        "APIHUB_EXCHANGE_CLI",
        "anypoint-cli-exchange-plugin-1.0.12/package",
    ) else {
        return;
    };
    let (server, _) = start(vec![rest("pets", "1.10.0", 1)]).await;
    list_all(
        connector(&server, json!({"types": ["rest-api"]})).as_ref(),
        &cx(),
    )
    .await
    .expect("list");
    let script = "const u = require(process.argv[1] + '/lib/helpers/uris.js'); \
                  console.log(JSON.stringify([u.asset({groupId: process.argv[2], assetId: 'pets', version: '1.10.0'}), u.v2Assets]));";
    let out = std::process::Command::new("node")
        .args(["-e", script])
        .arg(&cli)
        .arg(ORG)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let paths: Vec<String> = serde_json::from_slice(&out.stdout).expect("json");
    let asked: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert!(asked.contains(&paths[0]), "{} not in {asked:?}", paths[0]);
    assert!(asked.contains(&format!("{}/search", paths[1])), "{asked:?}");
}
