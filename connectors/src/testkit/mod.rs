//! Test kit for connectors (Cargo feature `testkit`): a contract server that stands
//! in for a platform over real HTTP on loopback, a compliance suite every HTTP
//! connector runs from its own tests, and the lookup of peer tools (emulators,
//! platform clients) that `tests/run.sh` installs.
//!
//! - [`server::ContractServer`] serves a platform's routes (an axum router the
//!   test builds from the platform's published API), or forwards to a real peer
//!   such as moto, and in both cases scripts faults (429 with `Retry-After`, 5xx,
//!   401, slow answers, dropped connections) and records every request.
//! - [`compliance::run`] checks what every connector must do: pages, throttling,
//!   server errors, refused credentials, cancellation, stable keys and revisions.
//! - `moto::Moto` (with `aws`) runs the AWS emulator and seeds it.
//! - [`keys::rsa_key_pair`] makes a service-account key and its public half.
//! - [`peers::peer`] finds an installed tool, or skips the test (fails it when
//!   `CI=true`).

pub mod compliance;
pub mod keys;
#[cfg(feature = "aws")]
pub mod moto;
pub mod peers;
pub mod server;
