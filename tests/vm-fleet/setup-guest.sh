#!/bin/bash
# setup-guest.sh ROOT SRCTREE USERJAIL MODULE WORK: turn a copy of the cached
# fleet root (run.sh) into the check-vm-fleet guest. Only that copy is
# changed; the host's /etc is never touched.
#
# Guest "fleet", both server and client:
#   - slapd, base dc=nodomain (Debian's default without a domain): users
#     ldapuser1 (5001, home /home/ldapuser1), ldapuser2 (5002, home
#     /nethome/ldapuser2), ldapslow (5003, never looked up before the
#     slow-directory test) and ldapnohome (5004, whose home does not exist);
#     groups fleetjail (6000: all of them) and research
#     (6001: ldapuser2). None of them is in /etc/passwd.
#   - sssd (id_provider ldap) is the client: nsswitch passwd/group "files sss".
#   - nfs-kernel-server exports /srv/home to 127.0.0.1 with root_squash;
#     guest-test.sh mounts it at /home (NFSv4.2), and autofs mounts
#     /nethome/ldapuser2 from the same export (nosharecache: its own
#     superblock, so its lifetime can be watched in /proc/fs/nfsfs/volumes;
#     nobind: autofs would bind-mount a "local" export instead of NFS).
#   - homes under /srv/home are made here on the server side, owned by the
#     users' uids (userjail never creates a home); ldapuser1's is 0700.
#   - root's ssh key is authorized for both LDAP users; sshd's PAM stack ends
#     with pam_userjail.so (pam_systemd earlier, from common-session).
set -euo pipefail
R=$1 SRC=$2 USERJAIL=$3 MODULE=$4 WORK=$5
HERE=$SRC/tests/vm-fleet
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

# ---- the project -------------------------------------------------------------
PAMDIR=$(dirname "$(cd "$R" && ls -1 usr/lib/*/security/pam_unix.so | head -n 1)")
install -m 0755 "$USERJAIL" "$R/usr/local/sbin/userjail"
# the jail's PID 1 once its root is built (found next to the helper)
[ -x "$(dirname "$USERJAIL")/userjail-reaper" ] &&
  install -m 0755 "$(dirname "$USERJAIL")/userjail-reaper" "$R/usr/local/sbin/userjail-reaper"
[ -x "$(dirname "$USERJAIL")/userjail-monitor" ] &&
  install -m 0755 "$(dirname "$USERJAIL")/userjail-monitor" "$R/usr/local/sbin/userjail-monitor"
install -m 0644 "$MODULE" "$R/$PAMDIR/pam_userjail.so"
install -m 0644 "$SRC/conf/userjail.slice" "$SRC/conf/userjail.service" "$R/etc/systemd/system/"
install -o 0 -g 0 -m 0644 "$HERE/userjail.conf" "$R/etc/security/userjail.conf"
in_root /usr/local/sbin/userjail check-config /etc/security/userjail.conf >/dev/null

echo fleet >"$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 fleet\n' >"$R/etc/hosts"
tr -d '-' </proc/sys/kernel/random/uuid >"$R/etc/machine-id"
: >"$R/etc/fstab"
touch "$R/var/log/wtmp" "$R/var/log/btmp" "$R/var/log/lastlog"

# ---- LDAP: the directory, loaded offline -----------------------------------------
BASE=dc=nodomain
in_root slapcat -n 0 | grep -q "^olcSuffix: $BASE" ||
  { echo "setup-guest: slapd's suffix is not $BASE" >&2; exit 1; }
cat >"$R/tmp/fleet.ldif" <<LDIF
dn: ou=people,$BASE
objectClass: organizationalUnit
ou: people

dn: ou=groups,$BASE
objectClass: organizationalUnit
ou: groups

$(for u in ldapuser1:5001:/home/ldapuser1 ldapuser2:5002:/nethome/ldapuser2 ldapslow:5003:/home/ldapslow \
           ldapnohome:5004:/home/ldapnohome; do
    IFS=: read -r name id home <<<"$u"
    printf 'dn: uid=%s,ou=people,%s\nobjectClass: account\nobjectClass: posixAccount\nuid: %s\ncn: %s\nuidNumber: %s\ngidNumber: %s\nhomeDirectory: %s\nloginShell: /bin/bash\n\n' \
      "$name" "$BASE" "$name" "$name" "$id" "$id" "$home"
    printf 'dn: cn=%s,ou=groups,%s\nobjectClass: posixGroup\ncn: %s\ngidNumber: %s\n\n' "$name" "$BASE" "$name" "$id"
  done)

dn: cn=fleetjail,ou=groups,$BASE
objectClass: posixGroup
cn: fleetjail
gidNumber: 6000
memberUid: ldapuser1
memberUid: ldapuser2
memberUid: ldapslow
memberUid: ldapnohome

