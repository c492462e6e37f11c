//! Request limits answered with the error envelope: a URI over 8 KiB is a 414,
//! more than 100 headers or 32 KiB of them a 431, and a request not answered within
//! `server.request_timeout_secs` a 503. The server's own parser has higher limits
//! (twice the header count, hyper's 400 KB read buffer), so only requests far
//! beyond these see its bare answer instead.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use super::error::ApiError;

pub const MAX_HEADERS: usize = 100;
pub const MAX_URI_BYTES: usize = 8 * 1024;
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

pub async fn enforce(
    State(timeout): State<Duration>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let uri = req.uri().to_string().len();
    if uri > MAX_URI_BYTES {
        return Err(ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request URI is {uri} bytes; at most {MAX_URI_BYTES} are accepted"),
        ));
    }
    let headers = req.headers();
    let bytes: usize = headers
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return Err(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!(
                "the request has {} headers of {bytes} bytes; at most {MAX_HEADERS} headers and {MAX_HEADER_BYTES} bytes are accepted",
                headers.len()
            ),
        ));
    }
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(resp) => Ok(resp),
        Err(_) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "request_timeout",
            format!(
                "the request was not answered within {} s (server.request_timeout_secs)",
                timeout.as_secs()
            ),
        )),
    }
}
