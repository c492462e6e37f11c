//! The parsed JSON/YAML document every structured format is read from: a tree
//! allocated in one arena, its strings borrowed from the parser's buffer, its
//! objects' keys sorted and unique. Sorted keys are what the canonical hash writes
//! and what lookups binary-search; building the tree is one allocation per
//! container into the arena and dropping it is one free, which is most of why the
//! normalizer runs near the parser's speed (`connectors/benches`).
//!
//! The tree reads like `serde_json::Value` (`get`, `as_str`, `pointer`, ...) and
//! holds the same values: numbers are serde_json's three kinds as serde_json reads
//! them (see [`Num`]), objects iterate in the order of serde_json's `BTreeMap`, and
//! a duplicate key keeps its last value. So every count, verdict and hash is the
//! one the `serde_json::Value` normalizer gave.

use std::fmt;

use bumpalo::Bump;
use serde_json::Value;

/// A JSON value in an arena (`'a`: the arena and the parsed input).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Doc<'a> {
    Null,
    Bool(bool),
    Num(Num),
    Str(&'a str),
    Arr(&'a [Doc<'a>]),
    Obj(Obj<'a>),
}

/// A number as serde_json holds it: a non-negative integer, a negative one, or
/// the `f64` serde_json's own reader makes of the text (which can differ from the
/// correctly rounded value in the last bit; stored hashes were made from it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    Pos(u64),
    Neg(i64),
    Float(f64),
}

