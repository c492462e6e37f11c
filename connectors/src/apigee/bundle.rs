//! A proxy bundle (the zip `?format=bundle` answers), read in memory with bounds:
//! a bundle is the platform's data but its contents are a proxy author's, so a zip
//! bomb, a hostile entry name or a huge entry count fails that one proxy with a
//! reason instead of exhausting the daemon.
//!
//! Only what the document needs is unpacked: the proxy descriptor
//! (`apiproxy/<name>.xml`), the ProxyEndpoints (`apiproxy/proxies/*.xml`) and
//! OpenAPI files in `apiproxy/resources/oas/`. Policies, JavaScript and JARs are
//! never decompressed, but their declared sizes count against the bound.

use std::collections::BTreeMap;
use std::io::Read;

/// More entries than this is not a proxy bundle (real ones have tens to hundreds).
pub const MAX_ENTRIES: usize = 10_000;
/// The whole bundle may declare at most this much uncompressed content.
pub const MAX_DECLARED_BYTES: u64 = 512 * 1024 * 1024;

/// The files of a bundle the connector reads, by path below `apiproxy/`
/// (`proxies/default.xml`, `resources/oas/openapi.yaml`, `petstore.xml`).
#[derive(Debug, Default)]
pub struct Bundle {
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// Files whose path below `apiproxy/` starts with `prefix`, in name order.
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a [u8])> {
        self.files
            .iter()
            .filter(move |(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// Why a bundle was refused (the message names the entry or the bound).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BundleError(String);

fn wanted(path: &str) -> bool {
    let depth = path.matches('/').count();
    (depth == 0 && path.ends_with(".xml"))
        || (path.starts_with("proxies/") && depth == 1 && path.ends_with(".xml"))
        || (path.starts_with("resources/oas/") && depth == 2)
}

/// Unpacks the files the connector needs from `zip`, reading at most
/// `max_bytes` of uncompressed content.
pub fn read(zip: &[u8], max_bytes: u64) -> Result<Bundle, BundleError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip))
        .map_err(|e| BundleError(format!("the bundle is not a zip archive ({e})")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(BundleError(format!(
            "the bundle has {} entries, over the limit of {MAX_ENTRIES}",
            archive.len()
        )));
    }
    let mut declared: u64 = 0;
    let mut picks = Vec::new();
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| BundleError(format!("bundle entry {i} cannot be read ({e})")))?;
        let raw = entry
            .name()
            .map_err(|e| BundleError(format!("bundle entry {i} has an unreadable name ({e})")))?
            .into_owned();
        if entry.enclosed_name().is_none() || raw.contains('\\') {
            return Err(BundleError(format!(
                "bundle entry `{}` points outside the bundle",
                raw.chars().take(200).collect::<String>()
            )));
        }
        declared = declared.saturating_add(entry.size());
        if declared > MAX_DECLARED_BYTES {
            return Err(BundleError(format!(
                "the bundle unpacks to more than {} MiB",
                MAX_DECLARED_BYTES / (1024 * 1024)
            )));
        }
        if entry.is_dir() {
            continue;
        }
        // Bundles are rooted at `apiproxy/`; some tools add a folder above it.
        let below = match raw.find("apiproxy/") {
            Some(at) if at == 0 || raw[..at].ends_with('/') => &raw[at + "apiproxy/".len()..],
            _ => continue,
        };
        if wanted(below) {
            picks.push((i, below.to_owned()));
        }
    }
    let mut budget = max_bytes;
    let mut bundle = Bundle::default();
    for (i, path) in picks {
        let entry = archive
            .by_index(i)
            .map_err(|e| BundleError(format!("bundle entry `{path}` cannot be read ({e})")))?;
        // The declared size can lie: read one byte past the budget to know.
        let mut bytes = Vec::new();
        entry
            .take(budget.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| BundleError(format!("bundle entry `{path}` is corrupt ({e})")))?;
        if bytes.len() as u64 > budget {
            return Err(BundleError(format!(
                "bundle entry `{path}` unpacks past the limit of {max_bytes} bytes"
            )));
        }
        budget -= bytes.len() as u64;
        bundle.files.insert(path, bytes);
    }
    Ok(bundle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            w.start_file(*name, opts).expect("entry");
            w.write_all(bytes).expect("write");
        }
        w.finish().expect("finish").into_inner()
    }

    #[test]
    fn only_the_files_a_document_needs_are_unpacked() {
        let z = zip_of(&[
            ("apiproxy/pets.xml", b"<APIProxy/>"),
            ("apiproxy/proxies/default.xml", b"<ProxyEndpoint/>"),
            ("apiproxy/policies/quota.xml", b"<Quota/>"),
            ("apiproxy/resources/oas/pets.yaml", b"openapi: 3.0.0"),
            ("apiproxy/resources/jsc/x.js", b"var x"),
        ]);
        let b = read(&z, 1 << 20).expect("bundle");
        let names: Vec<&String> = b.files.keys().collect();
        assert_eq!(
            names,
            ["pets.xml", "proxies/default.xml", "resources/oas/pets.yaml"]
        );
    }

    #[test]
    fn hostile_bundles_are_refused_with_a_reason() {
        let escape = zip_of(&[("apiproxy/../../etc/passwd", b"x")]);
        let err = read(&escape, 1 << 20).expect_err("escape");
        assert!(err.to_string().contains("points outside"), "{err}");

        let bomb = zip_of(&[("apiproxy/proxies/default.xml", &vec![b' '; 4 << 20])]);
        assert!(
            bomb.len() < 64 * 1024,
            "the bomb compresses: {}",
            bomb.len()
        );
        let err = read(&bomb, 1 << 20).expect_err("bomb");
        assert!(err.to_string().contains("past the limit"), "{err}");

        let err = read(b"not a zip", 1 << 20).expect_err("not a zip");
        assert!(err.to_string().contains("not a zip"), "{err}");
    }
}
