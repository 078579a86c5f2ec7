# Sourced by /init: the quotas of tests/vm/userjail.conf (pids 64, memory 64M,
# cpu 0.5) enforced on cgroup v2, through `userjail run`, plus the jail's
# pid/uts namespaces and teardown. Runs as root on the VM's "host" side.
UJ_CG=/sys/fs/cgroup/userjail/1000
UJ_RUN="userjail run --config /etc/security/userjail.conf test --"

# wait_cg present|gone: up to 10 s for the jail's cgroup to (dis)appear
wait_cg() {
  i=0
  while [ $i -lt 1000 ]; do
    if [ "$1" = present ] && [ -d $UJ_CG ]; then return 0; fi
    if [ "$1" = gone ] && [ ! -d $UJ_CG ]; then return 0; fi
    sleep 0.01
    i=$((i + 1))
  done
  return 1
}

check_gone() {
  if wait_cg gone; then uj_pass "$1-teardown: $UJ_CG removed"
  else uj_fail "$1-teardown: $UJ_CG still there: $(cat $UJ_CG/cgroup.procs 2>/dev/null | tr '\n' ' ')"; fi
}

# knob NAME FILE EXPECTED
knob() {
  v=$(cat "$UJ_CG/$2" 2>&1)
  if [ "$v" = "$3" ]; then uj_pass "limit-$1: $2 = $v"
  else uj_fail "limit-$1: $2 = '$v', expected '$3'"; fi
}

if ! [ -x /usr/sbin/userjail ]; then
  uj_fail "userjail-run: /usr/sbin/userjail missing from the initramfs"
else

# ---- limits as written, and teardown ---------------------------------------
$UJ_RUN /bin/sleep 3 >/tmp/sleep.out 2>&1 &
uj_rp=$!
if wait_cg present; then
  knob pids pids.max 64
  knob memory memory.max 67108864
  knob swap memory.swap.max 0
  knob cpu cpu.max "50000 100000"
  # the parent holds no process (no-internal-process rule)
  v=$(cat /sys/fs/cgroup/userjail/cgroup.procs)
  if [ -z "$v" ]; then uj_pass "parent-empty"; else uj_fail "parent-empty: $v"; fi
else
  uj_fail "limits: $UJ_CG never appeared: $(cat /tmp/sleep.out)"
fi
wait $uj_rp
uj_st=$?
if [ $uj_st -eq 0 ]; then uj_pass "run-status: sleep exited 0"
else uj_fail "run-status: userjail run exited $uj_st: $(cat /tmp/sleep.out)"; fi
check_gone sleep

# ---- namespaces: own /proc, own hostname ------------------------------------
uj_out=$($UJ_RUN /bin/sh -c 'echo "host=$(hostname)"; echo "nproc=$(ls -d /proc/[0-9]* | wc -l)"; for p in /proc/[0-9]*; do cat $p/comm; done | tr "\n" " "' 2>&1)
uj_host=$(echo "$uj_out" | sed -n 's/^host=//p')
uj_np=$(echo "$uj_out" | sed -n 's/^nproc=//p')
if [ "$uj_host" = "jail-test" ] && [ "$(hostname)" = vmhost ]; then uj_pass "uts: jail hostname $uj_host, host still $(hostname)"
else uj_fail "uts: jail hostname '$uj_host', host '$(hostname)': $uj_out"; fi
uj_hostnp=$(ls -d /proc/[0-9]* | wc -l)
if [ -n "$uj_np" ] && [ "$uj_np" -le 6 ] && ! echo "$uj_out" | grep -qw kthreadd; then
  uj_pass "pidns: jail sees $uj_np processes (host: $uj_hostnp)"
else
  uj_fail "pidns: jail sees '$uj_np' processes (host: $uj_hostnp): $uj_out"
fi
check_gone ns

# ---- fork bomb stops at pids.max ----------------------------------------------
$UJ_RUN /usr/bin/vmtool bomb 4 >/tmp/bomb.out 2>&1 &
uj_rp=$!
if wait_cg present; then
  # Two figures: the most tasks really in the jail's cgroup tree, which must
  # stay within pids.max; and pids.current, which a refused fork charges for
  # an instant before the kernel takes it back (pids_try_charge), so a
  # reader can see up to one more per CPU forking at that moment.
  set -- $(vmtool peakcg $UJ_CG 2.5)
  uj_peak=${1:-0} uj_tasks=${2:-0}
  uj_ev=$(sed -n 's/^max //p' $UJ_CG/pids.events 2>/dev/null)
  if [ "$uj_tasks" -le 64 ] && [ "$uj_tasks" -ge 56 ] && [ "$uj_peak" -ge 60 ] &&
     [ "$uj_peak" -le $((64 + $(nproc))) ] && [ "${uj_ev:-0}" -gt 0 ]; then
    uj_pass "forkbomb: at most $uj_tasks tasks in the jail (max 64; pids.current peaked at $uj_peak), $uj_ev forks refused"
  else
    uj_fail "forkbomb: $uj_tasks tasks (want 56..64), pids.current peak '$uj_peak' (want 60..$((64 + $(nproc)))), pids.events max '$uj_ev'"
  fi
else
  uj_fail "forkbomb: $UJ_CG never appeared: $(cat /tmp/bomb.out)"
