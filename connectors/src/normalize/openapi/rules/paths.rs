//! Paths, path items, parameters (by location and version) and headers.

use crate::normalize::doc::{Doc, Obj};

use super::super::Ver;
use super::super::validate::{At, Checker};
use super::v2::*;
use super::v3::*;
use super::*;

pub(super) fn paths(c: &mut Checker<'_>, at: &At<'_>, map: Obj<'_>) {
    for (k, v) in map {
        if k.starts_with('/') {
            c.check(&at.key(k), v, Ty::Custom(Custom::PathItem));
        } else if !k.starts_with("x-") {
            c.error(&at.key(k), format!("path `{k}` must start with `/`"));
        }
    }
}

pub(super) fn path_item(c: &mut Checker<'_>, at: &At<'_>, map: Obj<'_>) {
    for (k, v) in map {
        let here = at.key(k);
        match k {
            "summary" | "description" if c.ver != Ver::V2 => c.check(&here, v, Ty::Str),
            "servers" if c.ver != Ver::V2 => {
                static S30: Ty = Ty::Obj(&SERVER);
                static S31: Ty = Ty::Obj(&SERVER_31);
                c.check(
                    &here,
                    v,
                    Ty::Arr(if c.ver == Ver::V31 { &S31 } else { &S30 }),
                );
            }
            "parameters" => c.check(&here, v, Ty::Arr(&Ty::Custom(Custom::Parameter))),
            "$ref" => c.check(&here, v, Ty::Str),
            m if c.is_method(m) => {
                let op = match c.ver {
                    Ver::V2 => &OPERATION_2,
                    Ver::V30 => &OPERATION_30,
                    Ver::V31 => &OPERATION_31,
                };
                c.check(&here, v, Ty::Obj(op));
            }
            x if x.starts_with("x-") => {}
            other => c.error(
                &here,
                format!(
                    "unknown property `{other}` in PathItem{}",
                    if other.chars().any(|ch| ch.is_ascii_uppercase()) {
                        " (HTTP methods must be lower case)"
                    } else {
                        ""
                    }
                ),
            ),
        }
    }
}

pub(super) fn location(c: &mut Checker<'_>, at: &At<'_>, map: Obj<'_>) -> Option<String> {
    let allowed: &[&str] = if c.ver == Ver::V2 {
        &["body", "query", "header", "path", "formData"]
    } else {
        &["query", "header", "path", "cookie"]
    };
    match map.get("in").and_then(Doc::as_str) {
        Some(l) if allowed.contains(&l) => Some(l.to_owned()),
        Some(l) => {
            c.error(
                &at.key("in"),
                format!(
                    "`{l}` is not a parameter location; expected one of: {}",
                    allowed.join(", ")
                ),
            );
            None
        }
        None => None,
    }
}

pub(super) fn parameter(c: &mut Checker<'_>, at: &At<'_>, map: Obj<'_>) {
    if !map.contains_key("name") && c.ver != Ver::V31 {
        c.error(at, "Parameter must have the required property `name`");
    }
    if !map.contains_key("in") {
        c.error(at, "Parameter must have the required property `in`");
    }
    let loc = location(c, at, map);
    if loc.as_deref() == Some("path") && !matches!(map.get("required"), Some(Doc::Bool(true))) {
        c.error(at, "path parameters must have `required: true`");
    }
    if c.ver == Ver::V2 {
        return parameter_2(c, at, map, loc.as_deref());
    }
    let styles: &[&str] = match loc.as_deref() {
        Some("path") => &["matrix", "label", "simple"],
        Some("query") => &["form", "spaceDelimited", "pipeDelimited", "deepObject"],
        Some("header") => &["simple"],
        _ => &["form"],
    };
    if let Some(style) = map.get("style")
        && loc.is_some()
        && !style.as_str().is_some_and(|s| styles.contains(&s))
    {
        c.error(
            &at.key("style"),
            format!("must be one of: {}", styles.join(", ")),
        );
    }
    serialized_value(c, at, map, &[("name", Ty::Str), ("in", Ty::Str)]);
}

