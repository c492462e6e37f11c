//! # The normalizer
//!
//! Raw bytes of an API definition in, a [`NormalizedDefinition`] or a clear
//! [`NormalizeError`] out. Pure: no I/O, no async, no global state. Every connector
//! and the inventory's upload endpoint go through [`normalize`].
//!
//! ## Detection
//! Content first, hints second:
//! - `<` → XML: root `definitions` in the WSDL 1.1 namespace or `description` in the
//!   WSDL 2.0 namespace is WSDL; `application` in a WADL namespace is WADL.
//! - `#%RAML 0.8` / `#%RAML 1.0` → RAML (fragments such as `#%RAML 1.0 Library` are
//!   rejected: they are not APIs).
//! - JSON or YAML with `openapi: 3.x` → Openapi3; `swagger: "2.0"` → Openapi2;
//!   `__schema` (or `data.__schema`) → GraphQL introspection; a Postman collection
//!   (`info.schema` on `schema.getpostman.com`) or a HAR log (`log.entries`) →
//!   Genericapi.
//! - Protocol Buffers syntax (`syntax = "proto3";`, `service X {`, `message X {`) →
//!   Grpc; GraphQL type-system syntax (`type Query {`, `schema {`, `extend type`) →
//!   Graphql.
//!
//! When the content is none of these, the hints decide (declared format, then file
//! extension, then content type) and the document must parse as that format. A
//! declared format that contradicts the content is an error naming both.
//!
//! ## Genericapi
//! "Generic API" is a list of requests that is not a specification: a **Postman
//! collection** (v2.0 / v2.1: every request item, folders walked recursively) or a
//! **HAR** log (HAR 1.2, as network discovery and browser tools record traffic:
//! distinct method + URL path pairs, query strings dropped).
//!
//! ## Counting rules
//! `operationsCount` is the number of operations found; [`NormalizedDefinition::is_empty`]
//! means it is 0.
//! - **OpenAPI 3.x / Swagger 2.0**: path items × HTTP methods (`get`, `put`, `post`,
//!   `delete`, `options`, `head`, `patch`, `trace`; keys compared case-insensitively).
//!   A path item that is a local `$ref` (`#/...`, or 3.1 `#/components/pathItems/..`)
//!   is resolved and counted; an external one cannot be and is warned about. OpenAPI
//!   3.1 `webhooks` are listed separately in `webhooks` and not part of the count.
//! - **RAML**: every resource (keys starting with `/`, nested) × its method keys.
//! - **WSDL**: operations of every `portType` (1.1) or `interface` (2.0).
//! - **WADL**: every `resource` (nested) × its `method` elements.
//! - **GraphQL**: fields of the root operation types (`Query`, `Mutation`,
//!   `Subscription`, or those named in `schema { ... }`), including `extend type`.
//!   Introspection JSON counts the same fields.
//! - **gRPC**: `rpc` methods of every service.
//! - **Postman**: request items; **HAR**: distinct (method, path) pairs.
//!
//! Operation `type`/`endpoint` per format: HTTP method and path (OpenAPI, RAML, WADL,
//! Postman, HAR); `QUERY`/`MUTATION`/`SUBSCRIPTION` and the field name (GraphQL);
//! `POST` and `/package.Service/Method` (gRPC, which is how it travels over HTTP/2);
//! `SOAP` and `/PortType/operation` (WSDL). The name is the `operationId` (or the
//! format's own name) when there is one, else derived from method and path like
//! `getapiv1users`.
//!
//! ## Hash
//! SHA-256 over a canonical form, so the same API serialized differently hashes the
//! same: JSON/YAML formats hash their parsed tree with sorted keys and no whitespace
//! (JSON vs YAML, key order and formatting do not matter); XML formats hash elements
//! and attributes by namespace URI with sorted attributes, ignoring prefixes,
//! comments and whitespace between elements; GraphQL and protobuf hash their token
//! stream without comments and whitespace.
//!
//! ## Validity
//! Problems that make a document unusable (not parseable, not an API, no `info`
//! object, unsupported OpenAPI major version) are a [`NormalizeError`]. Structural
//! problems that still leave a usable inventory (an operation without `responses`,
//! a path parameter not marked required, an unresolved `$ref`, duplicate
//! `operationId`s, ...) are [`Diagnostic`]s with severity `Error`: the definition is
//! imported and [`NormalizedDefinition::valid`] is false. `Warning`s are advice (a
//! duplicate JSON key, an external `$ref` that is not fetched). The aim is that
//! `valid` agrees with `@apidevtools/swagger-parser`'s `validate` (measured by the
//! benchmark in `connectors/benches`).
//!
//! ## Multi-file definitions
//! A zip is read as one definition: a RAML project (root from `exchange.json`'s
//! `main`, `!include`s, `uses:` libraries, `exchange_modules/`) or an OpenAPI document
//! with relative `$ref`s to sibling files; counts and the hash cover every file.
//! The original kept is the zip. See `bundle`.
//!
//! ## Bounds
//! [`Limits`]: input size (default 64 MiB), nesting depth (128), YAML alias expansion
//! (the tree may hold at most 10 values per input byte) and invalid UTF-8 are checked
//! before or while parsing; no input panics (`cargo fuzz`, see `connectors/fuzz`).

mod bundle;
mod canonical;
mod detect;
mod doc;
mod format;
mod generic;
mod graphql;
mod grpc;
mod names;
mod openapi;
mod raml;
mod tree;
mod xml;

pub(crate) use openapi::percent_decode;

