#!/bin/bash
# network = "none": the jail has only a loopback, and it is up (check 14);
# network = "host" shares the host's interfaces.
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic 'network = "none";'
U=$(uj_new_user)
uj_user_create "$U"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }

out=$(uj_ssh "$U" 'echo "IFS $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\n" " ")";
  echo "NETNS $(readlink /proc/self/ns/net)"; ip -o link show lo; ip -o addr show lo;
  echo "HOST $(hostname)"' 2>&1)
expect_eq "ssh into a network=none jail works" "HOST jail-$U" "$(grep '^HOST' <<<"$out")"
expect_eq "only lo in /proc/net/dev" "IFS lo " "$(grep '^IFS' <<<"$out")"
expect_ne "net namespace differs from host" "$(grep '^NETNS' <<<"$out" | cut -d' ' -f2)" "$(readlink /proc/self/ns/net)"
expect_match "loopback is up" '^1: lo: <[^>]*\bUP\b' "$(grep '^1: lo:' <<<"$out")"
expect_match "loopback has 127.0.0.1" 'inet 127\.0\.0\.1/8' "$out"
out=$(uj_ssh "$U" 'ping -c1 -W3 127.0.0.1 >/dev/null && echo PING-OK; grep CapEff /proc/self/status' 2>&1)
expect_match "ping works without capabilities (ping_group_range of the jail)" "PING-OK" "$out"
expect_match "...from a shell with no capability" "CapEff:[[:space:]]*0+$" "$out"
wait_until 6 uj_nothing_left "$U"

# userjail run sees the same
out=$(uj_run "$U" -- sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "' 2>&1)
expect_eq "run: only lo" lo "$out"
wait_until 6 uj_nothing_left "$U"

uj_conf_basic 'network = "host";'
out=$(uj_ssh "$U" 'readlink /proc/self/ns/net' 2>&1)
expect_eq "network=host shares the host's net namespace" "$(readlink /proc/self/ns/net)" "$out"
uj_summary
