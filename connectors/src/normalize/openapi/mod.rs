//! OpenAPI 3.0/3.1 and Swagger 2.0: version, info, servers, operations (with local
//! `$ref` path items resolved) and 3.1 webhooks, then the structural validation in
//! [`validate`].

mod rules;
mod validate;

use super::canonical::json_hash;
use super::doc::{Doc, Obj};
use super::names::derived;
use super::{Diagnostic, Extracted, NormalizeError, Operation};
use crate::normalize::DefinitionFormat;

pub(super) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Which specification a document follows; selects the validation rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ver {
    V2,
    V30,
    V31,
}

pub(super) fn extract(value: &Doc<'_>) -> Result<Extracted, NormalizeError> {
    let mut diagnostics = Vec::new();
    let (format, ver, spec_version) = version(value, &mut diagnostics)?;
    let info = value.get("info").and_then(Doc::as_object);
    let text = |k: &str| info.and_then(|i| i.get(k)).and_then(scalar_text);
    let (ops, op_diags) = operations(value, "paths", ver);
    diagnostics.extend(op_diags);
    let webhooks = if ver == Ver::V31 {
        operations(value, "webhooks", ver).0
    } else {
        Vec::new()
    };
    diagnostics.extend(validate::validate(value, ver));
    Ok(Extracted {
        format,
        spec_version,
        title: text("title"),
        version: text("version"),
        description: text("description"),
        servers: servers(value, ver),
        operations: ops,
        webhooks,
        hash: json_hash("openapi", value),
        diagnostics,
    })
}

fn scalar_text(v: &Doc<'_>) -> Option<String> {
    match v {
        Doc::Str(s) => Some((*s).to_owned()),
        Doc::Num(n) => Some(n.json().to_string()),
        _ => None,
    }
}

fn version(
    v: &Doc<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Result<(DefinitionFormat, Ver, String), NormalizeError> {
    if let Some(raw) = v.get("openapi") {
        let s = match raw {
            Doc::Str(s) => (*s).to_owned(),
            Doc::Num(n) => {
                diags.push(Diagnostic::error(
                    "/openapi",
                    "the version must be a string (e.g. \"3.0.0\"), not a number",
                ));
                n.json().to_string()
            }
            _ => {
                return Err(NormalizeError::NotAnApi(
                    "`openapi` is not a version string".into(),
                ));
            }
        };
        let ver = if s.starts_with("3.1.") || s == "3.1" {
            Ver::V31
        } else if s.starts_with("3.") {
            Ver::V30
        } else {
            return Err(NormalizeError::NotAnApi(format!(
                "unsupported OpenAPI version `{s}`; supported are 3.0.x, 3.1.x and Swagger 2.0"
            )));
        };
        let known = [
            "3.0.0", "3.0.1", "3.0.2", "3.0.3", "3.0.4", "3.1.0", "3.1.1", "3.1.2",
        ];
        if !known.contains(&s.as_str()) {
            diags.push(Diagnostic::error(
                "/openapi",
                format!(
                    "unsupported OpenAPI version `{s}` (read as {})",
                    if ver == Ver::V31 { "3.1" } else { "3.0" }
                ),
            ));
        }
        return Ok((DefinitionFormat::Openapi3, ver, s));
    }
    match v.get("swagger") {
        Some(Doc::Str(s)) if *s == "2.0" => Ok((DefinitionFormat::Openapi2, Ver::V2, "2.0".into())),
        Some(n @ Doc::Num(_)) if n.as_f64() == Some(2.0) => {
            diags.push(Diagnostic::error(
                "/swagger",
                "the version must be the string \"2.0\", not a number",
            ));
            Ok((DefinitionFormat::Openapi2, Ver::V2, "2.0".into()))
        }
        other => Err(NormalizeError::NotAnApi(format!(
            "unsupported Swagger version {}; only 2.0 is supported",
            other.map(Doc::to_string).unwrap_or_default()
        ))),
    }
}

/// `/a/b` → `/a~1b`: a JSON pointer segment.
pub(super) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Resolves a local `$ref` (`#/...`); `None` for external or dangling references.
pub(super) fn resolve<'v, 'a>(root: &'v Doc<'a>, reference: &str) -> Option<&'v Doc<'a>> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.as_bytes().contains(&b'%') {
        root.pointer(&percent_decode(pointer))
    } else {
        root.pointer(pointer)
    }
}

