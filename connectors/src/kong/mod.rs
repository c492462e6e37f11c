//! The `kong` connector's pieces (issue 12): Kong keeps no spec, so each service's
//! OpenAPI document is built from its routes. The listing (Admin API and Konnect)
//! and the descriptor come next; until then the registry has no `kong` connector.

pub mod paths;
pub mod synth;
