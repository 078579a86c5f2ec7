#!/bin/bash
# network = "private": each jail has its own network namespace, connected to
# the world by pasta. From the users' side: outbound TCP, UDP (DNS) and ping
# reach a test server; two users' servers on the same localhost port are
# separate; ssh -L / -R land in the user's own namespace; the host's loopback
# is not reachable except an allowed port; nothing reaches into a jail; pasta
# runs unprivileged, once per jail (concurrent first logins too), and is gone
# after logout and `userjail stop`; a missing, failing or hanging pasta
# refuses the login with a message naming it and leaves nothing behind.
#
# The "world" is a test network namespace behind a veth pair (10.199.N.0/30):
# never an outside address.
source "$(dirname "$0")/lib.sh"
uj_init

for t in ip curl python3 ping dnsmasq busybox; do
  command -v "$t" >/dev/null || { fail "tool $t installed (.ci/packages)"; uj_summary; exit 1; }
done
[ -x /usr/bin/pasta ] || { fail "pasta installed (package passt)"; uj_summary; exit 1; }

# --- the test world: netns + veth, an HTTP and a DNS server in it ----------
N=$((UJ_TAG % 250 + 1))
NET=10.199.$N
WORLD=ujt-$UJ_TAG-w
VH=ujh$UJ_TAG
ip netns add "$WORLD" || { fail "create test netns"; uj_summary; exit 1; }
UJ_CLEANUP_HOOKS+=("ip link del $VH" "ip netns del $WORLD")
ip link add "$VH" type veth peer name ujw0 netns "$WORLD"
ip addr add "$NET.1/30" dev "$VH"
ip link set "$VH" up
ip -n "$WORLD" addr add "$NET.2/30" dev ujw0
ip -n "$WORLD" link set ujw0 up
ip -n "$WORLD" link set lo up
mkdir -p "$UJ_TMP/www" "$UJ_TMP/hostwww" "$UJ_TMP/allowwww"
echo "world-$UJ_TAG" >"$UJ_TMP/www/marker"
head -c 64M /dev/zero >"$UJ_TMP/www/big"
echo "host-lo-$UJ_TAG" >"$UJ_TMP/hostwww/marker"
echo "allowed-$UJ_TAG" >"$UJ_TMP/allowwww/marker"
ip netns exec "$WORLD" python3 -m http.server -b "$NET.2" 8080 -d "$UJ_TMP/www" >/dev/null 2>&1 &
UJ_CLEANUP_HOOKS+=("kill $!")
ip netns exec "$WORLD" dnsmasq -k -C /dev/null --no-resolv --no-hosts --bind-interfaces \
  --listen-address="$NET.2" --address="/ujt-dns.test/$NET.2" --pid-file >/dev/null 2>&1 &
UJ_CLEANUP_HOOKS+=("kill $!")
# host loopback services: one the jail must not reach, one it is allowed
HPORT=$(uj_free_port)
APORT=$(uj_free_port)
python3 -m http.server -b 127.0.0.1 "$HPORT" -d "$UJ_TMP/hostwww" >/dev/null 2>&1 &
UJ_CLEANUP_HOOKS+=("kill $!")
python3 -m http.server -b 127.0.0.1 "$APORT" -d "$UJ_TMP/allowwww" >/dev/null 2>&1 &
UJ_CLEANUP_HOOKS+=("kill $!")
wait_until 10 uj_port_open "$HPORT"
wait_until 10 uj_port_open "$APORT"
wait_until 10 curl -sf "http://$NET.2:8080/marker"
# pasta answers the jail's pings with ping sockets as its own uid (nobody):
# the host must allow that group, as the man page says. Only nogroup, only
# for the test's duration.
range0=$(cat /proc/sys/net/ipv4/ping_group_range)
read -r lo hi <<<"$range0"
if [ "$lo" -gt 65534 ] || [ "$hi" -lt 65534 ]; then
  echo "65534 65534" >/proc/sys/net/ipv4/ping_group_range
  UJ_CLEANUP_HOOKS+=("echo '$range0' >/proc/sys/net/ipv4/ping_group_range")
fi

A=$(uj_new_user)
uj_user_create "$A"
B=$(uj_new_user)
uj_user_create "$B"
uj_conf_basic "network = \"private\"; network_allow_host_ports = [ $APORT ];"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }

# curl from inside: prints the body, or "ERR <curl exit code>"
fetch='f() { curl -s -m 3 "$1" || echo "ERR $?"; }'

