//! Canonical forms for the content hash: the same API serialized differently must
//! hash the same, and any change to what it says must not.

use std::io::Write;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::doc::{Doc, Out, with_arena};

/// Feeds bytes into SHA-256, buffered so that the many tiny writes of a
/// serializer (a brace, a key, a comma) become a few large hash updates.
pub struct HashWriter {
    hasher: Sha256,
    buf: Box<[u8; BUF]>,
    len: usize,
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
            buf: Box::new([0; BUF]),
            len: 0,
        }
    }

    fn flush(&mut self) {
        self.hasher.update(&self.buf[..self.len]);
        self.len = 0;
    }

    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if bytes.len() > BUF - self.len {
            self.flush();
            if bytes.len() > BUF {
                self.hasher.update(bytes);
                return;
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    pub fn finish(mut self) -> [u8; 32] {
        self.flush();
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

impl Out for HashWriter {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        HashWriter::put(self, bytes);
    }

    #[inline]
    fn byte(&mut self, b: u8) {
        if self.len == BUF {
            self.flush();
        }
        self.buf[self.len] = b;
        self.len += 1;
    }

    #[inline]
    fn quoted(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len() + 2;
        if end > BUF {
            self.byte(b'"');
            self.put(bytes);
            self.byte(b'"');
            return;
        }
        self.buf[self.len] = b'"';
        self.buf[self.len + 1..end - 1].copy_from_slice(bytes);
        self.buf[end - 1] = b'"';
        self.len = end;
    }
}

/// SHA-256 of a JSON tree written with sorted keys and no whitespace (serde_json's
/// compact writing of the same `serde_json::Value`, which every stored hash was
/// made from).
pub fn json_hash(domain: &str, doc: &Doc<'_>) -> [u8; 32] {
    let mut w = HashWriter::new(domain);
    doc.write(&mut w);
    w.finish()
}

/// [`json_hash`] of a `serde_json::Value` (formats read into one: RAML, bundles).
pub fn value_hash(domain: &str, value: &Value) -> [u8; 32] {
    with_arena(|arena| json_hash(domain, &Doc::of_value(value, arena)))
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
        assert_eq!(value_hash("t", &a), value_hash("t", &b));
        assert_ne!(value_hash("t", &a), value_hash("t", &c));
        assert_ne!(value_hash("t", &a), value_hash("u", &a));
    }

    #[test]
    fn the_hash_is_of_serde_json_writing() {
        let v = json!({"b": [1, -2, 0.5, "é\n\"", null, true], "a": {"": {}}});
        let mut reference = HashWriter::new("t");
        serde_json::to_writer(&mut reference, &v).expect("write");
        assert_eq!(value_hash("t", &v), reference.finish());
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
