#!/bin/bash
# A jail's monitor hands off to userjail-monitor once idle
# (helper/jail/monitor_handoff.c): the same process (pid, children,
# sessions, socket) goes on in a small program. What users and admins see
# must not change: later logins join the same jail, sessions opened before
# the handoff still count, limits are still reported, logout and `stop` still
# end the jail and leave nothing. A userjail-monitor from another build, or
# none, leaves the monitor as it was.
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic 'limits = { pids = 40; memory = "1G"; cpu = 1.0; };'
U=$(uj_new_user)
uj_user_create "$U"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }
uid=$(uj_uid "$U")
SLIM=$(cd "$(dirname "$UJ_HELPER")" && pwd)/userjail-monitor

init_of() { uj_list_field "$1" init_pid; }
mon_of() { local i; i=$(init_of "$1") && [ -n "$i" ] && awk '/^PPid:/ { print $2 }' "/proc/$i/status"; }
exe_of() { readlink "/proc/$1/exe"; }
is_exe() { [ "$(exe_of "$1")" = "$2" ]; }
# the log lines of this test (our syslogd, or whoever listens on /dev/log)
log_since() {
  sleep 0.5
  if [ -n "$UJ_SYSLOG" ]; then uj_syslog_since
  else (cat /tmp/ujt-*/syslog /var/log/syslog /var/log/auth.log 2>/dev/null
        journalctl -q --since -5min 2>/dev/null) | grep -F "$1"; fi
}

check "userjail-monitor is built next to the helper" test -x "$SLIM"
out=$("$SLIM" 2>&1)
rc=$?
expect_eq "userjail-monitor run by hand: refused (exit 2)" 2 "$rc"
expect_match "userjail-monitor run by hand: says what it is for" "run by a jail's monitor only" "$out"
out=$("$SLIM" --handoff 0 2>&1)
expect_eq "userjail-monitor with a made-up state fd: refused" 2 "$?"

# --- a session held across the handoff
uj_ssh_bg "$U" 'sleep 120'
holder=$UJ_BG_PID
wait_until 20 test -n "$(init_of "$U")"
init=$(init_of "$U")
mon=$(mon_of "$U")
check "a jail runs (init $init, monitor $mon)" test -n "$init" -a -n "$mon"
# The helper the module spawned for this first login is the monitor
# (pam_module/client.c, spawn_detached): it is not the child of sshd's
# session process, holds none of sshd's descriptors and has a session
# of its own.
ppid=$(awk '/^PPid:/ { print $2 }' "/proc/$mon/status")
check "the monitor is not a child of sshd (parent: $(ps -o args= -p "$ppid"))" \
  sh -c "! readlink /proc/$ppid/exe | grep -q sshd"
# fd_objects PID...: the sockets and pipes their fds refer to
fd_objects() {
  local p
  for p in "$@"; do ls -l "/proc/$p/fd/" 2>/dev/null; done | sed -n 's/.*-> //p' |
    grep -E '^(socket|pipe):' | sort -u
}
# (our sshd's titles are "ujt-sshd-TAG: USER [priv]" and "...: USER@notty")
sshds=$(pgrep -f "sshd-$UJ_TAG: $U" | tr '\n' ' ')
check "sshd's session processes of $U found ($sshds)" test -n "$sshds"
expect_eq "the monitor holds no descriptor of sshd's" "" \
  "$(comm -12 <(fd_objects $sshds) <(fd_objects "$mon"))"
expect_eq "the monitor has its stdio on /dev/null" "/dev/null /dev/null /dev/null" \
  "$(readlink "/proc/$mon/fd/0" "/proc/$mon/fd/1" "/proc/$mon/fd/2" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the monitor leads a session of its own" "$mon" "$(ps -o sid= -p "$mon" | tr -d ' ')"
if wait_until 10 is_exe "$mon" "$SLIM"; then pass "idle: the monitor (pid $mon) now runs userjail-monitor"
else fail "idle: the monitor runs userjail-monitor" "exe $(exe_of "$mon")"; fi
expect_eq "the handed-off monitor keeps its title" "userjail-mon $U" "$(ps -o args= -p "$mon" | sed 's/ *$//')"
check "the handed-off monitor maps neither libconfig nor libcap" \
  sh -c "! grep -Eq 'libconfig|libcap' /proc/$mon/maps"
expect_eq "the jail's init is still the monitor's child" "$mon" "$(awk '/^PPid:/ { print $2 }' "/proc/$init/status" 2>/dev/null)"
expect_eq "the session held across the handoff still counts" 1 "$(uj_list_field "$U" sessions)"

