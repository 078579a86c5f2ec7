#!/bin/bash
# userjail benchmark: login cost against no jail, bubblewrap, firejail and
# unshare/nsenter; memory of an idle jail; 1 / 100 / 1,000 live jails.
# Prints a table, writes bench/results.csv (and bench/results.png with
# gnuplot). Run as root from the source tree after `make` (or `make bench`).
#
#   BENCH_QUICK=1     smoke run: 5 rounds, 10 jails (about a minute)
#   BENCH_ROUNDS=N    timed rounds per comparison (default 30, after 3 warm-up)
#   BENCH_JAILS=N     jails of the scale test (default 1000; levels 1, N/10, N)
#   BENCH_BUILD=DIR   where userjail and pam_userjail.so are (default build/)
#   BENCH_SECTIONS="network memory"   run only these sections (after setup);
#                     their rows go to build/bench/raw/results.csv, so the
#                     committed bench/results.csv keeps the last full run
#   BENCH_SECTIONS=builds BENCH_B="DIR ..."   first logins of this build
#                     against the builds in DIRs, interleaved and paired
#                     (not part of the full run)
#   BENCH_KERNEL_AS_IS=1   keep /sys/kernel/rcu_expedited as the machine has
#                     it (by default a 1 is set to 0, the kernel's default,
#                     for the run and put back at its end: bench/lib.sh)
#   bench/run.sh --cleanup   only remove what a killed run left behind
#
# Everything it makes is removed at exit (see bench/lib.sh).
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${BENCH_BUILD:-$ROOT/build}" && pwd)
UJ=$BUILD/userjail
BUILD_BENCH=$BUILD/bench
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
  ROUNDS=${BENCH_ROUNDS:-5} WARM=1 JAILS=${BENCH_JAILS:-10} NEXT=3 PAR=10
else
  ROUNDS=${BENCH_ROUNDS:-30} WARM=3 JAILS=${BENCH_JAILS:-1000} NEXT=20 PAR=100
fi
[ "$PAR" -le "$JAILS" ] || PAR=$JAILS
MID=$((JAILS / 10))
[ "$MID" -gt 1 ] || MID=$((JAILS / 2))
LEVELS=$(printf '%s\n' 1 "$MID" "$JAILS" | awk '$1 >= 1 && !seen[$1]++' | tr '\n' ' ')
LEVELS=${LEVELS% }
RES=$ROOT/bench/results.csv
SECTIONS=${BENCH_SECTIONS:-}
PNG=$ROOT/bench/results.png
RAW=$BUILD_BENCH/raw
CONF=$BW/userjail.conf
SSHC="ssh -F $BW/ssh_config"

# ---------------------------------------------------------------- results --

# results.csv: one row per measured item. Times in ms, memory in KiB.
#   ratio       median / median of the row's base (same run)
#   paired_diff median over rounds of (this - base) in the same round
#   target      the issue's limit for this row; verdict PASS / MISS
res_header() {
  echo "section,item,n,fail,median,min,max,p99,unit,ratio,paired_diff,base,target,verdict" >"$RES"
}
res_row() { # fields in header order
  local IFS=,
  echo "$*" >>"$RES"
}

# emit SECTION RAW BASE [ITEM...]: statistics of RAW's items (all, or the
# ones named) as rows, in ms, with ratio and paired difference to BASE.
emit() {
  local section=$1 raw=$2 base=$3
  shift 3
  "$BUILD_BENCH/ujb-time" --stats "$raw" ${base:+--base "$base"} >"$raw.stats"
  awk -F, -v sec="$section" -v base="$base" -v only="$*" '
    NR == 1 { next }
    { row[NR] = $0; name[NR] = $1; med[$1] = $4 }
    END {
      split(only, want, " "); for (k in want) ok[want[k]] = 1
      for (i = 2; i <= NR; i++) {
        split(row[i], f, ",")
        if (only != "" && !(f[1] in ok)) continue
        ratio = (base != "" && med[base] > 0) ? sprintf("%.2f", f[4] / med[base]) : ""
        diff = (f[10] != "") ? sprintf("%.2f", f[10] / 1000) : ""
        printf "%s,%s,%d,%d,%.2f,%.2f,%.2f,%.2f,ms,%s,%s,%s,,\n", sec, f[1], f[2], f[3],
          f[4] / 1000, f[5] / 1000, f[6] / 1000, f[7] / 1000, ratio, diff, (f[1] == base ? "" : base)
      }
    }' "$raw.stats" >>"$RES"
}

# Value of a column of the row SECTION,ITEM.
res_get() { awk -F, -v s="$1" -v i="$2" -v c="$3" '$1 == s && $2 == i { print $c; exit }' "$RES"; }

# target SECTION ITEM COLUMN LIMIT LABEL: set target and verdict of a row
# (PASS when the column's value <= LIMIT).
target() {
  local s=$1 i=$2 col=$3 lim=$4
  awk -F, -v OFS=, -v s="$s" -v i="$i" -v c="$col" -v lim="$lim" '
    $1 == s && $2 == i && $c != "" { $13 = "<=" lim; $14 = ($c + 0 <= lim + 0) ? "PASS" : "MISS" }
    { print }' "$RES" >"$RES.tmp" && mv "$RES.tmp" "$RES"
}

