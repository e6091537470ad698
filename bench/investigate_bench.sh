#!/usr/bin/env bash
# `investigate ops` at scale: simulate bench/data/investigate-10m.yaml (about 10 million calls,
# about 100,000 candidate numbers), score it, group it, and report wall time, peak memory and the
# grouping's quality. Target (issue 7): within 10 minutes and 4 GiB on the 2-core CI machine.
# usage: investigate_bench.sh BUILD_DIR [WORK_DIR]
set -eu
B=$1
W=${2:-$B/bench-data/investigate}
CG=$B/callguard
SRC=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$W"
if [ ! -s "$W/calls.csv" ]; then
  /usr/bin/time -f "simulate: %e s, %M KiB" "$CG" simulate --scenario "$SRC/bench/data/investigate-10m.yaml" \
    --seed 101 --out "$W" --quiet
fi
if [ ! -s "$W/verdicts.jsonl" ]; then
  /usr/bin/time -f "score: %e s, %M KiB" "$CG" score --in "$W/calls.csv" --subscribers "$W/subscribers.csv" \
    --out "$W/verdicts.jsonl" --quiet
fi
echo "calls: $(($(wc -l <"$W/calls.csv") - 1))"
/usr/bin/time -f "investigate ops: %e s wall, %M KiB peak" "$CG" investigate ops --calls "$W/calls.csv" \
  --verdicts "$W/verdicts.jsonl" --out "$W/ops" --truth "$W/truth.json" 2>&1 |
  grep -v '^op-' | grep -E 'candidate|investigate ops|B-cubed|legitimate|operations:|read'
