#!/bin/bash
# The standby helper (`userjail standby`, helper/cli/cmd_standby.c): a first
# login it answers gets the jail a spawned helper would give; a config edit
# is seen at the next login; whatever becomes of the standby (killed, a
# worker killed, its binary replaced, stopped), logins still get their jail
# through a spawned helper; only root may ask it; stopping it ends no jail.
# A worker whose login makes a jail becomes that jail's monitor: it holds
# nothing of the standby's, logout, quick logins, `stop` and a killed
# monitor behave as with a forked monitor.
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic 'quick_join = 0;'
uj_syslog_start
SB_DIR=$UJ_TMP/sb
SB=$SB_DIR/helper.sock
UJ_MODULE_EXTRA="standby=$SB"
U=$(uj_new_user)
uj_user_create "$U"
V=$(uj_new_user)
uj_user_create "$V"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }
uid=$(uj_uid "$U")
hostns=$(readlink /proc/self/ns/pid)
mounts_before=$(uj_host_mounts)

SB_PID=
sb_start() { # sb_start [BINARY]: a standby on $SB, reading $UJ_CONF ahead
  "${1:-$UJ_HELPER}" standby --socket "$SB" --config "$UJ_CONF" </dev/null >>"$UJ_TMP/sb.log" 2>&1 &
  SB_PID=$!
  wait_until 5 test -S "$SB"
}
# The standby's waiting worker: its child that is not the monitor of a jail
# it made (a worker that makes a jail becomes that jail's monitor).
sb_worker() {
  local p
  for p in $(pgrep -P "$SB_PID"); do
    case "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" in
    userjail-mon*) ;;
    *) echo "$p"; return ;;
    esac
  done
}
sb_worker_waits() { [ -n "$(sb_worker)" ]; }
sb_stop() {
  [ -n "$SB_PID" ] && kill "$SB_PID" 2>/dev/null && wait "$SB_PID" 2>/dev/null
  SB_PID=
}
UJ_CLEANUP_HOOKS+=('sb_stop; pkill -f "standby --socket $SB"')

# via USER CMD: log in by ssh, print the output, and which way the answer
# came (the module's debug line) on the last line.
via() {
  local out
  uj_syslog_mark
  out=$(uj_ssh "$1" "$2" 2>&1)
  echo "$out"
  if uj_syslog_since | grep -q "$1: answer from the standby helper"; then echo "VIA standby"
  else echo "VIA spawned"; fi
}
inner='hostname; readlink /proc/self/ns/pid; cat /proc/1/comm; grep -E "^Seccomp:" /proc/self/status; pwd; stat -c %a /home /tmp'
has_cgroup() { [ -n "$(uj_cgroup_dirs "$(uj_uid "$1")")" ]; }
has_jail() { [ -n "$(uj_list_field "$1" init_pid)" ]; }
# pids_via USER: a login whose session stays 3 s; the pids.max of the user's
# cgroup as the host sees it meanwhile, then which way the answer came.
pids_via() {
  local p f= d
  uj_syslog_mark
  uj_ssh "$1" 'sleep 3' >/dev/null 2>&1 &
  p=$!
  wait_until 5 has_cgroup "$1"
  for d in $(uj_cgroup_dirs "$(uj_uid "$1")"); do [ -f "$d/pids.max" ] && f=$d/pids.max; done
  cat "$f" 2>/dev/null || echo "no pids.max"
  wait $p
  if uj_syslog_since | grep -q "$1: answer from the standby helper"; then echo "VIA standby"
  else echo "VIA spawned"; fi
}

if ! sb_start; then
  fail "the standby listens on its socket" "$(cat "$UJ_TMP/sb.log")"
  exit 1
fi
pass "the standby listens on its socket"
expect_eq "its socket is root's alone (0600)" "600 root" "$(stat -c '%a %U' "$SB")"
w1=$(sb_worker)
expect_match "a worker waits for the next login" '^[0-9]+$' "$w1"

