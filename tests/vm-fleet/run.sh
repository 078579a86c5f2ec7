#!/bin/bash
# check-vm-fleet: userjail for directory users with NFS root_squash and autofs
# homes, on a real systemd host, in a VM.
#
# Like tests/vm-systemd/run.sh, with its own cached Debian 12 root that also
# has slapd, sssd (LDAP provider), nfs-kernel-server, nfs-common and autofs.
# One guest plays both roles: the LDAP + NFS server (/srv/home exported with
# root_squash) and the login server (sssd client, /home over NFS from
# localhost, one home automounted). The cloud kernel's modules (nfsd, nfs,
# autofs4) are copied into the image. guest-test.sh logs the LDAP users in
# through sshd and prints "UJFLEET PASS|FAIL|INFO ..." lines on the serial
# console; this script counts them.
#
# Exit status: 0 when every check passed; 1 on any failure, a missing tool
# included (qemu, kernel, debootstrap, mkfs.ext4: the message has the apt-get
# line; UJ_VM_SKIP_OK=1 skips instead); 0 with a SKIP line when not root or
# the Debian mirror (for the first build of the cached root) is unreachable.
#
# Environment: UJ_VM_KERNEL, UJ_VMSD_MIRROR, UJ_VMSD_CACHE, UJ_VM_KEEP,
# UJ_VM_USERJAIL, UJ_VM_MODULE as for check-vm-systemd; UJ_VMFLEET_TIMEOUT
# (qemu hard timeout in seconds, default 900: TCG on a loaded machine).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tests/vm-fleet
B=$ROOT/build
QEMU=${QEMU:-qemu-system-x86_64}
MIRROR=${UJ_VMSD_MIRROR:-http://deb.debian.org/debian}
CACHE=${UJ_VMSD_CACHE:-/var/cache/userjail-test}
SUITE=bookworm
# The guest's packages. The cache key is a hash of this list (and the suite).
PKGS=systemd,systemd-sysv,dbus,libpam-systemd,libconfig9,libcap2,procps,openssh-server,kmod
PKGS=$PKGS,slapd,ldap-utils,sssd-ldap,libnss-sss,libpam-sss,nfs-kernel-server,nfs-common,rpcbind,autofs
TIMEOUT=${UJ_VMFLEET_TIMEOUT:-900}
USERJAIL=${UJ_VM_USERJAIL:-$B/userjail}
MODULE=${UJ_VM_MODULE:-$B/pam_userjail.so}
T0=$(date +%s)

skip() { echo "SKIP: check-vm-fleet: $*"; exit 0; }
# A missing tool fails with the install line (UJ_VM_SKIP_OK=1: skip instead);
# only an unreachable mirror, which no install fixes, is a plain skip.
missing() {
  [ "${UJ_VM_SKIP_OK:-0}" = 1 ] && skip "$*"
  echo "FAIL: check-vm-fleet: $* -- install what the VM tests need with:" >&2
  echo "  apt-get install qemu-system-x86 linux-image-cloud-amd64 debootstrap e2fsprogs" >&2
  exit 1
}
die() { echo "FAIL: check-vm-fleet: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, image ownership)"
command -v "$QEMU" >/dev/null 2>&1 || missing "$QEMU not installed"
KERNEL=${UJ_VM_KERNEL:-$(ls -1 /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1 || true)}
[ -n "$KERNEL" ] && [ -r "$KERNEL" ] ||
  missing "no kernel /boot/vmlinuz-*-cloud-amd64"
KVER=${KERNEL##*/vmlinuz-}
INITRD=$(dirname "$KERNEL")/initrd.img-$KVER
[ -r "$INITRD" ] || skip "no initrd $INITRD for $KERNEL (update-initramfs -c -k $KVER)"
[ -d "/lib/modules/$KVER/kernel/fs/nfsd" ] || missing "no nfsd module in /lib/modules/$KVER"
command -v mkfs.ext4 >/dev/null 2>&1 || missing "mkfs.ext4 not installed"
[ -x "$USERJAIL" ] || die "$USERJAIL not built (run make)"
[ -r "$MODULE" ] || die "$MODULE not built (run make)"

# ---- cached Debian root ------------------------------------------------------
KEY=$(printf '%s %s minbase fleet v1\n' "$SUITE" "$PKGS" | sha256sum | cut -c1-12)
BASE=$CACHE/fleet-$SUITE-$KEY
mkdir -p "$CACHE"
exec 9>"$CACHE/.fleet-$SUITE.lock"
flock 9 # one builder at a time; later runs wait and reuse
if [ ! -e "$BASE/.complete" ]; then
  command -v debootstrap >/dev/null 2>&1 || missing "debootstrap not installed"
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -m 20 -o /dev/null "$MIRROR/dists/$SUITE/Release" ||
      skip "mirror $MIRROR unreachable (needed once to build $BASE)"
  fi
  echo "check-vm-fleet: building $BASE with debootstrap (once; a few minutes)"
  rm -rf "$BASE.partial"
  if ! timeout 1800 debootstrap --variant=minbase --include="$PKGS" "$SUITE" "$BASE.partial" \
      "$MIRROR" >"$CACHE/fleet-$SUITE-$KEY.log" 2>&1; then
    rm -rf "$BASE.partial"
    if grep -qiE 'Failed getting release file|Could not resolve|Temporary failure|unable to fetch' \
        "$CACHE/fleet-$SUITE-$KEY.log"; then
      skip "debootstrap could not reach $MIRROR (see $CACHE/fleet-$SUITE-$KEY.log)"
    fi
    die "debootstrap failed: $(tail -n 3 "$CACHE/fleet-$SUITE-$KEY.log")"
  fi
  rm -rf "$BASE.partial"/var/cache/apt/archives/*.deb "$BASE.partial"/var/lib/apt/lists/*
  touch "$BASE.partial/.complete"
  rm -rf "$BASE"
  mv "$BASE.partial" "$BASE"
fi
exec 9>&-
echo "check-vm-fleet: base root $BASE ($(( $(date +%s) - T0 )) s)"

# ---- the guest: a copy of the base with the project installed ----------------
WORK=$(mktemp -d /tmp/ujvmfleet.XXXXXX)
cleanup() {
  if [ "${UJ_VM_KEEP:-0}" = 1 ]; then echo "check-vm-fleet: work dir kept: $WORK"
  else rm -rf "$WORK"; fi
}
trap cleanup EXIT
R=$WORK/root
cp -a "$BASE" "$R"
rm -f "$R/.complete"
# the kernel's modules: nfsd, nfs, lockd, sunrpc, autofs4 are modules here
mkdir -p "$R/lib/modules"
cp -a "/lib/modules/$KVER" "$R/lib/modules/"
"$HERE/setup-guest.sh" "$R" "$ROOT" "$USERJAIL" "$MODULE" "$WORK" || die "guest setup failed"

SIZE_MB=$(( $(du -sm "$R" | cut -f1) + 256 ))
mkfs.ext4 -q -F -L ujroot -d "$R" -E root_owner=0:0 "$WORK/root.img" "${SIZE_MB}M" ||
  die "mkfs.ext4 -d failed"
rm -rf "$R"

# ---- boot ----------------------------------------------------------------------
mkdir -p "$B/vm-fleet"
LOG=$B/vm-fleet/console.log
echo "check-vm-fleet: booting $KERNEL + systemd (TCG, 2 CPUs, 1 GiB; timeout $TIMEOUT s); console log: $LOG"
set +e
timeout --kill-after=10 "$TIMEOUT" "$QEMU" -accel tcg -m 1024 -smp 2 -nographic -no-reboot \
  -nic none -kernel "$KERNEL" -initrd "$INITRD" \
  -drive "file=$WORK/root.img,format=raw,if=virtio,cache=unsafe" \
  -append "root=/dev/vda rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 quiet loglevel=3 panic=-1 systemd.show_status=error" \
  </dev/null 2>&1 | tr -d '\r' | tee "$LOG" | grep --line-buffered -E '^UJFLEET|Kernel panic|emergency mode'
qrc=${PIPESTATUS[0]}
set -e

npass=$(grep -c '^UJFLEET PASS' "$LOG" || true)
nfail=$(grep -c '^UJFLEET FAIL' "$LOG" || true)
echo "check-vm-fleet: $(( $(date +%s) - T0 )) s in all"
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  echo "FAIL: check-vm-fleet: the VM did not finish within $TIMEOUT s (see $LOG)"
  tail -n 30 "$LOG"
  exit 1
fi
if ! grep -q '^UJFLEET-END' "$LOG"; then
  echo "FAIL: check-vm-fleet: the guest did not reach the end of its tests (qemu status $qrc; see $LOG)"
  tail -n 40 "$LOG"
  exit 1
fi
echo "check-vm-fleet: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
