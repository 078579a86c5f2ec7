#!/bin/bash
# What favordynmods and rcu_expedited cost and give, in the cgroup v2 busybox
# VM (this host's cgroup modes are left alone: favordynmods cannot always be
# switched off again until reboot). Boots tests/vm with bench/vm/90-cgmodes.sh
# and prints its UJBENCH lines: fork+exit and one cgroup attach after a quiet
# gap, per mode. Run as root after `make`, under the shared VM lock:
#   flock /tmp/uj-vm.lock bench/vm-cgmodes.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UJ_VM_EXTRA=$ROOT/bench/vm/90-cgmodes.sh UJ_VM_SMOKE_ONLY=1 UJ_VM_SYSTEMD=0 \
  "$ROOT/tests/vm/run.sh" >/dev/null || true
grep '^UJBENCH' "$ROOT/build/vm/console.log"
