#!/usr/bin/env bash
# `make bench-shaken`: verified INVITEs per second (warm certificate cache: parse, checks, chain,
# ECDSA P-256) side by side with OpenSSL's raw ECDSA P-256 verify rate, in the same run.
# Usage: bench/shaken_bench.sh BUILD_DIR [seconds]
set -euo pipefail
BUILD=${1:-build/release}
SECS=${2:-5}
SRC=$(cd "$(dirname "$0")/.." && pwd)
echo "== machine: $(nproc) cores, $(openssl version)"
echo "== openssl speed -seconds $SECS ecdsap256"
raw=$(openssl speed -seconds "$SECS" ecdsap256 2>/dev/null | awk '/256 bits ecdsa \(nistp256\)/ {print $NF}')
echo "   raw verify/s: $raw"
echo "== callguard: parse INVITE + verify (warm cache), ${SECS}s"
res=$("$BUILD/bench/shaken_bench" "$SRC" "$SECS")
echo "   $res"
ours=$(sed -n 's/.*"per_second":\([0-9.]*\).*/\1/p' <<<"$res")
awk -v a="$ours" -v b="$raw" 'BEGIN { printf "   ratio callguard / openssl raw verify: %.2f (target at least 0.80)\n", a / b }'
