//! RAML 0.8 and 1.0: YAML behind a `#%RAML` header. Resources are keys starting with
//! `/`, nested; methods are their HTTP-method keys. Methods a resource gets from its
//! resource type (`type: collection`) count too; optional ones (`get?`) only when the
//! resource declares them itself. `!include`d files are not fetched.

use serde_json::{Map, Value};

use super::canonical::value_hash;
use super::names::derived;
use super::{Diagnostic, Extracted, Limits, NormalizeError, Operation, tree};
use crate::normalize::DefinitionFormat;

const METHODS: [&str; 9] = [
    "get", "patch", "put", "post", "delete", "options", "head", "trace", "connect",
];

pub(super) fn extract(text: &str, limits: &Limits) -> Result<Extracted, NormalizeError> {
    let version = version_of(text)?;
    let (root, _) = tree::parse_yaml(text, limits)?;
    extract_tree(version, &root)
}

/// The RAML version of an API definition's header (`#%RAML 1.0`); fragments
/// (`#%RAML 1.0 Library`) are not API definitions.
pub(super) fn version_of(text: &str) -> Result<&'static str, NormalizeError> {
    let header = text.trim_start().lines().next().unwrap_or("");
    let mut words = header.trim_start_matches("#%RAML").split_whitespace();
    let version = match words.next() {
        Some("0.8") => "0.8",
        Some("1.0") => "1.0",
        other => {
            return Err(NormalizeError::invalid(
                DefinitionFormat::Raml,
                format!(
                    "unsupported RAML version `{}` (expected 0.8 or 1.0)",
                    other.unwrap_or("")
                ),
            ));
        }
    };
    if let Some(fragment) = words.next() {
        return Err(NormalizeError::NotAnApi(format!(
            "this is a RAML {version} {fragment} fragment, not an API definition"
        )));
    }
    Ok(version)
}

/// The definition of a parsed RAML document (with its includes already in
/// place when it came from a bundle).
pub(super) fn extract_tree(version: &str, root: &Value) -> Result<Extracted, NormalizeError> {
    let Some(map) = root.as_object() else {
        return Err(NormalizeError::invalid(
            DefinitionFormat::Raml,
            "the document is not a mapping",
        ));
    };
    let mut diagnostics = Vec::new();
    let text_of = |k: &str| {
        map.get(k).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let title = text_of("title");
    if title.is_none() {
        diagnostics.push(Diagnostic::error("/title", "RAML requires a `title`"));
    }
    let api_version = text_of("version");
    let servers = text_of("baseUri")
        .map(|u| match &api_version {
            Some(v) => u.replace("{version}", v),
            None => u,
        })
        .into_iter()
        .collect();
    let types = resource_types(map, &mut diagnostics);
    let mut operations = Vec::new();
    walk(map, "", &types, &mut operations, 0);
    Ok(Extracted {
        format: DefinitionFormat::Raml,
        spec_version: format!("RAML {version}"),
        title,
        version: api_version,
        description: text_of("description"),
        servers,
        operations,
        webhooks: Vec::new(),
        hash: value_hash(&format!("raml {version}"), root),
        diagnostics,
    })
}

/// `resourceTypes` as a map; RAML 0.8 writes it as a list of one-key maps.
fn resource_types(root: &Map<String, Value>, diags: &mut Vec<Diagnostic>) -> Map<String, Value> {
    let mut out = Map::new();
    match root.get("resourceTypes") {
        Some(Value::Object(m)) => out.extend(m.clone()),
        Some(Value::Array(list)) => {
            for m in list.iter().filter_map(Value::as_object) {
                out.extend(m.clone());
            }
        }
        _ => {}
    }
    // Libraries a bundle resolved (`uses: {lib: <library>}`) lend their types
    // as `lib.name`.
    for (lib, library) in root
        .get("uses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (name, def) in library
            .get("resourceTypes")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            out.insert(format!("{lib}.{name}"), def.clone());
        }
    }
    if out.values().any(|v| v.get("!include").is_some()) {
        diags.push(Diagnostic::warning(
            "/resourceTypes",
            "resource types from `!include`d files are not fetched; their methods are not counted",
        ));
    }
    out
}

/// Methods a resource inherits from its `type` (and that type's own `type`).
fn inherited(
    resource: &Map<String, Value>,
    types: &Map<String, Value>,
    depth: usize,
) -> Vec<String> {
    let name = match resource.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(m)) => match m.keys().next() {
            Some(k) => k.clone(),
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let Some(def) = types.get(&name).and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out: Vec<String> = def
        .keys()
        .filter(|k| METHODS.contains(&k.as_str()))
        .cloned()
        .collect();
    if depth < 8 {
        out.extend(inherited(def, types, depth + 1));
    }
    out
}

fn walk(
    node: &Map<String, Value>,
    prefix: &str,
    types: &Map<String, Value>,
    ops: &mut Vec<Operation>,
    depth: usize,
) {
    for (key, value) in node {
        if !key.starts_with('/') {
            continue;
        }
        let path = format!("{prefix}{key}");
        let empty = Map::new();
        let resource = value.as_object().unwrap_or(&empty);
        let mut methods: Vec<String> = resource
            .keys()
            .filter(|k| METHODS.contains(&k.as_str()))
            .cloned()
            .collect();
        for m in inherited(resource, types, 0) {
            if !methods.contains(&m) {
                methods.push(m);
            }
        }
        for m in methods {
            let method = m.to_ascii_uppercase();
            let name = resource
                .get(&m)
                .and_then(|d| d.get("displayName"))
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| derived(&method, &path));
            ops.push(Operation {
                method,
                endpoint: path.clone(),
                name,
            });
        }
        if depth < 64 {
            walk(resource, &path, types, ops, depth + 1);
        }
    }
}
