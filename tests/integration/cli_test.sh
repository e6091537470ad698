#!/usr/bin/env bash
# End-to-end tests of the callguard program: usage, scoring every input layout, rejects,
# snapshots across runs, shadow mode, and errors. Usage: cli_test.sh CALLGUARD SOURCE_DIR
set -u
CG=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
check() {  # check NAME COMMAND...: the command must succeed
  local name=$1
  shift
  if "$@" >"$T/out.txt" 2>&1; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL: $name"
    sed 's/^/    /' "$T/out.txt" | head -20
  fi
}
expect_exit() {  # expect_exit CODE COMMAND...
  local want=$1
  shift
  "$@" >"$T/exit.txt" 2>&1
  local got=$?
  [ "$got" -eq "$want" ] || { echo "exit $got, wanted $want: $*"; cat "$T/exit.txt"; return 1; }
}
contains() { grep -q -- "$2" "$1" || { echo "'$2' not in $1:"; head -5 "$1"; return 1; }; }
lines() { [ "$(wc -l <"$1")" -eq "$2" ] || { echo "$1 has $(wc -l <"$1") lines, wanted $2"; return 1; }; }

# A day of calls: a community of people calling each other, an overseas centre spoofing
# domestic numbers, a robocaller dialling in sequence, a courier, and some broken rows.
awk 'BEGIN {
  print "call_id,start_time,caller,callee,answered,duration_s,ring_s,ingress,origin_country";
  t = 1772409600; seq = 20000000;
  for (i = 0; i < 3000; i++) {
    t += 7; k = i % 10;
    ts = strftime("%Y-%m-%dT%H:%M:%SZ", t, 1);
    if (k < 5) { a = 13800001000 + ((i * 2654435761) % 4294967296) % 40;
      b = 13800001000 + ((i * 40503 + 12345) % 65536) % 40;
      if (a == b) b++; printf "c%d,%s,+86%.0f,+86%.0f,1,%d,4,mobile,CN\n", i, ts, a, b, 30 + i % 200 }
    else if (k < 7) { printf "c%d,%s,+86139%08d,+86150%08d,%d,%d,20,international,KH\n",
      i, ts, i % 3, (i * 7919) % 100000000, (i % 4 == 0), (i % 4 == 0) * 9 }
    else if (k == 7) { printf "c%d,%s,+8617000000001,+86131%08d,0,0,25,voip,\n", i, ts, seq++ }
    else if (k == 8) { printf "c%d,%s,110,+86138%08d,1,60,3,voip,\n", i, ts, i }
    else { printf "c%d,%s,+8613500000001,+86152%08d,1,25,5,mobile,CN\n", i, ts, (i * 31) % 100000000 }
  }
  print "broken,not-a-time,+8613800001000,+8613800001001,1,10,4,mobile,CN";
  print "short,row";
}' >"$T/calls.csv"
N=3000

# Usage and errors.
check "top-level help" "$CG" --help
check "score help" bash -c "'$CG' score --help | grep -q -- '--state-out'"
check "state reset help" bash -c "'$CG' state reset --help | grep -q -- '--number'"
check "version" "$CG" version
check "no command is a usage error" expect_exit 2 "$CG"
check "unknown command" expect_exit 2 "$CG" frobnicate
check "score needs --in/--out" expect_exit 2 "$CG" score --in "$T/calls.csv"
check "unknown option" expect_exit 2 "$CG" score --in "$T/calls.csv" --out "$T/v" --bogus 1
check "missing input" expect_exit 1 "$CG" score --in "$T/nope.csv" --out "$T/v.jsonl"
printf 'version: 1\ndetectors:\n  behaviour:\n    windows:\n      - {name: a, foo: 1}\n' >"$T/bad.yaml"
check "bad config exits 1" expect_exit 1 "$CG" score --in "$T/calls.csv" --out "$T/v" --config "$T/bad.yaml"
check "bad config names the key" contains "$T/exit.txt" "detectors.behaviour.windows\[0\]: unknown key 'foo'"

# Scoring with the shipped configuration.
check "score" "$CG" score --in "$T/calls.csv" --out "$T/v.jsonl" --config "$SRC/config/callguard.yaml" \
  --summary-json "$T/summary.json" --quiet
check "one verdict per accepted call" lines "$T/v.jsonl" $N
check "rejects file has both bad rows" lines "$T/v.jsonl.rejects" 2
check "reject names file:line and reason" contains "$T/v.jsonl.rejects" "calls.csv:3002: bad_time"
check "reject field count" contains "$T/v.jsonl.rejects" "calls.csv:3003: field_count"
check "summary counts" contains "$T/summary.json" "\"calls\":$N,\"records\":$((N + 2)),\"rejected\":2"
check "spoofed police number blocked" bash -c "grep '\"caller\":\"110\"' '$T/v.jsonl' | head -1 | grep -q '\"action\":\"block\".*dno_cli'"
check "overseas spoofing caught" bash -c "grep -c 'intl_ingress_domestic_cli' '$T/v.jsonl' | awk '\$1 >= 500 {ok=1} END {exit !ok}'"
check "sequential robocaller caught" contains "$T/v.jsonl" "sequential_dialling"
check "friends allowed" bash -c "grep '\"caller\":\"+86138000010' '$T/v.jsonl' | awk '/\"action\":\"allow\"/ {a++} END {exit !(NR >= 1400 && a == NR)}'"
check "verdicts keep input order" bash -c "head -1 '$T/v.jsonl' | grep -q '\"call_id\":\"c0\"' && tail -1 '$T/v.jsonl' | grep -q '\"call_id\":\"c2999\"'"

