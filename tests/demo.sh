#!/bin/bash
# `sudo make demo`: build userjail, start a throwaway sshd on 127.0.0.1 with
# pam_userjail.so in its session stack, create a demo user in a demo jailed
# group, log in over ssh and show the jail from inside; then remove it all.
# Nothing of the system's sshd or its PAM files is touched.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: run as root (sudo make demo)" >&2
  exit 2
fi

# build dependencies
need=()
for p in build-essential pkg-config libpam0g-dev libcap-dev libmount-dev libconfig-dev libcmocka-dev pamtester \
  openssh-server openssh-client; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" || exit 1
fi
echo "== building"
make -C "$ROOT" all >/dev/null || exit 1

UJ_TAG=demo$$
source "$ROOT/tests/integration/lib.sh"
uj_init
uj_conf_basic 'limits = { pids = 128; memory = "256M"; cpu = 0.5; };'
U=$(uj_new_user)
uj_user_create "$U"
echo "== demo user $U (group $UJ_GROUP), config $UJ_CONF:"
sed 's/^/   /' "$UJ_CONF"
uj_sshd_start || { echo "demo: sshd did not start"; tail "$UJ_TMP/sshd.log"; exit 1; }
echo "== sshd on 127.0.0.1:$UJ_PORT, PAM service $(basename "$UJ_SSHD_PAM"):"
sed 's/^/   /' "$UJ_SSHD_PAM"

# keep one session open so the host side can look at the live jail
uj_ssh_bg "$U" 'sleep 30'
bg=$UJ_BG_PID
UJ_CLEANUP_HOOKS+=("kill $bg")
sleep 2

echo
echo "== ssh $U@127.0.0.1 -- from inside the jail:"
uj_ssh_tty "$U" '
echo "\$ id; hostname"; id; hostname
echo; echo "\$ ps -ef"; ps -ef
echo; echo "\$ findmnt -o TARGET,FSTYPE,OPTIONS"; findmnt -o TARGET,FSTYPE,OPTIONS
echo; echo "\$ ls /home /dev"; ls /home; ls /dev
echo; echo "\$ ulimit -a | head -5; grep Cap /proc/self/status"; ulimit -a | head -5; grep Cap /proc/self/status
echo; echo "\$ readlink /proc/self/ns/{mnt,pid,uts,ipc}"; readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/uts /proc/self/ns/ipc
' 2>&1 | tr -d '\r' | sed 's/^/   /'

echo
echo "== on the host: the same namespaces as root sees them"
readlink /proc/self/ns/mnt /proc/self/ns/pid /proc/self/ns/uts /proc/self/ns/ipc | sed 's/^/   /'
echo "== on the host: userjail list (limits: pids.max / memory limit from the cgroup)"
"$UJ_HELPER" list | sed 's/^/   /'
uid=$(id -u "$U")
for f in pids/userjail/$uid/pids.max memory/userjail/$uid/memory.limit_in_bytes \
  cpu/userjail/$uid/cpu.cfs_quota_us cpu/userjail/$uid/cpu.cfs_period_us; do
  [ -r "/sys/fs/cgroup/$f" ] && echo "   /sys/fs/cgroup/$f = $(cat "/sys/fs/cgroup/$f")"
done
for f in pids.max memory.max cpu.max; do
  [ -r "/sys/fs/cgroup/userjail/$uid/$f" ] && echo "   /sys/fs/cgroup/userjail/$uid/$f = $(cat "/sys/fs/cgroup/userjail/$uid/$f")"
done
echo "== userjail stop $U"
"$UJ_HELPER" stop "$U" | sed 's/^/   /'
wait "$bg" 2>/dev/null
echo "== cleaning up (user, sshd, PAM service file, temp dir)"
