//! Configuration: one YAML file plus `APIHUB_*` environment overrides, parsed into
//! typed settings at start. Unknown keys are errors that name the key, so a typo never
//! silently falls back to a default. The doc comments on each field are the operator
//! reference (README "Configuration").
//!
//! Environment overrides use `__` between levels: `APIHUB_SERVER__BIND=0.0.0.0:8080`.
//! Only variables with a `__` are read as overrides, which leaves `APIHUB_URL` and
//! `APIHUB_TOKEN` to the command-line client.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Where `serve` and `validate` look when `--config` is not given.
pub const DEFAULT_CONFIG_PATH: &str = "config/apihub-importer.yaml";
const ENV_PREFIX: &str = "APIHUB_";
const TOKENS_ENV: &str = "APIHUB_SERVER__AUTH_TOKENS";
/// Shortest API token accepted: anything shorter is guessable or a placeholder.
pub const MIN_TOKEN_CHARS: usize = 16;

/// Values people leave in example files (`change-me`, `<token>`, `xxxxxxxx…`).
fn is_placeholder(token: &str) -> bool {
    let plain: String = token
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const WORDS: &[&str] = &[
        "changeme",
        "replaceme",
        "yourtoken",
        "placeholder",
        "example",
        "insert",
        "todo",
        "fixme",
    ];
    let one_char = token.chars().all(|c| token.starts_with(c));
    plain.is_empty()
        || one_char
        || WORDS.iter().any(|w| plain.contains(w))
        || (token.starts_with('<') && token.ends_with('>'))
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub store: StoreSettings,
    #[serde(default)]
    pub secrets: SecretSettings,
    #[serde(default)]
    pub log: LogSettings,
    #[serde(default)]
    pub normalize: NormalizeSettings,
    #[serde(default)]
    pub scheduler: SchedulerSettings,
    #[serde(default)]
    pub importers: ImporterSettings,
    #[serde(default)]
    pub sink: SinkSettings,
    #[serde(default)]
    pub nad: NadSettings,
    #[serde(default)]
    pub inventory: InventorySettings,
    /// The config file these settings were read from, if any (`SIGHUP` re-reads it).
    #[serde(skip)]
    pub source_file: Option<PathBuf>,
}

/// The Inventory API (seed 002).
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct InventorySettings {
    /// The `organizationId` every object carries (a UUID). Unset, one is generated
    /// on first start and kept in the database.
    #[serde(default)]
    pub organization_id: Option<String>,
}

/// Traffic pushed by `invicti_nad_agent` agents.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct NadSettings {
    /// Largest traffic batch, in bytes after gzip decoding; larger ones get 413.
    #[serde(default = "default_max_batch_bytes")]
    pub max_batch_bytes: usize,
    /// Batches one token may send per minute (with a burst of a tenth of it);
    /// more get 429 with `Retry-After`.
    #[serde(default = "default_batches_per_minute")]
    pub batches_per_minute: u32,
}

fn default_max_batch_bytes() -> usize {
    16 * 1024 * 1024
}

fn default_batches_per_minute() -> u32 {
    120
}

impl Default for NadSettings {
    fn default() -> Self {
        NadSettings {
            max_batch_bytes: default_max_batch_bytes(),
            batches_per_minute: default_batches_per_minute(),
        }
    }
}

/// When and how importers run.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSettings {
    /// Run importers on their schedule. When false, only triggers run them.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Most importer runs at the same time; more wait for a free slot.
    #[serde(default = "default_max_concurrent_runs")]
    pub max_concurrent_runs: usize,
    /// A run still going after this long is cancelled and recorded as failed.
    #[serde(default = "default_run_timeout_secs")]
    pub run_timeout_secs: u64,
    /// Runs kept in each importer's history; older ones are deleted.
    #[serde(default = "default_runs_kept")]
    pub runs_kept: u32,
}

