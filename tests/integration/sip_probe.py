#!/usr/bin/env python3
"""Probes a running `callguard serve` with what SIPp cannot send: retransmissions, malformed,
truncated, binary and oversized messages, a TCP peer that stalls mid-message, and a flood of TCP
connections. Each probe checks the answer (or the lack of one) and that the service still serves
everyone else afterwards. Usage: sip_probe.py UDP_PORT TCP_PORT HTTP_PORT. Exit 1 on a failure."""
import socket
import sys
import time
import os
import urllib.request

UDP, TCP, HTTP = (int(a) for a in sys.argv[1:4])
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def invite(cid, caller="13800138000", callee="13900139000", extra="", cl=True):
    m = (f"INVITE sip:{callee}@127.0.0.1:5090 SIP/2.0\r\n"
         f"Via: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bK{cid}\r\n"
         f"From: <sip:{caller}@example.net>;tag={cid}\r\nTo: <sip:{callee}@example.net>\r\n"
         f"Call-ID: {cid}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n{extra}")
    return (m + ("Content-Length: 0\r\n" if cl else "") + "\r\n").encode()


def udp(msg, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(msg, ("127.0.0.1", UDP))
    try:
        return s.recv(65536).decode(errors="replace")
    except socket.timeout:
        return ""
    finally:
        s.close()


def tcp(msg, timeout=2.0):
    s = socket.create_connection(("127.0.0.1", TCP), timeout=timeout)
    s.sendall(msg)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    s.close()
    return data.decode(errors="replace")


def metric(name):
    req = urllib.request.Request(f"http://127.0.0.1:{HTTP}/metrics",
                                 headers={"Authorization": "Bearer " + os.environ["CG_TOKEN"]})
    text = urllib.request.urlopen(req).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def code(answer):
    return int(answer[8:11]) if answer.startswith("SIP/2.0 ") else 0


def still_serving(what):
    tag = "".join(ch if ch.isalnum() else "-" for ch in what)
    check(code(udp(invite("alive-u-" + tag))) == 302, f"UDP still answered after {what}")
    check(code(tcp(invite("alive-t-" + tag))) == 302, f"TCP still answered after {what}")


# Retransmission: the same INVITE twice gets the same answer; it is counted, not rescored.
before = metric("callguard_screened_total")
rtx = f"rtx{int(time.time() * 1000)}"
a = udp(invite(rtx, caller="110", extra="X-Callguard-Ingress: international\r\n"))
b = udp(invite(rtx, caller="110", extra="X-Callguard-Ingress: international\r\n"))
check(code(a) == 603 and a == b, "retransmitted INVITE gets the identical 603")
check(metric("callguard_screened_total") == before + 1, "retransmission not scored twice")
check(metric("callguard_sip_retransmissions_total") >= 1, "retransmission counted")

# Malformed and binary datagrams.
parse_errors_before = sum(metric(f'callguard_sip_parse_errors_total{{error="{e}"}}') or 0
                          for e in ["bad_start_line", "bad_header", "missing_header"])
check(udp(bytes(range(256)) * 4) == "", "binary datagram: no answer")
check(udp(invite("trunc")[:60]) == "", "truncated INVITE (no Via/Call-ID yet): no answer")
bad = invite("novalue").replace(b"Max-Forwards: 70\r\n", b"Max-Forwards:\r\nContact:\r\n")
check(code(udp(bad)) == 400, "headers without values: 400")
check(code(udp(invite("clbig").replace(b"Content-Length: 0", b"Content-Length: 500"))) == 400,
      "Content-Length beyond the datagram: 400")
check(udp(b"\r\n\r\n") == "", "CRLF keep-alive: no answer")
still_serving("malformed datagrams")

# Oversized: a TCP message over 64 KiB is refused and the connection closed.
big = invite("big", extra="X-Padding: " + "a" * 70000 + "\r\n")
check(tcp(big) == "", "TCP message over 64 KiB: connection closed, no answer")
check(metric("callguard_sip_oversized_total") >= 1, "oversized message counted")
still_serving("an oversized message")

# A TCP peer that sends half a message and stalls, while others are served.
stall = socket.create_connection(("127.0.0.1", TCP))
stall.sendall(invite("stall")[:100])
still_serving("a stalled TCP peer (while it stalls)")
time.sleep(3.5)  # tcp_idle_timeout is 2 s in the test config
stall.settimeout(1)
try:
    closed = stall.recv(10) == b""
except (ConnectionResetError, socket.timeout):
    closed = False
check(closed, "stalled TCP peer closed after the idle timeout")
check(metric("callguard_tcp_closed_idle_total") >= 1, "idle close counted")

# Two INVITEs in one TCP segment, then one split across segments: framed by Content-Length.
s = socket.create_connection(("127.0.0.1", TCP), timeout=2)
s.sendall(invite("pipe1") + invite("pipe2")[:50])
time.sleep(0.2)
s.sendall(invite("pipe2")[50:])
data = b""
deadline = time.time() + 3
while data.count(b"SIP/2.0 302") < 2 and time.time() < deadline:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
s.close()
check(data.count(b"SIP/2.0 302") == 2, "pipelined and split TCP messages both answered")

# Many concurrent TCP connections, each with a call; then a flood beyond the limit.
conns = [socket.create_connection(("127.0.0.1", TCP), timeout=3) for _ in range(150)]
for i, c in enumerate(conns):
    c.sendall(invite(f"many{i}"))
answered = 0
for c in conns:
    try:
        if c.recv(65536).startswith(b"SIP/2.0 302"):
            answered += 1
    except socket.timeout:
        pass
check(answered == 150, f"150 concurrent TCP connections all answered ({answered})")
flood = []
for _ in range(300):  # max_tcp_connections is 200 in the test config
    try:
        flood.append(socket.create_connection(("127.0.0.1", TCP), timeout=1))
    except OSError:
        break
time.sleep(0.5)
check(metric("callguard_tcp_rejected_total") >= 1, "connections over the limit refused and counted")
for c in conns + flood:
    c.close()
time.sleep(0.3)
still_serving("a connection flood")

parse_errors_after = sum(metric(f'callguard_sip_parse_errors_total{{error="{e}"}}') or 0
                         for e in ["bad_start_line", "bad_header", "missing_header"])
check(parse_errors_after >= parse_errors_before + 3, "parse errors counted by kind")
sys.exit(1 if failures else 0)
