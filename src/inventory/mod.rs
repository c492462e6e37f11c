//! The embedded API Hub inventory (seed 001): the shapes its API returns (built
//! from the store's records in `views`), the filters its list and export take, and
//! the export writers. SQL is in `store::targets`, `store::links` and
//! `store::export`; routes in `api::inventory`.

pub mod export;
pub mod filter;
pub mod model;
mod views;

pub use model::{
    Annotation, DefinitionView, LinkRequest, LinkView, OperationView, Source, SourceMode,
    TargetDetail, TargetPage, TargetView, VulnerabilityCounts,
};