/// Settings shared by importer types.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ImporterSettings {
    /// Folders the `directory` importer type may read (an importer's `path` must
    /// resolve inside one of them). Relative ones written in the config file are
    /// read next to it, as are `store.path`, `secrets.key_file` and `declared_dir`.
    #[serde(default = "default_directory_roots")]
    pub directory_roots: Vec<PathBuf>,
    /// How long reading one file of a `directory` importer may take before that
    /// file fails (a hung network mount must not stall the run).
    #[serde(default = "default_file_read_timeout_secs")]
    pub file_read_timeout_secs: u64,
    /// Importers declared as code: a list of create request bodies, reconciled at
    /// start and on `SIGHUP` (see the README's "Importers as code"). Read from the
    /// file as written, so parameter names keep their case.
    #[serde(default)]
    pub declared: Option<serde::de::IgnoredAny>,
    /// A folder whose `*.yaml` / `*.yml` files each hold such a list.
    #[serde(default)]
    pub declared_dir: Option<PathBuf>,
    /// Both of the above, read and resolved by [`Settings::load`].
    #[serde(skip)]
    pub declarations: Vec<crate::declared::Declaration>,
}

/// Where synced definitions go.
#[derive(Debug, Deserialize, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct SinkSettings {
    /// `embedded` (this daemon's inventory) or `remote` (another API Hub).
    #[serde(default)]
    pub kind: SinkKind,
    #[serde(default)]
    pub remote: Option<RemoteSinkSettings>,
}

#[derive(Debug, Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SinkKind {
    #[default]
    Embedded,
    Remote,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RemoteSinkSettings {
    /// Base URL of the API Hub, e.g. `https://hub.example.com`.
    pub url: String,
    /// Its API token, sent as `X-Auth` (prefer `APIHUB_SINK__REMOTE__TOKEN`).
    #[serde(default)]
    pub token: Option<SecretString>,
    /// Timeout of one request to the hub.
    #[serde(default = "default_remote_timeout_secs")]
    pub timeout_secs: u64,
    /// Attempts per request on 429, 5xx and network errors.
    #[serde(default = "default_remote_attempts")]
    pub max_attempts: usize,
    /// First wait before a retry, doubled (with jitter) for each one after;
    /// a `Retry-After` from the hub wins.
    #[serde(default = "default_remote_retry_min_delay_ms")]
    pub retry_min_delay_ms: u64,
}

const fn default_true() -> bool {
    true
}
const fn default_max_concurrent_runs() -> usize {
    4
}
const fn default_run_timeout_secs() -> u64 {
    3600
}
const fn default_runs_kept() -> u32 {
    500
}
const fn default_file_read_timeout_secs() -> u64 {
    30
}
fn default_directory_roots() -> Vec<PathBuf> {
    vec![PathBuf::from("./specs")]
}
const fn default_remote_timeout_secs() -> u64 {
    60
}
const fn default_remote_retry_min_delay_ms() -> u64 {
    200
}
const fn default_remote_attempts() -> usize {
    5
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            enabled: true,
            max_concurrent_runs: default_max_concurrent_runs(),
            run_timeout_secs: default_run_timeout_secs(),
            runs_kept: default_runs_kept(),
        }
    }
}

impl Default for ImporterSettings {
    fn default() -> Self {
        ImporterSettings {
            directory_roots: default_directory_roots(),
            file_read_timeout_secs: default_file_read_timeout_secs(),
            declared: None,
            declared_dir: None,
            declarations: Vec::new(),
        }
    }
}

/// Bounds on API definitions read by importers, uploads and `inspect`.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct NormalizeSettings {
    /// Largest definition accepted, in bytes (uploads above it get 413).
    #[serde(default = "default_max_input_bytes")]
    pub max_input_bytes: usize,
    /// Deepest nesting of JSON/YAML/XML structures (YAML is capped at 128).
    #[serde(default = "default_max_depth")]
    pub max_depth: usize,
    /// Values a parsed document may hold per input byte; bounds YAML alias expansion.
    #[serde(default = "default_max_expansion")]
    pub max_expansion: usize,
}

