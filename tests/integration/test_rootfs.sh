#!/bin/bash
# Image roots: `userjail mkrootfs` and rootfs = "/dir" with an ephemeral or
# persistent overlay upper. What a user sees over ssh: only the programs
# the image holds; writes outside home persist only with a persistent upper
# and only for that user; a symlink planted in a persistent upper is never
# followed; set-id bits in an image do nothing (nosuid).
# A Debian image made by debootstrap is tried too (cached under
# /var/cache/userjail-test/; skipped when debootstrap or the mirror is missing).
source "$(dirname "$0")/lib.sh"
uj_init

IMG=$UJ_TMP/img
STATE=/var/lib/userjail
UIDS=()
# the helper keeps persistent uppers in /var/lib/userjail/UID: ours go too
purge_state() { local u; for u in "${UIDS[@]}"; do rm -rf "${STATE:?}/$u"; done; }
UJ_CLEANUP_HOOKS+=("purge_state")

# ---- mkrootfs -------------------------------------------------------------
out=$("$UJ_HELPER" mkrootfs "$IMG" --bin bash ls cat 2>&1)
rc=$?
expect_eq "mkrootfs succeeds" 0 "$rc"
expect_match "mkrootfs prints each copy" "copy /usr/bin/bash -> $IMG/usr/bin/bash" "$out"
expect_match "mkrootfs copies the dynamic loader" "ld-linux[^ ]*\.so\.2" "$out"
check "bash in the image" test -x "$IMG/usr/bin/bash"
check "libc in the image" test -e "$IMG/lib/x86_64-linux-gnu/libc.so.6"
if [ -L /bin ]; then
  expect_eq "merged-/usr link kept" "usr/bin" "$(readlink "$IMG/bin")"
fi
expect_eq "no set-id or group/other-writable file in the image" "" \
  "$(find "$IMG" -type f \( -perm -4000 -o -perm -2000 -o -perm -020 -o -perm -002 \) -print)"
expect_eq "every file in the image is root's" "" "$(find "$IMG" ! -user root -print)"
check "the image runs as a chroot (all libraries found)" chroot "$IMG" /bin/bash -c 'ls / >/dev/null'

out=$("$UJ_HELPER" mkrootfs "$IMG" --bin bash 2>&1)
rc=$?
expect_ne "mkrootfs refuses a non-empty DIR without --force" 0 "$rc"
expect_match "... and says why" "not empty" "$out"
out=$("$UJ_HELPER" mkrootfs "$UJ_TMP/img-missing" --bin ujt-no-such-program 2>&1)
rc=$?
expect_ne "mkrootfs fails for an unknown program" 0 "$rc"
expect_match "... naming it" "ujt-no-such-program" "$out"
check "... and creates nothing" test ! -e "$UJ_TMP/img-missing"

# A shared scratch directory (like /tmp, but on the overlay) so that a user
# can write outside home; and a set-uid copy of id, added by hand.
install -d -m 1777 "$IMG/data"
cp /usr/bin/id "$IMG/usr/bin/suid-id"
chmod 4755 "$IMG/usr/bin/suid-id"
"$UJ_HELPER" mkrootfs "$IMG" --force --bin id >/dev/null 2>&1 # libraries of id
chmod 4755 "$IMG/usr/bin/suid-id"

A=$(uj_new_user)
B=$(uj_new_user)
uj_user_create "$A"
uj_user_create "$B"
UIDS+=("$(uj_uid "$A")" "$(uj_uid "$B")")
UID_A=$(uj_uid "$A")
rm -rf "${STATE:?}/$UID_A" "${STATE:?}/$(uj_uid "$B")"

uj_conf_basic "rootfs = \"$IMG\";
upper = \"persistent\";"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }

# ---- over ssh: only the image's programs --------------------------------
out=$(uj_ssh "$A" 'echo SHELL-OK; echo $(ls /usr/bin); for p in sed grep python3 su; do command -v $p || echo "none-$p"; done' 2>&1)
expect_match "login over ssh works in an image root" "^SHELL-OK" "$out"
expect_eq "the jail holds only the image's programs" "bash cat id ls suid-id" "$(sed -n 2p <<<"$out")"
expect_eq "programs not in the image are not there" "none-sed none-grep none-python3 none-su" \
  "$(sed -n '3,$p' <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
out=$(uj_ssh "$A" 'cat /etc/passwd' 2>&1)
expect_match "the user's account resolves inside (host passwd bound)" "^$A:" "$out"

# ---- set-uid in the image does nothing -----------------------------------
out=$(uj_ssh "$A" '/usr/bin/suid-id -u' 2>&1)
expect_eq "set-uid file in the image runs without privilege (nosuid)" "$UID_A" "$out"

