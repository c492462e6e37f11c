//! The page shell every console page shares (skip link, navigation, sign-out
//! form) and the small pieces pages repeat: status badges, times, errors.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::session::Session;

/// Which navigation entry a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Importers,
    Inventory,
    Shadow,
    /// A page outside the navigation (sign out).
    Other,
}

/// What the shell needs to know about the person looking.
pub struct Viewer<'a> {
    pub session: &'a Session,
    /// Signed in with a token (so there is something to sign out of).
    pub signed_in: bool,
}

pub fn page(title: &str, section: Section, viewer: &Viewer, body: Markup) -> Markup {
    let entry = |s: Section, href: &str, label: &str| {
        html! {
            li { a href=(href) aria-current=[(s == section).then_some("page")] { (label) } }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.site {
                    a.brand href="/" { "apihub-importer" }
                    nav aria-label="Main" {
                        ul {
                            (entry(Section::Overview, "/", "Overview"))
                            (entry(Section::Importers, "/importers", "Importers"))
                            (entry(Section::Inventory, "/inventory", "Inventory"))
                            (entry(Section::Shadow, "/shadow-apis", "Shadow APIs"))
                            li { a href="/docs" { "API docs" } }
                        }
                    }
                    @if viewer.signed_in {
                        form method="post" action="/logout" {
                            (csrf(viewer.session))
                            button.secondary type="submit" { "Sign out" }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    (body)
                }
            }
        }
    }
}

/// The hidden field every state-changing form carries.
pub fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A coloured word for a run or sync outcome; the word carries the meaning, the
/// colour only repeats it.
pub fn outcome(status: &str) -> Markup {
    let class = match status {
        "Completed" | "completed" | "created" | "updated" | "unchanged" => "good",
        "Failed" | "failed" => "bad",
        "Running" | "running" | "queued" | "skipped" | "skippedEmpty" => "warn",
        _ => "none",
    };
    html! { span class={ "badge " (class) } { (status) } }
}

/// A stored RFC 3339 time as people read it (UTC, to the second).
pub fn when(t: Option<&str>) -> Markup {
    match t {
        Some(t) => {
            let shown = chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| {
                    d.with_timezone(&chrono::Utc)
                        .format("%Y-%m-%d %H:%M:%S UTC")
                        .to_string()
                })
                .unwrap_or_else(|_| t.to_owned());
            html! { time datetime=(t) { (shown) } }
        }
        None => html! { span.muted { "never" } },
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · apihub-importer" }
            link rel="stylesheet" href="/console/assets/console.css";
        }
    }
}

fn bare(title: &str, status: StatusCode, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body { main id="main" { (body) } }
        }
    };
    (status, markup).into_response()
}

/// A page that says what went wrong and where to go next.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    bare(
        status.canonical_reason().unwrap_or("Error"),
        status,
        html! {
            h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("Error")) }
            p.notice.bad role="alert" { (message) }
            p { a href="/" { "Back to the overview" } }
        },
    )
}

/// The sign-in form: one field, named `token`.
pub fn login(next: &str, error: Option<&str>, status: StatusCode) -> Response {
    bare(
        "Sign in",
        status,
        html! {
            div.login {
                h1 { "Sign in to apihub-importer" }
                @if let Some(e) = error {
                    p.notice.bad role="alert" id="login-error" { (e) }
                }
                form method="post" action="/login" {
                    input type="hidden" name="next" value=(next);
                    p {
                        label for="token" { "API token" }
                        input type="password" id="token" name="token" required
                            autocomplete="current-password"
                            aria-describedby=[error.map(|_| "login-error")];
                    }
                    p.muted { "One of the daemon's " code { "server.auth_tokens" } "." }
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
}

/// `value` as JSON text for a `<pre>`, secrets already masked by the API view.
pub fn json_block(value: &serde_json::Value) -> Markup {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    html! { pre.source { (text) } }
}