const fn default_max_input_bytes() -> usize {
    64 * 1024 * 1024
}
const fn default_max_depth() -> usize {
    128
}
const fn default_max_expansion() -> usize {
    10
}

impl Default for NormalizeSettings {
    fn default() -> Self {
        NormalizeSettings {
            max_input_bytes: default_max_input_bytes(),
            max_depth: default_max_depth(),
            max_expansion: default_max_expansion(),
        }
    }
}

impl NormalizeSettings {
    pub fn limits(&self) -> apihub_connectors::normalize::Limits {
        apihub_connectors::normalize::Limits {
            max_input_bytes: self.max_input_bytes,
            max_depth: self.max_depth,
            max_expansion: self.max_expansion,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address and port to listen on. Without `auth_tokens` only a loopback address is
    /// accepted. Port 0 picks a free port.
    #[serde(default = "default_bind")]
    pub bind: SocketAddr,
    /// API tokens accepted in `X-Auth: <token>` or `Authorization: Bearer <token>`.
    /// Empty means no authentication, which is only allowed on loopback.
    #[serde(default)]
    pub auth_tokens: Vec<SecretString>,
    /// Largest JSON request body, in bytes; larger bodies get 413.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// How long in-flight requests and runs get to finish after SIGTERM/SIGINT.
    #[serde(default = "default_shutdown_timeout_secs")]
    pub shutdown_timeout_secs: u64,
    /// Most open client connections. When reached, the longest-idle connection is
    /// closed to admit a new one. Clamped below the file-descriptor limit.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// A client must send its request headers within this time.
    #[serde(default = "default_header_read_timeout_secs")]
    pub header_read_timeout_secs: u64,
    /// An open connection without a request in flight is closed after this long.
    #[serde(default = "default_idle_timeout_secs")]
    pub idle_timeout_secs: u64,
    /// A request must be read and answered within this time (a streamed download
    /// such as an export may take longer to send).
    #[serde(default = "default_request_timeout_secs")]
    pub request_timeout_secs: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// SQLite database file; its directory is created if missing.
    #[serde(default = "default_store_path")]
    pub path: PathBuf,
    /// Connections in the pool (readers run in parallel; SQLite serialises writers).
    #[serde(default = "default_pool_size")]
    pub pool_size: usize,
    /// How long a statement waits for a lock held by another connection.
    #[serde(default = "default_busy_timeout_ms")]
    pub busy_timeout_ms: u64,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SecretSettings {
    /// Base64 of a 32-byte key that encrypts secret importer parameters at rest.
    /// Prefer `APIHUB_SECRETS__KEY` or `key_file` to writing it here.
    #[serde(default)]
    pub key: Option<SecretString>,
    /// File holding the key. Default: `secret.key` next to the database, generated
    /// with mode 0600 on first start.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `pretty` for terminals, `json` for log collectors.
    #[serde(default)]
    pub format: LogFormat,
    /// Default filter, e.g. `info` or `apihub_importer=debug,info`. `RUST_LOG` wins.
    #[serde(default = "default_log_level")]
    pub level: String,
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

fn default_bind() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
const fn default_max_body_bytes() -> usize {
    1024 * 1024
}
const fn default_shutdown_timeout_secs() -> u64 {
    20
}
const fn default_max_connections() -> usize {
    4096
}
const fn default_header_read_timeout_secs() -> u64 {
    10
}
const fn default_idle_timeout_secs() -> u64 {
    60
}
const fn default_request_timeout_secs() -> u64 {
    120
}
fn default_store_path() -> PathBuf {
    PathBuf::from("./data/apihub.db")
}
const fn default_pool_size() -> usize {
    8
}
const fn default_busy_timeout_ms() -> u64 {
    5_000
}
fn default_log_level() -> String {
    "info".into()
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            bind: default_bind(),
            auth_tokens: Vec::new(),
            max_body_bytes: default_max_body_bytes(),
            shutdown_timeout_secs: default_shutdown_timeout_secs(),
            max_connections: default_max_connections(),
            header_read_timeout_secs: default_header_read_timeout_secs(),
            idle_timeout_secs: default_idle_timeout_secs(),
            request_timeout_secs: default_request_timeout_secs(),
        }
    }
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            path: default_store_path(),
            pool_size: default_pool_size(),
            busy_timeout_ms: default_busy_timeout_ms(),
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::default(),
            level: default_log_level(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {0} does not exist")]
    Missing(PathBuf),
    #[error("config file {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("environment variable {var} names no setting (`{key}`): {message}")]
    Env {
        var: String,
        key: String,
        message: String,
    },
}

/// Where the settings come from: the file (if any) and the environment.
pub struct Sources {
    pub file: Option<PathBuf>,
    pub env: HashMap<String, String>,
}

impl Sources {
    /// `--config` when given (it must exist); else the default path if it exists.
    pub fn from_process(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        let file = match explicit {
            Some(p) if !p.exists() => return Err(ConfigError::Missing(p.to_path_buf())),
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_PATH)).filter(|p| p.exists()),
        };
        Ok(Sources {
            file,
            env: std::env::vars().collect(),
        })
    }
}

/// The environment variable an unknown-key error came from, if one did: it is
/// named by its variable (`APIHUB_SERVER__BNID`), not as if the file had it.
fn env_culprit(overrides: &HashMap<String, String>, message: &str) -> Option<String> {
    let mut vars: Vec<&String> = overrides.keys().collect();
    vars.sort();
    vars.into_iter()
        .find(|var| {
            var.rsplit("__").next().is_some_and(|last| {
                message.contains(&format!("unknown field `{}`", last.to_lowercase()))
            })
        })
        .cloned()
}

impl ServerSettings {
    pub fn limits(&self) -> crate::server::Limits {
        crate::server::Limits {
            max_connections: crate::server::effective_cap(self.max_connections),
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout_secs),
            idle_timeout: std::time::Duration::from_secs(self.idle_timeout_secs),
        }
    }
}