impl Num {
    /// The number of a JSON number's text, exactly as serde_json reads it;
    /// `None` where serde_json refuses it (out of range, not JSON syntax).
    pub fn parse(text: &str) -> Option<Num> {
        // Plain integers are most numbers; they are read here the way serde_json
        // reads them (`-0` and negatives past i64 become floats there).
        let (negative, digits) = match text.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, text),
        };
        let plain = !digits.is_empty()
            && digits.len() <= 19
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits.len() == 1 || !digits.starts_with('0'));
        if plain {
            let n = digits
                .bytes()
                .fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
            if !negative {
                return Some(Num::Pos(n));
            }
            let neg = (n as i64).wrapping_neg();
            return Some(if neg >= 0 {
                Num::Float(-(n as f64))
            } else {
                Num::Neg(neg)
            });
        }
        serde_json::from_str::<serde_json::Number>(text)
            .ok()
            .map(|n| Num::of(&n))
    }

    pub fn of(n: &serde_json::Number) -> Num {
        if let Some(u) = n.as_u64() {
            Num::Pos(u)
        } else if let Some(i) = n.as_i64() {
            Num::Neg(i)
        } else {
            Num::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    pub fn json(self) -> serde_json::Number {
        match self {
            Num::Pos(u) => u.into(),
            Num::Neg(i) => i.into(),
            // A Doc holds finite floats only (JSON has no others; YAML's become
            // strings, as they did in `serde_json::Value`).
            Num::Float(f) => serde_json::Number::from_f64(f).unwrap_or_else(|| 0.into()),
        }
    }
}

/// An object: entries sorted by key (byte order), keys unique.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obj<'a>(&'a [(&'a str, Doc<'a>)]);

impl<'a> Obj<'a> {
    /// Entries that are already sorted and unique (the builders' job).
    pub(super) fn sorted(entries: &'a [(&'a str, Doc<'a>)]) -> Obj<'a> {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        Obj(entries)
    }

    pub fn get(self, key: &str) -> Option<&'a Doc<'a>> {
        let entries = self.0;
        // Small objects (most of them) are faster to scan than to bisect: by
        // first byte, and no further than where the key would be (they are sorted).
        if entries.len() <= 8 {
            let first = key.as_bytes().first();
            for (k, v) in entries {
                match k.as_bytes().first().cmp(&first) {
                    std::cmp::Ordering::Less => {}
                    std::cmp::Ordering::Equal if *k == key => return Some(v),
                    std::cmp::Ordering::Equal => {}
                    std::cmp::Ordering::Greater => return None,
                }
            }
            return None;
        }
        entries
            .binary_search_by(|(k, _)| (*k).cmp(key))
            .ok()
            .map(|i| &entries[i].1)
    }

    pub fn contains_key(self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn len(self) -> usize {
        self.0.len()
    }

    pub fn is_empty(self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(self) -> impl DoubleEndedIterator<Item = (&'a str, &'a Doc<'a>)> + Clone {
        self.0.iter().map(|(k, v)| (*k, v))
    }

    pub fn keys(self) -> impl Iterator<Item = &'a str> {
        self.0.iter().map(|(k, _)| *k)
    }

    pub fn values(self) -> impl Iterator<Item = &'a Doc<'a>> {
        self.0.iter().map(|(_, v)| v)
    }

    pub(super) fn entries(self) -> &'a [(&'a str, Doc<'a>)] {
        self.0
    }
}

impl<'a> IntoIterator for Obj<'a> {
    type Item = (&'a str, &'a Doc<'a>);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (&'a str, Doc<'a>)>,
        fn(&'a (&'a str, Doc<'a>)) -> (&'a str, &'a Doc<'a>),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (*k, v))
    }
}

impl<'a> Doc<'a> {
    pub fn get(&self, key: &str) -> Option<&'a Doc<'a>> {
        self.as_object()?.get(key)
    }

    pub fn as_object(&self) -> Option<Obj<'a>> {
        match self {
            Doc::Obj(o) => Some(*o),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&'a [Doc<'a>]> {
        match self {
            Doc::Arr(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Doc::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Doc::Str(_))
    }

    pub fn is_boolean(&self) -> bool {
        matches!(self, Doc::Bool(_))
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Doc::Num(_))
    }

    /// As `serde_json::Value::as_u64`: non-negative integers only.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Doc::Num(Num::Pos(u)) => Some(*u),
            _ => None,
        }
    }

    /// As `serde_json::Value::as_f64`: any number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Doc::Num(Num::Pos(u)) => Some(*u as f64),
            Doc::Num(Num::Neg(i)) => Some(*i as f64),
            Doc::Num(Num::Float(f)) => Some(*f),
            _ => None,
        }
    }

    /// A JSON pointer (RFC 6901) lookup, as `serde_json::Value::pointer`.
    pub fn pointer<'s>(&'s self, pointer: &str) -> Option<&'s Doc<'a>> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut target = self;
        for token in pointer.strip_prefix('/')?.split('/') {
            let token = if token.as_bytes().contains(&b'~') {
                std::borrow::Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
            } else {
                std::borrow::Cow::Borrowed(token)
            };
            target = match target {
                Doc::Obj(o) => o.get(&token)?,
                Doc::Arr(a) => a.get(index(&token)?)?,
                _ => return None,
            };
        }
        Some(target)
    }

    /// Writes the value as compact JSON with sorted keys: serde_json's writing of
    /// the same `serde_json::Value`, byte for byte.
    pub(super) fn write(&self, out: &mut impl Out) {
        match self {
            Doc::Null => out.put(b"null"),
            Doc::Bool(true) => out.put(b"true"),
            Doc::Bool(false) => out.put(b"false"),
            // serde_json's own number writing (writing into `Out` cannot fail).
            Doc::Num(n) => {
                let _ = serde_json::to_writer(Writer(out), &n.json());
            }
            Doc::Str(s) => write_str(out, s),
            Doc::Arr(items) => {
                out.byte(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.byte(b',');
                    }
                    item.write(out);
                }
                out.byte(b']');
            }
            Doc::Obj(o) => {
                out.byte(b'{');
                for (i, (k, v)) in o.iter().enumerate() {
                    if i > 0 {
                        out.byte(b',');
                    }
                    write_str(out, k);
                    out.byte(b':');
                    v.write(out);
                }
                out.byte(b'}');
            }
        }
    }

    /// The tree of a `serde_json::Value` (YAML, bundles), borrowing its strings.
    pub fn of_value(value: &'a Value, arena: &'a Bump) -> Doc<'a> {
        match value {
            Value::Null => Doc::Null,
            Value::Bool(b) => Doc::Bool(*b),
            Value::Number(n) => Doc::Num(Num::of(n)),
            Value::String(s) => Doc::Str(s),
            Value::Array(items) => {
                Doc::Arr(arena.alloc_slice_fill_iter(items.iter().map(|v| Doc::of_value(v, arena))))
            }
            Value::Object(map) => {
                let entries = arena.alloc_slice_fill_iter(
                    map.iter()
                        .map(|(k, v)| (k.as_str(), Doc::of_value(v, arena))),
                );
                // serde_json's map is sorted unless a crate turns on `preserve_order`.
                if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
                    entries.sort_by(|a, b| a.0.cmp(b.0));
                }
                Doc::Obj(Obj::sorted(entries))
            }
        }
    }
}

