#!/bin/bash
# The jail init reaps orphans and survives the user's kill -9 -1 / kill -9 1
# (check 9).
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic 'on_logout = "linger";'
U=$(uj_new_user)
uj_user_create "$U"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }

# Sessions that leave orphans behind: double-forked children that exit later
# (reparented to the jail's PID 1, which must wait() for them).
uj_run "$U" -- sh -c '(sleep 1 &); (sh -c "sleep 0.5 & exit 0" &); nohup sh -c "sleep 1.5 &" >/dev/null 2>&1 &' >/dev/null 2>&1
uj_ssh "$U" '(sleep 1 &); (sleep 0.3 &); sh -c "sleep 0.8 &"; echo done' >/dev/null 2>&1
uj_ssh_tty "$U" '(sleep 1 &); exit 0' >/dev/null 2>&1
for i in 1 2 3; do uj_ssh "$U" 'true' >/dev/null 2>&1; done
sleep 3
out=$(uj_run "$U" -- ps -eo pid,ppid,stat,comm 2>&1)
rc=$?
expect_eq "ps inside the jail works" 0 "$rc"
zombies=$(awk 'NR > 1 && $3 ~ /^Z/' <<<"$out")
if [ "$rc" -eq 0 ] && [ -z "$zombies" ]; then pass "no zombie in the jail after orphaning sessions ended"
else fail "no zombie in the jail after orphaning sessions ended" "$out"; fi
host_z=$(ps -eo stat,user,comm | awk -v u="$U" '$1 ~ /^Z/ && ($2 == u || $3 ~ /sshd/)')
if [ -z "$host_z" ]; then pass "no zombie left on the host side (sshd, user)"
else fail "no zombie left on the host side (sshd, user)" "$host_z"; fi

init1=$(uj_list_field "$U" init_pid)
ns1=$(uj_jail_pidns "$U")
expect_match "linger jail still alive (init pid known)" '^[0-9]+$' "$init1"

# What the user sees of PID 1: the jail's init, with no capability left
# and none it could get back (a small reaper once the root is built).
out=$(uj_ssh "$U" 'cat /proc/1/comm; grep -E "^(CapPrm|CapEff|CapBnd|NoNewPrivs):" /proc/1/status' 2>&1)
expect_eq "PID 1 in the jail: the jail's init, no capabilities, no_new_privs" "userjail-init
CapPrm:	0000000000000000
CapEff:	0000000000000000
CapBnd:	0000000000000000
NoNewPrivs:	1" "$out"

# The user tries to kill everything, then the init by number.
uj_ssh "$U" 'kill -9 1; echo "kill1=$?"' >"$UJ_TMP/k1.out" 2>&1
uj_ssh "$U" 'nohup sleep 100 >/dev/null 2>&1 & kill -9 -1; echo unreachable' >/dev/null 2>&1
sleep 1
init2=$(uj_list_field "$U" init_pid)
expect_eq "jail init survives kill -9 1 and kill -9 -1" "$init1" "$init2"
check "jail init process still exists on the host" test -d "/proc/$init1"
out=$(uj_ssh "$U" 'readlink /proc/self/ns/pid; echo "N=$(pgrep -c sleep)"' 2>&1)
expect_eq "a new session joins the same jail" "$ns1" "$(head -1 <<<"$out")"
expect_match "kill -9 -1 did kill the user's own processes" '^N=0$' "$out"

check "userjail stop ends the linger jail" "$UJ_HELPER" stop "$U"
wait_until 6 uj_nothing_left "$U"
expect_gone "nothing left after stop" "$U"

# The init starts on CPUs other than its monitor's while the monitor makes
# the cgroup (jail/monitor.c, spread_init) and takes them all back: with a
# CPU quota that covers the host (no pinning), the jail's PID 1 and a
# session's processes may run on every CPU the host allows.
ncpu=$(nproc)
uj_conf_basic "on_logout = \"linger\"; limits = { pids = 512; memory = \"1G\"; cpu = $ncpu.0; };"
host_cpus=$(awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status)
out=$(uj_ssh "$U" 'awk "/^Cpus_allowed_list/ {print \$2}" /proc/1/status /proc/self/status' 2>&1)
expect_eq "no CPU pinning: the jail's PID 1 has every CPU" "$host_cpus" "$(sed -n 1p <<<"$out")"
expect_eq "no CPU pinning: a session's process has every CPU" "$host_cpus" "$(sed -n 2p <<<"$out")"
"$UJ_HELPER" stop "$U" >/dev/null 2>&1
wait_until 6 uj_nothing_left "$U"
uj_summary
