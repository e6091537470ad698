#!/usr/bin/env bash
# The store's tests against a real PostgreSQL server started here (the same tests that run on
# SQLite in the unit suite).  usage: store_pg_test.sh <callguard_store_pg_tests binary>
set -u
tests=$1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
pg_start
trap 'pg_stop; cleanup' EXIT
out=$(CALLGUARD_TEST_PG_URL="$PG_URL" "$tests" 2>&1)
echo "$out" | grep -B2 -A8 "Failure" | head -40
echo "$out" | tail -5
echo "$out" | grep -q "SKIPPED" && fail "PostgreSQL store tests were skipped"
n=$(echo "$out" | sed -n 's/.*\[  PASSED  \] \([0-9]*\) tests.*/\1/p')
check "every store test passes on PostgreSQL ($n)" test "${n:-0}" -ge 9
echo "$out" | grep -q "FAILED" && fail "store tests failed on PostgreSQL"
exit $((fails > 0))
