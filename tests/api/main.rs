//! Integration tests of the HTTP API against an in-process daemon on port 0.

mod appsec;
#[cfg(feature = "aws")]
mod aws;
mod console;
mod declared;
mod docs;
mod engine;
mod export;
mod findings;
mod hardening;
mod helpers;
mod importers;
mod inventory;
mod nad;
mod pagination;
mod remote;
mod scanners;
mod scheduler;
mod sync;
