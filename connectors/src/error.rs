//! Connector failures, classified for operators (after Airbyte's config vs system
//! errors): a `Config` or `Auth` failure needs a human; a `Transient` one is retried by
//! the next run; a `Protocol` one means the platform answered something we do not
//! understand. `message` is short and safe to show (it becomes `lastRunFailReason`);
//! `detail` is for logs and must not contain secrets either.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Config,
    Auth,
    Transient,
    Protocol,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 4] = [
        ErrorKind::Config,
        ErrorKind::Auth,
        ErrorKind::Transient,
        ErrorKind::Protocol,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Auth => "auth",
            ErrorKind::Transient => "transient",
            ErrorKind::Protocol => "protocol",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorError {
    pub kind: ErrorKind,
    /// User-facing: short, names the cause, no secrets.
    pub message: String,
    /// Internal detail for logs (status codes, raw error chains); no secrets.
    pub detail: Option<String>,
    /// The HTTP status the platform answered with, when it did.
    pub status: Option<u16>,
}

impl ConnectorError {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ConnectorError {
            kind,
            message: message.into(),
            detail: None,
            status: None,
        }
    }

    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Auth, message)
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transient, message)
    }

    pub fn protocol(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Protocol, message)
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// The same error with `context` in front of its message.
    pub fn context(mut self, context: impl std::fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for ConnectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectorError {}

/// An error and all its causes, `outer: inner: innermost`, so a refused connection
/// reads "connection refused" and not a bare "error sending request". URLs in the
/// text lose their query strings (presigned links carry credentials there).
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = next {
        let text = redact_queries(&e.to_string());
        // Wrappers often repeat their cause's text; keep each piece once.
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// `https://h/p?sig=…` → `https://h/p?…`.
pub fn redact_queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>'))
            .unwrap_or(tail.len());
        let (url, after) = tail.split_at(end);
        match url.find('?') {
            Some(q) => {
                out.push_str(&url[..q]);
                out.push_str("?…");
            }
            None => out.push_str(url),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_name_every_cause_and_hide_query_strings() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        #[derive(Debug, thiserror::Error)]
        #[error("error sending request for url (https://blob.example/x.json?sv=1&sig=SECRET)")]
        struct Outer(#[source] std::io::Error);
        let text = chain(&Outer(io));
        assert_eq!(
            text,
            "error sending request for url (https://blob.example/x.json?…): connection refused"
        );
        assert!(!text.contains("SECRET"));
    }
}
