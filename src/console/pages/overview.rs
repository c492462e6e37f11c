//! `/`: what needs attention first. Failing importers with their reason, counts
//! of importers by status and outcome, inventory totals by definition format, the
//! latest runs of every importer and the latest changes to the inventory.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use maud::html;

use super::{fail, viewer};
use crate::api::runs::RunView;
use crate::console::Console;
use crate::console::layout::{Section, outcome, page, when};
use crate::console::session::Session;
use crate::inventory::TargetPage;

pub async fn overview(
    State(console): State<Console>,
    Extension(session): Extension<Session>,
) -> Response {
    let app = &console.app;
    let importers = match crate::api::importers::list_importers(State(app.clone())).await {
        Ok(Json(list)) => list.importers,
        Err(e) => return fail(e),
    };
    let formats = match app.store.format_totals().await {
        Ok(f) => f,
        Err(e) => return fail(e.into()),
    };
    let runs: Vec<RunView> = match app.store.recent_runs(10).await {
        Ok(r) => r.into_iter().map(Into::into).collect(),
        Err(e) => return fail(e.into()),
    };
    let changes: TargetPage = match crate::api::inventory::targets::list_targets(
        State(app.clone()),
        crate::api::extract::ApiQuery(crate::api::inventory::targets::ListParams {
            limit: Some(10),
            cursor: None,
            search: None,
            sort: Some("-modifiedAt".into()),
            is_hidden: None,
        }),
    )
    .await
    {
        Ok(Json(p)) => p,
        Err(e) => return fail(e),
    };
    let names: BTreeMap<&str, &str> = importers
        .iter()
        .map(|i| (i.importer_id.as_str(), i.name.as_str()))
        .collect();
    let mut by_state: BTreeMap<(String, String), u32> = BTreeMap::new();
    for i in &importers {
        *by_state
            .entry((
                i.status.as_str().to_owned(),
                i.sync_status.as_str().to_owned(),
            ))
            .or_default() += 1;
    }
    let failing: Vec<_> = importers
        .iter()
        .filter(|i| i.sync_status.as_str() == "Failed")
        .collect();
    let total: u64 = formats.iter().map(|(_, n)| n).sum();
    let body = html! {
        h1 { "Overview" }
        section aria-labelledby="failing" {
            h2 id="failing" { "Failing importers" }
            @if failing.is_empty() {
                p.muted { "No importer's last run failed." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Importer" } th scope="col" { "Type" } th scope="col" { "Last run" } th scope="col" { "Reason" } } }
                    tbody {
                        @for i in &failing {
                            tr {
                                td { a href={ "/importers/" (i.importer_id) } { (i.name) } }
                                td { (i.kind.map(|k| k.as_str()).unwrap_or("none")) }
                                td { (when(i.last_run_date.as_deref())) }
                                td { (i.last_run_fail_reason.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="importers" {
            h2 id="importers" { "Importers by status" }
            @if importers.is_empty() {
                p.muted { "No importers yet. Create one through the API (see " a href="/docs" { "API docs" } ") or declare it in the config." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Status" } th scope="col" { "Last outcome" } th.num scope="col" { "Importers" } } }
                    tbody {
                        @for ((status, sync), n) in &by_state {
                            tr { td { (status) } td { (outcome(sync)) } td.num { (n) } }
                        }
                    }
                }
            }
        }
        section aria-labelledby="totals" {
            h2 id="totals" { "Inventory" }
            div.cards {
                div.card { div.value { (total) } div { "API targets" } }
                @for (format, n) in &formats {
                    div.card { div.value { (n) } div { (format) } }
                }
            }
        }
        section aria-labelledby="runs" {
            h2 id="runs" { "Latest runs" }
            @if runs.is_empty() {
                p.muted { "No runs yet." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Importer" } th scope="col" { "Started" } th scope="col" { "Outcome" } th.num scope="col" { "Created" } th.num scope="col" { "Updated" } th.num scope="col" { "Failed" } } }
                    tbody {
                        @for r in &runs {
                            tr {
                                td { a href={ "/importers/" (r.importer_id) } { (names.get(r.importer_id.as_str()).copied().unwrap_or("(deleted)")) } }
                                td { (when(Some(&r.started_at))) }
                                td { (outcome(r.status.as_str())) }
                                td.num { (r.counts.created) }
                                td.num { (r.counts.updated) }
                                td.num { (r.counts.failed) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="changes" {
            h2 id="changes" { "Latest changes" }
            @if changes.targets.is_empty() {
                p.muted { "The inventory is empty." }
            } @else {
                table {
                    thead { tr { th scope="col" { "API target" } th scope="col" { "Change" } th scope="col" { "When" } } }
                    tbody {
                        @for t in &changes.targets {
                            @let missing = t.annotations.iter().any(|a| a.key == "apihub.missingSince");
                            tr {
                                td { a href={ "/inventory/" (t.id) } { (t.name) } }
                                td {
                                    @if missing { span.badge.warn { "missing" } }
                                    @else if t.created_at == t.modified_at { span.badge.good { "created" } }
                                    @else { span.badge.none { "updated" } }
                                }
                                td { (when(Some(&t.modified_at))) }
                            }
                        }
                    }
                }
            }
        }
    };
    page(
        "Overview",
        Section::Overview,
        &viewer(&console, &session),
        body,
    )
    .into_response()
}