dn: cn=research,ou=groups,$BASE
objectClass: posixGroup
cn: research
gidNumber: 6001
memberUid: ldapuser2
LDIF
in_root slapadd -n 1 -l /tmp/fleet.ldif
in_root chown -R openldap:openldap /var/lib/ldap
rm -f "$R/tmp/fleet.ldif"

# ---- sssd: the client ------------------------------------------------------------
cat >"$R/etc/sssd/sssd.conf" <<CONF
[sssd]
services = nss, pam
domains = LDAP

[domain/LDAP]
id_provider = ldap
auth_provider = none
access_provider = permit
ldap_uri = ldap://127.0.0.1
ldap_search_base = $BASE
ldap_schema = rfc2307
enumerate = false
cache_credentials = false
ldap_id_use_start_tls = false
ldap_auth_disable_tls_never_use_in_production = true
CONF
chmod 0600 "$R/etc/sssd/sssd.conf"
# sssd after slapd: it would start offline otherwise
install -d "$R/etc/systemd/system/sssd.service.d"
printf '[Unit]\nAfter=slapd.service\nWants=slapd.service\n' \
  >"$R/etc/systemd/system/sssd.service.d/after-slapd.conf"
# automount maps from files only (the image's nsswitch asks sss, unconfigured)
sed -i 's/^automount:.*/automount:  files/' "$R/etc/nsswitch.conf"

# ---- NFS server, homes, autofs -------------------------------------------------
install -d -m 0755 "$R/srv/home"
echo '/srv/home 127.0.0.1(rw,sync,no_subtree_check,root_squash)' >"$R/etc/exports"
install -d -m 0700 -o 5001 -g 5001 "$R/srv/home/ldapuser1"
install -d -m 0700 -o 5001 -g 5001 "$R/srv/home/ldapuser1/proj"
echo proj-file-1 >"$R/srv/home/ldapuser1/proj/README"
chown 5001:5001 "$R/srv/home/ldapuser1/proj/README"
install -d -m 0755 -o 5002 -g 5002 "$R/srv/home/ldapuser2" "$R/srv/home/ldapuser2/sub"
install -d -m 0700 -o 5003 -g 5003 "$R/srv/home/ldapslow"
install -d -m 0755 "$R/home" "$R/nethome"
printf '/nethome /etc/auto.nethome --timeout=3600\n' >"$R/etc/auto.master.d/nethome.autofs"
printf 'ldapuser2 -fstype=nfs4,nobind,vers=4.2,nosharecache 127.0.0.1:/srv/home/ldapuser2\n' \
  >"$R/etc/auto.nethome"
# autofs reads its master map when it starts; /home must be mounted by then
# is not needed (different tree), but it must start after the NFS server
install -d "$R/etc/systemd/system/autofs.service.d"
printf '[Unit]\nAfter=nfs-server.service\n' >"$R/etc/systemd/system/autofs.service.d/after-nfs.conf"

# ---- sshd: root's key logs in as the LDAP users ---------------------------------
ls "$R"/etc/ssh/ssh_host_*_key >/dev/null 2>&1 || in_root ssh-keygen -A >/dev/null
install -d -m 0700 "$R/root/.ssh"
in_root ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/id_ed25519
for u in ldapuser1:5001 ldapuser2:5002; do
  n=${u%%:*} id=${u##*:}
  install -d -m 0700 -o "$id" -g "$id" "$R/srv/home/$n/.ssh"
  install -m 0600 -o "$id" -g "$id" "$R/root/.ssh/id_ed25519.pub" "$R/srv/home/$n/.ssh/authorized_keys"
done

# ---- PAM: pam_userjail last ----------------------------------------------------------
grep -q '^session.*pam_systemd.so' "$R/etc/pam.d/common-session" ||
  { echo "setup-guest: pam_systemd is not in the guest's common-session" >&2; exit 1; }
echo 'session required pam_userjail.so helper=/usr/local/sbin/userjail' >>"$R/etc/pam.d/sshd"

# ---- the test unit -----------------------------------------------------------------
install -d "$R/usr/local/libexec"
install -m 0755 "$HERE/guest-test.sh" "$R/usr/local/libexec/ujfleet-test"
cat >"$R/etc/systemd/system/ujfleet-test.service" <<'UNIT'
[Unit]
Description=userjail fleet tests (check-vm-fleet)
After=systemd-logind.service dbus.service ssh.service systemd-user-sessions.service sssd.service slapd.service nfs-server.service autofs.service

[Service]
Type=simple
ExecStart=/bin/sh -c 'exec /usr/local/libexec/ujfleet-test >/dev/ttyS0 2>&1 </dev/null'

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/ujfleet-test.service \
  "$R/etc/systemd/system/multi-user.target.wants/ujfleet-test.service"
ln -sf /dev/null "$R/etc/systemd/system/serial-getty@ttyS0.service"
