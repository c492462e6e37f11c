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
        // Serializing a scalar into a hasher cannot fail.
        scalar => {
            let _ = serde_json::to_writer(&mut *w, scalar);
        }
    }
}

fn write_entry(w: &mut HashWriter, i: usize, k: &str, v: &Value) {
    if i > 0 {
        w.put(b",");
    }
    let _ = serde_json::to_writer(&mut *w, k);
    w.put(b":");
    write_json(w, v);
}
