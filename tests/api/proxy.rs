//! A forwarding proxy on loopback that refuses the first requests (429 with
//! `Retry-After`, AWS's `TooManyRequestsException`, ...) and logs every request
//! with its time and status, to test retries against real peers.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone)]
pub struct Hit {
    /// `METHOD /path`.
    pub line: String,
    pub at: Instant,
    pub status: u16,
}

/// How the first `count` requests are answered instead of forwarded.
#[derive(Clone)]
pub struct Refusal {
    pub count: usize,
    pub status: StatusCode,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: &'static str,
}

pub struct Proxy {
    pub url: String,
    pub log: Arc<Mutex<Vec<Hit>>>,
}

impl Proxy {
    pub fn hits(&self) -> Vec<Hit> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    refuse: Refusal,
    log: Arc<Mutex<Vec<Hit>>>,
}

fn record(s: &Shared, line: String, status: u16) {
    if let Ok(mut l) = s.log.lock() {
        l.push(Hit {
            line,
            at: Instant::now(),
            status,
        });
    }
}

async fn forward(State(s): State<Shared>, req: Request) -> Response {
    let line = format!("{} {}", req.method(), req.uri().path());
    if s.log.lock().map(|l| l.len()).unwrap_or(0) < s.refuse.count {
        record(&s, line, s.refuse.status.as_u16());
        let mut resp = (s.refuse.status, s.refuse.body).into_response();
        for (k, v) in &s.refuse.headers {
            if let (Ok(name), Ok(value)) = (k.parse::<axum::http::HeaderName>(), v.parse()) {
                resp.headers_mut().insert(name, value);
            }
        }
        return resp;
    }
    let url = format!(
        "{}{}",
        s.upstream,
        req.uri()
            .path_and_query()
            .map(|x| x.as_str())
            .unwrap_or("/")
    );
    let (method, headers) = (req.method().clone(), req.headers().clone());
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let mut fwd = s.http.request(method, &url).body(body.to_vec());
    for (k, v) in &headers {
        if k != "host" && k != "content-length" {
            fwd = fwd.header(k, v);
        }
    }
    let upstream = fwd.send().await.expect("upstream answers");
    let status = upstream.status().as_u16();
    let resp_headers = upstream.headers().clone();
    let bytes = upstream.bytes().await.unwrap_or_default();
    record(&s, line, status);
    let mut out = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
        bytes,
    )
        .into_response();
    for (k, v) in &resp_headers {
        if k != "content-length" && k != "transfer-encoding" {
            out.headers_mut().insert(k, v.clone());
        }
    }
    out
}

pub async fn start(upstream: &str, refuse: Refusal) -> Proxy {
    let log = Arc::new(Mutex::new(Vec::new()));
    let shared = Shared {
        upstream: upstream.to_owned(),
        http: reqwest::Client::new(),
        refuse,
        log: log.clone(),
    };
    let app = axum::Router::new().fallback(forward).with_state(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    Proxy {
        url: format!("http://{addr}"),
        log,
    }
}
