//! # apihub-importer
//!
//! A daemon that keeps an API inventory complete by itself: importers pull API
//! definitions out of gateways on a schedule and upsert them into an API Hub
//! inventory.
//!
//! ## Layout
//! - [`cli`]: the command line (`serve`, `validate`, `version`, `importers ...`,
//!   `inspect`, `sync`) and its HTTP client of a running daemon.
//! - [`config`]: YAML + `APIHUB_*` settings.
//! - [`app`]: start-up, serving, graceful shutdown.
//! - [`api`]: HTTP routes, error envelope, auth, OpenAPI document.
//! - [`importer`]: what a valid importer is (shared by API and CLI).
//! - [`inventory`]: the embedded inventory's shapes, filters and export writers.
//! - [`appsec`]: the Inventory API's (seed 002) applications, assets,
//!   vulnerabilities and collections, and their field rules.
//! - [`sync`]: one sync of one importer (`sync_once`), used by all callers.
//! - [`scheduler`]: runs importers on their schedule and on trigger.
//! - [`metrics`]: Prometheus metric names and recorder.
//! - [`store`]: SQLite; the only module that sees SQL.
//! - [`secrets`]: encryption of secret parameters at rest.
//! - [`server`]: the HTTP server loop with bounded connections.
//! - [`sink`]: where synced definitions are written (embedded inventory).
//! - [`clock`]: time, pausable in tests.
//! - [`telemetry`]: logging setup.
//! - [`text`]: what names may contain and when two names are the same.
//!
//! The connectors and the definition normalizer live in the `apihub-connectors` crate,
//! which knows nothing of this one.

pub mod api;
pub mod app;
pub mod appsec;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod declared;
pub mod importer;
pub mod inventory;
pub mod metrics;
pub mod run;
pub mod scheduler;
pub mod secrets;
pub mod server;
pub mod sink;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod text;
