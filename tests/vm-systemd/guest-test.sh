#!/bin/bash
# The check-vm-systemd tests, run as root by ujsd-test.service inside the
# guest (setup-guest.sh) once systemd is up; output on the serial console,
# "UJSD PASS|FAIL|INFO name: detail" lines that run.sh counts. Powers off.
#
# What they show, on systemd + cgroup v2 with pam_systemd earlier in the
# session stack than pam_userjail:
#   - the helper starts userjail.service on demand and creates cgroups only
#     inside the subtree systemd delegated to it (userjail.slice/userjail.service);
#   - a jailed login (su -l, sshd) runs in .../userjail.service/1000 with the
#     configured limits, after pam_systemd made its logind session;
#   - logout removes that cgroup, systemd and logind stay healthy, the next
#     login works; an unjailed user stays in its logind session scope.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export SYSTEMD_PAGER= SYSTEMD_COLORS=0
CGR=/sys/fs/cgroup
SVC=$CGR/userjail.slice/userjail.service
CG=$SVC/1000
WANT="0::/userjail.slice/userjail.service/1000"
SSH="ssh -i /root/.ssh/id_ed25519 -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"

pass() { echo "UJSD PASS $*"; }
fail() { echo "UJSD FAIL $*"; }
info() { echo "UJSD INFO $*"; }
oneline() { tr '\n' ' ' | sed 's/ *$//'; }

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds
wait_for() {
  local n=$(( $1 * 10 )); shift
  while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
  return 1
}
cg_present() { [ -d "$CG" ]; }
cg_gone() { [ ! -e "$CG" ]; }
file_has() { grep -q "$2" "$1" 2>/dev/null; }
failed_units() { systemctl --failed --plain --no-legend 2>/dev/null | awk '{print $1}' | sort | oneline; }
jail_sessions() { loginctl list-sessions --no-legend 2>/dev/null | awk '$3 == "ujsd"' | wc -l; }

# systemd's own cgroups: unit names (user@UID.service delegates to the
# user's manager, which also names its cgroups after units).
unit_like() {
  case "${1##*/}" in
    *.slice|*.scope|*.service|*.socket|*.mount|*.swap) return 0 ;;
  esac
  return 1
}

# knob FILE EXPECTED
knob() {
  local v
  v=$(cat "$CG/$1" 2>&1)
  if [ "$v" = "$2" ]; then pass "$3-limit-$1: $v"; else fail "$3-limit-$1: '$v', expected '$2'"; fi
}

# in_jail_cg LABEL PID: process PID is in the user's jail cgroup
in_jail_cg() {
  local v
  v=$(cat "/proc/$2/cgroup" 2>&1)
  if [ "$v" = "$WANT" ]; then pass "$1: $v"; else fail "$1: '$v', expected '$WANT'"; fi
}

