//! The HTTP server loop, with bounded connections (what `axum::serve` does, plus the
//! limits a daemon exposed to a network needs).
//!
//! # Design notes
//! A flood of idle TCP connections once exhausted the file descriptors and
//! `/healthz` stopped answering. Four rules keep that from happening:
//! - **A cap on open connections** (`server.max_connections`, clamped below the
//!   process's file-descriptor limit, which is raised to its hard limit at start).
//! - **Idle connections make room**: when the cap is reached, the connection that
//!   has been idle longest (no request in flight, or none ever sent) is closed to
//!   admit the new one. A probe that connects and sends its request at once is
//!   therefore always served, however many idle sockets an attacker holds; only
//!   when every connection is busy is a new one refused.
//! - **Idle connections are closed** after `server.idle_timeout_secs` (keep-alive
//!   or never used), by a sweeper that looks every second.
//! - **Slow clients have deadlines**: headers must arrive within
//!   `server.header_read_timeout_secs`; a request must be answered (its body read
//!   and handled) within `server.request_timeout_secs` (middleware in `api`), while
//!   a streamed response such as an export may take as long as it needs.
//!
//! A connection counts as busy from the moment its request reaches the router until
//! its response body has been sent in full.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// File descriptors kept free for the database, key file and outbound requests.
const FD_RESERVE: u64 = 256;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
}

/// Raises the soft file-descriptor limit to the hard one and returns the connection
/// cap that fits under it.
pub fn effective_cap(configured: usize) -> usize {
    #[cfg(unix)]
    {
        let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
        let fits = usize::try_from(limit.saturating_sub(FD_RESERVE).max(16)).unwrap_or(usize::MAX);
        if fits < configured {
            tracing::warn!(
                configured,
                cap = fits,
                nofile = limit,
                "server.max_connections is above what the file-descriptor limit allows; raise LimitNOFILE."
            );
        }
        configured.min(fits)
    }
    #[cfg(not(unix))]
    configured
}

struct Slot {
    busy: usize,
    idle_since: Instant,
    close: CancellationToken,
}

/// Open connections and what each is doing.
struct Registry {
    slots: Mutex<HashMap<u64, Slot>>,
    next: AtomicU64,
    max: usize,
}

impl Registry {
    /// Admits a connection, closing the longest-idle one if the cap is reached.
    /// `None` when every connection is busy.
    fn admit(self: &Arc<Self>) -> Option<Arc<SlotHandle>> {
        let mut slots = self.slots.lock().ok()?;
        if slots.len() >= self.max {
            let oldest = slots
                .iter()
                .filter(|(_, s)| s.busy == 0)
                .min_by_key(|(_, s)| s.idle_since)
                .map(|(id, _)| *id)?;
            if let Some(s) = slots.remove(&oldest) {
                s.close.cancel();
            }
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let close = CancellationToken::new();
        slots.insert(
            id,
            Slot {
                busy: 0,
                idle_since: Instant::now(),
                close: close.clone(),
            },
        );
        Some(Arc::new(SlotHandle {
            id,
            close,
            registry: self.clone(),
        }))
    }

    /// Closes connections idle for longer than `timeout`.
    fn sweep(&self, timeout: Duration) {
        let Ok(mut slots) = self.slots.lock() else {
            return;
        };
        let now = Instant::now();
        slots.retain(|_, s| {
            let stale = s.busy == 0 && now.duration_since(s.idle_since) > timeout;
            if stale {
                s.close.cancel();
            }
            !stale
        });
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut Slot)) {
        if let Ok(mut slots) = self.slots.lock()
            && let Some(s) = slots.get_mut(&id)
        {
            f(s);
        }
    }

    fn open(&self) -> usize {
        self.slots.lock().map(|s| s.len()).unwrap_or(0)
    }
}

/// One admitted connection; dropping it frees the slot.
struct SlotHandle {
    id: u64,
    close: CancellationToken,
    registry: Arc<Registry>,
}

impl Drop for SlotHandle {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.registry.slots.lock() {
            slots.remove(&self.id);
        }
    }
}

/// Held while a request is in flight (until its response body is sent).
struct Busy(Arc<SlotHandle>);

impl Busy {
    fn new(slot: Arc<SlotHandle>) -> Busy {
        slot.registry.update(slot.id, |s| s.busy += 1);
        Busy(slot)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.registry.update(self.0.id, |s| {
            s.busy = s.busy.saturating_sub(1);
            s.idle_since = Instant::now();
        });
    }
}

/// A response body that keeps its connection marked busy until it is done.
struct TrackedBody {
    inner: Body,
    _busy: Busy,
}

impl hyper::body::Body for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[derive(Clone)]
struct Tracked {
    router: Router,
    slot: Arc<SlotHandle>,
}

impl hyper::service::Service<Request<Incoming>> for Tracked {
    type Response = Response<TrackedBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let busy = Busy::new(self.slot.clone());
        let router = self.router.clone();
        Box::pin(async move {
            let resp = match router.oneshot(req.map(Body::new)).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            Ok(resp.map(|inner| TrackedBody { inner, _busy: busy }))
        })
    }
}

fn builder(limits: &Limits) -> Builder<TokioExecutor> {
    let mut b = Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // Above the API's own 431 threshold (`api::limits`), so that answer,
        // with the error envelope, is the one clients see.
        .max_headers(crate::api::MAX_HEADERS * 2);
    b.http2().timer(TokioTimer::new());
    b
}

/// Serves `router` on `listener` until `stop` is cancelled, then lets in-flight
/// requests finish (the caller bounds how long).
pub async fn serve(listener: TcpListener, router: Router, limits: Limits, stop: CancellationToken) {
    let registry = Arc::new(Registry {
        slots: Mutex::new(HashMap::new()),
        next: AtomicU64::new(0),
        max: limits.max_connections.max(1),
    });
    let tracker = TaskTracker::new();
    let sweeper = {
        let (registry, stop) = (registry.clone(), stop.clone());
        let every =
            (limits.idle_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(1));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            while stop.run_until_cancelled(tick.tick()).await.is_some() {
                registry.sweep(limits.idle_timeout);
            }
        })
    };
    let builder = Arc::new(builder(&limits));
    let mut refused_logged = Instant::now() - Duration::from_secs(60);
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            () = stop.cancelled() => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors or a transient accept error: back off briefly
                // rather than spin.
                tracing::warn!(error = %e, open = registry.open(), "Accepting a connection failed.");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(slot) = registry.admit() else {
            if refused_logged.elapsed() > Duration::from_secs(10) {
                refused_logged = Instant::now();
                tracing::warn!(
                    max = registry.max,
                    "Every connection is busy; refusing new ones."
                );
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = Tracked {
            router: router.clone(),
            slot: slot.clone(),
        };
        let (builder, stop) = (builder.clone(), stop.clone());
        tracker.spawn(async move {
            let close = slot.close.clone();
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let mut draining = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::trace!(error = %e, "Connection ended with an error.");
                        }
                        break;
                    }
                    // Evicted or timed out while idle: close now.
                    () = close.cancelled() => break,
                    () = stop.cancelled(), if !draining => {
                        draining = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(slot);
        });
    }
    sweeper.abort();
    tracker.close();
    tracker.wait().await;
}
