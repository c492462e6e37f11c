//! JSON and YAML into a [`Doc`], within bounds. JSON takes the fast way (sonic-rs,
//! see [`with_json`]) when it can; otherwise, and for YAML, one visitor builds a
//! `serde_json::Value` for both syntaxes and enforces the limits as it goes:
//! nesting depth, total node count (which is what bounds YAML alias expansion, the
//! "billion laughs"), and duplicate keys. Nothing is allocated past a limit, so
//! hostile input fails fast with little memory.

use std::cell::{Cell, RefCell};
use std::fmt;

use bumpalo::Bump;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::doc::{Doc, Num, Obj, with_arena};
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

/// Parses JSON into a [`Doc`] and hands it to `f`. sonic-rs (SIMD) parses it,
/// numbers kept as their text, and the tree is built from that in one walk
/// ([`Build`]). Whatever that walk would not reproduce exactly as serde_json read
/// it (a duplicate key, a number serde_json refuses, nesting past the limits) and
/// whatever sonic-rs refuses is parsed again by serde_json, whose tree, notes and
/// error messages are the ones users have always had.
pub fn with_json<R>(
    bytes: &[u8],
    limits: &Limits,
    f: impl for<'a> FnOnce(&'a Doc<'a>, TreeNotes) -> R,
) -> Result<R, NormalizeError> {
    let parsed = stacker::maybe_grow(SONIC_STACK, SONIC_STACK, || sonic(bytes));
    with_arena(|arena| {
        let fast = parsed.as_ref().and_then(|value| {
            stacker::maybe_grow(SONIC_STACK, SONIC_STACK, || {
                Build::new(arena, limits).sonic(value, 0)
            })
        });
        if let Some(doc) = fast {
            return Ok(f(arena.alloc(doc), TreeNotes::default()));
        }
        let (value, notes) = parse_json_exact(bytes, limits)?;
        Ok(f(arena.alloc(Doc::of_value(&value, arena)), notes))
    })
}

/// Parses YAML into a [`Doc`] and hands it to `f`.
pub fn with_yaml<R>(
    text: &str,
    limits: &Limits,
    f: impl for<'a> FnOnce(&'a Doc<'a>, TreeNotes) -> R,
) -> Result<R, NormalizeError> {
    let (value, notes) = parse_yaml(text, limits)?;
    Ok(with_arena(|arena| {
        f(arena.alloc(Doc::of_value(&value, arena)), notes)
    }))
}

/// The walk from sonic-rs's tree to a [`Doc`]: sorts each object's keys and
/// reads each number's text as serde_json does. `None` means "let serde_json
/// parse it" (see [`with_json`]). The JSON node count cannot pass the budget
/// (every value takes at least one input byte), so only depth is checked.
struct Build<'a> {
    arena: &'a Bump,
    max_depth: usize,
}

/// Stack that sonic-rs's parser may need: it recurses once per level, up to its
/// own limit of 255 levels whatever ours is, using about 400 bytes a level in an
/// optimized build (the deepest input fits 128 KiB) and tens of KiB in a debug
/// build. A thread with less left runs the parse on a fresh segment this size.
const SONIC_STACK: usize = if cfg!(debug_assertions) {
    32 << 20
} else {
    512 << 10
};

