//! The shared HTTP toolkit (`apihub_connectors::http`) against a token endpoint and
//! a protected API built from the OAuth 2 documents: RFC 6749 (client credentials
//! §4.4, refresh §6, error answers §5.2: `{"error", "error_description"}` with 400
//! or 401), RFC 7523 (JWT bearer assertions, checked here with the signer's public
//! key) and RFC 6750 (a refused bearer token is a 401 with `WWW-Authenticate`).
//! Also: presigned downloads carry no credentials, answers over the size cap are
//! errors, and the timeout always applies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apihub_connectors::http::oauth::{Body, Cached, Grant, ServiceAccountKey, TokenSource};
use apihub_connectors::http::{Http, HttpOptions};
use apihub_connectors::params::Secret;
use apihub_connectors::testkit::keys::rsa_key_pair;
use apihub_connectors::testkit::server::{ContractServer, Fault};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const CLIENT_ID: &str = "apihub-client";
const SECRET: &str = "client-secret-7f3a9c";
const REFRESH: &str = "refresh-token-51be";
const EMAIL: &str = "importer@project.iam.gserviceaccount.com";
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

#[derive(Default)]
struct Auth {
    /// The one token the API accepts ("" after a revocation).
    current: String,
    issued: usize,
    expires_in: u64,
    /// Refuse every token, even a fresh one.
    refuse_all: bool,
    /// The public key that must have signed JWT bearer assertions (PEM).
    signer: Option<String>,
    token_url: String,
}

type Shared = Arc<Mutex<Auth>>;

fn oauth_error(status: StatusCode, code: &str, text: &str) -> Response {
    (
        status,
        Json(json!({"error": code, "error_description": text})),
    )
        .into_response()
}

/// The request's fields, from a form or (as some platforms take) a JSON body.
fn fields(headers: &HeaderMap, body: &[u8]) -> HashMap<String, String> {
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if json {
        serde_json::from_slice::<HashMap<String, String>>(body).unwrap_or_default()
    } else {
        url::form_urlencoded::parse(body).into_owned().collect()
    }
}

async fn token(State(auth): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let f = fields(&headers, &body);
    let field = |k: &str| f.get(k).map(String::as_str).unwrap_or_default();
    let mut a = auth.lock().expect("state");
    let granted = match field("grant_type") {
        "client_credentials" => field("client_id") == CLIENT_ID && field("client_secret") == SECRET,
        "refresh_token" => field("client_secret") == SECRET && field("refresh_token") == REFRESH,
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
            let Some(pem) = a.signer.clone() else {
                return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "no key");
            };
            let key = jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()).expect("public key");
            let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
            v.set_audience(&[a.token_url.as_str()]);
            v.set_issuer(&[EMAIL]);
            match jsonwebtoken::decode::<Value>(field("assertion"), &key, &v) {
                Ok(data) => data.claims["scope"] == SCOPE,
                Err(e) => {
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", &e.to_string());
                }
            }
        }
        other => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("`{other}`"),
            );
        }
    };
    if !granted {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    a.issued += 1;
    a.current = format!("access-{}", a.issued);
    Json(json!({"access_token": a.current, "token_type": "Bearer", "expires_in": a.expires_in}))
        .into_response()
}

async fn things(State(auth): State<Shared>, headers: HeaderMap) -> Response {
    let a = auth.lock().expect("state");
    let sent = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if a.refuse_all || a.current.is_empty() || sent != Some(a.current.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            [("www-authenticate", "Bearer error=\"invalid_token\"")],
            Json(json!({"message": "invalid token"})),
        )
            .into_response();
    }
    Json(json!({"items": [1, 2, 3]})).into_response()
}

async fn blob() -> &'static str {
    "document bytes"
}

async fn big() -> String {
    "x".repeat(5000)
}

async fn big_chunked() -> axum::body::Body {
    let chunks = (0..5).map(|_| Ok::<_, std::io::Error>(Bytes::from("y".repeat(1000))));
    axum::body::Body::from_stream(futures_util::stream::iter(chunks))
}