# While a jailed session is open: where things are, and its limits.
check_open_session() {
  local tag=$1 pampid=$2 out=$3 ses
  if wait_for 60 file_has "$out" '^0::'; then :; else
    fail "$tag-login: no /proc/self/cgroup from the jailed shell: $(oneline <"$out")"; return; fi
  local got
  got=$(grep '^0::' "$out")
  if [ "$got" = "$WANT" ]; then pass "$tag-shell-cgroup: cat /proc/self/cgroup in the jailed shell -> $got"
  else fail "$tag-shell-cgroup: cat /proc/self/cgroup -> '$got', expected '$WANT'"; fi
  got=$(sed -n 's/^host=//p' "$out")
  if [ "$got" = jail-ujsd ]; then pass "$tag-jailed: hostname in the shell is $got (host: $(hostname))"
  else fail "$tag-jailed: hostname in the shell '$got'"; fi
  [ -n "$pampid" ] && in_jail_cg "$tag-pam-process-cgroup (the process that ran the PAM stack, pid $pampid)" "$pampid"
  knob pids.max 64 "$tag"
  knob memory.max 67108864 "$tag"
  knob memory.swap.max 0 "$tag"
  knob cpu.max "50000 100000" "$tag"
  # the jail's processes are all in the leaf, none in the delegated parent
  local procs
  procs=$(cat "$SVC/cgroup.procs")
  if [ -z "$procs" ]; then pass "$tag-no-internal-process: $SVC/cgroup.procs empty"
  else fail "$tag-no-internal-process: $SVC/cgroup.procs: $(echo $procs)"; fi
  info "$tag: jail cgroup holds pids $(oneline <"$CG/cgroup.procs") ($(for p in $(cat "$CG/cgroup.procs"); do cat /proc/$p/comm 2>/dev/null; done | oneline))"
  # pam_systemd ran first: logind has a session for the user, in its scope
  ses=$(loginctl list-sessions --no-legend | awk '$3 == "ujsd" {print $1}' | oneline)
  if [ -n "$ses" ]; then
    pass "$tag-pam_systemd-first: logind session(s) $ses of ujsd exist (pam_systemd ran before pam_userjail)"
  else
    fail "$tag-pam_systemd-first: logind has no session of ujsd: $(loginctl list-sessions --no-legend | oneline)"
  fi
  for s in $ses; do
    local scope
    scope=$(loginctl show-session "$s" -p Scope --value)
    info "$tag: logind session $s: $(loginctl show-session "$s" -p State -p Service -p Class -p Leader | oneline); its $scope is $(systemctl show -p ActiveState --value "$scope") (emptied by the move into the jail)"
  done
  # the jail's monitor (host side, one per jail) lives in the delegated
  # subtree too, not in the logind scope of the login that created the jail
  local mon v
  mon=$(pgrep -f '^userjail-mon ujsd')
  v=$(cat /proc/$mon/cgroup 2>&1)
  if [ "$v" = "0::/userjail.slice/userjail.service/.keeper" ]; then
    pass "$tag-monitor-cgroup: userjail-mon (pid $mon) in $v"
  else fail "$tag-monitor-cgroup: userjail-mon (pid '$mon') in '$v', expected 0::/userjail.slice/userjail.service/.keeper"; fi
}

# .keeper holds just the unit's own placeholder (sleep infinity)
keeper_alone() {
  local kp
  kp=$(cat "$SVC/.keeper/cgroup.procs" 2>/dev/null)
  [ "$(echo $kp | wc -w)" = 1 ] && [ "$(cat /proc/$kp/comm 2>/dev/null)" = sleep ]
}

# After a jailed session ended.
check_closed_session() {
  local tag=$1
  if wait_for 15 cg_gone; then pass "$tag-logout-cgroup-removed: $CG gone"
  else fail "$tag-logout-cgroup-removed: $CG still there with pids $(oneline <"$CG/cgroup.procs")"; fi
  local left
  left=$(cd "$SVC" 2>/dev/null && find . -mindepth 1 -type d ! -path ./.keeper | oneline)
  if [ -z "$left" ]; then pass "$tag-logout-subtree: only .keeper left under $SVC"
  else fail "$tag-logout-subtree: left under $SVC: $left"; fi
  # sessions that went back to .keeper at logout (their scope was gone) exited
  local kp
  wait_for 10 keeper_alone
  kp=$(cat "$SVC/.keeper/cgroup.procs" 2>&1 | oneline)
  if keeper_alone; then
    pass "$tag-logout-keeper: only the unit's keeper (sleep, pid $kp) left in .keeper"
  else fail "$tag-logout-keeper: .keeper holds '$kp' ($(for p in $kp; do cat /proc/$p/comm 2>/dev/null; done | oneline))"; fi
  if pgrep -f '^userjail-(mon|init)' >/dev/null; then
    fail "$tag-logout-processes: $(pgrep -af '^userjail-(mon|init)' | oneline)"
  else pass "$tag-logout-processes: no userjail-mon/userjail-init left"; fi
  if wait_for 20 [ "$(jail_sessions)" = 0 ]; then pass "$tag-logout-logind: no logind session of ujsd left"
  else fail "$tag-logout-logind: $(loginctl list-sessions --no-legend | oneline)"; fi
}

