#!/bin/bash
# Login cost on a systemd + cgroup v2 host: the check-vm-systemd guest (TCG
# emulation) times `su -l ujsd -c true` after quiet gaps, with pam_userjail
# (first login: no jail; later: a session holds the jail) and without it
# (plain: the same su-l stack minus the module), interleaved per round.
# Prints medians and the median paired difference to plain, per build:
#   flock /tmp/uj-vm.lock bench/vm-systemd-logins.sh [BUILD_DIR...]
# (default: build/). Env: ROUNDS (15), GAP_S (0.5). Emulated: compare builds
# with each other, not with real hardware.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${ROUNDS:-15} GAP_S=${GAP_S:-0.5}
[ $# -gt 0 ] || set -- "$ROOT/build"
for b in "$@"; do
  b=$(cd "$b" && pwd)
  UJ_VMSD_BENCH="$ROUNDS $GAP_S" UJ_VMSD_TIMEOUT=900 UJ_VM_USERJAIL=$b/userjail \
    UJ_VM_MODULE=$b/pam_userjail.so "$ROOT/tests/vm-systemd/run.sh" >/dev/null 2>&1 || true
  grep '^UJSD BENCH' "$ROOT/build/vm-systemd/console.log" | awk -v b="$b" '
    function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
        if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n ? (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) : -1 }
    { k = $7; n[k]++; v[k, n[k]] = $8 / 1000; np[k]++; p[k, np[k]] = $6 / 1000
      nd[k]++; d[k, nd[k]] = ($8 - $6) / 1000 }
    END {
      for (k in n) {
        delete x; delete y; delete z
        for (i = 1; i <= n[k]; i++) { x[i] = v[k, i]; y[i] = p[k, i]; z[i] = d[k, i] }
        printf "%s: %s n=%d median %.1f ms, plain %.1f ms, paired +%.1f ms\n", b, k, n[k],
          med(x, n[k]), med(y, n[k]), med(z, n[k])
      }
    }'
done
