//! Console sessions: a browser cannot send `X-Auth`, so a person signs in once with
//! an API token and gets a session cookie (`HttpOnly`, `SameSite=Strict`, `Secure`
//! behind TLS, eight hours). Sessions live in memory only (a restart signs everyone
//! out, and a stolen database holds none). Each carries its own CSRF token, which
//! every state-changing form must send back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header;
use cookie::{Cookie, SameSite};
use sha2::{Digest, Sha256};

pub const COOKIE: &str = "apihub_session";
/// How long a session lasts from sign-in.
pub const LIFETIME: Duration = Duration::from_secs(8 * 3600);
/// Sessions kept at most; past it the oldest goes (a flood of sign-ins cannot
/// grow memory without bound).
const MAX_SESSIONS: usize = 10_000;

/// What a page knows about the person's session.
#[derive(Clone, Debug)]
pub struct Session {
    pub csrf: String,
}

struct Entry {
    csrf: String,
    expires: Instant,
}

#[derive(Clone, Default)]
pub struct Sessions {
    // Keyed by the SHA-256 of the cookie value, so the map holds no usable cookie.
    inner: Arc<Mutex<HashMap<[u8; 32], Entry>>>,
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Sessions {
    /// A new session: its cookie value and its state.
    pub fn create(&self) -> (String, Session) {
        let id = crate::secrets::random_token();
        let csrf = crate::secrets::random_token();
        let now = Instant::now();
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // Only a full map is swept, so a sign-in costs O(1) until then.
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, e| e.expires > now);
        }
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map.iter().min_by_key(|(_, e)| e.expires).map(|(k, _)| *k)
        {
            map.remove(&oldest);
        }
        map.insert(
            key(&id),
            Entry {
                csrf: csrf.clone(),
                expires: now + LIFETIME,
            },
        );
        (id, Session { csrf })
    }

    /// The live session the request's cookie names, if any.
    pub fn find(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie_value(headers)?;
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&key(&id))
            .filter(|e| e.expires > Instant::now())
            .map(|e| Session {
                csrf: e.csrf.clone(),
            })
    }

    /// Ends the session the request's cookie names.
    pub fn end(&self, headers: &HeaderMap) {
        if let Some(id) = cookie_value(headers) {
            let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            map.remove(&key(&id));
        }
    }
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_owned())
}

/// Whether the browser reached us over TLS: directly never (the daemon speaks
/// plain HTTP), so only a proxy's `X-Forwarded-Proto: https` or `Forwarded:
/// proto=https` says so. It only decides the cookie's `Secure` flag.
fn behind_tls(headers: &HeaderMap) -> bool {
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"));
    forwarded_proto || forwarded
}

/// The `Set-Cookie` value that starts a session (`None`: that ends one).
pub fn set_cookie(headers: &HeaderMap, id: Option<&str>) -> String {
    let mut c = Cookie::build((COOKIE, id.unwrap_or("").to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(behind_tls(headers));
    c = match id {
        Some(_) => c.max_age(cookie::time::Duration::seconds(LIFETIME.as_secs() as i64)),
        None => c.max_age(cookie::time::Duration::ZERO),
    };
    c.build().to_string()
}

/// Constant-time comparison of a form's CSRF token with the session's.
pub fn csrf_matches(session: &Session, sent: &str) -> bool {
    use subtle::ConstantTimeEq;
    let (a, b) = (key(&session.csrf), key(sent));
    bool::from(a.ct_eq(&b))
}
