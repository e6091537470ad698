#!/usr/bin/env bash
# `make bench-api`: number lookups over HTTP (GET /v1/numbers/{number}, keep-alive, wrk) while
# SIP screening runs, on the default store (SQLite, WAL). Each lookup is a full one: the access
# is written to the audit log first, the engine builds the number's profile and hypothetical
# verdict on the screening thread, and the store is read for list entries, recorded verdicts,
# reports, feedback and appeals.
#
#  1. simulates the `default` scenario, scores it into a state snapshot (learned profiles);
#  2. starts serve on that state with a fresh store; records the restore time from its log;
#  3. without screening: wrk on a bare authenticated GET /v1/whoami (the HTTP layer's ceiling)
#     and on the lookups, 10 s each (this also takes the server past its warm-up);
#  4. SIPp offers SIP_RATE INVITE/s over UDP from then on (screening keeps running), and wrk (WRK_THREADS threads, WRK_CONNS keep-alive connections, WRK_SECONDS) looks up numbers
#     of the simulated day in turn; reports lookups/s and latency percentiles, and checks that
#     the audit log holds one row per answered lookup.
# Usage: bench/api_bench.sh BUILD_DIR  (environment: SIP_RATE, WRK_THREADS, WRK_CONNS, WRK_SECONDS)
set -uo pipefail
BUILD=$(realpath "${1:-build/release}")
SRC=$(cd "$(dirname "$0")/.." && pwd)
SIP_RATE=${SIP_RATE:-2000}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-16}
HTTP_THREADS=${HTTP_THREADS:-16}  # cpp-httplib serves one keep-alive connection per thread
WRK_SECONDS=${WRK_SECONDS:-20}
DATA=$BUILD/bench-data/api
mkdir -p "$DATA"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== machine: $(nproc) cores, $(uname -r); $(wrk -v 2>&1 | head -1 | cut -c1-40); sipp $(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1)"
if [ ! -s "$DATA/state.snap" ]; then
  echo "== learning: simulate default (seed 11) and score it into a state snapshot"
  "$BUILD/callguard" simulate --scenario "$SRC/scenarios/default.yaml" --seed 11 --out "$DATA/sim" >/dev/null
  "$BUILD/callguard" score --in "$DATA/sim/calls.csv" --subscribers "$DATA/sim/subscribers.csv" \
    --config "$SRC/config/callguard.yaml" --out /dev/null --state-out "$DATA/state.snap" --quiet
fi
# Numbers to look up: callers of the simulated day (scam and legitimate alike), URL-escaped.
awk -F, 'NR > 1 && NR % 13 == 0 { print $3 }' "$DATA/sim/calls.csv" | sort -u | shuf --random-source=<(yes) | head -20000 |
  sed 's/+/%2B/' >"$DATA/numbers.txt"
echo "SEQUENTIAL" >"$DATA/inject.csv"
awk -F, 'NR > 1 && NR % 7 == 0 { ing = $8; if (ing == "") ing = "mobile"; print $3 ";" $4 ";" ing }' \
  "$DATA/sim/calls.csv" | head -60000 >>"$DATA/inject.csv"

# The shipped configuration, with one HTTP thread per wrk connection.
rm -rf "$DATA/config"
cp -r "$SRC/config" "$DATA/config"
sed -i "s/^  http_threads: .*/  http_threads: $HTTP_THREADS/" "$DATA/config/callguard.yaml"
grep -q "http_threads: $HTTP_THREADS" "$DATA/config/callguard.yaml" || { echo "bench: cannot set http_threads"; exit 1; }
rm -rf "$DATA/store"
TOKEN=$("$BUILD/callguard" token create --data-dir "$DATA/store" --role analyst --name bench 2>/dev/null)
SIPPORT=$(free_port)
HTTPPORT=$(free_port)
cp "$DATA/state.snap" "$DATA/state-run.snap"
t0=$(date +%s.%N)
"$BUILD/callguard" serve --config "$DATA/config/callguard.yaml" --data-dir "$DATA/store" \
  --state "$DATA/state-run.snap" --sip "udp://127.0.0.1:$SIPPORT" --http "127.0.0.1:$HTTPPORT" \
  >"$DATA/serve.out" 2>"$DATA/serve.err" &
