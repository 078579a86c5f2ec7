#!/bin/bash
# ssh login lands in the jail: namespaces, hostname, process view, pty, sftp,
# scp, shared jail for concurrent sessions, host mount table untouched,
# fd and capability hygiene (checks 1, 2, 3, 5, 8).
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic
U=$(uj_new_user)
uj_user_create "$U"
mounts_before=$(uj_host_mounts)
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }

# --- 1. namespaces, hostname, process view
out=$(uj_ssh "$U" 'echo "HOST=$(hostname)"; echo "INIT=$(tr "\0" " " </proc/1/cmdline)";
  for n in mnt pid uts ipc; do echo "NS_$n=$(readlink /proc/self/ns/$n)"; done;
  echo "COMMS=$(cat /proc/[0-9]*/comm 2>/dev/null | sort -u | tr "\n" " ")";
  echo "NPROC=$(ls -d /proc/[0-9]* | wc -l)"; echo "WHO=$(id -un)"' 2>&1)
rc=$?
expect_eq "ssh command runs (exit 0)" 0 "$rc"
expect_eq "ssh runs as the user" "WHO=$U" "$(grep '^WHO=' <<<"$out")"
expect_eq "hostname is the jail's" "HOST=jail-$U" "$(grep '^HOST=' <<<"$out")"
host_init=$(tr '\0' ' ' </proc/1/cmdline)
jail_init=$(grep '^INIT=' <<<"$out" | cut -d= -f2-)
expect_ne "/proc/1/cmdline is not the host's init" "${jail_init:-<empty>}" "$host_init"
for n in mnt pid uts ipc; do
  expect_ne "ns $n differs from host" "$(grep "^NS_$n=" <<<"$out" | cut -d= -f2)" "$(readlink /proc/self/ns/$n)"
done
comms=$(grep '^COMMS=' <<<"$out")
host_init_comm=$(cat /proc/1/comm)
expect_nomatch "no host process visible (kthreadd, host init)" "kthreadd|( |=)$host_init_comm( |$)" "$comms"
nproc=$(grep '^NPROC=' <<<"$out" | cut -d= -f2)
if [ -n "$nproc" ] && [ "$nproc" -lt 15 ]; then pass "jail /proc lists only a few processes ($nproc)"
else fail "jail /proc lists only a few processes" "$out"; fi

# --- 2. pty, sftp, scp
out=$(uj_ssh_tty "$U" 'tty; echo "PIDNS=$(readlink /proc/self/ns/pid)"; hostname' 2>&1 | tr -d '\r')
expect_match "pty session gets a tty" '^/dev/pts/[0-9]+' "$out"
expect_match "pty session is in the jail (hostname)" "^jail-$U\$" "$out"
expect_ne "pty session pid ns differs from host" "$(grep '^PIDNS=' <<<"$out" | cut -d= -f2)" "$(readlink /proc/self/ns/pid)"

head -c 100000 /dev/urandom >"$UJ_TMP/up.bin"
printf 'put %s sftp-up.bin\nget sftp-up.bin %s\n' "$UJ_TMP/up.bin" "$UJ_TMP/down.bin" >"$UJ_TMP/batch"
out=$(uj_sftp "$U" "$UJ_TMP/batch" 2>&1)
expect_eq "sftp batch put/get succeeds" 0 "$?"
check "sftp put lands in the home, owned by the user" \
  test "$(stat -c %U "/home/$U/sftp-up.bin" 2>/dev/null)" = "$U"
check "sftp get returns the same bytes" cmp "$UJ_TMP/up.bin" "$UJ_TMP/down.bin"
out=$(uj_scp "$UJ_TMP/up.bin" "$U@127.0.0.1:scp-up.bin" 2>&1)
expect_eq "scp upload succeeds" 0 "$?"
check "scp upload lands in the home" cmp "$UJ_TMP/up.bin" "/home/$U/scp-up.bin"
out=$(uj_scp "$U@127.0.0.1:scp-up.bin" "$UJ_TMP/scp-down.bin" 2>&1)
check "scp download returns the same bytes" cmp "$UJ_TMP/up.bin" "$UJ_TMP/scp-down.bin"

# --- 3. two concurrent sessions share one jail
: >"$UJ_TMP/bg.out"
uj_ssh_bg "$U" 'echo "S1 $(readlink /proc/self/ns/pid)"; sleep 15'
b1=$UJ_BG_PID
wait_until 15 grep -q '^S1 ' "$UJ_TMP/bg.out"
uj_ssh_bg "$U" 'echo "S2 $(readlink /proc/self/ns/pid)"; sleep 15'
b2=$UJ_BG_PID
wait_until 15 grep -q '^S2 ' "$UJ_TMP/bg.out"
s1=$(grep '^S1 ' "$UJ_TMP/bg.out" | cut -d' ' -f2)
s2=$(grep '^S2 ' "$UJ_TMP/bg.out" | cut -d' ' -f2)
if [ -n "$s1" ] && [ "$s1" = "$s2" ] && [ "$s1" != "$(readlink /proc/self/ns/pid)" ]; then
  pass "two concurrent sessions share one jail pid ns"
else fail "two concurrent sessions share one jail pid ns" "$(cat "$UJ_TMP/bg.out")"; fi
wait_until 3 test "$(uj_list_field "$U" sessions)" = 2
expect_eq "userjail list shows 2 sessions" 2 "$(uj_list_field "$U" sessions)"

# --- 8. fd and capability hygiene (same time: the jail already lives)
out=$(uj_ssh "$U" 'ls -l /proc/self/fd; grep ^Cap /proc/self/status' 2>&1)
fds=$(awk '$9 ~ /^[0-9]+$/ {print $9}' <<<"$out" | tr '\n' ' ')
# ls: 0 1 2 plus the directory fd ls itself opened (3)
extra=$(awk '$9 ~ /^[0-9]+$/ && $9 > 3 {print}' <<<"$out")
if [ -z "$extra" ] && [ -n "$fds" ]; then pass "only fds 0-2 (+ls's own) in a jailed command ($fds)"
else fail "only fds 0-2 (+ls's own) in a jailed command" "$out"; fi
expect_nomatch "no socket fd leaks into the jail" 'socket:' "$(awk '$9 ~ /^[0-9]+$/ && $9 > 2' <<<"$out")"
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
  expect_match "$c is zero" "^$c:[[:space:]]+0+\$" "$(grep "^$c:" <<<"$out")"
done
out=$(uj_ssh_tty "$U" 'ls -l /proc/self/fd' 2>&1 | tr -d '\r')
extra=$(awk '$9 ~ /^[0-9]+$/ && $9 > 3 && $11 !~ /^\/dev\/(pts\/|tty)/ {print}' <<<"$out")
if [ -z "$extra" ]; then pass "pty session: no extra fds beyond tty and ls's dir"
else fail "pty session: no extra fds beyond tty and ls's dir" "$out"; fi

kill "$b1" "$b2" 2>/dev/null
wait "$b1" "$b2" 2>/dev/null

# --- 5. host mount table unchanged after login + logout
wait_until 6 uj_nothing_left "$U"
mounts_after=$(uj_host_mounts)
if [ "$mounts_before" == "$mounts_after" ]; then pass "host mount table unchanged after login+logout"
else fail "host mount table unchanged after login+logout" \
  "$(diff <(echo "$mounts_before") <(echo "$mounts_after"))"; fi

uj_summary
