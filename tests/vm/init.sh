#!/bin/sh
# /init of the check-vm initramfs (busybox sh, PID 1). Stage 1 copies the
# initramfs into a tmpfs and switch_roots there, because pivot_root (which the
# jail uses) refuses to work while / is the initramfs rootfs. Stage 2 builds a
# minimal host with cgroup2 alone on /sys/fs/cgroup and runs /tests/*.sh,
# whose "UJVM PASS|FAIL name" lines on the serial console tests/vm/run.sh reads.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

if [ ! -e /.stage2 ]; then
  mount -t proc proc /proc
  mount -t devtmpfs devtmpfs /dev
  exec </dev/console >/dev/console 2>&1
  mkdir -p /newroot
  mount -t tmpfs -o mode=0755,size=512m tmpfs /newroot
  for d in /* /.[!.]*; do
    case "$d" in
      /proc|/sys|/dev|/newroot|'/.[!.]*') ;;
      *) cp -a "$d" /newroot/ ;;
    esac
  done
  mkdir -p /newroot/proc /newroot/sys /newroot/dev
  : >/newroot/.stage2
  umount -l /dev  # our stdio still holds /dev/console
  umount /proc
  exec switch_root /newroot /init
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /var/log /var/tmp /var/lib/userjail /root /home/test /etc/security /opt
chmod 1777 /var/tmp
touch /var/log/wtmp /var/log/btmp /var/log/lastlog /run/utmp
hostname vmhost
echo vmhost >/etc/hostname

cat >/etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
test:x:1000:1000:jail test user:/home/test:/bin/sh
EOF
cat >/etc/group <<'EOF'
root:x:0:
test:x:1000:
jailed:x:2000:test
EOF
cat >/etc/nsswitch.conf <<'EOF'
passwd: files
group: files
shadow: files
hosts: files
EOF
echo "127.0.0.1 localhost vmhost" >/etc/hosts
chown 1000:1000 /home/test
chmod 0700 /home/test
cp /tests/userjail.conf /etc/security/userjail.conf
chown 0:0 /etc/security/userjail.conf
chmod 0644 /etc/security/userjail.conf

echo "UJVM-BEGIN kernel $(uname -r) cpus $(nproc) controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
for t in /tests/[0-9]*.sh; do
  . "$t"
done
echo "UJVM-END"
sync
poweroff -f
