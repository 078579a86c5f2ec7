#!/bin/bash
# make check-vm: the cgroup v2 quota tests in a throwaway VM.
#
# This host mounts the cgroup controllers on v1, so the v2 code paths are
# tested by booting Debian's cloud kernel under qemu (plain TCG emulation, no
# KVM needed) with an initramfs made of busybox-static, build/userjail with
# its shared libraries, the cgroup unit test and tests/vm/*. The guest
# (tests/vm/init.sh) prints "UJVM PASS|FAIL name" lines on its serial console;
# this script collects them.
#
# Exit status: 0 when every check passed; 1 on any failure, including qemu or
# the kernel not installed (the message names the apt-get line; UJ_VM_SKIP_OK=1
# makes that a SKIP).
#
# Environment: UJ_VM_KERNEL (default: newest /boot/vmlinuz-*-cloud-amd64),
# UJ_VM_TIMEOUT (seconds, default 600), UJ_VM_SMOKE_ONLY=1 (boot and cgroup
# unit test only, no `userjail run` tests), UJ_VM_KEEP=1 (keep the work dir),
# UJ_VM_USERJAIL (the helper binary to test, default build/userjail),
# UJ_VM_EXTRA="FILE..." (extra guest scripts, e.g. 15-debug.sh: /init sources
# /tests/[0-9]*.sh in name order), UJ_VM_SYSTEMD=0 (skip tests/vm-systemd/run.sh,
# which this script runs at the end).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VMDIR=$ROOT/tests/vm
B=$ROOT/build
QEMU=${QEMU:-qemu-system-x86_64}
CC=${CC:-cc}

# A missing tool is a failure that says how to install it, not a silent
# skip: `make check` must test the cgroup v2 paths. UJ_VM_SKIP_OK=1 turns it
# into a SKIP line for a developer who knowingly runs without qemu.
missing() {
  if [ "${UJ_VM_SKIP_OK:-0}" = 1 ]; then echo "SKIP: check-vm: $*"; exit 0; fi
  echo "FAIL: check-vm: $* -- install what the VM tests need with:" >&2
  echo "  apt-get install qemu-system-x86 linux-image-cloud-amd64 busybox-static debootstrap e2fsprogs" >&2
  echo "(or set UJ_VM_SKIP_OK=1 to skip them knowingly)" >&2
  exit 1
}
command -v "$QEMU" >/dev/null 2>&1 || missing "$QEMU not installed"
KERNEL=${UJ_VM_KERNEL:-$(ls -1 /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1 || true)}
{ [ -n "$KERNEL" ] && [ -r "$KERNEL" ]; } || missing "no kernel /boot/vmlinuz-*-cloud-amd64"

die() { echo "FAIL: check-vm: $*" >&2; exit 1; }

BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (apt-get install busybox-static)"
# grep -x, not -q: an early exit of grep would SIGPIPE busybox under pipefail
"$BUSYBOX" --list | grep -x switch_root >/dev/null || die "$BUSYBOX has no switch_root applet"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "$BUSYBOX is dynamically linked (install busybox-static)"
fi
SMOKE_ONLY=${UJ_VM_SMOKE_ONLY:-0}
USERJAIL=${UJ_VM_USERJAIL:-$B/userjail}
if [ "$SMOKE_ONLY" != 1 ]; then
  [ -x "$USERJAIL" ] || die "$USERJAIL not built (run make)"
fi

WORK=$(mktemp -d /tmp/ujvm.XXXXXX)
cleanup() { if [ "${UJ_VM_KEEP:-0}" = 1 ]; then echo "check-vm: work dir kept: $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
R=$WORK/root

# ---- guest file system: merged /usr like the Debian host -----------------
mkdir -p "$R"/usr/bin "$R"/usr/sbin "$R"/usr/lib "$R"/usr/lib64 "$R"/etc "$R"/tests \
  "$R"/proc "$R"/sys "$R"/dev "$R"/tmp "$R"/run "$R"/var "$R"/root "$R"/home
ln -s usr/bin "$R/bin"
ln -s usr/sbin "$R/sbin"
ln -s usr/lib "$R/lib"
ln -s usr/lib64 "$R/lib64"
if [ "$(id -u)" = 0 ]; then
  mknod -m 600 "$R/dev/console" c 5 1
  mknod -m 666 "$R/dev/null" c 1 3
fi
cp "$BUSYBOX" "$R/usr/bin/busybox"
for a in $("$BUSYBOX" --list); do
  case "$a" in busybox|'[['|linuxrc) continue ;; esac
  [ -e "$R/usr/bin/$a" ] || ln -s busybox "$R/usr/bin/$a"
done

# copy_bin SRC DEST: the program and every shared library ldd names for it
copy_bin() {
  install -m 0755 "$1" "$R$2"
  local lib
  for lib in $(ldd "$1" 2>/dev/null | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}'); do
    mkdir -p "$R$(dirname "$lib")"
    [ -e "$R$lib" ] || cp -L "$lib" "$R$lib"
  done
}