# --- a first login through it: the jail a spawned helper gives
out=$(via "$U" "$inner")
expect_eq "first login: answered by the standby" "VIA standby" "$(tail -1 <<<"$out")"
expect_eq "first login: its shell runs in the jail (hostname)" "jail-$U" "$(sed -n 1p <<<"$out")"
check "first login: not the host's pid namespace" test "$(sed -n 2p <<<"$out")" != "$hostns"
expect_eq "first login: pid 1 is the jail's init" userjail-init "$(sed -n 3p <<<"$out")"
expect_match "first login: the seccomp filter is installed" '^Seccomp:[[:space:]]+2$' "$out"
expect_eq "first login: the shell starts in the home" "/home/$U" "$(sed -n 5p <<<"$out")"
expect_eq "first login: the jail's /home and /tmp have the modes a spawned helper gives" \
  "$(uj_run "$U" -- stat -c %a /home /tmp 2>&1 | tr '\n' ' ')" "$(sed -n 6,7p <<<"$out" | tr '\n' ' ')"
expect_nomatch "first login: nothing on stderr" "Permission denied|Could not" "$out"
w2=$(sb_worker)
check "the worker that served it is gone, another one waits" test -n "$w2" -a "$w2" != "$w1"
check "the served worker did not stay" sh -c "! kill -0 $w1 2>/dev/null"
wait_until 6 uj_nothing_left "$U"
check "after logout: no process, state file or cgroup of the user" uj_nothing_left "$U"

# --- logout through a jail the standby made: close_session ends the jail
# (its connection's hangup) even while the session process lives on
uj_pamtester_setup
if uj_pamrun_build 2>"$UJ_TMP/gcc.err"; then
  uj_syslog_mark
  PAMRUN_LINGER_MS=5000 timeout 60 "$UJ_TMP/pamrun" "$UJ_PAMTESTER_SVC" "$U" \
    sh -c 'nohup sleep 1007 >/dev/null 2>&1 & echo "IN $(hostname)"; echo closing' \
    >"$UJ_TMP/pr.out" 2>&1 &
  pr=$!
  wait_until 20 grep -q '^closing' "$UJ_TMP/pr.out"
  expect_eq "pam session: in the jail" "IN jail-$U" "$(grep '^IN' "$UJ_TMP/pr.out")"
  check "pam session: answered by the standby" \
    grep -q "$U: answer from the standby helper" <<<"$(uj_syslog_since)"
  check "pam session: close_session ends the jail while the session process lingers" \
    wait_until 2 sh -c "! pgrep -u $uid -f 'sleep 1007'"
  check "pam session: ... the session process still runs" kill -0 "$pr"
  wait "$pr"
  wait_until 6 uj_nothing_left "$U"
else
  fail "build pamrun" "$(cat "$UJ_TMP/gcc.err")"
fi

# --- a jail that cannot be made (the home is missing): refused with the
# reason, and the worker that tried leaves nothing (no socket, cgroup,
# process) and is gone
mv "/home/$U" "/home/$U.away"
w=$(sb_worker)
uj_syslog_mark
out=$(uj_su "$U" 'echo COMMAND-RAN' 2>&1)
if uj_syslog_since | grep -q "$U: answer from the standby helper"; then out+=$'\nVIA standby'
else out+=$'\nVIA spawned'; fi
mv "/home/$U.away" "/home/$U"
expect_eq "missing home: answered by the standby" "VIA standby" "$(tail -1 <<<"$out")"
expect_nomatch "missing home: no shell" COMMAND-RAN "$out"
expect_match "missing home: the client sees the reason" "home directory /home/$U of user $U does not exist" "$out"
check "missing home: nothing left (process, state, cgroup)" wait_until 5 uj_nothing_left "$U"
check "missing home: the worker that tried is gone" wait_until 3 sh -c "! kill -0 $w 2>/dev/null"
out=$(via "$U" hostname)
expect_eq "missing home back: the next login gets its jail" "jail-$U" "$(head -1 <<<"$out")"
wait_until 6 uj_nothing_left "$U"

