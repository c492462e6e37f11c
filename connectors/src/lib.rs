//! # apihub-connectors
//!
//! Everything that talks to a source platform or reads an API definition, and nothing
//! that knows about the daemon: no SQLite, no HTTP routes, no scheduler.
//!
//! ## Layout
//! - [`importer_type`]: the closed set of importer types and their wire spellings.
//! - [`connector`]: the [`Connector`] contract (`check` / `fetch`), its [`Context`] and
//!   the [`Fetched`] items it returns.
//! - [`error`]: [`ConnectorError`], classified the way an operator needs it
//!   (config, auth, transient, protocol) with a user-facing message apart from detail.
//! - [`wire_enum!`]: enums as the seeds spell them on the wire (both crates use it).
//! - [`normalize`]: bytes of any supported definition format in, a normalized
//!   definition (format, operations, servers, canonical hash) out. Pure.
//! - [`http`]: the shared HTTP client and retry policy (429/5xx, `Retry-After`).
//! - [`params`]: parameter validation errors shared by every connector.
//! - [`directory`]: the `directory` importer type (spec files in a folder).
//! - [`aws`]: the `aws_api_gateway` connector (REST, HTTP and WebSocket APIs).
//! - `azure`: the `azure` connector (Azure API Management, every format).
//! - `kong`: the `kong` connector (Admin API; specs synthesized from routes).
//! - `exchange`: the `anypoint_exchange` connector (MuleSoft Anypoint Exchange assets).
//! - `apigee`: the `apigee` connector (deployed proxies from their bundles, API hub).
//! - [`nad`]: traffic (HAR, NDJSON) to reconstructed OpenAPI, for `invicti_nad_agent`.
//! - [`archive`]: zip archives (bundles, spec zips, uploads) read with bounds.
//! - [`registry`]: which types have a connector; per-type parameter checks.

#[cfg(feature = "apigee")]
pub mod apigee;
pub mod archive;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "azure")]
pub mod azure;
pub mod connector;
pub mod descriptor;
pub mod directory;
pub mod error;
#[cfg(feature = "anypoint")]
pub mod exchange;
pub mod fields;
pub mod http;
pub mod importer_type;
#[cfg(feature = "kong")]
pub mod kong;
pub mod nad;
pub mod normalize;
pub mod params;
pub mod registry;
pub mod secret_names;
#[cfg(feature = "testkit")]
pub mod testkit;
mod wire;

pub use connector::{Connector, Context, Document, Item, Listed, Listing};
pub use descriptor::{Descriptor, Parameters};
pub use error::{ConnectorError, ErrorKind};
pub use fields::FieldError;
pub use importer_type::ImporterType;
pub use normalize::DefinitionFormat;
pub use params::Secret;
pub use registry::{
    ConnectorFactory, Environment, Registry, build, descriptor, descriptors, validate_parameters,
};
