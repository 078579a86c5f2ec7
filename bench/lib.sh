# Setup and cleanup for bench/run.sh (sourced, bash).
#
# Everything the benchmark makes has a fixed name, recorded in $BW/state as
# it is made, so that a run that was killed outright (no trap) is cleaned up
# by the next run (or by `bench/run.sh --cleanup`):
#   users ujb* with uids in [UIDMIN, UIDMAX] (bench/ujb-users), group ujbench,
#   homes under /home/ujbench, work dir /run/ujbench (configs, keys, shells),
#   /usr/local/sbin/sshd-userjail-bench{,0} and /etc/pam.d/sshd-userjail-bench{,0},
#   the cgroups /sys/fs/cgroup/{pids,memory,cpu}/ujbench of the unshare jail.
# (tests/integration/lib.sh is a test harness that makes one sshd and one
# user at a time under its own names; the benchmark needs two sshds, login
# shells for bwrap and firejail and 1,000+ users made in one batch, so it
# keeps this small file instead.)

BW=/run/ujbench
BH=/home/ujbench
BGROUP=ujbench
SSHD_UJ=sshd-userjail-bench
SSHD_PLAIN=sshd-userjail-bench0
# the same PAM stack, the module asking a standby helper (section pam_quiet)
SSHD_UJ_SB=sshd-userjail-bench-sb
SB_SOCK=$BW/standby/helper.sock
UGID_USERS=100 # "users": primary group of the users that are not jailed

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

state_set() { echo "$1=$2" >>"$BW/state"; }