CGPID=$!
PIDS+=($CGPID)
for _ in $(seq 600); do grep -q '^listening http' "$DATA/serve.out" 2>/dev/null && break; sleep 0.05; done
grep -q '^listening http' "$DATA/serve.out" || { cat "$DATA/serve.err"; echo "bench: serve did not start"; exit 1; }
t1=$(date +%s.%N)
echo "== restore: $(sed -n 's/.*state loaded from [^ ]* //p' "$DATA/serve.err"); serve ready in $(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.2f", b-a}') s (process start, snapshot load, store open)"


cat >"$DATA/lookup.lua" <<LUA
local numbers = {}
for line in io.lines("$DATA/numbers.txt") do numbers[#numbers + 1] = line end
local i = 0
request = function()
  i = i % #numbers + 1
  return wrk.format("GET", "/v1/numbers/" .. numbers[i], {["Authorization"] = "Bearer $TOKEN"})
end
local non200 = 0
response = function(status) if status ~= 200 then non200 = non200 + 1 end end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.2f p50_us=%d p90_us=%d p99_us=%d p999_us=%d errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
# The same reporting for a bare authenticated request: what the HTTP layer and the token check
# cost alone, the ceiling for any endpoint here.
sed -e 's|"/v1/numbers/" .. numbers\[i\]|"/v1/whoami"|' "$DATA/lookup.lua" >"$DATA/whoami.lua"
brief() { # label lua seconds -> one line from wrk's RESULT
  wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${3}s" -s "$2" "http://127.0.0.1:$HTTPPORT" >"$DATA/wrk-brief.txt" 2>&1
  local r
  r=$(grep '^RESULT' "$DATA/wrk-brief.txt")
  (eval "${r#RESULT }"; echo "== $1: $(awk -v n=$requests -v s=$seconds 'BEGIN{printf "%.0f", n/s}')/s; p50 ${p50_us} us, p99 ${p99_us} us")
}
brief "reference, no screening: GET /v1/whoami (token check and HTTP only)" "$DATA/whoami.lua" 10
brief "lookups, no screening" "$DATA/lookup.lua" 10

echo "== screening: SIPp at $SIP_RATE INVITE/s over UDP during the lookups"
sipp -sf "$SRC/bench/sipp_invite.xml" -inf "$DATA/inject.csv" -i 127.0.0.1 -p 0 -r "$SIP_RATE" \
  -l $((SIP_RATE * 2)) -nostdin -timeout $((WRK_SECONDS + 30))s "127.0.0.1:$SIPPORT" >/dev/null 2>&1 &
SIPPID=$!
PIDS+=($SIPPID)
sleep 3

m0=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTPPORT/metrics")
screened0=$(echo "$m0" | sed -n 's/^callguard_screened_total //p')
fo0=$(echo "$m0" | sed -n 's/^callguard_sip_fail_open_total //p')
echo "== lookups while screening: wrk -t$WRK_THREADS -c$WRK_CONNS -d${WRK_SECONDS}s, $(wc -l <"$DATA/numbers.txt") distinct numbers"
wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${WRK_SECONDS}s" --latency -s "$DATA/lookup.lua" \
  "http://127.0.0.1:$HTTPPORT" >"$DATA/wrk.txt" 2>&1
screened1=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTPPORT/metrics" | sed -n 's/^callguard_screened_total //p')
m=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTPPORT/metrics")
kill "$SIPPID" 2>/dev/null
sed -n '/Latency Distribution/,/Requests\/sec/p' "$DATA/wrk.txt" | sed 's/^/   /'
r=$(grep '^RESULT' "$DATA/wrk.txt")
eval "${r#RESULT }"
rate=$(awk -v n=$requests -v s=$seconds 'BEGIN{printf "%.0f", n/s}')
audited=$(echo "$m" | sed -n 's/^callguard_access_logged_total //p')
echo "== result: $rate lookups/s; latency p50 ${p50_us} us, p90 ${p90_us} us, p99 ${p99_us} us, p99.9 ${p999_us} us; errors $errors"
fo1=$(echo "$m" | sed -n 's/^callguard_sip_fail_open_total //p')
echo "   screening meanwhile: $(( (${screened1:-0} - ${screened0:-0}) / WRK_SECONDS )) calls/s; fail-open during the lookups $((fo1 - fo0)) of $((screened1 - screened0)) (before them, warm-up: $fo0)"
echo "   audit log rows written: $audited (one per answered lookup)"
kill -TERM "$CGPID"
wait "$CGPID" 2>/dev/null
