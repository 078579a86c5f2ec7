#!/bin/bash
# 50 concurrent first logins of one user make exactly one jail (check 4),
# through the admin CLI and through sshd.
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic
U=$(uj_new_user)
uj_user_create "$U"
W=$(uj_new_user)
uj_user_create "$W"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }
hostns=$(readlink /proc/self/ns/pid)

# Each session sleeps so that all 50 overlap: one jail must serve them all.
mkdir -p "$UJ_TMP/run"
pids=() spids=()
for i in $(seq 50); do
  uj_run "$U" -- sh -c 'echo "NS $(readlink /proc/self/ns/pid)"; sleep 6' \
    >"$UJ_TMP/run/$i.out" 2>&1 &
  pids+=($!)
done
sleep 2
socks=$(ls /run/userjail/"$(uj_uid "$U")".sock 2>/dev/null | wc -l)
inits=$(uj_list_field "$U" init_pid)
wait "${pids[@]}"
ok=$(cat "$UJ_TMP"/run/*.out | grep -c '^NS pid:')
nss=$(cat "$UJ_TMP"/run/*.out | grep '^NS ' | sort -u)
expect_eq "all 50 parallel 'userjail run' sessions ran" 50 "$ok"
expect_eq "all 50 report the same pid namespace" 1 "$(grep -c . <<<"$nss")"
expect_nomatch "that namespace is not the host's" "$hostns" "$nss"
expect_eq "one jail socket while they run" 1 "$socks"
expect_match "userjail list shows one jail init for the user" '^[0-9]+$' "$inits"
[ "$ok" -eq 50 ] || uj_log "failures: $(grep -vh '^NS ' "$UJ_TMP"/run/*.out | sort | uniq -c | head)"
wait_until 6 uj_nothing_left "$U"
expect_gone "jail gone after all 50 sessions ended" "$U"

# The same through sshd: 30 concurrent first logins of another user.
mkdir -p "$UJ_TMP/ssh"
for i in $(seq 30); do
  uj_ssh "$W" 'echo "NS $(readlink /proc/self/ns/pid)"; sleep 10' >"$UJ_TMP/ssh/$i.out" 2>&1 &
  spids+=($!)
done
wait "${spids[@]}"
ok=$(cat "$UJ_TMP"/ssh/*.out | grep -c '^NS pid:')
nss=$(cat "$UJ_TMP"/ssh/*.out | grep '^NS ' | sort -u)
expect_eq "all 30 parallel ssh logins ran" 30 "$ok"
expect_eq "all 30 ssh logins share one pid namespace" 1 "$(grep -c . <<<"$nss")"
expect_nomatch "that namespace is not the host's" "$hostns" "$nss"
[ "$ok" -eq 30 ] || uj_log "failures: $(grep -vh '^NS ' "$UJ_TMP"/ssh/*.out | sort | uniq -c | head)"
wait_until 6 uj_nothing_left "$W"
expect_gone "jail gone after all ssh sessions ended" "$W"

uj_summary
