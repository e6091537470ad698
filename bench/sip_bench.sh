#!/usr/bin/env bash
# `make bench-sip`: the SIP screening service under load, side by side with Kamailio 5.6.
#
#  1. simulates the `default` scenario and scores it, so that callguard screens with learned
#     profiles for the callers (every detector on, as in production);
#  2. for each server (callguard serve; Kamailio answering statelessly with no logic,
#     bench/kamailio-stateless.cfg: sl_send_reply("603")): one warm-up pass over the injected
#     calls, then SIPp over UDP on loopback at stepped INVITE rates (STEP_SECONDS each). A step
#     passes when SIPp reports no failed call; the report gives the rate SIPp actually offered
#     (on a small machine SIPp, which shares the CPU, may fall behind its target) and the
#     server's CPU time per INVITE (user + system, all its processes);
#  3. runs callguard at 80% of its highest passing rate for LAT_SECONDS and computes its own
#     added-latency percentiles from the difference of its /metrics histogram before and after
#     (linear interpolation inside buckets, as Prometheus' histogram_quantile does).
# Usage: bench/sip_bench.sh BUILD_DIR   (environment: RATES, STEP_SECONDS, LAT_SECONDS)
set -uo pipefail
BUILD=$(realpath "${1:-build/release}")
SRC=$(cd "$(dirname "$0")/.." && pwd)
RATES=${RATES:-"2000 4000 6000 8000 10000 12000 14000 16000 20000 25000 30000"}
STEP_SECONDS=${STEP_SECONDS:-5}
LAT_SECONDS=${LAT_SECONDS:-10}
DATA=$BUILD/bench-data/sip
mkdir -p "$DATA"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT
HZ=$(getconf CLK_TCK)

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
    "$DATA/sim/calls.csv" | head -60000 >>"$DATA/inject.csv"
fi
INJECTED=$(($(wc -l <"$DATA/inject.csv") - 1))
echo "== injection: $INJECTED calls from the simulated day"

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { # pids... -> user+system ticks
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo $t
}

# One load step. Sets ACHIEVED (INVITE/s offered) and CPU_US (server CPU per INVITE); returns 0
# when no call failed.
step() { # port rate seconds pids...
  local port=$1 rate=$2 secs=$3 t0 t1 c0 c1 rc n
  shift 3
  n=$((rate * secs))
  c0=$(cpu_ticks "$@")
  t0=$(date +%s.%N)
  timeout $((secs * 4 + 30)) sipp -sf "$SRC/bench/sipp_invite.xml" -inf "$DATA/inject.csv" \
    -i 127.0.0.1 -p 0 -r "$rate" -m "$n" -l $((rate * 2)) -nostdin \
    -timeout $((secs * 3 + 10))s -timeout_error "127.0.0.1:$port" >/dev/null 2>&1
  rc=$?
  t1=$(date +%s.%N)
  c1=$(cpu_ticks "$@")
  ACHIEVED=$(awk -v n=$n -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')
  CPU_US=$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v n=$n 'BEGIN {printf "%.1f", d / hz / n * 1e6}')
  return $rc
}

# Warm-up, then steps up the rates until a call fails or SIPp cannot offer 90% of the target.
# Sets BEST (highest passing offered rate) and LIMIT (server or generator).
capacity() { # name port pids...
  local name=$1 port=$2
  shift 2
  BEST=0
  LIMIT="none (every step passed)"
  step "$port" 4000 $(((INJECTED + 3999) / 4000)) "$@"
  echo "   $name: warm-up pass over the injected calls: CPU ${CPU_US} us/INVITE"
  for r in $RATES; do
    if step "$port" "$r" "$STEP_SECONDS" "$@"; then
      echo "   $name: target $r/s, offered $ACHIEVED/s: no failed call; server CPU $CPU_US us/INVITE"
      [ "$ACHIEVED" -gt "$BEST" ] && BEST=$ACHIEVED
      if [ "$ACHIEVED" -lt $((r * 9 / 10)) ]; then
        LIMIT="generator (SIPp fell behind its target)"
        break
      fi
    else
      echo "   $name: target $r/s, offered $ACHIEVED/s: FAILED calls"
      LIMIT="server (calls failed)"
      break
    fi
  done
}