print_table() {
  echo
  echo "userjail benchmark -- $(uname -r), $(nproc) CPUs, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
  echo "times in ms (median of n runs after warm-up; min, max, p99); ratio = median / base median;"
  echo "paired = median over rounds of (item - base) in the same round"
  # rows grouped by section, sections in order of first appearance
  awk -F, 'NR > 1 { if (!($1 in seen)) { seen[$1] = ++ns; name[ns] = $1 } rows[$1] = rows[$1] $0 "\n" }
    END { for (i = 1; i <= ns; i++) printf "%s", rows[name[i]] }' "$RES" |
  awk -F, '$1 != sec { sec = $1; printf "\n[%s]\n%-28s %5s %9s %9s %9s %9s %6s %8s %-15s %s\n", sec,
      "item", "n", "median", "min", "max", "p99", "ratio", "paired", "base", "target"; }
    { fail = ($4 > 0) ? sprintf(" (%d failed)", $4) : ""
      tgt = ($13 != "") ? $13 " " $9 " " $14 : ""
      printf "%-28s %5s %9s %9s %9s %9s %6s %8s %-15s %s%s\n", $2, $3, $5, $6, $7, $8, $10, $11,
        $12, tgt, fail }'
  echo
}

plot() {
  command -v gnuplot >/dev/null || { log "gnuplot not installed: no chart"; return 0; }
  awk -F, '$1 == "login-ssh" { print $2, $5, $6, $7 }' "$RES" >"$RAW/plot-login.dat"
  awk -F, '$1 == "scale" && $2 ~ /^next-create@/ { sub(/next-create@/, "", $2); print $2, $5, $6, $7 }' \
    "$RES" >"$RAW/plot-scale.dat"
  gnuplot <<EOF || log "gnuplot failed: no chart"
set terminal pngcairo size 1200,480 font ",10" noenhanced
set output "$PNG"
set multiplot layout 1,2 title "userjail benchmark ($(uname -r), $(nproc) CPUs)"
set style fill solid 0.6
set boxwidth 0.6
set ylabel "ms (median, min-max)"
set title "ssh user@127.0.0.1 true"
set yrange [0:*]
set xtics rotate by -30
plot "$RAW/plot-login.dat" using 0:2:xtic(1) with boxes notitle, \
     "" using 0:2:3:4 with yerrorbars lc rgb "black" pt 0 notitle
set title "creation of the next jail (userjail run -- true)"
set xlabel "live jails"
set logscale x
set xtics norotate
set xrange [0.5:*]
plot "$RAW/plot-scale.dat" using 1:2:3:4 with yerrorlines pt 7 title "median, min-max"
unset multiplot
EOF
  [ -f "$PNG" ] && log "chart: $PNG"
  return 0
}

# ---------------------------------------------------------------- helpers --

build_tools() {
  mkdir -p "$BUILD_BENCH" "$RAW"
  local f
  for f in ujb-time ujb-users; do
    cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$BUILD_BENCH/$f" "$ROOT/bench/$f.c"
  done
  cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$BUILD_BENCH/ujb-pam" "$ROOT/bench/ujb-pam.c" -lpam
}

have() { command -v "$1" >/dev/null 2>&1; }

# The users ujbNNNN of the scale test, FROM..TO
scale_users() { local i; for ((i = $1; i <= $2; i++)); do printf 'ujb%04d\n' "$i"; done; }

# Pids of the monitors and inits of all live bench jails.
bench_jail_pids() {
  local lo hi
  lo=$(awk -F= '$1 == "UIDMIN" { print $2 }' "$BW/state")
  hi=$(awk -F= '$1 == "UIDMAX" { print $2 }' "$BW/state")
  "$UJ" list --json | awk -v lo="$lo" -v hi="$hi" '/"uid":/ {
      u = $0; sub(/.*"uid": /, "", u); sub(/,.*/, "", u)
      p = $0; sub(/.*"init_pid": /, "", p); sub(/,.*/, "", p)
      if (u + 0 >= lo && u + 0 <= hi) print p }' | while read -r p; do
    echo "$p"
    awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null
  done
}
# Summed PSS and USS (KiB) of many pids, one awk for all.
mem_sum() {
  local files=() p
  for p in "$@"; do files+=("/proc/$p/smaps_rollup"); done
  [ ${#files[@]} -gt 0 ] || { echo "0 0"; return; }
  awk '/^Pss:/ { p += $2 } /^Private_(Clean|Dirty):/ { u += $2 } END { print p + 0, u + 0 }' \
    "${files[@]}" 2>/dev/null
}
mem_available() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }

# All descendants of a pid (and itself).
tree_of() {
  local p=$1 c
  echo "$p"
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_of "$c"; done
}

# The processes named NAME in the tree of a pid.
tree_named() {
  local p
  for p in $(tree_of "$1"); do
    if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ]; then echo "$p"; fi
  done
  return 0
}

# Run CMD as USER in the background with a login-like environment; echoes its pid.
as_user_bg() {
  local u=$1 uid gid home
  shift
  uid=$(id -u "$u") gid=$(id -g "$u") home=$(getent passwd "$u" | cut -d: -f6)
  cd "$home"
  setpriv --reuid "$uid" --regid "$gid" --init-groups env -i HOME="$home" USER="$u" LOGNAME="$u" \
    SHELL=/bin/sh PATH=/usr/local/bin:/usr/bin:/bin "$@" </dev/null >/dev/null 2>&1 &
  cd /
  echo $!
}

# --------------------------------------------------------------- sections --

