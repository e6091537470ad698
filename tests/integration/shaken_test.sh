#!/usr/bin/env bash
# `callguard shaken sign|verify` end to end, with the certificate fetched for real from a local
# HTTPS server on loopback (a test CA made here), serving a good certificate, a slow one, a 404,
# an oversized body and a body that is not PEM.
# Usage: shaken_test.sh CALLGUARD SOURCE_DIR
set -uo pipefail
CG=$(realpath "$1")
SRC=$(realpath "$2")
source "$SRC/tests/integration/lib.sh"
require openssl python3 curl
K="$SRC/tests/data/shaken/asterisk"

# A TLS CA and a server certificate for 127.0.0.1 (the HTTPS side, not the STI PKI).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=test-tls-ca \
  -keyout "$T/tls-ca.key" -out "$T/tls-ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
  -keyout "$T/srv.key" -out "$T/srv.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/san.ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/tls-ca.pem" -CAkey "$T/tls-ca.key" -CAcreateserial \
  -days 2 -extfile "$T/san.ext" -out "$T/srv.pem" 2>/dev/null
mkdir -p "$T/www"
cp "$K/SPAST1-cert.pem" "$T/www/sp1.pem"
head -c 1048576 /dev/zero | tr '\0' 'A' >"$T/www/big.pem"
echo "this is not a certificate" >"$T/www/garbage.pem"

PORT=8443  # the x5u policy allows 443 and 8443 only
python3 - "$T/www" "$T/srv.pem" "$T/srv.key" "$PORT" >"$T/https.log" 2>&1 <<'EOF' &
import http.server, ssl, sys, time, os
root, cert, key, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow.pem":
            time.sleep(5)
        name = os.path.join(root, os.path.basename(self.path))
        if self.path == "/slow.pem":
            name = os.path.join(root, "sp1.pem")
        if not os.path.exists(name):
            self.send_response(404); self.end_headers(); return
        body = open(name, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-pem-file")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=60")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
EOF
PIDS+=($!)
for _ in $(seq 50); do grep -q ready "$T/https.log" && break; sleep 0.1; done
grep -q ready "$T/https.log" || { echo "FAIL the HTTPS server did not start"; cat "$T/https.log"; exit 1; }

invite() { # identity-header-value -> writes $T/inv.sip
  printf 'INVITE sip:+18005553434@example.org;user=phone SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\nFrom: <sip:+18005551212@example.net;user=phone>;tag=1\nTo: <sip:+18005553434@example.org;user=phone>\nCall-ID: shaken-test\nCSeq: 1 INVITE\nIdentity: %s\nContent-Length: 0\n\n' "$1" >"$T/inv.sip"
}
sign() { # path
  "$CG" shaken sign --key "$K/SPAST1-key.pem" --x5u "https://127.0.0.1:$PORT/$1" --attest A \
    --orig +18005551212 --dest +18005553434
}
verify() { # extra args...
  "$CG" shaken verify --invite "$T/inv.sip" --trust-anchor "$K/astdev-ca.crt" --tls-ca "$T/tls-ca.pem" \
    --allow-private-x5u --fetch-timeout 1 "$@"
}
expect() { # description json-fragment... (all must appear)
  local what=$1 out=$2
  shift 2
  for frag in "$@"; do
    if ! grep -qF -- "$frag" <<<"$out"; then
      fail "$what: no $frag in $out"
      return
    fi
  done
  ok "$what"
}

id=$(sign sp1.pem)
check "sign prints token;info=<x5u>;alg=ES256;ppt=shaken" \
  grep -q ";info=<https://127.0.0.1:$PORT/sp1.pem>;alg=ES256;ppt=shaken$" <<<"$id"
invite "$id"
out=$(verify)
expect "fetched over HTTPS, verified: pass" "$out" '"result":"pass"' '"sip_code":null' \
  '"verstat":"TN-Validation-Passed"' '"attest":"A"'
out=$("$CG" shaken verify --invite "$T/inv.sip" --trust-anchor "$K/astdev-ca.crt" \
  --tls-ca "$T/tls-ca.pem" --fetch-timeout 1)
expect "without --allow-private-x5u a loopback x5u is refused" "$out" '"sip_code":436' 'private or local'
out=$("$CG" shaken verify --invite "$T/inv.sip" --trust-anchor "$K/astdev-ca.crt" \
  --allow-private-x5u --fetch-timeout 1)