# wait_for SECONDS CMD...: poll CMD every 0.05 s
wait_for() {
  local t=$1 i
  shift
  for ((i = 0; i < t * 20; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  return 1
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for ((p = 22200 + RANDOM % 20000; ; p++)); do
    port_open "$p" || { echo "$p"; return; }
  done
}

# A contiguous range of $1 uids that no user and no group has.
free_uid_range() {
  local n=$1 base
  for base in 61000 71000 81000 91000 101000 111000; do
    if ! getent passwd | awk -F: -v a="$base" -v b="$((base + n))" '$3>=a && $3<b {f=1} END{exit !f}' &&
      ! getent group | awk -F: -v a="$base" -v b="$((base + n))" '$3>=a && $3<b {f=1} END{exit !f}'; then
      echo "$base"
      return 0
    fi
  done
  return 1
}

uid_of() { id -u "$1"; }
jail_alive() { [ -S "/run/userjail/$(uid_of "$1").sock" ]; }
# init pid of USER's jail, from `userjail list --json`
jail_init_pid() {
  "$UJ" list --json | awk -v u="\"$1\"" '$0 ~ "\"user\": " u {
    sub(/.*"init_pid": /, ""); sub(/,.*/, ""); print; exit }'
}
stop_jail() { "$UJ" stop "$1" >/dev/null 2>&1 || true; }

# PSS and USS (KiB) of a set of pids: "pss uss"
mem_of() {
  local p pss=0 uss=0 a b
  for p in "$@"; do
    read -r a b < <(awk '/^Pss:/{p=$2} /^Private_(Clean|Dirty):/{u+=$2} END{print p+0, u+0}' \
      "/proc/$p/smaps_rollup" 2>/dev/null || echo "0 0")
    pss=$((pss + a))
    uss=$((uss + b))
  done
  echo "$pss $uss"
}

# ------------------------------------------------------------------ setup --

setup_workdir() {
  mkdir -p "$BW" "$BH"
  chmod 0755 "$BW" "$BH"
  : >"$BW/state"
  mkdir -p "$BW/uroot"
  ssh-keygen -q -t ed25519 -N '' -f "$BW/host_key" </dev/null >/dev/null
  ssh-keygen -q -t ed25519 -N '' -f "$BW/client_key" </dev/null >/dev/null
  # One root-owned key file for every user: no per-home .ssh to make.
  install -m 0644 "$BW/client_key.pub" "$BW/authorized_keys"
  # The jail config (root-owned, 0644, as the helper demands). "linger"
  # keeps a jail after its session: joins find it alive, and 1,000 jails can
  # be held without 1,000 sessions. A first login is made by stopping the
  # jail before it (untimed).
  cat >"$BW/userjail.conf" <<'EOF'
# userjail benchmark (bench/run.sh)
hostname = "jail-%u";
tmp_size = "64M";
limits = { pids = 512; memory = "1G"; cpu = 1.0; };
on_logout = "linger";
rules = ( { match = [ "ujbnet" ]; network = "private"; },
          { match = [ "@ujbench" ]; } );
EOF
  chmod 0644 "$BW/userjail.conf"
  "$UJ" check-config "$BW/userjail.conf" >/dev/null || die "bench config rejected"
}

# setup_users N_SCALE N_SPARE: the fixed users, the spares and ujb0001..N
setup_users() {
  local nscale=$1 nspare=$2 total base gid i n=0 u
  total=$((16 + nspare + nscale))
  base=$(free_uid_range "$total") || die "no free uid range"
  state_set UIDMIN "$base"
  state_set UIDMAX "$((base + total - 1))"
  getent group "$BGROUP" >/dev/null || groupadd "$BGROUP"
  state_set GROUP "$BGROUP"
  gid=$(getent group "$BGROUP" | cut -d: -f3)
  {
    # name primary-gid shell
    echo "ujbplain $UGID_USERS /bin/sh"
    echo "ujbjail $gid /bin/sh"
    echo "ujbjoin $gid /bin/sh"
    echo "ujbnet $gid /bin/sh"
    echo "ujbbwrap $UGID_USERS $BW/bwrap-shell"
    echo "ujbfire $UGID_USERS $BW/firejail-shell"
    echo "ujbunsh $UGID_USERS /bin/sh"
    echo "ujbunsh2 $UGID_USERS /bin/sh"
    for ((i = 1; i <= nspare; i++)); do printf 'ujbs%02d %s /bin/sh\n' "$i" "$gid"; done
    for ((i = 1; i <= nscale; i++)); do printf 'ujb%04d %s /bin/sh\n' "$i" "$gid"; done
  } | while read -r u g sh; do
    echo "$u $((base + n)) $g $BH/$u $sh"
    n=$((n + 1))
  done >"$BW/users.txt"
  "$BUILD_BENCH/ujb-users" add <"$BW/users.txt" || die "cannot add the bench users"
}

# Login shells of the comparison users (a login shell takes no arguments, so
# each is a two-line sh script; upstream firejail issues 6206 and 6768 make
# firejail itself fail as the login shell of `ssh host CMD` on Debian 12).
setup_shells() {
  local d binds=""
  for d in /bin /sbin /lib /lib32 /lib64 /libx32; do
    if [ -L "$d" ]; then binds+=" --symlink $(readlink "$d") $d"
    elif [ -d "$d" ]; then binds+=" --ro-bind $d $d"; fi
  done
  # Debian's bwrap is not setuid: it makes a user namespace too. A pty
  # session needs the host's /dev/pts (sshd opened the pty there).
  cat >"$BW/bwrap-shell" <<EOF
#!/bin/sh
exec bwrap --unshare-pid --unshare-uts --unshare-ipc --hostname jail --ro-bind /usr /usr$binds --ro-bind /etc /etc --bind "\$HOME" "\$HOME" --tmpfs /tmp --proc /proc --dev /dev --dev-bind /dev/pts /dev/pts --chdir "\$HOME" /bin/sh "\$@"
EOF
  cat >"$BW/firejail-shell" <<'EOF'
#!/bin/sh
exec firejail --quiet /bin/sh "$@"
EOF
  chmod 0755 "$BW/bwrap-shell" "$BW/firejail-shell"
  BWRAP_BINDS=$binds
}

# The util-linux way to make the same jail: cgroups, unshare, mounts,
# pivot_root, drop to the user. unshare-jail USER CMD...
setup_unshare_scripts() {
  local d links=""
  for d in /bin /sbin /lib /lib32 /lib64 /libx32; do
    if [ -L "$d" ]; then links+="ln -s $(readlink "$d") \$R$d; "
    elif [ -d "$d" ]; then links+="mkdir -p \$R$d; mount --bind -o ro $d \$R$d; "; fi
  done
  cat >"$BW/unshare-jail" <<EOF
#!/bin/sh
# userjail benchmark: a jail made step by step with util-linux tools
set -e
u=\$1; shift
uid=\$(id -u "\$u"); gid=\$(id -g "\$u"); home=\$(getent passwd "\$u" | cut -d: -f6)
for c in pids memory cpu; do mkdir -p /sys/fs/cgroup/\$c/ujbench/\$uid; done
echo 512 >/sys/fs/cgroup/pids/ujbench/\$uid/pids.max
echo 1G >/sys/fs/cgroup/memory/ujbench/\$uid/memory.limit_in_bytes
echo 100000 >/sys/fs/cgroup/cpu/ujbench/\$uid/cpu.cfs_quota_us
for c in pids memory cpu; do echo \$\$ >/sys/fs/cgroup/\$c/ujbench/\$uid/cgroup.procs; done
exec unshare --mount --uts --ipc --pid --fork --propagation private /bin/sh $BW/unshare-inner "\$u" "\$uid" "\$gid" "\$home" "\$@"
EOF
  cat >"$BW/unshare-inner" <<EOF
#!/bin/sh
set -e
u=\$1 uid=\$2 gid=\$3 home=\$4; shift 4
R=$BW/uroot
mount -t tmpfs -o mode=0755,size=1M ujbroot \$R
mkdir -p \$R/usr \$R/etc \$R/proc \$R/tmp \$R/dev/pts \$R\$home \$R/.old
mount --bind -o ro /usr \$R/usr
mount --bind -o ro /etc \$R/etc
$links
mount --bind \$home \$R\$home
mount -t tmpfs -o size=64M,nosuid,nodev tmpfs \$R/tmp
mount -t proc -o nosuid,nodev,noexec proc \$R/proc
for n in null zero full random urandom tty; do touch \$R/dev/\$n; mount --bind /dev/\$n \$R/dev/\$n; done
mount --bind /dev/pts \$R/dev/pts
hostname jail-\$u
cd \$R
pivot_root . .old
umount -l /.old
cd /
exec setpriv --reuid \$uid --regid \$gid --init-groups "\$@"
EOF
  # The later login: into the cgroups and namespaces of a running one.
  cat >"$BW/nsenter-join" <<'EOF'
#!/bin/sh
# userjail benchmark: nsenter-join INIT_PID USER CMD...
set -e
t=$1 u=$2; shift 2
uid=$(id -u "$u"); gid=$(id -g "$u")
for c in pids memory cpu; do echo $$ >/sys/fs/cgroup/$c/ujbench/$uid/cgroup.procs; done
exec nsenter --target "$t" --mount --uts --ipc --pid -- setpriv --reuid "$uid" --regid "$gid" --init-groups "$@"
EOF
  chmod 0755 "$BW/unshare-jail" "$BW/unshare-inner" "$BW/nsenter-join"
}

# Remove the unshare jail's cgroups of one uid (after its processes ended).
unshare_cg_clean() {
  local c
  for c in pids memory cpu; do
    [ -d "/sys/fs/cgroup/$c/ujbench/$1" ] && rmdir "/sys/fs/cgroup/$c/ujbench/$1" 2>/dev/null
  done
  return 0
}

pam_file() { # pam_file SERVICE WITH_MODULE [MORE MODULE ARGUMENTS]
  {
    echo "# userjail benchmark (bench/run.sh) -- removed at the end of the run"
    echo "@include common-auth"
    echo "@include common-account"
    echo "@include common-session"
    [ "$2" = 1 ] && echo "session required $BUILD/pam_userjail.so config=$BW/userjail.conf helper=$UJ ${3:-nostandby}"
  } >"/etc/pam.d/$1"
  chmod 0644 "/etc/pam.d/$1"
}

# sshd_start NAME: a copy of sshd named NAME (its PAM service), on a free port
sshd_start() {
  local name=$1 port pid i
  cp /usr/sbin/sshd "/usr/local/sbin/$name"
  state_set SSHD_BIN "/usr/local/sbin/$name"
  if [ ! -d /run/sshd ]; then
    mkdir -p /run/sshd && chmod 0755 /run/sshd
    state_set RUN_SSHD_MADE 1
  fi
  for i in 1 2 3 4 5; do
    port=$(free_port)
    cat >"$BW/$name.conf" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $BW/host_key
PidFile $BW/$name.pid
UsePAM yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AuthorizedKeysFile $BW/authorized_keys
MaxStartups 1000
MaxSessions 100
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel ERROR
EOF
    "/usr/local/sbin/$name" -D -e -f "$BW/$name.conf" >>"$BW/$name.log" 2>&1 &
    pid=$!
    state_set SSHD_PID "$pid"
    if wait_for 10 port_open "$port"; then
      echo "$port"
      return 0
    fi
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  die "sshd $name did not start: $(tail -3 "$BW/$name.log")"
}

# ---------------------------------------------------------------- cleanup --

# A pid and all its descendants.
pid_tree() {
  local c
  echo "$1"
  for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do pid_tree "$c"; done
}

# Remove everything listed in $BW/state. Safe to run twice, and after a
# crash (the next run calls it first).
bench_cleanup() {
  local UIDMIN="" UIDMAX="" GROUP="" RUN_SSHD_MADE="" RCU_EXPEDITED="" k v pid f uid name pids=() bins=()
  set +e
  [ -f "$BW/state" ] || return 0
  while IFS='=' read -r k v; do
    case $k in
    UIDMIN | UIDMAX | GROUP | RUN_SSHD_MADE | RCU_EXPEDITED) eval "$k=\$v" ;;
    SSHD_PID | HOLD_PID) pids+=("$v") ;;
    SSHD_BIN) bins+=("$v") ;;
    esac
  done <"$BW/state"
  # The processes we started (by pid). A holder may have become the PID 1
  # of a pid namespace (bwrap, unshare's child): only SIGKILL reaches that
  # from outside, so holders and all their descendants get SIGKILL.
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || continue
    case $(readlink "/proc/$pid/exe") in
    */sshd-userjail-bench*) kill "$pid" 2>/dev/null ;;
    *) kill -9 $(pid_tree "$pid") 2>/dev/null ;;
    esac
  done
  # Jails of our users: `userjail stop` (parallel: there may be 1,000).
  if [ -n "$UIDMIN" ] && [ -x "${UJ:-}" ]; then
    for f in /run/userjail/*.sock; do
      [ -e "$f" ] || continue
      uid=${f##*/}
      uid=${uid%.sock}
      [ "$uid" -ge "$UIDMIN" ] && [ "$uid" -le "$UIDMAX" ] || continue
      name=$(getent passwd "$uid" | cut -d: -f1)
      [ -n "$name" ] && echo "$name"
    done | xargs -r -n 1 -P 8 "$UJ" stop >/dev/null 2>&1
  fi
  # Whatever still runs as one of our users (sessions, bwrap, firejail, the
  # unshare jails): by uid, so nothing of anyone else is touched.
  if [ -n "$UIDMIN" ]; then
    for k in 1 2; do
      for pid in $(awk -v lo="$UIDMIN" -v hi="$UIDMAX" '/^Uid:/ { if ($2 >= lo && $2 <= hi) {
          f = FILENAME; sub(/^\/proc\//, "", f); sub(/\/status$/, "", f); print f } nextfile }' \
          /proc/[0-9]*/status 2>/dev/null); do
        kill -9 "$pid" 2>/dev/null
      done
      sleep 0.2
    done
    for f in /sys/fs/cgroup/{pids,memory,cpu}/ujbench; do
      [ -d "$f" ] && find "$f" -depth -type d -exec rmdir {} \; 2>/dev/null
    done
  fi
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  for f in "${bins[@]}"; do rm -f "$f" "/etc/pam.d/${f##*/}"; done
  rm -f "/etc/pam.d/$SSHD_UJ" "/etc/pam.d/$SSHD_PLAIN" "/etc/pam.d/$SSHD_UJ_SB" /etc/pam.d/ujb-builds-*
  if [ -n "$UIDMIN" ] && [ -x "$BUILD_BENCH/ujb-users" ]; then
    "$BUILD_BENCH/ujb-users" del ujb "$UIDMIN" "$UIDMAX" >/dev/null
  fi
  [ -n "$GROUP" ] && getent group "$GROUP" >/dev/null && groupdel "$GROUP"
  # /run/sshd only if we made it and no other copy of sshd runs (it needs it).
  if [ -n "$RUN_SSHD_MADE" ] && ! ls -l /proc/[0-9]*/exe 2>/dev/null | grep -q 'sshd'; then
    rmdir /run/sshd 2>/dev/null
  fi
  rm -rf "$BH"
  # The helper's last valid copy of our config (helper/config/lastgood.c):
  # the copy with our config's text (its first line names the benchmark).
  for f in /run/userjail/last-good-*.conf; do
    [ -f "$BW/userjail.conf" ] && cmp -s "$f" "$BW/userjail.conf" && rm -f "$f"
  done
  mountpoint -q "$BW/uroot" && umount -l "$BW/uroot"
  # The machine's RCU mode as it was before the run (kernel_default).
  [ -n "$RCU_EXPEDITED" ] && echo "$RCU_EXPEDITED" >/sys/kernel/rcu_expedited
  rm -rf "$BW"
  return 0
}