async fn platform(expires_in: u64) -> (ContractServer, Shared) {
    let auth: Shared = Arc::new(Mutex::new(Auth {
        expires_in,
        ..Auth::default()
    }));
    let routes = axum::Router::new()
        .route("/oauth/token", post(token))
        .route("/things", get(things))
        .route("/blob", get(blob))
        .route("/big", get(big))
        .route("/big-chunked", get(big_chunked))
        .with_state(auth.clone());
    let server = ContractServer::start(routes).await;
    auth.lock().expect("state").token_url = format!("{}/oauth/token", server.url);
    (server, auth)
}

fn http() -> Http {
    let mut opts = HttpOptions::new("Example Cloud");
    opts.retry.max_attempts = 2;
    opts.retry.min_delay = Duration::from_millis(10);
    Http::new(opts).expect("client")
}

fn client_credentials(server: &ContractServer, secret: &str, body: Body) -> Cached {
    Cached::new(
        format!("{}/oauth/token", server.url),
        Grant::ClientCredentials {
            client_id: CLIENT_ID.into(),
            client_secret: Secret::new(secret),
            scope: None,
            body,
        },
    )
}

async fn get_things(
    http: &Http,
    server: &ContractServer,
    auth: &dyn TokenSource,
) -> Result<Value, apihub_connectors::ConnectorError> {
    let url = format!("{}/things", server.url);
    let resp = http
        .send_authed(&CancellationToken::new(), "GET /things", auth, &move |c| {
            c.get(&url)
        })
        .await?;
    http.json("GET /things", resp).await
}

#[tokio::test]
async fn tokens_are_cached_until_shortly_before_they_expire() {
    let (server, _) = platform(3600).await;
    let http = http();
    let auth = client_credentials(&server, SECRET, Body::Form);
    for _ in 0..3 {
        get_things(&http, &server, &auth).await.expect("things");
    }
    assert_eq!(server.count("/oauth/token"), 1, "one token for three calls");
    assert_eq!(server.count("/things"), 3);
    let sent = &server.requests()[0];
    assert_eq!(
        sent.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );

    // A token that expires within the refresh margin (60 s) is fetched anew.
    let (server, _) = platform(30).await;
    let auth = client_credentials(&server, SECRET, Body::Form);
    for _ in 0..3 {
        get_things(&http, &server, &auth).await.expect("things");
    }
    assert_eq!(server.count("/oauth/token"), 3);
}

#[tokio::test]
async fn a_401_fetches_one_new_token_and_a_second_is_an_auth_error() {
    let (server, state) = platform(3600).await;
    let http = http();
    let auth = client_credentials(&server, SECRET, Body::Json);
    get_things(&http, &server, &auth).await.expect("first");
    state.lock().expect("state").current.clear(); // revoked on the platform
    get_things(&http, &server, &auth)
        .await
        .expect("after a refresh");
    assert_eq!(server.count("/oauth/token"), 2);
    assert_eq!(
        server.requests()[0].header("content-type"),
        Some("application/json"),
        "the JSON-body grant posts JSON"
    );

    state.lock().expect("state").refuse_all = true;
    let err = get_things(&http, &server, &auth)
        .await
        .expect_err("refused");
    assert_eq!(err.kind, apihub_connectors::ErrorKind::Auth, "{err}");
    assert_eq!(
        server.count("/oauth/token"),
        3,
        "exactly one refresh per refusal"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("Example Cloud GET /things: HTTP 401"),
        "{text}"
    );
    assert!(
        !text.contains(SECRET) && !text.contains("access-"),
        "{text}"
    );
}

#[tokio::test]
async fn a_refused_token_request_names_the_endpoint_and_the_error_never_the_secret() {
    let (server, _) = platform(3600).await;
    let wrong = "wrong-secret-0d41";
    let auth = client_credentials(&server, wrong, Body::Form);
    let err = get_things(&http(), &server, &auth)
        .await
        .expect_err("refused");
    assert_eq!(err.kind, apihub_connectors::ErrorKind::Auth);
    let text = err.to_string();
    assert_eq!(
        text,
        format!(
            "Example Cloud token request to {}/oauth/token failed: 401 invalid_client (Client authentication failed)",
            server.url
        )
    );
    assert!(!text.contains(wrong));
    assert_eq!(server.count("/things"), 0);
}

