//! GraphQL: SDL (parsed with apollo-parser, which never panics on bad input and has
//! a recursion limit) and introspection JSON. Operations are the fields of the root
//! operation types, including `extend type` blocks.

use super::doc::Doc;
use apollo_parser::cst;
use apollo_parser::{Lexer, Parser, TokenKind};

use super::canonical::{json_hash, tokens_hash};
use super::{Extracted, NormalizeError, Operation};
use crate::normalize::DefinitionFormat;

const KINDS: [(&str, &str); 3] = [
    ("query", "QUERY"),
    ("mutation", "MUTATION"),
    ("subscription", "SUBSCRIPTION"),
];

fn operation(kind: &str, field: &str) -> Operation {
    Operation {
        method: kind.to_owned(),
        endpoint: field.to_owned(),
        name: field.to_owned(),
    }
}

pub(super) fn extract_sdl(text: &str) -> Result<Extracted, NormalizeError> {
    let tree = Parser::new(text)
        .recursion_limit(256)
        .token_limit(5_000_000)
        .parse();
    if let Some(e) = tree.errors().next() {
        let (line, col) = line_col(text, e.index());
        return Err(NormalizeError::syntax(
            "GraphQL",
            format!("{} at line {line} column {col}", e.message()),
        ));
    }
    let doc = tree.document();
    // Root type names: from `schema { query: X ... }` when present, else the defaults.
    let mut roots: Vec<(String, &str)> = vec![
        ("Query".into(), "QUERY"),
        ("Mutation".into(), "MUTATION"),
        ("Subscription".into(), "SUBSCRIPTION"),
    ];
    let mut explicit = Vec::new();
    for def in doc.definitions() {
        let defs = match &def {
            cst::Definition::SchemaDefinition(s) => s.root_operation_type_definitions(),
            cst::Definition::SchemaExtension(s) => s.root_operation_type_definitions(),
            _ => continue,
        };
        for root in defs {
            let (Some(op), Some(name)) = (
                root.operation_type(),
                root.named_type().and_then(|n| n.name()),
            ) else {
                continue;
            };
            let kind = if op.mutation_token().is_some() {
                "MUTATION"
            } else if op.subscription_token().is_some() {
                "SUBSCRIPTION"
            } else {
                "QUERY"
            };
            explicit.push((name.text().to_string(), kind));
        }
    }
    if !explicit.is_empty() {
        roots = explicit;
    }
    let mut operations = Vec::new();
    let mut description = None;
    for def in doc.definitions() {
        let (name, fields) = match &def {
            cst::Definition::ObjectTypeDefinition(d) => (d.name(), d.fields_definition()),
            cst::Definition::ObjectTypeExtension(d) => (d.name(), d.fields_definition()),
            cst::Definition::SchemaDefinition(s) => {
                description = s
                    .description()
                    .and_then(|d| d.string_value())
                    .map(|s| String::from(s).trim().to_owned());
                continue;
            }
            _ => continue,
        };
        let Some(name) = name else { continue };
        let Some((_, kind)) = roots.iter().find(|(r, _)| *r == name.text().as_str()) else {
            continue;
        };
        for field in fields.iter().flat_map(|f| f.field_definitions()) {
            if let Some(n) = field.name() {
                operations.push(operation(kind, n.text().as_str()));
            }
        }
    }
    let hash = tokens_hash(
        "graphql",
        Lexer::new(text)
            .filter_map(Result::ok)
            .filter(|t| {
                !matches!(
                    t.kind(),
                    TokenKind::Whitespace | TokenKind::Comment | TokenKind::Comma | TokenKind::Eof
                )
            })
            .map(|t| t.data()),
    );
    Ok(Extracted {
        format: DefinitionFormat::Graphql,
        spec_version: "GraphQL SDL".into(),
        title: None,
        version: None,
        description,
        servers: Vec::new(),
        operations,
        webhooks: Vec::new(),
        hash,
        diagnostics: Vec::new(),
    })
}

fn line_col(text: &str, index: usize) -> (usize, usize) {
    let before = text.get(..index.min(text.len())).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// `{"__schema": ...}` or `{"data": {"__schema": ...}}` from an introspection query.
pub(super) fn extract_introspection(value: &Doc<'_>) -> Result<Extracted, NormalizeError> {
    let schema = value
        .get("__schema")
        .or_else(|| value.pointer("/data/__schema"))
        .unwrap_or(&Doc::Null);
    let Some(types) = schema.get("types").and_then(Doc::as_array) else {
        return Err(NormalizeError::invalid(
            DefinitionFormat::Graphql,
            "introspection result has no `__schema.types` list",
        ));
    };
    let mut operations = Vec::new();
    for (key, kind) in KINDS {
        let Some(root) = schema
            .get(&format!("{key}Type"))
            .and_then(|t| t.get("name"))
            .and_then(Doc::as_str)
        else {
            continue;
        };
        let Some(ty) = types
            .iter()
            .find(|t| t.get("name").and_then(Doc::as_str) == Some(root))
        else {
            continue;
        };
        for field in ty
            .get("fields")
            .and_then(Doc::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = field.get("name").and_then(Doc::as_str) {
                operations.push(operation(kind, n));
            }
        }
    }
    Ok(Extracted {
        format: DefinitionFormat::Graphql,
        spec_version: "GraphQL introspection".into(),
        title: None,
        version: None,
        description: schema
            .get("description")
            .and_then(Doc::as_str)
            .map(str::to_owned),
        servers: Vec::new(),
        operations,
        webhooks: Vec::new(),
        hash: json_hash("graphql-introspection", schema),
        diagnostics: Vec::new(),
    })
}
