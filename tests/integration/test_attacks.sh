#!/bin/bash
# Attacks from the jailed user's side (issue 9): each is tried and must fail,
# and afterwards nothing is left behind and the next login works.
#   - the default seccomp filter (keyring, TIOCSTI/TIOCLINUX, kexec, modules,
#     bpf, perf, userfaultfd, open_by_handle_at, new user namespaces), its
#     per-rule switches, and that ordinary work still runs under it
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
for k in keyctl add_key request_key keyctl_i386 TIOCSTI TIOCSTI_HIGHBITS TIOCLINUX TIOCSTI_FD0 \
  unshare_user clone_user bpf perf_event_open userfaultfd open_by_handle_at kexec_load \
  init_module finit_module delete_module; do
  expect_eq "seccomp: $k refused with EPERM" EPERM "$(field "$k" "$out")"
done
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

uj_summary
