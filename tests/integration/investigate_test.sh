#!/usr/bin/env bash
# Investigation end to end: simulate, score, group into operations, grade victims and dispatch
# their warning tasks to a real webhook, on seeds nobody tuned on. The floors below sit under
# what docs/benchmarks.md records, so that a change that breaks grouping fails CI.
# Usage: investigate_test.sh CALLGUARD SOURCE_DIR
set -u
CG=$1
SRC=$2
. "$SRC/tests/integration/lib.sh"
require python3

json_val() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d'+sys.argv[2]))" "$@"; }
ge() { awk -v v="$1" -v l="$2" 'BEGIN {exit !(v >= l)}'; }
le() { awk -v v="$1" -v l="$2" 'BEGIN {exit !(v <= l)}'; }

for run in "cambodia 5" "default 41"; do
  set -- $run
  s=$1 seed=$2 d="$T/$1"
  "$CG" simulate --scenario "$SRC/scenarios/$s.yaml" --seed "$seed" --out "$d" --quiet
  "$CG" score --in "$d/calls.csv" --subscribers "$d/subscribers.csv" --out "$d/v.jsonl" --quiet
  "$CG" investigate ops --calls "$d/calls.csv" --verdicts "$d/v.jsonl" --out "$d/ops" \
    --truth "$d/truth.json" >"$d/ops.txt" 2>&1 || fail "$s: investigate ops exited $?"
  f=$(json_val "$d/ops/eval.json" "['bcubed']['f']")
  c=$(json_val "$d/ops/eval.json" "['contamination']")
  check "$s seed $seed: B-cubed F $f >= 0.85" ge "$f" 0.85
  check "$s seed $seed: legitimate contamination $c <= 0.01" le "$c" 0.01
  for file in membership.csv operations.jsonl edges.csv; do
    check "$s: ops wrote $file" test -s "$d/ops/$file"
  done
  "$CG" investigate victims --calls "$d/calls.csv" --verdicts "$d/v.jsonl" --ops "$d/ops" \
    --subscribers "$d/subscribers.csv" --out "$d/victims" >"$d/victims.txt" 2>&1 ||
    fail "$s: investigate victims exited $?"
  "$CG" investigate eval --truth "$d/truth.json" --ops "$d/ops" --victims "$d/victims" \
    --json "$d/veval.json" >/dev/null
  p=$(json_val "$d/veval.json" "['victims']['precision']")
  r=$(json_val "$d/veval.json" "['victims']['recall']")
  check "$s: victims high+ precision $p >= 0.85" ge "$p" 0.85
  check "$s: victims high+ recall $r >= 0.65" ge "$r" 0.65
done

# cambodia: the two call centres come out as two operations, each mostly whole and pure.
python3 - "$T/cambodia/ops/eval.json" <<'PY' && ok "cambodia: the two centres are two operations" || fail "cambodia: centres merged or scattered"
import json, sys
e = json.load(open(sys.argv[1]))
per = {p["id"]: p for p in e["per_operation"]}
a, b = per["cc-siem-reap"], per["cc-banteay-meanchey"]
assert a["main_operation"] and b["main_operation"] and a["main_operation"] != b["main_operation"], (a, b)
assert a["main_share"] >= 0.8 and b["main_share"] >= 0.8 and a["main_purity"] >= 0.95 and b["main_purity"] >= 0.95, (a, b)
PY

# Every operation record carries its evidence; every link passed the gate.
python3 - "$T/cambodia/ops" <<'PY' && ok "operations.jsonl: fields and gated evidence" || fail "operations.jsonl"
import csv, json, sys
d = sys.argv[1]
need = {"id", "members", "first_seen", "last_seen", "calls", "answered", "reach", "victims",
        "origin_countries", "address_blocks", "devices", "estimated_agents", "type", "links"}
strong = {"device", "same_callees"}
for line in open(d + "/operations.jsonl"):
    op = json.loads(line)
    assert need <= op.keys(), need - op.keys()
    for l in op["links"]:
        kinds = {e["kind"] for e in l["evidence"]}
        assert any(e["strong"] for e in l["evidence"]) or len(kinds) >= 2, l
rows = list(csv.DictReader(open(d + "/membership.csv")))
assert rows and all(0 <= float(r["confidence"]) <= 1 and r["role"] in ("core", "member", "peripheral") for r in rows)
PY

# Dispatch to a real webhook that refuses the first two posts: every task arrives once, with its
# idempotency key; a second run (a restart) sends nothing again.
d="$T/default"
python3 "$SRC/tests/integration/webhook.py" --log "$T/hook.jsonl" --port-file "$T/hook.port" \
  --fail-first 2 &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$T/hook.port" ] && break; sleep 0.1; done
cat >"$T/warn.yaml" <<YAML
version: 1
investigate:
  warnings:
    webhook: http://127.0.0.1:$(cat "$T/hook.port")/tasks
    webhook_backoff: 0.05
    tasks_file: $T/tasks-out.jsonl
YAML
args=(--calls "$d/calls.csv" --verdicts "$d/v.jsonl" --ops "$d/ops" --subscribers
  "$d/subscribers.csv" --out "$d/victims" --config "$T/warn.yaml" --dispatch)
"$CG" investigate victims "${args[@]}" >"$T/d1.txt" 2>&1 || fail "dispatch run 1 exited $?"
"$CG" investigate victims "${args[@]}" >"$T/d2.txt" 2>&1 || fail "dispatch run 2 exited $?"
planned=$(wc -l <"$d/victims/tasks.jsonl")
got=$(wc -l <"$T/hook.jsonl")
uniq=$(python3 -c "import json,sys; print(len({json.loads(l)['key'] for l in open(sys.argv[1])}))" "$T/hook.jsonl")
check "webhook got each of $planned tasks once ($got posts, $uniq keys)" test "$got" = "$planned" -a "$uniq" = "$planned"
check "second run sent nothing" grep -q "dispatched 0, already delivered $planned" "$T/d2.txt"
check "tasks file has each task once" test "$(wc -l <"$T/tasks-out.jsonl")" = "$planned"
python3 - "$T/hook.jsonl" <<'PY' && ok "task bodies: kinds, deadlines, reasons" || fail "task bodies"
import json, sys
for l in open(sys.argv[1]):
    t = json.loads(l)["body"]
    assert t["kind"] in ("flash_sms", "voice_call", "home_visit", "family_alert"), t
    assert t["deadline"] > t["created"] and t["reasons"] and t["person"].startswith("+"), t
PY

# Bad input: a clear error, not a crash.
"$CG" investigate ops --calls /nonexistent.csv --verdicts "$d/v.jsonl" --out "$T/x" 2>"$T/err.txt"
check "missing calls file: exit 1 with the path" grep -q "/nonexistent.csv" "$T/err.txt"
printf 'not json\n{"caller":5}\n' >"$T/bad.jsonl"
"$CG" investigate ops --calls "$d/calls.csv" --verdicts "$T/bad.jsonl" --out "$T/x" 2>"$T/err2.txt"
check "bad verdict lines are counted and named" grep -q "2 bad lines, first at $T/bad.jsonl:1" "$T/err2.txt"

[ $fails -eq 0 ] && echo "investigate: all passed" || exit 1
