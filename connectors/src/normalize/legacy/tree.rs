//! JSON and YAML into a `serde_json::Value`, within bounds. One visitor builds the
//! tree for both syntaxes and enforces the limits as it goes: nesting depth, total
//! node count (which is what bounds YAML alias expansion, the "billion laughs"), and
//! duplicate keys. Nothing is allocated past a limit, so hostile input fails fast
//! with little memory.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::normalize::{Limits, NormalizeError};

/// What the tree builder noticed without failing.
#[derive(Debug, Default)]
pub struct TreeNotes {
    /// JSON keys that appeared twice in one object (the last one wins, as in
    /// `JSON.parse`).
    pub duplicate_keys: Vec<String>,
}

struct Budget<'a> {
    limits: &'a Limits,
    nodes: Cell<usize>,
    max_nodes: usize,
    /// YAML rejects duplicate keys (as js-yaml does); JSON keeps the last.
    reject_duplicates: bool,
    notes: RefCell<TreeNotes>,
}

impl Budget<'_> {
    fn count_node<E: de::Error>(&self) -> Result<(), E> {
        let n = self.nodes.get() + 1;
        if n > self.max_nodes {
            return Err(E::custom(format_args!(
                "document expands to more than {} values (YAML alias expansion is limited to {}x the input size)",
                self.max_nodes, self.limits.max_expansion
            )));
        }
        self.nodes.set(n);
        Ok(())
    }
}

#[derive(Clone, Copy)]
struct Seed<'b, 'a> {
    budget: &'b Budget<'a>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Seed<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.depth >= self.budget.limits.max_depth {
            return Err(de::Error::custom(format_args!(
                "nesting deeper than {} levels",
                self.budget.limits.max_depth
            )));
        }
        self.budget.count_node()?;
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON or YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // YAML allows .inf and .nan, JSON has no number for them.
        Ok(Number::from_f64(v).map_or_else(|| Value::String(v.to_string()), Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Seed {
            depth: self.depth,
            ..self
        }
        .deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let child = Seed {
            budget: self.budget,
            depth: self.depth + 1,
        };
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(child)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let child = Seed {
            budget: self.budget,
            depth: self.depth + 1,
        };
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value_seed(child)?;
            if out.insert(key.clone(), value).is_some() {
                if self.budget.reject_duplicates {
                    return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
                }
                let mut notes = self.budget.notes.borrow_mut();
                if notes.duplicate_keys.len() < 20 {
                    notes.duplicate_keys.push(key);
                }
            }
        }
        Ok(Value::Object(out))
    }

    /// A YAML tagged value (`!include file.raml`) becomes `{"!include": "file.raml"}`.
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        use de::VariantAccess;
        let (tag, variant): (String, _) = data.variant_seed(KeySeed)?;
        let value = variant.newtype_variant_seed(Seed {
            budget: self.budget,
            depth: self.depth + 1,
        })?;
        let tag = if tag.starts_with('!') {
            tag
        } else {
            format!("!{tag}")
        };
        let mut m = Map::new();
        m.insert(tag, value);
        Ok(Value::Object(m))
    }
}

/// Object keys: YAML allows scalars of any type (`200:`, `true:`); they become strings.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar key")
    }
    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_bool<E>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_unit<E>(self) -> Result<String, E> {
        Ok("null".to_owned())
    }
}

fn budget(limits: &Limits, input_len: usize, reject_duplicates: bool) -> Budget<'_> {
    Budget {
        limits,
        nodes: Cell::new(0),
        max_nodes: input_len.saturating_mul(limits.max_expansion).max(10_000),
        reject_duplicates,
        notes: RefCell::new(TreeNotes::default()),
    }
}

pub fn parse_json(bytes: &[u8], limits: &Limits) -> Result<(Value, TreeNotes), NormalizeError> {
    let b = budget(limits, bytes.len(), false);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // Our seed enforces `max_depth`; serde_json's fixed 128 would make it moot.
    de.disable_recursion_limit();
    let value = Seed {
        budget: &b,
        depth: 0,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v))
    .map_err(|e| NormalizeError::syntax("JSON", e.to_string()))?;
    Ok((value, b.notes.into_inner()))
}

pub fn parse_yaml(text: &str, limits: &Limits) -> Result<(Value, TreeNotes), NormalizeError> {
    let b = budget(limits, text.len(), true);
    let de = serde_yaml::Deserializer::from_str(text);
    let value = Seed {
        budget: &b,
        depth: 0,
    }
    .deserialize(de)
    .map_err(|e| NormalizeError::syntax("YAML", e.to_string()))?;
    Ok((value, b.notes.into_inner()))
}
