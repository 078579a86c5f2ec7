#!/bin/bash
# The admin CLI: run, list, list --json, stop, check-config (check 13).
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic
U=$(uj_new_user)
uj_user_create "$U"
hostns=$(readlink /proc/self/ns/pid)

out=$(uj_run "$U" -- id -un 2>&1)
expect_eq "run USER -- id -un prints the user" "$U" "$out"
out=$(uj_run "$U" -- sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; hostname' 2>&1)
expect_ne "run: pid ns differs from host" "$(sed -n 1p <<<"$out")" "$hostns"
expect_ne "run: mnt ns differs from host" "$(sed -n 2p <<<"$out")" "$(readlink /proc/self/ns/mnt)"
expect_eq "run: jail hostname" "jail-$U" "$(sed -n 3p <<<"$out")"
uj_run "$U" -- sh -c 'exit 7' >/dev/null 2>&1
expect_eq "run: exit status of CMD is passed on" 7 "$?"
out=$(printf 'piped\n' | timeout 30 "$UJ_HELPER" run --config "$UJ_CONF" "$U" -- cat 2>&1)
expect_eq "run: stdin reaches CMD" piped "$out"
out=$(uj_run nosuchuser-ujt -- true 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q nosuchuser-ujt <<<"$out"; then pass "run: unknown user is an error naming the user"
else fail "run: unknown user is an error naming the user" "rc=$rc" "$out"; fi

# list while a session holds the jail
uj_run_bg "$U" -- sleep 60
holder=$UJ_BG_PID
wait_until 10 test -n "$(uj_list_field "$U" init_pid)"
sleep 1.2
text=$("$UJ_HELPER" list 2>&1)
json=$("$UJ_HELPER" list --json 2>&1)
init=$(uj_list_field "$U" init_pid)
expect_match "list (text) has a line for the user" "^$U +$(uj_uid "$U") +$init +1 " "$text"
if python3 -c 'import json,sys; json.loads(sys.argv[1])' "$json" 2>/dev/null; then pass "list --json is valid JSON"
else fail "list --json is valid JSON" "$json"; fi
expect_eq "json: sessions" 1 "$(uj_list_field "$U" sessions)"
check "json: init_pid is a live process on the host" test -n "$init" -a -d "/proc/$init"
check "json: init is the jail's pid 1 (pid ns differs)" \
  test "$(readlink "/proc/$init/ns/pid")" != "$hostns"
up=$(uj_list_field "$U" uptime_s)
expect_match "json: uptime_s >= 1" '^[1-9][0-9]*$' "$up"
expect_match "json: pids >= 2 (init + sleep)" '^([2-9]|[1-9][0-9]+)$' "$(uj_list_field "$U" pids)"
expect_match "json: memory_bytes > 0" '^[1-9][0-9]*$' "$(uj_list_field "$U" memory_bytes)"

out=$("$UJ_HELPER" stop "$U" 2>&1)
expect_eq "stop USER exits 0" 0 "$?"
wait_until 5 uj_nothing_left "$U"
expect_gone "stop: nothing left of the jail" "$U"
wait_until 5 test ! -d "/proc/$holder"
check "stop: the held session ended" test ! -d "/proc/$holder"
expect_eq "stop: list no longer shows the user" "" "$(uj_list_field "$U" init_pid)"
out=$("$UJ_HELPER" stop "$U" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q "$U" <<<"$out"; then pass "stop: user without a jail is an error naming the user"
else fail "stop: user without a jail is an error naming the user" "rc=$rc" "$out"; fi

# check-config
check "check-config conf/userjail.conf exits 0" "$UJ_HELPER" check-config "$UJ_ROOT/conf/userjail.conf"
check "check-config on the test config exits 0" "$UJ_HELPER" check-config "$UJ_CONF"
bad=$UJ_TMP/bad-syntax.conf
printf 'hostname = "x";\n\nlimits = { pids = 5 memory };\n' >"$bad"
out=$("$UJ_HELPER" check-config "$bad" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -Eq "^$bad:3: " <<<"$out"; then pass "check-config: syntax error -> FILE:LINE: message, non-zero"
else fail "check-config: syntax error -> FILE:LINE: message, non-zero" "rc=$rc" "$out"; fi
bad=$UJ_TMP/bad-value.conf
printf 'hostname = "x";\non_logout = "sometimes";\nlimits = { pids = -5; };\nrules = ( { match = [ "alice" ]; tmp_size = "1.5G"; } );\n' >"$bad"
out=$("$UJ_HELPER" check-config "$bad" 2>&1)
rc=$?
expect_match "check-config: bad on_logout reported at line 2" "^$bad:2: " "$out"
expect_match "check-config: bad pids reported at line 3" "^$bad:3: " "$out"
expect_match "check-config: bad tmp_size in a rule reported at line 4" "^$bad:4: " "$out"
check "check-config: semantic errors exit non-zero" test "$rc" -ne 0
out=$("$UJ_HELPER" check-config "$UJ_TMP/does-not-exist.conf" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q "does-not-exist.conf" <<<"$out"; then pass "check-config: missing file is an error naming it"
else fail "check-config: missing file is an error naming it" "rc=$rc" "$out"; fi
cp "$UJ_CONF" "$UJ_TMP/other-owned.conf"
chown "$U" "$UJ_TMP/other-owned.conf"
out=$("$UJ_HELPER" check-config "$UJ_TMP/other-owned.conf" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q "other-owned.conf" <<<"$out"; then pass "check-config: non-root-owned file refused"
else fail "check-config: non-root-owned file refused" "rc=$rc" "$out"; fi

# A user deleted while their jail lingers: `userjail stop UID` ends it.
uj_conf_basic 'on_logout = "linger";'
D=$(uj_new_user)
uj_user_create "$D"
duid=$(uj_uid "$D")
"$UJ_HELPER" run --config "$UJ_CONF" "$D" -- true
check "linger jail of a soon-deleted user is up" test -n "$(uj_state_files "$duid")"
userdel "$D" >/dev/null 2>&1
out=$("$UJ_HELPER" stop "$D" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q "unknown user" <<<"$out"; then pass "stop by name of a deleted user: clear error"
else fail "stop by name of a deleted user: clear error" "rc=$rc" "$out"; fi
check "stop by uid of a deleted user succeeds" "$UJ_HELPER" stop "$duid"
if wait_until 5 sh -c "[ -z \"\$(ls /run/userjail/$duid.* 2>/dev/null)\" ] && [ -z \"\$(pgrep -u $duid)\" ] && [ ! -d /sys/fs/cgroup/pids/userjail/$duid ]"; then
  pass "stop by uid: no process, state or cgroup left"
else fail "stop by uid: no process, state or cgroup left" "$(ls /run/userjail/$duid.* 2>&1; pgrep -a -u $duid)"; fi
rm -rf "/home/$D"
uj_conf_basic

# Strict arguments: mistakes are named and exit 2; --help, --version exit 0
usage_error() { # NAME WORD ARGS...: exit 2, the message names WORD, a usage line follows
  local name=$1 word=$2 out rc
  shift 2
  out=$("$UJ_HELPER" "$@" 2>&1)
  rc=$?
  if [ "$rc" -eq 2 ] && grep -qF -- "$word" <<<"$out" && grep -q "^usage: userjail $1 " <<<"$out"; then pass "$name"
  else fail "$name" "rc=$rc" "$out"; fi
}
usage_error "list --bogus: unknown option named, exit 2" "'--bogus'" list --bogus
usage_error "list extra: unexpected argument named, exit 2" "'extra'" list extra
usage_error "check-config a b: extra operand named, exit 2" "'b'" check-config a b
usage_error "check-config --bogus: unknown option, exit 2" "'--bogus'" check-config --bogus
usage_error "stop with no user: exit 2" "USER" stop
usage_error "stop a b: extra operand named, exit 2" "'b'" stop a b
usage_error "status with no user: exit 2" "missing" status
usage_error "run without -- CMD: exit 2" "missing '-- CMD'" run "$U"
usage_error "run --bogus: unknown option, exit 2" "'--bogus'" run --bogus "$U" -- true
usage_error "list --json=x: flag takes no value, exit 2" "takes no value" list --json=x
usage_error "status --config (no value): exit 2" "needs a value" status --config
for c in list stop status check-config run mkrootfs; do
  out=$("$UJ_HELPER" "$c" --help 2>&1)
  rc=$?
  if [ "$rc" -eq 0 ] && grep -q "^usage: userjail $c " <<<"$out"; then pass "$c --help: its usage, exit 0"
  else fail "$c --help: its usage, exit 0" "rc=$rc" "$out"; fi
done
out=$("$UJ_HELPER" run --config "$UJ_CONF" "$U" -- sh -c 'echo "$1"' sh --help 2>&1)
expect_eq "run: --help after -- belongs to CMD" "--help" "$out"
out=$("$UJ_HELPER" --version 2>&1)
expect_match "--version prints the Makefile's version" '^userjail [0-9]+\.[0-9]+\.[0-9]+' "$out"
out=$("$UJ_HELPER" --version extra 2>&1)
expect_eq "--version extra: exit 2" 2 "$?"
out=$("$UJ_HELPER" frobnicate 2>&1)
rc=$?
if [ "$rc" -eq 2 ] && grep -q "unknown command 'frobnicate'" <<<"$out"; then pass "unknown command named, exit 2"
else fail "unknown command named, exit 2" "rc=$rc" "$out"; fi
out=$(su -s /bin/sh "$U" -c "$UJ_HELPER stop --help" 2>&1)
expect_match "stop --help works without root" "^usage: userjail stop " "$out"
out=$(su -s /bin/sh "$U" -c "$UJ_HELPER list" 2>&1)
expect_match "list as a user: must be run as root" "must be run as root" "$out"

kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
uj_summary