# ---- persistence ---------------------------------------------------------
uj_ssh "$A" 'echo kept-by-A >/data/a-file' >/dev/null 2>&1
wait_until 6 uj_nothing_left "$A"
out=$(uj_ssh "$A" 'cat /data/a-file' 2>&1)
expect_eq "persistent upper: a write survives logout" "kept-by-A" "$out"
check "persistent upper holds it on the host" test -f "$STATE/$UID_A/upper/data/a-file"
check "the image itself is unchanged" test ! -e "$IMG/data/a-file"
expect_eq "per-user state dir is root-only" "700 root" "$(stat -c '%a %U' "$STATE/$UID_A")"
out=$(uj_ssh "$B" 'ls -A /data; echo END' 2>&1)
expect_eq "another user on the same image does not see it" "END" "$out"
wait_until 6 uj_nothing_left "$A"
wait_until 6 uj_nothing_left "$B"

# ---- a symlink planted in the persistent upper is not followed -----------
before=$(uj_host_mounts)
for d in tmp proc; do
  rm -rf "${STATE:?}/$UID_A/upper/$d"
  ln -s /etc "$STATE/$UID_A/upper/$d"
  uj_syslog_mark
  out=$(uj_ssh "$A" "echo RAN; ls /$d/shadow 2>&1; cat /proc/self/mountinfo 2>/dev/null | grep -c ' /etc '" 2>&1)
  if grep -q '^RAN' <<<"$out"; then
    expect_nomatch "planted /$d symlink: not followed" "^/$d/shadow$" "$out"
  else
    pass "planted /$d symlink: login refused, nothing followed"
  fi
  check "planted /$d symlink: host /etc untouched" test -f /etc/shadow
  expect_eq "planted /$d symlink: host mount table unchanged" "$before" "$(uj_host_mounts)"
  rm -f "$STATE/$UID_A/upper/$d"
  wait_until 6 uj_nothing_left "$A"
done

# ---- ephemeral upper -----------------------------------------------------
uj_conf_basic "rootfs = \"$IMG\";
upper = \"ephemeral\";"
uj_ssh "$B" 'echo gone >/data/b-file; cat /data/b-file' >/dev/null 2>&1
wait_until 6 uj_nothing_left "$B"
out=$(uj_ssh "$B" 'ls -A /data; echo END' 2>&1)
expect_eq "ephemeral upper: writes are gone after logout" "END" "$out"
check "ephemeral upper: nothing kept on the host" test ! -e "$STATE/$(uj_uid "$B")/upper/data/b-file"
wait_until 6 uj_nothing_left "$B"

# ---- an image that is not root's, or writable by others, is refused -------
chmod 0777 "$IMG"
out=$(uj_ssh "$B" 'echo RAN' 2>&1)
expect_nomatch "world-writable image: login refused" "^RAN" "$out"
chmod 0755 "$IMG"
wait_until 6 uj_nothing_left "$B"

# ---- Debian image by debootstrap (optional) ------------------------------
CACHE=/var/cache/userjail-test
DEB=$CACHE/debian-bookworm
MIRROR=${UJ_DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ ! -x "$DEB/bin/bash" ]; then
  if ! command -v debootstrap >/dev/null; then
    skip "debootstrap image" "debootstrap not installed"
  elif ! timeout 10 bash -c "exec 3<>/dev/tcp/${MIRROR#http://}" 2>/dev/null &&
    ! curl -fsS -m 10 -o /dev/null "$MIRROR/dists/bookworm/Release" 2>/dev/null; then
    skip "debootstrap image" "mirror $MIRROR unreachable"
  else
    mkdir -p "$CACHE"
    rm -rf "$DEB.partial"
    if timeout 900 debootstrap --variant=minbase bookworm "$DEB.partial" "$MIRROR" \
      >"$UJ_TMP/debootstrap.log" 2>&1; then
      mv "$DEB.partial" "$DEB"
    else
      rm -rf "$DEB.partial"
      skip "debootstrap image" "debootstrap failed: $(tail -1 "$UJ_TMP/debootstrap.log")"
    fi
  fi
fi
if [ -x "$DEB/bin/bash" ]; then
  chown root:root "$DEB" && chmod 0755 "$DEB"
  uj_conf_basic "rootfs = \"$DEB\";
upper = \"ephemeral\";"
  out=$(uj_ssh "$A" '. /etc/os-release; echo "$ID"; command -v apt-get; id -un' 2>&1)
  expect_eq "debootstrap image: a Debian userland over ssh" "debian
/usr/bin/apt-get
$A" "$out"
fi

uj_summary
