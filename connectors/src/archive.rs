//! Zip archives from platforms and users (Apigee proxy bundles, Exchange spec
//! zips, uploaded multi-file definitions), read in memory with bounds. An archive's
//! contents are somebody else's, so a zip bomb, a hostile entry name or a huge entry
//! count fails that one archive with a reason instead of exhausting the daemon.
//!
//! Only the entries the caller wants are decompressed; every entry's declared size
//! counts against the bound, and what is unpacked is measured, not trusted.

use std::collections::BTreeMap;
use std::io::Read;

/// More entries than this is not an API definition or a proxy bundle.
pub const MAX_ENTRIES: usize = 10_000;
/// An archive may declare at most this much uncompressed content in all.
pub const MAX_DECLARED_BYTES: u64 = 512 * 1024 * 1024;

/// Why an archive was refused (the message names the entry or the bound).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ArchiveError(pub String);

/// Whether `bytes` look like a zip archive (a local file header).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Unpacks the files `wanted` chooses (it maps an entry's name to the key to keep
/// it under, or `None` to skip it), reading at most `max_bytes` uncompressed.
pub fn read(
    zip: &[u8],
    max_bytes: u64,
    wanted: impl Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, Vec<u8>>, ArchiveError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip))
        .map_err(|e| ArchiveError(format!("not a zip archive ({e})")))?;
    if archive.len() > MAX_ENTRIES {
        return Err(ArchiveError(format!(
            "the archive has {} entries, over the limit of {MAX_ENTRIES}",
            archive.len()
        )));
    }
    let mut declared: u64 = 0;
    let mut picks = Vec::new();
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| ArchiveError(format!("entry {i} cannot be read ({e})")))?;
        let raw = entry
            .name()
            .map_err(|e| ArchiveError(format!("entry {i} has an unreadable name ({e})")))?
            .into_owned();
        if entry.enclosed_name().is_none() || raw.contains('\\') {
            return Err(ArchiveError(format!(
                "entry `{}` points outside the archive",
                raw.chars().take(200).collect::<String>()
            )));
        }
        declared = declared.saturating_add(entry.size());
        if declared > MAX_DECLARED_BYTES {
            return Err(ArchiveError(format!(
                "the archive unpacks to more than {} MiB",
                MAX_DECLARED_BYTES / (1024 * 1024)
            )));
        }
        if entry.is_dir() {
            continue;
        }
        if let Some(key) = wanted(&raw) {
            picks.push((i, raw, key));
        }
    }
    let mut budget = max_bytes;
    let mut files = BTreeMap::new();
    for (i, raw, key) in picks {
        let entry = archive
            .by_index(i)
            .map_err(|e| ArchiveError(format!("entry `{raw}` cannot be read ({e})")))?;
        // The declared size can lie: read one byte past the budget to know.
        let mut bytes = Vec::new();
        entry
            .take(budget.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| ArchiveError(format!("entry `{raw}` is corrupt ({e})")))?;
        if bytes.len() as u64 > budget {
            return Err(ArchiveError(format!(
                "entry `{raw}` unpacks past the limit of {max_bytes} bytes"
            )));
        }
        budget -= bytes.len() as u64;
        files.insert(key, bytes);
    }
    Ok(files)
}

/// [`zip_of`] for text entries.
#[cfg(any(test, feature = "testkit"))]
pub fn zip_of_text(entries: &[(&str, &str)]) -> Vec<u8> {
    let bytes: Vec<(&str, &[u8])> = entries.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    zip_of(&bytes)
}

/// A zip of `entries` (names and contents), deflated: for tests.
#[cfg(any(test, feature = "testkit"))]
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        w.start_file(*name, opts).expect("entry");
        w.write_all(bytes).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(name: &str) -> Option<String> {
        Some(name.to_owned())
    }

    #[test]
    fn hostile_archives_are_refused_with_a_reason() {
        let escape = zip_of(&[("a/../../etc/passwd", b"x")]);
        let err = read(&escape, 1 << 20, all).expect_err("escape");
        assert!(err.to_string().contains("points outside"), "{err}");

        let bomb = zip_of(&[("big.xml", &vec![b' '; 4 << 20])]);
        assert!(
            bomb.len() < 64 * 1024,
            "the bomb compresses: {}",
            bomb.len()
        );
        let err = read(&bomb, 1 << 20, all).expect_err("bomb");
        assert!(err.to_string().contains("past the limit"), "{err}");
        // Not wanted: never decompressed, so no error.
        assert!(read(&bomb, 1 << 20, |_| None).expect("skipped").is_empty());

        let err = read(b"not a zip", 1 << 20, all).expect_err("not a zip");
        assert!(err.to_string().contains("not a zip"), "{err}");
        assert!(!is_zip(b"not a zip") && is_zip(&bomb));
    }
}
