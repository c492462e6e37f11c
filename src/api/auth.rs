//! API token check for every `/api/...` route. Tokens come from config; a request
//! carries one in `X-Auth: <token>` or `Authorization: Bearer <token>`. Comparison
//! is on SHA-256 digests in constant time, so timing says nothing about a token.
//! With no tokens configured the check is off (the config only allows that on
//! loopback).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ApiError;

pub const X_AUTH: &str = "x-auth";

#[derive(Clone)]
pub struct Tokens {
    digests: Arc<Vec<[u8; 32]>>,
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

impl Tokens {
    pub fn new(tokens: &[SecretString]) -> Self {
        Tokens {
            digests: Arc::new(tokens.iter().map(|t| digest(t.expose_secret())).collect()),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.digests.is_empty()
    }

    pub(crate) fn accepts(&self, presented: &str) -> bool {
        if presented.is_empty() {
            return false;
        }
        let d = digest(presented);
        // Check every token so the time taken does not depend on which one matched.
        self.digests
            .iter()
            .fold(subtle::Choice::from(0), |acc, t| acc | t.ct_eq(&d))
            .into()
    }
}

/// The token a request presents; an empty header presents none, so it can never
/// match (config refuses empty tokens too, but this check must not depend on it).
pub(crate) fn presented(req: &Request) -> Option<&str> {
    let x_auth = req.headers().get(X_AUTH).and_then(|v| v.to_str().ok());
    if let Some(v) = x_auth.map(str::trim).filter(|v| !v.is_empty()) {
        return Some(v);
    }
    let auth = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

pub async fn require_token(
    State(tokens): State<Tokens>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if !tokens.enabled() {
        return Ok(next.run(req).await);
    }
    match presented(&req) {
        None => Err(ApiError::unauthorized(
            "missing API token: send `X-Auth: <token>` or `Authorization: Bearer <token>`",
        )),
        Some(t) if tokens.accepts(t) => Ok(next.run(req).await),
        Some(_) => Err(ApiError::unauthorized("invalid API token")),
    }
}