pub(crate) fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(h);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Follows a path item's `$ref` chain (local only, bounded).
fn path_item<'a>(
    root: &'a Doc<'a>,
    item: &'a Doc<'a>,
    at: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Obj<'a>> {
    let mut current = item;
    for _ in 0..16 {
        let map = current.as_object()?;
        match map.get("$ref").and_then(Doc::as_str) {
            None => return Some(map),
            Some(r) if !r.starts_with('#') => {
                diags.push(Diagnostic::warning(at, format!("external path item `$ref` `{r}` is not fetched; its operations are not counted")));
                return None;
            }
            Some(r) => match resolve(root, r) {
                Some(target) => current = target,
                None => {
                    diags.push(Diagnostic::error(
                        at,
                        format!("`$ref` `{r}` does not resolve"),
                    ));
                    return None;
                }
            },
        }
    }
    diags.push(Diagnostic::error(
        at,
        "path item `$ref` chain is too long or circular",
    ));
    None
}

fn operations<'a>(root: &'a Doc<'a>, key: &str, ver: Ver) -> (Vec<Operation>, Vec<Diagnostic>) {
    let mut ops = Vec::new();
    let mut diags = Vec::new();
    let Some(paths) = root.get(key) else {
        return (ops, diags);
    };
    let Some(paths) = paths.as_object() else {
        diags.push(Diagnostic::error(format!("/{key}"), "must be an object"));
        return (ops, diags);
    };
    for (path, item) in paths {
        if path.starts_with("x-") {
            continue;
        }
        let at = format!("/{key}/{}", escape(path));
        let Some(item) = path_item(root, item, &at, &mut diags) else {
            continue;
        };
        for (k, op) in item {
            let lower = k.to_ascii_lowercase();
            if !METHODS.contains(&lower.as_str()) || (ver == Ver::V2 && lower == "trace") {
                continue;
            }
            let method = lower.to_ascii_uppercase();
            let name = op
                .get("operationId")
                .and_then(Doc::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| derived(&method, path));
            ops.push(Operation {
                method,
                endpoint: path.to_owned(),
                name,
            });
        }
    }
    (ops, diags)
}

fn servers(root: &Doc<'_>, ver: Ver) -> Vec<String> {
    if ver == Ver::V2 {
        let host = root.get("host").and_then(Doc::as_str);
        let base = root.get("basePath").and_then(Doc::as_str).unwrap_or("");
        let Some(host) = host else { return Vec::new() };
        let schemes: Vec<&str> = root
            .get("schemes")
            .and_then(Doc::as_array)
            .map(|a| a.iter().filter_map(Doc::as_str).collect())
            .filter(|a: &Vec<&str>| !a.is_empty())
            .unwrap_or_else(|| vec!["https"]);
        return schemes
            .into_iter()
            .map(|s| format!("{s}://{host}{base}"))
            .collect();
    }
    let mut out: Vec<String> = Vec::new();
    for server in root
        .get("servers")
        .and_then(Doc::as_array)
        .into_iter()
        .flatten()
    {
        let Some(url) = server.get("url").and_then(Doc::as_str) else {
            continue;
        };
        let mut url = url.to_owned();
        if let Some(vars) = server.get("variables").and_then(Doc::as_object) {
            for (name, var) in vars {
                if let Some(d) = var.get("default").and_then(scalar_text) {
                    url = url.replace(&format!("{{{name}}}"), &d);
                }
            }
        }
        if !out.contains(&url) {
            out.push(url);
        }
    }
    out
}
