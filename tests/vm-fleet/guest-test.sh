#!/bin/bash
# The check-vm-fleet tests, run as root by ujfleet-test.service inside the
# guest (setup-guest.sh); "UJFLEET PASS|FAIL|INFO name: detail" lines on the
# serial console, counted by run.sh. Powers off at the end.
#
# What they show, for users that exist only in LDAP (through sssd) and whose
# homes are on NFS exported with root_squash, one of them automounted:
#   - root on this machine cannot read the home, yet the jailed ssh login
#     works: the helper opens the home as the user and mounts by fd;
#   - inside the jail `id`, `getent` and `ls -l` show LDAP names and groups;
#   - files written in the jail land on the server, owned by the user's uid;
#   - the automounted home follows the host (slave propagation), a
#     lingering jail keeps its NFS volume until `userjail stop` releases it;
#   - a directory that stops answering gives a clear, bounded refusal; a
#     missing home is refused by name, never created;
#   - logout leaves no cgroup, no mount and no jail behind.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export SYSTEMD_PAGER= SYSTEMD_COLORS=0
SVC=/sys/fs/cgroup/userjail.slice/userjail.service
SSH="ssh -i /root/.ssh/id_ed25519 -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=60"

pass() { echo "UJFLEET PASS $*"; }
fail() { echo "UJFLEET FAIL $*"; }
info() { echo "UJFLEET INFO $*"; }
oneline() { tr '\n' ' ' | sed 's/ *$//'; }
wait_for() {
  local n=$(( $1 * 10 )); shift
  while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
  return 1
}
# check NAME GOT WANT-REGEX
check() {
  if grep -qE -- "$3" <<<"$2"; then pass "$1: $(oneline <<<"$2" | cut -c1-300)"
  else fail "$1: '$(oneline <<<"$2" | cut -c1-400)' does not match /$3/"; fi
}
finish() {
  echo "UJFLEET-END"
  sync
  systemctl poweroff -ff
  sleep 60
}
jailed() { userjail list --json 2>/dev/null | grep -c "\"uid\": $1"; }
no_jail() { [ "$(jailed "$1")" = 0 ]; }
# the host's mount points, but logind's /run/user/UID (its own business)
host_mounts() { awk '$5 !~ "^/run/user/" {print $5}' /proc/self/mountinfo | sort; }

# ---- the services ------------------------------------------------------------------
for s in slapd sssd nfs-server autofs ssh; do
  wait_for 120 systemctl is-active -q "$s.service" || info "service $s: $(systemctl is-active "$s.service")"
done
if ! wait_for 60 getent passwd ldapuser1 >/dev/null; then
  info "sssd not answering yet; restarting it"
  systemctl restart sssd.service
  wait_for 60 getent passwd ldapuser1 >/dev/null
fi
out=$(getent passwd ldapuser1)
check directory-user "$out" '^ldapuser1:\*:5001:5001:'
if grep -q '^ldapuser' /etc/passwd /etc/group; then fail "not-local: LDAP users in /etc/passwd"
else pass "not-local: no ldapuser in /etc/passwd or /etc/group"; fi

# ---- NFS: /srv/home at /home, root_squash live ------------------------------------
wait_for 60 mount -t nfs4 -o vers=4.2 127.0.0.1:/srv/home /home
check nfs-home "$(findmnt -n -o FSTYPE,SOURCE /home)" '^nfs4 +127\.0\.0\.1:/srv/home'
out=$(ls /home/ldapuser1 2>&1)
check root-squash-live "ls /home/ldapuser1 as root -> $out" 'Permission denied'
BASE_MOUNTS=$(host_mounts)

