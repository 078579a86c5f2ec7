# The kernel's cgroup modes, measured in the busybox cgroup v2 VM (sourced by
# tests/vm/init.sh as an extra guest script; run it with bench/vm-cgmodes.sh).
# Prints "UJBENCH MODE ..." lines: the cost of fork+exit (every process on
# the host pays it) and of one cgroup attach after a 200 ms quiet gap (every
# login pays it), in three modes, in this order because favordynmods cannot
# be switched off again on every kernel:
#   default        no favordynmods, rcu_expedited 0
#   rcu_expedited  /sys/kernel/rcu_expedited = 1 (runtime switch, any hierarchy)
#   favordynmods   mount -o remount,favordynmods /sys/fs/cgroup
# TCG emulation: compare the modes with each other, not with a real host.
P=/sys/fs/cgroup/ujcgmodes
mkdir -p $P/a $P/b
for mode in default rcu_expedited favordynmods; do
  case $mode in
    rcu_expedited) echo 1 >/sys/kernel/rcu_expedited ;;
    favordynmods)
      echo 0 >/sys/kernel/rcu_expedited
      mount -o remount,favordynmods /sys/fs/cgroup || echo "UJBENCH $mode remount failed"
      ;;
  esac
  echo "UJBENCH $mode mount: $(grep ' /sys/fs/cgroup ' /proc/mounts) rcu_expedited=$(cat /sys/kernel/rcu_expedited)"
  for r in 1 2 3; do
    echo "UJBENCH $mode $(vmtool forkloop 3000)"
    echo "UJBENCH $mode $(vmtool cgprobe $P/a/cgroup.procs $P/b/cgroup.procs 20 200)"
  done
done
rmdir $P/a $P/b $P 2>/dev/null
