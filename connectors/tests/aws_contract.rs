//! The `aws_api_gateway` connector through the AWS SDK against a contract server
//! built from API Gateway's published REST API (`GetRestApis` paged by
//! `position`, `GetStages`, `GetExport`; errors as `x-amzn-ErrorType` with a JSON
//! `message`), running the connector compliance suite. moto, the emulator the
//! daemon's tests use, ignores page sizes, so paging and faults are checked here.

use std::sync::Arc;

use apihub_connectors::testkit::compliance::{self, Subject};
use apihub_connectors::testkit::server::{ContractServer, Fault, Recorded};
use apihub_connectors::{Connector, Environment, ImporterType};
use async_trait::async_trait;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use serde_json::{Value, json};

const SECRET: &str = "wJalrXUtnFEMI-compliance-secret";
/// API Gateway may answer fewer items than asked for; this one pages by two.
const PAGE: usize = 2;

#[derive(Clone)]
struct Apis(Arc<Vec<String>>);

async fn rest_apis(
    State(apis): State<Apis>,
    Query(q): Query<Vec<(String, String)>>,
) -> Json<Value> {
    let start: usize = q
        .iter()
        .find(|(k, _)| k == "position")
        .and_then(|(_, v)| v.strip_prefix("p").and_then(|n| n.parse().ok()))
        .unwrap_or(0);
    let items: Vec<Value> = apis.0[start.min(apis.0.len())..]
        .iter()
        .take(PAGE)
        .map(|id| json!({"id": id, "name": format!("API {id}"), "createdDate": 1_700_000_000}))
        .collect();
    let next = start + PAGE;
    if next < apis.0.len() {
        Json(json!({"item": items, "position": format!("p{next}")}))
    } else {
        Json(json!({"item": items}))
    }
}

async fn stages(Path(id): Path<String>) -> Json<Value> {
    Json(json!({"item": [
        {"stageName": "prod", "deploymentId": format!("dep-{id}"), "lastUpdatedDate": 1_700_000_100},
    ]}))
}

async fn export(
    Path((id, stage, _kind)): Path<(String, String, String)>,
) -> ([(&'static str, &'static str); 1], String) {
    let doc = json!({"openapi": "3.0.1", "info": {"title": format!("API {id}"), "version": stage},
                     "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok"}}}}}});
    ([("content-type", "application/json")], doc.to_string())
}

struct Aws;

#[async_trait]
impl Subject for Aws {
    fn platform(&self) -> &str {
        "AWS"
    }

    fn secret(&self) -> &str {
        SECRET
    }

    async fn start(&self, apis: usize) -> ContractServer {
        let ids = Apis(Arc::new((0..apis).map(|i| format!("api{i}")).collect()));
        let routes = axum::Router::new()
            .route("/restapis", get(rest_apis))
            .route("/restapis/{id}/stages", get(stages))
            .route("/restapis/{id}/stages/{stage}/exports/{kind}", get(export))
            .with_state(ids);
        ContractServer::start(routes).await
    }

    fn connector(&self, server: &ContractServer) -> Box<dyn Connector> {
        let params = json!({"accessKeyId": "AKIDCOMPLIANCE", "secretAccessKey": SECRET, "organizationId": "123456789012",
                            "regions": ["us-east-1"], "includeHttpApis": false, "endpointUrl": server.url,
                            "maxAttempts": 3, "maxRequestsPerSecond": 10});
        apihub_connectors::build(
            ImporterType::AwsApiGateway,
            &params,
            &Environment::default(),
        )
        .expect("connector")
    }

    fn listing_path(&self) -> &str {
        "/restapis"
    }

    fn call(&self) -> &str {
        "GetRestApis"
    }

    fn is_download(&self, r: &Recorded) -> bool {
        r.path.contains("/exports/")
    }

    fn attempts(&self) -> usize {
        3
    }

    fn refusal(&self) -> Fault {
        Fault::status(
            403,
            "{\"message\": \"The security token included in the request is invalid.\"}",
        )
        .header("x-amzn-errortype", "UnrecognizedClientException")
        .header("content-type", "application/json")
    }
}

#[tokio::test]
async fn the_aws_connector_passes_the_compliance_suite() {
    compliance::run(&Aws).await;
}

/// Through the contract server: keys are `account:region:apiId:stage`, revisions
/// follow the stage's deployment.
#[tokio::test]
async fn keys_and_revisions_come_from_stages() {
    let server = Aws.start(3).await;
    let c = Aws.connector(&server);
    let items = apihub_connectors::connector::list_all(
        c.as_ref(),
        &apihub_connectors::Context::new("i", "n"),
    )
    .await
    .expect("list");
    let keys: Vec<&str> = items.iter().map(|l| l.external_key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "123456789012:us-east-1:api0:prod",
            "123456789012:us-east-1:api1:prod",
            "123456789012:us-east-1:api2:prod"
        ]
    );
    assert!(
        items.iter().all(|l| l
            .revision
            .as_deref()
            .is_some_and(|r| r.starts_with("dep-api"))),
        "{items:?}"
    );
    assert_eq!(items[0].name.as_deref(), Some("API api0 (prod)"));
}

/// The connector pointed at `endpoint`, one attempt, so a network failure is final.
fn unreachable(endpoint: &str) -> Box<dyn Connector> {
    let params = json!({"accessKeyId": "AKIDCOMPLIANCE", "secretAccessKey": SECRET, "organizationId": "123456789012",
                        "regions": ["us-east-1"], "includeHttpApis": false, "endpointUrl": endpoint,
                        "maxAttempts": 1});
    apihub_connectors::build(
        ImporterType::AwsApiGateway,
        &params,
        &Environment::default(),
    )
    .expect("connector")
}

/// The SDK says "dispatch failure"; the operator reads what happened underneath.
#[tokio::test]
async fn network_failures_print_their_cause() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let cx = apihub_connectors::Context::new("i", "n");
    let c = unreachable(&format!("http://127.0.0.1:{port}"));
    let err = apihub_connectors::connector::list_all(c.as_ref(), &cx)
        .await
        .expect_err("nothing listens");
    let text = err.to_string();
    assert!(text.to_lowercase().contains("connection refused"), "{text}");
    assert!(text.contains("us-east-1"), "{text}");
    assert!(!text.contains(SECRET), "{text}");

    let c = unreachable("http://no-such-host.invalid");
    let err = apihub_connectors::connector::list_all(c.as_ref(), &cx)
        .await
        .expect_err("no such host");
    let text = err.to_string();
    assert!(text.contains("no-such-host.invalid"), "{text}");
}
