//! The fuzz target's seed corpus (`connectors/fuzz/seeds/normalize`), run through
//! the same entry point as the fuzzer, so every build checks the invariants the
//! fuzzer asserts: a result keeps the original bytes and a 64-hex-digit hash, an
//! error has a message, and each seed of a fixture normalizes like the fixture.

use std::path::Path;

use apihub_connectors::DefinitionFormat;
use apihub_connectors::normalize::{Hints, Limits, normalize};

#[test]
fn seed_corpus_keeps_the_fuzz_invariants() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/normalize");
    let limits = Limits {
        max_input_bytes: 1 << 20,
        max_depth: 64,
        max_expansion: 10,
    };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("seed dir") {
        let path = entry.expect("entry").path();
        let data = std::fs::read(&path).expect("seed");
        let Some((&selector, doc)) = data.split_first() else {
            continue;
        };
        let declared = DefinitionFormat::ALL
            .get(usize::from(selector) % 16)
            .copied();
        let hints = Hints {
            declared,
            ..Hints::default()
        };
        match normalize(doc.to_vec(), &hints, &limits) {
            Ok(n) => {
                assert_eq!(n.hash.len(), 64, "{}", path.display());
                assert_eq!(n.original, doc, "{}", path.display());
                let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/normalize")
                    .join(path.file_name().expect("name"));
                if let Ok(bytes) = std::fs::read(&fixture) {
                    let plain = normalize(bytes, &Hints::default(), &limits).expect("fixture");
                    assert_eq!(
                        (&plain.hash, plain.operations_count()),
                        (&n.hash, n.operations_count())
                    );
                }
            }
            Err(e) => assert!(!e.to_string().is_empty(), "{}", path.display()),
        }
        seen += 1;
    }
    assert!(seen >= 15, "only {seen} seeds");
}
