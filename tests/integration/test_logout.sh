#!/bin/bash
# on_logout = kill and linger (check 10).
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic
U=$(uj_new_user)
uj_user_create "$U"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }
uid=$(uj_uid "$U")

# gone_within N WHAT: nothing of U left N seconds after the last session ended
gone_within() {
  if wait_until "$1" uj_nothing_left "$U"; then pass "$2: nothing left within $1 s"
  else fail "$2: nothing left within $1 s" "$(uj_leftovers "$U")"; fi
}

# --- kill, normal logout with background jobs
out=$(uj_ssh "$U" 'nohup sleep 1000 >/dev/null 2>&1 & setsid sleep 1001 >/dev/null 2>&1 </dev/null & echo started; hostname' 2>&1)
expect_eq "session with background jobs ran in the jail" "started
jail-$U" "$out"
gone_within 5 "on_logout=kill, normal logout"

# --- kill: at logout the session process stays in the user's cgroup (no
# cgroup migration on the logout path) and finishes its logout work there;
# the teardown kills the jail at once but waits for that process before it
# empties the cgroup. One still running after the monitor's wait (3 s) is
# moved out of the cgroup, never killed.
uj_pamtester_setup
if uj_pamrun_build 2>"$UJ_TMP/gcc.err"; then
  out=$(PAMRUN_CGROUP=1 PAMRUN_LINGER_MS=1000 timeout 60 "$UJ_TMP/pamrun" "$UJ_PAMTESTER_SVC" "$U" \
    sh -c 'nohup sleep 1006 >/dev/null 2>&1 & echo "IN $(hostname)"' 2>&1)
  rc=$?
  expect_eq "kill: pamrun session ran in the jail" "IN jail-$U" "$(grep '^IN' <<<"$out")"
  expect_eq "kill: the session process lived through 1 s of logout work (exit 0, no SIGKILL)" 0 "$rc"
  check "kill: after close_session it was still in the user's cgroup" \
    grep -q "^after: .*/userjail/$uid\$" <<<"$out"
  check "kill: the jail's own processes were killed at logout" sh -c "! pgrep -u $uid -f 'sleep 1006'"
  gone_within 5 "on_logout=kill, session process exits 1 s after logout"

  PAMRUN_CGROUP=1 PAMRUN_LINGER_MS=7000 timeout 60 "$UJ_TMP/pamrun" "$UJ_PAMTESTER_SVC" "$U" \
    sh -c 'echo "IN $(hostname)"' >"$UJ_TMP/pamrun.out" 2>&1 &
  pr=$!
  wait_until 20 grep -q '^after:' "$UJ_TMP/pamrun.out"
  if wait_until 5 uj_nothing_left "$U"; then
    pass "kill: a session process still running 3 s after logout does not hold the jail"
  else fail "kill: a session process still running 3 s after logout does not hold the jail" "$(uj_leftovers "$U")"; fi
  check "kill: that process still runs (moved out, not killed)" kill -0 "$pr"
  wait "$pr"
  expect_eq "kill: it exits normally later" 0 "$?"
  check "kill: it had been moved out of the user's cgroup" \
    sh -c "grep -q '^later:' $UJ_TMP/pamrun.out && ! grep -q '^later: .*/userjail/$uid\$' $UJ_TMP/pamrun.out"
else
  fail "build pamrun" "$(cat "$UJ_TMP/gcc.err")"
fi

# --- kill, sshd's [priv] process killed with SIGKILL: close_session never
# runs. The jail ends with the session process alone (the monitor watches
# it), even while the client stays connected and sshd's unprivileged child
# (which inherited the session connection) lives on.
for how in "client stays connected" "client disconnects" "user sshd child killed too"; do
  : >"$UJ_TMP/bg.out"
  uj_ssh_bg "$U" 'nohup sleep 1002 >/dev/null 2>&1 & echo "IN $(hostname)"; sleep 1003'
  bg=$UJ_BG_PID
  wait_until 15 grep -q '^IN ' "$UJ_TMP/bg.out"
  expect_eq "long session is jailed ($how)" "IN jail-$U" "$(cat "$UJ_TMP/bg.out")"
  priv=$(pgrep -f "sshd[^ ]*: $U \\[priv\\]")
  child=$(pgrep -f "sshd[^ ]*: $U@notty")
  expect_match "found the session's sshd [priv] process" '^[0-9]+$' "$priv"
  [ -n "$priv" ] && kill -9 $priv
  case "$how" in
    "client disconnects") kill "$bg" ;;
    "user sshd child killed too") [ -n "$child" ] && kill -9 $child ;;
  esac
  gone_within 5 "on_logout=kill, sshd [priv] killed -9, $how"
  kill "$bg" 2>/dev/null
  wait "$bg" 2>/dev/null
done

# --- linger: background processes (nohup, tmux) survive until userjail stop
uj_conf_basic 'on_logout = "linger";'
has_tmux=0
command -v tmux >/dev/null && has_tmux=1
out=$(uj_ssh "$U" "nohup sleep 1004 >/dev/null 2>&1 & [ $has_tmux = 1 ] && tmux new-session -d -s ujt 'sleep 1005'; echo ok" 2>&1)
expect_eq "linger session ran" ok "$out"
sleep 2
check "linger: nohup sleep survives logout" pgrep -u "$uid" -f 'sleep 1004'
[ $has_tmux = 1 ] && check "linger: tmux session survives logout" pgrep -u "$uid" -f 'sleep 1005'
check "linger: jail state kept" test -n "$(uj_state_files "$uid")"
out=$(uj_ssh "$U" "pgrep -f 'sleep 1004' >/dev/null && echo SEEN; [ $has_tmux = 1 ] && tmux ls" 2>&1)
expect_match "linger: next login sees the nohup job" '^SEEN' "$out"
[ $has_tmux = 1 ] && expect_match "linger: next login sees the tmux session" '^ujt:' "$out"
expect_eq "linger: list says linger" true "$(uj_list_field "$U" linger)"
check "userjail stop USER succeeds" "$UJ_HELPER" stop "$U"
gone_within 5 "linger, after userjail stop"

uj_summary
