#!/usr/bin/env bash
# Builds the SIP parser fuzz target with clang's libFuzzer (+ASan/UBSan) and runs it for a
# bounded time (default 30 s) from a corpus seeded with the 49 RFC 4475 messages.
# Usage: run.sh SOURCE_DIR [seconds]. Exit 1 when the fuzzer finds a crash, leak or hang.
set -euo pipefail
SRC=$(realpath "$1")
SECS=${2:-30}
CXX=${FUZZ_CXX:-clang++}
command -v "$CXX" >/dev/null || { echo "FAIL $CXX not installed (make deps)"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$CXX" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$SRC/src" -I"$SRC/include" "$SRC/tests/fuzz/sip_parser_fuzz.cc" "$SRC/src/sip/message.cc" \
  "$SRC/src/sip/uri.cc" -o "$T/sip_parser_fuzz"
mkdir -p "$T/corpus"
cp "$SRC"/tests/data/rfc4475/*.dat "$T/corpus/"
cp "$SRC"/tests/fuzz/seeds/* "$T/corpus/" 2>/dev/null || true
cd "$T"
./sip_parser_fuzz -max_total_time="$SECS" -timeout=5 -rss_limit_mb=2048 -max_len=70000 \
  -print_final_stats=1 corpus 2>&1 | tail -15
