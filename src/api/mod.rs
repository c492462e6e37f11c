//! The HTTP API: the Importers API (seed 000), health, and the daemon's own OpenAPI
//! document and Swagger UI. Every route goes through `utoipa_axum::routes!`, so
//! the document at `/openapi.json` describes exactly the routes that are served.
//!
//! # Design notes
//! - Errors: one envelope ([`error::ApiError`]) for everything, including unknown
//!   routes (404), wrong methods (405), non-JSON bodies (415), oversized bodies (413)
//!   and panics (500).
//! - Auth: `/api/...` requires a token when tokens are configured ([`auth`]);
//!   health, metrics and the docs do not.

pub mod apply;
pub mod appsec;
pub mod auth;
mod docs;
pub mod error;
mod examples;
pub mod extract;
mod health;
pub mod importers;
pub mod inventory;
mod limits;
pub mod runs;
pub mod traffic;

pub use limits::MAX_HEADERS;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, header};
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::clock::Clock;
use crate::scheduler::Scheduler;
use crate::secrets::Cipher;
use crate::store::Store;

pub const IMPORTERS_PATH: &str = "/api/apihub/v1/importers";

/// The one context every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub cipher: Arc<Cipher>,
    pub clock: Clock,
    pub scheduler: Scheduler,
    /// What connectors are told by the config (directory roots, limits).
    pub env: apihub_connectors::Environment,
    /// Bounds for definitions read by uploads and importers.
    pub limits: apihub_connectors::normalize::Limits,
    /// The Inventory API's `organizationId`.
    pub organization_id: Arc<str>,
}

impl AppState {
    /// Live, non-persisted facts about an importer for its `extras`.
    pub fn runtime_extras(&self, id: &str, extras: &mut serde_json::Value) {
        self.scheduler.extras(id, extras);
    }

    /// No run is in progress or waiting (for tests and shutdown checks).
    pub fn scheduler_idle(&self) -> bool {
        self.scheduler.idle()
    }
}

pub struct RouterSettings {
    pub tokens: auth::Tokens,
    pub max_body_bytes: usize,
    pub request_timeout: std::time::Duration,
    pub nad: crate::config::NadSettings,
}

/// The complete router with its middleware, and the OpenAPI document it serves.
pub fn router(state: AppState, settings: RouterSettings) -> (Router, serde_json::Value) {
    // Definitions may be far larger than JSON bodies; multipart framing adds a little.
    let upload_limit = state.limits.max_input_bytes.saturating_add(1024 * 1024);
    let protected = OpenApiRouter::new()
        .nest(IMPORTERS_PATH, importers::router())
        .nest(inventory::INVENTORY_PATH, inventory::router())
        .nest(appsec::PATH, appsec::router())
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .merge(
            OpenApiRouter::new()
                .nest(inventory::INVENTORY_PATH, inventory::upload_router())
                .nest(appsec::PATH, appsec::upload_router())
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            settings.tokens.clone(),
            auth::require_token,
        ));
    // Agents authenticate with their importer's registration token, checked by
    // the route itself; the API-token check would refuse them.
    let agents = OpenApiRouter::new().nest(
        IMPORTERS_PATH,
        traffic::router(traffic::Gate::new(settings.tokens.clone(), &settings.nad)),
    );
    let public = OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(health::metrics));
    let env = state.env.clone();
    let console = crate::console::router(state.clone(), settings.tokens.clone());
    let (api, openapi) = OpenApiRouter::with_openapi(docs::ApiDoc::openapi())
        .merge(protected)
        .merge(agents)
        .merge(public)
        .with_state(state)
        .split_for_parts();
    let document = docs::finish(&openapi, &env);

    let x_request_id = HeaderName::from_static("x-request-id");
    let router = api
        .route_layer(axum::middleware::from_fn(count_request))
        .merge(SwaggerUi::new("/docs").external_url_unchecked("/openapi.json", document.clone()))
        .merge(console)
        .fallback(error::route_not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(CatchPanicLayer::custom(|_| {
            error::ApiError::internal(&"handler panicked").into_response()
        }))
        .layer(axum::middleware::from_fn_with_state(
            settings.request_timeout,
            limits::enforce,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(log_response),
        )
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            HeaderName::from_static(auth::X_AUTH),
        ]))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid));
    (router, document)
}

/// Counts an answered request under its route template (only matched routes: a
/// path no route has is never a label).
async fn count_request(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    crate::metrics::http_request(
        method.as_str(),
        &route,
        res.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    res
}

/// Each request's span carries its `x-request-id` (set or propagated by the
/// layers outside this one), so the request's log lines can be found by the id a
/// client got back.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %req.method(),
        uri = %req.uri().path(),
        request_id = %id,
    )
}

/// One `info` line per answered request, with a number for its latency (JSON
/// logs can be summed and compared) and the request's span (id, method, path).
fn log_response(
    res: &axum::http::Response<axum::body::Body>,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    tracing::info!(
        status = res.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "finished processing request"
    );
}
