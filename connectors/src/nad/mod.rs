//! Traffic reconstruction for the `invicti_nad_agent` importer type (issue 16): what a
//! network traffic agent saw (HAR 1.2 or NDJSON exchanges) in, OpenAPI 3.1 per
//! origin out. Pure: no store and no routes; the daemon keeps the aggregated
//! [`ObservedOp`]s and calls these functions.
//!
//! # Design notes
//! - [`capture`] reads a batch into [`capture::Exchange`]s, one error per bad entry
//!   (with its index) instead of failing the batch.
//! - [`observe`] turns exchanges into scrubbed, aggregated observations. Header
//!   values, cookies and whole bodies are never kept: only header *names*, query
//!   parameter names with inferred types, and JSON body *schemas*. A path segment
//!   that is a typed value (number, UUID, hash, date, e-mail, token) is replaced by
//!   its type at once, so ids and tokens in paths never reach storage either.
//! - [`template`] learns path templates from variation across requests (not only
//!   digits) and keeps static siblings static.
//! - [`split`] says which API of an origin an operation belongs to, when one origin
//!   clearly serves several (one document per base path then).
//! - [`openapi`] writes the reconstructed document.
//! - [`importer`] is the importer type: parameters, the daemon's [`importer::TrafficStore`]
//!   and the run that writes one document per origin.
//! - [`shadow`] matches it against imported definitions: undocumented and stale
//!   operations.

pub mod capture;
pub mod importer;
pub mod observe;
pub mod openapi;
pub mod shadow;
pub mod split;
pub mod template;

pub use observe::{ObservedOp, observe};