# Every cgroup directory created since the snapshot is either a systemd unit's
# or inside the delegated userjail.service subtree.
check_only_delegated() {
  local tag=$1 d bad=""
  while read -r d; do
    case "$d" in "$SVC"|"$SVC"/*) continue ;; esac
    grep -qxF "$d" /tmp/cg.before && continue
    unit_like "$d" && continue
    bad="$bad $d"
  done < <(find "$CGR" -type d)
  if [ -z "$bad" ]; then pass "$tag-only-delegated: no new cgroup outside $SVC except systemd's units"
  else fail "$tag-only-delegated: new cgroups outside the delegated subtree:$bad"; fi
  local ours
  ours=$(cd "$SVC" 2>/dev/null && find . -mindepth 1 -type d | sort | oneline)
  if [ "$ours" = "./.keeper ./1000" ]; then pass "$tag-delegated-subtree: $SVC holds $ours"
  else fail "$tag-delegated-subtree: $SVC holds '$ours', expected './.keeper ./1000'"; fi
}

echo "UJSD-BEGIN kernel $(uname -r), $(systemctl --version | head -n 1)"

# ---- the host as booted ----------------------------------------------------
base_state=$(timeout 150 systemctl is-system-running --wait 2>&1)
base_failed=$(failed_units)
info "boot: is-system-running=$base_state after $(cut -d' ' -f1 /proc/uptime) s; failed units: ${base_failed:-none}"
if [ "$(cat /proc/1/comm)" = systemd ]; then pass "pid1-systemd"; else fail "pid1-systemd: $(cat /proc/1/comm)"; fi
if [ "$(stat -fc %T $CGR)" = cgroup2fs ] && ! awk '$3 == "cgroup"' /proc/mounts | grep -q .; then
  pass "cgroup2-only: $CGR is cgroup2, no v1 hierarchy; controllers: $(cat $CGR/cgroup.controllers)"
else
  fail "cgroup2-only: $(stat -fc %T $CGR); $(awk '$3 ~ /cgroup/' /proc/mounts | oneline)"
fi
if [ "$base_state" = running ]; then pass "boot-running: systemctl is-system-running = running"
else info "boot-state: $base_state (failed: $base_failed); later checks compare against this"; fi
v=$(systemctl is-active userjail.service)
if [ "$v" = inactive ] && [ ! -e $CGR/userjail.slice ]; then
  pass "on-demand-before: userjail.service $v, no $CGR/userjail.slice before the first login"
else fail "on-demand-before: userjail.service '$v', $(ls -d $CGR/userjail.slice 2>&1)"; fi
info "pam stack su-l: $(grep -v '^#' /etc/pam.d/su-l | grep . | oneline) | su session: $(grep '^session\|^@include' /etc/pam.d/su | oneline) | common-session: $(grep '^session' /etc/pam.d/common-session | oneline)"
find $CGR -type d | sort >/tmp/cg.before

# ---- control: an unjailed user keeps pam_systemd's session scope -------------
out=$(timeout 60 su -l ujfree -c 'cat /proc/self/cgroup' 2>&1)
if echo "$out" | grep -qx '0::/user.slice/user-1001.slice/session-[^/]*\.scope'; then
  pass "unjailed-control: su -l ujfree -> $out (pam_systemd placed it; pam_userjail ignored it)"
else fail "unjailed-control: su -l ujfree -> $(echo "$out" | oneline)"; fi

# ---- login 1: su -l ---------------------------------------------------------------
# 20 s: long enough that the checks below still see the session under a
# loaded emulated VM (at 8 s, a busy host saw the jail end before them).
SHELLCMD='cat /proc/self/cgroup; echo "host=$(hostname)"; sleep 20'
timeout 120 su -l ujsd -c "$SHELLCMD" >/tmp/su1.out 2>&1 &
su1=$!
wait_for 10 pgrep -P $su1 -x su >/dev/null
check_open_session su1 "$(pgrep -P $su1 -x su)" /tmp/su1.out
v=$(for p in ActiveState Delegate ControlGroup; do systemctl show userjail.service -p $p --value; done | oneline)
if [ "$v" = "active yes /userjail.slice/userjail.service" ]; then
  pass "on-demand-started: userjail.service started by the helper: ActiveState Delegate ControlGroup = $v"
else fail "on-demand-started: userjail.service ActiveState Delegate ControlGroup = '$v'"; fi
check_only_delegated su1
wait $su1; rc=$?
if [ $rc = 0 ]; then pass "su1-exit: su -l exited 0"; else fail "su1-exit: su -l exited $rc: $(oneline </tmp/su1.out)"; fi
check_closed_session su1

# ---- login 2: sshd ----------------------------------------------------------------
timeout 120 $SSH ujsd@127.0.0.1 "$SHELLCMD" >/tmp/ssh.out 2>&1 &
sshc=$!
if wait_for 60 file_has /tmp/ssh.out '^0::'; then
  # sshd's privileged session process ([priv]) ran the PAM stack
  priv=$(pgrep -f '^sshd: ujsd \[priv\]' | head -n 1)
  check_open_session ssh "$priv" /tmp/ssh.out
  check_only_delegated ssh
else
  fail "ssh-login: $(oneline </tmp/ssh.out); $(journalctl -b -u ssh -n 5 -o cat | oneline)"
fi
wait $sshc; rc=$?
if [ $rc = 0 ]; then pass "ssh-exit: ssh exited 0"; else fail "ssh-exit: ssh exited $rc: $(oneline </tmp/ssh.out)"; fi
check_closed_session ssh

# ---- two sessions at once: one jail; it ends with the last --------------------
timeout 120 su -l ujsd -c 'cat /proc/self/cgroup; sleep 4' >/tmp/c1.out 2>&1 &
c1=$!
wait_for 60 file_has /tmp/c1.out '^0::'
timeout 120 su -l ujsd -c 'cat /proc/self/cgroup; sleep 12' >/tmp/c2.out 2>&1 &
c2=$!
wait_for 60 file_has /tmp/c2.out '^0::'
a=$(grep '^0::' /tmp/c1.out); b=$(grep '^0::' /tmp/c2.out)
if [ "$a" = "$WANT" ] && [ "$b" = "$WANT" ] && [ "$(pgrep -fc '^userjail-init')" = 1 ]; then
  pass "two-sessions: both in $WANT, one jail init"
else fail "two-sessions: '$a' '$b', inits: $(pgrep -fc '^userjail-init')"; fi
wait $c1; rc1=$?
if [ -d "$CG" ]; then pass "two-sessions-first-logout: the jail stays while the second session runs"
else fail "two-sessions-first-logout: $CG removed while a session was still open"; fi
# logind ends the first session although its login created the jail
if wait_for 20 [ "$(jail_sessions)" = 1 ]; then
  pass "two-sessions-first-logind: logind closed the first session, the second is open"
else fail "two-sessions-first-logind: $(loginctl list-sessions --no-legend | oneline)"; fi
wait $c2; rc2=$?
if [ $rc1 = 0 ] && [ $rc2 = 0 ]; then pass "two-sessions-exit: both su -l exited 0"
else fail "two-sessions-exit: su -l exited $rc1 and $rc2"; fi
check_closed_session two

# ---- login again: su -l ------------------------------------------------------------
out=$(timeout 60 su -l ujsd -c 'cat /proc/self/cgroup' 2>&1)
if [ "$(echo "$out" | grep '^0::')" = "$WANT" ]; then pass "relogin: su -l ujsd -> $out"
else fail "relogin: su -l ujsd -> $(echo "$out" | oneline)"; fi
check_closed_session relogin

# ---- what the user sees of the jail on cgroup v2 (issue 13) ---------------------
# Debian's lxcfs.service runs LXCFS at /var/lib/lxcfs (the config's default).
if systemctl is-active --quiet lxcfs && wait_for 10 grep -q ' /var/lib/lxcfs .* - fuse.lxcfs ' /proc/self/mountinfo; then
  pass "view-lxcfs-running: lxcfs.service active at /var/lib/lxcfs"
else fail "view-lxcfs-running: lxcfs.service $(systemctl is-active lxcfs)"; fi
out=$(timeout 60 su -l ujsd -c 'awk "/^MemTotal/ {print \$2}" /proc/meminfo; free -m | awk "/^Mem:/ {print \$2}"; nproc; cat /run/userjail-info; cat /run/userjail/cgroup/memory.current /run/userjail/cgroup/pids.current' 2>&1)
v=$(echo "$out" | sed -n 1p)
if [ "$v" = 65536 ]; then pass "view-meminfo: MemTotal in the jail is the 64M limit ($v kB)"
else fail "view-meminfo: MemTotal '$v' kB: $(echo "$out" | oneline)"; fi
v=$(echo "$out" | sed -n 2p)
if [ "$v" -ge 60 ] 2>/dev/null && [ "$v" -le 64 ]; then pass "view-free: free -m total $v"
else fail "view-free: free -m total '$v'"; fi
v=$(echo "$out" | sed -n 3p)
if [ "$v" = 1 ]; then pass "view-nproc: nproc = 1 with cpu = 0.5 (pinned)"
else fail "view-nproc: nproc = '$v'"; fi
if echo "$out" | grep -q '^proc_views=lxcfs' && echo "$out" | grep -q '^memory_used=/run/userjail/cgroup/memory.current'; then
  pass "view-info: /run/userjail-info lists LXCFS views and the v2 usage files"
else fail "view-info: $(echo "$out" | oneline)"; fi
v=$(echo "$out" | tail -n 2 | oneline)
if echo "$v" | grep -Eq '^[0-9]+ [0-9]+$'; then pass "view-usage: memory.current pids.current readable inside: $v"
else fail "view-usage: '$v'"; fi
check_closed_session view1

# The notice (sshd shows PAM messages to interactive logins) and the limit
# events (v2: memory.events and pids.events signal POLLPRI) on a terminal.
out=$(timeout 60 $SSH -tt ujsd@127.0.0.1 </dev/null 2>&1 | tr -d '\r')
if echo "$out" | grep -q 'userjail: this session runs in the jail jail-ujsd: memory 64M, processes 64, cpu 0.5 CPU'; then
  pass "view-notice: login notice names the jail and its limits"
else fail "view-notice: $(echo "$out" | oneline)"; fi
check_closed_session view2
since=$(date '+%Y-%m-%d %H:%M:%S')
timeout 150 $SSH -tt ujsd@127.0.0.1 'sleep 120' </dev/null >/tmp/tty.out 2>&1 &
holder=$!
wait_for 60 pgrep -u ujsd -x sleep >/dev/null
timeout 60 su -l ujsd -c 'dd if=/dev/zero of=/dev/null bs=200M count=1' >/dev/null 2>&1
# dash stops at its first refused fork (bash would retry for long); the
# sleeps outlive it, in the jail, until the jail ends
timeout 60 su -l ujsd -c 'dash -c "for i in \$(seq 80); do sleep 30 & done"' >/dev/null 2>&1
# on a miss: what the terminal got, and what the monitor logged meanwhile
# (it names a terminal that refused the report, and why)
monlog() { journalctl -b --since "$since" -o cat 2>/dev/null | grep 'userjail-mon' | oneline; }
if wait_for 10 grep -q 'out of memory (limit 64M' /tmp/tty.out; then
  pass "view-oom-terminal: OOM kill written to the user's terminal"
else fail "view-oom-terminal: terminal: '$(oneline </tmp/tty.out)'; monitor: $(monlog)"; fi
if wait_for 10 grep -q 'reached its process limit (64)' /tmp/tty.out; then
  pass "view-pids-terminal: pids limit written to the user's terminal (v2: at once, POLLPRI)"
else fail "view-pids-terminal: terminal: '$(oneline </tmp/tty.out)'; monitor: $(monlog)"; fi
log=$(journalctl -b --since "$since" -o cat 2>/dev/null | grep 'userjail: jail of ujsd')
if echo "$log" | grep -q 'jail of ujsd: OOM kill (memory limit 64M)'; then pass "view-oom-log: $(echo "$log" | grep OOM | head -n 1)"
else fail "view-oom-log: $(echo "$log" | oneline)"; fi
if echo "$log" | grep -q 'jail of ujsd: pids limit 64 reached'; then pass "view-pids-log: $(echo "$log" | grep pids | head -n 1)"
else fail "view-pids-log: $(echo "$log" | oneline)"; fi
# The jail has been up for seconds: its monitor has handed off to
# userjail-monitor (helper/jail/monitor_handoff.c) and still served all of
# the above. Its memory on v2 (no periodic checks here: every event is
# notified), for the benchmark's table.
mon=$(pgrep -f '^userjail-mon ujsd' | head -n 1)
exe=$(readlink "/proc/$mon/exe" 2>/dev/null)
case $exe in
  */userjail-monitor) pass "handoff: the idle monitor (pid $mon) runs $exe" ;;
  *) fail "handoff: the idle monitor (pid '$mon') runs '$exe'" ;;
