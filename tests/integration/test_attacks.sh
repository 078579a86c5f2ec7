#!/bin/bash
# Attacks from the jailed user's side (issue 9): each is tried and must fail,
# and afterwards nothing is left behind and the next login works.
#   - the default seccomp filter (keyring, TIOCSTI/TIOCLINUX, kexec, modules,
#     bpf, perf, userfaultfd, open_by_handle_at, new user namespaces), its
#     per-rule switches, and that ordinary work still runs under it
#   - `userjail run` from an admin's terminal: the command gets a new pty or
#     pipes, never the admin's tty, and cannot type into the admin's shell
#   - an image a host user could change (0777 /etc, group-writable /usr/bin)
#     is refused with a clear message; NSS names like user@domain can be
#     named in a rule
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic
U=$(uj_new_user)
uj_user_create "$U"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }
gcc -O2 -Wall -pthread -o "$UJ_TMP/probe" "$UJ_ROOT/tests/integration/attack_probe.c" ||
  { fail "probe builds"; exit 1; }
install -m 0755 -o "$U" "$UJ_TMP/probe" "/home/$U/probe"

# field NAME OUTPUT: the value the probe printed for NAME
field() { sed -n "s/^$1=//p" <<<"$2" | head -1; }

# --- seccomp: the attack calls fail in an ssh session (no pty) and in a pty
out=$(uj_ssh "$U" './probe; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status' 2>&1)
expect_match "ssh session runs under a seccomp filter" '^Seccomp:[[:space:]]+2$' "$out"
expect_match "ssh session has no_new_privs" '^NoNewPrivs:[[:space:]]+1$' "$out"
for k in keyctl add_key request_key TIOCSTI TIOCSTI_HIGHBITS TIOCLINUX TIOCSTI_FD0 \
  unshare_user clone_user bpf perf_event_open userfaultfd open_by_handle_at kexec_load \
  init_module finit_module delete_module; do
  expect_eq "seccomp: $k refused with EPERM" EPERM "$(field "$k" "$out")"
done
# The 32-bit entry: a machine without one (int 0x80 is a general protection
# fault, SIGSEGV, as in a PVM guest) offers no 32-bit call to filter. Any
# other death (SIGSYS: a filter that kills 32-bit calls) is a failure.
i386=$(field keyctl_i386 "$out")
if [ "$i386" = "NOENTRY 11" ]; then
  skip "seccomp: keyctl_i386 refused with EPERM" "no int 0x80 entry here: it is a SIGSEGV"
else
  expect_eq "seccomp: keyctl_i386 refused with EPERM" EPERM "$i386"
