//! gRPC: `.proto` files parsed with protox-parse (pure Rust, no `protoc`). Imports
//! are not resolved; every `rpc` of every service is an operation, reached at
//! `/package.Service/Method` with `POST`, as gRPC travels over HTTP/2.

use super::canonical::tokens_hash;
use super::{Extracted, NormalizeError, Operation};
use crate::normalize::DefinitionFormat;

/// protox-parse recurses on nested messages; deeper input is refused before parsing.
const MAX_BRACE_DEPTH: usize = 128;

pub(super) fn extract(text: &str) -> Result<Extracted, NormalizeError> {
    check_nesting(text)?;
    let file = protox_parse::parse("definition.proto", text)
        .map_err(|e| NormalizeError::syntax("Protocol Buffers", e.to_string()))?;
    let package = file.package.clone().unwrap_or_default();
    let mut operations = Vec::new();
    for service in &file.service {
        let svc = service.name.clone().unwrap_or_default();
        let full = if package.is_empty() {
            svc.clone()
        } else {
            format!("{package}.{svc}")
        };
        for method in &service.method {
            let m = method.name.clone().unwrap_or_default();
            operations.push(Operation {
                method: "POST".into(),
                endpoint: format!("/{full}/{m}"),
                name: format!("{svc}.{m}"),
            });
        }
    }
    let syntax = match file.syntax.as_deref() {
        None | Some("") => "proto2".to_owned(),
        Some(s) => s.to_owned(),
    };
    Ok(Extracted {
        format: DefinitionFormat::Grpc,
        spec_version: syntax,
        title: (!package.is_empty()).then_some(package),
        version: None,
        description: None,
        servers: Vec::new(),
        operations,
        webhooks: Vec::new(),
        hash: tokens_hash("proto", tokens(text).iter().copied()),
        diagnostics: Vec::new(),
    })
}

/// Rejects `{` nesting deeper than the parser can take safely.
fn check_nesting(text: &str) -> Result<(), NormalizeError> {
    let mut depth = 0usize;
    for t in tokens(text) {
        match t {
            "{" => {
                depth += 1;
                if depth > MAX_BRACE_DEPTH {
                    return Err(NormalizeError::syntax(
                        "Protocol Buffers",
                        format!("blocks nested deeper than {MAX_BRACE_DEPTH} levels"),
                    ));
                }
            }
            "}" => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Tokens of a .proto file without comments and whitespace: identifiers, numbers,
/// string literals (quotes kept) and punctuation.
fn tokens(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if b[i..].starts_with(b"//") {
            i = b[i..]
                .iter()
                .position(|&x| x == b'\n')
                .map_or(b.len(), |p| i + p);
        } else if b[i..].starts_with(b"/*") {
            i = text[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
        } else if c == b'"' || c == b'\'' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            out.push(text.get(start..i).unwrap_or(""));
        } else if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            out.push(&text[start..i]);
        } else {
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push(&text[i..i + len]);
            i += len;
        }
    }
    out
}
