# Sourced by /init: the VM itself, and helper/cgroup.c on a real cgroup v2
# (the unit test's real-host case runs here as root without systemd).
uj_pass() { echo "UJVM PASS $*"; }
uj_fail() { echo "UJVM FAIL $*"; }

for c in pids memory cpu; do
  if grep -qw "$c" /sys/fs/cgroup/cgroup.controllers; then uj_pass "v2-controller-$c"
  else uj_fail "v2-controller-$c: not in /sys/fs/cgroup/cgroup.controllers"; fi
done

if [ -x /tests/test_cgroup ]; then
  if out=$(/tests/test_cgroup 2>&1); then
    if echo "$out" | grep -q 'SKIPPED.*test_real_host\|\[  SKIPPED \]'; then
      uj_fail "cgroup-unit-v2: real-host case skipped"
      echo "$out"
    else
      uj_pass "cgroup-unit-v2 ($(echo "$out" | grep -c '\[       OK \]') cases)"
    fi
  else
    uj_fail "cgroup-unit-v2"
    echo "$out"
  fi
  if [ -e /sys/fs/cgroup/userjail ] && [ -n "$(ls /sys/fs/cgroup/userjail 2>/dev/null | grep ujtest)" ]; then
    uj_fail "cgroup-unit-v2-cleanup: $(ls /sys/fs/cgroup/userjail)"
  fi
fi
