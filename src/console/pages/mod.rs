//! The console's pages, one module per section. Each handler calls the API
//! handler that answers the same question and renders its answer.

mod importers;
mod inventory;
mod overview;
mod shadow;

pub use importers::{check, importer, importers, trigger};
pub use inventory::{definition, download, inventory, target};
pub use overview::overview;
pub use shadow::shadow;

use axum::response::Response;

use super::Console;
use super::layout::{Viewer, error_page};
use super::session::Session;
use crate::api::error::ApiError;

/// The API's answer to a bad request, as a page.
fn fail(e: ApiError) -> Response {
    error_page(e.status, &e.message)
}

fn viewer<'a>(console: &Console, session: &'a Session) -> Viewer<'a> {
    Viewer {
        session,
        signed_in: console.tokens.enabled(),
    }
}
