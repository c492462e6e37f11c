//! swagger-parser's semantic checks of Swagger 2.0, beyond its JSON schema.

use crate::normalize::doc::Doc;

/// swagger-parser's extra Swagger 2.0 checks (`validateSpec`): unique operationIds,
/// path parameters that match the path template, at most one body parameter, valid
/// response codes, and required properties that exist.
pub(in crate::normalize::openapi) fn swagger2_semantics<'a>(
    root: &'a Doc<'a>,
    report: &mut dyn FnMut(String, String),
) {
    let Some(paths) = root.get("paths").and_then(Doc::as_object) else {
        return;
    };
    let deref = |v: &'a Doc<'a>| -> Doc<'a> {
        match v
            .get("$ref")
            .and_then(Doc::as_str)
            .and_then(|r| super::super::resolve(root, r))
        {
            Some(t) => *t,
            None => *v,
        }
    };
    let mut op_ids: std::collections::HashSet<String> = Default::default();
    for (path, item) in paths {
        if !path.starts_with('/') {
            continue;
        }
        let Some(item) = item.as_object() else {
            continue;
        };
        let path_params: Vec<Doc<'a>> = item
            .get("parameters")
            .and_then(Doc::as_array)
            .map(|a| a.iter().map(deref).collect())
            .unwrap_or_default();
        for method in ["get", "put", "post", "delete", "options", "head", "patch"] {
            let Some(op) = item.get(method).and_then(Doc::as_object) else {
                continue;
            };
            let at = format!("/paths/{}/{method}", super::super::escape(path));
            if let Some(id) = op.get("operationId").and_then(Doc::as_str)
                && !op_ids.insert(id.to_owned())
            {
                report(at.clone(), format!("duplicate operationId `{id}`"));
            }
            let op_params: Vec<Doc<'a>> = op
                .get("parameters")
                .and_then(Doc::as_array)
                .map(|a| a.iter().map(deref).collect())
                .unwrap_or_default();
            let key = |p: &Doc<'_>| {
                (
                    p.get("in").and_then(Doc::as_str).unwrap_or("").to_owned(),
                    p.get("name").and_then(Doc::as_str).unwrap_or("").to_owned(),
                )
            };
            for list in [&path_params, &op_params] {
                let mut seen = std::collections::HashSet::new();
                for p in list {
                    if !seen.insert(key(p)) {
                        let (l, n) = key(p);
                        report(at.clone(), format!("multiple {l} parameters named `{n}`"));
                    }
                }
            }
            let mut params = op_params.clone();
            for p in &path_params {
                if !params.iter().any(|q| key(q) == key(p)) {
                    params.push(*p);
                }
            }
            let count = |l: &str| {
                params
                    .iter()
                    .filter(|p| p.get("in").and_then(Doc::as_str) == Some(l))
                    .count()
            };
            if count("body") > 1 {
                report(at.clone(), "more than one body parameter".into());
            } else if count("body") == 1 && count("formData") > 0 {
                report(at.clone(), "body and formData parameters together".into());
            }
            let mut placeholders: Vec<String> = path
                .split('{')
                .skip(1)
                .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_owned()))
                .collect();
            for p in params
                .iter()
                .filter(|p| p.get("in").and_then(Doc::as_str) == Some("path"))
            {
                let name = p.get("name").and_then(Doc::as_str).unwrap_or("");
                match placeholders.iter().position(|x| x == name) {
                    Some(i) => {
                        placeholders.remove(i);
                    }
                    None => report(
                        at.clone(),
                        format!("path parameter `{name}` has no {{{name}}} in the path"),
                    ),
                }
            }
            if !placeholders.is_empty() {
                report(
                    at.clone(),
                    format!("missing path parameter(s) for {}", placeholders.join(", ")),
                );
            }
            for p in &params {
                let is_array = p.get("type").and_then(Doc::as_str) == Some("array");
                if is_array
                    && p.get("in").and_then(Doc::as_str) != Some("body")
                    && p.get("items").is_none()
                {
                    report(at.clone(), "an array parameter must have `items`".into());
                }
                if p.get("type").and_then(Doc::as_str) == Some("file") {
                    let consumes = op
                        .get("consumes")
                        .or_else(|| root.get("consumes"))
                        .and_then(Doc::as_array);
                    let ok = consumes
                        .into_iter()
                        .flatten()
                        .filter_map(Doc::as_str)
                        .any(|m| m.contains("form-data") || m.contains("x-www-form-urlencoded"));
                    if !ok {
                        report(at.clone(), "a file parameter needs `consumes` multipart/form-data or application/x-www-form-urlencoded".into());
                    }
                }
            }
            if let Some(responses) = op.get("responses").and_then(Doc::as_object) {
                for code in responses.keys() {
                    if code != "default"
                        && !code.starts_with("x-")
                        && !code.parse::<u16>().is_ok_and(|n| (100..=599).contains(&n))
                    {
                        report(at.clone(), format!("invalid response code `{code}`"));
                    }
                }
            }
        }
    }
    for (name, def) in root
        .get("definitions")
        .and_then(Doc::as_object)
        .into_iter()
        .flatten()
    {
        required_exist(
            root,
            def,
            &format!("/definitions/{}", super::super::escape(name)),
            report,
        );
    }
}

pub(super) fn required_exist(
    root: &Doc<'_>,
    schema: &Doc<'_>,
    at: &str,
    report: &mut dyn FnMut(String, String),
) {
    if schema.get("type").and_then(Doc::as_str) != Some("object") {
        return;
    }
    let Some(required) = schema.get("required").and_then(Doc::as_array) else {
        return;
    };
    let mut props: Vec<String> = Vec::new();
    collect_props(root, schema, &mut props, 0);
    for r in required.iter().filter_map(Doc::as_str) {
        if !props.iter().any(|p| p == r) {
            report(
                at.to_owned(),
                format!("property `{r}` is required but not defined"),
            );
        }
    }
}

pub(super) fn collect_props(root: &Doc<'_>, schema: &Doc<'_>, out: &mut Vec<String>, depth: usize) {
    if depth > 16 {
        return;
    }
    let schema = match schema
        .get("$ref")
        .and_then(Doc::as_str)
        .and_then(|r| super::super::resolve(root, r))
    {
        Some(t) => t,
        None => schema,
    };
    if let Some(props) = schema.get("properties").and_then(Doc::as_object) {
        out.extend(props.keys().map(str::to_owned));
    }
    for parent in schema
        .get("allOf")
        .and_then(Doc::as_array)
        .into_iter()
        .flatten()
    {
        collect_props(root, parent, out, depth + 1);
    }
}
