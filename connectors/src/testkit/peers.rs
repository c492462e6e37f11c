//! Peer tools of the tests (moto, deck, Prism, schemathesis, ...), installed by
//! `tests/run.sh` into `target/test-deps`. A test asks for one by the environment
//! variable `tests/run.sh` exports and its path under the test-deps folder; when it
//! is missing the test is skipped, except under `CI=true`, where it fails.

use std::path::PathBuf;

/// The tool at `$var`, else at `<test-deps>/<relative>`; `None` (skip) when absent
/// and not in CI.
pub fn peer(var: &str, relative: &str) -> Option<PathBuf> {
    let found = std::env::var_os(var)
        .map(PathBuf::from)
        .or_else(|| Some(test_deps().join(relative)))
        .filter(|p| p.exists());
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "CI=true but {relative} is missing (${var}): tests/run.sh installs it into target/test-deps"
        );
        eprintln!("skipping: {relative} is not installed (run tests/run.sh)");
    }
    found
}

/// Where `tests/run.sh` installs test dependencies.
pub fn test_deps() -> PathBuf {
    std::env::var_os("APIHUB_TEST_DEPS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // The workspace root is the connectors crate's parent.
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .map(|p| p.join("target/test-deps"))
                .unwrap_or_default()
        })
}
