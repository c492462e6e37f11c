//! The `serde_json::Value` normalizer of JSON and YAML OpenAPI documents, as it
//! was before the [`Doc`](super::doc::Doc) one replaced it (issue 20). Kept only so
//! that the corpus test can compare the two on every file; deleted once it has.

mod canonical;
mod openapi;
mod tree;

use super::{
    Diagnostic, Extracted, Limits, NormalizeError, NormalizedDefinition, Operation, names,
};

/// What the old normalizer made of a JSON or YAML OpenAPI document; `None` for
/// other formats.
pub fn normalize(
    bytes: &[u8],
    limits: &Limits,
) -> Option<Result<NormalizedDefinition, NormalizeError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    let parsed = if matches!(first, b'{' | b'[') {
        tree::parse_json(bytes, limits)
    } else {
        // YAML OpenAPI only (the other text formats are sniffed first).
        let text = std::str::from_utf8(bytes).ok()?;
        if !text
            .lines()
            .any(|l| l.starts_with("openapi:") || l.starts_with("swagger:"))
        {
            return None;
        }
        tree::parse_yaml(text, limits)
    };
    let (value, notes) = match parsed {
        Ok(p) => p,
        Err(e) => return Some(Err(e)),
    };
    let map = value.as_object()?;
    if !map.contains_key("openapi") && !map.contains_key("swagger") {
        return None;
    }
    Some(openapi::extract(value).map(|mut e: Extracted| {
        for key in notes.duplicate_keys {
            e.diagnostics.push(Diagnostic::warning(
                "",
                format!("duplicate JSON key `{key}` (the last value is used)"),
            ));
        }
        NormalizedDefinition {
            format: e.format,
            spec_version: e.spec_version,
            title: e.title,
            version: e.version,
            description: e.description,
            servers: e.servers,
            operations: e.operations,
            webhooks: e.webhooks,
            hash: hex::encode(e.hash),
            diagnostics: e.diagnostics,
            original: bytes.to_vec(),
        }
    }))
}
