//! "This field is wrong": the one error type for a bad input field, in both crates.
//! The field is named by its dotted path under the request body
//! (`parameters.regions[1]`, `updateFrequency.value`), so the API can answer 400
//! naming it, whatever layer found the problem.

/// A problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// Dotted path of the field, e.g. `parameters.regions[1]`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A field of an importer's `parameters`.
    pub fn param(key: &str, message: impl Into<String>) -> Self {
        Self::new(format!("parameters.{key}"), message)
    }

    /// A serde failure, named by the path `serde_path_to_error` found, under
    /// `prefix` (`parameters`, or empty for a request body's root).
    pub fn from_serde(prefix: &str, path: &str, message: &str) -> Self {
        let join = |name: &str| match (prefix.is_empty(), name.is_empty()) {
            (true, _) => name.to_owned(),
            (false, true) => prefix.to_owned(),
            (false, false) => format!("{prefix}.{name}"),
        };
        let parent = if path == "." { "" } else { path };
        let named = |lead: &str| {
            message
                .strip_prefix(lead)
                .and_then(|rest| rest.split('`').next())
                .map(|name| {
                    if parent.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{parent}.{name}")
                    }
                })
        };
        let message = strip_position(message);
        if let Some(field) = named("missing field `") {
            return Self::new(join(&field), "is required");
        }
        if let Some(mut field) = named("unknown field `") {
            // serde_path_to_error already puts the unknown key at the end of the path.
            if let Some(name) = field.rsplit('.').next()
                && parent.ends_with(name)
            {
                field = parent.to_owned();
            }
            let hint = message
                .split_once(", expected")
                .map(|(_, e)| e.trim())
                .unwrap_or("");
            let expected = if hint.is_empty() {
                " none".to_owned()
            } else {
                format!(" {hint}")
            };
            return Self::new(join(&field), format!("unknown field, expected{expected}"));
        }
        if let Some(field) = named("duplicate field `") {
            return Self::new(
                join(&field),
                "is given twice (under its own name and an alias)",
            );
        }
        let field = if parent.is_empty() {
            if prefix.is_empty() { "body" } else { prefix }.to_owned()
        } else {
            join(parent)
        };
        Self::new(field, message)
    }
}

/// serde_json appends " at line 1 column 9"; the field path already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::FieldError;

    #[test]
    fn serde_messages_become_named_fields() {
        let f = |prefix, path, msg| FieldError::from_serde(prefix, path, msg).field;
        assert_eq!(f("", ".", "missing field `name`"), "name");
        assert_eq!(
            f("parameters", ".", "missing field `path`"),
            "parameters.path"
        );
        assert_eq!(
            f(
                "parameters",
                "regionz",
                "unknown field `regionz`, expected one of `regions`"
            ),
            "parameters.regionz"
        );
        assert_eq!(
            f(
                "parameters",
                "regions[1]",
                "invalid type: integer `1`, expected a string at line 1 column 9"
            ),
            "parameters.regions[1]"
        );
        let e = FieldError::from_serde("parameters", ".", "duplicate field `accessKeyId`");
        assert_eq!(e.field, "parameters.accessKeyId");
        assert!(e.message.contains("alias"), "{e}");
        assert_eq!(f("", ".", "expected value at line 1 column 1"), "body");
    }
}
