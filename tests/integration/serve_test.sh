#!/usr/bin/env bash
# End-to-end test of `callguard serve` with real peers on loopback: SIPp (UDP and TCP) sends
# INVITEs from allowed, labelled, warned and blocked callers and checks each answer; a probe
# sends retransmissions and bad input; HTTP screening and CDR intake (POST and spool) change what
# screening answers; SIGHUP reloads lists; SIGTERM saves the state and a restart restores it.
# Usage: serve_test.sh CALLGUARD SOURCE_DIR
set -uo pipefail
CG=$(realpath "$1")
SRC=$(realpath "$2")
source "$SRC/tests/integration/lib.sh"
PID=""
require sipp curl python3

# A copy of the shipped configuration, so that the test can edit its lists.
cp -r "$SRC/config" "$T/config"
# The shipped serve: section, with test values (ephemeral ports, short timeouts).
python3 - "$T/config/callguard.yaml" <<'EOF'
import re, sys
path = sys.argv[1]
text = open(path).read()
overrides = {
    "sip": "[udp://127.0.0.1:0, tcp://127.0.0.1:0]", "http": "127.0.0.1:0",
    "tcp_idle_timeout": "2s", "max_tcp_connections": "200", "state": "state.snap",
    "snapshot_interval": "0", "spool": "spool", "spool_poll": "200ms",
    "redress_url": "https://appeal.example.net/callguard",
}
for key, value in overrides.items():
    text, n = re.subn(rf"^(\s+{key}:)[^\n#]*", rf"\g<1> {value} ", text, count=1, flags=re.M)
    if n != 1:
        sys.exit(f"serve_test: key {key} not found in the shipped config")
open(path, "w").write(text)
EOF
[ $? -eq 0 ] || exit 1

# The API needs a token (an admin one covers screening, CDR intake and metrics).
TOKEN=$("$CG" token create --config "$T/config/callguard.yaml" --role admin --name serve_test 2>/dev/null)
AUTH=(-H "Authorization: Bearer $TOKEN")
check "token created" test -n "$TOKEN"

start() {
  "$CG" serve --config "$T/config/callguard.yaml" >"$T/out.log" 2>"$T/err.log" &
  PID=$!
  PIDS+=($PID)
  for _ in $(seq 100); do
    grep -q '^watching spool' "$T/out.log" 2>/dev/null && break
    sleep 0.1
  done
  UDP=$(sed -n 's|^listening sip udp://127.0.0.1:||p' "$T/out.log")
  TCP=$(sed -n 's|^listening sip tcp://127.0.0.1:||p' "$T/out.log")
  HTTP=$(sed -n 's|^listening http 127.0.0.1:||p' "$T/out.log")
  [ -n "$UDP" ] && [ -n "$TCP" ] && [ -n "$HTTP" ]
}
check "serve starts and prints its listeners" start
cat "$T/out.log"

# --- SIPp: one run per expected answer, over UDP and over TCP ------------------------------
sipp_run() { # csv code action contact-regexp transport
  local csv=$1 code=$2 action=$3 contact=$4 tr=$5 port
  port=$([ "$tr" = t1 ] && echo "$TCP" || echo "$UDP")
  sed -e "s/@CODE@/$code/" -e "s/@ACTION@/$action/" -e "s|@CONTACT@|$contact|" \
    "$SRC/tests/integration/sipp/screen_uac.xml" >"$T/scen_$csv.xml"
  local n=$(($(wc -l <"$SRC/tests/integration/sipp/$csv.csv") - 1))
  timeout 60 sipp -sf "$T/scen_$csv.xml" -inf "$SRC/tests/integration/sipp/$csv.csv" -m "$n" \
    -r 50 -t "$tr" -i 127.0.0.1 -p 0 "127.0.0.1:$port" -timeout 20s -timeout_error -nostdin \
    -trace_err -error_file "$T/sipp_${csv}_$tr.err" >/dev/null 2>&1
  local rc=$?
  [ $rc -ne 0 ] && head -5 "$T/sipp_${csv}_$tr.err" 2>/dev/null
  return $rc
}
for tr in u1 t1; do
  check "SIPp $tr: allowed callers get 302 to the original Request-URI" \
    sipp_run allowed 302 allow 'Contact: .sip:[0-9]*@127.0.0.1' $tr
  check "SIPp $tr: VoIP calls with a domestic mobile CLI get 302 with a label" \
    sipp_run labelled 302 label 'verstat%3DSuspected-Scam' $tr
  check "SIPp $tr: international calls with a domestic mobile CLI get 302 with a warning" \
    sipp_run warned 302 warn 'verstat%3DScam-Warning' $tr
  check "SIPp $tr: spoofed police, government and bank numbers get 603 with a Reason" \
    sipp_run blocked 603 block 'Call-Info: .https://appeal.example.net/callguard.;purpose=info' $tr
