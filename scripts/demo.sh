#!/usr/bin/env bash
# `make demo`: scores a synthetic day of calls and shows what callguard found and why.
set -euo pipefail
BIN=${1:-build/release/callguard}
BUILD=$(dirname "$BIN")
OUT=$BUILD/demo
mkdir -p "$OUT"
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

say "1. A day of calls: 300,000 calls among 100,000 subscribers, with overseas scam callers"
echo "   spoofing domestic numbers, a robocaller dialling in sequence, and busy couriers."
"$BUILD/bench/gen_calls" --calls 300000 --numbers 100000 --seed 7 --out "$OUT/calls.csv"
head -4 "$OUT/calls.csv" | sed 's/^/   /'

say "2. Score every call, in order, each judged only on the calls before it:"
echo "   $BIN score --in $OUT/calls.csv --config config/callguard.yaml --out $OUT/verdicts.jsonl"
"$BIN" score --in "$OUT/calls.csv" --config config/callguard.yaml --out "$OUT/verdicts.jsonl" \
  --summary-json "$OUT/summary.json" 2>&1 | sed 's/^/   /'

say "3. One verdict per call, with the reasons (the label column is ground truth, never read):"
for action in block warn label; do
  line=$(grep -m1 "\"action\":\"$action\"" "$OUT/verdicts.jsonl" || true)
  [ -n "$line" ] && echo "   $line" | cut -c1-400
done
grep -m1 '"action":"allow","reasons":\[\]' "$OUT/verdicts.jsonl" | sed 's/^/   /'

say "4. How the actions line up with the generator's ground truth:"
paste -d' ' <(tail -n +2 "$OUT/calls.csv" | awk -F, '{print $NF}') \
  <(grep -o '"action":"[a-z]*"' "$OUT/verdicts.jsonl" | cut -d'"' -f4) |
  awk '{n[$1" "$2]++; t[$1]++} END {
    for (l in t) { printf "   %-6s", l; split("allow label warn block", a, " ");
      for (i = 1; i <= 4; i++) printf "  %s %6.2f%%", a[i], 100 * n[l" "a[i]] / t[l]; print "" } }' | sort
echo
echo "   Detection quality is measured properly by the evaluation tool on the simulator's"
echo "   scenarios (issue 3); this generator only exercises the detectors."
echo "   Files: $OUT/verdicts.jsonl, $OUT/summary.json"