/// An arena kept by a thread whose arena grew no larger than this is kept for
/// its next document; a larger one is freed.
const KEEP_ARENA: usize = 8 << 20;

thread_local! {
    static ARENA: std::cell::Cell<Option<Bump>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with an empty arena: the thread's own when it is free (its memory
/// reused: a fresh arena per document spent a tenth of the normalizer's time in
/// page faults), else a new one.
pub(super) fn with_arena<R>(f: impl FnOnce(&Bump) -> R) -> R {
    let mut arena = ARENA.take().unwrap_or_default();
    let out = f(&arena);
    arena.reset();
    if arena.allocated_bytes() <= KEEP_ARENA {
        ARENA.set(Some(arena));
    }
    out
}

/// serde_json's array index rule for pointers: digits, no `+`, no leading zero.
fn index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

/// Where [`Doc::write`] writes: the canonical hash, or a string.
pub(super) trait Out {
    fn put(&mut self, bytes: &[u8]);

    fn byte(&mut self, b: u8) {
        self.put(&[b]);
    }

    /// `bytes` between double quotes.
    fn quoted(&mut self, bytes: &[u8]) {
        self.byte(b'"');
        self.put(bytes);
        self.byte(b'"');
    }
}

impl Out for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn byte(&mut self, b: u8) {
        self.push(b);
    }
}

struct Writer<'o, O>(&'o mut O);

impl<O: Out> std::io::Write for Writer<'_, O> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.put(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A string as serde_json writes it: `"` and `\` and control characters
/// escaped, everything else as is. Most strings need no escape (found eight
/// bytes at a time) and are written in one piece.
fn write_str(out: &mut impl Out, s: &str) {
    let bytes = s.as_bytes();
    if !any_escape(bytes) {
        out.quoted(bytes);
        return;
    }
    out.byte(b'"');
    let mut start = 0;
    for (at, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.put(&bytes[start..at]);
        escape(out, b);
        start = at + 1;
    }
    out.put(&bytes[start..]);
    out.byte(b'"');
}

fn any_escape(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        match <[u8; 8]>::try_from(word) {
            Ok(w) if !needs_escape(u64::from_le_bytes(w)) => {}
            _ => return true,
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// One byte that JSON strings escape, as serde_json escapes it.
fn escape(out: &mut impl Out, b: u8) {
    let short = match b {
        b'"' => Some(b'"'),
        b'\\' => Some(b'\\'),
        0x08 => Some(b'b'),
        0x0C => Some(b'f'),
        b'\n' => Some(b'n'),
        b'\r' => Some(b'r'),
        b'\t' => Some(b't'),
        _ => None,
    };
    match short {
        Some(c) => out.put(&[b'\\', c]),
        None => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.put(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xF)],
            ]);
        }
    }
}

/// Whether any of the eight bytes is `"`, `\` or a control character (the
/// word-at-a-time tests of "Bit Twiddling Hacks": a byte below n, a byte equal
/// to n).
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    let quote = quote.wrapping_sub(ONES) & !quote & HIGH;
    let backslash = backslash.wrapping_sub(ONES) & !backslash & HIGH;
    below_space | quote | backslash != 0
}

