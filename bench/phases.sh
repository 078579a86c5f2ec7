#!/bin/bash
# Where one login's time goes: runs CMD (pamtester with pam_userjail.so)
# under `perf trace` (kernel tracepoints: a few microseconds per traced
# syscall, so the timeline stays close to an untraced run; strace's ptrace
# stops would multiply it), then cuts the timeline at marker syscalls:
#
#   clone/clone3 (module spawns helper) -> execve (helper) -> flock (user's
#   lock: start-up, passwd/group lookup, config and policy are done) ->
#   [first login: clone3 (init) -> write "G" (the monitor made the cgroup
#   while the init builds) -> init's write "OK" (root built)] -> helper's
#   sendmsg to the module -> module's last setns. A quick later login
#   (no helper): the module's sendmsg to the monitor -> its last setns.
#
# usage: phases.sh OUTPREFIX SECTION CMD...   (as root)
# Prints results.csv rows (section SECTION, one row per phase, in ms) and
# keeps the trace in OUTPREFIX.trace. Needs perf (Debian: linux-perf).
set -euo pipefail
out=$1 section=$2
shift 2
command -v perf >/dev/null || { echo "phases.sh: perf not installed" >&2; exit 0; }
perf trace -o "$out.trace" -e 'execve,execveat,clone,clone3,flock,write,sendmsg,recvmsg,setns,exit_group' \
  -- "$@" >/dev/null 2>"$out.err" || { echo "phases.sh: perf trace failed: $(head -3 "$out.err")" >&2; exit 0; }

awk -v sec="$section" '
  function ev(name, t) { if (!(name in T)) T[name] = t }
  {
    line = $0
    if ($1 == "?") next
    t = $1 + 0
    d = 0
    if (match(line, /\( *[0-9.]+ ms\)/)) { s = substr(line, RSTART + 1, RLENGTH - 2); gsub(/[ ms]/, "", s); d = s + 0 }
    # "COMM/PID SYSCALL(...": COMM may hold blanks ("userjail-mon u")
    rest = substr(line, index(line, "): ") + 3)
    if (!match(rest, /\/[0-9]+ /)) next
    pid = substr(rest, RSTART + 1, RLENGTH - 2)
    rest = substr(rest, RSTART + RLENGTH)
    sub(/^ +/, "", rest)
    cont = (substr(rest, 1, 3) == "...")
    if (cont) { rest = substr(rest, index(rest, "]: ") + 3) }
    sc = rest; sub(/\(.*/, "", sc)
    ret = ""
    r = line
    if (sub(/.* = /, "", r)) { split(r, rv, " "); ret = rv[1] }
    if (A == "") A = pid
    # the module starts the helper with posix_spawn (clone3 or clone)
    if (pid == A && (sc == "clone" || sc == "clone3")) { ev("fork", t); if (H == "" && ret ~ /^[0-9]+$/) H = ret }
    else if (pid == A && sc == "sendmsg" && !("fork" in T)) ev("quick", t)
    else if (pid == H && sc == "execve") ev("exec", t)
    else if (pid == H && sc == "flock") ev("flock", t)
    else if (sc == "clone3" && !cont && pid != A && pid != H) { M = pid; I = ret; ev("clone3", t) }
    else if (pid == M && sc == "write" && ("clone3" in T) && index(line, "count: 1)")) ev("go", t + d)
    else if (pid == I && sc == "write" && index(line, "count: 2)")) ev("init_ok", t + d)
    else if (pid == H && sc == "sendmsg" && index(line, "(fd: 3,")) ev("send", t + d)
    else if (pid == A && sc == "setns") T["setns"] = t + d
  }
  function row(item, a, b) {
    if ((a in T) && (b in T)) printf "%s,%s,1,0,%.2f,,,,ms,,,,,\n", sec, item, T[b] - T[a]
  }
  END {
    row("module: fork+exec helper", "fork", "exec")
    row("helper: start-up+user+config+policy", "exec", "flock")
    if ("clone3" in T) {
      row("helper+monitor: fork monitor .. clone3 init", "flock", "clone3")
      row("monitor: cgroup mkdir+limits (init building)", "clone3", "go")
      row("init: clone3 .. mounts+pivot_root", "clone3", "init_ok")
      row("helper: session request+send fds", "init_ok", "send")
    } else {
      row("helper: connect+session request+send", "flock", "send")
    }
    row("module: cgroup join+setns", "send", "setns")
    row("total: spawn helper .. last setns", "fork", "setns")
    # a quick login: no helper (helper/jail/quick.c)
    row("quick: module asks the monitor .. last setns", "quick", "setns")
  }' "$out.trace"