use serde::Serialize;

pub use detect::Hints;
pub use format::DefinitionFormat;

/// Safety bounds, all configurable (`normalize.*` in the daemon's config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_input_bytes: usize,
    /// Deepest nesting of JSON/YAML/XML structures.
    pub max_depth: usize,
    /// Values the parsed tree may hold per input byte; bounds YAML alias expansion.
    pub max_expansion: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_bytes: 64 * 1024 * 1024,
            max_depth: 128,
            max_expansion: 10,
        }
    }
}

/// Why a document could not be normalized. The message is meant for the user who
/// uploaded or imported it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error("definition is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("definition is empty")]
    Empty,
    #[error("definition is not valid UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error("{syntax} syntax error: {message}")]
    Syntax {
        syntax: &'static str,
        message: String,
    },
    #[error("{0}")]
    NotAnApi(String),
    #[error("declared format {declared} but the content is {detected}")]
    FormatMismatch {
        declared: &'static str,
        detected: String,
    },
    #[error("invalid {format} definition: {message}")]
    Invalid {
        format: &'static str,
        message: String,
    },
}

impl NormalizeError {
    fn syntax(syntax: &'static str, message: impl Into<String>) -> Self {
        NormalizeError::Syntax {
            syntax,
            message: bounded(message.into()),
        }
    }

    fn invalid(format: DefinitionFormat, message: impl Into<String>) -> Self {
        NormalizeError::Invalid {
            format: format.as_str(),
            message: message.into(),
        }
    }
}

/// Parser messages can quote paths of any length (`x[0][0][0]...`); keep the
/// beginning and the end, which say what and where.
fn bounded(message: String) -> String {
    const MAX: usize = 300;
    if message.chars().count() <= MAX {
        return message;
    }
    let head: String = message.chars().take(MAX / 2).collect();
    let tail: String = message
        .chars()
        .rev()
        .take(MAX / 2)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{head}…{tail}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The document breaks its specification (it is still imported).
    Error,
    /// Advice; the document is valid.
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Where, as a JSON pointer or a format-specific location (may be empty).
    pub at: String,
    pub message: String,
}

impl Diagnostic {
    fn error(at: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            at: at.into(),
            message: message.into(),
        }
    }

    fn warning(at: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            at: at.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.at.is_empty() {
            write!(f, "{sev}: {}", self.message)
        } else {
            write!(f, "{sev} at {}: {}", self.at, self.message)
        }
    }
}

/// One operation of an API.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Operation {
    /// HTTP method in upper case, or the format's kind (`QUERY`, `SOAP`, ...).
    #[serde(rename = "type")]
    pub method: String,
    /// Path, field or RPC the operation is reached at.
    pub endpoint: String,
    /// Stable name: `operationId` or derived (`getapiv1users`).
    pub name: String,
}

/// The result of [`normalize`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NormalizedDefinition {
    pub format: DefinitionFormat,
    /// `3.0.3`, `2.0`, `RAML 1.0`, `WSDL 1.1`, `WADL`, `GraphQL SDL`, `proto3`, ...
    pub spec_version: String,
    pub title: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    /// Base URLs the API is served on (the inventory's `alternativeUrls`).
    pub servers: Vec<String>,
    pub operations: Vec<Operation>,
    /// OpenAPI 3.1 webhooks, not counted in `operations`.
    pub webhooks: Vec<Operation>,
    /// Lower-case hex SHA-256 of the canonical form.
    pub hash: String,
    pub diagnostics: Vec<Diagnostic>,
    /// The bytes as received.
    #[serde(skip)]
    pub original: Vec<u8>,
}

impl NormalizedDefinition {
    pub fn operations_count(&self) -> usize {
        self.operations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// No diagnostic of severity `Error`.
    pub fn valid(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// What a format parser extracts; the hash and the original are added by [`normalize`].
struct Extracted {
    format: DefinitionFormat,
    spec_version: String,
    title: Option<String>,
    version: Option<String>,
    description: Option<String>,
    servers: Vec<String>,
    operations: Vec<Operation>,
    webhooks: Vec<Operation>,
    hash: [u8; 32],
    diagnostics: Vec<Diagnostic>,
}

/// Detects the format of `bytes`, parses it and extracts the normalized definition.
pub fn normalize(
    bytes: Vec<u8>,
    hints: &Hints,
    limits: &Limits,
) -> Result<NormalizedDefinition, NormalizeError> {
    if bytes.len() > limits.max_input_bytes {
        return Err(NormalizeError::TooLarge {
            size: bytes.len(),
            limit: limits.max_input_bytes,
        });
    }
    let extracted = if crate::archive::is_zip(&bytes) {
        bundle::extract(&bytes, hints, limits)?
    } else {
        detect::extract_bytes(&bytes, hints, limits)?
    };
    Ok(NormalizedDefinition {
        format: extracted.format,
        spec_version: extracted.spec_version,
        title: extracted.title,
        version: extracted.version,
        description: extracted.description,
        servers: extracted.servers,
        operations: extracted.operations,
        webhooks: extracted.webhooks,
        hash: hex::encode(extracted.hash),
        diagnostics: extracted.diagnostics,
        original: bytes,
    })
}

/// The input as text: UTF-8 (a BOM is skipped); anything else is rejected.
fn text_of(bytes: &[u8]) -> Result<&str, NormalizeError> {
    let text = std::str::from_utf8(bytes).map_err(|e| NormalizeError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Err(NormalizeError::Empty);
    }
    Ok(text)
}