esac
init=$(pgrep -P "$mon" | head -n 1)
pss=$(cat "/proc/$mon/smaps_rollup" "/proc/$init/smaps_rollup" 2>/dev/null | awk '/^Pss:/ { p += $2 } END { print p + 0 }')
info "memory of the idle jail on v2 (userjail-mon + userjail-init PSS): $pss KiB"
kill $holder 2>/dev/null
wait $holder 2>/dev/null
check_closed_session view3

# ---- systemd and logind after it all ----------------------------------------------
state=$(systemctl is-system-running 2>&1)
now_failed=$(failed_units)
if [ "$state" = "$base_state" ] && [ "$now_failed" = "$base_failed" ]; then
  pass "systemd-healthy: is-system-running = $state (as booted), failed units: ${now_failed:-none}"
else fail "systemd-healthy: is-system-running = $state (booted: $base_state), failed: '$now_failed' (booted: '$base_failed')"; fi
for u in userjail.service userjail.slice; do
  if systemctl is-failed --quiet "$u"; then fail "unit-ok-$u: failed"; else pass "unit-ok-$u: $(systemctl is-active "$u")"; fi
done
if [ "$(systemctl is-active systemd-logind)" = active ] && loginctl list-sessions >/dev/null 2>&1; then
  pass "logind-healthy: systemd-logind active, answers list-sessions"
