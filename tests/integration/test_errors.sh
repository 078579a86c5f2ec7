#!/bin/bash
# on_error = deny / allow, unmatched and exempt users, config file that is not
# root's or is writable by others (checks 11 and 16).
source "$(dirname "$0")/lib.sh"
uj_init
U=$(uj_new_user)
uj_user_create "$U"
N=$(uj_new_user)
uj_user_create "$N" 0   # not in the jailed group
E=$(uj_new_user)
uj_user_create "$E"     # in the group, but exempt
uj_conf_basic
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }
hostns=$(readlink /proc/self/ns/pid)
MISSING=/nonexistent/ujt-$UJ_TAG
mounts0=$(uj_host_mounts)

# denied WHAT REASON-REGEX: log in as U; the command must not run, the client
# gets a reason, syslog has it, and nothing is left behind. For a broken
# config this is the case without a last valid copy (test_admin.sh covers
# the fallback to it), so the copy earlier logins kept is removed first.
denied() {
  local what=$1 re=$2 out log
  rm -f "$(uj_conf_last_good)"
  uj_syslog_mark
  out=$(uj_ssh "$U" 'echo COMMAND-RAN' 2>&1)
  log=$(uj_syslog_since)
  expect_nomatch "$what: login gets no shell (command does not run)" COMMAND-RAN "$out"
  expect_match "$what: client sees the reason" "$re" "$out"
  if [ "$(grep -Ec "$re" <<<"$out")" -le 1 ]; then pass "$what: reason is one line"
  else fail "$what: reason is one line" "$out"; fi
  if [ -n "$UJ_SYSLOG" ]; then expect_match "$what: syslog has the reason" "$re" "$log"
  else skip "$what: syslog has the reason" "no syslog capture"; fi
  wait_until 5 uj_nothing_left "$U"
  expect_gone "$what: nothing left (process, state, cgroup)" "$U"
  expect_eq "$what: host mount table unchanged" "$mounts0" "$(uj_host_mounts)"
}

# --- deny: a required bind source that does not exist
uj_conf_basic "binds = ( { source = \"$MISSING\"; optional = false; } );"
denied "missing required bind, deny" "$MISSING"

# --- allow: same failure, login proceeds unjailed
uj_conf_basic "on_error = \"allow\"; binds = ( { source = \"$MISSING\"; optional = false; } );"
out=$(uj_ssh "$U" 'echo "RAN $(readlink /proc/self/ns/pid) $(hostname)"' 2>&1)
expect_eq "missing bind, allow: login proceeds unjailed" "RAN $hostns $(hostname)" "$(grep '^RAN' <<<"$out")"
wait_until 5 uj_nothing_left "$U"
expect_gone "missing bind, allow: nothing left" "$U"
# The login that creates a jail is moved into the user's cgroup with the
# jail's init (one cgroup migration wait instead of two): when the jail
# then fails, it goes back where it came from and is not killed.
uj_pamtester_setup
if uj_pamrun_build 2>"$UJ_TMP/gcc.err"; then
  out=$(PAMRUN_CGROUP=1 timeout 60 "$UJ_TMP/pamrun" "$UJ_PAMTESTER_SVC" "$U" \
    sh -c 'echo "RAN $(hostname)"' 2>&1)
  rc=$?
  expect_eq "missing bind, allow (pamrun): runs unjailed, exit 0" "RAN $(hostname) 0" \
    "$(grep '^RAN' <<<"$out") $rc"
  expect_eq "missing bind, allow (pamrun): the login's process is back in its own cgroups" \
    "$(sed -n 's/^before: //p' <<<"$out")" "$(sed -n 's/^after: //p' <<<"$out")"
  wait_until 5 uj_nothing_left "$U"
  expect_gone "missing bind, allow (pamrun): nothing left" "$U"
else
  fail "build pamrun" "$(cat "$UJ_TMP/gcc.err")"
fi

# --- an optional missing bind is skipped: login is jailed
uj_conf_basic "binds = ( { source = \"$MISSING\"; optional = true; } );"
out=$(uj_ssh "$U" 'hostname' 2>&1)
expect_eq "missing optional bind: login jailed normally" "jail-$U" "$out"
wait_until 5 uj_nothing_left "$U"