# Same verdicts from gzip, stdin and JSON Lines.
gzip -c "$T/calls.csv" >"$T/calls.csv.gz"
check "gzip input" "$CG" score --in "$T/calls.csv.gz" --out "$T/vgz.jsonl" --config "$SRC/config/callguard.yaml" --quiet
check "gzip gives the same verdicts" cmp "$T/v.jsonl" "$T/vgz.jsonl"
check "stdin input" bash -c "'$CG' score --in - --out '$T/vstdin.jsonl' --config '$SRC/config/callguard.yaml' --quiet < '$T/calls.csv'"
check "stdin gives the same verdicts" cmp "$T/v.jsonl" "$T/vstdin.jsonl"
awk -F, 'NR > 1 && NF == 9 && $2 != "not-a-time" {
  printf "{\"call_id\":\"%s\",\"start_time\":\"%s\",\"caller\":\"%s\",\"callee\":\"%s\",\"answered\":%s,\"duration_s\":%s,\"ring_s\":%s,\"ingress\":\"%s\",\"origin_country\":\"%s\"}\n", $1,$2,$3,$4,$5,$6,$7,$8,$9 }' \
  "$T/calls.csv" >"$T/calls.jsonl"
check "jsonl input" "$CG" score --in "$T/calls.jsonl" --out "$T/vj.jsonl" --config "$SRC/config/callguard.yaml" --quiet
check "jsonl gives the same verdicts" cmp "$T/v.jsonl" "$T/vj.jsonl"

# Causality across runs: first half, saved state, second half == one run.
head -n $((N / 2 + 1)) "$T/calls.csv" >"$T/first.csv"
{ head -n 1 "$T/calls.csv"; tail -n +$((N / 2 + 2)) "$T/calls.csv"; } >"$T/second.csv"
check "first half" "$CG" score --in "$T/first.csv" --out "$T/h1.jsonl" --config "$SRC/config/callguard.yaml" --state-out "$T/state.bin" --quiet
check "second half" "$CG" score --in "$T/second.csv" --out "$T/h2.jsonl" --config "$SRC/config/callguard.yaml" --state-in "$T/state.bin" --quiet
cat "$T/h1.jsonl" "$T/h2.jsonl" >"$T/halves.jsonl"
check "halves equal one run" cmp "$T/v.jsonl" "$T/halves.jsonl"
check "two inputs in one run equal one file" "$CG" score --in "$T/first.csv" --in "$T/second.csv" --out "$T/two.jsonl" --config "$SRC/config/callguard.yaml" --quiet
check "two inputs same verdicts" cmp "$T/v.jsonl" "$T/two.jsonl"
check "corrupt state refused" bash -c "printf garbage > '$T/bad.bin'; ! '$CG' score --in '$T/second.csv' --out '$T/x' --state-in '$T/bad.bin' --quiet"

# Threshold counters of one number can be reset in a saved state.
check "state reset" bash -c "'$CG' state reset --state '$T/state.bin' --config '$SRC/config/callguard.yaml' --number +8617000000001 | grep -q 'reset 1 '"

# Shadow mode decides but allows.
check "shadow" "$CG" score --in "$T/calls.csv" --out "$T/vs.jsonl" --shadow --quiet
check "shadow allows everything" bash -c "! grep -q '\"action\":\"block\"' '$T/vs.jsonl'"
check "shadow records the decision" contains "$T/vs.jsonl" '"action":"allow","decided":"block"'

# Operator CDR layouts.
check "asterisk" "$CG" score --in "$SRC/tests/data/asterisk_Master.csv" --out "$T/va.jsonl" --quiet
check "asterisk verdicts" lines "$T/va.jsonl" 3
check "freeswitch" "$CG" score --in "$SRC/tests/data/freeswitch_Master.csv" --format freeswitch --out "$T/vf.jsonl" --quiet
check "freeswitch verdicts" lines "$T/vf.jsonl" 3
check "bad format name" expect_exit 2 "$CG" score --in "$T/calls.csv" --out "$T/x" --format xml

# Simulator and evaluation front ends.
check "simulate help" bash -c "'$CG' simulate --help | grep -q -- '--scenario'"
check "eval help" bash -c "'$CG' eval --help | grep -q -- '--baseline'"
check "simulate needs a scenario" expect_exit 2 "$CG" simulate --out "$T/sim"
check "simulate bad scenario file" expect_exit 1 "$CG" simulate --scenario "$T/nope.yaml" --out "$T/sim"
check "simulate bad seed" expect_exit 2 "$CG" simulate --scenario "$SRC/tests/data/sim-small.yaml" --seed x --out "$T/sim"
check "eval needs verdicts" expect_exit 2 "$CG" eval --calls "$T/calls.csv"
check "eval bad prevalence" expect_exit 2 "$CG" eval --calls "$T/calls.csv" --verdicts "$T/v.jsonl" --prevalence 2
check "eval on the generated day" bash -c "'$CG' eval --calls '$T/calls.csv' --verdicts '$T/v.jsonl' | grep -q 'scam numbers:'"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
