//! The `aws_api_gateway` connector against moto, a real AWS emulator, through the
//! AWS SDK: what AWS says when it refuses the credentials, the connection check,
//! an assumed role, throttling retried with spacing, and revisions that let an
//! unchanged account be listed without a single export. Sync semantics through the
//! daemon are in the daemon's tests.

use std::time::Duration;

use apihub_connectors::connector::list_all;
use apihub_connectors::testkit::moto::{ACCOUNT, Moto, import};
use apihub_connectors::testkit::server::{ContractServer, Fault};
use apihub_connectors::{Connector, Context, Environment, ErrorKind, ImporterType, Item};
use serde_json::{Value, json};

fn connector(endpoint: &str, extra: Value) -> Box<dyn Connector> {
    let mut params = json!({"accessKeyId": "AKIDTEST", "secretAccessKey": "test-secret-4242",
                            "regions": ["us-east-1"], "endpointUrl": endpoint});
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        params[k] = v;
    }
    apihub_connectors::build(
        ImporterType::AwsApiGateway,
        &params,
        &Environment::default(),
    )
    .expect("connector")
}

fn cx() -> Context {
    Context::new("aws", "aws")
}

#[tokio::test]
async fn refused_credentials_name_the_region_the_call_and_what_aws_said() {
    // moto checks credentials against its IAM when this is 0; none exist.
    let Some(moto) = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]).await else {
        return;
    };
    let c = connector(
        &moto.url,
        json!({"regions": ["eu-west-1"], "organizationId": ACCOUNT,
                                         "secretAccessKey": "very-wrong-secret-9876"}),
    );
    let err = list_all(c.as_ref(), &cx()).await.expect_err("refused");
    assert_eq!(err.kind, ErrorKind::Auth, "{err}");
    assert!(
        err.message.contains("eu-west-1") && err.message.contains("GetRestApis"),
        "{err}"
    );
    assert!(
        [
            "security token",
            "InvalidClientTokenId",
            "UnrecognizedClient"
        ]
        .iter()
        .any(|s| err.message.contains(s)),
        "{err}"
    );
    assert!(!err.message.contains("very-wrong-secret-9876"));
    let check = c.check(&cx()).await.expect_err("the check refuses too");
    assert_eq!(check.kind, ErrorKind::Auth);
}

#[tokio::test]
async fn the_check_accepts_good_keys() {
    let Some(moto) = Moto::start(&[]).await else {
        return;
    };
    connector(&moto.url, json!({}))
        .check(&cx())
        .await
        .expect("good keys");
}

#[tokio::test]
async fn an_assumed_role_is_used_when_configured() {
    let Some(moto) = Moto::start(&[]).await else {
        return;
    };
    import(&moto, "us-east-1", "Pets", &[("get", "/pets")], &["prod"]).await;
    let c = connector(
        &moto.url,
        json!({"roleArn": format!("arn:aws:iam::{ACCOUNT}:role/apihub-reader"), "externalId": "ext-42"}),
    );
    let items = list_all(c.as_ref(), &cx())
        .await
        .expect("list through the role");
    assert_eq!(items.len(), 1);
    // The account id came from STS (no organizationId given).
    assert!(
        items[0]
            .external_key
            .starts_with(&format!("{ACCOUNT}:us-east-1:")),
        "{items:?}"
    );
}

#[tokio::test]
async fn throttled_calls_are_retried_with_spacing() {
    let Some(moto) = Moto::start(&[]).await else {
        return;
    };
    import(&moto, "us-east-1", "Pets", &[("get", "/pets")], &["prod"]).await;
    let proxy = ContractServer::proxy(&moto.url).await;
    let throttled = Fault::status(429, "{\"message\": \"Too Many Requests\"}")
        .header("x-amzn-errortype", "TooManyRequestsException")
        .header("content-type", "application/json");
    proxy.fault("/", throttled, 3);
    let c = connector(&proxy.url, json!({"organizationId": ACCOUNT}));
    let items = list_all(c.as_ref(), &cx())
        .await
        .expect("the listing survives throttling");
    assert_eq!(items.len(), 1);
    let calls = proxy.requests();
    assert_eq!(
        calls.iter().take(4).map(|c| c.status).collect::<Vec<_>>(),
        [429, 429, 429, 200]
    );
    for pair in calls[..4].windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= Duration::from_millis(190),
            "retries must be spaced: {gap:?}"
        );
    }
}

/// Listing twice gives the same revisions (a stage's deployment) without one
/// export; a new deployment changes the stage's revision.
#[tokio::test]
async fn revisions_follow_deployments_and_listing_exports_nothing() {
    let Some(moto) = Moto::start(&[]).await else {
        return;
    };
    let id = import(
        &moto,
        "us-east-1",
        "Pets",
        &[("get", "/pets")],
        &["prod", "dev"],
    )
    .await;
    let proxy = ContractServer::proxy(&moto.url).await;
    let c = connector(
        &proxy.url,
        json!({"organizationId": ACCOUNT, "includeHttpApis": false}),
    );
    let revisions = |items: &[apihub_connectors::Listed]| -> Vec<(String, Option<String>)> {
        items
            .iter()
            .map(|l| (l.external_key.clone(), l.revision.clone()))
            .collect()
    };
    let first = list_all(c.as_ref(), &cx()).await.expect("list");
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|l| l.revision.is_some()), "{first:?}");
    assert!(
        !proxy
            .requests()
            .iter()
            .any(|r| r.path.contains("/exports/")),
        "listing must not export"
    );
    for l in first {
        if let Item::Fetch(f) = l.item {
            assert!(!f().await.expect("export").bytes.is_empty());
        }
    }
    let again = list_all(c.as_ref(), &cx()).await.expect("list");
    let moto_v1 = moto.v1("us-east-1").await;
    moto_v1
        .create_deployment()
        .rest_api_id(&id)
        .stage_name("dev")
        .send()
        .await
        .expect("redeploy");
    let after = list_all(c.as_ref(), &cx()).await.expect("list");
    let (a, b) = (revisions(&again), revisions(&after));
    assert_eq!(a[0], b[0], "the untouched stage keeps its revision");
    assert_ne!(a[1], b[1], "the redeployed stage has a new one");
}
