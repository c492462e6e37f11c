//! Real multi-file RAML projects, zipped the way Exchange packages them (the
//! project's files with an `exchange.json` whose `main` names the root), read by the
//! normalizer as one definition: the operation count must equal what MuleSoft's own
//! parser (npm `raml-1-parser`, includes, libraries and resource types expanded)
//! finds in the same project on disk. The projects: the test data of PyPI
//! `ramlfications` 0.3.0 (`raml_08`, `raml_10`) and `raml-1-parser`'s own XKCD API.

use std::path::{Path, PathBuf};

use apihub_connectors::normalize::{Hints, Limits, normalize};
use apihub_connectors::testkit::peers::peer;
use serde_json::Value;

/// Every file under `dir`, by its path relative to `dir`.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.push((
                    rel.to_string_lossy().replace('\\', "/"),
                    std::fs::read(&p).expect("file"),
                ));
            }
        }
    }
    out.sort();
    out
}

/// Roots of a folder: RAML API definitions (not fragments) that include or use
/// other files.
fn roots(dir: &Path) -> Vec<PathBuf> {
    files(dir)
        .into_iter()
        .filter(|(name, bytes)| {
            let text = String::from_utf8_lossy(bytes);
            let header = text.lines().next().unwrap_or_default().trim();
            name.ends_with(".raml")
                && (header == "#%RAML 0.8" || header == "#%RAML 1.0")
                && (text.contains("!include") || text.contains("\nuses:"))
        })
        .map(|(name, _)| dir.join(name))
        .collect()
}

#[test]
fn zipped_raml_projects_count_as_raml_1_parser_resolves_them() {
    let (Some(parser), Some(data)) = (
        peer("APIHUB_RAML_1_PARSER", "raml-1-parser/node_modules"),
        peer("APIHUB_RAMLFICATIONS", "ramlfications-0.3.0/tests/data"),
    ) else {
        return;
    };
    let xkcd = parser.join("raml-1-parser/test/raml-specs/XKCD");
    let folders = [data.join("raml_08"), data.join("raml_10"), xkcd];
    let mut projects: Vec<(PathBuf, PathBuf)> = Vec::new();
    for folder in &folders {
        for root in roots(folder) {
            projects.push((folder.clone(), root));
        }
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/exchange/raml_counts.js");
    let run = std::process::Command::new("node")
        .arg(&script)
        .args(projects.iter().map(|(_, r)| r))
        .env("NODE_PATH", &parser)
        .output()
        .expect("node runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let counted: Vec<Value> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(counted.len(), projects.len());
    let (mut compared, mut with_ops, mut mismatches) = (0, 0, Vec::new());
    for ((folder, root), c) in projects.iter().zip(&counted) {
        // Only projects MuleSoft's parser reads without errors are a reference.
        if c["errors"] != 0 {
            continue;
        }
        let want = c["ops"].as_u64().expect("ops") as usize;
        let main = root
            .strip_prefix(folder)
            .expect("inside")
            .to_string_lossy()
            .replace('\\', "/");
        let meta = format!("{{\"main\": \"{main}\", \"classifier\": \"raml\"}}");
        let mut entries: Vec<(String, Vec<u8>)> = files(folder);
        entries.push(("exchange.json".into(), meta.into_bytes()));
        let refs: Vec<(&str, &[u8])> = entries
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let zip = apihub_connectors::archive::zip_of(&refs);
        let got = match normalize(zip, &Hints::default(), &Limits::default()) {
            Ok(n) => n.operations_count(),
            Err(e) => panic!("{main}: {e}"),
        };
        compared += 1;
        if want > 0 {
            with_ops += 1;
        }
        if got != want {
            mismatches.push(format!("{main}: {got} vs raml-1-parser {want}"));
        }
    }
    eprintln!(
        "RAML projects: {compared} compared ({with_ops} with operations); mismatches: {mismatches:?}"
    );
    assert!(
        compared >= 6 && with_ops >= 4,
        "{compared} projects, {with_ops} with operations"
    );
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}
