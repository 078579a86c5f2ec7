#!/bin/bash
# The admin's tools (issue 14): a broken config falls back to the last valid
# copy instead of locking everyone out; status explains a user; jails are
# stamped with their config and stale ones shown; stop --grace/--message;
# monitors of an older helper still answer a new client.
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic
U=$(uj_new_user)    # jailed
A=$(uj_new_user)    # jailed group member, but exempt (an admin)
N=$(uj_new_user)    # matches no rule
uj_user_create "$U"
uj_user_create "$A"
uj_user_create "$N" 0
uj_sshd_start || { fail "sshd starts"; uj_summary; exit 1; }

# the last valid copy of $UJ_CONF (lastgood.c names it by a hash of the path)
LG=$(uj_conf_last_good)
UJ_CLEANUP_HOOKS+=("rm -f $LG")
rm -f "$LG"
has_jail() { [ -n "$(uj_list_field "$1" init_pid)" ]; } # (re-evaluated by wait_until)
good_conf() { uj_conf_basic "exempt = [ \"$A\" ];"; }
broken_conf() { # a half-saved edit: line 3 of the file is cut off
  uj_write_conf "hostname = \"jail-%u\";
tmp_size = \"64M\";
limits = { pids = 512; memory
rules = ( { match = [ \"@$UJ_GROUP\" ]; } );"
}

# ---- 1. last valid config ---------------------------------------------------
good_conf
out=$(uj_ssh "$U" hostname 2>&1)
expect_eq "valid config: jailed user logs in, jailed" "jail-$U" "$out"
check "a login with a valid config keeps a copy under /run/userjail" test -f "$LG"
expect_eq "the copy is root's, mode 0600" "0 600" "$(stat -c '%u %a' "$LG" 2>&1)"
check "the copy is the file's text" cmp -s "$UJ_CONF" "$LG"
out=$(uj_ssh "$A" hostname 2>&1)
expect_eq "valid config: exempt admin logs in unjailed" "$(hostname)" "$out"

broken_conf
uj_syslog_mark
out=$(uj_ssh "$U" hostname 2>&1)
expect_eq "broken config: jailed user still logs in, jailed per the old rules" "jail-$U" "$out"
# Our own syslogd when /dev/log was free; else whoever listens there (another
# test's busybox syslogd, rsyslog, journald): look where they write.
sleep 0.5
if [ -n "$UJ_SYSLOG" ]; then log=$(uj_syslog_since)
else log=$( (cat /tmp/ujt-*/syslog /var/log/auth.log 2>/dev/null
           journalctl -q -t userjail --since -5min 2>/dev/null) | grep -F "$UJ_CONF"); fi
expect_match "broken config: syslog says CONFIGURATION INVALID naming FILE:LINE" \
  "CONFIGURATION INVALID: $UJ_CONF:[0-9]+: .*last valid copy $LG" "$log"
out=$(uj_ssh "$A" hostname 2>&1)
expect_eq "broken config: exempt admin still logs in unjailed" "$(hostname)" "$out"
out=$("$UJ_HELPER" check-config "$UJ_CONF" 2>&1)
rc=$?
check "broken config: check-config still fails" test "$rc" -ne 0
expect_match "broken config: check-config reports FILE:LINE" "^$UJ_CONF:[0-9]+: " "$out"
expect_match "broken config: check-config says logins use the copy" "last valid copy $LG" "$out"
check "broken config: the copy is not overwritten" test "$(grep -c memory "$LG")" -ge 1 -a \
  "$(grep -c 'pids = 512; memory$' "$LG")" -eq 0

out=$("$UJ_HELPER" status --config "$UJ_CONF" "$U" 2>&1)
expect_match "broken config: status says so and explains by the copy" \
  "config +$UJ_CONF is INVALID .*logins use the last valid copy $LG" "$out"
expect_match "broken config: status still shows the rule (from the copy)" "jailed by rule 1" "$out"
rm -f "$LG"
out=$("$UJ_HELPER" status --config "$UJ_CONF" "$U" 2>&1)
expect_match "broken config, no copy: status says logins are refused" "REFUSED at login" "$out"
out=$(uj_ssh "$U" hostname 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [ "$out" != "jail-$U" ]; then pass "broken config, no copy: login refused (fail closed)"
else fail "broken config, no copy: login refused (fail closed)" "rc=$rc" "$out"; fi
check "broken config: no copy is made of an invalid file" test ! -e "$LG"

good_conf
check "check-config of the fixed file exits 0" "$UJ_HELPER" check-config "$UJ_CONF"
check "check-config does not keep copies of files logins never used" test ! -e "$LG"
uj_ssh "$U" true >/dev/null 2>&1
check "the next login keeps a copy again" cmp -s "$UJ_CONF" "$LG"
# check-config of a file logins use refreshes the copy
uj_conf_basic "exempt = [ \"$A\" ]; tmp_size = \"32M\";"
check "check-config of a live file passes" "$UJ_HELPER" check-config "$UJ_CONF"
check "... and refreshes its copy" cmp -s "$UJ_CONF" "$LG"
good_conf

# ---- 2. status and check-config --user -------------------------------------
out=$("$UJ_HELPER" status --config "$UJ_CONF" "$U" 2>&1)
expect_match "status: jailed by rule 1 with its line and pattern" \
  "decision +jailed by rule 1 \\($UJ_CONF:[0-9]+\\), pattern \"@$UJ_GROUP\"" "$out"
expect_match "status: effective limits" "limits +pids 512, memory 1G, cpu 1" "$out"
expect_match "status: hostname as the jail will have it" "hostname +jail-$U" "$out"
expect_match "status: no jail running" "jail +none running" "$out"
out=$("$UJ_HELPER" status --config "$UJ_CONF" "$A" 2>&1)
expect_match "status: exempt user, naming the pattern" "not jailed: exempt \\(pattern \"$A\"\\)" "$out"
out=$("$UJ_HELPER" status --config "$UJ_CONF" "$N" 2>&1)
expect_match "status: user no rule matches" "not jailed: no rule matches" "$out"
out=$("$UJ_HELPER" status --config "$UJ_CONF" root 2>&1)
expect_match "status: root is never jailed" "root is never jailed" "$out"
out=$("$UJ_HELPER" check-config --user "$U" "$UJ_CONF" 2>&1)
expect_match "check-config --user: the rule and settings" "jailed by rule 1 .*pattern \"@$UJ_GROUP\"" "$out"
out=$("$UJ_HELPER" status --config "$UJ_CONF" nosuchuser-ujt 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && grep -q "nosuchuser-ujt" <<<"$out"; then pass "status: unknown user is an error naming it"
else fail "status: unknown user is an error naming it" "rc=$rc" "$out"; fi

# live jail, then a config change makes it stale
uj_run_bg "$U" -- sleep 120
holder=$UJ_BG_PID
wait_until 10 has_jail "$U"
out=$("$UJ_HELPER" status --config "$UJ_CONF" "$U" 2>&1)
expect_match "status: live jail with init pid and sessions" "jail +running: init pid [0-9]+, 1 session" "$out"
expect_match "status: usage" "usage +pids [0-9]+, memory [0-9.]+M" "$out"
expect_match "status: jail built from the current config" "config +current" "$out"
expect_match "list: CONFIG column says current" "^$U +.* current$" "$("$UJ_HELPER" list --config "$UJ_CONF")"
uj_conf_basic "exempt = [ \"$A\" ]; tmp_size = \"32M\";"
out=$("$UJ_HELPER" status --config "$UJ_CONF" "$U" 2>&1)
expect_match "status: config changed -> STALE" "config +STALE" "$out"
expect_match "list: stale jail shown" "^$U +.* stale$" "$("$UJ_HELPER" list --config "$UJ_CONF")"
json=$("$UJ_HELPER" list --json --config "$UJ_CONF")
expect_match "list --json: config stale" "\"user\": \"$U\".*\"config\": \"stale\"" "$json"
good_conf
expect_match "list: current again when the config is back" "^$U +.* current$" "$("$UJ_HELPER" list --config "$UJ_CONF")"
"$UJ_HELPER" stop "$U" >/dev/null 2>&1
wait "$holder" 2>/dev/null
expect_gone "jail stopped after the status checks" "$U"

# ---- 3. stop --grace --message ---------------------------------------------
# A login with a terminal: the note must reach it; SIGTERM ends the login
# well before the grace time.
ssh -tt "${UJ_SSH_OPTS[@]}" -i "$UJ_TMP/client_key" -p "$UJ_PORT" "$U@127.0.0.1" \
  'echo READY; exec sleep 300' </dev/null >"$UJ_TMP/tty.out" 2>&1 &
sshpid=$!
UJ_CLEANUP_HOOKS+=("kill $sshpid")
wait_until 20 grep -q READY "$UJ_TMP/tty.out"
t0=$(date +%s)
out=$("$UJ_HELPER" stop --grace 20 --message "maintenance at noon, please log out" "$U" 2>&1)
rc=$?
t1=$(date +%s)
expect_eq "stop --grace --message: exit 0" 0 "$rc"
expect_match "stop: reports the terminals it told" "told [1-9][0-9]* terminal" "$out"
wait_until 5 grep -q "maintenance at noon" "$UJ_TMP/tty.out"
expect_match "stop --message: the note reached the user's terminal" \
  "userjail: message from the administrator: maintenance at noon, please log out" "$(cat "$UJ_TMP/tty.out")"
check "stop --grace: SIGTERM ended it well before the grace time" test $((t1 - t0)) -lt 15
expect_gone "stop --grace: nothing left" "$U"
wait_until 10 test ! -d "/proc/$sshpid"
check "stop --grace: the ssh login ended" test ! -d "/proc/$sshpid"

# A lingering jail with a process that ignores SIGTERM: killed once the
# grace time is over (the session holder itself dies of the SIGTERM).
uj_conf_basic 'on_logout = "linger";'
uj_run "$U" -- sh -c 'trap "" TERM; setsid sh -c "trap \"\" TERM; while :; do sleep 1; done" </dev/null >/dev/null 2>&1 &'
wait_until 10 has_jail "$U"
t0=$(date +%s)
out=$("$UJ_HELPER" stop --grace 2 "$U" 2>&1)
rc=$?
t1=$(date +%s)
expect_eq "stop --grace 2 (TERM ignored): exit 0" 0 "$rc"
check "stop --grace 2: waited the grace time first" test $((t1 - t0)) -ge 2
expect_gone "stop --grace 2: nothing left after the SIGKILL" "$U"
good_conf

out=$("$UJ_HELPER" stop --grace 1 "$U" 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && grep -q "has no jail" <<<"$out"; then pass "stop --grace of a user without a jail: exit 1"
else fail "stop --grace of a user without a jail: exit 1" "rc=$rc" "$out"; fi
for args in "--all $U" "--grace" "--grace -1 $U" "--grace 5s $U" "$U $A" "--bogus $U"; do
  # shellcheck disable=SC2086
  out=$("$UJ_HELPER" stop $args 2>&1)
  rc=$?
  if [ "$rc" -eq 2 ] && grep -q "usage: userjail stop" <<<"$out"; then pass "stop $args: usage error, exit 2"
  else fail "stop $args: usage error, exit 2" "rc=$rc" "$out"; fi
done

# ---- enter -----------------------------------------------------------------
out=$("$UJ_HELPER" enter "$U" -- true 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && grep -q "has no live jail" <<<"$out"; then pass "enter without a live jail: exit 1, never creates one"
else fail "enter without a live jail: exit 1, never creates one" "rc=$rc" "$out"; fi
check "enter without a live jail: none was created" test -z "$(uj_state_files "$(uj_uid "$U")")"
uj_run_bg "$U" -- sleep 120
holder=$UJ_BG_PID
wait_until 10 has_jail "$U"
init=$(uj_list_field "$U" init_pid)
out=$("$UJ_HELPER" enter "$U" -- sh -c 'id -u; grep -E "^Cap(Eff|Prm|Bnd|Inh|Amb)" /proc/self/status; grep NoNewPrivs /proc/self/status; readlink /proc/self/ns/pid; hostname; tty; ps -e -o comm= | grep -c sleep' </dev/null 2>&1 | tr -d '\r')
expect_eq "enter (root): uid 0" 0 "$(sed -n 1p <<<"$out")"
expect_eq "enter (root): no capability in any set" \
  "CapInh:	0000000000000000 CapPrm:	0000000000000000 CapEff:	0000000000000000 CapBnd:	0000000000000000 CapAmb:	0000000000000000" \
  "$(sed -n 2,6p <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "enter (root): no_new_privs" "NoNewPrivs:	1" "$(sed -n 7p <<<"$out")"
expect_eq "enter: in the jail's pid namespace" "$(readlink "/proc/$init/ns/pid")" "$(sed -n 8p <<<"$out")"
expect_eq "enter: the jail's hostname" "jail-$U" "$(sed -n 9p <<<"$out")"
expect_match "enter: its own pty" '^/dev/pts/[0-9]+$' "$(sed -n 10p <<<"$out")"
expect_eq "enter: sees the jail's processes (the held sleep)" 1 "$(sed -n 11p <<<"$out")"
out=$("$UJ_HELPER" enter "$U" -- sh -c 'touch /etc/ujt-enter-probe' </dev/null 2>&1)
check "enter (root): cannot write the read-only host /etc" test ! -e /etc/ujt-enter-probe
out=$("$UJ_HELPER" enter --user "$U" -- sh -c 'id -un; grep CapEff /proc/self/status; echo $HOME' </dev/null 2>&1 | tr -d '\r')
expect_eq "enter --user: as the user, no caps, in their home" \
  "$U CapEff:	0000000000000000 /home/$U" "$(tr '\n' ' ' <<<"$out" | sed 's/ $//')"
"$UJ_HELPER" enter "$U" -- sh -c 'exit 5' </dev/null >/dev/null 2>&1
expect_eq "enter: CMD's exit status is passed on" 5 "$?"
# a session while it runs: the jail outlives the holder's end while enter runs
sessions_are() { [ "$(uj_list_field "$U" sessions)" = "$1" ]; }
"$UJ_HELPER" enter "$U" -- sleep 4 </dev/null >/dev/null 2>&1 &
enterpid=$!
wait_until 5 sessions_are 2
expect_eq "enter: counts as a session while it runs" 2 "$(uj_list_field "$U" sessions)"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
sleep 0.5
expect_eq "enter: the jail lives on while enter runs" 1 "$(uj_list_field "$U" sessions)"
wait "$enterpid"
expect_gone "enter: when it ends as the last session, the jail ends" "$U"
# interactive: a real terminal (tmux) typing into the shell
if command -v tmux >/dev/null; then
  uj_run_bg "$U" -- sleep 120
  holder=$UJ_BG_PID
  wait_until 10 has_jail "$U"
  sock=$UJ_TMP/tmux.sock
  tmux -S "$sock" new-session -d -x 100 -y 30 "$UJ_HELPER enter $U"
  UJ_CLEANUP_HOOKS+=("tmux -S $sock kill-server")
  sleep 1
  tmux -S "$sock" send-keys 'echo "in:$(hostname):$(id -u)"; stty size' Enter
  sleep 1
  screen=$(tmux -S "$sock" capture-pane -p -S -20)
  expect_match "enter (tmux): typed command runs in the jail" "in:jail-$U:0" "$screen"
  expect_match "enter (tmux): the pty has the terminal's size" "^30 100" "$screen"
  tmux -S "$sock" send-keys 'exit' Enter
  sleep 1
  check "enter (tmux): exit ends it" sh -c "! tmux -S $sock has-session 2>/dev/null"
  # the admin's terminal goes away: the command in the jail is hung up
  tmux -S "$sock" new-session -d "$UJ_HELPER enter $U -- sleep 1000"
  wait_until 5 sessions_are 2
  expect_eq "enter (tmux): second enter holds a session" 2 "$(uj_list_field "$U" sessions)"
  tmux -S "$sock" kill-server
  wait_until 5 sessions_are 1
  expect_eq "enter: terminal gone -> its session ends" 1 "$(uj_list_field "$U" sessions)"
  check "enter: terminal gone -> the command got SIGHUP" \
    sh -c "! pgrep -u 0 -f '^sleep 1000\$' >/dev/null"
  "$UJ_HELPER" stop "$U" >/dev/null 2>&1
  wait "$holder" 2>/dev/null
  expect_gone "enter (tmux): nothing left" "$U"
else
  skip "enter with a real terminal" "tmux not installed"
fi

# ---- metrics -----------------------------------------------------------------
good_conf
before=$("$UJ_HELPER" metrics | sed -n 's/^userjail_logins_refused_total{reason="config"} //p')
uj_run_bg "$U" -- sleep 120
holder=$UJ_BG_PID
wait_until 10 has_jail "$U"
uid=$(uj_uid "$U")
mkdir -p "$UJ_TMP/textfile"
check "metrics --output FILE exits 0" "$UJ_HELPER" metrics --config "$UJ_CONF" --output "$UJ_TMP/textfile/userjail.prom"
m=$(cat "$UJ_TMP/textfile/userjail.prom" 2>&1)
expect_eq "metrics: file is world-readable (0644) for the collector" 644 "$(stat -c %a "$UJ_TMP/textfile/userjail.prom")"
expect_eq "metrics: no temp file left next to it" "userjail.prom" "$(ls -A "$UJ_TMP/textfile")"
expect_match "metrics: userjail_jails counts live jails" '^userjail_jails [1-9][0-9]*$' "$(grep '^userjail_jails ' <<<"$m")"
expect_eq "metrics: sessions of the user" "userjail_sessions{user=\"$U\",uid=\"$uid\"} 1" "$(grep "^userjail_sessions{user=\"$U\"" <<<"$m")"
expect_eq "metrics: pids limit from the cgroup" "userjail_pids_limit{user=\"$U\",uid=\"$uid\"} 512" "$(grep "^userjail_pids_limit{user=\"$U\"" <<<"$m")"
expect_eq "metrics: memory limit from the cgroup" "userjail_memory_limit_bytes{user=\"$U\",uid=\"$uid\"} 1073741824" "$(grep "^userjail_memory_limit_bytes{user=\"$U\"" <<<"$m")"
expect_match "metrics: pids in use" "^userjail_pids\\{user=\"$U\",uid=\"$uid\"\\} [1-9]" "$(grep "^userjail_pids{user=\"$U\"" <<<"$m")"
expect_eq "metrics: jail built from the current config" "userjail_jail_config_stale{user=\"$U\",uid=\"$uid\"} 0" "$(grep "^userjail_jail_config_stale{user=\"$U\"" <<<"$m")"
expect_eq "metrics: ends with # EOF" "# EOF" "$(tail -n 1 <<<"$m")"
# every sample belongs to a declared family (text format sanity)
bad=$(awk '/^# TYPE/ { fam[$3] = 1; next } /^#/ { next }
  { n = $1; sub(/\{.*/, "", n); b = n; sub(/_(total|bucket|count|sum)$/, "", b); if (!(n in fam) && !(b in fam)) print }' <<<"$m")
expect_eq "metrics: every sample has a # TYPE line" "" "$bad"
"$UJ_HELPER" stop "$U" >/dev/null 2>&1
wait "$holder" 2>/dev/null
# a refused login is counted by reason
broken_conf
rm -f "$LG"
uj_ssh "$U" true >/dev/null 2>&1
after=$("$UJ_HELPER" metrics | sed -n 's/^userjail_logins_refused_total{reason="config"} //p')
check "metrics: a login refused for the config is counted" test "$after" -gt "${before:-0}"
good_conf
out=$("$UJ_HELPER" metrics extra 2>&1)
expect_eq "metrics extra: usage error, exit 2" 2 "$?"

# ---- login latency by create / join ------------------------------------------
# The counters are the machine's (other tests may log in meanwhile): each
# check is "rose by at least one", never an exact total.
lat() { "$UJ_HELPER" metrics | sed -n "s/^userjail_login_seconds_$1{kind=\"$2\"} //p"; }
gt() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$1" "$2"; }
c0=$(lat count create) s0=$(lat sum create)
out=$(uj_ssh "$U" hostname 2>&1)
expect_eq "latency: a login that starts the jail" "jail-$U" "$out"
c1=$(lat count create) s1=$(lat sum create)
check "latency: the create count rose ($c0 -> $c1)" test "${c1:-0}" -ge $((${c0:-0} + 1))
check "latency: the create sum grew ($s0 -> $s1)" gt "${s1:-0}" "${s0:-0}"
uj_ssh_bg "$U" 'sleep 120'
holder=$UJ_BG_PID
wait_until 20 has_jail "$U"
# A later login comes in the quick way (the monitor, quick_join) unless the
# config changed since the helper last let the user in: edit it, so this
# one is the helper's join.
echo "# edited" >>"$UJ_CONF"
j0=$(lat count join) t0=$(lat sum join)
out=$(uj_ssh "$U" hostname 2>&1)
expect_eq "latency: a login that joins the live jail" "jail-$U" "$out"
j1=$(lat count join) t1=$(lat sum join)
check "latency: the join count rose ($j0 -> $j1)" test "${j1:-0}" -ge $((${j0:-0} + 1))
check "latency: the join sum grew ($t0 -> $t1)" gt "${t1:-0}" "${t0:-0}"
q0=$(lat count quick) u0=$(lat sum quick)
out=$(uj_ssh "$U" hostname 2>&1)
expect_eq "latency: a quick login into the live jail" "jail-$U" "$out"
q1=$(lat count quick) u1=$(lat sum quick)
check "latency: the quick count rose ($q0 -> $q1)" test "${q1:-0}" -ge $((${q0:-0} + 1))
check "latency: the quick sum grew ($u0 -> $u1)" gt "${u1:-0}" "${u0:-0}"
sed -i '/^# edited$/d' "$UJ_CONF" # the text the jail was made from again
m=$("$UJ_HELPER" metrics)
for k in create join quick; do
  # buckets are cumulative: never decreasing, +Inf equals the count
  bad=$(awk -v k="$k" '$1 ~ "^userjail_login_seconds_bucket[{]kind=\"" k "\"" {
      if ($2 < prev) print "decreasing: " $0; prev = $2; last = $2 }
    $1 == "userjail_login_seconds_count{kind=\"" k "\"}" { count = $2 }
    END { if (last != count) print "+Inf " last " != count " count }' <<<"$m")
  expect_eq "latency ($k): cumulative buckets, +Inf = count" "" "$bad"
done

# ---- status --json ---------------------------------------------------------------
json=$("$UJ_HELPER" status --json --config "$UJ_CONF" "$U" 2>&1)
if python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["user"] == sys.argv[2] and d["known_user"] is True, d
assert d["decision"] == "jailed" and d["reason"] == "rule" and d["rule"] == 1, d
assert d["pattern"] == "@" + sys.argv[3] and d["line"] > 0, d
s = d["settings"]
assert s["limits"] == {"pids": 512, "memory_bytes": 1 << 30, "cpu": 1}, s["limits"]
assert s["hostname"] == "jail-" + sys.argv[2] and s["on_error"] == "deny", s
assert d["jail"]["sessions"] >= 1 and d["jail"]["init_pid"] > 1, d["jail"]
assert d["jail"]["config"] == "current" and d["config"]["valid"] is True, d
' "$json" "$U" "$UJ_GROUP" 2>&1; then pass "status --json: decision, limits, live jail, config current"
else fail "status --json: decision, limits, live jail, config current" "$json"; fi
json=$("$UJ_HELPER" status --json --config "$UJ_CONF" "$A" 2>&1)
if python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["decision"] == "not_jailed" and d["exempt"] is True and d["pattern"] == sys.argv[2], d
assert d["settings"] is None, d
' "$json" "$A" 2>&1; then pass "status --json: exempt user"
else fail "status --json: exempt user" "$json"; fi
# quotes, a backslash and a tab in a path: still valid JSON, same text back
odd="$UJ_TMP/we\"ird\\na	me.conf"
cp "$UJ_CONF" "$odd"
json=$("$UJ_HELPER" status --json --config "$odd" "$U" 2>&1)
if python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["config"]["file"] == sys.argv[2], (d["config"], sys.argv[2])
' "$json" "$odd" 2>&1; then pass "status --json: a path with quote, backslash, tab is escaped"
else fail "status --json: a path with quote, backslash, tab is escaped" "$json"; fi
rm -f "$odd"
out=$("$UJ_HELPER" status --json --config "$UJ_CONF" nosuchuser-ujt 2>/dev/null)
expect_eq "status --json of an unknown user: nothing on stdout" "" "$out"

# ---- did you mean ------------------------------------------------------------------
# "uj" -> "ju": one swap from $U (live jail) and $A (in exempt), at least
# two edits from any other test's ujt<tag><n>.
for cmd in status stop enter; do
  out=$("$UJ_HELPER" "$cmd" "ju${U#uj}" 2>&1)
  rc=$?
  expect_eq "$cmd ju${U#uj}: exit 1" 1 "$rc"
  expect_match "$cmd: misspelt user with a live jail: did you mean" \
    "unknown user 'ju${U#uj}' \\(did you mean '$U'\\?\\)" "$out"
done
out=$("$UJ_HELPER" status --config "$UJ_CONF" "ju${A#uj}" 2>&1)
expect_match "status: misspelt user named in the config: did you mean" \
  "unknown user 'ju${A#uj}' \\(did you mean '$A'\\?\\)" "$out"
out=$("$UJ_HELPER" status --config "$UJ_CONF" zz-nosuch-ujt 2>&1)
expect_eq "status: unknown user far from every candidate: no suggestion" \
  "userjail status: unknown user 'zz-nosuch-ujt'" "$out"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
"$UJ_HELPER" stop "$U" >/dev/null 2>&1
expect_gone "latency/status: nothing left" "$U"

# ---- refusals by the module itself -------------------------------------------
# A PAM service whose helper= is missing, then one whose helper answers
# nothing (/bin/false): refused, and counted under reason="helper".
svc=ujt-nohelper-$UJ_TAG
UJ_CLEANUP_HOOKS+=("rm -f /etc/pam.d/$svc")
helper_refusals() { "$UJ_HELPER" metrics | sed -n 's/^userjail_logins_refused_total{reason="helper"} //p'; }
for h in /nonexistent-ujt/userjail /bin/false; do
  uj_pam_file "/etc/pam.d/$svc" 0
  echo "session required $UJ_MODULE config=$UJ_CONF helper=$h" >>"/etc/pam.d/$svc"
  before=$(helper_refusals)
  out=$(timeout 60 pamtester "$svc" "$U" open_session close_session 2>&1)
  rc=$?
  after=$(helper_refusals)
  check "helper=$h: the login is refused" test "$rc" -ne 0
  check "helper=$h: counted as refused, reason helper ($before -> $after)" \
    test "${after:-0}" -ge $((${before:-0} + 1))
done
rm -f "/etc/pam.d/$svc"

# ---- check-config warnings and --json ---------------------------------------
uj_write_conf "exempt = [ \"nosuchuser-ujt\" ];
binds = ( { source = \"/nonexistent-ujt\"; } );
rules = ( { match = [ \"@$UJ_GROUP\" ]; }, { match = [ \"$U\" ]; } );"
out=$("$UJ_HELPER" check-config "$UJ_CONF" 2>&1)
rc=$?
expect_eq "check-config with warnings only: exit 0" 0 "$rc"
expect_match "warning: unknown user" "^$UJ_CONF:1: warning: user 'nosuchuser-ujt' in exempt does not exist" "$out"
expect_match "warning: missing bind source" "^$UJ_CONF:2: warning: bind source '/nonexistent-ujt' does not exist" "$out"
expect_match "warning: shadowed rule (the user is in the group of rule 1)" \
  "^$UJ_CONF:3: warning: rule 2 never applies" "$out"
json=$("$UJ_HELPER" check-config --json "$UJ_CONF" 2>&1)
if python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["ok"] is True and d["errors"] == [], d
assert any(w["line"] == 2 and "does not exist" in w["message"] for w in d["warnings"]), d
' "$json" 2>&1; then pass "check-config --json: ok, warnings with lines"
else fail "check-config --json: ok, warnings with lines" "$json"; fi
broken_conf
json=$("$UJ_HELPER" check-config --json "$UJ_CONF" 2>&1)
if python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["ok"] is False and d["errors"][0]["line"] > 0, d
' "$json" 2>&1; then pass "check-config --json: errors with lines"
else fail "check-config --json: errors with lines" "$json"; fi
good_conf

# ---- bash completion, installed by make install -----------------------------
if make -s -C "$UJ_ROOT" install DESTDIR="$UJ_TMP/stage" >/dev/null 2>&1; then
  comp=$(find "$UJ_TMP/stage" -path '*bash-completion/completions/userjail')
  check "make install installs the bash completion" test -n "$comp"
  out=$(bash -c 'source "$1"; COMP_WORDS=(userjail st); COMP_CWORD=1; _userjail; echo "${COMPREPLY[*]}"' sh "$comp")
  expect_eq "completion: subcommands" "status stop" "$out"
  out=$(bash -c 'source "$1"; COMP_WORDS=(userjail stop --g); COMP_CWORD=2; _userjail; echo "${COMPREPLY[*]}"' sh "$comp")
  expect_eq "completion: options of a subcommand" "--grace" "$out"
else
  fail "make install DESTDIR=... for the completion"
fi

# ---- 4. a monitor started by an older helper -------------------------------
# The first commit of the current layout predates config stamps: its
# monitors send the 32-byte version-1 info reply.
OLD=c440434
if git -C "$UJ_ROOT" cat-file -e "$OLD^{commit}" 2>/dev/null; then
  mkdir -p "$UJ_TMP/old"
  git -C "$UJ_ROOT" archive "$OLD" | tar -x -C "$UJ_TMP/old"
  if make -s -C "$UJ_TMP/old" build/userjail >"$UJ_TMP/old-build.log" 2>&1; then
    "$UJ_TMP/old/build/userjail" run --config "$UJ_CONF" "$U" -- sleep 120 </dev/null >/dev/null 2>&1 &
    holder=$!
    UJ_CLEANUP_HOOKS+=("kill $holder")
    wait_until 10 has_jail "$U"
    expect_eq "old monitor: list (new) shows its session" 1 "$(uj_list_field "$U" sessions)"
    out=$("$UJ_HELPER" status --config "$UJ_CONF" "$U" 2>&1)
    expect_match "old monitor: status shows the jail, config unknown" \
      "config +unknown \\(its monitor predates config stamps\\)" "$out"
    out=$(uj_run "$U" -- hostname 2>&1)
    expect_eq "old monitor: a new helper joins its jail" "jail-$U" "$out"
    check "old monitor: a new stop ends it" "$UJ_HELPER" stop "$U"
    wait "$holder" 2>/dev/null
    expect_gone "old monitor: nothing left" "$U"
  else
    fail "build the helper of $OLD" "$(tail -5 "$UJ_TMP/old-build.log")"
  fi
else
  skip "old monitor compatibility" "commit $OLD not in this checkout"
fi

uj_summary
