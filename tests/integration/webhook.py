#!/usr/bin/env python3
"""A warning-task receiver for the tests: records every POST (Idempotency-Key and body) as one
JSON line, answers 503 to the first --fail-first requests, and writes its port to --port-file."""
import argparse, json, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--log", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--fail-first", type=int, default=0)
args = ap.parse_args()
lock = threading.Lock()
seen = {"n": 0}


class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            seen["n"] += 1
            if seen["n"] <= args.fail_first:
                self.send_response(503)
                self.end_headers()
                return
            with open(args.log, "a") as f:
                f.write(json.dumps({"key": self.headers.get("Idempotency-Key"),
                                    "body": json.loads(body)}) + "\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(args.port_file, "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