setup() {
  log "setup: users, sshd x2, PAM services, configs (work dir $BW)"
  setup_workdir
  setup_users "$JAILS" "$NEXT"
  setup_shells
  setup_unshare_scripts
  pam_file "$SSHD_PLAIN" 0
  pam_file "$SSHD_UJ" 1
  pam_file "$SSHD_UJ_SB" 1 "standby=$SB_SOCK"
  PORT_PLAIN=$(sshd_start "$SSHD_PLAIN")
  PORT_UJ=$(sshd_start "$SSHD_UJ")
  cat >"$BW/ssh_config" <<EOF
Host plain
  HostName 127.0.0.1
  Port $PORT_PLAIN
Host uj
  HostName 127.0.0.1
  Port $PORT_UJ
Host *
  IdentityFile $BW/client_key
  IdentitiesOnly yes
  BatchMode yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  GlobalKnownHostsFile /dev/null
  LogLevel ERROR
  ConnectTimeout 30
  ControlMaster no
  ControlPath none
EOF
  # Is everything what it claims to be?
  [ "$($SSHC ujbplain@plain hostname </dev/null)" = "$(hostname)" ] || die "plain ssh login failed"
  [ "$($SSHC ujbjail@uj hostname </dev/null)" = "jail-ujbjail" ] || die "jailed ssh login did not land in the jail"
  stop_jail ujbjail
  HAVE_BWRAP=0 HAVE_FIREJAIL=0
  if have bwrap; then
    if [ "$($SSHC ujbbwrap@plain hostname </dev/null 2>"$RAW/bwrap.err")" = jail ]; then HAVE_BWRAP=1
    else log "bwrap login shell does not work here: $(head -2 "$RAW/bwrap.err")"; fi
  else log "bubblewrap not installed (apt-get install bubblewrap): no bwrap column"; fi
  if have firejail; then
    if $SSHC ujbfire@plain true </dev/null 2>"$RAW/firejail.err"; then HAVE_FIREJAIL=1
    else log "firejail login shell does not work here: $(head -2 "$RAW/firejail.err")"; fi
  else log "firejail not installed (apt-get install firejail): no firejail column"; fi
}

# The kernel's price of one cgroup attach (a login moves its session process
# into the user's cgroup; a first login also moves the jail init). Without
# favordynmods every attach that follows a quiet period waits for an RCU
# grace period (cgroup_threadgroup_rwsem); this row says which regime the
# machine is in. (Once any cgroup hierarchy was mounted with favordynmods,
# kernels >= 6.18 keep the fast mode until reboot.)
section_kernel() {
  local d=/sys/fs/cgroup/pids/ujbench/probe raw=$RAW/cgprobe.raw
  [ -d /sys/fs/cgroup/pids ] || d=/sys/fs/cgroup/ujbench/probe
  mkdir -p "$d/a" "$d/b"
  rm -f "$raw"
  "$BUILD_BENCH/ujb-time" -o "$raw" --cg-probe "$d/a/cgroup.procs" "$d/b/cgroup.procs" 20 200
  rmdir "$d/a" "$d/b" "$d" 2>/dev/null || true
  emit kernel "$raw" ""
  log "cgroup attach on this kernel: $(res_get kernel cgroup-attach 5) ms (median)"
}

section_ssh() {
  local spec=$RAW/ssh.spec raw=$RAW/ssh.raw
  log "login over ssh: $ROUNDS interleaved rounds (+$WARM warm-up)"
  {
    printf 'plain\t-\t%s ujbplain@plain true\n' "$SSHC"
    printf 'userjail-first\t%s stop ujbjail >/dev/null 2>&1; true\t%s ujbjail@uj true\n' "$UJ" "$SSHC"
    printf 'userjail-join\t-\t%s ujbjoin@uj true\n' "$SSHC"
    [ "$HAVE_BWRAP" = 1 ] && printf 'bwrap\t-\t%s ujbbwrap@plain true\n' "$SSHC"
    [ "$HAVE_FIREJAIL" = 1 ] && printf 'firejail\t-\t%s ujbfire@plain true\n' "$SSHC"
  } >"$spec"
  rm -f "$raw"
  "$BUILD_BENCH/ujb-time" -f "$spec" -n "$ROUNDS" -w "$WARM" -o "$raw"
  emit login-ssh "$raw" plain
  stop_jail ujbjail
}

section_pam() {
  local spec=$RAW/pam.spec raw=$RAW/pam.raw raw2=$RAW/inproc.raw
  log "PAM session open+close: pamtester and in-process, $ROUNDS rounds"
  {
    printf 'pamtester-base\t-\tpamtester %s ujbjail open_session close_session\n' "$SSHD_PLAIN"
    printf 'pamtester-first\t%s stop ujbjail >/dev/null 2>&1; true\tpamtester %s ujbjail open_session close_session\n' "$UJ" "$SSHD_UJ"
    printf 'pamtester-join\t-\tpamtester %s ujbjoin open_session close_session\n' "$SSHD_UJ"
  } >"$spec"
  rm -f "$raw" "$raw2"
  "$BUILD_BENCH/ujb-time" -f "$spec" -n "$ROUNDS" -w "$WARM" -o "$raw"
  emit login-pamtester "$raw" pamtester-base
  "$BUILD_BENCH/ujb-pam" -n "$ROUNDS" -w "$WARM" -o "$raw2" \
    -v base "$SSHD_PLAIN" ujbjail - \
    -v first "$SSHD_UJ" ujbjail "$UJ stop ujbjail >/dev/null 2>&1; true" \
    -v join "$SSHD_UJ" ujbjoin -
  emit login-inprocess "$raw2" base-total base-total first-total join-total
  emit login-inprocess "$raw2" "" base-open base-close first-open first-close join-open join-close
  stop_jail ujbjail
}

