# Shared by the integration scripts: a scratch directory removed on exit (with the processes
# listed in PIDS), and ok/fail/check reporting that counts failures in $fails.
T=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
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