else fail "logind-healthy: $(systemctl is-active systemd-logind)"; fi
info "journal warnings naming userjail or cgroups: $(journalctl -b -p warning -o cat 2>/dev/null | grep -iE 'userjail|cgroup' | head -n 10 | oneline)"

# ---- the standby helper (userjail-standby.service, optional) ----------------
# A first login answered by the standby's waiting worker gets the same jail
# (its cgroup and limits, the monitor in .keeper and not in the standby's
# cgroup); restarting the standby (KillMode=process) ends no jail.
sbsock=/run/userjail/standby/helper.sock
if systemctl start userjail-standby.service && wait_for 30 [ -S "$sbsock" ]; then
  pass "standby-start: userjail-standby.service $(systemctl is-active userjail-standby.service), $sbsock ready"
  sbmain=$(systemctl show -p MainPID --value userjail-standby.service)
  # its waiting worker: the child that is not the monitor of a jail it made
  sb_waiting() {
    local p
    for p in $(pgrep -P "$sbmain"); do
      case "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" in
      userjail-mon*) ;;
      *) echo "$p"; return 0 ;;
      esac
    done
    return 1
  }
  wait_for 10 sb_waiting >/dev/null
  w1=$(sb_waiting)
  timeout 150 su -l ujsd -c 'echo host=$(hostname); cat /proc/self/cgroup; exec sleep 100' >/tmp/sb.out 2>&1 </dev/null &
  sbholder=$!
  check_open_session standby "" /tmp/sb.out
  wait_for 10 sb_waiting >/dev/null
  w2=$(sb_waiting)
  w1cmd=$(tr '\0' ' ' <"/proc/$w1/cmdline" 2>/dev/null | sed 's/ *$//')
  if [ -n "$w1" ] && [ -n "$w2" ] && [ "$w1" != "$w2" ] && [ "$w1cmd" = "userjail-mon ujsd" ]; then
    pass "standby-served: the login took the waiting worker (pid $w1, now the jail's monitor; $w2 waits)"
  else fail "standby-served: waiting worker before '$w1' (now '$w1cmd'), after '$w2'"; fi
  systemctl restart userjail-standby.service
  if wait_for 30 [ -S "$sbsock" ] && pgrep -f '^userjail-mon ujsd' >/dev/null && [ -d "$CG" ] &&
     kill -0 "$sbholder" 2>/dev/null; then
    pass "standby-restart: the jail and its session outlive a restart of the standby"
  else fail "standby-restart: after restarting the standby: monitor '$(pgrep -f '^userjail-mon ujsd')', cgroup $([ -d "$CG" ] && echo present || echo gone)"; fi
  kill "$sbholder" 2>/dev/null
  wait "$sbholder" 2>/dev/null
  check_closed_session standby
  systemctl stop userjail-standby.service
  if wait_for 10 [ ! -e "$sbsock" ]; then pass "standby-stop: socket removed"
  else fail "standby-stop: $sbsock still there"; fi