# --- later logins after the handoff: the same jail, both ways in
out=$(uj_ssh "$U" 'hostname; cat /proc/1/comm' 2>&1)
expect_eq "a login after the handoff runs in the jail" "jail-$U" "$(sed -n 1p <<<"$out")"
expect_eq "...in the same jail (same init)" "$init" "$(init_of "$U")"
expect_eq "...and the monitor is still the same process" "$mon" "$(mon_of "$U")"
uj_conf_basic 'limits = { pids = 40; memory = "1G"; cpu = 1.0; };
# edited: the next login goes through the helper'
out=$(uj_ssh "$U" hostname 2>&1)
expect_eq "a login through the helper after the handoff joins the same jail" "jail-$U/$init" "$out/$(init_of "$U")"
expect_eq "logins that ended leave the held session counted alone" 1 "$(uj_list_field "$U" sessions)"
out=$("$UJ_HELPER" status "$U" 2>&1)
expect_match "status reads the handed-off monitor" "running: init pid $init, 1 session," "$out"

# --- limit events after the handoff (v1: checked every few seconds)
uj_syslog_mark
out=$(uj_ssh_tty "$U" 'for i in $(seq 60); do sleep 20 & done 2>/dev/null; sleep 8; echo done' 2>&1 | tr -d '\r')
expect_match "after the handoff the process limit is still written to the terminal" \
  "reached its process limit \(40\)" "$out"
expect_match "...and logged" "jail of $U: pids limit 40 reached" "$(log_since "jail of $U")"

# --- the last logout ends the jail: nothing left
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
expect_gone "the last logout after the handoff ends the jail, nothing left" "$U" 10
# gone, or a zombie waiting for the host's init (this VM's reaps late)
st=$(ps -o stat= -p "$mon" 2>/dev/null | cut -c1)
check "the handed-off monitor has exited (state '${st:-gone}')" test -z "$st" -o "$st" = Z

# --- `userjail stop` of a handed-off monitor
uj_conf_basic 'on_logout = "linger";'
uj_run "$U" -- true >/dev/null 2>&1
mon=$(mon_of "$U")
wait_until 10 is_exe "$mon" "$SLIM"
expect_eq "lingering jail: its monitor hands off too" "$SLIM" "$(exe_of "$mon")"
out=$("$UJ_HELPER" stop "$U" 2>&1)
expect_eq "stop of a handed-off monitor succeeds" "0" "$?"
expect_gone "stop after the handoff: nothing left" "$U" 10

# --- another build's userjail-monitor next to the helper: no handoff
ALT=$UJ_TMP/alt
mkdir -p "$ALT"
cp "$UJ_HELPER" "$ALT/userjail"
# the same program with another handoff id: the mark differs in one byte
python3 - "$SLIM" "$ALT/userjail-monitor" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
m = b"userjail-monitor-handoff:"
assert m in b
open(sys.argv[2], "wb").write(b.replace(m, b"userjail-monitor-handoff;"))
EOF
chmod 0755 "$ALT/userjail" "$ALT/userjail-monitor"
uj_syslog_mark
timeout 60 "$ALT/userjail" run --config "$UJ_CONF" "$U" -- true </dev/null >/dev/null 2>&1
mon=$(mon_of "$U")
sleep 2.5
expect_eq "userjail-monitor of another build: the monitor stays as it is" "$ALT/userjail" "$(exe_of "$mon")"
expect_match "...and says why in the log" "jail of $U: userjail-monitor is from another build" \
  "$(log_since "jail of $U")"
out=$(uj_ssh "$U" hostname 2>&1)
expect_eq "...and the jail still serves logins" "jail-$U" "$out"
"$UJ_HELPER" stop "$U" >/dev/null 2>&1
expect_gone "...and stops cleanly" "$U" 10

# --- no userjail-monitor at all: the same, silently
rm -f "$ALT/userjail-monitor"
timeout 60 "$ALT/userjail" run --config "$UJ_CONF" "$U" -- true </dev/null >/dev/null 2>&1
mon=$(mon_of "$U")
sleep 2.5
expect_eq "no userjail-monitor: the monitor stays as it is" "$ALT/userjail" "$(exe_of "$mon")"
out=$(uj_ssh "$U" hostname 2>&1)
expect_eq "...and the jail serves logins" "jail-$U" "$out"
"$UJ_HELPER" stop "$U" >/dev/null 2>&1
expect_gone "...and stops cleanly" "$U" 10

uj_summary