# The same PAM open+close as users meet it: each login after a quiet moment
# (BENCH_GAP_MS, default 500 ms), on whatever kernel mode the host is in.
# These rows are the headline (README): real logins do not arrive back to
# back, and on a default kernel every cgroup attach after a quiet moment
# waits for an RCU grace period that back-to-back runs never see.
section_pam_quiet() {
  local spec=$RAW/pamq.spec raw=$RAW/pamq.raw gap=${BENCH_GAP_MS:-500}
  log "PAM session open+close after ${gap} ms quiet gaps: pamtester, $ROUNDS rounds"
  {
    printf 'quiet-base\t-\tpamtester %s ujbjail open_session close_session\n' "$SSHD_PLAIN"
    printf 'quiet-first\t%s stop ujbjail >/dev/null 2>&1; true\tpamtester %s ujbjail open_session close_session\n' "$UJ" "$SSHD_UJ"
    printf 'quiet-join\t-\tpamtester %s ujbjoin open_session close_session\n' "$SSHD_UJ"
    printf 'quiet-first-standby\t%s stop ujbjail >/dev/null 2>&1; true\tpamtester %s ujbjail open_session close_session\n' "$UJ" "$SSHD_UJ_SB"
  } >"$spec"
  # The optional standby helper (`userjail standby`) for the last row: the
  # first login answered by a worker forked ahead instead of a spawned
  # helper. The other rows' module is told `nostandby`.
  local sb
  "$UJ" standby --socket "$SB_SOCK" --config "$BW/userjail.conf" </dev/null >"$RAW/standby.log" 2>&1 &
  sb=$!
  state_set HOLD_PID "$sb"
  for _ in $(seq 50); do [ -S "$SB_SOCK" ] && break; sleep 0.1; done
  [ -S "$SB_SOCK" ] || die "userjail standby did not start: $(cat "$RAW/standby.log")"
  rm -f "$raw"
  "$BUILD_BENCH/ujb-time" -f "$spec" -n "$ROUNDS" -w "$WARM" -g "$gap" -o "$raw"
  kill "$sb"
  wait "$sb" 2>/dev/null
  emit login-quiet-gap "$raw" quiet-base
  stop_jail ujbjail
}

section_cli() {
  local spec=$RAW/cli.spec raw=$RAW/cli.raw hold target uid2 i
  log "the same jail by hand: userjail run vs unshare / nsenter scripts, $ROUNDS rounds"
  uid2=$(uid_of ujbunsh2)
  hold=$(as_root_bg "$BW/unshare-jail" ujbunsh2 sleep 1000000)
  state_set HOLD_PID "$hold"
  for ((i = 0; i < 100; i++)); do
    target=$(cat /proc/"$hold"/task/*/children 2>/dev/null | awk '{ print $1 }')
    [ -n "$target" ] && [ "$(readlink /proc/"$target"/exe 2>/dev/null)" = "$(command -v sleep)" ] && break
    sleep 0.05
  done
  [ -n "$target" ] || die "the unshare holder did not start"
  {
    printf 'userjail-run-first\t%s stop ujbjail >/dev/null 2>&1; true\t%s run --config %s ujbjail -- true\n' "$UJ" "$UJ" "$CONF"
    printf 'userjail-run-join\t-\t%s run --config %s ujbjoin -- true\n' "$UJ" "$CONF"
    printf 'unshare-first\t%s\t%s ujbunsh true\n' \
      "for c in pids memory cpu; do rmdir /sys/fs/cgroup/\$c/ujbench/$(uid_of ujbunsh) 2>/dev/null; done; true" "$BW/unshare-jail"
    printf 'nsenter-join\t-\t%s %s ujbunsh2 true\n' "$BW/nsenter-join" "$target"
  } >"$spec"
  rm -f "$raw"
  "$BUILD_BENCH/ujb-time" -f "$spec" -n "$ROUNDS" -w "$WARM" -o "$raw"
  emit cli "$raw" userjail-run-first userjail-run-first unshare-first
  emit cli "$raw" userjail-run-join userjail-run-join nsenter-join
  UNSHARE_HOLD=$hold
  stop_jail ujbjail
}
as_root_bg() { "$@" </dev/null >/dev/null 2>&1 & echo $!; }

# network = "private" against "host": the price of a first login (network
# namespace, user namespace, pasta) after quiet gaps like section_pam_quiet,
# since real logins arrive after quiet and a back-to-back loop would hide the
# cgroup attach of pasta (see section_kernel); a join, which starts nothing;
# pasta's memory.
section_network() {
  local spec=$RAW/net.spec raw=$RAW/net.raw gap=${BENCH_GAP_MS:-500} pids p pss uss uid
  [ -x /usr/bin/pasta ] || { log "pasta not installed (apt-get install passt): no network rows"; return 0; }
  log "first login, network = private vs host: pamtester after ${gap} ms quiet gaps, $ROUNDS rounds"
  {
    printf 'net-host-first\t%s stop ujbjail >/dev/null 2>&1; true\tpamtester %s ujbjail open_session close_session\n' \
      "$UJ" "$SSHD_UJ"
    printf 'net-private-first\t%s stop ujbnet >/dev/null 2>&1; true\tpamtester %s ujbnet open_session close_session\n' \
      "$UJ" "$SSHD_UJ"
    printf 'net-host-join\t%s run --config %s ujbjail -- true >/dev/null\tpamtester %s ujbjail open_session close_session\n' \
      "$UJ" "$CONF" "$SSHD_UJ"
    printf 'net-private-join\t%s run --config %s ujbnet -- true >/dev/null\tpamtester %s ujbnet open_session close_session\n' \
      "$UJ" "$CONF" "$SSHD_UJ"
  } >"$spec"
  rm -f "$raw"
  "$BUILD_BENCH/ujb-time" -f "$spec" -n "$ROUNDS" -w "$WARM" -g "$gap" -o "$raw"
  emit network "$raw" net-host-first net-host-first net-private-first
  emit network "$raw" net-host-join net-host-join net-private-join
  # pasta of an idle private jail: it lives in the user's cgroup
  stop_jail ujbnet
  "$UJ" run --config "$CONF" ujbnet -- true
  sleep 1
  uid=$(uid_of ujbnet)
  pids=""
  for p in $(cat /sys/fs/cgroup/pids/userjail/"$uid"/cgroup.procs /sys/fs/cgroup/userjail*/"$uid"/cgroup.procs \
    /sys/fs/cgroup/userjail.slice/userjail.service/"$uid"/cgroup.procs 2>/dev/null); do
    case $(cat "/proc/$p/comm" 2>/dev/null) in pasta*|passt*) pids+=" $p" ;; esac
  done
  if [ -n "$pids" ]; then
    read -r pss uss < <(mem_of $pids)
    res_row network "pasta of an idle jail" 1 0 "$pss" "" "" "" KiB "" "" "" "" ""
    res_row network "pasta of an idle jail USS" 1 0 "$uss" "" "" "" KiB "" "" "" "" ""
  else
    log "no pasta found in ujbnet's cgroup"
  fi
  stop_jail ujbnet
  stop_jail ujbjail
}