done

# --- retransmissions and bad input ----------------------------------------------------------
check "SIP probe: retransmissions, malformed, binary, oversized, stalled, flood" \
  env CG_TOKEN="$TOKEN" python3 "$SRC/tests/integration/sip_probe.py" "$UDP" "$TCP" "$HTTP"

# --- HTTP -----------------------------------------------------------------------------------
H="http://127.0.0.1:$HTTP"
check "GET /healthz" bash -c "curl -sf $H/healthz | grep -q ok"
check "GET /readyz" bash -c "curl -sf $H/readyz | grep -q ready"
screen() { curl -s "${AUTH[@]}" -XPOST "$H/v1/screen" -H 'Content-Type: application/json' -d "$1"; }
v=$(screen '{"caller":"110","callee":"13900139000","ingress":"international"}')
check "POST /v1/screen: verdict JSON of the contract (block)" \
  bash -c "echo '$v' | grep -q '\"action\":\"block\"' && echo '$v' | grep -q '\"reasons\":\[{\"detector\"'"
v=$(screen '{"caller":"110","callee":"120","ingress":"international"}')
check "POST /v1/screen: a call to an emergency number is never blocked" \
  bash -c "echo '$v' | grep -q '\"action\":\"' && ! echo '$v' | grep -q '\"action\":\"block\"'"
v=$(screen '{"caller":7}')
check "POST /v1/screen: a bad field is a JSON error naming it" \
  bash -c "echo '$v' | grep -q '\"code\":\"bad_field\"' && echo '$v' | grep -q caller"
code=$(curl -s "${AUTH[@]}" -o /dev/null -w '%{http_code}' -XPOST "$H/v1/screen" -d 'not json')
check "POST /v1/screen: malformed JSON is 400" test "$code" = 400
code=$(curl -s "${AUTH[@]}" -o /dev/null -w '%{http_code}' "$H/v1/nothing")
check "unknown path is 404" test "$code" = 404

# CDR intake: a number that dials a hundred strangers, rarely answered, never called back.
scammer=+8617100000001
python3 - "$scammer" >"$T/burst.csv" <<'EOF'
import random, sys, time
random.seed(5)
t = int(time.time()) - 3 * 3600
print("call_id,start_time,caller,callee,answered,duration_s,ingress")
for i in range(120):
    t += random.randint(30, 80)
    ans = random.random() < 0.2
    print(f"b{i},{t},{sys.argv[1]},+86139{random.randint(10**7, 10**8 - 1)},"
          f"{int(ans)},{random.randint(5, 40) if ans else 0},mobile")
EOF
before=$(screen "{\"caller\":\"$scammer\",\"callee\":\"13900139999\",\"ingress\":\"mobile\"}")
check "before learning, the number is allowed" bash -c "echo '$before' | grep -q '\"action\":\"allow\"'"
r=$(curl -s "${AUTH[@]}" -XPOST "$H/v1/cdr" -H 'Content-Type: text/csv' --data-binary @"$T/burst.csv")
check "POST /v1/cdr accepts 120 records" bash -c "echo '$r' | grep -q '\"accepted\":120'"
sleep 0.3
after=$(screen "{\"caller\":\"$scammer\",\"callee\":\"13900139999\",\"ingress\":\"mobile\"}")
check "after learning, screening flags it with behaviour reasons" \
  bash -c "! echo '$after' | grep -q '\"action\":\"allow\"' && echo '$after' | grep -q '\"detector\":\"behaviour\"'"
r=$(printf 'call_id,start_time,caller,callee,answered,duration_s\nx1,yesterday,1,2,1,3\n' |
  curl -s "${AUTH[@]}" -XPOST "$H/v1/cdr" --data-binary @-)
check "POST /v1/cdr: bad rows are rejected with line and reason" \
  bash -c "echo '$r' | grep -q '\"rejected\":1' && echo '$r' | grep -q 'body:2'"

