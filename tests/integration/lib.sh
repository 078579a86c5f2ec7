# Shared harness for the userjail integration tests (sourced, bash).
#
# Everything a test creates carries the prefix "ujt": users ujt<tag><n>, groups
# ujtg<tag>, /etc/pam.d/ujt-*-<tag>, /usr/local/sbin/ujt-sshd-<tag>, temp dirs
# /tmp/ujt-<tag>.*. <tag> is unique per test process, so runs never share
# names, and uj_sweep (run-all.sh) can remove what a crashed run left behind.
# Each test process has its own sshd copy and PAM service (PAM service name =
# sshd binary name), so each test can point the module at its own config.

UJ_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
UJ_BUILD=$UJ_ROOT/build
UJ_HELPER=$UJ_BUILD/userjail
UJ_MODULE=$UJ_BUILD/pam_userjail.so
UJ_TAG=${UJ_TAG:-$$}
UJ_TMP=$(mktemp -d "/tmp/ujt-$UJ_TAG.XXXXXX")
chmod 0755 "$UJ_TMP"
UJ_CONF=$UJ_TMP/userjail.conf
UJ_GROUP=ujtg$UJ_TAG
UJ_SSHD_BIN=/usr/local/sbin/ujt-sshd-$UJ_TAG
UJ_SSHD_PAM=/etc/pam.d/ujt-sshd-$UJ_TAG
UJ_PAMTESTER_SVC=ujt-pamtester-$UJ_TAG
UJ_SU_SVC=ujt-su-$UJ_TAG
UJ_SSHD_PID=
UJ_PORT=
UJ_USERS=()
UJ_SYSLOGD_PID=
UJ_SYSLOG=${UJ_SYSLOG:-}
UJ_NPASS=0
UJ_NFAIL=0
UJ_NSKIP=0
UJ_TEST_NAME=$(basename "$0" .sh)
UJ_CLEANUP_HOOKS=()

# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------
uj_log() { echo "[$UJ_TEST_NAME] $*" >&2; }

pass() { UJ_NPASS=$((UJ_NPASS + 1)); echo "PASS: $UJ_TEST_NAME: $1"; }
# fail NAME [DETAIL...]: DETAIL is the evidence, printed indented.
fail() {
  UJ_NFAIL=$((UJ_NFAIL + 1))
  echo "FAIL: $UJ_TEST_NAME: $1"
  shift
  local d
  for d in "$@"; do printf '%s\n' "$d" | head -n 15 | sed 's/^/      | /'; done
}
skip() { UJ_NSKIP=$((UJ_NSKIP + 1)); echo "SKIP: $UJ_TEST_NAME: $1${2:+ ($2)}"; }

# check NAME CMD...: pass when CMD succeeds; on failure show its output.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "cmd: $*" "$out"; fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
  if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi
}
# expect_ne NAME A B: pass when A and B differ and neither is empty
expect_ne() {
  if [ -n "$2" ] && [ -n "$3" ] && [ "$2" != "$3" ]; then pass "$1"
  else fail "$1" "expected two different non-empty values" "a: $2" "b: $3"; fi
}
# expect_match NAME REGEX TEXT
expect_match() {
  if printf '%s' "$3" | grep -Eq -- "$2"; then pass "$1"
  else fail "$1" "expected to match /$2/" "got: $3"; fi
}
expect_nomatch() {
  if ! printf '%s' "$3" | grep -Eq -- "$2"; then pass "$1"
  else fail "$1" "expected NOT to match /$2/" "got: $(printf '%s' "$3" | grep -E -- "$2")"; fi
}