fi
wait $uj_rp
if grep -q 'EAGAIN [1-9]' /tmp/bomb.out; then uj_pass "forkbomb-eagain: $(grep bomb: /tmp/bomb.out)"
else uj_fail "forkbomb-eagain: $(cat /tmp/bomb.out)"; fi
if sh -c 'exit 0'; then uj_pass "forkbomb-host-alive"; else uj_fail "forkbomb-host-alive"; fi
check_gone bomb

# ---- memory hog is OOM-killed inside the jail only ----------------------------
dmesg -c >/dev/null
uj_out=$($UJ_RUN /bin/sh -c '/usr/bin/vmtool hog 256; echo "hog-status=$?"' 2>&1)
uj_hs=$(echo "$uj_out" | sed -n 's/^hog-status=//p')
if [ "$uj_hs" = 137 ]; then uj_pass "oom: hog killed by SIGKILL, the jail's shell survived"
else uj_fail "oom: hog status '$uj_hs': $uj_out"; fi
uj_dm=$(dmesg)
if echo "$uj_dm" | grep -q 'Memory cgroup out of memory'; then uj_pass "oom-memcg: kernel reports a memory cgroup OOM"
else uj_fail "oom-memcg: no memcg OOM in dmesg: $(echo "$uj_dm" | tail -n 5)"; fi
if echo "$uj_dm" | grep 'Out of memory' | grep -vq 'Memory cgroup'; then
  uj_fail "oom-global: a host-wide OOM happened: $(echo "$uj_dm" | grep 'Out of memory')"
else
  uj_pass "oom-global: no host-wide OOM"
fi
check_gone oom

# ---- busy loop held to the cpu fraction (0.5 +- 10%) --------------------------
$UJ_RUN /usr/bin/vmtool spin 6 >/tmp/spin.out 2>&1 &
uj_rp=$!
if wait_cg present; then
  sleep 1
  uj_cf=$(vmtool cpufrac $UJ_CG 3)
  uj_f=${uj_cf%% *}
  if awk -v f="$uj_f" 'BEGIN { exit !(f >= 0.45 && f <= 0.55) }'; then
    uj_pass "cpu: jail used $uj_cf of one CPU (limit 0.5)"
  else
    uj_fail "cpu: jail used '$uj_cf' of one CPU, want 0.45..0.55"
  fi
  uj_thr=$(sed -n 's/^nr_throttled //p' $UJ_CG/cpu.stat)
  if [ "${uj_thr:-0}" -gt 0 ]; then uj_pass "cpu-throttled: nr_throttled $uj_thr"
  else uj_fail "cpu-throttled: nr_throttled '$uj_thr'"; fi
else
  uj_fail "cpu: $UJ_CG never appeared: $(cat /tmp/spin.out)"
fi
wait $uj_rp
check_gone spin

# ---- monitor and init: out of the OOM killer's reach, fds for 4096 sessions
# (here root has CAP_SYS_RESOURCE, which the dev machine's container lacks),
# and a monitor killed with SIGKILL takes its jail with it --------------------
(ulimit -n 1024 && exec $UJ_RUN /bin/sleep 30) >/tmp/prot.out 2>&1 &
uj_rp=$!
uj_mon= uj_init=
if wait_cg present; then
  sleep 0.5
  for p in /proc/[0-9]*; do
    case "$(cat $p/comm 2>/dev/null)" in
      userjail-mon*) uj_mon=${p#/proc/} ;;
      userjail-init) uj_init=${p#/proc/} ;;
    esac
  done
  uj_adj="$(cat /proc/$uj_mon/oom_score_adj 2>&1) $(cat /proc/$uj_init/oom_score_adj 2>&1)"
  if [ "$uj_adj" = "-1000 -1000" ]; then uj_pass "oom-adj: monitor and init at -1000"
  else uj_fail "oom-adj: monitor $uj_mon, init $uj_init: '$uj_adj'"; fi
  uj_nf=$(awk '/^Max open files/ { print $4 " " $5 }' /proc/$uj_mon/limits)
  if [ "$uj_nf" = "8256 8256" ]; then uj_pass "nofile: monitor created under ulimit -n 1024 has $uj_nf"
  else uj_fail "nofile: monitor has '$uj_nf', want 8256 8256"; fi
  kill -9 "$uj_mon"
  uj_i=0
  while [ -d /proc/$uj_init ] && [ $uj_i -lt 200 ]; do sleep 0.01; uj_i=$((uj_i + 1)); done
  if [ ! -d /proc/$uj_init ]; then uj_pass "lifeline: init ended with its killed monitor"
  else uj_fail "lifeline: init $uj_init outlived its monitor"; fi
  wait $uj_rp
  uj_out=$(userjail stop test 2>&1)
  if [ ! -d $UJ_CG ] && [ ! -e /run/userjail/1000.sock ]; then uj_pass "remains: stop cleared them ($uj_out)"
  else uj_fail "remains: $UJ_CG or the socket still there after stop: $uj_out"; fi
else
  uj_fail "oom-adj: $UJ_CG never appeared: $(cat /tmp/prot.out)"
fi
check_gone monitor-killed

# reference: the same loop outside any jail gets a whole CPU
mkdir -p /sys/fs/cgroup/ujref
vmtool spin 4 &
uj_rp=$!
echo $uj_rp >/sys/fs/cgroup/ujref/cgroup.procs
sleep 0.5
uj_cf=$(vmtool cpufrac /sys/fs/cgroup/ujref 2)
wait $uj_rp
rmdir /sys/fs/cgroup/ujref
echo "UJVM INFO cpu-reference: unjailed loop used $uj_cf"

fi
