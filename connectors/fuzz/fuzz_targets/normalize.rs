//! Fuzz target over the normalizer's entry point (detection + every format).
//! The first byte picks the declared format (or none), the rest is the document.
#![no_main]

use apihub_connectors::DefinitionFormat;
use apihub_connectors::normalize::{Hints, Limits, normalize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, doc)) = data.split_first() else {
        return;
    };
    let declared = DefinitionFormat::ALL
        .get(usize::from(selector) % 16)
        .copied();
    let hints = Hints {
        declared,
        ..Hints::default()
    };
    // Small limits keep each run fast; the bounds themselves are under test too.
    let limits = Limits {
        max_input_bytes: 1 << 20,
        max_depth: 64,
        max_expansion: 10,
    };
    if let Ok(n) = normalize(doc.to_vec(), &hints, &limits) {
        assert_eq!(n.hash.len(), 64);
        assert_eq!(n.original, doc);
    }
});
