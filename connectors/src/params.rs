//! Validation of an importer's `parameters` object: every connector reports a bad
//! parameter the same way, naming the field, so the API can answer 400 with it.

use serde_json::{Map, Value};

/// A parameter problem, surfaced by the API as a 400 naming `field`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ParamError {
    /// Dotted path under the request body, e.g. `parameters.regions[1]`.
    pub field: String,
    pub message: String,
}

impl ParamError {
    pub fn new(key: &str, message: impl Into<String>) -> Self {
        ParamError {
            field: format!("parameters.{key}"),
            message: message.into(),
        }
    }
}

/// Typed access to a parameters object with errors that name the key.
pub struct Params<'a> {
    map: &'a Map<String, Value>,
}

impl<'a> Params<'a> {
    pub fn new(value: &'a Value) -> Result<Self, ParamError> {
        match value {
            Value::Object(map) => Ok(Params { map }),
            _ => Err(ParamError {
                field: "parameters".into(),
                message: "must be an object".into(),
            }),
        }
    }

    /// The first of `keys` present with a non-null value (aliases: own name first).
    pub fn get(&self, keys: &[&'a str]) -> Option<(&'a str, &'a Value)> {
        keys.iter().find_map(|k| match self.map.get(*k) {
            None | Some(Value::Null) => None,
            Some(v) => Some((*k, v)),
        })
    }

    pub fn string(&self, keys: &[&'a str]) -> Result<Option<String>, ParamError> {
        match self.get(keys) {
            None => Ok(None),
            Some((k, Value::String(s))) if s.trim().is_empty() => {
                Err(ParamError::new(k, "must not be empty"))
            }
            Some((_, Value::String(s))) => Ok(Some(s.clone())),
            Some((k, _)) => Err(ParamError::new(k, "must be a string")),
        }
    }

    pub fn bool(&self, keys: &[&'a str]) -> Result<Option<bool>, ParamError> {
        match self.get(keys) {
            None => Ok(None),
            Some((_, Value::Bool(b))) => Ok(Some(*b)),
            Some((k, _)) => Err(ParamError::new(k, "must be true or false")),
        }
    }

    pub fn u64(&self, keys: &[&'a str]) -> Result<Option<u64>, ParamError> {
        match self.get(keys) {
            None => Ok(None),
            Some((k, v)) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| ParamError::new(k, "must be a non-negative integer")),
        }
    }

    /// A list of non-empty strings; a single string is accepted as a one-element list.
    pub fn strings(&self, keys: &[&'a str]) -> Result<Option<Vec<String>>, ParamError> {
        let Some((k, v)) = self.get(keys) else {
            return Ok(None);
        };
        let items = match v {
            Value::String(s) => vec![Value::String(s.clone())],
            Value::Array(a) => a.clone(),
            _ => return Err(ParamError::new(k, "must be a list of strings")),
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) if !s.trim().is_empty() => Ok(s),
                _ => Err(ParamError::new(
                    &format!("{k}[{i}]"),
                    "must be a non-empty string",
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// Keys present that none of `known` names: typos are reported, not ignored.
    pub fn reject_unknown(&self, known: &[&str]) -> Result<(), ParamError> {
        match self.map.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(ParamError::new(
                k,
                format!("unknown parameter, expected one of: {}", known.join(", ")),
            )),
            None => Ok(()),
        }
    }
}