# --- a config edit after the worker read it ahead: the login sees the new one
out=$(pids_via "$U")
expect_eq "pids limit as configured (512)" 512 "$(head -1 <<<"$out")"
expect_eq "... answered by the standby" "VIA standby" "$(tail -1 <<<"$out")"
wait_until 6 uj_nothing_left "$U"
uj_conf_basic 'quick_join = 0; limits = { pids = 300; memory = "1G"; cpu = 1.0; };'
out=$(pids_via "$U")
expect_eq "config edited: the new pids limit applies (300)" 300 "$(head -1 <<<"$out")"
expect_eq "config edited: answered by the standby" "VIA standby" "$(tail -1 <<<"$out")"
wait_until 6 uj_nothing_left "$U"

# --- a config that jails nobody now: the standby's login is not jailed
uj_write_conf 'rules = ( { match = [ "nobody-matches-this" ]; } );'
out=$(via "$U" 'hostname; readlink /proc/self/ns/pid')
expect_eq "rule removed: answered by the standby" "VIA standby" "$(tail -1 <<<"$out")"
expect_eq "rule removed: the session is the host's" "$hostns" "$(sed -n 2p <<<"$out")"
uj_conf_basic 'quick_join = 0;'

# --- only root may ask: a user cannot even connect
check "a user cannot connect to the standby" su -s /bin/sh "$U" -c \
  "! python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' '$SB' 2>/dev/null"

# --- a standby that is not root's is never believed: a user's own socket
# where the module looks, answering "not jailed" (IGNORE), gets the login
# a spawned helper's answer instead
FAKE=$UJ_TMP/fake
install -d -o "$U" -m 0755 "$FAKE"
cat >"$FAKE/fake.py" <<'PY'
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.listen(8)
msg = struct.pack("<7I", 0x756a3031, 2, 0, 0, 0, 0, 0) + b"\0" * int(sys.argv[2])
while True:
    c, _ = s.accept()
    try:
        c.recv(4096); c.sendall(msg)
    except OSError:
        pass
    c.close()
PY
msglen=$(awk '/define UJ_MSG_LEN/ { print $3 }' "$UJ_ROOT/common/proto.h")
su -s /bin/sh "$U" -c "exec python3 '$FAKE/fake.py' '$FAKE/s.sock' '$msglen'" &
fake=$!
UJ_CLEANUP_HOOKS+=("kill $fake")
wait_until 5 test -S "$FAKE/s.sock"
UJ_MODULE_EXTRA="standby=$FAKE/s.sock" uj_pam_file "$UJ_SSHD_PAM" 1
out=$(via "$U" 'hostname; readlink /proc/self/ns/pid')
expect_eq "a user's fake standby is ignored: the login is jailed" "jail-$U" "$(head -1 <<<"$out")"
expect_eq "... by a spawned helper" "VIA spawned" "$(tail -1 <<<"$out")"
kill "$fake" 2>/dev/null
uj_pam_file "$UJ_SSHD_PAM" 1
wait_until 6 uj_nothing_left "$U"
check "the standby refuses a socket directory others may write" sh -c \
  "! '$UJ_HELPER' standby --socket '$FAKE/x.sock' --config '$UJ_CONF' </dev/null >'$UJ_TMP/sbdir.log' 2>&1"
expect_match "... and says why" "must be a directory owned by root" "$(cat "$UJ_TMP/sbdir.log")"

# --- parallel first logins of two users: each in its own jail
out1=$UJ_TMP/p1 out2=$UJ_TMP/p2
uj_ssh "$U" 'hostname; sleep 2' >"$out1" 2>&1 &
p1=$!
uj_ssh "$V" 'hostname; sleep 2' >"$out2" 2>&1 &
p2=$!
wait $p1 $p2
expect_eq "parallel logins: the first user's jail" "jail-$U" "$(head -1 "$out1")"
expect_eq "parallel logins: the second user's jail" "jail-$V" "$(head -1 "$out2")"
wait_until 6 uj_nothing_left "$U"
wait_until 6 uj_nothing_left "$V"

# --- the waiting worker killed: the next one comes, logins go on
kill -9 "$(sb_worker)"
out=$(via "$U" hostname)
expect_eq "worker killed: the login still gets its jail" "jail-$U" "$(head -1 <<<"$out")"
check "worker killed: a new worker waits again" wait_until 5 sb_worker_waits
wait_until 6 uj_nothing_left "$U"

