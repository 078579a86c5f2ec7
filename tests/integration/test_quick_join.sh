#!/bin/bash
# Later logins through the jail's monitor (quick_join, helper/jail/quick.c):
# what such a login gets is what the helper's path gives, and a change of
# the config file, an expired grant or quick_join = 0 sends the next login
# through the helper again.
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic 'on_logout = "linger";'
U=$(uj_new_user)
uj_user_create "$U"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }
uid=$(uj_uid "$U")

# Which way a login came in, from `userjail metrics` (the admin's view):
# mark, log in, then login_path says "quick" (the monitor let it in),
# "helper" (the helper did: create or join) or "none" (not jailed).
# Counters are machine-wide: run-all runs tests one at a time.
count() { "$UJ_HELPER" metrics 2>/dev/null | awk -v k="$1" '$1 == "userjail_login_seconds_count{kind=\"" k "\"}" { print $2 }'; }
mark() { M_Q=$(count quick) M_J=$(count join) M_C=$(count create); }
login_path() {
  if [ "$(count quick)" != "$M_Q" ]; then echo quick
  elif [ "$(count join)" != "$M_J" ] || [ "$(count create)" != "$M_C" ]; then echo helper
  else echo none; fi
}

# --- the first login makes the jail (helper), the next comes in quick
mark
out=$(uj_ssh "$U" hostname 2>&1)
expect_eq "first login runs in the jail" "jail-$U" "$out"
expect_eq "first login goes through the helper" helper "$(login_path)"

mark
out=$(uj_ssh "$U" 'hostname; ls /proc | grep -c "^[0-9]"; cat /proc/1/comm; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; cat /proc/self/cgroup' 2>&1)
expect_eq "second login comes in the quick way" quick "$(login_path)"
expect_eq "quick login: its shell runs in the jail (hostname)" "jail-$U" "$(sed -n 1p <<<"$out")"
check "quick login: pid 1 is the jail's init, not the host's" \
  grep -qx "userjail-init" <<<"$(sed -n 3p <<<"$out")"
expect_match "quick login: the session's seccomp filter is installed" '^Seccomp:[[:space:]]+2$' "$out"
expect_match "quick login: no_new_privs is set" '^NoNewPrivs:[[:space:]]+1$' "$out"
expect_match "quick login: the shell is in the user's cgroup" "userjail/$uid\$" "$out"
check "quick login: sees only the jail's processes (fewer than 20)" \
  test "$(sed -n 2p <<<"$out")" -lt 20

# an sftp session and scp copy through the quick way too
echo "quick data" >"$UJ_TMP/q.txt"
mark
uj_scp "$UJ_TMP/q.txt" "$U@127.0.0.1:q.txt"
expect_eq "scp through a quick login wrote into the user's home" "quick data" "$(cat "/home/$U/q.txt" 2>/dev/null)"
expect_eq "scp came in the quick way" quick "$(login_path)"

# --- metrics count it
expect_match "metrics count quick logins" 'userjail_login_seconds_count\{kind="quick"\} [1-9]' \
  "$("$UJ_HELPER" metrics 2>&1)"

# --- any change of the config text: the next login runs the helper (which
# leaves a new grant), the one after is quick again
uj_conf_basic 'on_logout = "linger";
# an edit'
mark
out=$(uj_ssh "$U" hostname 2>&1)
expect_eq "after a config edit: the login still runs in the live jail" "jail-$U" "$out"
expect_eq "after a config edit: the next login goes through the helper" helper "$(login_path)"
mark
uj_ssh "$U" true
expect_eq "...and the one after comes in quick again" quick "$(login_path)"

# --- the edit that matters: the user is exempted while the jail runs. The
# very next login must follow the new policy (unjailed), not the grant.
uj_conf_basic "on_logout = \"linger\";
exempt = [ \"$U\" ];"
mark
out=$(uj_ssh "$U" hostname 2>&1)
expect_eq "exempted while the jail runs: the next login is not jailed" "$(hostname)" "$out"
expect_eq "exempted: nothing came in the quick way" none "$(login_path)"

# --- a user removed from every rule (not matched any more): not jailed at once
uj_write_conf "hostname = \"jail-%u\";
on_logout = \"linger\";
rules = ( { match = [ \"nobody-$U\" ]; } );"
mark
out=$(uj_ssh "$U" hostname 2>&1)
expect_eq "no rule matches any more: the next login is not jailed" "$(hostname)" "$out"

# --- a ttl: after quick_join seconds the helper checks again
uj_conf_basic 'on_logout = "linger";
quick_join = 2;'
uj_ssh "$U" true
mark
uj_ssh "$U" true
expect_eq "quick_join = 2: a login right after is quick" quick "$(login_path)"
sleep 3
mark
uj_ssh "$U" true
expect_eq "quick_join = 2: a login 3 s later goes through the helper" helper "$(login_path)"

# --- quick_join = 0: every login runs the helper
uj_conf_basic 'on_logout = "linger";
quick_join = 0;'
for i in 1 2; do
  mark
  out=$(uj_ssh "$U" hostname 2>&1)
  expect_eq "quick_join = 0: login $i runs in the jail" "jail-$U" "$out"
  expect_eq "quick_join = 0: login $i goes through the helper" helper "$(login_path)"
done

# --- a config file that turns group-writable: no quick login from it
uj_conf_basic 'on_logout = "linger";'
uj_ssh "$U" true
chmod 0664 "$UJ_CONF"
mark
uj_ssh "$U" true >/dev/null 2>&1
expect_ne "a group-writable config file: no quick login" quick "$(login_path)"
chmod 0644 "$UJ_CONF"

# --- the quick way keeps the monitor's limits: a jail that ends refuses no
# one, the next login makes a new jail through the helper
uj_ssh "$U" true
"$UJ_HELPER" stop "$U" >/dev/null 2>&1
mark
out=$(uj_ssh "$U" hostname 2>&1)
expect_eq "after stop: the next login makes a new jail" "jail-$U" "$out"
expect_eq "after stop: through the helper" helper "$(login_path)"

# --- config errors name the key and the fix
uj_write_conf 'quick_join = -1;'
expect_match "check-config: a negative quick_join is refused with the range" \
  "quick_join must be a whole number of seconds from 0 \\(off\\) to 86400" \
  "$("$UJ_HELPER" check-config "$UJ_CONF" 2>&1)"
uj_write_conf 'rules = ( { match = [ "x" ]; quick_join = 5; } );'
expect_match "check-config: quick_join inside a rule is refused" \
  "quick_join is only allowed at the top level" "$("$UJ_HELPER" check-config "$UJ_CONF" 2>&1)"

"$UJ_HELPER" stop "$U" >/dev/null 2>&1
uj_summary
