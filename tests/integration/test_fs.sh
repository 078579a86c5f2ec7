#!/bin/bash
# What the filesystem looks like inside the jail (check 6): read-only system
# dirs, writable home, other homes hidden, private size-limited tmpfs, minimal
# /dev, masked /proc files, jail /etc/hostname and /etc/hosts, wtmp record.
source "$(dirname "$0")/lib.sh"
uj_init
uj_conf_basic
U=$(uj_new_user)
uj_user_create "$U"
V=$(uj_new_user)
uj_user_create "$V" 0
chmod 0755 "/home/$V"
echo secret >"/home/$V/visible-if-leaked"
HOSTMARK=/tmp/ujt-$UJ_TAG.hostmark
JAILMARK=/tmp/ujt-$UJ_TAG.jailmark
UJ_CLEANUP_HOOKS+=("rm -f $HOSTMARK $JAILMARK")
touch "$HOSTMARK"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }

out=$(uj_ssh "$U" "
for p in /usr /etc /bin /lib /sbin; do echo \"OPT \$p \$(findmnt -n -o OPTIONS -T \$p)\"; done
touch /usr/ujt-x 2>/dev/null && echo TOUCH_USR_OK
echo jailfile >~/created-in-jail && echo HOME_WRITE_OK
ls -A /home | tr '\n' ' ' | sed 's/^/HOMES /'; echo
test -e /home/$V/visible-if-leaked && echo OTHER_HOME_VISIBLE
for p in /tmp /var/tmp /dev/shm; do echo \"FS \$p \$(findmnt -n -o FSTYPE,OPTIONS -T \$p)\"; done
test -e $HOSTMARK && echo HOST_TMP_VISIBLE
touch $JAILMARK
dd if=/dev/zero of=/tmp/big bs=1M count=80 2>/dev/null && echo TMP_UNLIMITED; rm -f /tmp/big
echo \"DEV \$(ls -A /dev | sort | tr '\n' ' ')\"
for f in kcore keys sysrq-trigger timer_list; do
  echo \"PROC \$f \$(head -c 64 /proc/\$f 2>/dev/null | wc -c) \$(awk -v m=/proc/\$f '\$5==m{print \"masked\"}' /proc/self/mountinfo | head -1)\"
done
echo x 2>/dev/null >/proc/sysrq-trigger && echo SYSRQ_WRITABLE
echo \"MQ \$(findmnt -n -o FSTYPE,OPTIONS /dev/mqueue)\"
echo \"PROCSYS \$(findmnt -n -o OPTIONS -T /proc/sys)\"
echo \"ETCHOSTNAME \$(cat /etc/hostname)\"
grep -q \"jail-$U\" /etc/hosts && echo HOSTS_OK
" 2>&1)
uj_log "jail view: $out"

for p in /usr /etc /bin /lib /sbin; do
  o=$(grep "^OPT $p " <<<"$out" | cut -d' ' -f3)
  if [[ ",$o," == *,ro,* && ",$o," == *,nosuid,* && ",$o," == *,nodev,* ]]; then
    pass "$p is mounted ro,nosuid,nodev"
  else fail "$p is mounted ro,nosuid,nodev" "options: ${o:-<none>}"; fi
done
expect_nomatch "touch /usr/x fails" TOUCH_USR_OK "$out"
expect_match "home is writable" HOME_WRITE_OK "$out"
check "file made in jail home appears on host, owned by the user" \
  test "$(stat -c %U:%s "/home/$U/created-in-jail" 2>/dev/null)" = "$U:9"
expect_eq "only the user's own home under /home" "HOMES $U " "$(grep '^HOMES' <<<"$out")"
expect_nomatch "another user's home is not visible" OTHER_HOME_VISIBLE "$out"
for p in /tmp /var/tmp /dev/shm; do
  expect_match "$p is a tmpfs (nosuid,nodev)" "^FS $p tmpfs .*nosuid.*nodev" "$(grep "^FS $p " <<<"$out")"
done
expect_match "/tmp size is tmp_size (64M)" "^FS /tmp .*size=65536k" "$(grep '^FS /tmp ' <<<"$out")"
expect_nomatch "host /tmp file not visible in jail /tmp" HOST_TMP_VISIBLE "$out"
check "jail /tmp file does not appear in host /tmp" test ! -e "$JAILMARK"
expect_nomatch "writing 80M to a 64M /tmp fails" TMP_UNLIMITED "$out"

dev=$(grep '^DEV ' <<<"$out" | cut -d' ' -f2-)
allowed=" core fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero "
extra=
for d in $dev; do [[ "$allowed" == *" $d "* ]] || extra+="$d "; done
for d in null zero full random urandom tty ptmx pts shm; do
  [[ " $dev " == *" $d "* ]] || extra+="(missing $d) "
done
if [ -n "$dev" ] && [ -z "$extra" ]; then pass "/dev has only the minimal set"
else fail "/dev has only the minimal set" "jail /dev: $dev" "unexpected: $extra"; fi
for f in keys timer_list; do
  expect_match "/proc/$f is empty or unreadable" "^PROC $f 0" "$(grep "^PROC $f " <<<"$out")"
done
# kcore and sysrq-trigger are root-only anyway; keys and timer_list are
# world-readable on the host, so the jail must mask them.
for f in kcore sysrq-trigger; do
  expect_match "/proc/$f is empty or unreadable" "^PROC $f 0" "$(grep "^PROC $f " <<<"$out")"
done
for f in timer_list keys; do
  expect_match "/proc/$f is masked by a mount" "^PROC $f [0-9]+ masked" "$(grep "^PROC $f " <<<"$out")"
done
expect_nomatch "/proc/sysrq-trigger not writable" SYSRQ_WRITABLE "$out"
# /dev/mqueue is tolerated only as the jail's own mqueue fs, locked down
mq=$(grep '^MQ ' <<<"$out" | cut -d' ' -f2-)
if [ -z "$mq" ] || [[ "$mq" == mqueue*nosuid*nodev*noexec* ]]; then pass "/dev/mqueue absent or an own nosuid,nodev,noexec mqueue"
else fail "/dev/mqueue absent or an own nosuid,nodev,noexec mqueue" "$mq"; fi
o=$(grep '^PROCSYS ' <<<"$out" | cut -d' ' -f2)
if [[ ",$o," == *,ro,* ]]; then pass "/proc/sys is read-only"; else fail "/proc/sys is read-only" "options: ${o:-<none>}"; fi
expect_eq "/etc/hostname shows the jail hostname" "ETCHOSTNAME jail-$U" "$(grep '^ETCHOSTNAME' <<<"$out")"
expect_match "/etc/hosts has the jail hostname" HOSTS_OK "$out"
check "host /etc/hostname untouched" test "$(cat /etc/hostname)" = "$(hostname)"

# wtmp: sshd records pty logins; after setns its write must reach the host file
uj_ssh_tty "$U" 'true' >/dev/null 2>&1
wait_until 6 uj_nothing_left "$U"
out=$(last -w -F "$U" 2>&1 | grep "^$U ")
expect_match "host wtmp (last) records the jailed ssh login" "^$U +pts/" "$out"

uj_summary