section_teardown() {
  local spec=$RAW/teardown.spec raw=$RAW/teardown.raw
  log "teardown of one jail: userjail stop, $ROUNDS rounds"
  printf 'userjail-stop\t%s run --config %s ujbjail -- true\t%s stop ujbjail\n' "$UJ" "$CONF" "$UJ" >"$spec"
  rm -f "$raw"
  "$BUILD_BENCH/ujb-time" -f "$spec" -n "$ROUNDS" -w "$WARM" -o "$raw"
  emit teardown "$raw" ""
}

# phases_median CSV...: the median of several traced logins, phase by phase
phases_median() {
  cat "$@" | awk -F, -v OFS=, '{ k = $1 FS $2; if (!(k in n)) ord[++m] = k; v[k, ++n[k]] = $5 }
    END { for (j = 1; j <= m; j++) { k = ord[j]; c = n[k]
      for (a = 1; a <= c; a++) for (b = a + 1; b <= c; b++) if (v[k, b] < v[k, a]) { x = v[k, a]; v[k, a] = v[k, b]; v[k, b] = x }
      split(k, f, FS); printf "%s,%s,%d,0,%.2f,%.2f,%.2f,,ms,,,,,\n", f[1], f[2], c, v[k, int((c + 1) / 2)], v[k, 1], v[k, c] } }' >>"$RES"
}

section_phases() {
  have perf || { log "perf not installed (apt-get install linux-perf): no phase breakdown"; return 0; }
  log "where a login's time goes: perf trace of pamtester (first login, join)"
  local i
  for i in 1 2 3 4 5; do
    stop_jail ujbjail
    "$ROOT/bench/phases.sh" "$RAW/phases-first-$i" phases-first \
      pamtester "$SSHD_UJ" ujbjail open_session close_session >"$RAW/phases-first-$i.csv"
    "$ROOT/bench/phases.sh" "$RAW/phases-join-$i" phases-join \
      pamtester "$SSHD_UJ" ujbjoin open_session close_session >"$RAW/phases-join-$i.csv"
  done
  phases_median "$RAW"/phases-first-?.csv
  phases_median "$RAW"/phases-join-?.csv
  stop_jail ujbjail
}

