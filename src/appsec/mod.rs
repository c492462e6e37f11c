//! The Inventory API of seed 002 (`/api/inventory/v1`): applications, assets,
//! vulnerabilities and collections, field for field as the seed shows them
//! ([`model`]), and the request rules they share ([`rules`]). SQL is in
//! `store::appsec`, routes in `api::appsec`.

pub mod model;
pub mod rules;
pub mod sarif;

pub use model::*;
