#!/bin/bash
# What a jailed user sees of their jail (issue 13): LXCFS /proc views and CPU
# pinning, the notice at login, /run/userjail-info and the usage files,
# messages when a limit bites, a login refused for exhausted pids, tools
# (who/last, screen, ssh -A, ssh -X) and `userjail run`'s environment.
# Starts and stops its own LXCFS on a private mount point.
source "$(dirname "$0")/lib.sh"
uj_init

U=$(uj_new_user)   # limits 256M / 64 pids / 0.5 CPU, LXCFS, notice on
uj_user_create "$U"
O=$(uj_new_user)   # no LXCFS, no notice, no CPU limit
uj_user_create "$O"
uid=$(uj_uid "$U")
LX=$UJ_TMP/lxcfs
HOSTCPUS=$(nproc)

# --- a private LXCFS (tests/CI start their own; the package's service stays off)
if ! command -v lxcfs >/dev/null; then
  fail "lxcfs installed" "apt-get install lxcfs"
  uj_summary
  exit 1
fi
mkdir -p "$LX"
lxcfs -f --enable-cfs -p "$UJ_TMP/lxcfs.pid" "$LX" >"$UJ_TMP/lxcfs.log" 2>&1 &
LXPID=$!
# Jails go first (they hold LXCFS files open), then LXCFS and its mount.
UJ_CLEANUP_HOOKS+=("timeout 10 $UJ_HELPER stop $U; timeout 10 $UJ_HELPER stop $O; kill $LXPID; sleep 0.5; fusermount -u $LX || umount -l $LX")
lxcfs_up() { awk -v m="$LX" '$5 == m && / - fuse.lxcfs / { f = 1 } END { exit !f }' /proc/self/mountinfo; }
wait_until 10 lxcfs_up
check "private LXCFS is mounted" lxcfs_up