fi
expect_eq "seccomp: clone3 answers ENOSYS (libc falls back to clone)" ENOSYS "$(field clone3 "$out")"
expect_eq "seccomp: threads still start (clone3 fallback)" OK "$(field thread "$out")"
expect_eq "seccomp: fork still works" OK "$(field fork "$out")"
out=$(uj_ssh "$U" 'unshare -U true; echo "rc=$?"' 2>&1)
expect_match "seccomp: unshare -U fails" 'rc=[1-9]' "$out"
out=$(uj_ssh_tty "$U" './probe | grep -E "^(keyctl|TIOCSTI_FD0)="; tty' 2>&1 | tr -d '\r')
expect_match "pty session: TIOCSTI on its tty refused" '^TIOCSTI_FD0=EPERM' "$out"
expect_match "pty session: keyctl refused" '^keyctl=EPERM' "$out"
expect_match "pty session still gets its tty" '^/dev/pts/[0-9]+' "$out"
# ordinary work under the filter
out=$(uj_ssh "$U" 'bash -c "ls / >/dev/null && echo ls-ok"; python3 -c "import threading, subprocess;
t = threading.Thread(target=lambda: None); t.start(); t.join();
print(subprocess.run([\"echo\", \"py-ok\"], capture_output=True, text=True).stdout.strip())"' 2>&1)
expect_match "bash and ls work" '^ls-ok$' "$out"
expect_match "python3 threads and subprocess work" '^py-ok$' "$out"
head -c 50000 /dev/urandom >"$UJ_TMP/up.bin"
printf 'put %s up.bin\nget up.bin %s\n' "$UJ_TMP/up.bin" "$UJ_TMP/down.bin" >"$UJ_TMP/batch"
uj_sftp "$U" "$UJ_TMP/batch" >/dev/null 2>&1
check "sftp works under the filter" cmp "$UJ_TMP/up.bin" "$UJ_TMP/down.bin"
uj_scp "/home/$U/up.bin" "$U@127.0.0.1:scp.bin" >/dev/null 2>&1
check "scp works under the filter" cmp "$UJ_TMP/up.bin" "/home/$U/scp.bin"
out=$(uj_run "$U" -- ./probe 2>&1)
expect_eq "userjail run: keyctl refused too" EPERM "$(field keyctl "$out")"
# userjail enter (into the live jail, as the user and as capability-less root)
uj_run_bg "$U" -- sleep 30
holder=$UJ_BG_PID
wait_until 10 test -n "$(uj_list_field "$U" init_pid)"
out=$(timeout 30 "$UJ_HELPER" enter --user "$U" -- "/home/$U/probe" </dev/null 2>&1 | tr -d '\r')
expect_eq "userjail enter --user: keyctl refused" EPERM "$(field keyctl "$out")"
expect_eq "userjail enter --user: TIOCSTI refused" EPERM "$(field TIOCSTI_FD0 "$out")"
out=$(timeout 30 "$UJ_HELPER" enter "$U" -- "/home/$U/probe" </dev/null 2>&1 | tr -d '\r')
expect_eq "userjail enter (root, no caps): keyctl refused (root's keyring)" EPERM "$(field keyctl "$out")"
expect_eq "userjail enter (root, no caps): unshare -U refused" EPERM "$(field unshare_user "$out")"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
expect_gone "seccomp sessions leave nothing behind" "$U"

# --- the switches: each proves the EPERMs above were the filter's
uj_conf_basic 'seccomp_allow = [ "keyctl", "TIOCSTI" ];'
out=$(uj_ssh "$U" './probe' 2>&1)
expect_eq "seccomp_allow keyctl: keyctl reaches the kernel" OK "$(field keyctl "$out")"
expect_eq "seccomp_allow keyctl: add_key still refused" EPERM "$(field add_key "$out")"
expect_eq "seccomp_allow TIOCSTI: TIOCSTI reaches the kernel" OK "$(field TIOCSTI "$out")"
expect_eq "seccomp_allow TIOCSTI: TIOCLINUX still refused" EPERM "$(field TIOCLINUX "$out")"
uj_conf_basic 'userns = true;'
out=$(uj_ssh "$U" './probe; unshare -U true && echo userns-ok' 2>&1)
expect_eq "userns = true: unshare(CLONE_NEWUSER) reaches the kernel" OK "$(field unshare_user "$out")"
expect_eq "userns = true: clone3 is not hidden" OK "$(field clone3 "$out")"
expect_eq "userns = true: keyctl still refused" EPERM "$(field keyctl "$out")"
uj_conf_basic 'seccomp = false;'
out=$(uj_ssh "$U" './probe; grep -E "^Seccomp:" /proc/self/status' 2>&1)
expect_match "seccomp = false: no filter" '^Seccomp:[[:space:]]+0$' "$out"
for k in keyctl add_key TIOCSTI clone3 unshare_user; do
  expect_eq "seccomp = false: $k reaches the kernel" OK "$(field "$k" "$out")"
done
out=$(uj_write_conf 'seccomp_allow = [ "mount" ]; rules = ( { match = [ "x" ]; } );'
  "$UJ_HELPER" check-config "$UJ_CONF" 2>&1)
expect_match "check-config: an allow-back name the filter does not refuse is an error" \
  "seccomp_allow: 'mount' is not refused" "$out"
uj_conf_basic
expect_gone "nothing left after the seccomp tests" "$U"
out=$(uj_ssh "$U" 'echo next-login-ok' 2>&1)
expect_eq "next login works" next-login-ok "$out"

# --- the kept program (jail/seccomp_cache.c): one per rule setting, and a
# copy that is not this setting's own, or not whole, is never installed
rm -f /run/userjail/seccomp-*.bpf
uj_conf_basic 'seccomp_allow = [ "keyctl" ];'
out=$(uj_ssh "$U" './probe' 2>&1)
expect_eq "kept program: keyctl allowed back by the rule" OK "$(field keyctl "$out")"
allowf=$(ls /run/userjail/seccomp-*.bpf 2>/dev/null)
expect_eq "kept program: one file for that setting" 1 "$(wc -w <<<"$allowf")"
expect_gone "kept program: first jail ended" "$U"
uj_conf_basic
out=$(uj_ssh "$U" './probe' 2>&1)
expect_eq "kept program: default rule refuses keyctl" EPERM "$(field keyctl "$out")"
deff=$(ls /run/userjail/seccomp-*.bpf | grep -vxF "$allowf")
expect_eq "kept program: a second file for the default setting" 1 "$(wc -w <<<"$deff")"
expect_eq "kept program: root's, mode 600" "root 600" "$(stat -c '%U %a' "$deff" 2>&1)"
expect_gone "kept program: second jail ended" "$U"
out=$(uj_ssh "$U" './probe' 2>&1)
expect_eq "kept program read back: keyctl still refused" EPERM "$(field keyctl "$out")"
expect_eq "kept program read back: TIOCSTI still refused" EPERM "$(field TIOCSTI "$out")"
expect_gone "kept program: third jail ended" "$U"
# the allow-back program under the default's name: another rule's program
cp "$allowf" "$deff"
out=$(uj_ssh "$U" './probe' 2>&1)
expect_eq "another rule's program in its place: keyctl still refused" EPERM "$(field keyctl "$out")"
check "another rule's program in its place: replaced by the right one" \
  bash -c "! cmp -s '$allowf' '$deff'"
expect_gone "kept program: fourth jail ended" "$U"
truncate -s 100 "$deff"
out=$(uj_ssh "$U" './probe' 2>&1)
expect_eq "a cut program: keyctl still refused" EPERM "$(field keyctl "$out")"
expect_eq "a cut program: bpf still refused" EPERM "$(field bpf "$out")"
check "a cut program: written whole again" test "$(stat -c %s "$deff")" -gt 100
expect_gone "nothing left after the kept-program checks" "$U"

# --- userjail run from an admin's terminal (tmux gives the admin a real tty)
T=(tmux -L "ujt-$UJ_TAG")
UJ_CLEANUP_HOOKS+=("tmux -L ujt-$UJ_TAG kill-server")
"${T[@]}" new-session -d -x 100 -y 30 "env PS1='$ ' bash --norc --noprofile"
RUN="$UJ_HELPER run --config $UJ_CONF $U --"
# tmux_run CMD DONE-FILE: type CMD at the admin's shell, wait for DONE-FILE
tmux_run() {
  rm -f "$2"
  "${T[@]}" send-keys "$1; touch $2" Enter
  wait_until 30 test -e "$2"
}
cat >"/home/$U/inject.py" <<'PY'
import fcntl, sys, termios
try:
    for b in b"touch /tmp/ujt-pwned-TAG\n":
        fcntl.ioctl(0, termios.TIOCSTI, bytes([b]))
    print("inject: done")
except OSError as e:
    print("inject: refused:", e.strerror)
PY
sed -i "s/TAG/$UJ_TAG/" "/home/$U/inject.py"
chown "$U" "/home/$U/inject.py"
# fds.py FILE: what the process's fds 0-2 are, one per line, into FILE
cat >"/home/$U/fds.py" <<'PY'
import os, sys
links = [os.readlink(f"/proc/self/fd/{i}") for i in range(3)]
open(sys.argv[1], "w").write("\n".join(links) + "\n")
PY
chown "$U" "/home/$U/fds.py"
PWNED=/tmp/ujt-pwned-$UJ_TAG
UJ_CLEANUP_HOOKS+=("rm -f $PWNED")

tmux_run "tty > $UJ_TMP/admin-tty; stty -g > $UJ_TMP/stty-before; $RUN sh -c 'python3 fds.py jail-fds; ps -o sess= -p \$\$ > jail-sess; ps -o sess= -p 1 >> jail-sess; exit 6' ; echo \$? > $UJ_TMP/rc; stty -g > $UJ_TMP/stty-after" "$UJ_TMP/done1"
admin_tty=$(cat "$UJ_TMP/admin-tty")
jail_fds=$(cat "/home/$U/jail-fds" 2>/dev/null)
expect_match "run from a terminal: the admin has a pty (test precondition)" '^/dev/pts/[0-9]+$' "$admin_tty"
n=$(grep -c '^/dev/pts/[0-9]*$' <<<"$jail_fds")
expect_eq "run: the command's fds 0-2 are a pty" 3 "$n"
if [ -n "$jail_fds" ] && ! grep -qx "$admin_tty" <<<"$jail_fds"; then
  pass "run: the command's pty is not the admin's tty ($(head -1 <<<"$jail_fds") vs $admin_tty)"
else fail "run: the command's pty is not the admin's tty" "admin $admin_tty" "$jail_fds"; fi
sess=$(tr -s ' \n' ' ' <"/home/$U/jail-sess" 2>/dev/null)
expect_match "run: the command leads a session of its own" '^ ?[0-9]+ [0-9]+ ?$' "$sess"
expect_eq "run (pty): exit status passed through" 6 "$(cat "$UJ_TMP/rc")"
check "run (pty): the admin's terminal settings are restored" cmp "$UJ_TMP/stty-before" "$UJ_TMP/stty-after"

tmux_run "$RUN sh -c 'python3 inject.py > inject-out'" "$UJ_TMP/done2"
sleep 1
expect_match "run: TIOCSTI from the jail is refused (seccomp)" 'refused' "$(cat "/home/$U/inject-out" 2>/dev/null)"
check "run: nothing typed into the admin's shell (seccomp)" test ! -e "$PWNED"
# Without the filter's help: the pty alone must keep the input away from
# the admin. The jailed sh reads back what was pushed, proving TIOCSTI
# worked -- on its own terminal.
uj_conf_basic 'seccomp_allow = [ "TIOCSTI" ];'
tmux_run "$RUN sh -c 'python3 inject.py > inject-out; read -r line; echo \"got: \$line\" >> inject-out'" "$UJ_TMP/done3"
tmux_run "$RUN sh -c 'python3 inject.py > inject-out2'" "$UJ_TMP/done4"
sleep 1
expect_match "run, TIOCSTI allowed: the input lands on the command's own pty" \
  "got: touch $PWNED" "$(cat "/home/$U/inject-out" 2>/dev/null)"
expect_match "run, TIOCSTI allowed: the ioctl itself succeeded" 'inject: done' "$(cat "/home/$U/inject-out2" 2>/dev/null)"
check "run, TIOCSTI allowed: still nothing typed into the admin's shell" test ! -e "$PWNED"
uj_conf_basic

# ptrace: the root-side relay is outside the jail's pid namespace; the jail
# init is root's
cat >"/home/$U/ptrace.py" <<'PY'
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
# walk up: the topmost visible ancestor's parent (the root relay) is pid 0
p = os.getpid()
while True:
    pp = int(open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1])
    if pp == 0:
        break
    p = pp
print("top", p, "parent", pp)
roots = sorted(int(d) for d in os.listdir("/proc") if d.isdigit() and os.stat(f"/proc/{d}").st_uid == 0)
print("rootprocs", " ".join(map(str, roots)))
r = libc.ptrace(16, 1, 0, 0)
print("attach1", r, os.strerror(ctypes.get_errno()))
PY
chown "$U" "/home/$U/ptrace.py"
tmux_run "$RUN sh -c 'python3 ptrace.py > ptrace-out'" "$UJ_TMP/done5"
out=$(cat "/home/$U/ptrace-out" 2>/dev/null)
expect_match "run: the root relay is not visible in the jail (the command's parent is pid 0)" '^top [0-9]+ parent 0$' "$out"
expect_match "run: no root process visible in the jail but its init" '^rootprocs 1$' "$out"
expect_match "run: ptrace of the jail init fails" '^attach1 -1 ' "$out"

# resize forwarding and exit status by signal
rm -f "$UJ_TMP/done6"
"${T[@]}" send-keys "$RUN sh -c 'stty size > size1; sleep 3; stty size > size2'; touch $UJ_TMP/done6" Enter
wait_until 10 test -s "/home/$U/size1"
"${T[@]}" resize-window -x 120 -y 40
wait_until 30 test -e "$UJ_TMP/done6"
expect_eq "run (pty): the initial window size is the admin's" "30 100" "$(cat "/home/$U/size1" 2>/dev/null)"
expect_eq "run (pty): SIGWINCH is forwarded" "40 120" "$(cat "/home/$U/size2" 2>/dev/null)"

# --- userjail run without a terminal: pipes, never a host fd
out=$(printf 'line1\nline2\n' | timeout 30 $RUN sh -c 'cat; readlink /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2; echo err >&2; exit 4' 2>"$UJ_TMP/err")
rc=$?
expect_eq "run (pipes): exit status passed through" 4 "$rc"
expect_eq "run (pipes): stdin data reaches the command" "line1 line2" "$(head -2 <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "run (pipes): fds 0-2 are pipes" 3 "$(grep -c '^pipe:' <<<"$out")"
expect_eq "run (pipes): stderr is relayed to stderr" err "$(cat "$UJ_TMP/err")"
# stdin a pipe but stdout the admin's terminal: still no tty fd inside
tmux_run "echo x | $RUN python3 fds.py fd1" "$UJ_TMP/done8"
expect_eq "run (stdin piped, stdout a terminal): the command's fds 0-2 are all pipes" 3 \
  "$(grep -c '^pipe:' "/home/$U/fd1" 2>/dev/null)"
# stdin a terminal but output captured: pipes too, the bytes unchanged (no \r)
tmux_run "$RUN sh -c 'python3 fds.py fd3; printf \"a\\nb\\n\"' | od -c > $UJ_TMP/od-out" "$UJ_TMP/done9"
expect_eq "run (stdin a terminal, output captured): the command's fds 0-2 are pipes" 3 \
  "$(grep -c '^pipe:' "/home/$U/fd3" 2>/dev/null)"
expect_nomatch "run (output captured): no \\r added" '\\r' "$(cat "$UJ_TMP/od-out")"
expect_match "run (output captured): the bytes arrive" 'a +\\n +b +\\n' "$(cat "$UJ_TMP/od-out")"
out=$(head -c 300000 /dev/urandom | base64 -w0 | timeout 30 $RUN sh -c 'cat | wc -c')
expect_eq "run (pipes): 400000 bytes through stdin arrive whole" 400000 "$out"
expect_gone "run sessions leave nothing behind" "$U"
out=$(uj_ssh "$U" 'echo next-login-ok' 2>&1)
expect_eq "next login after the run attacks works" next-login-ok "$out"

# --- image roots a host user could change are refused
IMG=$UJ_TMP/img
"$UJ_HELPER" mkrootfs "$IMG" --bin bash ls cat id >/dev/null 2>&1 || fail "mkrootfs for the image test"
uj_conf_basic "rootfs = \"$IMG\";"
out=$(uj_ssh "$U" 'id -un' 2>&1)
expect_eq "image: a clean image serves the login" "$U" "$out"
chmod 0777 "$IMG/etc"
uj_syslog_mark
out=$(uj_ssh "$U" 'echo INSIDE' 2>&1)
rc=$?
expect_ne "image with a 0777 /etc: login refused" 0 "$rc"
expect_nomatch "image with a 0777 /etc: no shell ran" INSIDE "$out"
if [ -n "$UJ_SYSLOG" ]; then
  wait_until 10 grep -q "writable by others" <(uj_syslog_since)
  expect_match "image with a 0777 /etc: syslog names /etc" "/etc is writable by others" "$(uj_syslog_since)"
else skip "image with a 0777 /etc: syslog names /etc" "no syslog capture"; fi
out=$(uj_run "$U" -- id -un 2>&1)
expect_match "image with a 0777 /etc: run refused with the reason" \
  "rootfs image $IMG: /etc is writable by others \\(mode 0777\\)" "$out"
expect_gone "image refused: nothing left behind" "$U"
chmod 0755 "$IMG/etc"
chmod g+w "$IMG/usr/bin"
out=$(uj_run "$U" -- id -un 2>&1)
expect_match "image with a group-writable /usr/bin: run refused, naming it" "/usr/bin is writable by group" "$out"
chmod g-w "$IMG/usr/bin"
expect_gone "nothing left after the refused images" "$U"
out=$(uj_ssh "$U" 'id -un' 2>&1)
expect_eq "image fixed: the next login works" "$U" "$out"
# a persistent upper with upper_size: filling it fails at the bound, the
# host's /var/lib is untouched, the loop device goes with the jail
UPIMG=/var/lib/userjail/$(uj_uid "$U")/upper.img
UJ_CLEANUP_HOOKS+=("rm -rf /var/lib/userjail/$(uj_uid "$U")")
rm -rf "/var/lib/userjail/$(uj_uid "$U")"
install -d -m 1777 "$IMG/data"
uj_conf_basic "rootfs = \"$IMG\"; upper = \"persistent\"; upper_size = \"32M\";"
out=$(uj_ssh "$U" 'echo keep > /data/small; cat /dev/zero 2>&1 >/data/big; echo "rc=$?"; ls /data' 2>&1)
expect_match "upper_size: writing past the bound fails (no space)" 'No space left' "$out"
expect_match "upper_size: ... the small file is there" '^small$' "$out"
used=$(du -k "$UPIMG" 2>/dev/null | cut -f1)
if [ -n "$used" ] && [ "$used" -le 33000 ]; then pass "upper_size: the image on the host stays within 32M (${used}K)"
else fail "upper_size: the image on the host stays within 32M" "${used:-no image}K"; fi
expect_gone "upper_size: nothing left behind" "$U"
wait_until 5 test -z "$(losetup -j "$UPIMG" 2>/dev/null)"
expect_eq "upper_size: no loop device left attached" "" "$(losetup -j "$UPIMG" 2>/dev/null)"
out=$(uj_ssh "$U" ': > /data/big; cat /data/small' 2>&1)
expect_eq "upper_size: the next login works and the upper persisted" keep "$out"
expect_gone "upper_size: nothing left after the next login" "$U"
uj_conf_basic
expect_gone "image sessions leave nothing behind" "$U"

# --- NSS names such as user@domain (sssd) can be named in a rule
D="ujt${UJ_TAG}@corp.example.u9"
useradd -m -s /bin/bash "$D" && UJ_USERS+=("$D")
install -d -m 0700 -o "$D" -g "$D" "/home/$D/.ssh"
install -m 0600 -o "$D" -g "$D" "$UJ_TMP/client_key.pub" "/home/$D/.ssh/authorized_keys"
uj_write_conf "rules = ( { match = [ \"$D\" ]; tmp_size = \"16M\"; } );"
out=$("$UJ_HELPER" check-config "$UJ_CONF" 2>&1)
expect_eq "check-config accepts a rule naming $D" 0 "$?"
out=$(uj_ssh "$D" 'id -un; hostname; readlink /proc/self/ns/pid' 2>&1)
expect_eq "user@domain: login runs as that user" "$D" "$(sed -n 1p <<<"$out")"
expect_match "user@domain: the hostname is made valid" '^jail-ujt[0-9]+-corp\.example\.u9$' "$(sed -n 2p <<<"$out")"
expect_ne "user@domain: the session is in a jail" "$(sed -n 3p <<<"$out")" "$(readlink /proc/self/ns/pid)"
expect_gone "user@domain: nothing left behind" "$D"
uj_conf_basic

uj_summary