# --- config not owned by root / writable by others (check 16)
uj_conf_basic
chown "$U" "$UJ_CONF"
denied "config owned by the user, deny" "$UJ_CONF|owner|owned|root"
chown root "$UJ_CONF"
chmod 0666 "$UJ_CONF"
denied "config writable by others, deny" "$UJ_CONF|writable|mode|permission"
chmod 0644 "$UJ_CONF"
# a user-owned config that also says on_error=allow must not be trusted
uj_conf_basic 'on_error = "allow";'
chown "$U" "$UJ_CONF"
denied "user-owned config claiming on_error=allow, deny" "$UJ_CONF|owner|owned|root"
chown root "$UJ_CONF"

# --- syntax error in the config
uj_write_conf 'hostname = "jail-%u";
limits = { pids = 512 memory };
rules = ( { match = [ "@'"$UJ_GROUP"'" ]; } );'
denied "config syntax error, deny" "$UJ_CONF:[0-9]+"

# --- unmatched and exempt users: unjailed, nothing created
uj_conf_basic "exempt = [ \"$E\" ];"
for who in "$N:unmatched user" "$E:exempt user"; do
  u=${who%%:*} what=${who#*:}
  out=$(uj_ssh "$u" 'echo "RAN $(readlink /proc/self/ns/pid) $(hostname)"; ls /run/userjail/ 2>/dev/null' 2>&1)
  expect_eq "$what: session is unjailed" "RAN $hostns $(hostname)" "$(grep '^RAN' <<<"$out")"
  uid=$(uj_uid "$u")
  check "$what: no state, no cgroup" test -z "$(uj_state_files "$uid")$(uj_cgroup_dirs "$uid")"
done
out=$(uj_ssh "$U" 'hostname' 2>&1)
expect_eq "matched user in the same config is jailed" "jail-$U" "$out"

# --- a missing home: refused by name, never created (homes are opened as the
# user and never made by userjail)
uj_conf_basic
mv "/home/$U" "/home/$U.away"
out=$(timeout 60 "$UJ_HELPER" run --config "$UJ_CONF" "$U" -- echo COMMAND-RAN 2>&1); rc=$?
expect_nomatch "missing home: command does not run" COMMAND-RAN "$out"
expect_match "missing home: error names the user and the path" \
  "home directory /home/$U of user $U does not exist" "$out"
check "missing home: exit status is 1" test "$rc" = 1
check "missing home: the home was not created" test ! -e "/home/$U"
wait_until 5 uj_nothing_left "$U"
expect_gone "missing home: nothing left (process, state, cgroup)" "$U"
mv "/home/$U.away" "/home/$U"

# --- a bind whose source is inside the home is opened with the user's
# identity: a directory there the user cannot enter (root's, 0700) is not
# bound by root on the user's behalf
install -d -m 0700 -o root -g root "/home/$U/rootonly"
install -d -m 0755 -o root -g root "/home/$U/rootonly/inner"
uj_conf_basic "binds = ( { source = \"/home/$U/rootonly/inner\"; destination = \"/srv/ujt-inner\"; } );"
out=$(timeout 60 "$UJ_HELPER" run --config "$UJ_CONF" "$U" -- echo COMMAND-RAN 2>&1)
expect_nomatch "bind inside home, unreachable for the user: command does not run" COMMAND-RAN "$out"
expect_match "bind inside home, unreachable for the user: refused as the user" \
  "/home/$U/rootonly/inner cannot be opened by user $U" "$out"
wait_until 5 uj_nothing_left "$U"
expect_gone "bind inside home, unreachable: nothing left" "$U"
# the same directory made the user's: bound, visible inside
chown "$U" "/home/$U/rootonly"
out=$(timeout 60 "$UJ_HELPER" run --config "$UJ_CONF" "$U" -- stat -c %F /srv/ujt-inner 2>&1)
expect_eq "bind inside home, reachable: bound" "directory" "$out"
wait_until 5 uj_nothing_left "$U"
rm -rf "/home/$U/rootonly"
uj_conf_basic

# --- what the module hands the helper: an empty environment, default signal
# dispositions, nothing blocked, stdio on /dev/null, the answer socket as fd
# 3 and no other descriptor of the application's (a probe in the helper's
# place records it, then answers nothing: the login is refused).
cat >"$UJ_TMP/probe.c" <<'PROBE'
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv)
{
  FILE *o = fopen("/tmp/ujt-probe.out", "w");
  if (!o) return 1;
  int n = 0; for (char **e = environ; *e; e++) n++;
  fprintf(o, "env %d\n", n);
  DIR *d = opendir("/proc/self/fd"); struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d) || atoi(de->d_name) == fileno(o)) continue;
    char l[256] = ""; char p[64]; snprintf(p, sizeof p, "/proc/self/fd/%s", de->d_name);
    ssize_t k = readlink(p, l, sizeof l - 1); if (k > 0) l[k] = 0;
    fprintf(o, "fd %s %s\n", de->d_name, strncmp(l, "socket:", 7) == 0 ? "socket" : l);
  }
  /* the socket's peer is the application's session process (it made the
   * pair); the helper is not its child, once the module's intermediate
   * has exited (at once) */
  struct ucred cr; socklen_t cl = sizeof cr;
  for (int i = 0; i < 100 && getsockopt(3, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0 && getppid() == cr.pid; i++)
    usleep(10000);
  if (getsockopt(3, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0)
    fprintf(o, "parent %s\n", getppid() == cr.pid ? "the session process" : "another process");
  /* the user's group list comes first on fd 3 (common/proto.h,
   * uj_groups_msg: magic "ujg1", uid, gid, count, then the gids) */
  unsigned rec[4 + 64]; ssize_t k = recv(3, rec, sizeof rec, MSG_WAITALL | MSG_DONTWAIT);
  for (int i = 0; k < 16 && i < 100; i++) { usleep(10000); k = recv(3, rec, sizeof rec, MSG_DONTWAIT); }
  if (k >= 16 && rec[0] == 0x756a6731u) {
    fprintf(o, "groups %u %u", rec[1], rec[2]);
    for (unsigned i = 0; i < rec[3] && 16 + 4 * (i + 1) <= (size_t) k; i++) fprintf(o, " %u", rec[4 + i]);
    fprintf(o, "\n");
  }
  FILE *st = fopen("/proc/self/status", "r"); char line[256];
  /* signals 32 and 33 are glibc's own (thread cancellation, setxid): no
   * program can change them, so they are left out */
  while (fgets(line, sizeof line, st))
    if (!strncmp(line, "SigBlk:", 7) || !strncmp(line, "SigIgn:", 7))
      fprintf(o, "%.7s %llx\n", line, strtoull(line + 8, NULL, 16) & ~(3ULL << 31));
  fclose(o);
  return 1;
}
PROBE
if gcc -O2 -o "$UJ_TMP/probe-helper" "$UJ_TMP/probe.c" 2>"$UJ_TMP/gcc.err"; then
  svc=ujt-probe-$UJ_TAG
  UJ_CLEANUP_HOOKS+=("rm -f /etc/pam.d/$svc /tmp/ujt-probe.out")
  uj_pam_file "/etc/pam.d/$svc" 0
  echo "session required $UJ_MODULE config=$UJ_CONF helper=$UJ_TMP/probe-helper" >>"/etc/pam.d/$svc"
  rm -f /tmp/ujt-probe.out
  # an application with a descriptor open, SIGPIPE ignored and SIGUSR1 blocked
  out=$(exec 7</etc/hostname; trap '' PIPE; timeout 60 pamtester "$svc" "$U" open_session 2>&1)
  check "probe helper: the login is refused (no answer)" grep -q "login refused" <<<"$out"
  p=$(cat /tmp/ujt-probe.out 2>/dev/null)
  expect_eq "helper gets an empty environment" "env 0" "$(grep '^env' <<<"$p")"
  expect_eq "helper gets stdio on /dev/null and the socket as fd 3, nothing else" \
    "fd 0 /dev/null
fd 1 /dev/null
fd 2 /dev/null
fd 3 socket" "$(grep '^fd' <<<"$p" | sort)"
  # the module's group list for the helper (session-open --module-groups):
  # the user's uid, primary gid, and the groups the host's NSS gives
  expect_eq "helper gets the user's groups from the module" \
    "groups $(id -u "$U") $(id -g "$U") $(id -G "$U" | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')" \
    "$(grep '^groups' <<<"$p" | { read -r w uid gid rest; echo "$w $uid $gid $(tr ' ' '\n' <<<"$rest" | sort -n | tr '\n' ' ' | sed 's/ $//')"; })"
  expect_match "helper starts with no signal blocked" '^SigBlk: 0$' "$p"
  expect_match "helper starts with no signal ignored" '^SigIgn: 0$' "$p"
  # a helper that lives on as a jail's monitor must not be the child of a
  # session process (which reaps it, or dies at logout)
  expect_eq "helper is not the session process's child" "parent another process" \
    "$(grep '^parent' <<<"$p")"
  rm -f "/etc/pam.d/$svc" /tmp/ujt-probe.out
else
  fail "build the helper probe" "$(cat "$UJ_TMP/gcc.err")"
fi

uj_summary
