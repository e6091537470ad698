# Shared by the integration scripts: a scratch directory removed on exit (with the processes
# listed in PIDS), and ok/fail/check reporting that counts failures in $fails.
T=$(mktemp -d)
PIDS=()
cleanup() {
  # SIGTERM first: Kamailio's main process takes its forked workers down with it, where SIGKILL
  # would leave them running after the test. Then SIGKILL whatever is left, children included
  # (listed before they could be orphaned).
  local p kids=() _
  for p in "${PIDS[@]}"; do
    kids+=($(cat /proc/"$p"/task/*/children 2>/dev/null))
    kill -TERM "$p" 2>/dev/null
  done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  for p in "${PIDS[@]}" "${kids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok() { echo "ok   $*"; }
fail() {
  echo "FAIL $*"
  fails=$((fails + 1))
}
check() { # check "description" command...
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
require() { # tools...
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "FAIL $tool is not installed (make deps)"; exit 1; }
  done
}
