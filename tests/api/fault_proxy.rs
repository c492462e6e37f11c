//! A fault-injecting HTTP proxy on loopback: by a fixed schedule it answers 429 or
//! 503 without forwarding, or forwards the request and then drops the connection
//! before any answer (the hub did the work, the client never hears of it).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Forward,
    TooMany,
    Unavailable,
    DropAfterForward,
}

/// The fault for the `n`-th request (1-based) that is the `attempt`-th with its
/// `X-Request-Id` (1 for a request without one).
pub type Schedule = fn(usize, usize) -> Fault;

#[derive(Default)]
pub struct Tally {
    pub requests: AtomicUsize,
    pub dropped_after_forward: AtomicUsize,
    pub refused: AtomicUsize,
    attempts: std::sync::Mutex<std::collections::HashMap<String, usize>>,
}

pub struct FaultProxy {
    pub url: String,
    pub tally: Arc<Tally>,
}

async fn handle(
    upstream: Arc<String>,
    http: reqwest::Client,
    schedule: Schedule,
    tally: Arc<Tally>,
    req: Request<Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    let n = tally.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let attempt = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map_or(1, |id| {
            let mut seen = tally.attempts.lock().expect("lock");
            let count = seen.entry(id.to_owned()).or_insert(0);
            *count += 1;
            *count
        });
    let fault = schedule(n, attempt);
    let refuse = |status: StatusCode| {
        tally.refused.fetch_add(1, Ordering::SeqCst);
        let mut resp = Response::new(Body::from("try again"));
        *resp.status_mut() = status;
        resp.headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("0"));
        Ok(resp)
    };
    match fault {
        Fault::TooMany => return refuse(StatusCode::TOO_MANY_REQUESTS),
        Fault::Unavailable => return refuse(StatusCode::SERVICE_UNAVAILABLE),
        Fault::Forward | Fault::DropAfterForward => {}
    }
    let url = format!(
        "{upstream}{}",
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
    );
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(Body::new(body), usize::MAX)
        .await
        .map_err(std::io::Error::other)?;
    let mut fwd = http.request(parts.method, &url).body(body);
    for (k, v) in &parts.headers {
        if k != "host" && k != "content-length" {
            fwd = fwd.header(k, v);
        }
    }
    let answer = fwd.send().await.map_err(std::io::Error::other)?;
    let status = answer.status();
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.map_err(std::io::Error::other)?;
    if fault == Fault::DropAfterForward {
        tally.dropped_after_forward.fetch_add(1, Ordering::SeqCst);
        // An error from the service makes hyper close the connection unanswered.
        return Err(std::io::Error::other("dropped after forwarding"));
    }
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    for (k, v) in &headers {
        if k != "content-length" && k != "transfer-encoding" {
            resp.headers_mut().insert(k, v.clone());
        }
    }
    Ok(resp)
}

pub async fn start(upstream: &str, schedule: Schedule) -> FaultProxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let tally = Arc::new(Tally::default());
    let (upstream, t) = (Arc::new(upstream.to_owned()), tally.clone());
    let http = reqwest::Client::new();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (upstream, http, tally) = (upstream.clone(), http.clone(), t.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    handle(upstream.clone(), http.clone(), schedule, tally.clone(), req)
                });
                let _ = Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    FaultProxy {
        url: format!("http://{addr}"),
        tally,
    }
}