section_memory() {
  local init mon pss uss p pids hold
  log "memory of one idle jail (PSS from smaps_rollup)"
  stop_jail ujbjail
  stop_jail ujbjoin
  "$UJ" run --config "$CONF" ujbjail -- true
  # idle, as a jail is most of its life: a second after its login the
  # monitor has handed off to userjail-monitor (monitor_handoff.c), which
  # trims what starting mapped a second later; on v1 the limit check every
  # 5 s wakes it (events.c) and it trims again. Measured past all of that.
  sleep 8
  init=$(jail_init_pid ujbjail)
  mon=$(awk '/^PPid:/ { print $2 }' "/proc/$init/status")
  case $(cat "/proc/$mon/comm") in userjail-mon*) ;; *) die "no userjail-mon above init $init" ;; esac
  read -r pss uss < <(mem_of "$mon" "$init")
  res_row memory "userjail (monitor+init)" 1 0 "$pss" "" "" "" KiB "" "" "" "" ""
  res_row memory "userjail (monitor+init) USS" 1 0 "$uss" "" "" "" KiB "" "" "" "" ""
  read -r pss uss < <(mem_of "$mon")
  res_row memory "  userjail-mon" 1 0 "$pss" "" "" "" KiB "" "" "" "" ""
  read -r pss uss < <(mem_of "$init")
  res_row memory "  userjail-init" 1 0 "$pss" "" "" "" KiB "" "" "" "" ""
  target memory "userjail (monitor+init)" 5 200
  # Where the monitor's and init's pages are (for the report).
  for p in "$mon" "$init"; do
    awk -v p="$p" '/^[0-9a-f]+-[0-9a-f]+ / { n = ($6 == "") ? "[anon]" : $6 }
      /^Pss:/ { pss[n] += $2 } /^Anonymous:/ { an[n] += $2 }
      END { for (n in pss) if (pss[n] > 0) printf "%s %d %d %s\n", p, pss[n], an[n], n }' \
      "/proc/$p/smaps" | sort -k2,2nr
  done >"$RAW/memory-userjail.txt"
  stop_jail ujbjail
  if [ "$HAVE_BWRAP" = 1 ]; then
    hold=$(as_user_bg ujbbwrap "$BW/bwrap-shell" -c 'exec sleep 1000000')
    state_set HOLD_PID "$hold"
    sleep 1
    pids=$(tree_named "$hold" bwrap)
    read -r pss uss < <(mem_of $pids)
    res_row memory "bwrap ($(echo $pids | wc -w) processes)" 1 0 "$pss" "" "" "" KiB "" "" "" "" ""
    kill "$hold" 2>/dev/null; wait "$hold" 2>/dev/null || true
  fi
  if [ "$HAVE_FIREJAIL" = 1 ]; then
    hold=$(as_user_bg ujbfire "$BW/firejail-shell" -c 'exec sleep 1000000')
    state_set HOLD_PID "$hold"
    sleep 2
    pids=$(tree_named "$hold" firejail)
    read -r pss uss < <(mem_of $pids)
    res_row memory "firejail ($(echo $pids | wc -w) processes)" 1 0 "$pss" "" "" "" KiB "" "" "" "" ""
    kill "$hold" 2>/dev/null; wait "$hold" 2>/dev/null || true
  fi
  if [ -n "${UNSHARE_HOLD:-}" ] && kill -0 "$UNSHARE_HOLD" 2>/dev/null; then
    read -r pss uss < <(mem_of "$UNSHARE_HOLD")
    res_row memory "unshare (1 process)" 1 0 "$pss" "" "" "" KiB "" "" "" "" ""
  fi
}