# ---- ldapuser1: jailed ssh login, home on root-squashed NFS -------------------------
CMD='echo host=$(hostname); id; getent passwd ldapuser1; echo fleet-data-1 >~/written; ls -l ~/written; stat -f -c fstype=%T ~; echo pwd=$(pwd); echo proj=$(cat /proj/README) $(stat -f -c %T /proj)'
out=$(timeout 300 $SSH ldapuser1@127.0.0.1 "$CMD" 2>&1); rc=$?
check u1-login "rc=$rc $(head -n 1 <<<"$out")" '^rc=0 host=jail-ldapuser1$'
check u1-id-ldap-groups "$(grep '^uid=' <<<"$out")" '^uid=5001\(ldapuser1\) gid=5001\(ldapuser1\) groups=5001\(ldapuser1\),6000\(fleetjail\)$'
check u1-getent-in-jail "$(grep '^ldapuser1:' <<<"$out")" '^ldapuser1:\*:5001:5001:ldapuser1:/home/ldapuser1:/bin/bash$'
check u1-ls-names "$(grep 'written$' <<<"$out")" ' ldapuser1 ldapuser1 .*/home/ldapuser1/written$'
check u1-home-is-nfs "$(grep '^fstype=' <<<"$out")" '^fstype=nfs$'
check u1-bind-from-home "$(grep '^proj=' <<<"$out") (root: $(ls /home/ldapuser1/proj 2>&1))" '^proj=proj-file-1 nfs \(root: .*Permission denied\)$'
check u1-cwd-home "$(grep '^pwd=' <<<"$out")" '^pwd=/home/ldapuser1$'
check u1-write-on-server "$(stat -c '%u:%g' /srv/home/ldapuser1/written 2>&1) $(cat /srv/home/ldapuser1/written 2>&1)" '^5001:5001 fleet-data-1$'
if wait_for 30 no_jail 5001; then pass "u1-logout-no-jail: userjail list has no jail of 5001"
else fail "u1-logout-no-jail: $(userjail list 2>&1 | oneline)"; fi
if wait_for 15 [ ! -e "$SVC/5001" ]; then pass "u1-logout-no-cgroup: $SVC/5001 gone"
else fail "u1-logout-no-cgroup: $SVC/5001 still there"; fi
same_mounts() { [ "$(host_mounts)" = "$BASE_MOUNTS" ]; }
if wait_for 20 same_mounts; then pass "u1-logout-no-mounts: host mount table as before the login ($(wc -l <<<"$BASE_MOUNTS") mount points)"
else fail "u1-logout-no-mounts: new: $(comm -13 <(echo "$BASE_MOUNTS") <(host_mounts) | oneline); gone: $(comm -23 <(echo "$BASE_MOUNTS") <(host_mounts) | oneline)"; fi

# ---- ldapuser2: automounted home, lingering jail -------------------------------------
mounted2() { findmnt -n /nethome/ldapuser2 >/dev/null; }
if mounted2; then info "u2-not-yet-mounted: /nethome/ldapuser2 is already mounted"
else pass "u2-not-yet-mounted: /nethome/ldapuser2 is not mounted before the login"; fi
CMD='echo host=$(hostname); id; echo fleet-data-2 >~/written2; ls -l ~/written2; stat -f -c fstype=%T ~; echo pwd=$(pwd)'
out=$(timeout 300 $SSH ldapuser2@127.0.0.1 "$CMD" 2>&1); rc=$?
check u2-login "rc=$rc $(head -n 1 <<<"$out")" '^rc=0 host=jail-ldapuser2$'
check u2-id-ldap-groups "$(grep '^uid=' <<<"$out")" '^uid=5002\(ldapuser2\) gid=5002\(ldapuser2\) groups=5002\(ldapuser2\),6000\(fleetjail\),6001\(research\)$'
check u2-home-is-nfs "$(grep '^fstype=' <<<"$out")" '^fstype=nfs$'
check u2-ls-names "$(grep 'written2$' <<<"$out")" ' ldapuser2 ldapuser2 .*written2$'
check u2-write-on-server "$(stat -c '%u:%g' /srv/home/ldapuser2/written2 2>&1) $(cat /srv/home/ldapuser2/written2 2>&1)" '^5002:5002 fleet-data-2$'
check u2-automounted "$(findmnt -n -o FSTYPE,SOURCE /nethome/ldapuser2)" '^nfs4 +127\.0\.0\.1:/srv/home/ldapuser2'
if [ "$(jailed 5002)" = 1 ]; then pass "u2-lingers: the jail of 5002 outlives the logout (on_logout linger)"
else fail "u2-lingers: $(userjail list 2>&1 | oneline)"; fi