#[tokio::test]
async fn refresh_token_grants_send_the_refresh_token() {
    let (server, _) = platform(3600).await;
    let auth = Cached::new(
        format!("{}/oauth/token", server.url),
        Grant::RefreshToken {
            client_id: CLIENT_ID.into(),
            client_secret: Secret::new(SECRET),
            refresh_token: Secret::new(REFRESH),
        },
    );
    let got = get_things(&http(), &server, &auth).await.expect("things");
    assert_eq!(got["items"], json!([1, 2, 3]));
}

#[tokio::test]
async fn jwt_bearer_assertions_are_signed_rs256_by_the_service_account_key() {
    let (server, state) = platform(3600).await;
    let (private, public) = rsa_key_pair();
    state.lock().expect("state").signer = Some(public);
    let grant = |private_key: String| Grant::JwtBearer {
        key: ServiceAccountKey {
            client_email: EMAIL.into(),
            private_key,
            token_uri: None,
        },
        scope: SCOPE.into(),
    };
    let auth = Cached::new(format!("{}/oauth/token", server.url), grant(private));
    let got = get_things(&http(), &server, &auth).await.expect("things");
    assert_eq!(got["items"], json!([1, 2, 3]));

    // Signed by another key: the endpoint refuses the assertion.
    let (other, _) = rsa_key_pair();
    let auth = Cached::new(format!("{}/oauth/token", server.url), grant(other));
    let err = get_things(&http(), &server, &auth)
        .await
        .expect_err("wrong signer");
    assert!(err.to_string().contains("400 invalid_grant"), "{err}");
}

#[tokio::test]
async fn presigned_downloads_carry_no_credentials() {
    let (server, _) = platform(3600).await;
    let http = http();
    let auth = client_credentials(&server, SECRET, Body::Form);
    get_things(&http, &server, &auth).await.expect("things");
    let bytes = http
        .download_unauthenticated(
            &CancellationToken::new(),
            "download",
            &format!("{}/blob?X-Amz-Signature=abc", server.url),
        )
        .await
        .expect("download");
    assert_eq!(bytes, b"document bytes");
    let blob = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/blob")
        .expect("recorded");
    assert!(blob.header("authorization").is_none(), "{:?}", blob.headers);
    assert!(blob.header("cookie").is_none());

    let err = http
        .download_unauthenticated(
            &CancellationToken::new(),
            "download",
            "not a url?sig=s3cr3t",
        )
        .await
        .expect_err("not a URL");
    assert!(!err.to_string().contains("s3cr3t"), "{err}");
}

#[tokio::test]
async fn answers_over_the_size_cap_are_errors_not_truncations() {
    let (server, _) = platform(3600).await;
    let mut opts = HttpOptions::new("Example Cloud");
    opts.max_body_bytes = 1000;
    let http = Http::new(opts).expect("client");
    for path in ["/big", "/big-chunked"] {
        let url = format!("{}{path}", server.url);
        let resp = http
            .send(&CancellationToken::new(), path, &move |c| c.get(&url))
            .await
            .expect("answer");
        let err = http.bytes(path, resp).await.expect_err("over the cap");
        assert_eq!(
            err.to_string(),
            format!("Example Cloud {path}: the answer is larger than 1000 bytes")
        );
    }
}

#[tokio::test]
async fn the_timeout_always_applies() {
    let (server, _) = platform(3600).await;
    server.fault("/blob", Fault::Slow(Duration::from_secs(4)), 1);
    let mut opts = HttpOptions::new("Example Cloud");
    opts.timeout = Duration::from_secs(1);
    opts.retry.max_attempts = 1;
    let http = Http::new(opts).expect("client");
    let url = format!("{}/blob", server.url);
    let err = http
        .send(&CancellationToken::new(), "GET /blob", &move |c| {
            c.get(&url)
        })
        .await
        .expect_err("too slow");
    assert_eq!(err.kind, apihub_connectors::ErrorKind::Transient);
    assert_eq!(
        err.to_string(),
        "Example Cloud GET /blob: timed out after 1 s"
    );
}