section_scale() {
  local spec=$RAW/scale.spec raw=$RAW/scale.raw cur=0 lvl u i k2 pss uss n avail0 avail t ok
  log "scale: $PAR parallel first logins, then $LEVELS live jails"
  stop_jail ujbjail
  stop_jail ujbjoin
  rm -f "$raw"
  # 1. Parallel first logins over ssh.
  scale_users 1 "$PAR" | while read -r u; do printf 'parallel-first-ssh\t-\t%s %s@uj true\n' "$SSHC" "$u"; done >"$spec"
  "$BUILD_BENCH/ujb-time" -f "$spec" --parallel -o "$raw"
  n=$(ls /run/userjail/ | awk -v lo="$(uid_of ujb0001)" -v hi="$(uid_of "$(printf 'ujb%04d' "$PAR")")" \
    '/\.sock$/ { u = $0 + 0; if (u >= lo && u <= hi) c++ } END { print c + 0 }')
  ok=$(awk -F, '$4 == 0' "$raw" | wc -l)
  res_row scale "parallel first logins ok" "$PAR" "$((PAR - ok))" "$ok" "" "" "" logins "" "" "" "" ""
  res_row scale "jails made by them" "$PAR" 0 "$n" "" "" "" jails "" "" "" "" ""
  awk -F, -v OFS=, -v want="$PAR" '$1 == "scale" && ($2 == "parallel first logins ok" || $2 == "jails made by them") {
    $13 = "=" want; $14 = ($5 == want) ? "PASS" : "MISS" } { print }' "$RES" >"$RES.tmp" && mv "$RES.tmp" "$RES"
  emit scale "$raw" "" parallel-first-ssh
  # ... and their teardown, one after the other.
  scale_users 1 "$PAR" | while read -r u; do printf 'stop-after-parallel@%d\t-\t%s stop %s\n' "$PAR" "$UJ" "$u"; done >"$spec"
  rm -f "$raw"
  "$BUILD_BENCH/ujb-time" -f "$spec" --sequence -o "$raw"
  emit scale "$raw" ""
  # 2. Levels of live jails, brought up one after another by `userjail run`.
  avail0=$(mem_available)
  rm -f "$RAW/bringup.raw"
  for lvl in $LEVELS; do
    if [ "$lvl" -gt "$cur" ]; then
      scale_users $((cur + 1)) "$lvl" | while read -r u; do
        printf 'bring-up\t-\t%s run --config %s %s -- true\n' "$UJ" "$CONF" "$u"
      done >"$spec"
      rm -f "$raw"
      t=$(date +%s%N)
      "$BUILD_BENCH/ujb-time" -f "$spec" --sequence -o "$raw"
      t=$((($(date +%s%N) - t) / 1000))
      cat "$raw" >>"$RAW/bringup.raw"
      cur=$lvl
    fi
    n=$(bench_jail_pids | wc -l)
    [ "$n" -eq $((2 * lvl)) ] || log "warning: $((n / 2)) live bench jails, expected $lvl"
    # total time from no jail to lvl jails (sum of the sequential creations)
    awk -F, -v l="$lvl" -v sec=scale 'BEGIN { OFS = "," } $4 == 0 { s += $3; c++; v[c] = $3 }
      $4 != 0 { f++ } END { printf "%s,bring-up 0->%d jails (total),%d,%d,%.1f,,,,ms,,,,,\n", sec, l, c + f, f, s / 1000 }' \
      "$RAW/bringup.raw" >>"$RES"
    # Memory of all live jails, per jail, once idle (see section_memory).
    sleep 8
    read -r pss uss < <(mem_sum $(bench_jail_pids))
    avail=$(mem_available)
    res_row scale "PSS per jail @$lvl" "$lvl" 0 "$((pss / lvl))" "" "" "" KiB "" "" "" "" ""
    # (kernel memory included; too noisy to mean anything below 100 jails)
    [ "$lvl" -ge 100 ] &&
      res_row scale "MemAvailable drop per jail @$lvl" "$lvl" 0 "$(((avail0 - avail) / lvl))" "" "" "" KiB "" "" "" "" ""
    # The next jail: create (timed), then teardown of one (timed).
    for ((i = 1; i <= NEXT; i++)); do printf 'next-create@%d\t-\t%s run --config %s ujbs%02d -- true\n' "$lvl" "$UJ" "$CONF" "$i"; done >"$spec"
    for ((i = 1; i <= NEXT; i++)); do printf 'stop-one@%d\t-\t%s stop ujbs%02d\n' "$lvl" "$UJ" "$i"; done >>"$spec"
    k2=$((NEXT < 10 ? NEXT : 10))
    for ((i = 1; i <= k2; i++)); do printf 'next-ssh-first@%d\t-\t%s ujbs%02d@uj true\n' "$lvl" "$SSHC" "$i"; done >>"$spec"
    rm -f "$raw"
    "$BUILD_BENCH/ujb-time" -f "$spec" --sequence -o "$raw"
    for ((i = 1; i <= k2; i++)); do stop_jail "$(printf 'ujbs%02d' "$i")"; done
    emit scale "$raw" ""
    # where the next first login's time goes at this level
    if have perf; then
      for i in 1 2 3; do
        "$ROOT/bench/phases.sh" "$RAW/phases-at$lvl-$i" "phases-first@$lvl" \
          pamtester "$SSHD_UJ" ujbs01 open_session close_session >"$RAW/phases-at$lvl-$i.csv"
        stop_jail ujbs01
      done
      phases_median "$RAW"/phases-at"$lvl"-?.csv
    fi
  done
  # 3. Teardown of all, one after the other.
  scale_users 1 "$cur" | while read -r u; do printf 'stop-all@%d\t-\t%s stop %s\n' "$cur" "$UJ" "$u"; done >"$spec"
  rm -f "$raw"
  t=$(date +%s%N)
  "$BUILD_BENCH/ujb-time" -f "$spec" --sequence -o "$raw"
  emit scale "$raw" ""
  awk -F, -v l="$cur" '$4 == 0 { s += $3; c++ } END { printf "scale,teardown %d->0 jails (total),%d,0,%.1f,,,,ms,,,,,\n", l, c, s / 1000 }' \
    "$raw" >>"$RES"
  n=$(bench_jail_pids | wc -l)
  [ "$n" -eq 0 ] || log "warning: $((n / 2)) bench jails still alive after stop-all"
  # 4. The next jail at one live jail again, after all this: the flatness
  # target compares the top level with both ends of the run, so a machine
  # that drifts during it (the first and second @1 here have differed by
  # 20 %) does not pass for a cost of the live jails.
  scale_users 1 1 | while read -r u; do "$UJ" run --config "$CONF" "$u" -- true >/dev/null 2>&1; done
  for ((i = 1; i <= NEXT; i++)); do printf 'next-create@1-again\t-\t%s run --config %s ujbs%02d -- true\n' "$UJ" "$CONF" "$i"; done >"$spec"
  for ((i = 1; i <= NEXT; i++)); do printf 'stop-one@1-again\t-\t%s stop ujbs%02d\n' "$UJ" "$i"; done >>"$spec"
  rm -f "$raw"
  "$BUILD_BENCH/ujb-time" -f "$spec" --sequence -o "$raw"
  emit scale "$raw" ""
  scale_users 1 1 | while read -r u; do stop_jail "$u"; done
}

