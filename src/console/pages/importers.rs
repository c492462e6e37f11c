//! `/importers` and `/importers/{id}`: every importer with its schedule and last
//! outcome, Trigger and Check buttons, and one importer's masked parameters and
//! run history (each run opens to its per-item outcomes).

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use maud::{Markup, html};
use serde::Deserialize;

use super::{fail, viewer};
use crate::api::importers::{CheckResult, ImporterView};
use crate::api::runs::{PageQuery, RunPage};
use crate::console::Console;
use crate::console::layout::{Section, csrf, json_block, outcome, page, when};
use crate::console::session::Session;

fn extra<'a>(i: &'a ImporterView, key: &str) -> Option<&'a str> {
    i.extras.as_ref()?.get(key)?.as_str()
}

fn schedule(i: &ImporterView) -> String {
    let Some(f) = &i.update_frequency else {
        return "daily".into();
    };
    let unit = f.unit.as_str();
    if f.value == 1 {
        return unit.to_owned();
    }
    let noun = match unit {
        "hourly" => "hours",
        "daily" => "days",
        "weekly" => "weeks",
        _ => "months",
    };
    format!("every {} {noun}", f.value)
}

fn buttons(i: &ImporterView, session: &Session) -> Markup {
    html! {
        div.actions {
            form.inline method="post" action={ "/importers/" (i.importer_id) "/trigger" } {
                (csrf(session))
                button type="submit" aria-label={ "Trigger " (i.name) } { "Trigger" }
            }
            form.inline method="post" action={ "/importers/" (i.importer_id) "/check" } {
                (csrf(session))
                button.secondary type="submit" aria-label={ "Check the connection of " (i.name) } { "Check" }
            }
        }
    }
}

pub async fn importers(
    State(console): State<Console>,
    Extension(session): Extension<Session>,
) -> Response {
    let list = match crate::api::importers::list_importers(State(console.app.clone())).await {
        Ok(Json(l)) => l.importers,
        Err(e) => return fail(e),
    };
    let body = html! {
        h1 { "Importers" }
        @if list.is_empty() {
            p.muted { "No importers yet." }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Type" } th scope="col" { "Status" }
                    th scope="col" { "Schedule" } th scope="col" { "Last run" } th scope="col" { "Next run" }
                    th scope="col" { "Last reason" } th scope="col" { "Actions" }
                } }
                tbody {
                    @for i in &list {
                        tr {
                            td { a href={ "/importers/" (i.importer_id) } { (i.name) } }
                            td { (i.kind.map(|k| k.as_str()).unwrap_or("none")) }
                            td { (i.status.as_str()) }
                            td { (schedule(i)) }
                            td { (when(i.last_run_date.as_deref())) " " (outcome(i.sync_status.as_str())) }
                            td { (when(extra(i, "nextRunAt"))) }
                            td { (i.last_run_fail_reason.as_deref().unwrap_or("")) }
                            td { (buttons(i, &session)) }
                        }
                    }
                }
            }
        }
    };
    page(
        "Importers",
        Section::Importers,
        &viewer(&console, &session),
        body,
    )
    .into_response()
}

#[derive(Deserialize)]
pub struct ImporterQuery {
    #[serde(default)]
    triggered: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
}

pub async fn importer(
    State(console): State<Console>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
    Query(q): Query<ImporterQuery>,
) -> Response {
    let notice = q.triggered.is_some().then(|| {
        html! { p.notice.good role="status" { "Run requested. It starts as soon as a run slot is free; reload to follow it." } }
    });
    render_importer(&console, &session, &id, q.cursor, notice).await
}