metrics_buckets() { # port -> "le count" lines of the added-latency histogram
  curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1/metrics" |
    sed -n 's/^callguard_sip_added_latency_seconds_bucket{le="\([^"]*\)"} \([0-9]*\)$/\1 \2/p'
}

echo "== capacity: UDP, stepped rates of ${STEP_SECONDS}s, SIPp on the same machine"
CGPORT=$(free_port)
HTTPPORT=$(free_port)
TOKEN=$("$BUILD/callguard" token create --data-dir "$DATA/store" --role admin 2>/dev/null)
"$BUILD/callguard" serve --config "$SRC/config/callguard.yaml" --data-dir "$DATA/store" --state "$DATA/state.snap" \
  --sip "udp://127.0.0.1:$CGPORT" --http "127.0.0.1:$HTTPPORT" >"$DATA/cg.out" 2>"$DATA/cg.err" &
CGPID=$!
PIDS+=($CGPID)
for _ in $(seq 300); do grep -q '^listening http' "$DATA/cg.out" 2>/dev/null && break; sleep 0.1; done
capacity callguard "$CGPORT" "$CGPID"
cg_best=$BEST
cg_limit=$LIMIT

lat_rate=$((cg_best * 8 / 10))
metrics_buckets "$HTTPPORT" >"$DATA/buckets0.txt"
fo0=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTPPORT/metrics" | sed -n 's/^callguard_sip_fail_open_total //p')
step "$CGPORT" "$lat_rate" "$LAT_SECONDS" "$CGPID"
lat_rc=$?
lat_offered=$ACHIEVED
lat_cpu=$CPU_US
metrics_buckets "$HTTPPORT" >"$DATA/buckets1.txt"
curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTPPORT/metrics" >"$DATA/metrics.txt"
kill -TERM "$CGPID"
wait "$CGPID" 2>/dev/null

KPORT=$(free_port)
mkdir -p "$DATA/krun"
kamailio -DD -E -f "$SRC/bench/kamailio-stateless.cfg" -l "udp:127.0.0.1:$KPORT" -Y "$DATA/krun" \
  -w "$DATA" >"$DATA/kamailio.log" 2>&1 &
KPID=$!
PIDS+=($KPID)
sleep 1
KPIDS=($KPID $(pgrep -P "$KPID"))
capacity kamailio "$KPORT" "${KPIDS[@]}"
k_best=$BEST
k_limit=$LIMIT
kill "$KPID"
wait "$KPID" 2>/dev/null

echo "== summary"
echo "   callguard (every detector on, learned state): $cg_best INVITE/s with no failed call; limit: $cg_limit"
echo "   kamailio 5.6 stateless sl_send_reply:          $k_best INVITE/s with no failed call; limit: $k_limit"
awk -v a="$cg_best" -v b="$k_best" 'BEGIN { if (b > 0) printf "   ratio callguard / kamailio: %.2f\n", a / b }'
echo "== callguard's added latency at 80% of that: target $lat_rate/s, offered $lat_offered/s for ${LAT_SECONDS}s ($([ $lat_rc -eq 0 ] && echo "no failed call" || echo "FAILED calls"), CPU $lat_cpu us/INVITE)"
join "$DATA/buckets0.txt" "$DATA/buckets1.txt" | awk '
  { le[NR] = ($1 == "+Inf") ? 1e9 : $1; c[NR] = $3 - $2; n = NR }
  END {
    total = c[n]
    split("0.5 0.9 0.99 0.999", qs, " ")
    for (k = 1; k <= 4; k++) {
      q = qs[k]; rank = q * total; prev_le = 0; prev_c = 0
      for (i = 1; i <= n; i++) {
        if (c[i] >= rank) {
          v = (le[i] == 1e9) ? prev_le : prev_le + (le[i] - prev_le) * (rank - prev_c) / (c[i] - prev_c)
          printf "   p%s: %.0f us\n", q * 100, v * 1e6
          break
        }
        prev_le = le[i]; prev_c = c[i]
      }
    }
    printf "   INVITEs in this window: %d\n", total
  }'
fo1=$(sed -n 's/^callguard_sip_fail_open_total //p' "$DATA/metrics.txt")
echo "   answered fail-open (5 ms deadline) in this window: $((fo1 - fo0)); since start (warm-up and overload steps included): $fo1"
