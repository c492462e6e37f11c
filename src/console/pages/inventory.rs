//! `/inventory`: API targets with search, sort and keyset paging (the API's own
//! query, so it stays fast at any size); a target with its definitions,
//! operations, links, annotations and origin; a definition rendered (OpenAPI
//! through the bundled Swagger UI, read-only; other formats as text) with a
//! download.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use maud::{Markup, html};
use serde::Deserialize;

use super::{fail, viewer};
use crate::api::extract::ApiQuery;
use crate::api::inventory::targets::{ListParams, definition_content, get_target, list_targets};
use crate::console::Console;
use crate::console::layout::{Section, page, when};
use crate::console::session::Session;
use crate::inventory::{TargetDetail, TargetPage};

#[derive(Deserialize, Default)]
pub struct InventoryQuery {
    #[serde(default)]
    search: Option<String>,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
}

const COLUMNS: [(&str, &str); 5] = [
    ("name", "Name"),
    ("definitionFormat", "Format"),
    ("operationsCount", "Operations"),
    ("modifiedAt", "Modified"),
    ("createdAt", "Created"),
];

fn list_url(search: &str, sort: &str, cursor: Option<&str>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    if !search.is_empty() {
        q.append_pair("search", search);
    }
    if !sort.is_empty() {
        q.append_pair("sort", sort);
    }
    if let Some(c) = cursor {
        q.append_pair("cursor", c);
    }
    let q = q.finish();
    if q.is_empty() {
        "/inventory".into()
    } else {
        format!("/inventory?{q}")
    }
}

/// A column header that sorts by it (again: the other way).
fn sort_header(search: &str, current: &str, key: &str, label: &str) -> Markup {
    let (next, state) = if current == key {
        (format!("-{key}"), Some("ascending"))
    } else if current == format!("-{key}") {
        (key.to_owned(), Some("descending"))
    } else {
        (key.to_owned(), None)
    };
    let class = if key == "operationsCount" { "num" } else { "" };
    html! {
        th scope="col" class=(class) aria-sort=[state] {
            a href=(list_url(search, &next, None)) { (label) }
        }
    }
}

/// A definition's name, or (imported ones often have none) its format.
fn label(d: &crate::inventory::DefinitionView) -> String {
    if d.name.trim().is_empty() {
        format!("{} definition", d.format)
    } else {
        d.name.clone()
    }
}

pub async fn inventory(
    State(console): State<Console>,
    Extension(session): Extension<Session>,
    Query(q): Query<InventoryQuery>,
) -> Response {
    let search = q.search.clone().unwrap_or_default();
    let sort = q.sort.clone().unwrap_or_default();
    let page_of: TargetPage = match list_targets(
        State(console.app.clone()),
        ApiQuery(ListParams {
            limit: Some(50),
            cursor: q.cursor.clone(),
            search: q.search.clone().filter(|s| !s.trim().is_empty()),
            sort: q.sort.clone().filter(|s| !s.is_empty()),
            is_hidden: None,
        }),
    )
    .await
    {
        Ok(Json(p)) => p,
        Err(e) => return fail(e),
    };
    let body = html! {
        h1 { "Inventory" }
        form.search method="get" action="/inventory" role="search" {
            div {
                label for="search" { "Search API targets" }
                input type="search" id="search" name="search" value=(search) maxlength="255";
            }
            @if !sort.is_empty() { input type="hidden" name="sort" value=(sort); }
            button type="submit" { "Search" }
        }
        @let one = page_of.total_count == 1;
        p.muted role="status" {
            (page_of.total_count) (if one { " API target" } else { " API targets" })
            @if !search.is_empty() { (if one { " matches “" } else { " match “" }) (search) "”" } "."
        }
        @if !page_of.targets.is_empty() {
            table {
                thead { tr {
                    @for (key, label) in COLUMNS { (sort_header(&search, &sort, key, label)) }
                    th scope="col" { "Origin" }
                } }
                tbody {
                    @for t in &page_of.targets {
                        tr {
                            td { a href={ "/inventory/" (t.id) } { (t.name) } }
                            td { (t.definition_format) }
                            td.num { (t.operations_count) }
                            td { (when(Some(&t.modified_at))) }
                            td { (when(Some(&t.created_at))) }
                            td { (t.definitions.first().map(|d| d.source.origin.as_str()).unwrap_or("")) }
                        }
                    }
                }
            }
        }
        nav.pages aria-label="Inventory pages" {
            @if let Some(prev) = &page_of.previous_page {
                a href=(list_url(&search, &sort, Some(prev))) rel="prev" { "← Previous page" }
            }
            @if let Some(next) = &page_of.next_page {
                a href=(list_url(&search, &sort, Some(next))) rel="next" { "Next page →" }
            }
        }
    };
    page(
        "Inventory",
        Section::Inventory,
        &viewer(&console, &session),
        body,
    )
    .into_response()
}