# --- a session outlives the standby: stopping it ends no jail
uj_ssh "$U" 'sleep 4; hostname' >"$UJ_TMP/long" 2>&1 &
long=$!
wait_until 5 has_jail "$U"
waiting=$(sb_worker)
# The worker that made this jail is its monitor now: it holds nothing of
# the standby's (its socket, its lock) and has a session of its own.
mon=$(pgrep -f "^userjail-mon $U" | head -1)
expect_match "the jail's monitor runs" '^[0-9]+$' "$mon"
# fd_objects PID: the sockets, pipes and signalfds its fds refer to
fd_objects() {
  ls -l "/proc/$1/fd/" 2>/dev/null | sed -n 's/.*-> //p' | grep -E '^(socket|pipe):|signalfd' |
    sort -u
}
expect_eq "the jail's monitor holds no fd of the standby's" "" \
  "$(comm -12 <(fd_objects "$SB_PID") <(fd_objects "$mon"))"
expect_eq "the jail's monitor has its stdio on /dev/null" "/dev/null /dev/null /dev/null" \
  "$(readlink "/proc/$mon/fd/0" "/proc/$mon/fd/1" "/proc/$mon/fd/2" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the jail's monitor leads a session of its own" "$mon" "$(ps -o sid= -p "$mon" | tr -d ' ')"
sb_stop
check "standby stopped: its socket is removed" test ! -e "$SB"
check "standby stopped: its waiting worker is gone" wait_until 3 sh -c "! kill -0 $waiting 2>/dev/null"
check "standby stopped: the jail still runs" has_jail "$U"
# (not through `check`, which runs its command in a subshell)
if sb_start && kill -0 "$SB_PID" 2>/dev/null; then
  pass "a new standby starts while a jail the old one made runs"
else
  fail "a new standby starts while a jail the old one made runs" "$(tail -3 "$UJ_TMP/sb.log")"
fi
sb_stop
wait $long
expect_eq "standby stopped: the running session ended normally in its jail" "jail-$U" "$(cat "$UJ_TMP/long")"
wait_until 6 uj_nothing_left "$U"

# --- no standby at all: the module spawns the helper
out=$(via "$U" hostname)
expect_eq "no standby: the helper is spawned" "VIA spawned" "$(tail -1 <<<"$out")"
expect_eq "no standby: the login gets its jail" "jail-$U" "$(head -1 <<<"$out")"
wait_until 6 uj_nothing_left "$U"

# --- killed hard (its socket file stays, nobody listens): spawned as well
sb_start
kill -9 "$(sb_worker)" "$SB_PID"
wait "$SB_PID" 2>/dev/null
SB_PID=
check "killed standby: its socket file is left behind" test -S "$SB"
out=$(via "$U" hostname)
expect_eq "killed standby: the helper is spawned" "VIA spawned" "$(tail -1 <<<"$out")"
expect_eq "killed standby: the login gets its jail" "jail-$U" "$(head -1 <<<"$out")"
wait_until 6 uj_nothing_left "$U"
rm -f "$SB"

# --- its binary replaced on disk (an upgrade): the login spawns the new
# helper, and the old standby ends
mkdir -p "$UJ_TMP/sbbin"
cp "$UJ_HELPER" "$UJ_TMP/sbbin/userjail"
sb_start "$UJ_TMP/sbbin/userjail"
old=$SB_PID
cp "$UJ_HELPER" "$UJ_TMP/sbbin/userjail.new"
mv "$UJ_TMP/sbbin/userjail.new" "$UJ_TMP/sbbin/userjail"
out=$(via "$U" hostname)
expect_eq "replaced binary: the login is not served by the old standby" "VIA spawned" "$(tail -1 <<<"$out")"
expect_eq "replaced binary: the login gets its jail" "jail-$U" "$(head -1 <<<"$out")"
check "replaced binary: the old standby ends" wait_until 5 sh -c "! kill -0 $old 2>/dev/null"
wait "$old" 2>/dev/null
SB_PID=
wait_until 6 uj_nothing_left "$U"

