//! A platform on loopback for connector tests: the test's own routes (built from
//! the platform's published API) or a real peer behind a forwarding proxy, with
//! scripted faults and a log of every request.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tower::ServiceExt;

/// What a scripted fault answers instead of the platform.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status, these headers and this body.
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// The real answer, after this long.
    Slow(Duration),
    /// The connection is closed without an answer (after forwarding, in proxy mode).
    Drop,
}

impl Fault {
    pub fn status(status: u16, body: &str) -> Fault {
        Fault::Status {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Fault {
        if let Fault::Status { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// 429 with `Retry-After: <secs>`.
    pub fn throttled(secs: u64) -> Fault {
        Fault::status(429, "{\"message\": \"Too Many Requests\"}")
            .header("retry-after", &secs.to_string())
            .header("content-type", "application/json")
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub at: Instant,
    /// What was answered (0: the connection was dropped).
    pub status: u16,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

struct Scripted {
    /// Requests whose path starts with this get the fault.
    prefix: String,
    fault: Fault,
    times: usize,
}

/// Decides a fault from the request's number (1-based) and headers.
pub type Chaos = Box<dyn Fn(usize, &HeaderMap) -> Option<Fault> + Send + Sync>;

#[derive(Default)]
struct Shared {
    log: Mutex<Vec<Recorded>>,
    faults: Mutex<VecDeque<Scripted>>,
    chaos: Mutex<Option<Chaos>>,
    seen: std::sync::atomic::AtomicUsize,
}

enum Target {
    Routes(Router),
    Upstream { url: String, http: reqwest::Client },
}

/// A contract server (or proxy) on a free loopback port, stopped when dropped.
pub struct ContractServer {
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ContractServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ContractServer {
    /// Serves `routes`.
    pub async fn start(routes: Router) -> ContractServer {
        Self::spawn(Target::Routes(routes)).await
    }

    /// Forwards every request to `upstream` (a real peer such as moto).
    pub async fn proxy(upstream: &str) -> ContractServer {
        Self::spawn(Target::Upstream {
            url: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        })
        .await
    }

    async fn spawn(target: Target) -> ContractServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let shared = Arc::new(Shared::default());
        let target = Arc::new(target);
        let state = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (shared, target) = (state.clone(), target.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        handle(shared.clone(), target.clone(), req)
                    });
                    let _ = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        ContractServer { url, shared, task }
    }

    /// The next `times` requests whose path starts with `prefix` get `fault`.
    pub fn fault(&self, prefix: &str, fault: Fault, times: usize) {
        if let Ok(mut f) = self.shared.faults.lock() {
            f.push_back(Scripted {
                prefix: prefix.to_owned(),
                fault,
                times,
            });
        }
    }

    /// Every request not taken by a scripted fault asks `chaos` for one.
    pub fn chaos(
        &self,
        chaos: impl Fn(usize, &HeaderMap) -> Option<Fault> + Send + Sync + 'static,
    ) {
        if let Ok(mut c) = self.shared.chaos.lock() {
            *c = Some(Box::new(chaos));
        }
    }

    /// Removes every scripted fault not used yet.
    pub fn clear_faults(&self) {
        if let Ok(mut f) = self.shared.faults.lock() {
            f.clear();
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    pub fn clear_requests(&self) {
        if let Ok(mut l) = self.shared.log.lock() {
            l.clear();
        }
    }

    /// Requests to exactly `path`.
    pub fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path == path).count()
    }
}

fn take_fault(shared: &Shared, path: &str) -> Option<Fault> {
    let mut faults = shared.faults.lock().ok()?;
    let i = faults.iter().position(|f| path.starts_with(&f.prefix))?;
    let fault = faults[i].fault.clone();
    faults[i].times -= 1;
    if faults[i].times == 0 {
        faults.remove(i);
    }
    Some(fault)
}

fn record(shared: &Shared, parts: &axum::http::request::Parts, at: Instant, status: u16) {
    if let Ok(mut log) = shared.log.lock() {
        log.push(Recorded {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().unwrap_or("").to_owned(),
            headers: parts.headers.clone(),
            at,
            status,
        });
    }
}

async fn handle(
    shared: Arc<Shared>,
    target: Arc<Target>,
    req: Request<Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    let at = Instant::now();
    let (parts, body) = req.into_parts();
    let n = shared
        .seen
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        + 1;
    let fault = take_fault(&shared, parts.uri.path()).or_else(|| {
        let chaos = shared.chaos.lock().ok()?;
        chaos.as_ref().and_then(|f| f(n, &parts.headers))
    });
    if let Some(Fault::Status {
        status,
        headers,
        body,
    }) = &fault
    {
        record(&shared, &parts, at, *status);
        let mut resp = Response::new(Body::from(body.clone()));
        *resp.status_mut() =
            StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (k, v) in headers {
            if let (Ok(k), Ok(v)) = (
                axum::http::HeaderName::from_bytes(k.as_bytes()),
                axum::http::HeaderValue::from_str(v),
            ) {
                resp.headers_mut().insert(k, v);
            }
        }
        return Ok(resp);
    }
    if let Some(Fault::Slow(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let body = axum::body::to_bytes(Body::new(body), usize::MAX)
        .await
        .map_err(std::io::Error::other)?;
    let resp = match target.as_ref() {
        Target::Routes(router) => {
            let req = Request::from_parts(parts.clone(), Body::from(body));
            match router.clone().oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            }
        }
        Target::Upstream { url, http } => {
            let full = format!(
                "{url}{}",
                parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/")
            );
            let mut fwd = http.request(parts.method.clone(), &full).body(body);
            for (k, v) in &parts.headers {
                if k != "host" && k != "content-length" {
                    fwd = fwd.header(k, v);
                }
            }
            let answer = fwd.send().await.map_err(std::io::Error::other)?;
            let mut resp = Response::new(Body::empty());
            *resp.status_mut() = answer.status();
            for (k, v) in answer.headers() {
                if k != "content-length" && k != "transfer-encoding" {
                    resp.headers_mut().insert(k, v.clone());
                }
            }
            let bytes = answer.bytes().await.map_err(std::io::Error::other)?;
            *resp.body_mut() = Body::from(bytes);
            resp
        }
    };
    if matches!(fault, Some(Fault::Drop)) {
        record(&shared, &parts, at, 0);
        // An error from the service makes hyper close the connection unanswered.
        return Err(std::io::Error::other("dropped by the contract server"));
    }
    record(&shared, &parts, at, resp.status().as_u16());
    Ok(resp)
}
