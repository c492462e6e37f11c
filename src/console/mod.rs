//! The web console at `/`: server-rendered pages over the handlers the API itself
//! runs, so a page shows exactly what the API would answer (secrets masked the
//! same way, the same query rules and keyset paging). No build chain and nothing
//! from outside: the pages are `maud` templates, the style sheet and one small
//! script are compiled in, and the definition viewer is the bundled Swagger UI.
//!
//! Security: with API tokens configured, a page needs a session (see [`session`]);
//! every button that changes state is a POST carrying the session's CSRF token;
//! every answer has a Content-Security-Policy that allows no inline script.

mod assets;
mod highlight;
mod layout;
mod pages;
pub mod session;

use axum::Router;
use axum::extract::{Form, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::api::AppState;
use crate::api::auth::Tokens;
use session::Sessions;

/// What every console handler gets.
#[derive(Clone)]
pub struct Console {
    pub app: AppState,
    pub tokens: Tokens,
    pub sessions: Sessions,
    /// Sign-in attempts, all of them together: 10 at once, then one every 6 s.
    sign_ins: std::sync::Arc<governor::DefaultDirectRateLimiter>,
}

/// Sign-in attempts allowed at once (then one per 6 seconds): far more than a
/// person mistypes, far too few to try tokens, and the API's own token check is
/// not affected.
const SIGN_IN_BURST: u32 = 10;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                   base-uri 'none'";

pub fn router(app: AppState, tokens: Tokens) -> Router {
    let burst = std::num::NonZeroU32::new(SIGN_IN_BURST).unwrap_or(std::num::NonZeroU32::MIN);
    let console = Console {
        app,
        tokens,
        sessions: Sessions::default(),
        sign_ins: std::sync::Arc::new(governor::RateLimiter::direct(
            governor::Quota::per_minute(burst).allow_burst(burst),
        )),
    };
    let pages = Router::new()
        .route("/", get(pages::overview))
        .route("/importers", get(pages::importers))
        .route("/importers/{importerId}", get(pages::importer))
        .route("/importers/{importerId}/trigger", post(pages::trigger))
        .route("/importers/{importerId}/check", post(pages::check))
        .route("/inventory", get(pages::inventory))
        .route("/shadow-apis", get(pages::shadow))
        .route("/inventory/{apiTargetId}", get(pages::target))
        .route(
            "/inventory/{apiTargetId}/definitions/{definitionId}",
            get(pages::definition),
        )
        .route(
            "/inventory/{apiTargetId}/definitions/{definitionId}/download",
            get(pages::download),
        )
        .route("/logout", get(logout_form).post(logout))
        .route_layer(axum::middleware::from_fn_with_state(
            console.clone(),
            require_session,
        ));
    Router::new()
        .merge(pages)
        .route("/login", get(login_form).post(login))
        .route("/console/assets/{name}", get(assets::serve))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(console)
}

/// A session for every page: with tokens, one from signing in (else to `/login`);
/// without, one made on the first visit (it carries the CSRF token). A POST must
/// send the session's CSRF token as the form field `csrf`.
async fn require_session(State(console): State<Console>, req: Request, next: Next) -> Response {
    let found = console.sessions.find(req.headers());
    let posted = req.method() == Method::POST;
    let (session, new_cookie) = match found {
        Some(s) => (s, None),
        // A form sent without a live session cannot carry its CSRF token.
        None if posted && console.tokens.enabled() => {
            return layout::error_page(
                StatusCode::UNAUTHORIZED,
                "Your session has ended. Sign in again.",
            );
        }
        None if posted => {
            return layout::error_page(
                StatusCode::FORBIDDEN,
                "This form is out of date. Reload the page and try again.",
            );
        }
        None if console.tokens.enabled() => {
            let next_page = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into());
            let to = format!(
                "/login?next={}",
                form_urlencoded::byte_serialize(next_page.as_bytes()).collect::<String>()
            );
            return Redirect::to(&to).into_response();
        }
        None => {
            let (id, s) = console.sessions.create();
            let cookie = session::set_cookie(req.headers(), Some(&id));
            (s, Some(cookie))
        }
    };
    let mut req = if posted {
        match csrf_checked(&session, req).await {
            Ok(req) => req,
            Err(refused) => return refused,
        }
    } else {
        req
    };
    req.extensions_mut().insert(session);
    let mut resp = next.run(req).await;
    if let Some(cookie) = new_cookie
        && let Ok(v) = HeaderValue::from_str(&cookie)
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// The request again (its form read once, to find `csrf`) if the form carries
/// the session's CSRF token; else the page that says why not.
async fn csrf_checked(session: &session::Session, req: Request) -> Result<Request, Response> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| layout::error_page(StatusCode::PAYLOAD_TOO_LARGE, "Form too large."))?;
    let sent = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if !session::csrf_matches(session, &sent) {
        return Err(layout::error_page(
            StatusCode::FORBIDDEN,
            "This form is out of date (its CSRF token does not match your session). Reload the page and try again.",
        ));
    }
    Ok(Request::from_parts(parts, axum::body::Body::from(bytes)))
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// Only a path of this site: `//host` or `https://…` would send the person away.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
        _ => "/",
    }
}

async fn login_form(
    State(console): State<Console>,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Response {
    if !console.tokens.enabled() {
        return Redirect::to("/").into_response();
    }
    layout::login(safe_next(q.next.as_deref()), None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: Option<String>,
}

async fn login(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref()).to_owned();
    if !console.tokens.enabled() {
        return Redirect::to(&next).into_response();
    }
    if console.sign_ins.check().is_err() {
        tracing::warn!("Console sign-in attempts over the limit.");
        let mut resp = layout::login(
            &next,
            Some("Too many sign-in attempts. Wait a minute and try again."),
            StatusCode::TOO_MANY_REQUESTS,
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("6"));
        return resp;
    }
    if !console.tokens.accepts(form.token.trim()) {
        tracing::info!("Console sign-in refused.");
        return layout::login(
            &next,
            Some("That token is not accepted. Check it and try again."),
            StatusCode::UNAUTHORIZED,
        );
    }
    let (id, _) = console.sessions.create();
    tracing::info!("Console sign-in.");
    let mut resp = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&session::set_cookie(&headers, Some(&id))) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

/// `/logout` typed into the address bar: a button (signing out changes state, so
/// it is a POST with the CSRF token like every other).
async fn logout_form(
    State(console): State<Console>,
    axum::Extension(session): axum::Extension<session::Session>,
) -> Response {
    let viewer = layout::Viewer {
        session: &session,
        signed_in: console.tokens.enabled(),
    };
    let body = maud::html! {
        h1 { "Sign out" }
        form method="post" action="/logout" {
            (layout::csrf(&session))
            button type="submit" { "Sign out of apihub-importer" }
        }
    };
    layout::page("Sign out", layout::Section::Other, &viewer, body).into_response()
}

async fn logout(State(console): State<Console>, headers: HeaderMap) -> Response {
    console.sessions.end(&headers);
    let to = if console.tokens.enabled() {
        "/login"
    } else {
        "/"
    };
    let mut resp = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&session::set_cookie(&headers, None)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}