pub async fn target(
    State(console): State<Console>,
    Extension(session): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    let TargetDetail {
        target: t,
        operations,
    } = match get_target(State(console.app.clone()), Path(id)).await {
        Ok(Json(d)) => d,
        Err(e) => return fail(e),
    };
    let body = html! {
        p { a href="/inventory" { "← Inventory" } }
        h1 { (t.name) }
        @if let Some(d) = &t.description { p { (d) } }
        dl.facts {
            dt { "Format" } dd { (t.definition_format) }
            dt { "Operations" } dd { (t.operations_count) }
            dt { "Created" } dd { (when(Some(&t.created_at))) }
            dt { "Modified" } dd { (when(Some(&t.modified_at))) }
            dt { "Last scanned" } dd { (when(t.last_scanned.as_deref())) }
            dt { "Hidden" } dd { (if t.is_hidden { "yes" } else { "no" }) }
            @if !t.alternative_urls.is_empty() {
                dt { "Other URLs" } dd { (t.alternative_urls.join(", ")) }
            }
        }
        h2 { "Definitions" }
        table {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Format" } th scope="col" { "Came from" } th scope="col" { "Source" } } }
            tbody {
                @for d in &t.definitions {
                    tr {
                        td { a href={ "/inventory/" (t.id) "/definitions/" (d.id) } { (label(d)) } }
                        td { (d.format) }
                        td { (d.source.mode.as_str()) " · " (d.source.origin) }
                        td { (d.source_name.as_deref().or(d.url.as_deref()).unwrap_or("")) }
                    }
                }
            }
        }
        h2 { "Operations" }
        @if operations.is_empty() { p.muted { "No operations." } } @else {
            table {
                thead { tr { th scope="col" { "Method" } th scope="col" { "Path" } th scope="col" { "Name" } th scope="col" { "Excluded" } } }
                tbody {
                    @for o in &operations {
                        tr {
                            td { code { (o.kind) } }
                            td { code { (o.endpoint) } }
                            td { (o.name) }
                            td { (if o.exclude_operation { "yes" } else { "no" }) }
                        }
                    }
                }
            }
        }
        h2 { "Links" }
        @if t.links.is_empty() { p.muted { "No links to scan targets." } } @else {
            table {
                thead { tr { th scope="col" { "Scan target" } th scope="col" { "Base URL" } th scope="col" { "Created" } } }
                tbody {
                    @for l in &t.links {
                        tr {
                            td { (l.remote_target_display_name.as_deref().unwrap_or(&l.remote_target_id)) }
                            td { (l.base_url) }
                            td { (when(Some(&l.created_at))) }
                        }
                    }
                }
            }
        }
        h2 { "Annotations" }
        @if t.annotations.is_empty() { p.muted { "None." } } @else {
            dl.facts {
                @for a in &t.annotations { dt { code { (a.key) } } dd { (a.value) } }
            }
        }
    };
    page(
        &t.name,
        Section::Inventory,
        &viewer(&console, &session),
        body,
    )
    .into_response()
}

pub async fn definition(
    State(console): State<Console>,
    Extension(session): Extension<Session>,
    Path((target_id, def_id)): Path<(String, String)>,
) -> Response {
    let TargetDetail { target: t, .. } =
        match get_target(State(console.app.clone()), Path(target_id.clone())).await {
            Ok(Json(d)) => d,
            Err(e) => return fail(e),
        };
    let Some(d) = t.definitions.iter().find(|d| d.id == def_id) else {
        return fail(crate::api::error::ApiError::not_found(
            "definition",
            &format!("{target_id}/{def_id}"),
        ));
    };
    let download = format!("/inventory/{}/definitions/{}/download", t.id, d.id);
    let openapi = matches!(d.format.as_str(), "Openapi3" | "Openapi2");
    let text = if openapi {
        None
    } else {
        match console.app.store.definition_content(&t.id, &d.id).await {
            Ok(Some((bytes, _))) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Ok(None) => None,
            Err(e) => return fail(e.into()),
        }
    };
    let body = html! {
        p { a href={ "/inventory/" (t.id) } { "← " (t.name) } }
        h1 { (label(d)) }
        p { (d.format) " · " (d.source.mode.as_str()) " · " (d.source.origin) }
        p { a.button href=(download) download { "Download" } }
        @if openapi {
            link rel="stylesheet" href="/docs/swagger-ui.css";
            div id="definition-viewer" data-spec-url=(download) {
                p.muted { "Loading the definition viewer…" }
            }
            script src="/docs/swagger-ui-bundle.js" {}
            script src="/console/assets/definition.js" {}
        } @else if let Some(text) = &text {
            pre.source tabindex="0" aria-label={ (d.format) " source" } {
                code { (crate::console::highlight::highlight(&d.format, text)) }
            }
        }
    };
    page(
        &label(d),
        Section::Inventory,
        &viewer(&console, &session),
        body,
    )
    .into_response()
}

pub async fn download(
    State(console): State<Console>,
    Path((target_id, def_id)): Path<(String, String)>,
) -> Response {
    let mut resp = definition_content(
        State(console.app.clone()),
        Path((target_id, def_id.clone())),
    )
    .await
    .unwrap_or_else(|e| e.into_response());
    if resp.status().is_success()
        && let Ok(v) =
            HeaderValue::from_str(&format!("attachment; filename=\"definition-{def_id}\""))
    {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
