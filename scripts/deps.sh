#!/usr/bin/env bash
# Installs the Debian packages callguard needs. Idempotent: does nothing when all are present.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config
  libphonenumber-dev libyaml-cpp-dev nlohmann-json3-dev zlib1g-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang-format libjs-chart.js
  libcpp-httplib-dev libssl-dev libpq-dev libigraph-dev libabsl-dev
  # the dashboard's front-end packages (npm) and its browser tests; the store's PostgreSQL tests
  chromium postgresql
  # benchmarks: HTTP load generator
  wrk
  # integration tests: real SIP peers, HTTP client, the libFuzzer toolchain
  sip-tester kamailio kamailio-utils-modules kamailio-json-modules kamailio-secsipid-modules
  curl python3 openssl
  clang libclang-rt-14-dev
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm: a machine may already have them from elsewhere (NodeSource's nodejs bundles
# npm, and Debian's npm would conflict with it), so install Debian's only when npm is absent.
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
