//! Schema objects: the version's table, and `$ref` siblings.

use serde_json::{Map, Value};

use super::super::Ver;
use super::super::validate::{At, Checker};
use super::v2::*;
use super::v3::*;
use super::*;

pub(super) fn schema(c: &mut Checker<'_>, at: &At<'_>, map: &Map<String, Value>) {
    match c.ver {
        // The 3.1 schema dialect is JSON Schema 2020-12; swagger-parser does not check it.
        Ver::V31 => {}
        Ver::V30 => {
            c.object(at, map, &SCHEMA_30);
            if let Some(ap) = map.get("additionalProperties")
                && !ap.is_boolean()
            {
                c.check(&at.key("additionalProperties"), ap, SCHEMA);
            }
            if let Some(req) = map.get("required").and_then(Value::as_array)
                && req.is_empty()
            {
                c.error(&at.key("required"), "must not be empty");
            }
            if let Some(e) = map.get("enum").and_then(Value::as_array)
                && e.is_empty()
            {
                c.error(&at.key("enum"), "must not be empty");
            }
        }
        Ver::V2 => {
            c.object(at, map, &SCHEMA_2);
            if let Some(ap) = map.get("additionalProperties")
                && !ap.is_boolean()
            {
                c.check(&at.key("additionalProperties"), ap, SCHEMA);
            }
            match map.get("items") {
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        c.check(&at.key("items").index(i), item, SCHEMA);
                    }
                }
                Some(item) => c.check(&at.key("items"), item, SCHEMA),
                None => {}
            }
            let simple = [
                "array", "boolean", "integer", "null", "number", "object", "string",
            ];
            match map.get("type") {
                None => {}
                Some(Value::String(t)) if simple.contains(&t.as_str()) => {}
                Some(Value::Array(ts))
                    if ts
                        .iter()
                        .all(|t| t.as_str().is_some_and(|t| simple.contains(&t))) => {}
                Some(_) => c.error(
                    &at.key("type"),
                    format!("must be one of: {}", simple.join(", ")),
                ),
            }
        }
    }
}