# slave propagation: a mount the host makes under the autofs home reaches
# the lingering jail, and so does its unmount
mount -t tmpfs -o size=1m ujprop /nethome/ldapuser2/sub
out=$(timeout 60 userjail run ldapuser2 -- stat -f -c %T /nethome/ldapuser2/sub 2>&1)
check u2-slave-mount-reaches-jail "$out" '^tmpfs$'
umount /nethome/ldapuser2/sub
out=$(timeout 60 userjail run ldapuser2 -- stat -f -c %T /nethome/ldapuser2/sub 2>&1)
check u2-slave-umount-reaches-jail "$out" '^nfs$'

# pinning: the host lets go of the automount (as autofs expiry does); the
# lingering jail still holds the NFS volume until `userjail stop`
dev=$(mountpoint -d /nethome/ldapuser2 2>/dev/null)
vol() { grep -q " $dev " /proc/fs/nfsfs/volumes; }
info "u2-volume: dev $dev; $(grep -c . /proc/fs/nfsfs/volumes) NFS volumes"
umount /nethome/ldapuser2 2>&1 || umount -l /nethome/ldapuser2
if [ -n "$dev" ] && vol; then pass "u2-jail-pins-volume: after the host's umount, NFS volume $dev is still held by the lingering jail"
else fail "u2-jail-pins-volume: volume '$dev' not listed: $(oneline </proc/fs/nfsfs/volumes)"; fi
out=$(timeout 60 userjail stop ldapuser2 2>&1); rc=$?
check u2-stop "rc=$rc $out" '^rc=0'
if wait_for 30 eval '! vol'; then pass "u2-stop-releases-volume: NFS volume $dev gone after userjail stop"
else fail "u2-stop-releases-volume: $(oneline </proc/fs/nfsfs/volumes)"; fi
if no_jail 5002 && [ ! -e "$SVC/5002" ]; then pass "u2-stop-clean: no jail, no cgroup for 5002"
else fail "u2-stop-clean: $(userjail list 2>&1 | oneline)"; fi
# autofs mounts it again on the next access, as the user
out=$(timeout 60 userjail run ldapuser2 -- cat /nethome/ldapuser2/written2 2>&1)
check u2-remount "$out" '^fleet-data-2$'
timeout 60 userjail stop ldapuser2 >/dev/null 2>&1

# ---- a directory that stops answering: bounded, clear refusal ---------------------
pids=$(pgrep -x sssd_nss | oneline)
if [ -n "$pids" ]; then
  kill -STOP $pids
  t0=$(date +%s)
  out=$(timeout 120 userjail run ldapslow -- true 2>&1); rc=$?
  t=$(( $(date +%s) - t0 ))
  kill -CONT $pids
  check slow-directory-refused "rc=$rc after ${t}s: $out" '^rc=1 after ([0-9]|1[0-9]|2[0-9])s: .*user lookup for ldapslow timed out after 10 s \(directory slow\?\)'
  out=$(timeout 120 userjail run ldapslow -- id -un 2>&1)
  check slow-directory-recovered "$out" '^ldapslow$'
  timeout 60 userjail stop ldapslow >/dev/null 2>&1
else
  fail "slow-directory: no sssd_nss process"
fi

# ---- a missing home: refused by name, not created ---------------------------------
out=$(timeout 120 userjail run ldapnohome -- true 2>&1); rc=$?
check missing-home-refused "rc=$rc $out" '^rc=1 .*home directory /home/ldapnohome of user ldapnohome does not exist'
if [ -e /srv/home/ldapnohome ]; then fail "missing-home-not-created: /srv/home/ldapnohome exists"
else pass "missing-home-not-created: /srv/home/ldapnohome still absent"; fi

# ---- the end: nothing left ---------------------------------------------------------
wait_for 30 eval '[ "$(userjail list --json 2>/dev/null | grep -c "\"uid\"")" = 0 ]'
check all-clean "jails: $(userjail list --json 2>/dev/null | grep -c '"uid"'); user cgroups: $(find $SVC -mindepth 1 -maxdepth 1 -type d -name '[0-9]*' 2>/dev/null | wc -l); sessions: $(loginctl list-sessions --no-legend 2>/dev/null | grep -c ldap)" '^jails: 0; user cgroups: 0; sessions: 0$'
finish