/// What OpenAPI 3 parameters and headers share: schema XOR content, example XOR examples.
pub(super) fn serialized_value(
    c: &mut Checker<'_>,
    at: &At<'_>,
    map: Obj<'_>,
    extra: &[(&str, Ty)],
) {
    let has = |k| map.contains_key(k);
    match (has("schema"), has("content")) {
        (true, true) => c.error(at, "must not have both `schema` and `content`"),
        (false, false) if c.ver != Ver::V31 || !extra.is_empty() => {
            c.error(at, "must have either `schema` or `content`")
        }
        (false, true) => {
            for k in ["style", "explode", "allowReserved", "example", "examples"] {
                if has(k) && c.ver == Ver::V30 {
                    c.error(at, format!("must not have `{k}` together with `content`"));
                }
            }
        }
        _ => {}
    }
    if has("example") && has("examples") {
        c.error(at, "must not have both `example` and `examples`");
    }
    if let Some(content) = map.get("content").and_then(Doc::as_object)
        && content.len() != 1
    {
        c.error(&at.key("content"), "must have exactly one media type");
    }
    for (k, v) in map {
        let here = at.key(k);
        let ty = match k {
            "description" | "style" => Ty::Str,
            "required" | "deprecated" | "allowEmptyValue" | "explode" | "allowReserved" => Ty::Bool,
            "schema" => SCHEMA,
            "content" => Ty::Map(&Ty::Custom(Custom::MediaType)),
            "example" => Ty::Any,
            "examples" => Ty::Map(&EXAMPLE_TY),
            x if x.starts_with("x-") => Ty::Any,
            other => match extra.iter().find(|(n, _)| *n == other) {
                Some((_, ty)) => *ty,
                None => {
                    c.error(&here, format!("unknown property `{other}`"));
                    continue;
                }
            },
        };
        c.check(&here, v, ty);
    }
}

pub(super) fn parameter_2(c: &mut Checker<'_>, at: &At<'_>, map: Obj<'_>, loc: Option<&str>) {
    if loc == Some("body") {
        if !map.contains_key("schema") {
            c.error(at, "body parameters must have a `schema`");
        }
        static BODY: Spec = closed(
            "BodyParameter",
            &[
                ("name", Ty::Str),
                ("in", Ty::Str),
                ("description", Ty::Str),
                ("required", Ty::Bool),
                ("schema", SCHEMA),
            ],
            &[],
        );
        c.object(at, map, &BODY);
        return;
    }
    let types: &[&str] = if loc == Some("formData") {
        &["string", "number", "integer", "boolean", "array", "file"]
    } else {
        PRIMITIVE
    };
    simple_2(
        c,
        at,
        map,
        types,
        &[
            ("name", Ty::Str),
            ("in", Ty::Str),
            ("required", Ty::Bool),
            ("allowEmptyValue", Ty::Bool),
        ],
    );
}

/// Swagger 2.0 non-body parameters, headers and `items`: `type` required.
pub(super) fn simple_2(
    c: &mut Checker<'_>,
    at: &At<'_>,
    map: Obj<'_>,
    types: &[&str],
    extra: &[(&str, Ty)],
) {
    match map.get("type").and_then(Doc::as_str) {
        Some(t) if types.contains(&t) => {}
        Some(t) => c.error(
            &at.key("type"),
            format!("`{t}` is not one of: {}", types.join(", ")),
        ),
        None => c.error(at, "must have the required property `type`"),
    }
    for (k, v) in map {
        let here = at.key(k);
        if k == "type" || k.starts_with("x-") {
            continue;
        }
        if k == "items" {
            match v.as_object() {
                Some(items) => simple_2(c, &here, items, PRIMITIVE, &[]),
                None => c.error(&here, "must be an object"),
            }
            continue;
        }
        match SIMPLE_2.iter().chain(extra.iter()).find(|(n, _)| *n == k) {
            Some((_, ty)) => c.check(&here, v, *ty),
            None => c.error(&here, format!("unknown property `{k}`")),
        }
    }
}

pub(super) fn header(c: &mut Checker<'_>, at: &At<'_>, map: Obj<'_>) {
    if c.ver == Ver::V2 {
        return simple_2(c, at, map, PRIMITIVE, &[]);
    }
    if let Some(style) = map.get("style")
        && style.as_str() != Some("simple")
    {
        c.error(&at.key("style"), "must be `simple`");
    }
    serialized_value(c, at, map, &[]);
}