/// Compact JSON, as `serde_json::Value`'s `Display` writes it.
impl fmt::Display for Doc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        self.write(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_of<R>(json: &str, f: impl FnOnce(&Doc<'_>) -> R) -> R {
        let value: Value = serde_json::from_str(json).expect("json");
        let arena = Bump::new();
        f(&Doc::of_value(&value, &arena))
    }

    #[test]
    fn numbers_read_as_serde_json_reads_them() {
        for text in [
            "0",
            "-0",
            "7",
            "-7",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "9999999999999999999",
            "-9999999999999999999",
            "1.5",
            "-0.0",
            "1e3",
            "1E-3",
            "37.7700405105",
            "0.1000000000000000055511151231257827",
            "123456789012345678901234567890",
            "2.2250738585072011e-308",
            "1e308",
        ] {
            let reference: serde_json::Number = serde_json::from_str(text).expect(text);
            assert_eq!(Num::parse(text), Some(Num::of(&reference)), "{text}");
            assert_eq!(Num::of(&reference).json(), reference, "{text}");
        }
        for refused in ["01", "-", "1.", ".5", "1e", "1e400", "NaN", "+1", "-01"] {
            assert_eq!(Num::parse(refused), None, "{refused}");
        }
    }

    /// The word-at-a-time scan finds what needs escaping wherever it is.
    #[test]
    fn strings_are_escaped_at_any_position() {
        for special in [
            '"', '\\', '\u{0}', '\u{1f}', '\n', '\u{7f}', 'é', '\u{2028}',
        ] {
            for len in 0..20 {
                for at in 0..=len {
                    let mut text: String = "abcdefghijklmnopqrstuvwxyz"[..len].to_owned();
                    text.insert(at, special);
                    let mut out = Vec::new();
                    write_str(&mut out, &text);
                    assert_eq!(out, serde_json::to_vec(&text).expect("write"), "{text:?}");
                }
            }
        }
        for w in [*b"abcdefgh", *b"~~~~~~~~", [0xe9; 8], *b" !#$%&'("] {
            assert!(!needs_escape(u64::from_le_bytes(w)), "{w:?}");
        }
        for w in [
            *b"abcdefg\"",
            *b"\\bcdefgh",
            *b"abc\x1fefgh",
            *b"\x00\x00\x00\x00\x00\x00\x00\x00",
        ] {
            assert!(needs_escape(u64::from_le_bytes(w)), "{w:?}");
        }
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let mut all: String = (0u8..0x80).map(char::from).collect();
        all.push_str("é\u{2028}𝄞\"\\/");
        let text = serde_json::json!({
            "z": [1, -2, 2.5, -0.0, 1e300, true, false, null, {}, []],
            "a": {"y": all, "": "", "b": {"\u{7f}\u{1f}": 18446744073709551615u64}},
        })
        .to_string();
        let reference: Value = serde_json::from_str(&text).expect("json");
        doc_of(&text, |d| {
            let mut out = Vec::new();
            d.write(&mut out);
            assert_eq!(out, serde_json::to_vec(&reference).expect("write"));
            assert_eq!(d.to_string(), reference.to_string());
        });
    }

    #[test]
    fn reads_like_a_value() {
        let text = r#"{"b": [10, {"a~b": 1, "c/d": 2}], "a": "x", "n": -3, "f": 2.0}"#;
        let value: Value = serde_json::from_str(text).expect("json");
        doc_of(text, |d| {
            for p in [
                "",
                "/a",
                "/b",
                "/b/0",
                "/b/1/a~0b",
                "/b/1/c~1d",
                "/b/01",
                "/b/2",
                "/x",
                "/n",
            ] {
                assert_eq!(
                    d.pointer(p).map(ToString::to_string),
                    value.pointer(p).map(ToString::to_string),
                    "{p}"
                );
            }
            assert_eq!(d.get("n").and_then(Doc::as_u64), value["n"].as_u64());
            assert_eq!(d.get("n").and_then(Doc::as_f64), value["n"].as_f64());
            assert_eq!(d.get("f").and_then(Doc::as_u64), value["f"].as_u64());
            assert_eq!(d.get("f").and_then(Doc::as_f64), value["f"].as_f64());
            let keys: Vec<&str> = d.as_object().expect("object").keys().collect();
            assert_eq!(
                keys,
                value
                    .as_object()
                    .expect("object")
                    .keys()
                    .collect::<Vec<_>>()
            );
        });
    }

    #[test]
    fn large_objects_are_searched_by_key() {
        let text = serde_json::to_string(
            &(0..100)
                .map(|i| (format!("k{i}"), Value::from(i)))
                .collect::<serde_json::Map<_, _>>(),
        )
        .expect("json");
        doc_of(&text, |d| {
            for i in 0..100 {
                assert_eq!(d.get(&format!("k{i}")).and_then(Doc::as_u64), Some(i));
            }
            assert!(d.get("k100").is_none());
            assert!(d.get("").is_none());
        });
    }
}
