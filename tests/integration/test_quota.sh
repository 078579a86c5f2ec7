#!/bin/bash
# cgroup quotas (check 12): pids, memory (OOM inside the jail), cpu.
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic 'limits = { pids = 64; memory = "128M"; cpu = 0.2; };'
U=$(uj_new_user)
uj_user_create "$U"
O=$(uj_new_user)
uj_user_create "$O"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }
uid=$(uj_uid "$U")

# Hold the jail open for the whole test, so we can watch its init survive.
uj_run_bg "$U" -- sleep 300
holder=$UJ_BG_PID
wait_until 10 test -n "$(uj_list_field "$U" init_pid)"
init=$(uj_list_field "$U" init_pid)
expect_match "jail is up (init pid)" '^[0-9]+$' "$init"
cg() { cat "/sys/fs/cgroup/$1/userjail/$uid/$2" 2>/dev/null; }
expect_eq "pids.max on the host cgroup" 64 "$(cg pids pids.max)"
expect_eq "memory.limit_in_bytes on the host cgroup" $((128 << 20)) "$(cg memory memory.limit_in_bytes)"
expect_eq "cpu.cfs_quota_us / period = 0.2" "0.2" \
  "$(awk -v q="$(cg cpu cpu.cfs_quota_us)" -v p="$(cg cpu cpu.cfs_period_us)" 'BEGIN { if (p > 0) printf "%.1f", q / p }')"

# --- fork bomb (bounded: it stops by itself at 300 children even without a limit)
out=$(uj_run "$U" -- python3 -c '
import os, time
kids = []
err = None
for i in range(300):
    try:
        p = os.fork()
    except OSError as e:
        err = e.errno
        break
    if p == 0:
        time.sleep(30)
        os._exit(0)
    kids.append(p)
print("FORKED", len(kids), "ERR", err)
for k in kids:
    os.kill(k, 9)
for k in kids:
    os.waitpid(k, 0)
' 2>&1)
n=$(awk '/^FORKED/ {print $2}' <<<"$out")
if [ -n "$n" ] && [ "$n" -lt 64 ] && grep -q 'ERR 11' <<<"$out"; then
  pass "fork bomb stops at pids.max ($n forks, EAGAIN)"
else fail "fork bomb stops at pids.max" "$out"; fi
out=$(uj_run "$U" -- id -un 2>&1)
expect_eq "user can still run commands after the fork bomb" "$U" "$out"
out=$(uj_ssh "$O" hostname 2>&1)
expect_eq "another user logs in normally meanwhile" "jail-$O" "$out"

# --- memory hog larger than the limit: OOM-killed inside the jail
out=$(uj_run "$U" -- python3 -c '
b = bytearray(300 << 20)
for i in range(0, len(b), 4096):
    b[i] = 1
print("SURVIVED")' 2>&1)
rc=$?
expect_nomatch "300M hog does not survive a 128M limit" SURVIVED "$out"
if [ "$rc" -eq 137 ] || [ "$rc" -eq 9 ] || grep -qi 'killed\|memory' <<<"$out"; then
  pass "hog was killed (rc=$rc)"
else fail "hog was killed" "rc=$rc" "$out"; fi
expect_eq "jail init survives the OOM" "$init" "$(uj_list_field "$U" init_pid)"
check "jail init process still exists" test -d "/proc/$init"
out=$(uj_run "$U" -- id -un 2>&1)
expect_eq "jail usable after the OOM" "$U" "$out"

# --- cpu 0.2: a busy loop gets about 20% of one CPU
out=$(uj_run "$U" -- python3 -c '
import time
t0 = time.time(); c0 = time.process_time()
while time.time() - t0 < 3:
    pass
print("SHARE %.3f" % ((time.process_time() - c0) / (time.time() - t0)))' 2>&1)
share=$(awk '/^SHARE/ {print $2}' <<<"$out")
if [ -n "$share" ] && awk -v s="$share" 'BEGIN { exit !(s > 0.1 && s < 0.3) }'; then
  pass "busy loop held to ~20% of a CPU ($share)"
else fail "busy loop held to ~20% of a CPU" "$out"; fi

kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
wait_until 6 uj_nothing_left "$U"
expect_gone "nothing left after the last session" "$U"
uj_summary
