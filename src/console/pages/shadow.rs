//! `/shadow-apis`: what traffic agents saw that no definition documents, and what
//! definitions document that traffic no longer shows (the API's shadow report).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use maud::{Markup, html};

use super::{fail, viewer};
use crate::api::inventory::shadow::ShadowOperation;
use crate::console::Console;
use crate::console::layout::{Section, page, when};
use crate::console::session::Session;

fn table(ops: &[ShadowOperation], documented: bool) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { "Method" } th scope="col" { "Origin" } th scope="col" { "Path" }
                @if documented { th scope="col" { "Documented by" } }
                th scope="col" { "Last seen" } th scope="col" { "Agent" }
            } }
            tbody {
                @for o in ops {
                    tr {
                        td { code { (o.method) } }
                        td { (o.origin) }
                        td { code { (o.path) } }
                        @if documented {
                            td { @if let Some(t) = &o.documented_by { a href={ "/inventory/" (t) } { "API target" } } }
                        }
                        td { (when(o.last_seen.as_deref())) }
                        td { a href={ "/importers/" (o.importer_id) } { "importer" } }
                    }
                }
            }
        }
    }
}

pub async fn shadow(
    State(console): State<Console>,
    Extension(session): Extension<Session>,
) -> Response {
    let report = match crate::api::inventory::shadow::shadow_apis(State(console.app.clone())).await
    {
        Ok(Json(r)) => r,
        Err(e) => return fail(e),
    };
    let body = html! {
        h1 { "Shadow APIs" }
        p.muted { "From the traffic that " code { "invicti_nad_agent" } " importers receive." }
        h2 { "Undocumented operations (" (report.undocumented.len()) ")" }
        @if report.undocumented.is_empty() { p.muted { "Every operation seen in traffic is documented." } }
        @else { (table(&report.undocumented, false)) }
        h2 { "Stale operations (" (report.stale.len()) ")" }
        @if report.stale.is_empty() { p.muted { "Traffic shows every documented operation." } }
        @else { (table(&report.stale, true)) }
    };
    page(
        "Shadow APIs",
        Section::Shadow,
        &viewer(&console, &session),
        body,
    )
    .into_response()
}