# helper/cgroup's unit test, built on its own (it needs only helper/cgroup/,
# the safe opener and err.c) so the VM smoke test does not depend on the rest
# of the tree.
CMOCKA_LIBS=$(pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
"$CC" -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
  -I"$ROOT" -I"$ROOT/helper" -o "$WORK/test_cgroup" \
  "$ROOT/tests/unit/cgroup/test_cgroup.c" "$ROOT"/helper/cgroup/*.c "$ROOT/helper/fs/safefs.c" \
  "$ROOT/common/err.c" "$ROOT/common/child.c" $CMOCKA_LIBS \
  || die "cannot build the cgroup unit test"
copy_bin "$WORK/test_cgroup" /tests/test_cgroup
"$CC" -static -O2 -Wall -Wextra -Werror -o "$R/usr/bin/vmtool" "$VMDIR/vmtool.c" \
  || die "cannot build tests/vm/vmtool.c statically"

install -m 0755 "$VMDIR/init.sh" "$R/init"
install -m 0644 "$VMDIR/userjail.conf" "$R/tests/userjail.conf"
install -m 0644 "$VMDIR/10-smoke.sh" "$R/tests/10-smoke.sh"
if [ -n "${UJ_VM_EXTRA:-}" ]; then install -m 0644 $UJ_VM_EXTRA "$R/tests/"; fi
if [ "$SMOKE_ONLY" != 1 ]; then
  copy_bin "$USERJAIL" /usr/sbin/userjail
  # the jail's PID 1 once its root is built: next to the helper, as installed
  [ -x "$(dirname "$USERJAIL")/userjail-reaper" ] &&
    install -m 0755 "$(dirname "$USERJAIL")/userjail-reaper" "$R/usr/sbin/userjail-reaper"
  [ -x "$(dirname "$USERJAIL")/userjail-monitor" ] &&
    install -m 0755 "$(dirname "$USERJAIL")/userjail-monitor" "$R/usr/sbin/userjail-monitor"
  # dlopen()ed (not in ldd's list) to build each session's seccomp filter
  # awk reads to the end (no early exit): under pipefail a SIGPIPE'd ldconfig
  # would fail this assignment and end the script with status 141
  seccomp_lib=$(ldconfig -p | awk '/libseccomp\.so\.2 .*x86-64/ && !f {print $NF; f = 1}')
  [ -n "$seccomp_lib" ] || die "libseccomp.so.2 not found (apt-get install libseccomp2)"
  mkdir -p "$R$(dirname "$seccomp_lib")"
  cp -L "$seccomp_lib" "$R$seccomp_lib"
  install -m 0644 "$VMDIR/20-jail.sh" "$R/tests/20-jail.sh"
fi

# Kernel modules the guest would need: none so far (cgroups, namespaces,
# tmpfs, devtmpfs are built into the cloud kernel; overlay is a module,
# needed only for rootfs images, which these tests do not use).

(cd "$R" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$WORK/initrd.gz"

# ---- boot -------------------------------------------------------------------
LOG=$B/vm/console.log
mkdir -p "$B/vm"
echo "check-vm: booting $KERNEL (TCG, 2 CPUs, 1 GiB); console log: $LOG"
set +e
timeout "${UJ_VM_TIMEOUT:-600}" "$QEMU" -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
  -nic none -kernel "$KERNEL" -initrd "$WORK/initrd.gz" \
  -append "console=ttyS0 rdinit=/init quiet loglevel=3 panic=-1 oops=panic" \
  </dev/null 2>&1 | tr -d '\r' | tee "$LOG" | grep --line-buffered -E '^UJVM|^\[ *FAILED|Kernel panic'
qrc=${PIPESTATUS[0]}
set -e

npass=$(grep -c '^UJVM PASS' "$LOG" || true)
nfail=$(grep -c '^UJVM FAIL' "$LOG" || true)
if [ "$qrc" = 124 ]; then
  echo "FAIL: check-vm: the VM did not finish within ${UJ_VM_TIMEOUT:-600} s (see $LOG)"
  exit 1
fi
if ! grep -q '^UJVM-END' "$LOG"; then
  echo "FAIL: check-vm: the guest did not reach the end of its tests (qemu status $qrc; see $LOG)"
  tail -n 30 "$LOG"
  exit 1
fi
echo "check-vm: $npass passed, $nfail failed"
rc=0
{ [ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]; } || rc=1
# The systemd half (systemd as PID 1, logind, pam_systemd before
# pam_userjail, the delegated userjail.service): tests/vm-systemd/run.sh.
# UJ_VM_SYSTEMD=0 leaves it out.
if [ "$SMOKE_ONLY" != 1 ] && [ "${UJ_VM_SYSTEMD:-1}" = 1 ]; then
  "$ROOT/tests/vm-systemd/run.sh" || rc=1
fi
exit $rc
