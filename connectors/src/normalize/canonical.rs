//! Canonical forms for the content hash: the same API serialized differently must
//! hash the same, and any change to what it says must not.

use std::io::Write;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Feeds bytes into SHA-256 through `io::Write`, buffered so that the many tiny
/// writes of a serializer become a few large hash updates.
pub struct HashWriter {
    hasher: Sha256,
    buf: Vec<u8>,
}

const BUF: usize = 64 * 1024;

impl HashWriter {
    pub fn new(domain: &str) -> Self {
        // A domain prefix keeps equal bytes of different formats apart.
        let mut hasher = Sha256::new();
        hasher.update(domain.as_bytes());
        hasher.update([0]);
        HashWriter {
            hasher,
            buf: Vec::with_capacity(BUF),
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        if self.buf.len() + bytes.len() > BUF {
            self.hasher.update(&self.buf);
            self.buf.clear();
        }
        if bytes.len() > BUF {
            self.hasher.update(bytes);
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    pub fn finish(mut self) -> [u8; 32] {
        self.hasher.update(&self.buf);
        self.hasher.finalize().into()
    }
}

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.put(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// SHA-256 of a JSON tree written with sorted keys and no whitespace. Keys are
/// sorted here when the map does not already iterate in order, so the hash stays
/// stable even if some crate turns on serde_json's `preserve_order`.
pub fn json_hash(domain: &str, value: &Value) -> [u8; 32] {
    let mut w = HashWriter::new(domain);
    write_json(&mut w, value);
    w.finish()
}

fn write_json(w: &mut HashWriter, v: &Value) {
    match v {
        Value::Object(map) => {
            w.put(b"{");
            let sorted = map.keys().zip(map.keys().skip(1)).all(|(a, b)| a <= b);
            if sorted {
                for (i, (k, child)) in map.iter().enumerate() {
                    write_entry(w, i, k, child);
                }
            } else {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                for (i, (k, child)) in entries.into_iter().enumerate() {
                    write_entry(w, i, k, child);
                }
            }
            w.put(b"}");
        }
        Value::Array(items) => {
            w.put(b"[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    w.put(b",");
                }
                write_json(w, item);
            }
            w.put(b"]");
        }
        Value::String(s) => write_str(w, s),
        // Serializing a number into a hasher cannot fail.
        scalar => {
            let _ = serde_json::to_writer(&mut *w, scalar);
        }
    }
}

fn write_entry(w: &mut HashWriter, i: usize, k: &str, v: &Value) {
    if i > 0 {
        w.put(b",");
    }
    write_str(w, k);
    w.put(b":");
    write_json(w, v);
}

/// A string as serde_json writes it (the form every stored hash was made from):
/// `"` and `\` and control characters escaped, everything else as is. Most
/// strings need no escape and go into the hash in one piece.
fn write_str(w: &mut HashWriter, s: &str) {
    w.put(b"\"");
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        w.put(&bytes[start..i]);
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
            Some(c) => w.put(&[b'\\', c]),
            None => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                w.put(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xF)],
                ]);
            }
        }
        start = i + 1;
    }
    w.put(&bytes[start..]);
    w.put(b"\"");
}

/// SHA-256 of an XML document: elements and attributes by namespace URI and local
/// name, attributes sorted, text trimmed; prefixes, comments, processing
/// instructions and whitespace between elements do not count.
pub fn xml_hash(domain: &str, doc: &roxmltree::Document<'_>) -> [u8; 32] {
    let mut w = HashWriter::new(domain);
    write_xml(&mut w, doc.root_element());
    w.finish()
}

fn write_xml(w: &mut HashWriter, node: roxmltree::Node<'_, '_>) {
    let name = node.tag_name();
    let _ = write!(w, "<{}|{}", name.namespace().unwrap_or(""), name.name());
    let mut attrs: Vec<(&str, &str, &str)> = node
        .attributes()
        .map(|a| (a.namespace().unwrap_or(""), a.name(), a.value()))
        .collect();
    attrs.sort_unstable();
    for (ns, n, v) in attrs {
        let _ = write!(w, " {ns}|{n}={v:?}");
    }
    w.put(b">");
    for child in node.children() {
        if child.is_element() {
            write_xml(w, child);
        } else if child.is_text() {
            let t = child.text().unwrap_or("").trim();
            if !t.is_empty() {
                let _ = write!(w, "{t:?}");
            }
        }
    }
    w.put(b"</>");
}

/// SHA-256 of a token stream (GraphQL, protobuf): tokens joined by one space.
pub fn tokens_hash<'a>(domain: &str, tokens: impl Iterator<Item = &'a str>) -> [u8; 32] {
    let mut w = HashWriter::new(domain);
    for t in tokens {
        w.put(t.as_bytes());
        w.put(b" ");
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_matter_but_values_do() {
        let a = json!({"a": 1, "b": {"c": [1, 2], "d": "x"}});
        let b = json!({"b": {"d": "x", "c": [1, 2]}, "a": 1});
        let c = json!({"b": {"d": "x", "c": [2, 1]}, "a": 1});
        assert_eq!(json_hash("t", &a), json_hash("t", &b));
        assert_ne!(json_hash("t", &a), json_hash("t", &c));
        assert_ne!(json_hash("t", &a), json_hash("u", &a));
    }

    #[test]
    fn strings_hash_as_serde_json_writes_them() {
        let mut all: String = (0u8..0x80).map(char::from).collect();
        all.push_str("é\u{2028}𝄞\"\\/");
        for s in [all.as_str(), "", "plain", "\u{7f}\u{1f}"] {
            let mut fast = HashWriter::new("t");
            write_str(&mut fast, s);
            let mut reference = HashWriter::new("t");
            serde_json::to_writer(&mut reference, s).expect("write");
            assert_eq!(fast.finish(), reference.finish(), "{s:?}");
        }
    }

    #[test]
    fn xml_prefixes_and_whitespace_do_not_matter() {
        let a =
            roxmltree::Document::parse(r#"<w:a xmlns:w="urn:x" k="1" j="2"><w:b>t</w:b></w:a>"#)
                .expect("xml");
        let b = roxmltree::Document::parse(
            "<!-- c --><a xmlns=\"urn:x\" j=\"2\" k=\"1\">\n  <b> t </b>\n</a>",
        )
        .expect("xml");
        let c = roxmltree::Document::parse(r#"<a xmlns="urn:x" j="2" k="1"><b>u</b></a>"#)
            .expect("xml");
        assert_eq!(xml_hash("x", &a), xml_hash("x", &b));
        assert_ne!(xml_hash("x", &a), xml_hash("x", &c));
    }
}