# --- outbound -----------------------------------------------------------
out=$(uj_ssh "$A" "$fetch; echo NETNS \$(readlink /proc/self/ns/net); f http://$NET.2:8080/marker" 2>&1)
expect_ne "private: own network namespace" "$(readlink /proc/self/ns/net)" "$(sed -n 's/^NETNS //p' <<<"$out")"
expect_match "outbound TCP reaches the test server" "^world-$UJ_TAG\$" "$out"
out=$(uj_ssh "$A" "busybox nslookup ujt-dns.test $NET.2" 2>&1)
expect_match "DNS (UDP) to the test server resolves" "Address:? *$NET\.2\$" "$out"
out=$(uj_ssh "$A" "ping -c1 -W3 127.0.0.1 >/dev/null && echo LO-OK; ping -c1 -W3 $NET.2 >/dev/null && echo OUT-OK; grep CapEff /proc/self/status" 2>&1)
expect_match "ping own loopback without capabilities" "LO-OK" "$out"
expect_match "ping the test server (through pasta)" "OUT-OK" "$out"
expect_match "...and the pinging shell has no capability" "CapEff:[[:space:]]*0+\$" "$out"
out=$(uj_ssh "$A" 'ip link set lo down 2>&1 && echo LINK-CHANGED; ip addr add 10.9.9.9/32 dev lo 2>&1 && echo ADDR-CHANGED' 2>&1)
expect_nomatch "user cannot reconfigure its network namespace" "CHANGED" "$out"

