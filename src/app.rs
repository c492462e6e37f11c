//! Start-up and shutdown of the daemon: open the store (recovering runs a crash left
//! behind), load the secret key, build the sync context and the scheduler, bind the
//! listener, serve until the shutdown future completes, then give in-flight
//! requests and runs a bounded time to finish (mini-redis: shutdown is passed in,
//! never global).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::api::{self, AppState, RouterSettings};
use crate::clock::Clock;
use crate::config::{Settings, SinkKind};
use crate::scheduler::Scheduler;
use crate::secrets::Cipher;
use crate::sink::Sink;
use crate::sink::embedded::EmbeddedSink;
use crate::sink::remote::RemoteSink;
use crate::store::Store;
use crate::sync::SyncContext;

pub struct App {
    /// The config file, re-read on `SIGHUP` for the declared importers.
    config_file: Option<std::path::PathBuf>,
    listener: TcpListener,
    router: Router,
    state: AppState,
    scheduler: Scheduler,
    shutdown_timeout: Duration,
    limits: crate::server::Limits,
}

/// What connectors may use under these settings (`traffic`: the store's, where
/// `invicti_nad_agent` keeps what agents push).
pub fn environment(
    settings: &Settings,
    traffic: Option<apihub_connectors::nad::importer::Traffic>,
) -> apihub_connectors::Environment {
    apihub_connectors::Environment {
        directory_roots: settings.importers.directory_roots.clone(),
        max_definition_bytes: settings.normalize.max_input_bytes as u64,
        file_read_timeout: Duration::from_secs(settings.importers.file_read_timeout_secs),
        traffic,
    }
}

/// Checks what `validate` checks beyond the settings themselves: the declared
/// importers, against the connectors, before anything is created.
pub fn check_declared(settings: &Settings) -> anyhow::Result<()> {
    api::apply::check_declarations(
        &environment(settings, None),
        &settings.importers.declarations,
    )
    .map_err(|e| anyhow::anyhow!("declared importers: {}", e.message))
}

/// What every way of running syncs (daemon, `sync` command) is built from.
pub async fn sync_context(settings: &Settings, clock: Clock) -> anyhow::Result<SyncContext> {
    let store = Store::open(&settings.store)
        .await
        .with_context(|| format!("opening the store at {}", settings.store.path.display()))?;
    let key_file = settings
        .secrets
        .key_file
        .clone()
        .unwrap_or_else(|| settings.data_dir().join("secret.key"));
    let cipher = Arc::new(Cipher::load(settings.secrets.key.as_ref(), &key_file)?);
    let sink: Arc<dyn Sink> = match (settings.sink.kind, &settings.sink.remote) {
        (SinkKind::Remote, Some(remote)) => Arc::new(
            RemoteSink::new(remote, store.clone(), clock.clone())
                .map_err(|e| anyhow::anyhow!("sink.remote: {}", e.message))?,
        ),
        _ => Arc::new(EmbeddedSink::new(store.clone(), clock.clone())),
    };
    let traffic =
        apihub_connectors::nad::importer::Traffic(Arc::new(crate::store::traffic::StoreTraffic {
            store: store.clone(),
            clock: clock.clone(),
        }));
    Ok(SyncContext {
        store,
        cipher,
        sink,
        connectors: Arc::new(apihub_connectors::Registry),
        env: environment(settings, Some(traffic)),
        limits: settings.normalize.limits(),
        clock,
        run_timeout: Duration::from_secs(settings.scheduler.run_timeout_secs),
        runs_kept: settings.scheduler.runs_kept,
    })
}

