#!/bin/bash
# Run every tests/integration/test_*.sh (as root), print their PASS/FAIL lines
# and a summary; exit non-zero if any check failed or any test file crashed.
# Usage: run-all.sh [PATTERN]   (e.g. run-all.sh basic  -> test_*basic*.sh)
# UJ_KEEP_TMP=1 keeps each test's temp dir (sshd log, syslog) for inspection.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "run-all.sh: the integration tests must run as root" >&2
  exit 2
fi
UJ_TAG=sweep$$ source "$HERE/lib.sh"

# Besides live jails, /run/userjail holds the login counters (stats/, read
# by `userjail metrics`), seccomp filter caches and the standby's directory.
# The tests' logins add to them: put back what was there before the run, so
# the machine's counters do not count the tests' logins and no cache of a
# test's filter stays.
RUN_DIR=/run/userjail BEFORE=$UJ_TMP/run-userjail-before
mkdir -p "$BEFORE"
[ -d "$RUN_DIR" ] && touch "$BEFORE/.had-dir"
[ -d "$RUN_DIR/standby" ] && touch "$BEFORE/.had-standby"
[ -d "$RUN_DIR/stats" ] && cp -a "$RUN_DIR/stats" "$BEFORE/stats"
ls "$RUN_DIR"/seccomp-*.bpf >"$BEFORE/.caches" 2>/dev/null
restore_run_dir() {
  local f
  rm -rf "$RUN_DIR/stats"
  [ -d "$BEFORE/stats" ] && cp -a "$BEFORE/stats" "$RUN_DIR/stats"
  for f in "$RUN_DIR"/seccomp-*.bpf; do
    [ -e "$f" ] && ! grep -qxF "$f" "$BEFORE/.caches" && rm -f "$f"
  done
  [ -e "$BEFORE/.had-standby" ] || rmdir "$RUN_DIR/standby" 2>/dev/null
  [ -e "$BEFORE/.had-dir" ] || rmdir "$RUN_DIR" 2>/dev/null
  return 0
}
trap 'restore_run_dir; uj_syslog_stop; rm -rf "$UJ_TMP"' EXIT
# Leftovers of an earlier (crashed) run would make this one fail for the
# wrong reason: remove everything with our prefix first.
uj_sweep
# One syslog listener for all tests (when the machine has none), so each test
# can look for the product's messages.
uj_syslog_start

pat=${1:-}
total_pass=0 total_fail=0 total_skip=0 crashed=()
for t in "$HERE"/test_*"$pat"*.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .sh)
  echo "=== $name"
  out=$UJ_TMP/$name.out
  timeout 900 bash "$t" 2>"$UJ_TMP/$name.err" | tee "$out"
  rc=${PIPESTATUS[0]}
  p=$(grep -c '^PASS: ' "$out")
  f=$(grep -c '^FAIL: ' "$out")
  s=$(grep -c '^SKIP: ' "$out")
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    crashed+=("$name(rc=$rc)")
    echo "FAIL: $name exited $rc without reporting a failed check; stderr tail:"
    tail -n 10 "$UJ_TMP/$name.err" | sed 's/^/      | /'
  elif [ -n "${UJ_VERBOSE:-}" ]; then
    sed 's/^/      stderr| /' "$UJ_TMP/$name.err"
  fi
  # a test must not leave anything behind for the next one
  left=$(uj_leftover_names | tr '\n' ' ')
  if [ -n "$left" ]; then
    echo "FAIL: $name left behind: $left"
    crashed+=("$name(leftovers)")
    uj_sweep
  fi
done
echo
echo "=== TOTAL: $total_pass passed, $total_fail failed, $total_skip skipped${crashed[*]:+, crashed: ${crashed[*]}}"
[ "$total_fail" -eq 0 ] && [ ${#crashed[@]} -eq 0 ]
