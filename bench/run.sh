#!/usr/bin/env bash
# `make bench`: callguard's throughput and memory, with SQLite side by side, in one run.
#
#  1. generates a call file (default 10 million calls over 5 million subscriber numbers);
#  2. scores it end to end (CSV in, verdict JSON Lines out, all four detectors) RUNS times with
#     the defaults, with the per-number tables sized for the network and with the shipped
#     config/callguard.yaml, alternately, and reports the median throughputs and the bytes per
#     tracked number;
#  3. applies the same per-number counter updates through callguard's profile table and through
#     SQLite (in memory, prepared UPSERT) on the first PEER_CALLS calls, PEER_ROUNDS rounds per
#     side, and reports the medians and their ratio (and the first round's);
#  4. runs the micro-benchmarks;
#  5. measures what new memory costs this machine (first touch, again, again after 5 s idle).
# Usage: bench/run.sh BUILD_DIR   (environment: CALLS, NUMBERS, RUNS, PEER_CALLS, PEER_ROUNDS)
set -euo pipefail
BUILD=${1:-build/release}
CALLS=${CALLS:-10000000}
NUMBERS=${NUMBERS:-5000000}
RUNS=${RUNS:-3}
PEER_CALLS=${PEER_CALLS:-2000000}
PEER_ROUNDS=${PEER_ROUNDS:-3}
DATA=$BUILD/bench-data
mkdir -p "$DATA"
F=$DATA/calls-$CALLS-$NUMBERS.csv
json() { grep -o "\"$2\":[0-9.e+-]*" "$1" | head -1 | cut -d: -f2; }

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -r)"
if [ ! -s "$F" ]; then
  echo "== generating $CALLS calls over $NUMBERS numbers"
  "$BUILD/bench/gen_calls" --calls "$CALLS" --numbers "$NUMBERS" --seed 1 --out "$F.tmp"
  mv "$F.tmp" "$F"
fi
echo "== input: $F ($(du -h "$F" | cut -f1))"

# Two configurations, run alternately so that both see the same machine: the built-in defaults
# (the profile table starts small and grows through the run), and the same with the table sized
# for the network (`engine.expected_numbers`, what an operator sets to its subscriber count;
# `score --subscribers` does it by itself).
# The third, the shipped configuration, adds what an operator starts from: the identity lists
# and the thresholds detector's rule file, whose catch-all rule keeps counters for every caller.
SHIPPED=$(cd "$(dirname "$0")/.." && pwd)/config/callguard.yaml
SIZED=$DATA/sized.yaml
printf 'version: 1\nengine:\n  expected_numbers: %s\n' "$NUMBERS" > "$SIZED"
echo "== end to end: callguard score, all four detectors, $RUNS runs of each configuration"
rates_default=()
rates_sized=()
rates_shipped=()
for r in $(seq 1 "$RUNS"); do
  for cfg in default sized shipped; do
    args=()
    [ "$cfg" = sized ] && args=(--config "$SIZED")
    [ "$cfg" = shipped ] && args=(--config "$SHIPPED")
    "$BUILD/callguard" score --in "$F" "${args[@]}" --out "$DATA/verdicts.jsonl" \
      --summary-json "$DATA/summary-$cfg-$r.json" --quiet
    secs=$(json "$DATA/summary-$cfg-$r.json" seconds)
    calls=$(json "$DATA/summary-$cfg-$r.json" calls)
    rate=$(awk -v c="$calls" -v s="$secs" 'BEGIN {printf "%.0f", c / s}')
    case $cfg in
      default) rates_default+=("$rate") ;;
      sized) rates_sized+=("$rate") ;;
      shipped) rates_shipped+=("$rate") ;;
    esac
    echo "   run $r, $cfg: $calls calls in $secs s = $rate calls/s"
  done
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
for cfg in default sized shipped; do
  S=$DATA/summary-$cfg-1.json
  numbers=$(json "$S" numbers)
  pbytes=$(json "$S" profile_bytes)
  tbytes=$(json "$S" threshold_bytes)
  kbytes=$(json "$S" kept_for_reuse_bytes)
  case $cfg in
    default) m=$(median "${rates_default[@]}") ;;
    sized) m=$(median "${rates_sized[@]}") ;;
    shipped) m=$(median "${rates_shipped[@]}") ;;
  esac
  echo "   $cfg: median $m calls/s; $numbers numbers tracked, $(awk -v b="$pbytes" -v n="$numbers" 'BEGIN {printf "%.1f", b / n}') bytes per number (profile table at its real load), $(awk -v b="$pbytes" -v t="${tbytes:-0}" -v n="$numbers" 'BEGIN {printf "%.1f", (b + t) / n}') with the threshold counters; $(awk -v k="${kbytes:-0}" 'BEGIN {printf "%.0f", k / 1048576}') MiB of freed segments kept for reuse"
done
rm -f "$DATA/verdicts.jsonl" "$DATA/verdicts.jsonl.rejects"

echo "== per-number state updates: callguard profile table vs SQLite (in-memory, prepared UPSERT), first $PEER_CALLS calls, cold then warm, $PEER_ROUNDS rounds each"
"$BUILD/bench/state_bench" "$F" "$PEER_CALLS" "$PEER_ROUNDS" | tee "$DATA/state_bench.json"

echo "== micro-benchmarks"
"$BUILD/bench/callguard_bench" --benchmark_min_time=0.3 2>/dev/null

# Last, so that the memory it touches does not serve the measurements above.
echo "== the machine: populating 1 GiB of new memory, then the same pages again, then memset, then again after 5 s idle"
"$BUILD/bench/first_touch" 1024 3 5
