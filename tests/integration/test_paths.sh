#!/bin/bash
# Entry paths other than sshd: su -l, pamtester, a plain PAM application
# (check 15).
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic
U=$(uj_new_user)
uj_user_create "$U"
N=$(uj_new_user)
uj_user_create "$N" 0
hostns=$(readlink /proc/self/ns/pid)
mounts0=$(uj_host_mounts)

# su -l
out=$(uj_su "$U" 'echo "H=$(hostname) NS=$(readlink /proc/self/ns/pid) U=$(id -un)"' 2>&1)
expect_match "su -l: runs as the user in the jail (hostname)" "^H=jail-$U NS=pid:.* U=$U\$" "$out"
expect_nomatch "su -l: pid ns is not the host's" "NS=$hostns" "$out"
wait_until 6 uj_nothing_left "$U"
expect_gone "su -l: nothing left after the session" "$U"
out=$(uj_su "$N" 'hostname' 2>&1)
expect_eq "su -l: unmatched user unjailed" "$(hostname)" "$out"

# pamtester
uj_pamtester_setup
out=$(timeout 60 pamtester -v "$UJ_PAMTESTER_SVC" "$U" open_session close_session 2>&1)
rc=$?
expect_eq "pamtester open_session close_session succeeds" 0 "$rc"
[ "$rc" -eq 0 ] || uj_log "pamtester: $out"
wait_until 6 uj_nothing_left "$U"
expect_gone "pamtester: nothing left after close_session" "$U"

# a PAM application that runs a command inside the opened session
if uj_pamrun_build 2>"$UJ_TMP/gcc.err"; then
  out=$(timeout 60 "$UJ_TMP/pamrun" "$UJ_PAMTESTER_SVC" "$U" sh -c 'echo "H=$(hostname) NS=$(readlink /proc/self/ns/pid)"' 2>&1)
  expect_match "PAM application: command runs in the jail" "^H=jail-$U NS=pid:" "$out"
  expect_nomatch "PAM application: pid ns is not the host's" "NS=$hostns" "$out"
  wait_until 6 uj_nothing_left "$U"
  expect_gone "PAM application: nothing left after close_session" "$U"
else
  fail "build pamrun" "$(cat "$UJ_TMP/gcc.err")"
fi
expect_eq "host mount table unchanged" "$mounts0" "$(uj_host_mounts)"
uj_summary
