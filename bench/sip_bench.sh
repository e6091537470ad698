#!/usr/bin/env bash
# `make bench-sip`: the SIP screening service under load, side by side with Kamailio 5.6.
#
#  1. simulates the `default` scenario and scores it, so that callguard screens with learned
#     profiles for the callers (every detector on, as in production);
#  2. drives `callguard serve` and, in the same run, Kamailio answering statelessly
#     (bench/kamailio-stateless.cfg: sl_send_reply("603") with no logic) with SIPp over UDP on
#     loopback at stepped INVITE rates (STEP_SECONDS each); a step passes when SIPp reports no
#     failed call; the highest passing rate is each one's capacity on this machine;
#  3. restarts callguard and runs it at 80% of its capacity for LAT_SECONDS, then reads the
#     service's own added-latency percentiles from GET /metrics.
# SIPp itself needs CPU: on a 2-core machine the generator, not the server, may be the limit;
# the script says so when both pass every step.
# Usage: bench/sip_bench.sh BUILD_DIR   (environment: RATES, STEP_SECONDS, LAT_SECONDS)
set -uo pipefail
BUILD=$(realpath "${1:-build/release}")
SRC=$(cd "$(dirname "$0")/.." && pwd)
RATES=${RATES:-"1000 2000 4000 6000 8000 10000 12000 15000 20000 25000 30000"}
STEP_SECONDS=${STEP_SECONDS:-5}
LAT_SECONDS=${LAT_SECONDS:-10}
DATA=$BUILD/bench-data/sip
mkdir -p "$DATA"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT

echo "== machine: $(nproc) cores, $(uname -r); sipp $(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1), $(kamailio -v | head -1)"
if [ ! -s "$DATA/state.snap" ]; then
  echo "== learning: simulate default (seed 11) and score it into a state snapshot"
  "$BUILD/callguard" simulate --scenario "$SRC/scenarios/default.yaml" --seed 11 \
    --out "$DATA/sim" >/dev/null
  "$BUILD/callguard" score --in "$DATA/sim/calls.csv" --subscribers "$DATA/sim/subscribers.csv" \
    --config "$SRC/config/callguard.yaml" --out /dev/null --state-out "$DATA/state.snap" --quiet
fi
# Callers and callees of the simulated day, with their ingress, as SIPp's injection file.
if [ ! -s "$DATA/inject.csv" ]; then
  echo "SEQUENTIAL" >"$DATA/inject.csv"
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
           NR % 7 == 0 { ing = $col["ingress"]; if (ing == "") ing = "mobile";
                         print $col["caller"] ";" $col["callee"] ";" ing }' \
    "$DATA/sim/calls.csv" | head -200000 >>"$DATA/inject.csv"
fi
echo "== injection: $(($(wc -l <"$DATA/inject.csv") - 1)) calls from the simulated day"

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_callguard() {
  CGPORT=$(free_port)
  HTTPPORT=$(free_port)
  "$BUILD/callguard" serve --config "$SRC/config/callguard.yaml" --state "$DATA/state.snap" \
    --sip "udp://127.0.0.1:$CGPORT" --http "127.0.0.1:$HTTPPORT" >"$DATA/cg.out" 2>"$DATA/cg.err" &
  CGPID=$!
  PIDS+=($CGPID)
  for _ in $(seq 300); do grep -q '^listening http' "$DATA/cg.out" 2>/dev/null && return 0; sleep 0.1; done
  echo "callguard did not start"; cat "$DATA/cg.err"; exit 1
}
stop_callguard() { kill -TERM "$CGPID"; wait "$CGPID" 2>/dev/null; }

start_kamailio() {
  KPORT=$(free_port)
  mkdir -p "$DATA/krun"
  kamailio -DD -E -f "$SRC/bench/kamailio-stateless.cfg" -l "udp:127.0.0.1:$KPORT" -Y "$DATA/krun" \
    -w "$DATA" >"$DATA/kamailio.log" 2>&1 &
  KPIDK=$!
  PIDS+=($KPIDK)
  sleep 1
}

