#!/bin/bash
# A configured bind whose source the user controls, replaced by a symlink,
# must not mount the symlink's target into the jail (check 7).
source "$(dirname "$0")/lib.sh"
uj_init
U=$(uj_new_user)
uj_user_create "$U"
SRV=/srv/ujt-$UJ_TAG
SECRET=/srv/ujt-$UJ_TAG.secret
UJ_CLEANUP_HOOKS+=("rm -rf $SRV $SECRET")
mkdir -p "$SRV/a/share" "$SECRET"
chmod 0700 "$SECRET"
echo topsecret >"$SECRET/root-only-marker"
chown -R "$U:$U" "$SRV"
echo hello >"$SRV/a/share/user-file"
chown "$U:$U" "$SRV/a/share/user-file"
uj_conf_basic "binds = ( { source = \"$SRV/a/share\"; destination = \"/srv/share\"; mode = \"rw\"; optional = false; } );"
uj_sshd_start || { fail "sshd starts" "$(tail "$UJ_TMP/sshd.log")"; exit 1; }
as_user() { setpriv --reuid "$U" --regid "$U" --init-groups -- "$@"; }

out=$(uj_ssh "$U" 'cat /srv/share/user-file; hostname' 2>&1)
expect_eq "the bind works while it is a real directory" "hello
jail-$U" "$out"
wait_until 6 uj_nothing_left "$U"

# try_symlink DESCRIPTION: log in after the user planted a symlink
try_symlink() {
  local what=$1 out log
  uj_syslog_mark
  out=$(uj_ssh "$U" 'echo RAN; ls -A /srv/share 2>&1; cat /srv/share/root-only-marker /srv/share/shadow 2>&1 | head -3' 2>&1)
  log=$(uj_syslog_since)
  if grep -q 'topsecret\|^root:' <<<"$out" || grep -Eq '(^|[[:space:]])(shadow|root-only-marker|passwd)([[:space:]]|$)' <<<"$out"; then
    fail "$what: target not mounted" "$out"
  else pass "$what: target not mounted"; fi
  if [ -z "$UJ_SYSLOG" ]; then
    skip "$what: reason logged" "no syslog capture"
  elif grep -q '^RAN' <<<"$out"; then
    # login went on (the bind was refused): it must be said somewhere
    expect_match "$what: refusal logged" 'symlink|ymbolic|ELOOP|too many levels' "$log$(tail -20 "$UJ_TMP/sshd.log")"
  else
    expect_match "$what: denial reason logged (syslog)" "symlink|ymbolic|ELOOP|too many levels|$SRV" "$log"
  fi
  wait_until 6 uj_nothing_left "$U"
  expect_gone "$what: nothing left behind" "$U"
}

# last component replaced by a symlink to /etc (shadow's directory)
as_user mv "$SRV/a/share" "$SRV/a/share.real"
as_user ln -s /etc "$SRV/a/share"
try_symlink "bind source -> /etc"
as_user rm "$SRV/a/share"
as_user ln -s "$SECRET" "$SRV/a/share"
try_symlink "bind source -> root-only dir"
as_user rm "$SRV/a/share"
as_user mv "$SRV/a/share.real" "$SRV/a/share"

# an intermediate component replaced by a symlink
as_user mv "$SRV/a" "$SRV/a.real"
mkdir -p "$SECRET/share" && echo topsecret >"$SECRET/share/root-only-marker"
as_user ln -s "$SECRET" "$SRV/a"
try_symlink "parent of bind source -> root-only dir"
as_user rm "$SRV/a"
as_user mv "$SRV/a.real" "$SRV/a"

out=$(uj_ssh "$U" 'cat /srv/share/user-file' 2>&1)
expect_eq "the bind works again after the symlink is gone" hello "$out"
uj_summary
