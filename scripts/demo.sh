#!/usr/bin/env bash
# `make demo`: simulates a city's day of calls with scam operations in it, scores every call,
# and measures what was caught and what it cost legitimate callers.
set -euo pipefail
BIN=${1:-build/release/callguard}
OUT=$(dirname "$BIN")/demo
mkdir -p "$OUT"
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

say "1. Simulate a day in a city (scenarios/default.yaml): 100,000 subscribers, couriers, hospitals,"
echo "   banks, schools, telemarketers, and five scam operations (overseas call centres, a SIM-box"
echo "   relay, Wangiri one-ring calls, a robocaller)."
"$BIN" simulate --scenario scenarios/default.yaml --seed 2026 --out "$OUT" 2>&1 | sed 's/^/   /'

say "2. Score every call in order, each judged only on the calls before it:"
echo "   $BIN score --in $OUT/calls.csv --subscribers $OUT/subscribers.csv --config config/callguard.yaml"
"$BIN" score --in "$OUT/calls.csv" --subscribers "$OUT/subscribers.csv" \
  --config config/callguard.yaml --out "$OUT/verdicts.jsonl" 2>&1 | sed 's/^/   /'
# The baseline: threshold rules only, as an OpenSIPS fraud_detection deployment runs them.
"$BIN" score --in "$OUT/calls.csv" --config config/baseline-thresholds.yaml \
  --out "$OUT/baseline.jsonl" --quiet

say "3. One verdict per call, with the reasons:"
for action in block warn label; do
  line=$(grep -m1 "\"action\":\"$action\"" "$OUT/verdicts.jsonl" || true)
  [ -n "$line" ] && echo "   ${line:0:300}..."
done

say "4. What was caught, the slowest catches, and what it cost legitimate callers (callguard eval):"
"$BIN" eval --calls "$OUT/calls.csv" --verdicts "$OUT/verdicts.jsonl" --truth "$OUT/truth.json" \
  --baseline "$OUT/baseline.jsonl" --json "$OUT/report.json" --html "$OUT/report.html" |
  sed 's/^/   /'
echo
echo "   'baseline' is threshold rules alone on the same calls."
echo "   Charts (actions over time, scores, reasons, time to detect): $OUT/report.html"
echo "   Files: $OUT/ (calls.csv, truth.json, verdicts.jsonl, report.json)"
