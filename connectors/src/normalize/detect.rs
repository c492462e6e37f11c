//! Which format a document is: by its content first, by the caller's hints second.

use serde_json::Value;

use super::doc::{Doc, with_arena};
use super::{Extracted, Limits, NormalizeError, generic, graphql, grpc, openapi, raml, tree, xml};
use crate::normalize::DefinitionFormat;

/// What the caller knows about the document besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct Hints {
    /// The format the caller says it is (e.g. `format=openapi3` on upload).
    pub declared: Option<DefinitionFormat>,
    /// What the source says the format is; unlike `declared`, not enforced.
    pub format_hint: Option<DefinitionFormat>,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
}

impl Hints {
    pub fn declared(format: DefinitionFormat) -> Hints {
        Hints {
            declared: Some(format),
            ..Hints::default()
        }
    }

    /// The format the hints suggest, strongest first.
    fn suggested(&self) -> Option<DefinitionFormat> {
        if self.declared.is_some() {
            return self.declared;
        }
        if self.format_hint.is_some() {
            return self.format_hint;
        }
        let ext = self
            .file_name
            .as_deref()
            .and_then(|n| n.rsplit_once('.'))
            .map(|(_, e)| e.to_ascii_lowercase());
        let by_ext = match ext.as_deref() {
            Some("graphql" | "graphqls" | "gql") => Some(DefinitionFormat::Graphql),
            Some("proto") => Some(DefinitionFormat::Grpc),
            Some("raml") => Some(DefinitionFormat::Raml),
            Some("wsdl") => Some(DefinitionFormat::Wsdl),
            Some("wadl") => Some(DefinitionFormat::Wadl),
            _ => None,
        };
        by_ext.or_else(|| {
            let ct = self.content_type.as_deref()?.to_ascii_lowercase();
            if ct.contains("graphql") {
                Some(DefinitionFormat::Graphql)
            } else if ct.contains("protobuf") || ct.contains("proto") {
                Some(DefinitionFormat::Grpc)
            } else if ct.contains("raml") {
                Some(DefinitionFormat::Raml)
            } else {
                None
            }
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Sniff {
    Xml,
    Raml,
    Json,
    Proto,
    Graphql,
    /// Anything else: YAML, or a format only the hints can name.
    Text,
}

/// Entry point: JSON is parsed straight from the bytes (serde_json checks UTF-8
/// inside strings, and anything else non-ASCII is a syntax error there anyway);
/// every other syntax needs the whole input as UTF-8 text first.
pub(super) fn extract_bytes(
    bytes: &[u8],
    hints: &Hints,
    limits: &Limits,
) -> Result<Extracted, NormalizeError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{' | b'[')) {
        return check_declared(json(bytes, limits)?, hints);
    }
    extract(super::text_of(bytes)?, hints, limits)
}

fn json(bytes: &[u8], limits: &Limits) -> Result<Extracted, NormalizeError> {
    tree::with_json(bytes, limits, |doc, notes| {
        let mut e = structured(doc)?;
        for key in notes.duplicate_keys {
            e.diagnostics.push(super::Diagnostic::warning(
                "",
                format!("duplicate JSON key `{key}` (the last value is used)"),
            ));
        }
        Ok(e)
    })?
}

fn extract(text: &str, hints: &Hints, limits: &Limits) -> Result<Extracted, NormalizeError> {
    let extracted = match sniff(text) {
        Sniff::Xml => xml::extract(text, limits)?,
        Sniff::Raml => raml::extract(text, limits)?,
        Sniff::Json => json(text.as_bytes(), limits)?,
        Sniff::Proto => grpc::extract(text)?,
        Sniff::Graphql => graphql::extract_sdl(text)?,
        Sniff::Text => match hints.suggested() {
            Some(DefinitionFormat::Graphql) => graphql::extract_sdl(text)?,
            Some(DefinitionFormat::Grpc) => grpc::extract(text)?,
            Some(DefinitionFormat::Raml) => raml::extract(text, limits)?,
            _ => tree::with_yaml(text, limits, |doc, _| structured(doc))??,
        },
    };
    check_declared(extracted, hints)
}

/// A declared format must match what the content is.
pub(super) fn check_declared(
    extracted: Extracted,
    hints: &Hints,
) -> Result<Extracted, NormalizeError> {
    match hints.declared {
        Some(declared) if declared != extracted.format => Err(NormalizeError::FormatMismatch {
            declared: declared.request_str(),
            detected: format!(
                "{} ({})",
                extracted.format.request_str(),
                extracted.spec_version
            ),
        }),
        _ => Ok(extracted),
    }
}

/// [`structured`] of a tree read into a `serde_json::Value` (bundles).
pub(super) fn structured_value(value: &Value) -> Result<Extracted, NormalizeError> {
    with_arena(|arena| structured(&Doc::of_value(value, arena)))
}

/// A parsed JSON/YAML tree: which specification it is.
pub(super) fn structured(value: &Doc<'_>) -> Result<Extracted, NormalizeError> {
    let Doc::Obj(map) = value else {
        return Err(NormalizeError::NotAnApi(format!(
            "the document is a {} , not an API definition object",
            kind_of(value)
        )));
    };
    if map.contains_key("openapi") || map.contains_key("swagger") {
        return openapi::extract(value);
    }
    if map.contains_key("__schema") || value.pointer("/data/__schema").is_some() {
        return graphql::extract_introspection(value);
    }
    let postman = value
        .pointer("/info/schema")
        .and_then(Doc::as_str)
        .is_some_and(|s| s.contains("getpostman.com"));
    if postman {
        return generic::postman(value);
    }
    if value.pointer("/log/entries").is_some() {
        return generic::har(value);
    }
    Err(NormalizeError::NotAnApi(
        "the document is none of: OpenAPI 3, Swagger 2.0, GraphQL introspection, Postman collection, HAR (no `openapi`, `swagger`, `__schema`, `info.schema` or `log.entries` key)".into(),
    ))
}

fn kind_of(v: &Doc<'_>) -> &'static str {
    match v {
        Doc::Null => "null",
        Doc::Bool(_) => "boolean",
        Doc::Num(_) => "number",
        Doc::Str(_) => "plain string",
        Doc::Arr(_) => "list",
        Doc::Obj(_) => "object",
    }
}

fn sniff(text: &str) -> Sniff {
    let t = text.trim_start();
    if t.starts_with('<') {
        return Sniff::Xml;
    }
    if t.starts_with("#%RAML") {
        return Sniff::Raml;
    }
    if t.starts_with('{') || t.starts_with('[') {
        return Sniff::Json;
    }
    let mut words = significant_words(t);
    let (Some(first), second) = (words.next(), words.next()) else {
        return Sniff::Text;
    };
    let second = second.unwrap_or("");
    let proto = match first {
        "syntax" | "edition" => second.starts_with('='),
        "package" | "option" | "import" => !second.starts_with(':'),
        "service" | "message" => {
            second.contains('{') || words.next().is_some_and(|w| w.starts_with('{'))
        }
        _ => false,
    };
    if proto {
        return Sniff::Proto;
    }
    let graphql = match first {
        "type" | "interface" | "union" | "input" | "scalar" | "directive" | "schema" | "extend"
        | "enum" => !second.starts_with(':') && !first.ends_with(':'),
        w => w.starts_with("\"\"\"") || (w.starts_with('"') && !w.ends_with(':')),
    };
    if graphql {
        if first == "enum" && text.contains(';') {
            return Sniff::Proto;
        }
        return Sniff::Graphql;
    }
    Sniff::Text
}

/// Words of the text after `#`, `//` and `/* */` comments, split on whitespace.
fn significant_words(t: &str) -> impl Iterator<Item = &str> {
    let mut rest = t;
    loop {
        rest = rest.trim_start();
        if rest.starts_with('#') || rest.starts_with("//") {
            rest = rest.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    rest.split_whitespace().take(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(sniff("  <?xml version=\"1.0\"?><definitions/>"), Sniff::Xml);
        assert_eq!(sniff("#%RAML 1.0\ntitle: x"), Sniff::Raml);
        assert_eq!(sniff("\n{\"openapi\": \"3.0.0\"}"), Sniff::Json);
        assert_eq!(sniff("// c\nsyntax = \"proto3\";"), Sniff::Proto);
        assert_eq!(
            sniff("service Greeter {\n rpc A (B) returns (C);\n}"),
            Sniff::Proto
        );
        assert_eq!(sniff("# comment\ntype Query {\n a: Int\n}"), Sniff::Graphql);
        assert_eq!(
            sniff("\"\"\"doc\"\"\"\nschema { query: Q }"),
            Sniff::Graphql
        );
        assert_eq!(sniff("type: object\nopenapi: 3.0.0"), Sniff::Text);
        assert_eq!(sniff("openapi: 3.0.0\n"), Sniff::Text);
        assert_eq!(sniff("enum Color { RED = 0; }"), Sniff::Proto);
        assert_eq!(sniff("enum Color { RED GREEN }"), Sniff::Graphql);
    }
}