# --- the host's loopback --------------------------------------------------
out=$(uj_ssh "$A" "$fetch; gw=\$(ip route | sed -n 's/^default via \([^ ]*\).*/\1/p'); echo GW \$gw
  echo LO \$(f http://127.0.0.1:$HPORT/marker); echo LO6 \$(f http://[::1]:$HPORT/marker)
  echo VIAGW \$(f http://\$gw:$HPORT/marker); echo ALLOWED \$(f http://127.0.0.1:$APORT/marker)" 2>&1)
expect_match "jail has a default route via pasta's gateway" "^GW [0-9]" "$out"
expect_match "host 127.0.0.1:$HPORT not reachable from the jail" "^LO ERR [0-9]+\$" "$out"
expect_match "host [::1]:$HPORT not reachable from the jail" "^LO6 ERR [0-9]+\$" "$out"
expect_match "host loopback not reachable via the gateway address" "^VIAGW ERR [0-9]+\$" "$out"
expect_match "allowed host port $APORT is reachable" "^ALLOWED allowed-$UJ_TAG\$" "$out"

# --- two users, one port; ssh -L; nothing reaches in ------------------------
PORT=$(uj_free_port)
SOLO=$(uj_free_port)
serve() { # serve USER PORT BIND: a server in USER's jail saying USER; UJ_BG_PID
  uj_ssh_bg "$1" "mkdir -p /tmp/s$2 && echo \"$1\" >/tmp/s$2/who && exec python3 -m http.server -b $3 $2 -d /tmp/s$2"
  UJ_CLEANUP_HOOKS+=("kill $UJ_BG_PID")
}
serve "$A" "$PORT" 127.0.0.1
PA=$UJ_BG_PID
serve "$B" "$PORT" 127.0.0.1
PB=$UJ_BG_PID
serve "$A" "$SOLO" 0.0.0.0
PS=$UJ_BG_PID
wait_until 20 uj_ssh "$A" "curl -sf http://127.0.0.1:$PORT/who && curl -sf http://127.0.0.1:$SOLO/who"
wait_until 20 uj_ssh "$B" "curl -sf http://127.0.0.1:$PORT/who"
expect_eq "user A reaches its own server on 127.0.0.1:$PORT" "$A" \
  "$(uj_ssh "$A" "curl -s -m 3 http://127.0.0.1:$PORT/who" 2>&1)"
expect_eq "user B reaches its own server on the same port, at the same time" "$B" \
  "$(uj_ssh "$B" "curl -s -m 3 http://127.0.0.1:$PORT/who" 2>&1)"
out=$(uj_ssh "$B" "$fetch; gw=\$(ip route | sed -n 's/^default via \([^ ]*\).*/\1/p')
  for a in 127.0.0.1 \$gw \$(hostname -I); do echo \"\$a \$(f http://\$a:$SOLO/who)\"; done" 2>&1)
expect_nomatch "B's jail cannot reach A's server (lo, gateway, own address)" "$A" "$out"
expect_match "...B tried each address" "ERR" "$out"
out=$(curl -s -m 3 "http://127.0.0.1:$SOLO/who"; echo " $(curl -s -m 3 "http://127.0.0.1:$PORT/who")"; for a in $(hostname -I); do curl -s -m 3 "http://$a:$SOLO/who"; done)
expect_nomatch "the host cannot reach a jail's server (pasta forwards nothing in)" "$A|$B" "$out"

LA=$(uj_free_port)
LB=$(uj_free_port)
ssh "${UJ_SSH_OPTS[@]}" -i "$UJ_TMP/client_key" -p "$UJ_PORT" -N -o ExitOnForwardFailure=yes \
  -L "$LA:127.0.0.1:$PORT" "$A@127.0.0.1" </dev/null >>"$UJ_TMP/fwd.out" 2>&1 &
FA=$!
UJ_CLEANUP_HOOKS+=("kill $FA")
ssh "${UJ_SSH_OPTS[@]}" -i "$UJ_TMP/client_key" -p "$UJ_PORT" -N -o ExitOnForwardFailure=yes \
  -L "$LB:127.0.0.1:$PORT" "$B@127.0.0.1" </dev/null >>"$UJ_TMP/fwd.out" 2>&1 &
FB=$!
UJ_CLEANUP_HOOKS+=("kill $FB")
wait_until 15 uj_port_open "$LA"
wait_until 15 uj_port_open "$LB"
expect_eq "ssh -N -L as A lands in A's namespace" "$A" "$(curl -s -m 5 "http://127.0.0.1:$LA/who")"
expect_eq "ssh -N -L as B lands in B's namespace (same port)" "$B" "$(curl -s -m 5 "http://127.0.0.1:$LB/who")"
# ssh -R: the listener is in the jail (the command there reaches it), not on the host
RP=$(uj_free_port)
out=$(timeout 60 ssh "${UJ_SSH_OPTS[@]}" -i "$UJ_TMP/client_key" -p "$UJ_PORT" -o ExitOnForwardFailure=yes \
  -R "$RP:127.0.0.1:$HPORT" "$A@127.0.0.1" "sleep 1; curl -s -m 5 http://127.0.0.1:$RP/marker" </dev/null 2>&1 &
  sleep 2.5; echo "HOST $(curl -s -m 2 "http://127.0.0.1:$RP/marker" || echo none)"; wait)
expect_match "ssh -R binds in the jail (reachable from the jail)" "^host-lo-$UJ_TAG\$" "$out"
expect_match "...and not on the host" "^HOST none\$" "$out"

# --- pasta: unprivileged, counted in the user's cgroup, gone after logout ---
uidA=$(uj_uid "$A")
pasta_pids() { # pasta daemons in UID's cgroup (not their short-lived helper clones)
  local c p pp
  for c in /sys/fs/cgroup/pids/userjail/$1 /sys/fs/cgroup/unified/userjail/$1 /sys/fs/cgroup/userjail/$1; do
    [ -f "$c/cgroup.procs" ] || continue
    for p in $(cat "$c/cgroup.procs"); do
      case $(cat "/proc/$p/comm" 2>/dev/null) in pasta*|passt*) ;; *) continue ;; esac
      pp=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
      case $(cat "/proc/$pp/comm" 2>/dev/null) in pasta*|passt*) ;; *) echo "$p" ;; esac
    done
    return 0
  done
}
PP=$(pasta_pids "$uidA" | head -1)
if [ -n "$PP" ]; then
  pass "pasta runs in the user's cgroup"
  st=$(cat "/proc/$PP/status")
  expect_match "pasta runs as nobody, not root" "^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534" "$(grep ^Uid: <<<"$st")"
  expect_match "pasta runs under seccomp with no_new_privs" "^Seccomp:[[:space:]]+2" "$(grep ^Seccomp: <<<"$st")"
  expect_ne "pasta is not in the jail's pid namespace" "$(readlink "/proc/$PP/ns/pid")" "$(uj_jail_pidns "$A")"
else
  fail "pasta runs in the user's cgroup" "$(uj_leftovers "$A")"
fi
kill "$PA" "$PS" 2>/dev/null
kill "$FA" 2>/dev/null
wait_until 10 bash -c "! kill -0 $PP 2>/dev/null"
expect_gone "A logged out: nothing left" "$A" 10
if [ -n "$PP" ] && ! kill -0 "$PP" 2>/dev/null; then pass "A's pasta is gone after logout"
else fail "A's pasta is gone after logout" "$(ps -o pid,user,args -p "$PP")"; fi
expect_eq "B's server still there after A left" "$B" "$(uj_ssh "$B" "curl -s -m 3 http://127.0.0.1:$PORT/who" 2>&1)"
kill "$PB" 2>/dev/null
kill "$FB" 2>/dev/null
expect_gone "B logged out: nothing left" "$B" 10

# --- throughput through pasta (noted, not asserted) ---------------------------
out=$(uj_ssh "$A" "ip -o link show | awk '\$2 != \"lo:\" { print \"MTU\", \$2, \$5 }'
  curl -s -m 30 -o /dev/null -w 'SPEED %{speed_download}\n' http://$NET.2:8080/big" 2>&1)
uj_log "through pasta: $(grep -E '^(MTU|SPEED)' <<<"$out" | tr '\n' ' ')(64 MiB from the test server)"
expect_match "64 MiB download through pasta completes" "^SPEED [1-9]" "$out"
wait_until 6 uj_nothing_left "$A"

# --- concurrent first logins of one user: one jail, one pasta; stop ends it ---
runs=()
for i in 1 2 3 4; do
  uj_run "$A" -- sleep 3 >/dev/null 2>&1 &
  runs+=($!)
done
sleep 2
n=$(pasta_pids "$uidA" | wc -l)
expect_eq "4 concurrent first logins: exactly one pasta" 1 "$n"
[ "$n" = 1 ] || ps -o pid,ppid,user,comm,args $(pasta_pids "$uidA") | sed 's/^/      | /'
wait "${runs[@]}"
expect_gone "concurrent logins ended: nothing left" "$A"
uj_conf_basic "network = \"private\"; on_logout = \"linger\";"
uj_run "$A" -- true >/dev/null 2>&1
PP=$(pasta_pids "$uidA" | head -1)
if [ -n "$PP" ]; then pass "linger jail keeps its pasta after the session"
else fail "linger jail keeps its pasta after the session" "$(uj_leftovers "$A")"; fi
"$UJ_HELPER" stop "$A" >/dev/null 2>&1
expect_gone "userjail stop: nothing left" "$A"
if [ -n "$PP" ] && ! kill -0 "$PP" 2>/dev/null; then pass "userjail stop: pasta gone"
else fail "userjail stop: pasta gone" "$(ps -o pid,user,args -p "$PP")"; fi

# --- pasta missing or failing: no jail, login refused, message names pasta ---
refused() { # refused WHAT PASTA REGEX
  local out log
  uj_conf_basic "network = \"private\"; pasta = \"$2\";"
  uj_syslog_mark
  out=$(uj_ssh "$A" 'echo COMMAND-RAN' 2>&1)
  log=$(uj_syslog_since)
  expect_nomatch "$1: login refused (on_error = deny)" COMMAND-RAN "$out"
  expect_match "$1: the client's message names pasta" "$3" "$out"
  if [ -n "$UJ_SYSLOG" ]; then expect_match "$1: syslog names pasta" "$3" "$log"
  else skip "$1: syslog names pasta" "no syslog capture"; fi
  expect_gone "$1: nothing left (process, state, cgroup)" "$A"
  expect_eq "$1: no pasta left in the user's cgroup" "" "$(pasta_pids "$uidA")"
  out=$(uj_run "$A" -- echo COMMAND-RAN 2>&1)
  expect_match "$1: userjail run fails naming pasta" "$3" "$out"
  expect_gone "$1: run leaves nothing" "$A"
}
refused "pasta missing" "/nonexistent/ujt-$UJ_TAG/pasta" "pasta \(/nonexistent/ujt-$UJ_TAG/pasta\) failed: cannot run it: No such file"
refused "pasta fails" "/bin/false" "pasta \(/bin/false\) failed"
# a pasta that never finishes: the monitor gives up after its timeout and
# kills it with every process it left (the monitor is their subreaper)
HANG=$UJ_TMP/pasta-hang
printf '#!/bin/sh\nsleep 4242%s &\nsleep 4243%s\n' "$UJ_TAG" "$UJ_TAG" >"$HANG"
chmod 0755 "$HANG"
refused "pasta hangs" "$HANG" "pasta \($HANG\) did not set up the network in [0-9]+ ms"
expect_eq "pasta hangs: nothing it started is left" "" "$(pgrep -f "sleep 424[23]$UJ_TAG")"
# on_error = allow: the login goes on without a jail (as for every setup error)
uj_conf_basic "network = \"private\"; pasta = \"/nonexistent/ujt-$UJ_TAG/pasta\"; on_error = \"allow\";"
out=$(uj_ssh "$A" 'echo "RAN $(readlink /proc/self/ns/net)"' 2>&1)
expect_eq "pasta missing, on_error = allow: login proceeds unjailed" "RAN $(readlink /proc/self/ns/net)" "$(grep '^RAN' <<<"$out")"
expect_gone "pasta missing, allow: nothing left" "$A"
uj_summary