expect "a server certificate from an unknown TLS CA is refused" "$out" '"sip_code":436' 'fetch failed'
out=$(verify --cert "https://127.0.0.1:$PORT/sp1.pem=$K/SPAST2-cert.pem")
expect "--cert pins the URL (another SP's certificate: bad signature)" "$out" '"sip_code":438'
out=$(verify --trust-anchor "$K/astdev-ca-expired.crt" --cert "https://127.0.0.1:$PORT/sp1.pem=$K/SPAST1-caexp-cert.pem")
expect "certificate from the expired CA: 437" "$out" '"sip_code":437' 'not trusted'
for case in "missing.pem:HTTP 404" "big.pem:larger than" "garbage.pem:not a PEM" "slow.pem:fetch failed"; do
  path=${case%%:*}
  want=${case#*:}
  invite "$(sign "$path")"
  start=$(date +%s%N)
  out=$(verify)
  ms=$((($(date +%s%N) - start) / 1000000))
  expect "x5u $path: 436 ($want) in ${ms} ms" "$out" '"sip_code":436' "$want"
done
[ "$ms" -lt 4000 ] && ok "the slow server was given up after the timeout" ||
  fail "the slow server held verification for $ms ms"
invite "$id"
out=$(verify --now $(($(date +%s) + 3600)))
expect "an hour later the same INVITE is stale: 403" "$out" '"sip_code":403' '"reason":"Stale Date"'
"$CG" shaken verify --invite "$T/inv.sip" --freshness soon >/dev/null 2>"$T/usage.err"
rc=$?
check "a non-numeric option is a usage error naming it (exit 2)" \
  bash -c "[ $rc = 2 ] && grep -q -- '--freshness: expected a number' '$T/usage.err'"
printf 'garbage\n' >"$T/inv.sip"
out=$(verify)
expect "not a SIP request: a JSON answer, exit 0" "$out" '"result":"fail"' '"sip_code":400'

# --- serve: each INVITE's Identity is verified; the outcome is evidence and X-Callguard-Verstat.
cat >"$T/serve.yaml" <<EOF
version: 1
serve:
  sip: [udp://127.0.0.1:0]
  http: 127.0.0.1:0
shaken:
  trust_anchors: [$K/astdev-ca.crt]
  tls_ca_file: $T/tls-ca.pem
  allow_private_x5u: true
  fetch_timeout: 1s
EOF
TOKEN=$("$CG" token create --config "$T/serve.yaml" --role admin 2>/dev/null)
"$CG" serve --config "$T/serve.yaml" >"$T/serve.out" 2>"$T/serve.err" &
SPID=$!
PIDS+=($SPID)
for _ in $(seq 50); do grep -q '^listening http' "$T/serve.out" 2>/dev/null && break; sleep 0.1; done
UDP=$(sed -n 's|^listening sip udp://127.0.0.1:||p' "$T/serve.out")
HTTP=$(sed -n 's|^listening http 127.0.0.1:||p' "$T/serve.out")
sip_answer() { # identity call-id -> the answer's headers
  python3 - "$UDP" "$1" "$2" <<'PY'
import socket, sys
port, ident, cid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = ("INVITE sip:+18005553434@127.0.0.1:5090;user=phone SIP/2.0\r\n"
     f"Via: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK{cid}\r\n"
     "From: <sip:+18005551212@example.net;user=phone>;tag=1\r\n"
     "To: <sip:+18005553434@example.org;user=phone>\r\n"
     f"Call-ID: {cid}\r\nCSeq: 1 INVITE\r\nX-Callguard-Ingress: voip\r\n"
     f"Identity: {ident}\r\nContent-Length: 0\r\n\r\n").encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(m, ("127.0.0.1", port))
print(s.recv(65536).decode())
PY
}
id=$(sign sp1.pem)
out=$(sip_answer "$id" sh1)
expect "serve: first INVITE answered at once, certificate not cached yet" "$out" \
  "X-Callguard-Verstat: No-TN-Validation" "SIP/2.0 302"
sleep 0.5
out=$(sip_answer "$id" sh2)
expect "serve: once fetched, the signature verifies (attest A lowers the risk)" "$out" \
  "X-Callguard-Verstat: TN-Validation-Passed" "X-Callguard-Action: allow" \
  "verstat%3DTN-Validation-Passed%3E>"
forged=$("$CG" shaken sign --key "$K/SPAST2-key.pem" --x5u "https://127.0.0.1:$PORT/sp1.pem" \
  --attest A --orig +18005551212 --dest +18005553434)
out=$(sip_answer "$forged" sh3)
expect "serve: a forged signature is evidence, with its reason" "$out" \
  "X-Callguard-Verstat: TN-Validation-Failed" "X-Callguard-Reason: shaken_verification_failed"
v=$(curl -s -H "Authorization: Bearer $TOKEN" -XPOST "http://127.0.0.1:$HTTP/v1/screen" \
  -d "{\"caller\":\"+18005551212\",\"callee\":\"+18005553434\",\"ingress\":\"voip\",\"identity\":\"$id\"}")
expect "POST /v1/screen verifies the identity field" "$v" '"code":"attest_a_verified"'
m=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTP/metrics")
expect "metrics count verification outcomes" "$m" \
  'callguard_shaken_verifications_total{verstat="TN-Validation-Passed"} 1' \
  'callguard_shaken_verifications_total{verstat="TN-Validation-Failed"} 1'

# --- serve: the origid of a verified PASSporT joins the call's record (by Call-ID), and the
# grouping links two spoofed caller IDs placed through one originating account by it alone.
ORIGID=5b1a8f0e-2c4d-4e6f-8a9b-0c1d2e3f4a5b
invite_from() { # identity call-id from to -> the answer
  python3 - "$UDP" "$@" <<'PY'
import socket, sys
port, ident, cid, frm, to = int(sys.argv[1]), *sys.argv[2:6]
m = (f"INVITE sip:{to}@127.0.0.1:5090;user=phone SIP/2.0\r\n"
     f"Via: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK{cid}\r\n"
     f"From: <sip:{frm}@example.net;user=phone>;tag=1\r\n"
     f"To: <sip:{to}@example.org;user=phone>\r\n"
     f"Call-ID: {cid}\r\nCSeq: 1 INVITE\r\nX-Callguard-Ingress: international\r\n"
     f"Identity: {ident}\r\nContent-Length: 0\r\n\r\n").encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(m, ("127.0.0.1", port))
print(s.recv(65536).decode())
PY
}
now=$(date -u +%s)
rows="call_id,start_time,caller,callee,answered,duration_s,ring_s,ingress,origin_country"
for i in 1 2; do
  from=+861381234000$i
  for k in 1 2 3; do
    to=+86139987650$i$k
    tok=$("$CG" shaken sign --key "$K/SPAST1-key.pem" --x5u "https://127.0.0.1:$PORT/sp1.pem"       --attest C --orig "$from" --dest "$to" --origid "$ORIGID")
    out=$(invite_from "$tok" "og-$i-$k" "$from" "$to")
    grep -qF "X-Callguard-Verstat: TN-Validation-Passed" <<<"$out" ||
      fail "origid INVITE og-$i-$k did not verify: $out"
    rows+=$'\n'"og-$i-$k,$(date -u -d "@$((now - 600 + 60 * k + i))" +%Y-%m-%dT%H:%M:%SZ),$from,$to,0,0,20,international,KH"
  done
done
printf '%s\n' "$rows" | curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/csv' \
  -XPOST "http://127.0.0.1:$HTTP/v1/cdr" --data-binary @- >"$T/og-cdr.json"
check "origid: the call records (no origid column) are accepted" grep -q '"accepted":6' "$T/og-cdr.json"
for _ in $(seq 50); do
  m=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTP/metrics")
  grep -q '^callguard_origid_joined_total 6' <<<"$m" && break
  sleep 0.1
done
expect "origid: verified origids noted at screening (the 2 earlier calls too), 6 joined to records" \
  "$m" 'callguard_origid_noted_total 8' 'callguard_origid_joined_total 6'
curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -XPOST "http://127.0.0.1:$HTTP/v1/operations/refresh" -d '{}' >/dev/null
curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTP/v1/operations" >"$T/og-ops.json"
op=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['operations'][0]['id'])" "$T/og-ops.json")
curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$HTTP/v1/operations/$op" >"$T/og-op.json"
python3 - "$T/og-op.json" "$ORIGID" <<'PY' && ok "origid: the two caller IDs form one operation, linked by origid alone" || fail "origid: no operation linked by origid ($(head -c 600 "$T/og-op.json"))"
import json, sys
op, origid = json.load(open(sys.argv[1])), sys.argv[2]
want = {"+8613812340001", "+8613812340002"}
assert set(op["members"]) == want, op["members"]
assert op["origids"] == {origid: 6}, op["origids"]
link = next(l for l in op["links"] if {l["a"], l["b"]} == want)
kinds = [e["kind"] for e in link["evidence"]]
assert kinds == ["origid"], kinds
assert link["evidence"][0]["strong"] is True
PY
kill -TERM $SPID
wait $SPID

echo
if [ $fails -ne 0 ]; then
  echo "shaken_test: $fails failure(s)"
  exit 1
fi
echo "shaken_test: all checks passed"