/// sonic-rs's tree of the whole input, numbers as their text.
fn sonic(bytes: &[u8]) -> Option<sonic_rs::Value> {
    // sonic-rs's deserializer does not report invalid UTF-8 itself (only its
    // `from_slice` does, which cannot keep numbers as text); simdutf8 is the
    // check `from_slice` uses.
    let text = simdutf8::basic::from_utf8(bytes).ok()?;
    let mut de = sonic_rs::Deserializer::from_str(text).use_rawnumber();
    let value = sonic_rs::Value::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

impl<'a> Build<'a> {
    fn new(arena: &'a Bump, limits: &Limits) -> Self {
        Build {
            arena,
            max_depth: limits.max_depth,
        }
    }

    fn sonic(&mut self, v: &'a sonic_rs::Value, depth: usize) -> Option<Doc<'a>> {
        use sonic_rs::{JsonContainerTrait, JsonType, JsonValueTrait};
        if depth >= self.max_depth {
            return None;
        }
        Some(match v.get_type() {
            JsonType::Null => Doc::Null,
            JsonType::Boolean => Doc::Bool(v.as_bool()?),
            JsonType::String => Doc::Str(v.as_str()?),
            JsonType::Number => Doc::Num(Num::parse(v.as_raw_number()?.as_str())?),
            // A container's slots are taken before its children are built, so a
            // parent lies before its children in the arena (the later walks read
            // it forward).
            JsonType::Array => {
                let array = v.as_array()?;
                let items = self.arena.alloc_slice_fill_copy(array.len(), Doc::Null);
                for (slot, item) in items.iter_mut().zip(array.iter()) {
                    *slot = self.sonic(item, depth + 1)?;
                }
                Doc::Arr(items)
            }
            JsonType::Object => {
                let object = v.as_object()?;
                let entries = self
                    .arena
                    .alloc_slice_fill_copy(object.len(), ("", Doc::Null));
                for (slot, (k, item)) in entries.iter_mut().zip(object.iter()) {
                    *slot = (k, self.sonic(item, depth + 1)?);
                }
                if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
                    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                    // A duplicate key: serde_json's reading notes it in order.
                    if entries.windows(2).any(|w| w[0].0 == w[1].0) {
                        return None;
                    }
                }
                Doc::Obj(Obj::sorted(entries))
            }
        })
    }
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

    /// The tree as compact JSON (equal trees, equal text: floats are written by
    /// ryu, which gives each `f64` one text) and the notes.
    fn json(text: &str, l: &Limits) -> Result<(String, Vec<String>), NormalizeError> {
        with_json(text.as_bytes(), l, |d, n| (d.to_string(), n.duplicate_keys))
    }

    /// The fast way alone: `None` when it hands the input to serde_json.
    fn fast(text: &str, l: &Limits) -> Option<String> {
        stacker::maybe_grow(SONIC_STACK, SONIC_STACK, || {
            let arena = Bump::new();
            let value = sonic(text.as_bytes())?;
            Build::new(&arena, l)
                .sonic(&value, 0)
                .map(|d| d.to_string())
        })
    }

    fn exact(text: &str, l: &Limits) -> Result<(String, Vec<String>), NormalizeError> {
        let (v, n) = parse_json_exact(text.as_bytes(), l)?;
        let arena = Bump::new();
        Ok((Doc::of_value(&v, &arena).to_string(), n.duplicate_keys))
    }

    #[test]
    fn json_and_yaml_build_the_same_tree() {
        let l = Limits::default();
        let j = json(r#"{"a": [1, 2.5, "x", null, true], "200": {"b": {}}}"#, &l).expect("json");
        let y = with_yaml("a: [1, 2.5, x, null, true]\n200:\n  b: {}\n", &l, |d, _| {
            d.to_string()
        })
        .expect("yaml");
        assert_eq!(j.0, y);
        assert_eq!(
            j.0,
            json!({"a": [1, 2.5, "x", null, true], "200": {"b": {}}}).to_string()
        );
    }

    #[test]
    fn duplicates_warn_in_json_and_fail_in_yaml() {
        let l = Limits::default();
        let (v, notes) = json(r#"{"a": 1, "b": {"c": 1, "c": 2}, "a": 2}"#, &l).expect("json");
        assert_eq!(v, r#"{"a":2,"b":{"c":2}}"#);
        assert_eq!(notes, ["c", "a"], "in the order serde_json meets them");
        let err = parse_yaml("a: 1\na: 2\n", &l).expect_err("yaml duplicate");
        assert!(err.to_string().contains("duplicate"), "{err}");
    }

    /// What the fast way builds is what serde_json builds, and what serde_json
    /// refuses the fast way never accepts: every result and message is serde_json's.
    #[test]
    fn the_fast_way_agrees_with_serde_json_or_steps_aside() {
        let l = Limits::default();
        let cases = [
            // taken by the fast way
            (
                r#"{"a": 1, "b": [true, null, "x\u00e9\ud83d\ude00"], "c": -7, "d": 18446744073709551615}"#,
                true,
            ),
            (
                r#"{"f": 37.7700405105, "h": -0.0, "i": -0, "j": 1E2, "k": 0.1000000000000000055511151231257827}"#,
                true,
            ),
            (
                r#"{"big": 123456789012345678901234567890, "neg": -9223372036854775809}"#,
                true,
            ),
            (
                r#"{"z": 1, "y": {"b": 2, "a": 1}, "": [], "\u0000": "\t"}"#,
                true,
            ),
            ("  [1, 2]  \n", true),
            // serde_json's way: a duplicate key, a number out of its range
            (r#"{"a": 1, "a": 2}"#, false),
            (r#"{"g": 1e400}"#, false),
            (r#"[-1e400]"#, false),
            // refused by both, with serde_json's message
            (r#"{"a": 1,}"#, false),
            (r#"[1, 2,]"#, false),
            (r#"{"s": "\ud800"}"#, false),
            ("{\"s\": \"a\u{1}b\"}", false),
            ("{\"a\": 1} x", false),
            ("[1, 2", false),
            ("[01]", false),
            ("[1.]", false),
            ("[.5]", false),
            ("[-]", false),
            ("[1e]", false),
            ("[NaN]", false),
            ("[+1]", false),
            ("{'a': 1}", false),
            ("{a: 1}", false),
            ("[\"\\x\"]", false),
            ("[tru]", false),
            ("", false),
        ];
        for (text, taken) in cases {
            let fast = fast(text, &l);
            assert_eq!(fast.is_some(), taken, "{text}: {fast:?}");
            let exact = exact(text, &l);
            if let Some(f) = &fast {
                assert_eq!(Some(f), exact.as_ref().ok().map(|e| &e.0), "{text}");
            }
            assert_eq!(json(text, &l), exact, "{text}");
        }
        let invalid_utf8 = b"{\"a\": \"\xff\"}";
        assert!(sonic(invalid_utf8).is_none());
        assert!(with_json(invalid_utf8, &l, |_, _| ()).is_err());
    }

    #[test]
    fn depth_is_bounded() {
        let l = Limits {
            max_depth: 10,
            ..Limits::default()
        };
        let deep = format!("{}{}", "[".repeat(11), "]".repeat(11));
        let err = json(&deep, &l).expect_err("too deep");
        assert!(
            err.to_string().contains("nesting deeper than 10 levels"),
            "{err}"
        );
        assert!(fast(&deep, &l).is_none());
        let ok = format!("{}{}", "[".repeat(10), "]".repeat(10));
        assert!(json(&ok, &l).is_ok());
        assert!(fast(&ok, &l).is_some());
        // Past sonic-rs's own limit, serde_json reads it under a higher setting
        // (on a stack for that depth: the setting is the operator's to size).
        let deeper = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(|| {
                let l = Limits {
                    max_depth: 1000,
                    ..Limits::default()
                };
                let deeper = format!("{}{}", "[".repeat(300), "]".repeat(300));
                (fast(&deeper, &l), json(&deeper, &l).is_ok())
            })
            .expect("thread")
            .join()
            .expect("no overflow");
        assert_eq!(deeper, (None, true));
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