uj_write_conf "
hostname = \"jail-%u\";
tmp_size = \"64M\";
limits = { pids = 64; memory = \"256M\"; cpu = 0.5; };
lxcfs = \"$LX\";
rules = (
  { match = [ \"$O\" ]; lxcfs = \"none\"; notice = false; limits = { cpu = \"unlimited\"; }; },
  { match = [ \"@$UJ_GROUP\" ]; }
);"
UJ_SSHD_EXTRA="X11Forwarding yes"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }

# ============================ /proc views ==================================
out=$(uj_run "$U" -- free -m 2>&1)
total=$(awk '/^Mem:/ {print $2}' <<<"$out")
if [ -n "$total" ] && [ "$total" -ge 250 ] && [ "$total" -le 256 ]; then
  pass "free -m in a 256M jail shows ~256M total ($total)"
else fail "free -m in a 256M jail shows ~256M total" "$out"; fi
expect_eq "/proc/meminfo MemTotal is the limit" "262144" \
  "$(uj_run "$U" -- awk '/^MemTotal/ {print $2}' /proc/meminfo 2>&1)"
out=$(uj_run "$U" -- cat /proc/self/mountinfo 2>&1)
for f in meminfo cpuinfo stat uptime loadavg swaps diskstats; do
  line=$(awk -v p="/proc/$f" '$5 == p' <<<"$out")
  if grep -q "fuse.lxcfs" <<<"$line" && awk '{ exit !($6 ~ /(^|,)ro(,|$)/ && $6 ~ /nosuid/ && $6 ~ /nodev/) }' <<<"$line"; then
    pass "/proc/$f is LXCFS's, ro,nosuid,nodev"
  else fail "/proc/$f is LXCFS's, ro,nosuid,nodev" "$line"; fi
done
host_up=$(cut -d' ' -f1 /proc/uptime)
jail_up=$(uj_run "$U" -- cut -d' ' -f1 /proc/uptime 2>&1)
if awk -v j="$jail_up" -v h="$host_up" 'BEGIN { exit !(j + 0 < 60 && j + 0 < h + 0) }'; then
  pass "uptime in the jail is the jail's ($jail_up s, host $host_up s)"
else fail "uptime in the jail is the jail's" "jail: $jail_up" "host: $host_up"; fi

# --- CPUs: 0.5 CPU -> pinned to 1 CPU
if [ "$HOSTCPUS" -ge 2 ]; then
  expect_eq "nproc in a 0.5-CPU jail (userjail run)" 1 "$(uj_run "$U" -- nproc 2>&1)"
  expect_eq "os.sched_getaffinity in the jail" 1 \
    "$(uj_run "$U" -- python3 -c 'import os; print(len(os.sched_getaffinity(0)))' 2>&1)"
  expect_eq "nproc in an ssh session (the session process is pinned too)" 1 "$(uj_ssh "$U" nproc 2>&1)"
  init=$(uj_list_field "$U" init_pid)
  uj_run_bg "$U" -- sleep 60
  holder=$UJ_BG_PID
  wait_until 10 test -n "$(uj_list_field "$U" init_pid)"
  init=$(uj_list_field "$U" init_pid)
  n=$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/$init/status")
  if [ -n "$init" ] && ! grep -q '[-,]' <<<"$n"; then pass "jail init pinned to one CPU ($n)"
  else fail "jail init pinned to one CPU" "init=$init cpus=$n"; fi
  mon=$(pgrep -f "^userjail-mon $U\$")
  expect_eq "the monitor (host side) is not pinned" "$(awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status)" \
    "$(awk '/^Cpus_allowed_list/ {print $2}' "/proc/$mon/status" 2>/dev/null)"
  # /proc/cpuinfo and /proc/stat (what os.cpu_count() reads without /sys):
  # LXCFS sizes them by the init's cpuset (v1: cpuset.c) or the quota (v2, --enable-cfs)
  expect_eq "os.cpu_count() in the jail (LXCFS /proc/stat)" 1 \
    "$(uj_run "$U" -- python3 -c 'import os; print(os.cpu_count())' 2>&1)"
  expect_eq "/proc/cpuinfo lists one processor" 1 "$(uj_run "$U" -- grep -c ^processor /proc/cpuinfo 2>&1)"
  expect_eq "cpu = unlimited: no pinning" "$HOSTCPUS" "$(uj_run "$O" -- nproc 2>&1)"
  kill "$holder" 2>/dev/null
  wait "$holder" 2>/dev/null
else
  skip "CPU pinning" "one CPU only"
fi

# --- without LXCFS: the jail works, shows the host, and says so
host_mem=$(awk '/^MemTotal/ {print $2}' /proc/meminfo)
expect_eq "lxcfs = none: /proc/meminfo is the host's" "$host_mem" \
  "$(uj_run "$O" -- awk '/^MemTotal/ {print $2}' /proc/meminfo 2>&1)"
expect_match "lxcfs = none: the info file says /proc shows the host" "^proc_views=host" \
  "$(uj_run "$O" -- cat /run/userjail-info 2>&1)"
sed "s|lxcfs = \"$LX\";|lxcfs = \"$UJ_TMP/no-lxcfs-here\";|" "$UJ_CONF" >"$UJ_TMP/nolx.conf"
chmod 0644 "$UJ_TMP/nolx.conf"
out=$("$UJ_HELPER" check-config "$UJ_TMP/nolx.conf" 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && grep -q "note: LXCFS does not run at $UJ_TMP/no-lxcfs-here" <<<"$out"; then
  pass "check-config: LXCFS missing is a note, exit 0"
else fail "check-config: LXCFS missing is a note, exit 0" "rc=$rc" "$out"; fi
out=$("$UJ_HELPER" check-config "$UJ_CONF" 2>&1)
expect_nomatch "check-config: no note when LXCFS runs" "note: LXCFS" "$out"
expect_match "status: LXCFS running for the user's rule" "lxcfs +$LX \(running" \
  "$("$UJ_HELPER" status --config "$UJ_CONF" "$U" 2>&1)"
expect_match "status: lxcfs = none shown" "lxcfs +none" "$("$UJ_HELPER" status --config "$UJ_CONF" "$O" 2>&1)"
expect_match "status: LXCFS not running is a note" "lxcfs +$UJ_TMP/no-lxcfs-here \(note: LXCFS does not run" \
  "$("$UJ_HELPER" status --config "$UJ_TMP/nolx.conf" "$U" 2>&1)"

# ============================ notice and info ==============================
# sshd shows PAM's session messages with the motd: to interactive logins
# (a shell, no command). stdin at EOF ends the shell right away.
uj_login_shell() {
  timeout 60 ssh -tt "${UJ_SSH_OPTS[@]}" -i "$UJ_TMP/client_key" -p "$UJ_PORT" "$1@127.0.0.1" \
    </dev/null 2>&1 | tr -d '\r'
}
out=$(uj_login_shell "$U")
expect_match "login notice names the jail and its limits" \
  "userjail: this session runs in the jail jail-$U: memory 256M, processes 64, cpu 0.5 CPU" "$out"
expect_match "login notice says where usage is" "cat /run/userjail-info" "$out"
out=$(uj_su "$U" 'echo SCRIPTED' 2>&1)
expect_eq "no notice without a terminal (su -l -c in a script: output unchanged)" "SCRIPTED" "$out"
out=$(uj_ssh "$U" 'echo CMD' 2>&1)
expect_eq "no notice for ssh host CMD" "CMD" "$out"
out=$(uj_login_shell "$O")
expect_match "notice = false: login works" "jail-$O" "$out"
expect_nomatch "notice = false: no notice" "userjail: this session" "$out"

info=$(uj_run "$U" -- cat /run/userjail-info 2>&1)
expect_match "info file: memory limit" "^memory_limit=256M" "$info"
expect_match "info file: process limit" "process_limit=64" "$info"
expect_match "info file: cpu limit" "cpu_limit=0.5 CPU" "$info"
expect_match "info file: LXCFS views" "proc_views=lxcfs" "$info"
expect_eq "info file is root's, mode 0444" "root 444" "$(uj_run "$U" -- stat -c '%U %a' /run/userjail-info 2>&1)"
out=$(uj_run "$U" -- sh -c 'echo memory_limit=100G >> /run/userjail-info && echo WROTE; rm -f /run/userjail-info && echo REMOVED; echo x > /run/userjail-fake && echo CREATED' 2>&1)
expect_nomatch "user cannot change, remove or forge the info file" "WROTE|REMOVED|CREATED" "$out"
memf=$(awk -F'[= ]' '/^memory_used=/ {print $2}' <<<"$info")
pidf=$(awk -F'[= ]' '/^processes_used=/ {print $2}' <<<"$info")
out=$(uj_run "$U" -- sh -c "cat $memf; cat $pidf" 2>&1)
if [ -n "$memf" ] && [ -n "$pidf" ] && [ "$(sed -n 1p <<<"$out")" -gt 0 ] 2>/dev/null &&
  [ "$(sed -n 2p <<<"$out")" -ge 1 ] 2>/dev/null; then
  pass "usage files readable from inside ($memf, $pidf)"
else fail "usage files readable from inside" "memf=$memf pidf=$pidf" "$out"; fi
dir=$(dirname "$pidf")
out=$(uj_run "$U" -- sh -c "{ echo 4096 > $dir/pids.max; } 2>/dev/null && echo RAISED; cat $dir/pids.max" 2>&1)
expect_nomatch "the user's cgroup is read-only inside (pids.max not raised)" "RAISED" "$out"
expect_match "pids.max still 64" "^64$" "$out"

# ============================ limit events =================================
# A logged-in terminal (ssh -tt) that stays while the limits bite.
: >"$UJ_TMP/tty.out"
timeout 60 ssh -tt "${UJ_SSH_OPTS[@]}" -i "$UJ_TMP/client_key" -p "$UJ_PORT" "$U@127.0.0.1" \
  'sleep 30' </dev/null >"$UJ_TMP/tty.out" 2>&1 &
ttyssh=$!
UJ_CLEANUP_HOOKS+=("kill $ttyssh")
wait_until 10 pgrep -u "$uid" -x sleep
uj_syslog_mark
out=$(uj_run "$U" -- python3 -c '
b = bytearray(400 << 20)
for i in range(0, len(b), 4096):
    b[i] = 1
print("SURVIVED")' 2>&1)
expect_nomatch "memory hog is OOM-killed" SURVIVED "$out"
if wait_until 5 grep -q "out of memory (limit 256M" "$UJ_TMP/tty.out"; then
  pass "OOM kill written to the user's terminal"
else fail "OOM kill written to the user's terminal" "$(cat -A "$UJ_TMP/tty.out")"; fi
out=$(uj_run "$U" -- python3 -c '
import os, time
kids = []
try:
    for i in range(100):
        p = os.fork()
        if p == 0:
            time.sleep(2)
            os._exit(0)
        kids.append(p)
except OSError as e:
    print("EAGAIN after", len(kids))
for k in kids:
    os.waitpid(k, 0)' 2>&1)
expect_match "fork loop hits the pids limit" "EAGAIN after" "$out"
# v1 pids.events is read every 5 s (it does not signal); v2 signals at once.
if wait_until 12 grep -q "reached its process limit (64)" "$UJ_TMP/tty.out"; then
  pass "pids limit written to the user's terminal"
else fail "pids limit written to the user's terminal" "$(cat -A "$UJ_TMP/tty.out")"; fi
log=$(uj_syslog_since)
if [ -n "$UJ_SYSLOG" ]; then
  expect_match "syslog: OOM kill with user and limit" "jail of $U: OOM kill \(memory limit 256M\)" "$log"
  expect_match "syslog: pids limit with user" "jail of $U: pids limit 64 reached" "$log"
else
  skip "syslog: OOM kill and pids limit lines" "no syslog capture (another syslog owns /dev/log)"
fi
kill "$ttyssh" 2>/dev/null
wait "$ttyssh" 2>/dev/null

# --- a login when the user's processes are used up: refused, and told why
# (a shell would exit at its first failed fork and end the session)
uj_run_bg "$U" -- python3 -c '
import os, time
for i in range(100):
    try:
        if os.fork() == 0:
            time.sleep(120)
            os._exit(0)
    except OSError:
        break
while True:  # reap, so a killed child frees its pid
    try:
        os.wait()
    except ChildProcessError:
        break'
filler=$UJ_BG_PID
wait_until 15 sh -c "[ \$(cat /sys/fs/cgroup/pids/userjail/$uid/pids.current 2>/dev/null || echo 0) -ge 63 ]"
out=$(uj_ssh "$U" 'echo COMMAND-RAN' 2>&1)
expect_nomatch "pids exhausted: no shell" COMMAND-RAN "$out"
expect_match "pids exhausted: the user is told why" "your jail has reached its process limit \(64" "$out"
out=$(uj_run "$U" -- true 2>&1)
expect_match "pids exhausted: userjail run says so too" "process limit \(64" "$out"
# an admin can still come in (userjail enter) to clean up: a shell in there
# needs a process or two, so make room from the host first
for i in 1 2; do pkill -9 -u "$uid" -n -x python3; sleep 0.2; done
expect_match "pids still short for a login" "process limit \(64" "$(uj_run "$U" -- true 2>&1)"
out=$("$UJ_HELPER" enter "$U" -- sh -c 'echo ENTERED' </dev/null 2>&1 | tr -d '\r')
expect_match "pids exhausted: userjail enter is not refused" "ENTERED" "$out"
timeout 10 "$UJ_HELPER" stop "$U" >/dev/null 2>&1
kill "$filler" 2>/dev/null
wait "$filler" 2>/dev/null
expect_eq "after stop: the user logs in again" "jail-$U" "$(uj_ssh "$U" hostname 2>&1)"

# ============================ tools ========================================
# who / last: login records are kept on the host, not shown in the jail.
uj_ssh_tty "$U" 'true' >/dev/null 2>&1
if last -w 2>/dev/null | grep -q "^$U "; then pass "host wtmp records the jailed login"
else fail "host wtmp records the jailed login" "$(last -w | head -5)"; fi
out=$(uj_ssh "$U" 'last -w 2>&1; who 2>&1; cat /var/log/wtmp >/dev/null 2>&1 && echo READ-WTMP' 2>&1)
expect_nomatch "last/who in the jail show no host logins" "^(root|ujt)|READ-WTMP" "$out"
expect_match "last in the jail: permission denied, not the host's list" "Permission denied" "$out"

if command -v screen >/dev/null; then
  out=$(uj_run "$U" -- sh -c 'screen -dmS ujtest sleep 20; sleep 0.5; screen -ls; screen -S ujtest -X quit' 2>&1)
  expect_match "screen starts detached and lists its session (/run/screen)" "ujtest" "$out"
else skip "screen" "not installed"; fi

# ssh -A: the agent socket lives in the jail's private /tmp
eval "$(ssh-agent -s)" >/dev/null
UJ_CLEANUP_HOOKS+=("kill $SSH_AGENT_PID")
ssh-add -q "$UJ_TMP/client_key" 2>/dev/null
fp=$(ssh-add -l | awk '{print $2}')
out=$(timeout 60 ssh -A "${UJ_SSH_OPTS[@]}" -i "$UJ_TMP/client_key" -p "$UJ_PORT" "$U@127.0.0.1" \
  'echo SOCK=$SSH_AUTH_SOCK; ssh-add -l' </dev/null 2>&1)
if [ -n "$fp" ] && grep -qF "$fp" <<<"$out"; then pass "ssh -A: forwarded agent answers in the jail"
else fail "ssh -A: forwarded agent answers in the jail" "fp=$fp" "$out"; fi
expect_match "ssh -A: agent socket in the jail's /tmp" "SOCK=/tmp/ssh-" "$out"
kill "$SSH_AGENT_PID" 2>/dev/null

# ssh -X: sshd's proxy display and the cookie (xauth runs in the jail)
if command -v xauth >/dev/null; then
  out=$(DISPLAY=:99 timeout 60 ssh -X "${UJ_SSH_OPTS[@]}" -i "$UJ_TMP/client_key" -p "$UJ_PORT" \
    "$U@127.0.0.1" 'echo DISPLAY=$DISPLAY; xauth list "$DISPLAY"' </dev/null 2>&1)
  expect_match "ssh -X: DISPLAY set in the jail" "DISPLAY=localhost:[0-9]+\.0" "$out"
  expect_match "ssh -X: xauth cookie stored in the jailed home" "MIT-MAGIC-COOKIE-1" "$out"
else skip "ssh -X" "xauth not installed"; fi

# ============================ userjail run's environment ===================
printf 'LANG=de_DE.UTF-8\nexport UJT_FROM_PAM_ENV="yes it is"\n' >"$UJ_TMP/locale"
out=$(timeout 60 unshare -m --propagation private sh -c '
  mount --bind "$1" /etc/default/locale || exit 99
  "$2" run --config "$3" "$4" -- env' sh "$UJ_TMP/locale" "$UJ_HELPER" "$UJ_CONF" "$U" </dev/null 2>&1)
expect_match "userjail run: LANG from /etc/default/locale" "^LANG=de_DE.UTF-8$" "$out"
expect_match "userjail run: pam_env syntax (export, quotes)" "^UJT_FROM_PAM_ENV=yes it is$" "$out"
expect_match "userjail run: MAIL as a login sets it" "^MAIL=/var/mail/$U$" "$out"

# Nothing of either jail stays behind (processes, state, cgroups incl. the v1 cpuset)
timeout 10 "$UJ_HELPER" stop "$U" >/dev/null 2>&1
timeout 10 "$UJ_HELPER" stop "$O" >/dev/null 2>&1
expect_gone "jail of $U removed without leftovers" "$U"
expect_gone "jail of $O removed without leftovers" "$O"

uj_summary
