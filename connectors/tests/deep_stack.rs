//! The deepest documents the limits allow are normalized on a thread with a 2 MiB
//! stack (tokio's blocking threads, where the daemon runs the normalizer) without
//! running out of stack, in debug builds too.

use apihub_connectors::normalize::{Hints, Limits, normalize};

fn nested_schema(depth: usize) -> String {
    let mut schema = String::from("{\"type\": \"string\"}");
    for _ in 0..depth {
        schema = format!("{{\"type\": \"object\", \"properties\": {{\"a\": {schema}}}}}");
    }
    format!(
        "{{\"openapi\": \"3.0.0\", \"info\": {{\"title\": \"deep\", \"version\": \"1\"}}, \"paths\": {{\"/x\": {{\"get\": {{\"responses\": {{\"200\": {{\"description\": \"ok\", \"content\": {{\"application/json\": {{\"schema\": {schema}}}}}}}}}}}}}}}}}"
    )
}

#[test]
fn the_deepest_allowed_documents_fit_a_2_mib_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let limits = Limits::default();
            // Each schema level is two JSON levels; stay just under the limit.
            let doc = nested_schema((limits.max_depth - 12) / 2);
            let n =
                normalize(doc.into_bytes(), &Hints::default(), &limits).expect("deep but allowed");
            assert_eq!(n.operations_count(), 1);
            assert!(n.valid(), "{:?}", n.diagnostics);
            let yaml = format!(
                "openapi: 3.0.0\ninfo: {{title: t, version: '1'}}\npaths: {{}}\nx-deep: {}1{}\n",
                "[".repeat(120),
                "]".repeat(120)
            );
            let y = normalize(yaml.into_bytes(), &Hints::default(), &limits).expect("deep yaml");
            assert!(y.is_empty());
        })
        .expect("thread");
    handle.join().expect("no stack overflow");
}
