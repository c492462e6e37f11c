//! JSON and YAML into a `serde_json::Value`, within bounds. One visitor builds the
//! tree for both syntaxes and enforces the limits as it goes: nesting depth, total
//! node count (which is what bounds YAML alias expansion, the "billion laughs"), and
//! duplicate keys. Nothing is allocated past a limit, so hostile input fails fast
//! with little memory.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::{Limits, NormalizeError};

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
    /// Refuse fractional numbers, so that the caller parses again with serde_json
    /// (see [`parse_json`]).
    refuse_floats: bool,
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
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        if self.budget.refuse_floats {
            return Err(E::custom("fractional number"));
        }
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
        refuse_floats: false,
        notes: RefCell::new(TreeNotes::default()),
    }
}

/// JSON is parsed by sonic-rs (SIMD) when it can give the same tree as
/// serde_json, and by serde_json otherwise: sonic-rs rounds decimal fractions
/// correctly where serde_json (without `float_roundtrip`) can be one unit off,
/// and every stored hash was made from serde_json's value. So a document with a
/// fractional number, or one sonic-rs refuses for any reason (a syntax error,
/// nesting past its 255 levels, ...), is parsed again by serde_json, whose
/// result and messages are the ones users have always had.
pub fn parse_json(bytes: &[u8], limits: &Limits) -> Result<(Value, TreeNotes), NormalizeError> {
    let mut b = budget(limits, bytes.len(), false);
    b.refuse_floats = true;
    let mut de = sonic_rs::Deserializer::from_slice(bytes);
    let fast = Seed {
        budget: &b,
        depth: 0,
    }
    .deserialize(&mut de)
    .and_then(|v| de.end().map(|()| v));
    if let Ok(value) = fast {
        return Ok((value, b.notes.into_inner()));
    }
    parse_json_exact(bytes, limits)
}

fn parse_json_exact(bytes: &[u8], limits: &Limits) -> Result<(Value, TreeNotes), NormalizeError> {
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
    // The YAML parser takes time quadratic in nesting depth, so deep input is
    // refused by a linear scan before it ever sees it.
    let depth = yaml_depth(text);
    if depth > limits.max_depth {
        return Err(NormalizeError::syntax(
            "YAML",
            format!("nesting deeper than {} levels", limits.max_depth),
        ));
    }
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

/// An upper estimate of a YAML document's nesting: block levels (a stack of
/// indentation widths, plus `- ` sequence entries opened on one line) and flow
/// levels (`[` / `{` that open a collection, outside quoted scalars and comments).
fn yaml_depth(text: &str) -> usize {
    let mut max = 0;
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    for line in text.lines() {
        let trimmed = line.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut depth_here = 0;
        if flow == 0 {
            let indent = line.len() - trimmed.len();
            while indents.last().is_some_and(|&i| i >= indent) {
                indents.pop();
            }
            indents.push(indent);
            let mut rest = trimmed;
            while let Some(r) = rest.strip_prefix("- ") {
                depth_here += 1;
                rest = r.trim_start_matches(' ');
            }
        }
        let mut quote: Option<u8> = None;
        let mut prev = b' ';
        let bytes = trimmed.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match quote {
                Some(q) => {
                    if c == b'\\' && q == b'"' {
                        i += 1;
                    } else if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    b'"' | b'\'' if matches!(prev, b' ' | b':' | b',' | b'[' | b'{' | b'-') => {
                        quote = Some(c)
                    }
                    b'#' if i == 0 || bytes[i - 1] == b' ' => break,
                    b'[' | b'{'
                        if flow > 0 || matches!(prev, b' ' | b':' | b',' | b'[' | b'{' | b'-') =>
                    {
                        flow += 1;
                        max = max.max(indents.len() + depth_here + flow);
                    }
                    b']' | b'}' if flow > 0 => flow -= 1,
                    _ => {}
                },
            }
            if c != b' ' || quote.is_some() {
                prev = c;
            }
            i += 1;
        }
        max = max.max(indents.len() + depth_here + flow);
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_and_yaml_build_the_same_tree() {
        let l = Limits::default();
        let (j, _) =
            parse_json(br#"{"a": [1, 2.5, "x", null, true], "200": {"b": {}}}"#, &l).expect("json");
        let (y, _) = parse_yaml("a: [1, 2.5, x, null, true]\n200:\n  b: {}\n", &l).expect("yaml");
        assert_eq!(j, y);
        assert_eq!(j, json!({"a": [1, 2.5, "x", null, true], "200": {"b": {}}}));
    }

    #[test]
    fn duplicates_warn_in_json_and_fail_in_yaml() {
        let l = Limits::default();
        let (v, notes) = parse_json(br#"{"a": 1, "a": 2}"#, &l).expect("json");
        assert_eq!(v, json!({"a": 2}));
        assert_eq!(notes.duplicate_keys, ["a"]);
        let err = parse_yaml("a: 1\na: 2\n", &l).expect_err("yaml duplicate");
        assert!(err.to_string().contains("duplicate"), "{err}");
    }

    #[test]
    fn both_parsers_give_one_tree_and_one_message() {
        let l = Limits::default();
        for doc in [
            r#"{"a": 1, "b": [true, null, "x\u00e9\ud83d\ude00"], "c": -7, "d": 18446744073709551615}"#,
            r#"{"f": 37.7700405105, "g": 1e400, "h": -0.0}"#,
            r#"{"a": 1,}"#,
            r#"{"s": "\ud800"}"#,
            "{\"a\": 1} x",
            "[1, 2",
        ] {
            let fast = parse_json(doc.as_bytes(), &l).map(|(v, _)| v);
            let exact = parse_json_exact(doc.as_bytes(), &l).map(|(v, _)| v);
            assert_eq!(fast, exact, "{doc}");
        }
        let (v, _) = parse_json(br#"{"f": 37.7700405105}"#, &l).expect("float");
        let serde: Value = serde_json::from_str(r#"{"f": 37.7700405105}"#).expect("serde");
        assert_eq!(v, serde, "fractions keep serde_json's value");
    }

    #[test]
    fn depth_is_bounded() {
        let l = Limits {
            max_depth: 10,
            ..Limits::default()
        };
        let deep = format!("{}{}", "[".repeat(11), "]".repeat(11));
        assert!(parse_json(deep.as_bytes(), &l).is_err());
        let ok = format!("{}{}", "[".repeat(10), "]".repeat(10));
        assert!(parse_json(ok.as_bytes(), &l).is_ok());
    }

    #[test]
    fn yaml_depth_estimates_block_and_flow_nesting() {
        assert_eq!(yaml_depth("a: 1\nb: 2\n"), 1);
        assert_eq!(yaml_depth("a:\n  b:\n    c: [1, [2]]\n"), 5);
        assert_eq!(yaml_depth("- - - x\n"), 4);
        assert_eq!(yaml_depth("d: \"[[[[\" # [[[\ne: it's [fine\n"), 1);
        let deep = format!("x: {}1{}", "[".repeat(500), "]".repeat(500));
        assert!(yaml_depth(&deep) > 500);
    }

    #[test]
    fn yaml_tags_are_kept() {
        let (v, _) = parse_yaml("types: !include types.raml\n", &Limits::default()).expect("yaml");
        assert_eq!(v, json!({"types": {"!include": "types.raml"}}));
    }
}
