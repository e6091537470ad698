#!/usr/bin/env bash
# The HTTP API against its OpenAPI document, access control, bad input, rate limits, the audit
# log, TLS, crash durability (kill -9) and the PostgreSQL store, with real curl, Node.js,
# OpenSSL and PostgreSQL.  usage: api_test.sh <callguard> <source dir> <build dir>
set -u
CG=$1
SRC=$2
BUILD=$3
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
require curl python3 node openssl

cat >"$T/api.yaml" <<'YAML'
version: 1
serve:
  sip: [udp://127.0.0.1:0]
  http: 127.0.0.1:0
  state: state.snap
  snapshot_interval: 2s
store:
  data_dir: data
api:
  token_cache: 1s
  public_rate_per_minute: 30
  public_burst: 40
  max_json_bytes: 4096
  max_field_chars: 500
  read_timeout: 2s
YAML

tok() { "$CG" token create --config "$T/api.yaml" --role "$1" --name "$1-test" 2>/dev/null; }
ADMIN=$(tok admin)
ANALYST=$(tok analyst)
SCREEN=$(tok screening)
PARTNER=$(tok partner)
check "tokens created for every role" test -n "$ADMIN" -a -n "$ANALYST" -a -n "$SCREEN" -a -n "$PARTNER"
check "token list shows ids and roles, never the secrets" \
  bash -c "\"$CG\" token list --config \"$T/api.yaml\" | grep -q 'analyst-test' && ! \"$CG\" token list --config \"$T/api.yaml\" | grep -q \"$ANALYST\""
check "the store keeps only hashes of tokens" \
  bash -c "! grep -q \"$ANALYST\" \"$T/data/callguard.db\"* 2>/dev/null"

start() { # config out-log -> sets HTTP, PID
  "$CG" serve --config "$1" >"$2" 2>"$2.err" &
  PID=$!
  PIDS+=($PID)
  for _ in $(seq 100); do grep -q '^listening http' "$2" 2>/dev/null && break; sleep 0.1; done
  HTTP=$(sed -n 's|^listening https\{0,1\} 127.0.0.1:||p' "$2")
  H="http://127.0.0.1:$HTTP"
  [ -n "$HTTP" ]
}
check "serve starts" start "$T/api.yaml" "$T/out.log"
H="http://127.0.0.1:$HTTP"
req() { # method path token [body] -> "status body"
  local args=(-s -o "$T/body" -w '%{http_code}' -X "$1" "$H$2")
  [ -n "$3" ] && args+=(-H "Authorization: Bearer $3")
  [ $# -ge 4 ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
  local code
  code=$(curl "${args[@]}")
  echo "$code $(cat "$T/body")"
}
expect() { # description "status code" method path token [body]
  local what=$1 want=$2
  shift 2
  local got
  got=$(req "$@")
  local status=${got%% *} body=${got#* }
  local code
  code=$(echo "$body" | python3 -c 'import json,sys
try: print(json.load(sys.stdin)["error"]["code"])
except Exception: print("-")' 2>/dev/null)
  if [ "$status $code" = "$want" ]; then ok "$what"; else fail "$what: got $status $code: ${body:0:200}"; fi
}
metric() { curl -s -H "Authorization: Bearer $ADMIN" "$H/metrics" | sed -n "s/^$1 //p"; }

# --- the OpenAPI document against the server
env NODE_PATH="$BUILD/web-npm/node_modules" CG_URL="$H" OPENAPI="$SRC/docs/api/openapi.yaml" \
  CG_TOKENS="{\"admin\":\"$ADMIN\",\"analyst\":\"$ANALYST\",\"screening\":\"$SCREEN\",\"partner\":\"$PARTNER\"}" \
  node "$SRC/tests/web/openapi_test.cjs" || fails=$((fails + 1))

# --- bad input: a clear 4xx, counted, nothing changed
lists_before=$(req GET /v1/lists "$ANALYST" | python3 -c 'import json,sys; print(len(json.loads(sys.stdin.read().split(" ",1)[1])["entries"]))')
bad0=$(metric callguard_http_bad_requests_total)
expect "malformed JSON" "400 bad_json" POST /v1/feedback "$ANALYST" '{"number": "+85512345678",'
expect "a JSON array instead of an object" "400 bad_json" POST /v1/lists "$ANALYST" '[1,2]'
expect "wrong type" "400 bad_field" POST /v1/feedback "$ANALYST" '{"number": 85512345678, "verdict": "scam"}'
expect "wrong enum value" "400 bad_field" POST /v1/feedback "$ANALYST" '{"number": "+85512345678", "verdict": "maybe"}'
expect "missing field" "400 missing_field" POST /v1/appeals "" '{"number": "+85512345678", "contact": "x"}'
expect "unknown field" "400 unknown_field" POST /v1/lists "$ANALYST" '{"kind":"block","type":"number","value":"+85512345678","colour":"red"}'
long=$(python3 -c 'print("x" * 600)')
expect "over-long field" "400 field_too_long" POST /v1/reports "" "{\"number\":\"+85512345678\",\"category\":\"other\",\"description\":\"$long\"}"
huge=$(python3 -c 'import json; print(json.dumps({"number":"+85512345678","verdict":"scam","note":"y"*100000}))')
expect "huge body" "413 too_large" POST /v1/feedback "$ANALYST" "$huge"
expect "not a number" "400 bad_number" GET /v1/numbers/hello "$ANALYST"
expect "an over-long number" "400 bad_number" GET "/v1/numbers/$(python3 -c 'print("1"*60)')" "$ANALYST"
expect "a bad list value" "400 bad_field" POST /v1/lists "$ANALYST" '{"kind":"block","type":"cidr","value":"10.0.0.0/99"}'
expect "expires_at and ttl_s together" "400 bad_field" POST /v1/lists "$ANALYST" '{"kind":"block","type":"trunk","value":"t","ttl_s":5,"expires_at":"2030-01-01T00:00:00Z"}'
expect "a bad query parameter" "400 bad_parameter" GET "/v1/overview?minutes=-5" "$ANALYST"
expect "SQL in a number" "400 bad_number" POST /v1/feedback "$ANALYST" "{\"number\":\"'; DROP TABLE feedback; --\",\"verdict\":\"scam\"}"
expect "SQL in a query parameter" "400 bad_parameter" GET "/v1/lists?kind=block%27%20OR%20%271%27%3D%271" "$ANALYST"
r=$(req GET "/v1/audit?target=%27%20OR%20%271%27%3D%271" "$ADMIN")
check "SQL in an audit filter matches nothing (not everything)" bash -c "echo '${r#* }' | grep -q '\"entries\":\[\]'"
expect "an invalid token" "401 invalid_token" GET /v1/overview "cg_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
expect "a malformed Authorization header" "401 invalid_token" GET /v1/overview "'; DROP TABLE tokens; --"
expect "no token" "401 unauthorized" GET /v1/overview ""
expect "the wrong role" "403 forbidden" POST /v1/feedback "$PARTNER" '{"number":"+85512345678","verdict":"scam"}'
expect "deciding an unknown appeal" "404 not_found" POST /v1/appeals/ap_nope/decision "$ANALYST" '{"decision":"upheld"}'
expect "removing an unknown list entry" "404 not_found" DELETE /v1/lists/999999 "$ANALYST"
bad1=$(metric callguard_http_bad_requests_total)
check "bad requests are counted ($bad0 -> $bad1)" test "$bad1" -ge $((bad0 + 10))
check "unauthorized requests are counted" test "$(metric callguard_http_unauthorized_total)" -ge 3
lists_after=$(req GET /v1/lists "$ANALYST" | python3 -c 'import json,sys; print(len(json.loads(sys.stdin.read().split(" ",1)[1])["entries"]))')
check "bad input changed no list ($lists_before -> $lists_after)" test "$lists_before" = "$lists_after"
check "the server still answers after all that" bash -c "curl -sf $H/healthz >/dev/null"

# A slow client is dropped after api.read_timeout; others are served meanwhile.
check "a slow client is dropped after the read timeout, others are served meanwhile" python3 - "$HTTP" <<'PY'
import socket, sys, time, urllib.request
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST /v1/reports HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"num")
t0 = time.time()
assert urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status == 200
s.settimeout(10)
try:
    data = s.recv(4096)
except ConnectionResetError:
    data = b""
took = time.time() - t0
print(f"     slow client closed after {took:.1f} s with {data[:12]!r}")
sys.exit(0 if took < 6 and (data == b"" or data.startswith(b"HTTP/1.1 4")) else 1)
PY

# SQL-shaped text where text is allowed is stored as text.
evil="x'); DROP TABLE list_entries; --"
r=$(req POST /v1/lists "$ANALYST" "{\"kind\":\"block\",\"type\":\"trunk\",\"value\":\"$evil\",\"ttl_s\":60}")
check "SQL-shaped trunk name stored verbatim" bash -c "echo '${r%% *}' | grep -q 201"
r=$(curl -s -G -H "Authorization: Bearer $ANALYST" "$H/v1/lists" --data-urlencode "value=$evil")
check "and found again exactly, the table intact" bash -c "echo \"\$1\" | grep -q 'DROP TABLE list_entries'" _ "$r"

# --- the audit log: who read which number, when
rr=$(req GET "/v1/numbers/+85512345678" "$ANALYST")
aid=$("$CG" token list --config "$T/api.yaml" | awk '/analyst-test/{print $1}')
r=$(curl -s -G -H "Authorization: Bearer $ADMIN" "$H/v1/audit" --data-urlencode "target=+85512345678")
check "a number read is in the audit log with the reader's token id ($aid)" \
  bash -c "echo '$r' | grep -q '\"actor\":\"$aid\"' && echo '$r' | grep -q 'GET /v1/numbers/{number}'"
expect "only admins read the audit log" "403 forbidden" GET /v1/audit "$ANALYST"

# --- revoking a token takes effect within api.token_cache
pid_tok=$("$CG" token list --config "$T/api.yaml" | awk '/partner-test/{print $1}')
expect "partner reads indicators" "200 -" GET /v1/indicators "$PARTNER"
"$CG" token revoke "$pid_tok" --config "$T/api.yaml" 2>/dev/null
sleep 1.5
expect "a revoked token is refused within token_cache" "401 invalid_token" GET /v1/indicators "$PARTNER"

# --- feedback and appeals change screening at once
scr() { curl -s -H "Authorization: Bearer $SCREEN" -XPOST "$H/v1/screen" -d "{\"caller\":\"$1\",\"callee\":\"+8613900139000\",\"ingress\":\"mobile\"}"; }
# Right after a start, a screening may miss the deadline while the engine warms up and is let
# through unscreened (fail_open_deadline, by design): ask again until a screened verdict comes.
scr_settled() {
  local v
  for _ in $(seq 20); do
    v=$(scr "$1")
    grep -q '"code":"fail_open_' <<<"$v" || break
    sleep 0.2
  done
  echo "$v"
}
n=+8613500135000
check "before: $n is allowed" bash -c "echo '$(scr $n)' | grep -q '\"action\":\"allow\"'"
req POST /v1/feedback "$ANALYST" "{\"number\":\"$n\",\"verdict\":\"scam\",\"note\":\"api test\"}" >/dev/null
check "confirmed: $n is blocked by the next call" bash -c "echo '$(scr $n)' | grep -q '\"action\":\"block\"'"
ap=$(req POST /v1/appeals "" "{\"number\":\"$n\",\"contact\":\"x@y.z\",\"reason\":\"I am a plumber\"}" | sed 's/^[0-9]* //' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
req POST "/v1/appeals/$ap/decision" "$ANALYST" '{"decision":"cleared","note":"checked"}' >/dev/null
check "appeal cleared: $n is allowed by the next call" bash -c "echo '$(scr $n)' | grep -q 'allowlist_number'"

# --- public endpoints are rate-limited per source address
codes=$(for i in $(seq 60); do curl -s -o /dev/null -w '%{http_code}\n' -XPOST "$H/v1/reports" \
  -d "{\"number\":\"+85512345678\",\"category\":\"impersonation\",\"description\":\"r$i\"}"; done | sort | uniq -c)
echo "$codes" | sed 's/^/     /'
check "a burst of public reports is cut off with 429" bash -c "echo '$codes' | grep -q ' 429'"
check "and the first ones were accepted" bash -c "echo '$codes' | grep -q ' 201'"
check "rate-limited requests are counted" test "$(metric callguard_http_rate_limited_total)" -gt 0
expect "a token holder is not rate-limited" "201 -" POST /v1/reports "$ANALYST" '{"number":"+85512345678","category":"other"}'

# --- kill -9: the store loses nothing; learned behaviour loses at most one snapshot interval
burst=$(python3 - <<'PY'
import datetime
t0 = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
print("call_id,start_time,caller,callee,answered,duration_s,ring_s,ingress")
for i in range(150):
    t = (t0 + datetime.timedelta(seconds=2 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"k{i},{t},+8617100000077,+86139{i:08d},{int(i % 5 == 0)},{5 if i % 5 == 0 else 0},8,mobile")
PY
)
r=$(echo "$burst" | curl -s -H "Authorization: Bearer $SCREEN" -XPOST "$H/v1/cdr" --data-binary @-)
check "a form-encoded call-record file over 8 KiB is refused with a hint" bash -c "echo '$r' | grep -q 'text/csv'"
r=$(echo "$burst" | curl -s -H "Authorization: Bearer $SCREEN" -H 'Content-Type: text/csv' -XPOST "$H/v1/cdr" --data-binary @-)
check "150 records to learn from accepted" bash -c "echo '$r' | grep -q '\"accepted\":150'"
# Two periodic snapshots after the records were accepted: the later one surely holds them.
s0=$(metric callguard_snapshots_total)
for _ in $(seq 60); do
  s=$(metric callguard_snapshots_total)
  [ "${s:-0}" -ge $((s0 + 2)) ] && break
  sleep 0.2
done
req POST /v1/lists "$ANALYST" '{"kind":"block","type":"number","value":"+8613600136000","note":"just before the crash"}' >/dev/null
kill -9 "$PID"
wait "$PID" 2>/dev/null
check "restart after kill -9" start "$T/api.yaml" "$T/out2.log"
H="http://127.0.0.1:$HTTP"
r=$(req GET "/v1/numbers/+8617100000077" "$ANALYST")
check "learned behaviour from before the last snapshot survived kill -9" \
  bash -c "echo '${r#* }' | python3 -c 'import json,sys; p=json.load(sys.stdin)[\"engine\"][\"profile\"]; sys.exit(0 if p and p[\"attempts\"][\"long\"] > 100 else 1)'"
check "a list entry written just before kill -9 is in force" bash -c "echo '$(scr_settled +8613600136000)' | grep -q '\"action\":\"block\"'"
check "the cleared appeal survived" bash -c "echo '$(scr $n)' | grep -q 'allowlist_number'"
r=$(req GET "/v1/appeals/$ap" "$ANALYST")
check "the appeal's decision survived" bash -c "echo '${r#* }' | grep -q '\"status\":\"cleared\"'"
kill -TERM "$PID"
wait "$PID"

# --- TLS for the HTTP listener
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
sed "s|^api:|api:\n  tls_cert: $T/cert.pem\n  tls_key: $T/key.pem|" "$T/api.yaml" >"$T/tls.yaml"
check "serve starts with TLS" start "$T/tls.yaml" "$T/tls.log"
check "it says https" grep -q '^listening https' "$T/tls.log"
check "HTTPS with the certificate: whoami" \
  bash -c "curl -sf --cacert '$T/cert.pem' -H 'Authorization: Bearer $ANALYST' https://127.0.0.1:$HTTP/v1/whoami | grep -q analyst"
check "plain HTTP is not served on the TLS port" bash -c "! curl -sf http://127.0.0.1:$HTTP/healthz"
sed "s|tls_key: .*|tls_key: $T/nothing.pem|" "$T/tls.yaml" >"$T/badtls.yaml"
check "a missing key file is a clear start-up error" \
  bash -c "! '$CG' serve --config '$T/badtls.yaml' 2>&1 | grep -q 'api.tls_cert/api.tls_key: cannot load'; '$CG' serve --config '$T/badtls.yaml' 2>&1 | grep -q 'cannot load'"
kill -TERM "$PID"
wait "$PID"

# --- the same service on PostgreSQL
pg_start
trap 'pg_stop; cleanup' EXIT
PGTOKEN=$("$CG" token create --store "$PG_URL" --role analyst 2>/dev/null)
PGSCREEN=$("$CG" token create --store "$PG_URL" --role screening 2>/dev/null)
sed "s|^store:|store:\n  url: \"$PG_URL\"|" "$T/api.yaml" | sed 's|state: state.snap|state: pgstate.snap|' >"$T/pg.yaml"
check "serve starts on PostgreSQL" start "$T/pg.yaml" "$T/pg.log"
check "it says so" grep -q 'store postgresql (schema v[0-9]*)' "$T/pg.log.err"
H="http://127.0.0.1:$HTTP"
SCREEN=$PGSCREEN
req POST /v1/feedback "$PGTOKEN" '{"number":"+8613700137000","verdict":"scam"}' >/dev/null
check "PostgreSQL: feedback blocks the number" bash -c "echo '$(scr +8613700137000)' | grep -q '\"action\":\"block\"'"
sleep 0.5
rows=$(psql "$PG_URL" -Atc "SELECT (SELECT COUNT(*) FROM feedback), (SELECT COUNT(*) FROM verdicts WHERE action = 'block'), (SELECT COUNT(*) FROM tokens)")
check "PostgreSQL holds the feedback, the verdict trail and the token hashes ($rows)" test "$rows" = "1|1|2"
kill -9 "$PID"
wait "$PID" 2>/dev/null
check "PostgreSQL: restart after kill -9" start "$T/pg.yaml" "$T/pg2.log"
check "PostgreSQL: the block is still in force" bash -c "echo '$(scr_settled +8613700137000)' | grep -q '\"action\":\"block\"'"
kill -TERM "$PID"
wait "$PID"
exit $((fails > 0))
