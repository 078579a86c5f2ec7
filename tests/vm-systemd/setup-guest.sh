#!/bin/bash
# setup-guest.sh ROOT SRCTREE USERJAIL MODULE WORK: turn a copy of the cached
# Debian root (run.sh) into the check-vm-systemd guest. Everything here is
# done to that copy only; the host's /etc is never touched.
#
# Guest: hostname vmsd; users ujsd (uid 1000, group jailed: jailed) and ujfree
# (uid 1001: not jailed); /etc/pam.d/su-l and /etc/pam.d/sshd end with
# pam_userjail.so (pam_systemd runs before it, from common-session, as Debian
# ships it); root's ssh key authorized for ujsd; the unit ujsd-test.service
# runs guest-test.sh once the system is up and powers the VM off.
set -euo pipefail
R=$1 SRC=$2 USERJAIL=$3 MODULE=$4 WORK=$5
HERE=$SRC/tests/vm-systemd
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

# ---- the project, where `make install PREFIX=/usr/local` puts it -----------
PAMDIR=$(dirname "$(cd "$R" && ls -1 usr/lib/*/security/pam_unix.so | head -n 1)")
install -m 0755 "$USERJAIL" "$R/usr/local/sbin/userjail"
# the jail's PID 1 once its root is built (found next to the helper)
[ -x "$(dirname "$USERJAIL")/userjail-reaper" ] &&
  install -m 0755 "$(dirname "$USERJAIL")/userjail-reaper" "$R/usr/local/sbin/userjail-reaper"
[ -x "$(dirname "$USERJAIL")/userjail-monitor" ] &&
  install -m 0755 "$(dirname "$USERJAIL")/userjail-monitor" "$R/usr/local/sbin/userjail-monitor"
install -m 0644 "$MODULE" "$R/$PAMDIR/pam_userjail.so"
install -m 0644 "$SRC/conf/userjail.slice" "$SRC/conf/userjail.service" "$R/etc/systemd/system/"
# the optional standby helper, as `make install` writes it (not enabled: the
# guest test starts it for its own section)
sed 's#@SBINDIR@#/usr/local/sbin#' "$SRC/conf/userjail-standby.service.in" \
  >"$R/etc/systemd/system/userjail-standby.service"
install -o 0 -g 0 -m 0644 "$HERE/userjail.conf" "$R/etc/security/userjail.conf"
in_root /usr/local/sbin/userjail check-config /etc/security/userjail.conf >/dev/null

# ---- identity, users ---------------------------------------------------------
echo vmsd >"$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 vmsd\n' >"$R/etc/hosts"
# a fixed machine-id: no first-boot setup
tr -d '-' </proc/sys/kernel/random/uuid >"$R/etc/machine-id"
: >"$R/etc/fstab"
in_root groupadd -g 2000 jailed
in_root useradd -m -u 1000 -U -G jailed -s /bin/bash ujsd
in_root useradd -m -u 1001 -U -s /bin/bash ujfree
# login records the jail binds from the host side (sshd writes them)
touch "$R/var/log/wtmp" "$R/var/log/btmp" "$R/var/log/lastlog"

# ---- FUSE for lxcfs.service: the guest has no kernel package, so the module
# of the kernel it boots comes from the host (linux-image-cloud-amd64) ------
KVER=${UJ_VMSD_KVER:-}
FUSE=/lib/modules/$KVER/kernel/fs/fuse/fuse.ko
if [ -n "$KVER" ] && [ -r "$FUSE" ]; then
  install -D -m 0644 "$FUSE" "$R$FUSE"
  in_root depmod "$KVER"
  echo fuse >"$R/etc/modules-load.d/fuse.conf"
fi

# ---- PAM: pam_userjail last, as README.md says; pam_systemd is earlier ------
grep -q '^session.*pam_systemd.so' "$R/etc/pam.d/common-session" ||
  { echo "setup-guest: pam_systemd is not in the guest's common-session" >&2; exit 1; }
for svc in su-l sshd; do
  echo 'session required pam_userjail.so helper=/usr/local/sbin/userjail' >>"$R/etc/pam.d/$svc"
done

# ---- sshd: root's key logs in as ujsd ---------------------------------------
ls "$R"/etc/ssh/ssh_host_*_key >/dev/null 2>&1 || in_root ssh-keygen -A >/dev/null
install -d -m 0700 "$R/root/.ssh"
in_root ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519
install -d -m 0700 -o 1000 -g 1000 "$R/home/ujsd/.ssh"
install -m 0600 -o 1000 -g 1000 "$R/root/.ssh/id_ed25519.pub" "$R/home/ujsd/.ssh/authorized_keys"

# ---- the test unit -------------------------------------------------------------
install -d "$R/usr/local/libexec"
install -m 0755 "$HERE/guest-test.sh" "$R/usr/local/libexec/ujsd-test"
cat >"$R/etc/systemd/system/ujsd-test.service" <<'UNIT'
[Unit]
Description=userjail systemd tests (check-vm-systemd)
After=systemd-logind.service dbus.service ssh.service systemd-user-sessions.service

[Service]
Type=simple
ExecStart=/bin/sh -c 'exec /usr/local/libexec/ujsd-test >/dev/ttyS0 2>&1 </dev/null'

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/ujsd-test.service "$R/etc/systemd/system/multi-user.target.wants/ujsd-test.service"
# the serial console is the tests' output channel: no login prompt on it
ln -sf /dev/null "$R/etc/systemd/system/serial-getty@ttyS0.service"
