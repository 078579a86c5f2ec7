#!/bin/bash
# check-vm-systemd: userjail on a real systemd + cgroup v2 host, in a VM.
#
# Builds (once, cached) a Debian 12 root with systemd, logind, pam_systemd
# and sshd by debootstrap, installs build/userjail, build/pam_userjail.so and
# conf/userjail.{slice,service} into a copy of it, makes an ext4 image and
# boots it with Debian's cloud kernel under qemu (TCG), with
# systemd.unified_cgroup_hierarchy=1. A unit in the guest (guest-test.sh)
# logs a jailed user in through `su -l` and sshd, whose PAM stacks run
# pam_systemd (common-session) BEFORE pam_userjail (last line), and prints
# "UJSD PASS|FAIL|INFO ..." lines on the serial console; this script greps them.
#
# Exit status: 0 when every check passed; 1 on any failure; 0 with a SKIP
# line only when qemu, the kernel/initrd, debootstrap, mkfs.ext4 or the Debian
# mirror (needed for the first build of the cached root) is unavailable.
#
# Environment: UJ_VM_KERNEL (default: newest /boot/vmlinuz-*-cloud-amd64; the
# initrd of the same version is used), UJ_VMSD_TIMEOUT (qemu hard timeout in
# seconds, default 300), UJ_VMSD_MIRROR (default http://deb.debian.org/debian),
# UJ_VMSD_CACHE (default /var/cache/userjail-test), UJ_VM_KEEP=1 (keep the work
# dir), UJ_VM_USERJAIL / UJ_VM_MODULE (binaries to test, default build/...),
# UJ_VMSD_BENCH="ROUNDS GAP_S" (also time logins: bench/vm-systemd-logins.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tests/vm-systemd
B=$ROOT/build
QEMU=${QEMU:-qemu-system-x86_64}
MIRROR=${UJ_VMSD_MIRROR:-http://deb.debian.org/debian}
CACHE=${UJ_VMSD_CACHE:-/var/cache/userjail-test}
SUITE=bookworm
# The guest's packages. The cache key is a hash of this list (and the suite).
PKGS=systemd,systemd-sysv,dbus,libpam-systemd,libconfig9,libcap2,procps,openssh-server,lxcfs,kmod
TIMEOUT=${UJ_VMSD_TIMEOUT:-300}
USERJAIL=${UJ_VM_USERJAIL:-$B/userjail}
MODULE=${UJ_VM_MODULE:-$B/pam_userjail.so}
T0=$(date +%s)

skip() { echo "SKIP: check-vm-systemd: $*"; exit 0; }
# A missing tool fails with the install line (UJ_VM_SKIP_OK=1: skip instead);
# only an unreachable mirror, which no install fixes, is a plain skip.
missing() {
  [ "${UJ_VM_SKIP_OK:-0}" = 1 ] && skip "$*"
  echo "FAIL: check-vm-systemd: $* -- install what the VM tests need with:" >&2
  echo "  apt-get install qemu-system-x86 linux-image-cloud-amd64 debootstrap e2fsprogs" >&2
  exit 1
}
die() { echo "FAIL: check-vm-systemd: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, image ownership)"
command -v "$QEMU" >/dev/null 2>&1 || missing "$QEMU not installed"
KERNEL=${UJ_VM_KERNEL:-$(ls -1 /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1 || true)}
[ -n "$KERNEL" ] && [ -r "$KERNEL" ] ||
  missing "no kernel /boot/vmlinuz-*-cloud-amd64"
KVER=${KERNEL##*/vmlinuz-}
INITRD=$(dirname "$KERNEL")/initrd.img-$KVER
[ -r "$INITRD" ] || skip "no initrd $INITRD for $KERNEL (update-initramfs -c -k $KVER)"
command -v mkfs.ext4 >/dev/null 2>&1 || missing "mkfs.ext4 not installed"
grep -q -- "-d root-directory" <<<"$(mkfs.ext4 2>&1 || true)" || skip "mkfs.ext4 has no -d (e2fsprogs >= 1.43 needed)"
[ -x "$USERJAIL" ] || die "$USERJAIL not built (run make)"
[ -r "$MODULE" ] || die "$MODULE not built (run make)"

# ---- cached Debian root ------------------------------------------------------
KEY=$(printf '%s %s minbase v1\n' "$SUITE" "$PKGS" | sha256sum | cut -c1-12)
BASE=$CACHE/systemd-$SUITE-$KEY
mkdir -p "$CACHE"
exec 9>"$CACHE/.systemd-$SUITE.lock"
flock 9 # one builder at a time; later runs wait and reuse
if [ ! -e "$BASE/.complete" ]; then
  command -v debootstrap >/dev/null 2>&1 || missing "debootstrap not installed"
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -m 20 -o /dev/null "$MIRROR/dists/$SUITE/Release" ||
      skip "mirror $MIRROR unreachable (needed once to build $BASE)"
  fi
  echo "check-vm-systemd: building $BASE with debootstrap (once; about 1-2 min)"
  rm -rf "$BASE.partial"
  if ! timeout 900 debootstrap --variant=minbase --include="$PKGS" "$SUITE" "$BASE.partial" \
      "$MIRROR" >"$CACHE/systemd-$SUITE-$KEY.log" 2>&1; then
    rm -rf "$BASE.partial"
    if grep -qiE 'Failed getting release file|Could not resolve|Temporary failure|unable to fetch' \
        "$CACHE/systemd-$SUITE-$KEY.log"; then
      skip "debootstrap could not reach $MIRROR (see $CACHE/systemd-$SUITE-$KEY.log)"
    fi
    die "debootstrap failed: $(tail -n 3 "$CACHE/systemd-$SUITE-$KEY.log")"
  fi
  # apt's package lists and downloaded .debs are not needed in the guest
  rm -rf "$BASE.partial"/var/cache/apt/archives/*.deb "$BASE.partial"/var/lib/apt/lists/*
  touch "$BASE.partial/.complete"
  rm -rf "$BASE"
  mv "$BASE.partial" "$BASE"
fi
exec 9>&-
echo "check-vm-systemd: base root $BASE ($(( $(date +%s) - T0 )) s)"

# ---- the guest: a copy of the base with the project installed ----------------
WORK=$(mktemp -d /tmp/ujvmsd.XXXXXX)
cleanup() {
  if [ "${UJ_VM_KEEP:-0}" = 1 ]; then echo "check-vm-systemd: work dir kept: $WORK"
  else rm -rf "$WORK"; fi
}
trap cleanup EXIT
R=$WORK/root
cp -a "$BASE" "$R"
rm -f "$R/.complete"
UJ_VMSD_KVER=$KVER "$HERE/setup-guest.sh" "$R" "$ROOT" "$USERJAIL" "$MODULE" "$WORK" ||
  die "guest setup failed"
# bench/vm-systemd-logins.sh: "ROUNDS GAP_S" makes the guest time logins at the end
[ -n "${UJ_VMSD_BENCH:-}" ] && echo "$UJ_VMSD_BENCH" >"$R/etc/ujsd-bench"

# The image: files + 256 MiB free (jails, journal). Sparse, thrown away.
SIZE_MB=$(( $(du -sm "$R" | cut -f1) + 256 ))
mkfs.ext4 -q -F -L ujroot -d "$R" -E root_owner=0:0 "$WORK/root.img" "${SIZE_MB}M" ||
  die "mkfs.ext4 -d failed"
rm -rf "$R"

# ---- boot ----------------------------------------------------------------------
mkdir -p "$B/vm-systemd"
LOG=$B/vm-systemd/console.log
echo "check-vm-systemd: booting $KERNEL + systemd (TCG, 2 CPUs, 1 GiB; timeout $TIMEOUT s); console log: $LOG"
set +e
timeout --kill-after=10 "$TIMEOUT" "$QEMU" -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
  -nic none -kernel "$KERNEL" -initrd "$INITRD" \
  -drive "file=$WORK/root.img,format=raw,if=virtio,cache=unsafe" \
  -append "root=/dev/vda rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 quiet loglevel=3 panic=-1 systemd.show_status=error" \
  </dev/null 2>&1 | tr -d '\r' | tee "$LOG" | grep --line-buffered -E '^UJSD|Kernel panic|emergency mode'
qrc=${PIPESTATUS[0]}
set -e

npass=$(grep -c '^UJSD PASS' "$LOG" || true)
nfail=$(grep -c '^UJSD FAIL' "$LOG" || true)
echo "check-vm-systemd: $(( $(date +%s) - T0 )) s in all"
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  echo "FAIL: check-vm-systemd: the VM did not finish within $TIMEOUT s (see $LOG)"
  tail -n 30 "$LOG"
  exit 1
fi
if ! grep -q '^UJSD-END' "$LOG"; then
  echo "FAIL: check-vm-systemd: the guest did not reach the end of its tests (qemu status $qrc; see $LOG)"
  tail -n 40 "$LOG"
  exit 1
fi
echo "check-vm-systemd: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