uj_summary() {
  echo "SUMMARY: $UJ_TEST_NAME: $UJ_NPASS passed, $UJ_NFAIL failed, $UJ_NSKIP skipped"
  [ "$UJ_NFAIL" -eq 0 ]
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s
wait_until() {
  local t=$1 i
  shift
  for ((i = 0; i < t * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  "$@" >/dev/null 2>&1
}

uj_require_build() {
  local f
  for f in "$UJ_HELPER" "$UJ_MODULE"; do
    if [ ! -e "$f" ]; then
      fail "build present" "$f missing (run make)"
      uj_summary
      exit 1
    fi
  done
}

# --------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------
# uj_write_conf TEXT: the test config (root-owned, 0644, as the helper demands)
uj_write_conf() {
  printf '%s\n' "$1" >"$UJ_CONF.new"
  chown root:root "$UJ_CONF.new"
  chmod 0644 "$UJ_CONF.new"
  mv -f "$UJ_CONF.new" "$UJ_CONF"
}

# uj_conf_last_good: where logins keep the last valid copy of $UJ_CONF
# (helper/config/lastgood.c: FNV-1a 64 of the path). A test that wants an
# invalid config refused (no copy to fall back to) removes it first.
uj_conf_last_good() {
  python3 -c '
import sys
h = 0xcbf29ce484222325
for b in sys.argv[1].encode():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("/run/userjail/last-good-%016x.conf" % h)' "$UJ_CONF"
}

# uj_conf_basic [SETTINGS]: jail members of the test group. SETTINGS (lines
# "key = value;") replace the defaults of the same key.
uj_conf_basic() {
  local extra=${1:-} text= line key
  while IFS= read -r line; do
    key=${line%% =*}
    grep -Eq "(^|[[:space:];])$key[[:space:]]*=" <<<"$extra" || text+="$line"$'\n'
  done <<'DEFAULTS'
hostname = "jail-%u";
tmp_size = "64M";
limits = { pids = 512; memory = "1G"; cpu = 1.0; };
on_logout = "kill";
on_error = "deny";
network = "host";
binds = ();
exempt = [];
DEFAULTS
  uj_write_conf "$text$extra
rules = ( { match = [ \"@$UJ_GROUP\" ]; } );"
}

# --------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------
uj_group_create() {
  getent group "$UJ_GROUP" >/dev/null || groupadd "$UJ_GROUP"
}

# uj_user_create NAME [jailed=1]: user with a home and our client key
uj_user_create() {
  local u=$1 jailed=${2:-1}
  uj_group_create
  useradd -m -s /bin/bash "$u" || return 1
  UJ_USERS+=("$u")
  [ "$jailed" = 1 ] && usermod -aG "$UJ_GROUP" "$u"
  install -d -m 0700 -o "$u" -g "$u" "/home/$u/.ssh"
  install -m 0600 -o "$u" -g "$u" "$UJ_TMP/client_key.pub" "/home/$u/.ssh/authorized_keys"
}

uj_new_user() { # echo a fresh unique user name (works inside $(...))
  local n
  n=$(($(cat "$UJ_TMP/useq" 2>/dev/null || echo 0) + 1))
  echo "$n" >"$UJ_TMP/useq"
  echo "ujt${UJ_TAG}u$n"
}

uj_uid() { id -u "$1"; }

# Remove a user and everything userjail may hold for it.
uj_user_purge() {
  local u=$1 uid
  uid=$(id -u "$u" 2>/dev/null) || return 0
  [ -x "$UJ_HELPER" ] && timeout 10 "$UJ_HELPER" stop "$u" >/dev/null 2>&1
  pkill -9 -u "$uid" 2>/dev/null
  sleep 0.2
  uj_purge_uid "$uid"
  userdel -r -f "$u" >/dev/null 2>&1
}

# Remove runtime state of a uid (only called for our own users' uids).
uj_purge_uid() {
  local uid=$1 c d pid
  for c in pids memory cpu cpuacct cpu,cpuacct freezer cpuset; do
    d=/sys/fs/cgroup/$c/userjail/$uid
    [ -d "$d" ] || continue
    for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    sleep 0.1
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  d=/sys/fs/cgroup/unified/userjail/$uid
  [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
  rm -f "/run/userjail/$uid".* 2>/dev/null
}

# --------------------------------------------------------------------------
# syslog: the module and helper report to syslog; if nothing listens on
# /dev/log here, run a busybox syslogd into a file for the test's duration.
# --------------------------------------------------------------------------
uj_syslog_start() {
  if [ -n "$UJ_SYSLOG" ] && [ -S /dev/log ]; then return 0; fi
  if [ -S /dev/log ] && ! uj_devlog_alive; then rm -f /dev/log; fi # stale
  if [ -e /dev/log ]; then UJ_SYSLOG=; return 0; fi
  command -v busybox >/dev/null || return 0
  UJ_SYSLOG=$UJ_TMP/syslog
  : >"$UJ_SYSLOG"
  busybox syslogd -n -O "$UJ_SYSLOG" >/dev/null 2>&1 &
  UJ_SYSLOGD_PID=$!
  wait_until 5 test -S /dev/log
  export UJ_SYSLOG
}
uj_devlog_alive() {
  python3 -c 'import socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.connect("/dev/log")' 2>/dev/null
}
uj_syslog_stop() {
  if [ -n "$UJ_SYSLOGD_PID" ]; then
    kill "$UJ_SYSLOGD_PID" 2>/dev/null
    wait "$UJ_SYSLOGD_PID" 2>/dev/null
    rm -f /dev/log
    UJ_SYSLOGD_PID=
  fi
}
# uj_syslog_mark: remember the current end of the log; uj_syslog_since prints
# what was logged after the mark.
uj_syslog_mark() { UJ_SYSLOG_OFF=$([ -n "$UJ_SYSLOG" ] && stat -c %s "$UJ_SYSLOG" || echo 0); }
uj_syslog_since() {
  [ -n "$UJ_SYSLOG" ] && [ -f "$UJ_SYSLOG" ] || return 0
  sleep 0.3
  tail -c +$((UJ_SYSLOG_OFF + 1)) "$UJ_SYSLOG"
}

# --------------------------------------------------------------------------
# sshd
# --------------------------------------------------------------------------
uj_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# uj_pam_file PATH [with_module=1]: a PAM service file ending with the module
uj_pam_file() {
  local path=$1 with=${2:-1}
  {
    echo "# userjail integration test $UJ_TAG -- removed by the test"
    echo "@include common-auth"
    echo "@include common-account"
    echo "@include common-password"
    echo "@include common-session"
    [ "$with" = 1 ] &&
      echo "session required $UJ_MODULE config=$UJ_CONF helper=$UJ_HELPER debug ${UJ_MODULE_EXTRA:-}"
  } >"$path"
  chmod 0644 "$path"
}

# uj_sshd_start [with_module=1]; UJ_SSHD_EXTRA: more sshd_config lines
uj_sshd_start() {
  local with=${1:-1} i
  [ -f "$UJ_TMP/client_key" ] || uj_keys
  mkdir -p /run/sshd && chmod 0755 /run/sshd
  cp /usr/sbin/sshd "$UJ_SSHD_BIN"
  uj_pam_file "$UJ_SSHD_PAM" "$with"
  for i in 1 2 3 4 5; do
    UJ_PORT=$(uj_free_port)
    cat >"$UJ_TMP/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $UJ_PORT
HostKey $UJ_TMP/host_key
PidFile $UJ_TMP/sshd.pid
UsePAM yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
StrictModes no
AuthorizedKeysFile .ssh/authorized_keys
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel VERBOSE
MaxStartups 200
MaxSessions 50
PrintMotd no
PrintLastLog no
UseDNS no
${UJ_SSHD_EXTRA:-}
EOF
    "$UJ_SSHD_BIN" -D -e -f "$UJ_TMP/sshd_config" >>"$UJ_TMP/sshd.log" 2>&1 &
    UJ_SSHD_PID=$!
    if wait_until 10 uj_port_open "$UJ_PORT"; then return 0; fi
    kill "$UJ_SSHD_PID" 2>/dev/null
    wait "$UJ_SSHD_PID" 2>/dev/null
    UJ_SSHD_PID=
  done
  uj_log "sshd did not start: $(tail -5 "$UJ_TMP/sshd.log")"
  return 1
}
uj_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

uj_sshd_stop() {
  if [ -n "$UJ_SSHD_PID" ]; then
    kill "$UJ_SSHD_PID" 2>/dev/null
    wait "$UJ_SSHD_PID" 2>/dev/null
    UJ_SSHD_PID=
  fi
  rm -f "$UJ_SSHD_BIN" "$UJ_SSHD_PAM"
}

uj_keys() {
  ssh-keygen -q -t ed25519 -N '' -f "$UJ_TMP/host_key" </dev/null >/dev/null
  ssh-keygen -q -t ed25519 -N '' -f "$UJ_TMP/client_key" </dev/null >/dev/null
}

UJ_SSH_OPTS=(-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o LogLevel=ERROR -o ConnectTimeout=10)

# uj_ssh USER CMD...: non-interactive ssh into the test sshd (stdin from /dev/null)
uj_ssh() {
  local u=$1
  shift
  timeout 60 ssh "${UJ_SSH_OPTS[@]}" -i "$UJ_TMP/client_key" -p "$UJ_PORT" "$u@127.0.0.1" "$@" </dev/null
}
# uj_ssh_tty USER CMD: with a pty (-tt)
uj_ssh_tty() {
  local u=$1
  shift
  timeout 60 ssh -tt "${UJ_SSH_OPTS[@]}" -i "$UJ_TMP/client_key" -p "$UJ_PORT" "$u@127.0.0.1" "$@" </dev/null
}
# uj_ssh_bg USER CMD: start a long ssh session in the background; sets UJ_BG_PID
uj_ssh_bg() {
  local u=$1
  shift
  ssh "${UJ_SSH_OPTS[@]}" -i "$UJ_TMP/client_key" -p "$UJ_PORT" "$u@127.0.0.1" "$@" </dev/null \
    >>"$UJ_TMP/bg.out" 2>&1 &
  UJ_BG_PID=$!
}
uj_scp() { timeout 60 scp -q "${UJ_SSH_OPTS[@]}" -i "$UJ_TMP/client_key" -P "$UJ_PORT" "$@"; }
uj_sftp() { # uj_sftp USER BATCHFILE
  timeout 60 sftp -q "${UJ_SSH_OPTS[@]}" -i "$UJ_TMP/client_key" -P "$UJ_PORT" -b "$2" "$1@127.0.0.1"
}

# --------------------------------------------------------------------------
# Other entry paths: pamtester, a small PAM runner, su -l
# --------------------------------------------------------------------------
uj_pamtester_setup() { uj_pam_file "/etc/pam.d/$UJ_PAMTESTER_SVC" 1; }

# pamrun: open a PAM session for USER under SERVICE, run CMD as USER inside it.
uj_pamrun_build() {
  [ -x "$UJ_TMP/pamrun" ] && return 0
  gcc -O2 -Wall -o "$UJ_TMP/pamrun" "$UJ_ROOT/tests/integration/pamrun.c" -lpam -lpam_misc
}

# uj_su USER CMD: su -l USER -c CMD through a PAM file ending with the module,
# bound over /etc/pam.d/su-l and /etc/pam.d/su in a private mount namespace.
uj_su() {
  local u=$1 cmd=$2
  [ -f "$UJ_TMP/pam-su" ] || {
    {
      echo "auth sufficient pam_rootok.so"
      echo "@include common-auth"
      echo "@include common-account"
      echo "@include common-session"
      echo "session required $UJ_MODULE config=$UJ_CONF helper=$UJ_HELPER debug ${UJ_MODULE_EXTRA:-}"
    } >"$UJ_TMP/pam-su"
    chmod 0644 "$UJ_TMP/pam-su"
  }
  timeout 60 unshare -m --propagation private sh -c '
    mount --bind "$1" /etc/pam.d/su-l && mount --bind "$1" /etc/pam.d/su || exit 99
    exec su -l "$2" -c "$3"' sh "$UJ_TMP/pam-su" "$u" "$cmd" </dev/null
}

# --------------------------------------------------------------------------
# Host-side observations
# --------------------------------------------------------------------------
# host mount table without mount ids / parent ids (they are not stable)
uj_host_mounts() { awk '{ $1=""; $2=""; print }' /proc/self/mountinfo | sort; }

uj_state_files() { ls "/run/userjail/$1".* 2>/dev/null; }
uj_cgroup_dirs() {
  local c
  for c in pids memory cpu cpuacct cpuset; do
    [ -d "/sys/fs/cgroup/$c/userjail/$1" ] && echo "/sys/fs/cgroup/$c/userjail/$1"
  done
  [ -d "/sys/fs/cgroup/unified/userjail/$1" ] && echo "/sys/fs/cgroup/unified/userjail/$1"
  return 0
}
# nothing left of user U: no process, no state file, no cgroup
uj_nothing_left() {
  local uid
  uid=$(uj_uid "$1")
  [ -z "$(pgrep -u "$uid")" ] && [ -z "$(uj_state_files "$uid")" ] && [ -z "$(uj_cgroup_dirs "$uid")" ]
}
uj_leftovers() {
  local uid
  uid=$(uj_uid "$1")
  echo "processes: $(pgrep -a -u "$uid" | tr '\n' ';')"
  echo "state: $(uj_state_files "$uid" | tr '\n' ' ')"
  echo "cgroups: $(uj_cgroup_dirs "$uid" | tr '\n' ' ')"
}

# --------------------------------------------------------------------------
# Setup / cleanup
# --------------------------------------------------------------------------
uj_cleanup() {
  local u h
  set +e
  for h in "${UJ_CLEANUP_HOOKS[@]}"; do eval "$h" >/dev/null 2>&1; done
  for u in "${UJ_USERS[@]}"; do uj_user_purge "$u"; done
  rm -f "$(uj_conf_last_good)"
  uj_sshd_stop
  rm -f "/etc/pam.d/$UJ_PAMTESTER_SVC"
  getent group "$UJ_GROUP" >/dev/null && groupdel "$UJ_GROUP" 2>/dev/null
  uj_syslog_stop
  if [ -n "${UJ_KEEP_TMP:-}" ]; then uj_log "kept $UJ_TMP"; else rm -rf "$UJ_TMP"; fi
}

uj_init() {
  trap 'uj_cleanup' EXIT
  trap 'exit 130' INT TERM
  uj_require_build
  uj_keys
  uj_syslog_start
}

# uj_tag_alive TAG: is the test process that owns TAG (its pid is the digits
# of the tag) still running? Its things are then not leftovers.
uj_tag_alive() {
  local pid=${1//[!0-9]/}
  [ -n "$pid" ] && [ "$pid" != "$$" ] && kill -0 "$pid" 2>/dev/null
}

# uj_leftover_names: our users, groups and files whose test process is gone
uj_leftover_names() {
  local n tag
  for n in $(getent passwd | cut -d: -f1 | grep -E '^ujt.+u[0-9]+$'); do
    tag=${n#ujt}
    uj_tag_alive "${tag%u*}" || echo "$n"
  done
  for n in $(getent group | cut -d: -f1 | grep '^ujtg'); do
    uj_tag_alive "${n#ujtg}" || echo "$n"
  done
  for n in /etc/pam.d/ujt-*-* /usr/local/sbin/ujt-sshd-*; do
    [ -e "$n" ] && ! uj_tag_alive "${n##*-}" && echo "$n"
  done
  return 0
}

# uj_sweep: remove leftovers of earlier runs whose test process is gone (so a
# concurrent run is left alone). Only names with our prefix are touched;
# processes of those users are killed.
uj_sweep() {
  local u uid pid f g tag
  for u in $(getent passwd | cut -d: -f1 | grep -E '^ujt.+u[0-9]+$'); do
    tag=${u#ujt}
    tag=${tag%u*}
    uj_tag_alive "$tag" && continue
    uid=$(id -u "$u")
    [ -x "$UJ_HELPER" ] && timeout 10 "$UJ_HELPER" stop "$u" >/dev/null 2>&1
    pkill -9 -u "$uid" 2>/dev/null
    sleep 0.2
    uj_purge_uid "$uid"
    userdel -r -f "$u" >/dev/null 2>&1
  done
  for g in $(getent group | cut -d: -f1 | grep '^ujtg'); do
    uj_tag_alive "${g#ujtg}" || groupdel "$g" 2>/dev/null
  done
  for f in /usr/local/sbin/ujt-sshd-*; do
    [ -e "$f" ] || continue
    uj_tag_alive "${f#/usr/local/sbin/ujt-sshd-}" && continue
    for pid in $(pgrep -f "^$f "); do kill "$pid" 2>/dev/null; done
    rm -f "$f"
  done
  for f in /etc/pam.d/ujt-*-*; do
    [ -e "$f" ] || continue
    uj_tag_alive "${f##*-}" || rm -f "$f"
  done
  for pid in $(pgrep -f '^busybox syslogd -n -O /tmp/ujt-'); do
    tag=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | sed -n 's|.*/tmp/ujt-\([^.]*\)\..*|\1|p')
    uj_tag_alive "$tag" && continue
    kill "$pid" 2>/dev/null && sleep 0.2 && rm -f /dev/log
  done
  for f in /tmp/ujt-*.?????? /tmp/ujt-*.hostmark /tmp/ujt-*.jailmark /srv/ujt-*; do
    [ -e "$f" ] || continue
    [ "$f" = "$UJ_TMP" ] && continue
    tag=${f#/tmp/ujt-}
    tag=${tag#/srv/ujt-}
    uj_tag_alive "${tag%%.*}" || rm -rf "$f"
  done
}

# uj_list_field USER FIELD: a field of USER's entry in `userjail list --json`
# (empty when the user has no jail or the output is not JSON)
uj_list_field() {
  "$UJ_HELPER" list --json 2>/dev/null | python3 -c '
import json, sys
try:
    for j in json.load(sys.stdin):
        if j.get("user") == sys.argv[1]:
            v = j.get(sys.argv[2])
            print(str(v).lower() if isinstance(v, bool) else v)
except Exception as e:
    pass' "$1" "$2"
}
# uj_jail_pidns USER: the pid namespace of USER's jail init, seen from the host
uj_jail_pidns() {
  local p
  p=$(uj_list_field "$1" init_pid)
  [ -n "$p" ] && readlink "/proc/$p/ns/pid"
}

# uj_run USER -- CMD...: the admin CLI's run with the test config
uj_run() { timeout 60 "$UJ_HELPER" run --config "$UJ_CONF" "$@" </dev/null; }
# expect_gone NAME USER [SECONDS=6]: nothing of USER left (waits up to SECONDS)
expect_gone() {
  if wait_until "${3:-6}" uj_nothing_left "$2"; then pass "$1"
  else fail "$1" "$(uj_leftovers "$2")"; fi
}
# uj_run_bg USER -- CMD...: a session held in the background; sets UJ_BG_PID
# to the userjail process itself (killing it ends the session)
uj_run_bg() {
  "$UJ_HELPER" run --config "$UJ_CONF" "$@" </dev/null >>"$UJ_TMP/bg.out" 2>&1 &
  UJ_BG_PID=$!
  UJ_CLEANUP_HOOKS+=("kill $UJ_BG_PID")
}
