//! Start-up and shutdown of the daemon: open the store, load the secret key, bind
//! the listener, serve until the shutdown future completes, then give in-flight work
//! a bounded time to finish (mini-redis: shutdown is passed in, never global).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::api::{self, AppState, Readiness, RouterSettings};
use crate::clock::Clock;
use crate::config::Settings;
use crate::secrets::Cipher;
use crate::store::Store;

pub struct App {
    listener: TcpListener,
    router: Router,
    state: AppState,
    shutdown_timeout: Duration,
}

impl App {
    /// Everything that can fail at start fails here, before the port is announced.
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        Self::build_with_clock(settings, Clock::System).await
    }

    pub async fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<App> {
        let store = Store::open(&settings.store)
            .await
            .with_context(|| format!("opening the store at {}", settings.store.path.display()))?;
        let key_file = settings
            .secrets
            .key_file
            .clone()
            .unwrap_or_else(|| settings.data_dir().join("secret.key"));
        let cipher = Cipher::load(settings.secrets.key.as_ref(), &key_file)?;
        let state = AppState {
            store,
            cipher: Arc::new(cipher),
            clock,
            readiness: Arc::new(Readiness::default()),
            schedule_changed: Arc::new(tokio::sync::Notify::new()),
            limits: settings.normalize.limits(),
        };
        let (router, _) = api::router(
            state.clone(),
            RouterSettings {
                tokens: api::auth::Tokens::new(&settings.server.auth_tokens),
                max_body_bytes: settings.server.max_body_bytes,
            },
        );
        let listener = TcpListener::bind(settings.server.bind)
            .await
            .with_context(|| format!("binding {}", settings.server.bind))?;
        Ok(App {
            listener,
            router,
            state,
            shutdown_timeout: Duration::from_secs(settings.server.shutdown_timeout_secs),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then waits at most the shutdown timeout for
    /// in-flight requests before returning.
    pub async fn run_until_stopped<F>(self, shutdown: F) -> anyhow::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let stop = CancellationToken::new();
        let addr = self.local_addr();
        tracing::info!(%addr, "Listening.");
        self.state.readiness.set_scheduler_running(true);
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
        let watchdog = spawn_watchdog(stop.clone());

        let stopping = stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("Shutdown requested; finishing in-flight requests.");
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
            stopping.cancel();
        });
        let serve = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(stop.clone().cancelled_owned());
        let deadline = async {
            stop.cancelled().await;
            tokio::time::sleep(self.shutdown_timeout).await;
        };
        tokio::select! {
            result = serve => result.context("HTTP server failed")?,
            () = deadline => tracing::warn!("Shutdown timeout reached; exiting with requests still open."),
        }
        self.state.readiness.set_scheduler_running(false);
        if let Some(w) = watchdog {
            w.abort();
        }
        tracing::info!("Stopped.");
        Ok(())
    }
}

/// Pings systemd's watchdog at half its interval while serving (`WatchdogSec=`).
fn spawn_watchdog(stop: CancellationToken) -> Option<tokio::task::JoinHandle<()>> {
    let interval = sd_notify::watchdog_enabled()? / 2;
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        while stop.run_until_cancelled(tick.tick()).await.is_some() {
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]);
        }
    }))
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