async fn render_importer(
    console: &Console,
    session: &Session,
    id: &str,
    cursor: Option<String>,
    notice: Option<Markup>,
) -> Response {
    let app = &console.app;
    let i = match crate::api::importers::get_importer(State(app.clone()), Path(id.to_owned())).await
    {
        Ok(Json(i)) => i,
        Err(e) => return fail(e),
    };
    let runs: RunPage = match crate::api::runs::list_runs(
        State(app.clone()),
        Path(id.to_owned()),
        crate::api::extract::ApiQuery(PageQuery {
            limit: Some(20),
            cursor,
        }),
    )
    .await
    {
        Ok(Json(r)) => r,
        Err(e) => return fail(e),
    };
    let body = html! {
        p { a href="/importers" { "← All importers" } }
        h1 { (i.name) }
        @if let Some(n) = notice { (n) }
        (buttons(&i, session))
        dl.facts {
            dt { "Type" } dd { (i.kind.map(|k| k.as_str()).unwrap_or("none")) }
            dt { "Status" } dd { (i.status.as_str()) }
            dt { "Schedule" } dd { (schedule(&i)) }
            dt { "Last run" } dd { (when(i.last_run_date.as_deref())) " " (outcome(i.sync_status.as_str())) }
            dt { "Next run" } dd { (when(extra(&i, "nextRunAt"))) }
            dt { "Last reason" } dd { (i.last_run_fail_reason.as_deref().unwrap_or("none")) }
            dt { "Skips empty definitions" } dd { (if i.exclude_empty_specs { "yes" } else { "no" }) }
        }
        h2 { "Parameters" }
        p.muted { "Secrets are shown as " code { "********" } "." }
        (json_block(&i.parameters))
        h2 { "Runs" }
        p.muted { (runs.total_count) " in the history." }
        @if runs.runs.is_empty() {
            p.muted { "No runs yet." }
        }
        @for r in &runs.runs {
            details.run {
                summary {
                    (when(Some(&r.started_at))) " · " (r.trigger.as_str()) " · " (outcome(r.status.as_str()))
                    " · " (r.counts.created) " created, " (r.counts.updated) " updated, "
                    (r.counts.unchanged) " unchanged, " (r.counts.failed) " failed"
                }
                @if let Some(reason) = &r.fail_reason { p.notice.bad { (reason) } }
                dl.facts {
                    dt { "Discovered" } dd { (r.counts.discovered) }
                    dt { "Skipped (empty)" } dd { (r.counts.skipped_empty) }
                    dt { "Skipped" } dd { (r.counts.skipped) }
                    dt { "Missing" } dd { (r.counts.missing) }
                    dt { "Finished" } dd { (when(r.finished_at.as_deref())) }
                }
                @let items = r.items.as_array().cloned().unwrap_or_default();
                @if !items.is_empty() {
                    table {
                        thead { tr { th scope="col" { "Item" } th scope="col" { "Outcome" } th scope="col" { "Note" } } }
                        tbody {
                            @for it in &items {
                                tr {
                                    td { (it["name"].as_str().or(it["externalKey"].as_str()).unwrap_or("")) }
                                    td { (outcome(it["outcome"].as_str().unwrap_or(""))) }
                                    td { (it["message"].as_str().unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(next) = &runs.next_page {
            nav.pages aria-label="Runs pages" {
                a href={ "/importers/" (i.importer_id) "?cursor=" (next) } { "Older runs" }
            }
        }
    };
    page(&i.name, Section::Importers, &viewer(console, session), body).into_response()
}

pub async fn trigger(State(console): State<Console>, Path(id): Path<String>) -> Response {
    match crate::api::importers::trigger_importer(State(console.app.clone()), Path(id.clone()))
        .await
    {
        Ok(_) => Redirect::to(&format!("/importers/{id}?triggered=1")).into_response(),
        Err(e) => fail(e),
    }
}

pub async fn check(
    State(console): State<Console>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    let result: CheckResult =
        match crate::api::importers::check_importer(State(console.app.clone()), Path(id.clone()))
            .await
        {
            Ok(Json(r)) => r,
            Err(e) => return fail(e),
        };
    let notice = if result.ok {
        html! { p.notice.good role="status" { "Connection check passed." } }
    } else {
        html! { p.notice.bad role="alert" {
            "Connection check failed (" (result.kind.as_deref().unwrap_or("error")) "): "
            (result.message.as_deref().unwrap_or(""))
        } }
    };
    // A failed check is news about the platform, not a bad request: the page
    // answers 200 with the outcome in it, as the API does.
    render_importer(&console, &session, &id, None, Some(notice)).await
}