# Spool: a file that appears (written as .part, then renamed) is learned and moved to done/.
spool_caller=+8617100000002
sed "s/+8617100000001/$spool_caller/" "$T/burst.csv" >"$T/config/spool/calls.csv.part"
mv "$T/config/spool/calls.csv.part" "$T/config/spool/calls.csv"
for _ in $(seq 50); do [ -f "$T/config/spool/done/calls.csv" ] && break; sleep 0.1; done
check "spool file processed and moved to done/" test -f "$T/config/spool/done/calls.csv"
sleep 0.3
v=$(screen "{\"caller\":\"$spool_caller\",\"callee\":\"13900139999\",\"ingress\":\"mobile\"}")
check "spooled records changed what screening answers" \
  bash -c "echo '$v' | grep -q '\"detector\":\"behaviour\"'"

# --- SIGHUP: a number added to the block list is blocked without a restart ----------------
inv() { # caller call-id -> answer code over UDP
  python3 - "$UDP" "$1" "$2" <<'EOF'
import socket, sys
port, caller, cid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = (f"INVITE sip:13900139000@127.0.0.1:5090 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK{cid}\r\n"
     f"From: <sip:{caller}@example.net>;tag=1\r\nTo: <sip:13900139000@example.net>\r\n"
     f"Call-ID: {cid}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n").encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(m, ("127.0.0.1", port))
print(s.recv(65536).decode()[8:11])
EOF
}
check "before the reload, 13800138099 is allowed" test "$(inv 13800138099 hup1)" = 302
echo "number,13800138099,block,,test: added by an analyst" >>"$T/config/lists/example-lists.csv"
kill -HUP "$PID"
sleep 0.5
check "after SIGHUP, 13800138099 is blocked" test "$(inv 13800138099 hup2)" = 603
grep -q "reloaded" "$T/err.log" && ok "reload logged" || fail "reload logged"

# --- metrics ----------------------------------------------------------------------------------
curl -s "${AUTH[@]}" "$H/metrics" >"$T/metrics.txt"
for m in callguard_sip_added_latency_seconds_bucket callguard_sip_added_latency_quantile_seconds \
  'callguard_actions_total{action="block"}' callguard_cdr_accepted_total \
  callguard_spool_files_total callguard_reloads_total; do
  check "metric $m exposed" grep -q "^$m" "$T/metrics.txt"
done
p99=$(sed -n 's/^callguard_sip_added_latency_quantile_seconds{quantile="0.99"} //p' "$T/metrics.txt")
echo "     p99 added latency over this test: ${p99:-none} s"
check "p99 added latency recorded" awk -v v="${p99:-0}" 'BEGIN { exit !(v > 0) }'

# --- SIGTERM saves the state; a restart restores what was learned ---------------------------
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=""
check "SIGTERM: graceful exit 0" test $rc = 0
check "SIGTERM: state saved" test -s "$T/config/state.snap"
check "restart" start
v=$(curl -s "${AUTH[@]}" -XPOST "http://127.0.0.1:$HTTP/v1/screen" \
  -d "{\"caller\":\"$scammer\",\"callee\":\"13900139999\",\"ingress\":\"mobile\"}")
check "after the restart, the learned profile is still there" \
  bash -c "echo '$v' | grep -q '\"detector\":\"behaviour\"'"
kill -TERM "$PID"
wait "$PID"
PID=""

# --state on the command line is relative to the working directory (not to the config file).
(cd "$T" && exec "$CG" serve --config config/callguard.yaml --state config/state.snap \
  --sip udp://127.0.0.1:0 --http off >"$T/out3.log" 2>"$T/err3.log") &
PID=$!
PIDS+=($PID)
for _ in $(seq 100); do grep -q 'state loaded\|no state' "$T/err3.log" 2>/dev/null && break; sleep 0.1; done
check "--state relative to the working directory loads the saved state" \
  grep -q "state loaded from $T/config/state.snap" "$T/err3.log"
check "the known numbers' classes are warmed after loading" \
  bash -c "for _ in \$(seq 100); do grep -q 'number classes warmed' '$T/err3.log' && exit 0; sleep 0.1; done; exit 1"
kill -TERM "$PID"
wait "$PID"
PID=""

echo
if [ $fails -ne 0 ]; then
  echo "serve_test: $fails failure(s)"
  echo "--- serve stderr"
  cat "$T/err.log"
  exit 1
fi
echo "serve_test: all checks passed"