# One load step. Sets ACHIEVED (INVITE/s actually offered: SIPp may fall behind the target on a
# small machine) and returns 0 when no call failed.
step() { # port rate [seconds]
  local port=$1 rate=$2 secs=${3:-$STEP_SECONDS} t0 t1 rc
  t0=$(date +%s.%N)
  timeout $((secs * 4 + 30)) sipp -sf "$SRC/bench/sipp_invite.xml" -inf "$DATA/inject.csv" \
    -i 127.0.0.1 -p 0 -r "$rate" -m $((rate * secs)) -l $((rate * 2)) -nostdin \
    -timeout $((secs * 3 + 10))s -timeout_error "127.0.0.1:$port" >/dev/null 2>&1
  rc=$?
  t1=$(date +%s.%N)
  ACHIEVED=$(awk -v n=$((rate * secs)) -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')
  return $rc
}

# Steps up the rates until a call fails or SIPp cannot offer 90% of the target any more.
# Prints "capacity achieved-rate limit" where limit is "server" or "generator".
capacity() { # name port
  local name=$1 port=$2 best=0 best_achieved=0 limit=none
  for r in $RATES; do
    if step "$port" "$r"; then
      echo "   $name: target $r/s, offered $ACHIEVED/s for ${STEP_SECONDS}s: no failed call" >&2
      best=$r
      best_achieved=$ACHIEVED
      if [ "$ACHIEVED" -lt $((r * 9 / 10)) ]; then
        limit=generator
        break
      fi
    else
      echo "   $name: target $r/s, offered $ACHIEVED/s: FAILED calls" >&2
      limit=server
      break
    fi
  done
  echo "$best $best_achieved $limit"
}

echo "== capacity: stepped rates, ${STEP_SECONDS}s each, UDP, SIPp on the same machine"
start_callguard
read -r cg_max cg_off cg_limit < <(capacity callguard "$CGPORT")
stop_callguard
start_kamailio
read -r k_max k_off k_limit < <(capacity kamailio "$KPORT")
kill "$KPIDK"
wait "$KPIDK" 2>/dev/null
echo "   callguard (every detector on, learned state): $cg_off INVITE/s offered with no failed call (limit: $cg_limit)"
echo "   kamailio 5.6 stateless sl_send_reply:          $k_off INVITE/s offered with no failed call (limit: $k_limit)"
awk -v a="$cg_off" -v b="$k_off" 'BEGIN { if (b > 0) printf "   ratio callguard / kamailio: %.2f\n", a / b }'

lat_rate=$((cg_off * 8 / 10))
[ "$lat_rate" -lt 100 ] && lat_rate=100
echo "== added latency at 80% of callguard's capacity: $lat_rate INVITE/s for ${LAT_SECONDS}s"
start_callguard
step "$CGPORT" "$lat_rate" "$LAT_SECONDS"
echo "   sipp: $([ $? -eq 0 ] && echo "no failed call" || echo "FAILED calls"), offered $ACHIEVED/s"
curl -s "http://127.0.0.1:$HTTPPORT/metrics" >"$DATA/metrics.txt"
stop_callguard
for q in 0.5 0.9 0.99 0.999; do
  v=$(sed -n "s/^callguard_sip_added_latency_quantile_seconds{quantile=\"$q\"} //p" "$DATA/metrics.txt")
  awk -v q="$q" -v v="$v" 'BEGIN { printf "   p%s: %.0f us\n", q * 100, v * 1e6 }'
done
n=$(sed -n 's/^callguard_sip_added_latency_seconds_count //p' "$DATA/metrics.txt")
fo=$(sed -n 's/^callguard_sip_fail_open_total //p' "$DATA/metrics.txt")
echo "   INVITEs measured: $n; answered fail-open (deadline): $fo"