# --- a second standby on the same socket is refused
sb_start
first=$SB_PID
if "$UJ_HELPER" standby --socket "$SB" --config "$UJ_CONF" </dev/null >"$UJ_TMP/sb2.log" 2>&1; then
  fail "a second standby on the same socket is refused"
else
  expect_match "a second standby on the same socket is refused" "another standby runs" "$(cat "$UJ_TMP/sb2.log")"
fi
check "the first standby still runs" kill -0 "$first"
sb_stop
rm -f "$SB.lock"

# --- the umask of whoever asked does not shape the jail: su -l typed with
# umask 077 (the helper is spawned with it) gets the modes sshd's logins get
ref=$(uj_run "$U" -- stat -c %a /home /tmp 2>&1 | tr '\n' ' ')
wait_until 6 uj_nothing_left "$U"
out=$( (umask 077; uj_su "$U" 'stat -c %a /home /tmp; hostname') 2>&1)
expect_eq "su -l with umask 077: jailed" "jail-$U" "$(tail -1 <<<"$out")"
expect_eq "su -l with umask 077: the jail's /home and /tmp modes are the usual ones" "$ref" \
  "$(head -2 <<<"$out" | tr '\n' ' ')"
wait_until 6 uj_nothing_left "$U"

# --- quick logins into a jail the standby made: its worker, now the jail's
# monitor, holds the grant its login left (it could not accept() its own
# connection for it)
uj_conf_basic 'quick_join = 60;'
sb_start
uj_ssh "$U" 'sleep 8' >/dev/null 2>&1 &
long=$!
wait_until 5 has_jail "$U"
uj_syslog_mark
out=$(uj_ssh "$U" 'hostname; grep -E "^Seccomp:" /proc/self/status' 2>&1)
log=$(uj_syslog_since)
expect_eq "quick login into a standby-made jail: in the jail" "jail-$U" "$(head -1 <<<"$out")"
expect_match "quick login into a standby-made jail: answered by its monitor" \
  "$U: quick answer from the jail's monitor" "$log"
expect_match "quick login into a standby-made jail: the seccomp filter is installed" \
  '^Seccomp:[[:space:]]+2$' "$out"
# and once idle it is the small userjail-monitor, as a forked monitor becomes
slim=$(cd "$(dirname "$UJ_HELPER")" && pwd)/userjail-monitor
mon=$(pgrep -f "^userjail-mon $U" | head -1)
check "a standby-made jail's idle monitor execs userjail-monitor" \
  wait_until 5 sh -c "[ \"\$(readlink /proc/$mon/exe)\" = '$slim' ]"
wait "$long"
wait_until 6 uj_nothing_left "$U"

# --- an admin's `userjail stop`, and a monitor killed hard, end a
# standby-made jail as they end any other
uj_ssh "$U" 'sleep 30' >/dev/null 2>&1 &
long=$!
wait_until 5 has_jail "$U"
check "userjail stop ends a standby-made jail" "$UJ_HELPER" stop "$U"
check "... and its session" wait_until 5 sh -c "! kill -0 $long 2>/dev/null"
if wait_until 6 uj_nothing_left "$U"; then pass "... and leaves nothing"
else fail "... and leaves nothing" "$(uj_leftovers "$U")"; fi
wait "$long" 2>/dev/null
uj_ssh "$U" 'sleep 30' >/dev/null 2>&1 &
long=$!
wait_until 5 has_jail "$U"
init=$(uj_list_field "$U" init_pid)
kill -9 "$(pgrep -f "^userjail-mon $U" | head -1)"
check "monitor of a standby-made jail killed: its init ends (lifeline)" \
  wait_until 5 sh -c "! kill -0 $init 2>/dev/null"
wait "$long" 2>/dev/null
out=$(via "$U" hostname)
expect_eq "... and the next login gets a new jail" "jail-$U" "$(head -1 <<<"$out")"
if wait_until 6 uj_nothing_left "$U"; then pass "... which leaves nothing at logout"
else fail "... which leaves nothing at logout" "$(uj_leftovers "$U")"; fi
sb_stop

expect_eq "host mount table unchanged after all this" "$mounts_before" "$(uj_host_mounts)"
uj_summary