# Targets of the issue, set on the rows they concern.
set_targets() {
  target login-quiet-gap quiet-first 11 8
  target login-quiet-gap quiet-first-standby 11 8
  target login-quiet-gap quiet-join 11 3
  target login-pamtester pamtester-first 11 8
  target login-pamtester pamtester-join 11 3
  target login-inprocess first-total 11 8
  target login-inprocess join-total 11 3
  target login-ssh userjail-first 11 8
  target login-ssh userjail-join 11 3
  target teardown userjail-stop 5 50
  local lo hi lvl again
  lvl=${LEVELS##* }
  lo=$(res_get scale "next-create@1" 5)
  hi=$(res_get scale "next-create@$lvl" 5)
  again=$(res_get scale "next-create@1-again" 5)
  [ -z "$again" ] || [ -z "$lo" ] || lo=$(awk -v a="$lo" -v b="$again" 'BEGIN { printf "%.2f", (a + b) / 2 }')
  if [ -n "$lo" ] && [ -n "$hi" ]; then
    # flat: the next jail at the top level takes at most 25 % longer than at
    # one live jail (the mean of the medians before and after the levels)
    res_row scale "next-create flatness @$lvl/@1" 1 0 "$(awk -v a="$hi" -v b="$lo" 'BEGIN { printf "%.2f", a / b }')" \
      "" "" "" ratio "" "" "" "" ""
    target scale "next-create flatness @$lvl/@1" 5 1.25
    target scale "stop-one@$lvl" 5 50
  fi
}

environment() {
  {
    echo "kernel: $(uname -r); cpus: $(nproc); $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "memory: $(awk '/MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo); cgroup: $(stat -fc %T /sys/fs/cgroup)"
    echo "openssh: $(dpkg-query -W -f '${Version}' openssh-server 2>/dev/null)" \
      "bubblewrap: $(dpkg-query -W -f '${Version}' bubblewrap 2>/dev/null || echo -)" \
      "firejail: $(dpkg-query -W -f '${Version}' firejail 2>/dev/null || echo -)"
    echo "syslog socket /dev/log: $([ -S /dev/log ] && echo yes || echo no)"
    # the two kernel settings that decide what a cgroup attach costs (README)
    echo "rcu_expedited: $(cat /sys/kernel/rcu_expedited 2>/dev/null || echo -)" \
      "(BENCH_KERNEL_AS_IS: ${BENCH_KERNEL_AS_IS:-0});" \
      "cgroup mounts with favordynmods: $(grep -c favordynmods /proc/mounts)"
    echo "quick: $QUICK; rounds: $ROUNDS (+$WARM warm-up); jails: $JAILS"
  } >"$RAW/environment.txt"
  cat "$RAW/environment.txt" >&2
}

# The comparison columns are part of the result, not optional extras: install
# what is missing (Debian packages), or stop and say how.
# BENCH_NO_COMPARE=1 runs without bubblewrap/firejail, knowingly.
ensure_tools() {
  local want=(pamtester) p missing=()
  [ "${BENCH_NO_COMPARE:-0}" = 1 ] || want+=(bubblewrap firejail)
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing what the benchmark compares against: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    die "cannot install ${missing[*]}: run 'apt-get install ${missing[*]}' (or BENCH_NO_COMPARE=1 to run without the bubblewrap/firejail columns)"
}

# Builds against each other: first logins after quiet gaps with this build
# and with each build directory in BENCH_B (space-separated), interleaved
# and paired, through the same PAM stack (only the module and helper paths
# differ: a leaner stack for one of them once looked like a 1 ms gain).
#   BENCH_SECTIONS=builds BENCH_B="/path/to/other/build ..." bench/run.sh
section_builds() {
  local spec=$RAW/builds.spec raw=$RAW/builds.raw gap=${BENCH_GAP_MS:-500} d n=0 extra
  [ -n "${BENCH_B:-}" ] || die "section builds: set BENCH_B to other build directories"
  {
    printf 'quiet-base\t-\tpamtester %s ujbjail open_session close_session\n' "$SSHD_PLAIN"
    printf 'this-first\t%s stop ujbjail >/dev/null 2>&1; true\tpamtester %s ujbjail open_session close_session\n' "$UJ" "$SSHD_UJ"
  } >"$spec"
  for d in $BENCH_B; do
    [ -x "$d/userjail" ] && [ -f "$d/pam_userjail.so" ] ||
      die "section builds: $d has no userjail and pam_userjail.so"
    d=$(cd "$d" && pwd)
    n=$((n + 1))
    # DIR/pam-args: more module arguments for that build (e.g. standby=PATH)
    extra=$(cat "$d/pam-args" 2>/dev/null || true)
    sed "s#^session required .*pam_userjail.so.*#session required $d/pam_userjail.so config=$BW/userjail.conf helper=$d/userjail $extra#" \
      "/etc/pam.d/$SSHD_UJ" >"/etc/pam.d/ujb-builds-$n"
    printf 'other%d-first\t%s stop ujbjail >/dev/null 2>&1; true\tpamtester ujb-builds-%d ujbjail open_session close_session\n' \
      "$n" "$UJ" "$n" >>"$spec"
    log "other$n = $d"
  done
  log "first logins, this build against $n other(s): ${gap} ms quiet gaps, $ROUNDS rounds"
  rm -f "$raw"
  "$BUILD_BENCH/ujb-time" -f "$spec" -n "$ROUNDS" -w "$WARM" -g "$gap" -o "$raw"
  rm -f /etc/pam.d/ujb-builds-*
  emit login-builds "$raw" this-first
  stop_jail ujbjail
}

main() {
  [ "$(id -u)" = 0 ] || die "run as root"
  [ -x "$UJ" ] && [ -f "$BUILD/pam_userjail.so" ] || die "build first (make): $UJ"
  ensure_tools
  build_tools
  if [ -f "$BW/state" ]; then
    log "removing what an earlier run left behind"
    bench_cleanup
  fi
  [ "${1:-}" = --cleanup ] && exit 0
  trap 'bench_cleanup' EXIT
  trap 'exit 130' INT TERM
  local t0=$SECONDS s
  rm -rf "$RAW" && mkdir -p "$RAW"
  [ -z "$SECTIONS" ] || RES=$RAW/results.csv
  res_header
  setup
  kernel_default
  environment
  if [ -n "$SECTIONS" ]; then
    for s in $SECTIONS; do "section_$s"; done
    print_table | tee "$RAW/table.txt"
    log "done in $((SECONDS - t0)) s; results: $RES"
    return 0
  fi
  section_kernel
  section_ssh
  section_pam
  section_pam_quiet
  section_network
  section_cli
  section_teardown
  section_phases
  section_memory
  section_scale
  set_targets
  print_table | tee "$RAW/table.txt"
  plot
  log "done in $((SECONDS - t0)) s; results: $RES"
}

main "$@"
