#!/usr/bin/env bash
# callguard behind a real Kamailio 5.6, both shipped integrations:
#   redirect: SIPp UAC -> Kamailio -> callguard (302 / 603) -> Kamailio -> SIPp UAS
#   http:     SIPp UAC -> Kamailio --POST /v1/screen--> callguard; Kamailio -> SIPp UAS or 603
# Allowed, labelled and warned calls must reach the callee (a SIPp UAS that checks the label the
# proxy applied); blocked calls must come back 603 with callguard's Reason and never reach it.
# Usage: kamailio_test.sh CALLGUARD SOURCE_DIR
set -uo pipefail
CG=$(realpath "$1")
SRC=$(realpath "$2")
SIPP="$SRC/tests/integration/sipp"
source "$SRC/tests/integration/lib.sh"
require kamailio sipp python3 curl

read -r KPORT UASPORT HTTPPORT CGPORT < <(python3 -c '
import socket
socks = []
for kind in (socket.SOCK_DGRAM, socket.SOCK_DGRAM, socket.SOCK_STREAM, socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind); s.bind(("127.0.0.1", 0)); socks.append(s)
print(*[s.getsockname()[1] for s in socks])')

TOKEN=$("$CG" token create --data-dir "$T/data" --role screening 2>/dev/null)
# The shipped configuration with a 200 ms deadline instead of 5 ms: this test is about the
# integration (answers, headers), and on a loaded CI machine (ctest runs two tests at once) an
# INVITE now and then waited past 5 ms and went through unscreened by design (fail_open),
# which the per-class checks below cannot tell from a wrong answer.
cp -r "$SRC/config" "$T/config"
sed -i 's/^\(  deadline_ms:\) *5 /\1 200/' "$T/config/callguard.yaml"
grep -q '^  deadline_ms: 200' "$T/config/callguard.yaml" || { echo "FAIL deadline not set"; exit 1; }
"$CG" serve --config "$T/config/callguard.yaml" --data-dir "$T/data" --sip "udp://127.0.0.1:$CGPORT" \
  --http "127.0.0.1:$HTTPPORT" >"$T/cg.out" 2>"$T/cg.err" &
PIDS+=($!)
for _ in $(seq 50); do grep -q '^listening http' "$T/cg.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^listening http' "$T/cg.out" || { echo "FAIL callguard did not start"; cat "$T/cg.err"; exit 1; }

mkdir -p "$T/run"
start_kamailio() { # cfg define
  kamailio -DD -E -f "$1" -l "udp:127.0.0.1:$KPORT" -A "$2" ${3:+-A "$3"} -Y "$T/run" -w "$T" \
    >"$T/kamailio.log" 2>&1 &
  KPID=$!
  PIDS+=($KPID)
  for _ in $(seq 50); do
    grep -q 'udp: 127.0.0.1' "$T/kamailio.log" 2>/dev/null && sleep 0.3 && return 0
    sleep 0.1
  done
  return 1
}

call_class() { # mode class action pai-regexp
  local mode=$1 class=$2 action=$3 pai=$4
  local n=$(($(wc -l <"$SIPP/$class.csv") - 1))
  sed -e "s/@ACTION@/$action/" -e "s|@PAI@|$pai|" "$SIPP/callee_uas.xml" >"$T/uas_$class.xml"
  timeout 60 sipp -sf "$T/uas_$class.xml" -i 127.0.0.1 -p "$UASPORT" -m "$n" -nostdin \
    -trace_err -error_file "$T/uas_${mode}_$class.err" >/dev/null 2>&1 &
  local uas=$!
  sleep 0.3
  timeout 60 sipp -sf "$SIPP/proxy_uac.xml" -inf "$SIPP/$class.csv" -key uas_port "$UASPORT" \
    -i 127.0.0.1 -p 0 -m "$n" -r 20 "127.0.0.1:$KPORT" -timeout 30s -timeout_error -nostdin \
    -trace_err -error_file "$T/uac_${mode}_$class.err" >/dev/null 2>&1
  local rc_uac=$?
  wait $uas
  local rc_uas=$?
  if [ $rc_uac -eq 0 ] && [ $rc_uas -eq 0 ]; then
    ok "$mode: $class calls ($n) reach the callee with X-Callguard-Action: $action"
  else
    fail "$mode: $class calls ($n) reach the callee with X-Callguard-Action: $action (uac $rc_uac, uas $rc_uas)"
    head -c 600 "$T/uac_${mode}_$class.err" "$T/uas_${mode}_$class.err" 2>/dev/null
  fi
}

blocked_class() { # mode
  local mode=$1 n=$(($(wc -l <"$SIPP/blocked.csv") - 1))
  timeout 60 sipp -sf "$SIPP/proxy_uac_blocked.xml" -inf "$SIPP/blocked.csv" \
    -key uas_port "$UASPORT" -i 127.0.0.1 -p 0 -m "$n" -r 20 "127.0.0.1:$KPORT" -timeout 30s \
    -timeout_error -nostdin -trace_err -error_file "$T/uac_${mode}_blocked.err" >/dev/null 2>&1
  if [ $? -eq 0 ]; then
    ok "$mode: blocked calls ($n) rejected 603 with callguard's Reason, callee never rung"
  else
    fail "$mode: blocked calls ($n) rejected 603 with callguard's Reason"
    head -c 600 "$T/uac_${mode}_blocked.err"
  fi
}

run_mode() { # mode cfg define
  local mode=$1
  if ! start_kamailio "$2" "$3" "${4:-}"; then
    fail "$mode: kamailio did not start"
    tail -20 "$T/kamailio.log"
    return
  fi
  ok "$mode: kamailio started ($2)"
  call_class "$mode" allowed allow 'Call-ID'
  call_class "$mode" labelled label 'P-Asserted-Identity: .*verstat=Suspected-Scam'
  call_class "$mode" warned warn 'P-Asserted-Identity: .*verstat=Scam-Warning'
  blocked_class "$mode"
  kill "$KPID"
  wait "$KPID" 2>/dev/null
  [ $fails -ne 0 ] && tail -30 "$T/kamailio.log"
}

run_mode redirect "$SRC/deploy/kamailio/callguard-redirect.cfg" \
  "CALLGUARD=\"sip:127.0.0.1:$CGPORT\""
run_mode http "$SRC/deploy/kamailio/callguard-http.cfg" \
  "CALLGUARD_URL=\"http://127.0.0.1:$HTTPPORT/v1/screen\"" "CALLGUARD_TOKEN=\"$TOKEN\""

# callguard saw every call of both modes.
screened=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTPPORT/metrics" | sed -n 's/^callguard_screened_total //p')
want=$((2 * ($(cat "$SIPP"/{allowed,labelled,warned,blocked}.csv | grep -vc SEQUENTIAL))))
if [ "${screened:-0}" -ge "$want" ]; then
  ok "callguard screened every call ($screened >= $want)"
else
  fail "callguard screened every call (${screened:-0} < $want)"
  curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTPPORT/metrics" | grep fail_open
fi

echo
if [ $fails -ne 0 ]; then
  echo "kamailio_test: $fails failure(s)"
  exit 1
fi
echo "kamailio_test: all checks passed"
