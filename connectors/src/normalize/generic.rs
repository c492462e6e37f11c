//! Genericapi: request lists that are not specifications. A Postman collection
//! (v2.0/v2.1; request items, folders walked) or a HAR 1.2 log (distinct method and
//! path pairs). Path variables (`:id`) become `{id}`; query strings are dropped.

use super::doc::Doc;

use super::canonical::json_hash;
use super::names::derived;
use super::{Extracted, NormalizeError, Operation};
use crate::normalize::DefinitionFormat;

/// Splits a URL (or a Postman `{{var}}/path` template) into origin and path.
fn split_url(raw: &str) -> (Option<String>, String) {
    let raw = raw.split(['?', '#']).next().unwrap_or("");
    let (origin, rest) = if let Some(after) = raw.strip_prefix("{{") {
        match after.split_once("}}") {
            Some((var, rest)) => (Some(format!("{{{{{var}}}}}")), rest),
            None => (None, raw),
        }
    } else if let Some((scheme, after)) = raw.split_once("://") {
        let (host, path) = after.find('/').map_or((after, ""), |i| after.split_at(i));
        (Some(format!("{scheme}://{host}")), path)
    } else {
        (None, raw)
    };
    let path: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| match s.strip_prefix(':') {
            Some(v) if !v.is_empty() => format!("{{{v}}}"),
            _ => s.to_owned(),
        })
        .collect();
    (origin, format!("/{}", path.join("/")))
}

fn push_unique(v: &mut Vec<String>, s: Option<String>) {
    if let Some(s) = s
        && !v.contains(&s)
    {
        v.push(s);
    }
}

pub(super) fn postman(value: &Doc<'_>) -> Result<Extracted, NormalizeError> {
    let mut operations = Vec::new();
    let mut servers = Vec::new();
    let items = value.get("item").and_then(Doc::as_array).unwrap_or(&[]);
    let mut stack: Vec<(&Doc<'_>, usize)> = items.iter().rev().map(|i| (i, 0)).collect();
    while let Some((item, depth)) = stack.pop() {
        if let Some(children) = item.get("item").and_then(Doc::as_array) {
            if depth < 64 {
                stack.extend(children.iter().rev().map(|c| (c, depth + 1)));
            }
            continue;
        }
        let Some(request) = item.get("request") else {
            continue;
        };
        let (method, url) = match request {
            Doc::Str(u) => ("GET".to_owned(), (*u).to_owned()),
            r => {
                let m = r
                    .get("method")
                    .and_then(Doc::as_str)
                    .unwrap_or("GET")
                    .to_ascii_uppercase();
                let u = match r.get("url") {
                    Some(Doc::Str(u)) => (*u).to_owned(),
                    Some(u) => u
                        .get("raw")
                        .and_then(Doc::as_str)
                        .map(str::to_owned)
                        .unwrap_or_else(|| {
                            let path: Vec<&str> = u
                                .get("path")
                                .and_then(Doc::as_array)
                                .map(|p| p.iter().filter_map(Doc::as_str).collect())
                                .unwrap_or_default();
                            format!("/{}", path.join("/"))
                        }),
                    None => String::new(),
                };
                (m, u)
            }
        };
        let (origin, path) = split_url(&url);
        push_unique(&mut servers, origin);
        let name = item
            .get("name")
            .and_then(Doc::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| derived(&method, &path));
        operations.push(Operation {
            method,
            endpoint: path,
            name,
        });
    }
    let info = value.get("info");
    let text = |k: &str| {
        info.and_then(|i| i.get(k))
            .and_then(Doc::as_str)
            .map(str::to_owned)
    };
    let schema = text("schema").unwrap_or_default();
    let spec_version = if schema.contains("v2.1") {
        "Postman 2.1"
    } else {
        "Postman 2.0"
    };
    Ok(Extracted {
        format: DefinitionFormat::Genericapi,
        spec_version: spec_version.into(),
        title: text("name"),
        version: text("version"),
        description: text("description"),
        servers,
        operations,
        webhooks: Vec::new(),
        hash: json_hash("postman", value),
        diagnostics: Vec::new(),
    })
}

pub(super) fn har(value: &Doc<'_>) -> Result<Extracted, NormalizeError> {
    let Some(entries) = value.pointer("/log/entries").and_then(Doc::as_array) else {
        return Err(NormalizeError::invalid(
            DefinitionFormat::Genericapi,
            "HAR `log.entries` is not a list",
        ));
    };
    let mut operations: Vec<Operation> = Vec::new();
    let mut servers = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for entry in entries {
        let Some(req) = entry.get("request") else {
            continue;
        };
        let method = req
            .get("method")
            .and_then(Doc::as_str)
            .unwrap_or("GET")
            .to_ascii_uppercase();
        let (origin, path) = split_url(req.get("url").and_then(Doc::as_str).unwrap_or(""));
        push_unique(&mut servers, origin);
        if seen.insert((method.clone(), path.clone())) {
            let name = derived(&method, &path);
            operations.push(Operation {
                method,
                endpoint: path,
                name,
            });
        }
    }
    let version = value
        .pointer("/log/version")
        .and_then(Doc::as_str)
        .unwrap_or("1.2");
    Ok(Extracted {
        format: DefinitionFormat::Genericapi,
        spec_version: format!("HAR {version}"),
        title: value
            .pointer("/log/pages/0/title")
            .and_then(Doc::as_str)
            .map(str::to_owned),
        version: None,
        description: None,
        servers,
        operations,
        webhooks: Vec::new(),
        hash: json_hash("har", value),
        diagnostics: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_into_origin_and_templated_path() {
        assert_eq!(
            split_url("https://api.x.io/v1/pets/:id?x=1"),
            (Some("https://api.x.io".into()), "/v1/pets/{id}".into())
        );
        assert_eq!(
            split_url("{{baseUrl}}/users"),
            (Some("{{baseUrl}}".into()), "/users".into())
        );
        assert_eq!(
            split_url("https://h"),
            (Some("https://h".into()), "/".into())
        );
    }
}
