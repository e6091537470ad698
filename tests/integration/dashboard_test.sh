#!/usr/bin/env bash
# The dashboard in headless Chromium against `callguard serve` fed with simulated traffic
# (tests/web/dashboard_test.cjs). Screenshots go to ARTIFACTS (default: the build directory's
# artifacts/dashboard).  usage: dashboard_test.sh <callguard> <source dir> <build dir>
set -u
CG=$1
SRC=$2
BUILD=$3
. "$(dirname "$0")/lib.sh"
require node python3 curl chromium
ARTIFACTS=${ARTIFACTS:-$BUILD/artifacts/dashboard}
rm -rf "$ARTIFACTS"

"$CG" simulate --scenario "$SRC/tests/data/sim-small.yaml" --seed 7 --out "$T/sim" --quiet
ANALYST=$("$CG" token create --data-dir "$T/data" --role analyst --name browser 2>/dev/null)
SCREEN=$("$CG" token create --data-dir "$T/data" --role screening 2>/dev/null)
"$CG" serve --config "$SRC/config/callguard.yaml" --data-dir "$T/data" --sip udp://127.0.0.1:0 \
  --http 127.0.0.1:0 >"$T/out.log" 2>"$T/err.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q '^listening http' "$T/out.log" 2>/dev/null && break; sleep 0.1; done
HTTP=$(sed -n 's|^listening http 127.0.0.1:||p' "$T/out.log")
[ -n "$HTTP" ] || { cat "$T/err.log"; echo "FAIL serve did not start"; exit 1; }

check "simulated traffic learned and screened" \
  python3 "$SRC/tests/integration/feed.py" "127.0.0.1:$HTTP" "$SCREEN" "$T/sim/calls.csv" 50000 4000 "$T/verdicts.jsonl"
# A number screening blocked, and a legitimate one it allowed, for the page checks.
read -r BLOCKED ALLOWED < <(python3 - "$T/verdicts.jsonl" <<'PY'
import json, sys
blocked = allowed = None
for line in open(sys.argv[1]):
    v = json.loads(line)
    if v["action"] == "block" and not blocked: blocked = v["caller"]
    if v["action"] == "allow" and v["label"] == "legit" and not allowed and v["caller"].startswith("+"): allowed = v["caller"]
print(blocked, allowed)
PY
)
check "traffic has a blocked and an allowed caller ($BLOCKED, $ALLOWED)" test -n "$BLOCKED" -a "$ALLOWED" != None
# Let the victim grader work through the fed records (the queue page must show every task
# they make; under the sanitizers it lags the feed by seconds), then the verdict trail reach
# the store (it commits every 200 ms).
backlog() { curl -s -H "Authorization: Bearer $ANALYST" "http://127.0.0.1:$HTTP/metrics" |
  sed -n 's/^callguard_victim_backlog //p'; }
for _ in $(seq 600); do [ "$(backlog)" = 0 ] && break; sleep 0.2; done
check "the victim grader caught up with the feed" test "$(backlog)" = 0
sleep 1

env NODE_PATH="$BUILD/web-npm/node_modules" CG_URL="http://127.0.0.1:$HTTP" CG_TOKEN="$ANALYST" \
  CG_SCREEN_TOKEN="$SCREEN" CG_BLOCKED="$BLOCKED" CG_ALLOWED="$ALLOWED" ARTIFACTS="$ARTIFACTS" \
  CHROMIUM="$(command -v chromium)" node "$SRC/tests/web/dashboard_test.cjs" || fails=$((fails + 1))
ls "$ARTIFACTS"
check "a screenshot of every page" test "$(ls "$ARTIFACTS"/*.png 2>/dev/null | wc -l)" -ge 7
exit $((fails > 0))