else fail "standby-start: $(systemctl status userjail-standby.service 2>&1 | tail -n 5 | oneline)"; fi

# Stopping the unit takes the whole delegated subtree away (README.md).
systemctl stop userjail.service
if wait_for 10 [ ! -e "$SVC" ]; then pass "unit-stop: systemctl stop userjail.service removed $SVC"
else fail "unit-stop: $SVC still there: $(find "$SVC" -type d | oneline)"; fi
state=$(systemctl is-system-running 2>&1)
if [ "$state" = "$base_state" ]; then pass "systemd-healthy-after-stop: $state"
else fail "systemd-healthy-after-stop: $state (failed: $(failed_units))"; fi

# ---- only for bench/vm-systemd-logins.sh: login times after quiet gaps -------
# (not a test: "UJSD BENCH" lines, which bench/vm-systemd-logins.sh reads)
if [ -r /etc/ujsd-bench ]; then
  read -r rounds gap </etc/ujsd-bench
  cp /etc/pam.d/su-l /tmp/su-l.jail
  grep -v pam_userjail /tmp/su-l.jail >/tmp/su-l.plain
  # one login after a quiet gap, microseconds (date's fork is in every variant)
  login_us() {
    local t0 t1
    sleep "$gap"
    t0=$(date +%s%N)
    su -l ujsd -c true >/dev/null 2>&1 </dev/null
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
  }
  plain_us() { cp /tmp/su-l.plain /etc/pam.d/su-l; login_us; cp /tmp/su-l.jail /etc/pam.d/su-l; }
  no_jail() { ! pgrep -f '^userjail-(mon|init)' >/dev/null; }
  login_us >/dev/null; plain_us >/dev/null # warm-up
  for i in $(seq "$rounds"); do
    wait_for 20 no_jail
    echo "UJSD BENCH round $i plain $(plain_us) first $(login_us)"
  done
  wait_for 20 no_jail
  su -l ujsd -c 'exec sleep 100000' >/dev/null 2>&1 </dev/null &
  holder=$!
  wait_for 30 pgrep -f '^userjail-init' >/dev/null
  login_us >/dev/null
  for i in $(seq "$rounds"); do
    echo "UJSD BENCH round $i plain $(plain_us) later $(login_us)"
  done
  kill "$holder"
  wait "$holder"
fi

echo "UJSD-END"
sync
systemctl poweroff -ff
