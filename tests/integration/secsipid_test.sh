#!/usr/bin/env bash
# Interoperability with a real peer: Kamailio 5.6's secsipid module (libsecsipid) on loopback.
#   secsipid signs (secsipid_build_identity) -> callguard shaken verify: pass;
#   callguard shaken sign -> secsipid_check_identity: verified; a forged one: rejected.
# Usage: secsipid_test.sh CALLGUARD SOURCE_DIR
set -uo pipefail
CG=$(realpath "$1")
SRC=$(realpath "$2")
source "$SRC/tests/integration/lib.sh"
require kamailio python3 openssl
[ -f /usr/lib/x86_64-linux-gnu/kamailio/modules/secsipid.so ] ||
  { echo "FAIL kamailio-secsipid-modules is not installed (make deps)"; exit 1; }
K="$SRC/tests/data/shaken/asterisk"
X5U=https://certs.example.org/sp1.pem
openssl x509 -pubkey -noout -in "$K/SPAST1-cert.pem" >"$T/sp1-pub.pem"
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cat >"$T/secsipid.cfg" <<EOF
#!KAMAILIO
# A STIR/SHAKEN peer: signs INVITEs marked "X-Test: sign" (the Identity value comes back in
# X-Identity of a 200), verifies every other INVITE's Identity (200 or 438).
debug=2
log_stderror=yes
children=1
auto_aliases=no
loadmodule "sl.so"
loadmodule "textops.so"
loadmodule "pv.so"
loadmodule "secsipid.so"
modparam("secsipid", "expire", 300)
request_route {
  if (!is_method("INVITE")) exit;
  if (\$hdr(X-Test) == "sign") {
    if (secsipid_build_identity("\$fU", "\$rU", "A", "", "$X5U", "$K/SPAST1-key.pem")) {
      append_to_reply("X-Identity: \$secsipid(val)\r\n");
      sl_send_reply("200", "Signed");
    } else {
      sl_send_reply("500", "Sign failed");
    }
    exit;
  }
  if (secsipid_check_identity("$T/sp1-pub.pem")) {
    sl_send_reply("200", "Verified");
  } else {
    sl_send_reply("438", "Invalid Identity Header");
  }
  exit;
}
EOF
kamailio -DD -E -f "$T/secsipid.cfg" -l "udp:127.0.0.1:$PORT" -Y "$T" -w "$T" >"$T/kamailio.log" 2>&1 &
PIDS+=($!)
send() { # call-id extra-header-lines -> the answer
  python3 - "$PORT" "$1" "$2" <<'PY'
import socket, sys
port, cid, extra = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = ("INVITE sip:18005553434@127.0.0.1 SIP/2.0\r\n"
     f"Via: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK{cid};rport\r\n"
     "From: <sip:18005551212@example.net>;tag=1\r\nTo: <sip:18005553434@example.org>\r\n"
     f"Call-ID: {cid}\r\nCSeq: 1 INVITE\r\n{extra}Content-Length: 0\r\n\r\n").encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
for _ in range(20):  # Kamailio may still be starting
    s.sendto(m, ("127.0.0.1", port))
    try:
        print(s.recv(65536).decode()); break
    except socket.timeout:
        pass
PY
}

# secsipid signs, callguard verifies.
answer=$(send k1 $'X-Test: sign\r\n')
id=$(sed -n 's/^X-Identity: //p' <<<"$answer" | tr -d '\r')
check "secsipid signed an Identity" test -n "$id"
printf 'INVITE sip:18005553434@example.org SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\nFrom: <sip:18005551212@example.net>;tag=1\nTo: <sip:18005553434@example.org>\nCall-ID: k1\nCSeq: 1 INVITE\nIdentity: %s\nContent-Length: 0\n\n' "$id" >"$T/inv.sip"
out=$("$CG" shaken verify --invite "$T/inv.sip" --trust-anchor "$K/astdev-ca.crt" --cert "$X5U=$K/SPAST1-cert.pem")
check "callguard verifies secsipid's Identity: $out" grep -q '"result":"pass"' <<<"$out"

# callguard signs, secsipid verifies; a forgery (another SP's key) is rejected by both.
good=$("$CG" shaken sign --key "$K/SPAST1-key.pem" --x5u "$X5U" --attest A --orig 18005551212 --dest 18005553434)
forged=$("$CG" shaken sign --key "$K/SPAST2-key.pem" --x5u "$X5U" --attest A --orig 18005551212 --dest 18005553434)
answer=$(send k2 "Identity: $good"$'\r\n')
check "secsipid verifies callguard's Identity" grep -q "^SIP/2.0 200 Verified" <<<"$answer"
answer=$(send k3 "Identity: $forged"$'\r\n')
check "secsipid rejects a forged Identity" grep -q "^SIP/2.0 438" <<<"$answer"
sed -i "s|^Identity: .*|Identity: $forged|" "$T/inv.sip"
out=$("$CG" shaken verify --invite "$T/inv.sip" --trust-anchor "$K/astdev-ca.crt" --cert "$X5U=$K/SPAST1-cert.pem")
check "callguard rejects the same forgery (438)" grep -q '"sip_code":438' <<<"$out"

echo
if [ $fails -ne 0 ]; then
  echo "secsipid_test: $fails failure(s)"
  tail -20 "$T/kamailio.log"
  exit 1
fi
echo "secsipid_test: all checks passed"