impl App {
    /// Everything that can fail at start fails here, before the port is announced.
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        Self::build_with_clock(settings, Clock::System).await
    }

    pub async fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<App> {
        Self::build_with(settings, clock, |_| None).await
    }

    /// `sink` may replace the configured sink (tests wrap the embedded one to hold
    /// a run at a chosen point).
    pub async fn build_with(
        settings: Settings,
        clock: Clock,
        sink: impl FnOnce(&SyncContext) -> Option<Arc<dyn Sink>>,
    ) -> anyhow::Result<App> {
        Self::build_customized(settings, clock, |ctx| {
            if let Some(replacement) = sink(ctx) {
                ctx.sink = replacement;
            }
        })
        .await
    }

    /// `customize` may replace parts of the sync context: the sink, or the connector
    /// factory (tests run the sync engine on scripted connectors).
    pub async fn build_customized(
        settings: Settings,
        clock: Clock,
        customize: impl FnOnce(&mut SyncContext),
    ) -> anyhow::Result<App> {
        crate::metrics::handle();
        // Nothing (data folder, database, key file) exists before the whole
        // configuration, declared importers included, is known to be valid.
        check_declared(&settings)?;
        let mut ctx = sync_context(&settings, clock.clone()).await?;
        customize(&mut ctx);
        let recovered = ctx.store.recover_interrupted(clock.now_ms()).await?;
        if recovered > 0 {
            tracing::warn!(
                runs = recovered,
                "Runs interrupted by the last shutdown were marked failed."
            );
        }
        let organization_id = ctx
            .store
            .organization_id(settings.inventory.organization_id.clone())
            .await?;
        let scheduler = Scheduler::new(ctx.clone(), &settings.scheduler);
        let state = AppState {
            organization_id: organization_id.into(),
            store: ctx.store.clone(),
            cipher: ctx.cipher.clone(),
            clock,
            scheduler: scheduler.clone(),
            env: ctx.env.clone(),
            limits: ctx.limits.clone(),
        };
        let (router, _) = api::router(
            state.clone(),
            RouterSettings {
                tokens: api::auth::Tokens::new(&settings.server.auth_tokens),
                max_body_bytes: settings.server.max_body_bytes,
                request_timeout: Duration::from_secs(settings.server.request_timeout_secs),
                nad: settings.nad.clone(),
            },
        );
        let declared = api::apply::reconcile(
            &state,
            api::apply::CONFIG_SOURCE,
            settings.importers.declarations.clone(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("declared importers: {}", e.message))?;
        log_applied(&declared);
        let listener = TcpListener::bind(settings.server.bind)
            .await
            .with_context(|| format!("binding {}", settings.server.bind))?;
        Ok(App {
            config_file: settings.source_file.clone(),
            listener,
            router,
            state,
            scheduler,
            shutdown_timeout: Duration::from_secs(settings.server.shutdown_timeout_secs),
            limits: settings.server.limits(),
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

    /// Serves and schedules until `shutdown` completes, then waits at most the
    /// shutdown timeout for in-flight requests and runs (which are cancelled between
    /// items and record themselves as failed) before returning.
    pub async fn run_until_stopped<F>(self, shutdown: F) -> anyhow::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let stop = CancellationToken::new();
        let addr = self.local_addr();
        tracing::info!(%addr, "Listening.");
        let scheduler = tokio::spawn(self.scheduler.clone().run(stop.clone()));
        tokio::spawn(reload_on_hangup(
            self.state.clone(),
            self.config_file.clone(),
            stop.clone(),
        ));
        let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
        let watchdog = spawn_watchdog(stop.clone());

        let stopping = stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("Shutdown requested; finishing in-flight requests and runs.");
            let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
            stopping.cancel();
        });
        let serve = crate::server::serve(self.listener, self.router, self.limits, stop.clone());
        let everything = async {
            serve.await;
            let _ = scheduler.await;
        };
        let deadline = async {
            stop.cancelled().await;
            tokio::time::sleep(self.shutdown_timeout).await;
        };
        tokio::select! {
            () = everything => {}
            () = deadline => tracing::warn!("Shutdown timeout reached; exiting with work still open."),
        }
        if let Some(w) = watchdog {
            w.abort();
        }
        tracing::info!("Stopped.");
        Ok(())
    }
}

/// Logs what reconciling the declared importers changed.
fn log_applied(outcomes: &[api::apply::Outcome]) {
    use api::apply::Action;
    let mut unchanged = 0;
    for o in outcomes {
        match o.action {
            Action::Unchanged => unchanged += 1,
            action => {
                tracing::info!(importer = %o.importer_id, name = %o.name, ?action, "Declared importer applied.")
            }
        }
    }
    if !outcomes.is_empty() {
        tracing::info!(
            importers = outcomes.len(),
            unchanged,
            "Declared importers reconciled."
        );
    }
}

/// On `SIGHUP`, re-reads the config file and reconciles the importers it declares;
/// a config that no longer loads is logged and changes nothing.
async fn reload_on_hangup(
    state: AppState,
    config_file: Option<std::path::PathBuf>,
    stop: CancellationToken,
) {
    #[cfg(unix)]
    {
        let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while stop
            .run_until_cancelled(hangup.recv())
            .await
            .flatten()
            .is_some()
        {
            tracing::info!("SIGHUP: reloading the declared importers.");
            let loaded = crate::config::Sources::from_process(config_file.as_deref())
                .and_then(|sources| Settings::load(&sources));
            let settings = match loaded {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "SIGHUP: the config does not load; nothing changed.");
                    continue;
                }
            };
            match api::apply::reconcile(
                &state,
                api::apply::CONFIG_SOURCE,
                settings.importers.declarations,
            )
            .await
            {
                Ok(outcomes) => log_applied(&outcomes),
                Err(e) => {
                    tracing::error!(error = %e.message, "SIGHUP: declared importers not applied; nothing changed.")
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (state, config_file, stop);
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
