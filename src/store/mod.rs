//! All SQL lives here, behind functions named for what they do
//! (`create_importer`, `list_runs`, ...). Nothing outside this module sees a
//! connection, which keeps the door open for a second backend.
//!
//! # Design notes
//! SQLite in WAL mode: readers never block the writer and vice versa. Every call runs
//! on a pooled connection inside `spawn_blocking` (deadpool-sqlite's `interact`), so
//! HTTP handlers never block the async runtime. Writes open `BEGIN IMMEDIATE`
//! transactions: a writer takes the lock up front and waits on `busy_timeout` instead
//! of failing with `SQLITE_BUSY` when a read transaction tries to upgrade. Writers of
//! this process queue on an async mutex first, so only another process's writer
//! (`apihub-importer sync`) ever makes one wait inside SQLite, whose busy handler
//! sleeps in steps of up to 100 ms.
//! Timestamps are stored as integer milliseconds since the Unix epoch (UTC).

pub mod appsec;
mod cursor;
pub mod export;
mod group;
mod importers;
mod links;
mod migrations;
mod remote;
mod runs;
mod targets;
pub mod traffic;

use std::path::{Path, PathBuf};
use std::time::Duration;

use deadpool_sqlite::{Hook, HookError, Pool, Runtime};
use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use cursor::Cursor;
pub use export::ExportKind;
pub use export::ExportRow;
pub use importers::{ImporterRow, Managed, NewImporter};
pub use links::NewLink;
pub use remote::RemoteTarget;
pub use runs::{FinishedRun, RunHistory, RunRecord};
pub use targets::{
    DefinitionRecord, LinkRecord, ListQuery, NewDefinition, NewTarget, OperationRecord,
    TargetPatch, TargetRecord, TargetRecords, TargetWithOperations, Upsert,
};

use apihub_connectors::FieldError;

use crate::config::StoreSettings;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} `{id}` does not exist")]
    NotFound { entity: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    /// A request rule that can only be checked against stored data.
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("database unavailable: {0}")]
    Pool(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

#[derive(Clone)]
pub struct Store {
    pool: Pool,
    path: PathBuf,
    /// One writer at a time in this process: SQLite allows one anyway, and its
    /// busy handler sleeps in steps of up to 100 ms, so writers that queue here
    /// instead of inside SQLite do not wait longer than the write ahead of them.
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// The sync engine's writes waiting to share a transaction (`group`).
    group: std::sync::Arc<group::Queue>,
}

impl StoreError {
    pub fn not_found(entity: &'static str, id: impl Into<String>) -> Self {
        StoreError::NotFound {
            entity,
            id: id.into(),
        }
    }
}

impl Store {
    /// Opens (creating if needed) the database, switches it to WAL and applies every
    /// pending migration before the pool hands out a connection.
    pub async fn open(settings: &StoreSettings) -> Result<Store, StoreError> {
        let path = settings.path.clone();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)
                .map_err(|e| StoreError::Pool(format!("cannot create {}: {e}", dir.display())))?;
        }
        create_private_file(&path)
            .map_err(|e| StoreError::Pool(format!("cannot create {}: {e}", path.display())))?;
        let busy = Duration::from_millis(settings.busy_timeout_ms);
        let migrate_path = path.clone();
        tokio::task::spawn_blocking(move || -> Result<(), StoreError> {
            let mut conn = Connection::open(&migrate_path)?;
            configure(&conn, busy)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            migrations::migrations().to_latest(&mut conn)?;
            Ok(())
        })
        .await
        .map_err(|e| StoreError::Pool(e.to_string()))??;

        let pool = deadpool_sqlite::Config::new(&path)
            .builder(Runtime::Tokio1)
            .map_err(|e| StoreError::Pool(e.to_string()))?
            .max_size(settings.pool_size)
            .post_create(Hook::sync_fn(move |conn, _| {
                let guard = conn
                    .lock()
                    .map_err(|_| HookError::message("connection mutex poisoned"))?;
                configure(&guard, busy).map_err(|e| HookError::message(e.to_string()))
            }))
            .build()
            .map_err(|e| StoreError::Pool(e.to_string()))?;
        Ok(Store {
            pool,
            path,
            writer: std::sync::Arc::new(tokio::sync::Mutex::new(())),
            group: std::sync::Arc::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn with_conn<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let conn = self
            .pool
            .get()
            .await
            .map_err(|e| StoreError::Pool(e.to_string()))?;
        conn.interact(f)
            .await
            .map_err(|e| StoreError::Pool(e.to_string()))?
    }

    /// Runs `f` on a pooled connection for reading.
    async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        self.with_conn(move |c| f(c)).await
    }

    /// Runs `f` in one immediate transaction; commits only if it returns `Ok`.
    async fn write<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&Transaction<'_>) -> Result<R, StoreError> + Send + 'static,
        R: Send + 'static,
    {
        let _turn = self.writer.lock().await;
        self.with_conn(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }

    /// Readiness: the database answers and every migration is applied.
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.read(|c| {
            let pending = migrations::migrations().pending_migrations(c)?;
            if pending == 0 {
                Ok(())
            } else {
                Err(StoreError::Corrupt(format!("{pending} migrations pending")))
            }
        })
        .await
    }
}

/// The data directory holds the database and the key file: owner-only when we make it.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Creates the database file owner-only before SQLite opens it: SQLite gives its
/// `-wal` and `-shm` files the mode of the database file, so all three stay 0600
/// whatever the process umask is.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Runs a statement through the connection's prepared-statement cache: the sync
/// engine writes each item with the same few statements, and compiling them
/// again for every item cost more than executing them.
fn execute_cached(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<usize, rusqlite::Error> {
    conn.prepare_cached(sql)?.execute(params)
}

/// Statements a connection keeps compiled (rusqlite's default is 16; the sync
/// engine's write alone uses about a dozen, the API's reads many more).
const STATEMENT_CACHE: usize = 128;

fn configure(conn: &Connection, busy: Duration) -> Result<(), rusqlite::Error> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(busy)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

/// `true` when the error is a uniqueness violation (mapped to 409 by callers).
fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}
