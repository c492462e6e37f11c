#!/usr/bin/env bash
# The whole test suite, including its set-up: installs every test dependency that is
# missing (into target/test-deps, outside git) and runs every test of the workspace.
# Usage: tests/run.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
export APIHUB_TEST_DEPS="${APIHUB_TEST_DEPS:-$PWD/target/test-deps}"
mkdir -p "$APIHUB_TEST_DEPS"

cargo test --workspace --all-targets "$@"