# Measure on a default kernel, as the headline rows promise. Some machines
# boot with /sys/kernel/rcu_expedited = 1 (seen here: a fresh VM of this
# kind did), and in that mode a cgroup attach after a quiet moment waits for
# an expedited grace period (0.07 ms) instead of a normal one (7.8 ms): the
# login rows would then not be what a default host sees. So for the run it
# is set to 0 (the kernel's default) and bench_cleanup puts the old value
# back. BENCH_KERNEL_AS_IS=1 measures the machine as it is. favordynmods
# cannot be undone (kernels >= 6.18 keep it until reboot): it is only named.
kernel_default() {
  local f=/sys/kernel/rcu_expedited v
  if [ "$(grep -c favordynmods /proc/mounts)" != 0 ]; then
    log "warning: a cgroup hierarchy is mounted with favordynmods: attach costs are not a default kernel's"
  fi
  [ "${BENCH_KERNEL_AS_IS:-0}" = 1 ] && return 0
  v=$(cat "$f" 2>/dev/null) || return 0
  [ "$v" = 0 ] && return 0
  state_set RCU_EXPEDITED "$v"
  echo 0 >"$f" || die "cannot set $f to 0 (BENCH_KERNEL_AS_IS=1 to measure the machine as it is)"
  log "rcu_expedited was $v: 0 (the kernel's default) for this run, $v again at its end" \
    "(BENCH_KERNEL_AS_IS=1: measure as is)"
}
