#!/bin/bash
# What cgroup v2's moves would cost a login on this machine's own kernel,
# for a host like this one: the controllers are on cgroup v1, and the cgroup
# v2 VMs (tests/vm*) run under emulation when there is no KVM, where
# milliseconds mean nothing. An estimate, not a v2 measurement; README
# (Performance, "cgroup v2, estimated on a real kernel") says what it leaves out.
#
# Why it is close: what a v2 login pays that a v1 one does not is the
# kernel's lock for moving a whole process (cgroup_threadgroup_rwsem: after
# a quiet moment its writer waits for an RCU grace period). v1 logins skip
# it by moving the writing thread through `tasks` (README); on v2 every move
# is a cgroup.procs write, which takes it. The lock is one for all
# hierarchies, so cgroup.procs writes on v1 hierarchies pay what v2 pays.
#
# Builds two copies of this tree (its tracked files, as they are now) with
# every move into the user's cgroup made through cgroup.procs:
#   procs  only that (no head start);
#   v2     also what the code does on v2 only: the helper's early
#          warm-up write (helper/cgroup/warm.c) and the monitor moving the
#          session process right after the init (helper/jail/monitor.c).
# and a third, for first logins only, that weighs a direction not built:
#   clone  the init joins through `tasks` as on v1, which waits for no grace
#          period, as an init created in its cgroup by clone3's
#          CLONE_INTO_CGROUP would not; the monitor moves the session process
#          through cgroup.procs right after it; no warm-up write. (Its later
#          logins would move through `tasks`: not timed.)
# Then times pamtester open+close after quiet gaps, interleaved and paired:
# no jail, this build, procs, v2 (first logins and later ones), and the same
# with a "logind" move first: a pam_exec line (open_session only) that moves
# the session process into another cgroup from another process, as
# pam_systemd has systemd do on a systemd host.
#
#   sudo bench/v1-as-v2.sh            (ROUNDS=30, GAP_MS=500)
# Everything it makes (users ujbv2a..c, group ujbv2, /etc/pam.d/ujbv2-*, the
# cgroup pids/ujbv2-logind, a temp dir) is removed at exit.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${ROUNDS:-30} GAP_MS=${GAP_MS:-500}
B=$ROOT/build
LOGIND=/sys/fs/cgroup/pids/ujbv2-logind
die() { echo "v1-as-v2: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"
[ -d /sys/fs/cgroup/pids ] && [ -f /sys/fs/cgroup/pids/cgroup.procs ] ||
  die "needs a cgroup v1 pids hierarchy; on a cgroup v2 host measure directly: bench/run.sh"
[ -x "$B/userjail" ] && [ -f "$B/pam_userjail.so" ] || die "build first: make"
command -v pamtester >/dev/null || die "apt-get install pamtester"
# As bench/run.sh does: a default kernel's grace periods (rcu_expedited 0)
# for the run, the machine's own setting back at its end.
RCU_WAS=$(cat /sys/kernel/rcu_expedited 2>/dev/null || echo 0)

MADE_USERS="" MADE_GROUP=0
TMP=$(mktemp -d /tmp/ujbv2.XXXXXX)
chmod 0755 "$TMP"
cleanup() {
  set +e
  [ "$RCU_WAS" = 0 ] || echo "$RCU_WAS" >/sys/kernel/rcu_expedited
  # only the users and group this run made
  for u in $MADE_USERS; do "$B/userjail" stop "$u" >/dev/null 2>&1; done
  for u in $MADE_USERS; do
    pkill -9 -u "$u" 2>/dev/null
    userdel -r "$u" >/dev/null 2>&1
  done
  [ "$MADE_GROUP" = 1 ] && groupdel ujbv2
  rm -f /etc/pam.d/ujbv2-*
  [ -d "$LOGIND" ] && rmdir "$LOGIND"
  for f in /run/userjail/last-good-*.conf; do
    [ -f "$f" ] && cmp -s "$f" "$TMP/userjail.conf" && rm -f "$f"
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ "$RCU_WAS" != 0 ]; then
  echo 0 >/sys/kernel/rcu_expedited || die "cannot set /sys/kernel/rcu_expedited to 0"
  echo "v1-as-v2: rcu_expedited was $RCU_WAS: 0 (the kernel's default) for this run" >&2
fi

# The three patched copies. Each patch must change exactly what it names: a
# tree where a line moved makes this script stop, not measure something else.
patch_line() { # FILE OLD NEW
  grep -qF -- "$2" "$1" || die "$1 no longer has: $2 (update bench/v1-as-v2.sh)"
  OLD=$2 NEW=$3 perl -0pi -e 's/\Q$ENV{OLD}\E/$ENV{NEW}/' "$1"
}
for v in procs v2 clone; do
  mkdir -p "$TMP/$v"
  (cd "$ROOT" && git ls-files -z | tar --null -T - -cf -) | tar -C "$TMP/$v" -xf -
  [ "$v" = clone ] && continue
  patch_line "$TMP/$v/helper/cgroup/create.c" \
    'const char *join = cg->version == 1 ? "tasks" : "cgroup.procs";' \
    'const char *join = "cgroup.procs"; /* v1-as-v2 */'
done
for v in v2 clone; do
  patch_line "$TMP/$v/helper/jail/monitor.c" 'if (session_pid > 0 && m->cg.version == 2) {' \
    'if (session_pid > 0) { /* v1-as-v2 */'
done
patch_line "$TMP/v2/helper/cgroup/warm.c" 'sf.f_type != CGROUP2_SUPER_MAGIC)' '0) /* v1-as-v2 */'
for v in procs v2 clone; do
  make -C "$TMP/$v" -j2 all >"$TMP/$v.make.log" 2>&1 ||
    die "build of the $v copy failed: $TMP/$v.make.log"
done

UT=$TMP/ujb-time
cc -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$UT" "$ROOT/bench/ujb-time.c"

getent group ujbv2 >/dev/null && die "group ujbv2 exists already"
groupadd ujbv2
MADE_GROUP=1
for u in ujbv2a ujbv2b ujbv2c ujbv2d; do # one user per build: a later login joins its own build's jail
  id "$u" >/dev/null 2>&1 && die "user $u exists already"
  useradd -m -g ujbv2 -s /bin/sh "$u"
  MADE_USERS+=" $u"
done
mkdir -p "$LOGIND"
cat >"$TMP/logind-move" <<'EOF'
#!/bin/sh
# stands in for pam_systemd: another process moves the session process ($PPID)
echo "$PPID" >/sys/fs/cgroup/pids/ujbv2-logind/cgroup.procs
EOF
chmod 0755 "$TMP/logind-move"
cat >"$TMP/userjail.conf" <<'EOF'
# bench/v1-as-v2.sh
hostname = "jail-%u";
tmp_size = "64M";
limits = { pids = 512; memory = "1G"; cpu = 1.0; };
on_logout = "linger";
rules = ( { match = [ "@ujbv2" ]; } );
EOF
chmod 0644 "$TMP/userjail.conf"
pam() { # SERVICE LOGIND(0/1) BUILD_DIR(or "")
  {
    echo "# bench/v1-as-v2.sh -- removed at its end"
    echo "@include common-auth"
    echo "@include common-account"
    if [ "$2" = 1 ]; then echo "session required pam_exec.so quiet type=open_session $TMP/logind-move"; fi
    echo "@include common-session"
    if [ -n "$3" ]; then
      echo "session required $3/pam_userjail.so config=$TMP/userjail.conf helper=$3/userjail nostandby"
    fi
  } >"/etc/pam.d/$1"
}
pam ujbv2-base 0 ""
pam ujbv2-base-logind 1 ""
pam ujbv2-this 0 "$B"
pam ujbv2-this-logind 1 "$B"
pam ujbv2-procs 0 "$TMP/procs/build"
pam ujbv2-v2 0 "$TMP/v2/build"
pam ujbv2-v2-logind 1 "$TMP/v2/build"
pam ujbv2-clone 0 "$TMP/clone/build"

row() { # NAME SERVICE USER first|later
  local prep=-
  [ "$4" = first ] && prep="$B/userjail stop $3 >/dev/null 2>&1; true"
  printf '%s\t%s\tpamtester %s %s open_session close_session\n' "$1" "$prep" "$2" "$3"
}
{
  row base ujbv2-base ujbv2a later
  row this-first ujbv2-this ujbv2a first
  row this-later ujbv2-this ujbv2a later
  row procs-first ujbv2-procs ujbv2b first
  row procs-later ujbv2-procs ujbv2b later
  row v2-first ujbv2-v2 ujbv2c first
  row v2-later ujbv2-v2 ujbv2c later
  row clone-first ujbv2-clone ujbv2d first
  row base-logind ujbv2-base-logind ujbv2a later
  row this-later-logind ujbv2-this-logind ujbv2a later
  row v2-first-logind ujbv2-v2-logind ujbv2c first
  row v2-later-logind ujbv2-v2-logind ujbv2c later
} >"$TMP/spec"
echo "v1-as-v2: $ROUNDS interleaved rounds, ${GAP_MS} ms quiet before each login" >&2
"$UT" -f "$TMP/spec" -n "$ROUNDS" -w 3 -g "$GAP_MS" -o "$TMP/raw"
"$UT" --stats "$TMP/raw" --base base >"$TMP/stats"
"$UT" --stats "$TMP/raw" --base base-logind >"$TMP/stats-logind"
# name,n,fail,median_us,...,paired_diff_median_us (10th field); rows in
# the spec's order, those against base-logind last
order=$(cut -f1 "$TMP/spec" | tr '\n' ' ')
awk -F, -v order="$order" 'BEGIN { n = split(order, o, " "); for (i = 1; i <= n; i++) rank[o[i]] = i }
  FNR == 1 { next }
  FILENAME ~ /logind$/ { if ($1 ~ /logind$/ && $1 != "base-logind") print rank[$1], $1, $2, $3, $4, $10, "base-logind"; next }
  $1 == "base" { print rank[$1], $1, $2, $3, $4, "-", "-"; next }
  $1 !~ /logind$/ || $1 == "base-logind" { print rank[$1], $1, $2, $3, $4, $10, "base" }' "$TMP/stats" "$TMP/stats-logind" |
  sort -n -k1,1 | cut -d' ' -f2- | awk 'BEGIN { printf "%-20s %4s %4s %10s %12s  %s\n", "login", "n", "fail", "median ms", "paired ms", "against" }
    { printf "%-20s %4d %4d %10.2f %12s  %s\n", $1, $2, $3, $4 / 1000, ($5 == "-" ? "" : sprintf("%+.2f", $5 / 1000)), $6 }'
echo "kernel $(uname -r); one lone cgroup.procs write after quiet: see bench/run.sh's kernel row"
