#!/usr/bin/env bash
# Golden scenario tests: each folder holds config.yaml, calls.csv, optional subscribers.csv, and
# expect.txt with lines "CALL_ID ACTION [REASON_CODE...]": the call's verdict must have that
# action and contain those reason codes ('-' as the only code: no reasons at all).
# Usage: run.sh CALLGUARD SCENARIOS_DIR
set -u
CG=$1
DIR=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
for s in "$DIR"/*/; do
  name=$(basename "$s")
  subs=()
  [ -f "$s/subscribers.csv" ] && subs=(--subscribers "$s/subscribers.csv")
  if ! "$CG" score --in "$s/calls.csv" --out "$T/$name.jsonl" --config "$s/config.yaml" "${subs[@]}" --quiet; then
    echo "FAIL $name: callguard score failed"
    fail=$((fail + 1))
    continue
  fi
  while read -r id action codes; do
    [ -z "$id" ] || [ "${id:0:1}" = "#" ] && continue
    line=$(grep "\"call_id\":\"$id\"" "$T/$name.jsonl")
    ok=1
    [[ "$line" == *"\"action\":\"$action\""* ]] || ok=0
    for c in $codes; do
      if [ "$c" = "-" ]; then
        [[ "$line" == *'"reasons":[]'* ]] || ok=0
      else
        [[ "$line" == *"\"code\":\"$c\""* ]] || ok=0
      fi
    done
    if [ $ok -eq 1 ]; then
      pass=$((pass + 1))
    else
      fail=$((fail + 1))
      echo "FAIL $name/$id: expected $action $codes, got: ${line:-no verdict}"
    fi
  done <"$s/expect.txt"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
