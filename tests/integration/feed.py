#!/usr/bin/env python3
"""Feeds simulated traffic to a running `callguard serve` over its HTTP API: the first LEARN call
records are POSTed to /v1/cdr (learning), the next SCREEN calls are screened one by one with
POST /v1/screen (keep-alive), and their verdicts written as JSON Lines to OUT.

usage: feed.py HOST:PORT TOKEN calls.csv LEARN SCREEN OUT
"""
import csv
import http.client
import io
import json
import sys

host, token, calls, learn, screen, out = sys.argv[1:7]
learn, screen = int(learn), int(screen)
h = host.split(":")
conn = http.client.HTTPConnection(h[0], int(h[1]), timeout=30)
auth = {"Authorization": "Bearer " + token}

with open(calls, newline="") as f:
    rows = list(csv.DictReader(f))
head = list(rows[0].keys())
buf = io.StringIO()
w = csv.DictWriter(buf, fieldnames=head)
w.writeheader()
for r in rows[:learn]:
    w.writerow(r)
conn.request("POST", "/v1/cdr?format=csv", body=buf.getvalue().encode(),
             headers={**auth, "Content-Type": "text/csv"})
resp = conn.getresponse()
body = json.loads(resp.read())
if resp.status != 200 or body["accepted"] < learn * 0.99:
    sys.exit(f"feed: /v1/cdr answered {resp.status}: {body}")

with open(out, "w") as o:
    for r in rows[learn:learn + screen]:
        req = {k: r[k] for k in ("call_id", "caller", "callee", "ingress", "trunk", "origin_country",
                                 "origin_ip") if r.get(k)}
        req["start_time"] = r["start_time"]
        conn.request("POST", "/v1/screen", body=json.dumps(req),
                     headers={**auth, "Content-Type": "application/json"})
        resp = conn.getresponse()
        v = resp.read().decode()
        if resp.status != 200:
            sys.exit(f"feed: /v1/screen answered {resp.status}: {v}")
        v = json.loads(v)
        v["label"] = r.get("label", "")
        o.write(json.dumps(v) + "\n")
print(f"feed: learned {body['accepted']} records, screened {screen} calls")