/// The folder relative paths of a config file are read against.
pub fn folder_of(file: &Path) -> &Path {
    file.parent().unwrap_or(Path::new("."))
}

impl Settings {
    pub fn load(sources: &Sources) -> Result<Settings, ConfigError> {
        let origin = sources
            .file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(defaults)".into());
        let invalid = |message: String| ConfigError::Invalid {
            path: origin.clone(),
            message,
        };
        let mut builder = config::Config::builder();
        let text = match &sources.file {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|e| invalid(e.to_string()))?),
            None => None,
        };
        if let Some(text) = &text {
            builder = builder.add_source(config::File::from_str(text, config::FileFormat::Yaml));
        }
        let overrides: HashMap<String, String> = sources
            .env
            .iter()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX) && k.contains("__"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let tokens_from_env = overrides.contains_key(TOKENS_ENV);
        builder = builder.add_source(
            config::Environment::with_prefix(ENV_PREFIX.trim_end_matches('_'))
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("server.auth_tokens")
                .with_list_parse_key("importers.directory_roots")
                .source(Some(overrides.clone())),
        );
        let mut settings: Settings =
            builder
                .build()
                .and_then(|c| c.try_deserialize())
                .map_err(|e| {
                    let message = e.to_string();
                    match env_culprit(&overrides, &message) {
                        Some(var) => ConfigError::Env {
                            key: var
                                .trim_start_matches(ENV_PREFIX)
                                .to_lowercase()
                                .replace("__", "."),
                            var,
                            message,
                        },
                        None => invalid(message),
                    }
                })?;
        settings.source_file = sources.file.clone();
        settings
            .check_tokens()
            .map_err(|e| {
                if tokens_from_env {
                    format!("{e} (set by {TOKENS_ENV})")
                } else {
                    e
                }
            })
            .map_err(&invalid)?;
        settings.check().map_err(&invalid)?;
        let doc: Option<serde_json::Value> = text
            .as_deref()
            .map(serde_yaml::from_str)
            .transpose()
            .map_err(|e| invalid(e.to_string()))?;
        if let (Some(file), Some(doc)) = (&sources.file, &doc) {
            settings.resolve_written_paths(folder_of(file), doc, &overrides);
        }
        let env = |name: &str| sources.env.get(name).cloned();
        settings.importers.declarations = crate::declared::from_config(
            sources.file.as_deref().zip(doc.as_ref()),
            settings.importers.declared_dir.as_deref(),
            &env,
        )
        .map_err(|e| invalid(e.0))?;
        Ok(settings)
    }

    /// A relative path written in the config file means "next to this file", so a
    /// config keeps working from any working directory (`--config /etc/…`, a test
    /// harness, a unit's `WorkingDirectory`); built-in defaults and `APIHUB_*`
    /// variables are not written in the file and stay relative to the working
    /// directory, as command-line flags are.
    fn resolve_written_paths(
        &mut self,
        folder: &Path,
        doc: &serde_json::Value,
        overrides: &HashMap<String, String>,
    ) {
        let written = |key: &str| {
            let var = format!("{ENV_PREFIX}{}", key.replace('.', "__").to_uppercase());
            let in_file = key
                .split('.')
                .try_fold(doc, |node, part| node.get(part))
                .is_some_and(|v| !v.is_null());
            in_file && !overrides.contains_key(&var)
        };
        let join = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = folder.join(&*p);
            }
        };
        if written("store.path") {
            join(&mut self.store.path);
        }
        if written("secrets.key_file")
            && let Some(p) = self.secrets.key_file.as_mut()
        {
            join(p);
        }
        if written("importers.declared_dir")
            && let Some(p) = self.importers.declared_dir.as_mut()
        {
            join(p);
        }
        if written("importers.directory_roots") {
            self.importers.directory_roots.iter_mut().for_each(join);
        }
    }

    /// API tokens must be real ones: an empty list item (`APIHUB_SERVER__AUTH_TOKENS=""`,
    /// `"tok1,"`) or a placeholder would otherwise count as "auth configured" and open
    /// a public bind to anyone who sends the same (or an empty) header.
    fn check_tokens(&self) -> Result<(), String> {
        for (i, token) in self.server.auth_tokens.iter().enumerate() {
            let t = token.expose_secret();
            let key = format!("server.auth_tokens[{i}]");
            if t.trim().is_empty() {
                return Err(format!(
                    "{key} is empty; remove it, or set a random token of at least {MIN_TOKEN_CHARS} characters"
                ));
            }
            if t.trim() != t {
                return Err(format!("{key} starts or ends with whitespace"));
            }
            if is_placeholder(t) {
                return Err(format!(
                    "{key} is a placeholder, not a token; replace it with a random one, e.g. `openssl rand -hex 32`"
                ));
            }
            if t.chars().count() < MIN_TOKEN_CHARS {
                return Err(format!(
                    "{key} is shorter than {MIN_TOKEN_CHARS} characters; use a random one, e.g. `openssl rand -hex 32`"
                ));
            }
        }
        Ok(())
    }

    /// Cross-field rules that serde cannot express.
    fn check(&self) -> Result<(), String> {
        if let Some(id) = &self.inventory.organization_id
            && uuid::Uuid::parse_str(id).is_err()
        {
            return Err(format!(
                "inventory.organization_id `{id}` must be a UUID (such as 3f2b6c1e-8d4a-4b7e-9c2f-1a5d7e9b0c3d)"
            ));
        }
        if let Some(key) = &self.secrets.key
            && !key.expose_secret().trim().is_empty()
        {
            crate::secrets::decode_key(key.expose_secret()).map_err(|e| {
                format!("secrets.key: {e} (make one with `openssl rand -base64 32`)")
            })?;
        }
        if self.store.pool_size == 0 {
            return Err("store.pool_size must be at least 1".into());
        }
        if self.scheduler.max_concurrent_runs == 0 {
            return Err("scheduler.max_concurrent_runs must be at least 1".into());
        }
        if self.scheduler.runs_kept == 0 {
            return Err("scheduler.runs_kept must be at least 1".into());
        }
        if self.importers.file_read_timeout_secs == 0 {
            return Err("importers.file_read_timeout_secs must be at least 1".into());
        }
        if self.scheduler.run_timeout_secs == 0 {
            return Err("scheduler.run_timeout_secs must be at least 1".into());
        }
        if self.sink.kind == SinkKind::Remote {
            let Some(remote) = &self.sink.remote else {
                return Err("sink.kind is remote but sink.remote.url is not set".into());
            };
            if !(remote.url.starts_with("http://") || remote.url.starts_with("https://")) {
                return Err(format!(
                    "sink.remote.url `{}` must be an http(s) URL",
                    remote.url
                ));
            }
            if remote.max_attempts == 0 {
                return Err("sink.remote.max_attempts must be at least 1".into());
            }
        }
        if self.normalize.max_depth == 0 || self.normalize.max_depth > 1024 {
            return Err("normalize.max_depth must be between 1 and 1024".into());
        }
        if self.normalize.max_expansion == 0 {
            return Err("normalize.max_expansion must be at least 1".into());
        }
        if self.server.max_connections == 0 {
            return Err("server.max_connections must be at least 1".into());
        }
        for (key, v) in [
            (
                "server.header_read_timeout_secs",
                self.server.header_read_timeout_secs,
            ),
            ("server.idle_timeout_secs", self.server.idle_timeout_secs),
            (
                "server.request_timeout_secs",
                self.server.request_timeout_secs,
            ),
        ] {
            if v == 0 {
                return Err(format!("{key} must be at least 1"));
            }
        }
        if self.server.max_body_bytes < 1024 {
            return Err("server.max_body_bytes must be at least 1024".into());
        }
        if self.auth_required() || self.server.bind.ip().is_loopback() {
            return Ok(());
        }
        Err(format!(
            "server.bind is {} but no server.auth_tokens are configured; \
             without tokens the API only listens on loopback (e.g. 127.0.0.1:{})",
            self.server.bind,
            self.server.bind.port()
        ))
    }

    pub fn auth_required(&self) -> bool {
        !self.server.auth_tokens.is_empty()
    }

    /// Directory that holds the database and the generated key file.
    pub fn data_dir(&self) -> PathBuf {
        match self.store.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_environment_variable_is_named_as_such() {
        let env = |pairs: &[(&str, &str)]| Sources {
            file: None,
            env: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let e =
            Settings::load(&env(&[("APIHUB_SERVER__BNID", "127.0.0.1:1")])).expect_err("unknown");
        assert!(
            matches!(&e, ConfigError::Env { var, key, .. } if var == "APIHUB_SERVER__BNID" && key == "server.bnid"),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with("environment variable APIHUB_SERVER__BNID names no setting"),
            "{e}"
        );
        // A known one, and an unknown key of the file, are not blamed on it.
        assert!(Settings::load(&env(&[("APIHUB_SERVER__BIND", "127.0.0.1:1")])).is_ok());
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("c.yaml");
        std::fs::write(&file, "server:\n  bnid: x\n").expect("write");
        let e = Settings::load(&Sources {
            file: Some(file),
            env: Default::default(),
        })
        .expect_err("unknown");
        assert!(matches!(e, ConfigError::Invalid { .. }), "{e}");
    }

    fn load(yaml: &str, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.yaml");
        std::fs::write(&path, yaml).expect("write");
        Settings::load(&Sources {
            file: Some(path),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
    }

    #[test]
    fn unknown_key_is_named() {
        let err = load("server:\n  bindd: 1\n", &[]).expect_err("must fail");
        let msg = err.to_string();
        assert!(msg.contains("bindd") && msg.contains("server"), "{msg}");
    }

    #[test]
    fn env_overrides_file_and_lists_split() {
        let s = load(
            "server:\n  bind: 127.0.0.1:9000\n",
            &[
                ("APIHUB_SERVER__BIND", "0.0.0.0:7000"),
                (
                    "APIHUB_SERVER__AUTH_TOKENS",
                    "first-token-0123456789,second-token-0123456789",
                ),
                ("APIHUB_TOKEN", "client-only"),
            ],
        )
        .expect("valid");
        assert_eq!(s.server.bind.port(), 7000);
        assert_eq!(s.server.auth_tokens.len(), 2);
    }

    #[test]
    fn empty_short_and_placeholder_tokens_are_refused_naming_the_key() {
        let env_cases = [
            ("", "server.auth_tokens[0] is empty"),
            (",", "server.auth_tokens[0] is empty"),
            ("a-real-token-0123456789,", "server.auth_tokens[1] is empty"),
            ("  ", "server.auth_tokens[0] is empty"),
            ("short-token", "shorter than 16"),
            ("change-me-to-a-long-random-token", "placeholder"),
            ("xxxxxxxxxxxxxxxxxxxx", "placeholder"),
            ("<your-api-token-here>", "placeholder"),
        ];
        for (value, want) in env_cases {
            let err = load(
                "server:\n  bind: 0.0.0.0:8080\n",
                &[("APIHUB_SERVER__AUTH_TOKENS", value)],
            )
            .expect_err(value);
            let msg = err.to_string();
            assert!(msg.contains(want), "{value:?}: {msg}");
            assert!(msg.contains("APIHUB_SERVER__AUTH_TOKENS"), "{msg}");
        }
        let err = load("server:\n  auth_tokens: [\"\"]\n", &[]).expect_err("empty in file");
        assert!(
            err.to_string().contains("server.auth_tokens[0] is empty"),
            "{err}"
        );
        let err = load("server:\n  auth_tokens: [change-me]\n", &[]).expect_err("placeholder");
        assert!(err.to_string().contains("server.auth_tokens[0]"), "{err}");
        let ok = load(
            "server:\n  bind: 0.0.0.0:8080\n",
            &[("APIHUB_SERVER__AUTH_TOKENS", "9f2c1e0b7a4d4c7e8b1f")],
        )
        .expect("a real token");
        assert!(ok.auth_required());
    }

    #[test]
    fn non_loopback_without_tokens_is_refused() {
        let err = load("server:\n  bind: 0.0.0.0:8080\n", &[]).expect_err("must fail");
        assert!(err.to_string().contains("auth_tokens"), "{err}");
    }

    #[test]
    fn wrong_type_names_the_key() {
        let err = load("store:\n  pool_size: many\n", &[]).expect_err("must fail");
        assert!(err.to_string().contains("store.pool_size"), "{err}");
    }

    #[test]
    fn relative_paths_in_the_file_are_read_next_to_it_and_the_rest_in_the_working_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("conf").join("c.yaml");
        std::fs::create_dir_all(dir.path().join("conf/declared")).expect("mkdir");
        std::fs::write(
            &file,
            "store: {path: ../state/hub.db}\nsecrets: {key_file: keys/k}\n\
             importers: {directory_roots: [specs, /abs/specs], declared_dir: declared}\n",
        )
        .expect("write");
        let load = |env: &[(&str, &str)]| {
            Settings::load(&Sources {
                file: Some(file.clone()),
                env: env
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            })
            .expect("valid")
        };
        let conf = dir.path().join("conf");
        let s = load(&[]);
        assert_eq!(s.store.path, conf.join("../state/hub.db"));
        assert_eq!(s.data_dir(), conf.join("../state"));
        assert_eq!(s.secrets.key_file, Some(conf.join("keys/k")));
        assert_eq!(
            s.importers.directory_roots,
            [conf.join("specs"), PathBuf::from("/abs/specs")]
        );
        assert_eq!(s.importers.declared_dir, Some(conf.join("declared")));
        // A variable is not written in the file: its path is the caller's, as given.
        let s = load(&[
            ("APIHUB_STORE__PATH", "run/hub.db"),
            ("APIHUB_IMPORTERS__DIRECTORY_ROOTS", "a,b"),
        ]);
        assert_eq!(s.store.path, PathBuf::from("run/hub.db"));
        assert_eq!(
            s.importers.directory_roots,
            [PathBuf::from("a"), PathBuf::from("b")]
        );
        assert_eq!(s.secrets.key_file, Some(conf.join("keys/k")));
        // Defaults stay relative to the working directory.
        let s = load_ok("log: {level: info}\n");
        assert_eq!(s.store.path, PathBuf::from("./data/apihub.db"));
        assert_eq!(s.importers.directory_roots, [PathBuf::from("./specs")]);
    }

    fn load_ok(yaml: &str) -> Settings {
        load(yaml, &[]).unwrap_or_else(|e| panic!("{yaml}: {e}"))
    }

    #[test]
    fn a_malformed_secret_key_is_a_settings_error_naming_it() {
        for (key, says) in [
            ("not base64!!", "not valid base64"),
            ("c2hvcnQ=", "5 bytes, not 32"),
        ] {
            let e = load("log: {level: info}\n", &[("APIHUB_SECRETS__KEY", key)])
                .expect_err(key)
                .to_string();
            assert!(e.contains("secrets.key") && e.contains(says), "{e}");
        }
        assert!(
            load("secrets: {key: ''}\n", &[]).is_ok(),
            "empty means unset"
        );
    }

    /// Every YAML file we ship must load (Omicron's `test_repo_configs_are_valid`).
    #[test]
    fn shipped_configs_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("config dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                Settings::load(&Sources {
                    file: Some(path.clone()),
                    env: HashMap::new(),
                })
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                seen += 1;
            }
        }
        assert!(seen >= 1, "no config files found in {}", dir.display());
    }

    /// The ConfigMap payloads of the Kubernetes manifests are configs too.
    #[test]
    fn kubernetes_config_map_payloads_are_valid() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config/kubernetes/apihub-importer.yaml");
        let text = std::fs::read_to_string(&path).expect("manifest");
        let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
            .map(|d| serde_yaml::Value::deserialize(d).expect("yaml document"))
            .collect();
        // The pod gets the Secret's keys as environment variables.
        let env: HashMap<String, String> = docs
            .iter()
            .filter(|d| d["kind"].as_str() == Some("Secret"))
            .filter_map(|d| d["stringData"].as_mapping())
            .flatten()
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned())))
            .collect();
        // The shipped placeholder must stop the pod until an operator sets a token.
        assert!(env.contains_key("APIHUB_SERVER__AUTH_TOKENS"));
        let mut env = env;
        let placeholder = env.insert(
            "APIHUB_SERVER__AUTH_TOKENS".into(),
            "3f6b0c1d9e2a4b7c8d5e6f1a".into(),
        );
        let mut seen = 0;
        for value in &docs {
            if value["kind"].as_str() != Some("ConfigMap") {
                continue;
            }
            let Some(data) = value["data"].as_mapping() else {
                continue;
            };
            for (name, payload) in data {
                let dir = tempfile::tempdir().expect("tempdir");
                let file = dir.path().join("c.yaml");
                std::fs::write(&file, payload.as_str().expect("string payload")).expect("write");
                Settings::load(&Sources {
                    file: Some(file),
                    env: env.clone(),
                })
                .unwrap_or_else(|e| panic!("{name:?}: {e}"));
                let mut shipped = env.clone();
                shipped.insert(
                    "APIHUB_SERVER__AUTH_TOKENS".into(),
                    placeholder.clone().unwrap_or_default(),
                );
                let refused = Settings::load(&Sources {
                    file: Some(dir.path().join("c.yaml")),
                    env: shipped,
                })
                .expect_err("the manifest's placeholder token must not start a pod");
                assert!(refused.to_string().contains("placeholder"), "{refused}");
                seen += 1;
            }
        }
        assert_eq!(seen, 1);
    }
}
