/* Where every mount of a jail is made. Runs in the jail's init, in its new
 * mount namespace, as real root, before pivot_root.
 *
 * Every mount is built detached (fsmount/open_tree), given its flags, then
 * attached onto an fd obtained by uj_open_beneath/uj_mkdir_beneath from the
 * new root: no mount target or user-influenced source is ever resolved
 * through a symlink, and the host's mount table never sees any of it
 * because / is made rslave first and every mount we make is private, but
 * for a home under autofs, which stays a slave of the host's (see
 * bind_home_and_shares).
 *
 * The user's home and binds from inside it are opened with the user's
 * filesystem identity (fs/asuser.h): on NFS with root_squash root cannot
 * even look into them. A home is never created, chowned or chmodded. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "jail/jail.h"
#include "fs/mountfd.h"
#include "image/image.h"
#include "fs/safefs.h"
#include "fs/asuser.h"
#include "util/text.h"

/* Host directories shown read-only in a host-view root. A symlink on the
 * host (merged /usr: /bin -> usr/bin) is recreated as the same symlink. */
static const char *const host_dirs[] = { "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
                                         "/libx32", "/etc", "/opt", NULL };

/* Host files that keep login records, bound in so that sshd (which after
 * setns() writes utmp/wtmp/lastlog from inside the jail, as root) still
 * records the login on the host. They list every host user's logins, so the
 * jail's users must not read them: the binds live in RECORDS_DIR (root's,
 * 0700) and the usual paths are symlinks into it. sshd, as root, follows
 * them; a user gets EACCES, so `who`, `w` and `last` show nobody rather
 * than everybody. */
#define RECORDS_DIR "/run/userjail/records"
static const char *const login_records[][2] = { { "/var/log/wtmp", "wtmp" },
                                                { "/var/log/btmp", "btmp" },
                                                { "/var/log/lastlog", "lastlog" },
                                                { "/run/utmp", "utmp" } };

/* The client side of the system's NSS daemons, bound read-only when the
 * host has them, so that names of directory users resolve inside the jail
 * (id, ls -l, getent): sssd's sockets and its memory-mapped cache, nslcd's
 * socket. Directories, not the sockets: the daemons recreate them on
 * restart. A read-only mount still lets clients connect to a socket. */
static const char *const nss_dirs[] = { "/var/lib/sss/pipes", "/var/lib/sss/mc", "/run/nslcd",
                                        NULL };

/* /proc entries that leak host state or offer host-wide knobs. */
static const char *const proc_masked_files[] = { "kcore", "keys", "sysrq-trigger", "timer_list",
                                                 "timer_stats", "sched_debug", "latency_stats",
                                                 "kallsyms", "kpagecount", "kpageflags",
                                                 "kpagecgroup", "config.gz", NULL };
static const char *const proc_masked_dirs[] = { "acpi", "asound", "scsi", "driver", NULL };
static const char *const proc_readonly[] = { "sys", "irq", "bus", "fs", NULL };

struct build {
  const struct uj_jail_spec *spec;
  int host;   /* O_PATH fd of the host's / (sources resolve beneath it) */
  int root;   /* the new root's mount fd */
};

/* Attach a detached mount onto `path` beneath the new root, creating the
 * mount point as a directory (or as a file when `file`). */
static int attach_at(struct build *b, int mnt, const char *path, bool file, struct uj_err *err)
{
  cleanup_close int target = file ? uj_mkfile_beneath(b->root, path, 0644, err)
                                  : uj_mkdir_beneath(b->root, path, 0755, err);
  if (target < 0)
    return uj_err_prefix(err, "mount point %s", path);
  if (uj_attach(mnt, target, err) < 0)
    return uj_err_prefix(err, "mount %s", path);
  return 0;
}

/* Bind host `src` (resolved without symlinks) at `dst` in the jail. */
static int bind_host(struct build *b, const char *src, const char *dst, unsigned attrs,
                     bool optional, struct uj_err *err)
{
  cleanup_close int sfd = uj_open_beneath(b->host, src, O_PATH, err);
  cleanup_close int mnt = -1;
  struct stat st;

  if (sfd < 0) {
    if (optional && err->code == ENOENT)
      return 0;
    return uj_err_prefix(err, "bind source");
  }
  if (fstat(sfd, &st) < 0)
    return uj_err_set(err, errno, "stat %s", src);
  mnt = uj_bind_clone(sfd, S_ISDIR(st.st_mode), attrs, err);
  if (mnt < 0)
    return uj_err_prefix(err, "bind %s", src);
  return attach_at(b, mnt, dst, !S_ISDIR(st.st_mode), err);
}

static int new_fs(struct build *b, const char *type, const char *const *opts, unsigned attrs,
                  const char *dst, struct uj_err *err)
{
  cleanup_close int mnt = uj_fs_new(type, opts, attrs, err);
  if (mnt < 0)
    return uj_err_prefix(err, "%s on %s", type, dst);
  return attach_at(b, mnt, dst, false, err);
}

static int host_view(struct build *b, struct uj_err *err)
{
  for (size_t i = 0; host_dirs[i]; i++) {
    const char *p = host_dirs[i];
    char link[PATH_MAX];
    struct stat st;

    /* These are root-owned host paths, so lstat-then-bind is not a
     * user-controlled race; bind_host still resolves without symlinks. */
    if (fstatat(b->host, p + 1, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (S_ISLNK(st.st_mode)) {
      ssize_t n = readlinkat(b->host, p + 1, link, sizeof link - 1);
      if (n < 0)
        return uj_err_set(err, errno, "readlink %s", p);
      link[n] = '\0';
      if (symlinkat(link, b->root, p + 1) < 0 && errno != EEXIST)
        return uj_err_set(err, errno, "symlink %s", p);
      continue;
    }
    if (bind_host(b, p, p, UJ_ATTR_RDONLY | UJ_ATTR_SAFE, true, err) < 0)
      return -1;
  }
  return 0;
}

/* Is `path` (or a path above or beneath it) an autofs mount point in our
 * mount table? */
static bool autofs_near(const char *path)
{
  cleanup_close int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t len = 0, cap = 0;
  ssize_t n;

  if (fd < 0)
    return false;
  for (;;) {
    if (len + 4096 + 1 > cap) {
      char *nb = realloc(buf, cap = cap * 2 + 8192);
      if (!nb)
        return false;
      buf = nb;
    }
    n = read(fd, buf + len, cap - len - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t) n;
  }
  buf[len] = '\0';
  return uj_mountinfo_autofs_near(buf, path);
}

/* Open a path the user controls as the user; `what` names it in errors. */
static int open_user_path(struct build *b, const char *path, int flags, const char *what,
                          struct uj_err *err)
{
  const struct uj_jail_spec *sp = b->spec;
  const struct uj_fsid who = { .uid = sp->uid, .gid = sp->gid, .groups = sp->groups,
                               .n_groups = sp->n_groups };
  int fd = uj_open_as(&who, b->host, path, flags, err);

  if (fd >= 0)
    return fd;
  if (err->code == ENOENT)
    return uj_err_set(err, ENOENT, "%s %s of user %s does not exist (userjail never creates it)",
                      what, path, sp->user);
  if (err->code == EACCES)
    return uj_err_set(err, EACCES, "%s %s cannot be opened by user %s (uid %u)", what, path,
                      sp->user, (unsigned) sp->uid);
  return uj_err_prefix(err, "%s of user %s", what, sp->user);
}

static bool path_in(const char *dir, const char *p)
{
  size_t n = strlen(dir);
  return strncmp(dir, p, n) == 0 && (p[n] == '/' || p[n] == '\0');
}

static int bind_home_and_shares(struct build *b, struct uj_err *err)
{
  const struct uj_settings *s = b->spec->s;
  const char *home = b->spec->home;
  cleanup_close int hfd = -1;
  cleanup_close int hmnt = -1;
  unsigned long prop = MS_PRIVATE;

  /* O_DIRECTORY: the open follows the last component into an automount,
   * so an autofs home is mounted (by the user's walk) before we bind it. */
  hfd = open_user_path(b, home, O_PATH | O_DIRECTORY, "home directory", err);
  if (hfd < 0)
    return -1;
  /* Autofs trees change under a jail that lives for days: keep the home a
   * slave of the host's mount so automounts and expiries beneath it reach
   * the jail. Nothing propagates back to the host. */
  if (autofs_near(home))
    prop = MS_SLAVE;
  hmnt = uj_bind_clone_prop(hfd, true, UJ_ATTR_SAFE, prop, err);
  if (hmnt < 0 || attach_at(b, hmnt, home, false, err) < 0)
    return uj_err_prefix(err, "home of %s", b->spec->user);
  for (size_t i = 0; i < s->n_binds; i++) {
    const struct uj_bind *bd = &s->binds[i];
    unsigned attrs = UJ_ATTR_SAFE | (bd->rw ? 0 : UJ_ATTR_RDONLY);
    int r;
    if (path_in(home, bd->source)) {
      cleanup_close int sfd = open_user_path(b, bd->source, O_PATH, "bind source", err);
      cleanup_close int mnt = -1;
      struct stat st;
      if (sfd < 0 && bd->optional && err->code == ENOENT)
        continue;
      if (sfd < 0)
        return uj_err_prefix(err, "bind %s (config line %d)", bd->source, bd->line);
      if (fstat(sfd, &st) < 0)
        return uj_err_set(err, errno, "stat %s", bd->source);
      mnt = uj_bind_clone(sfd, S_ISDIR(st.st_mode), attrs, err);
      r = mnt < 0 ? -1 : attach_at(b, mnt, bd->dest, !S_ISDIR(st.st_mode), err);
    } else {
      r = bind_host(b, bd->source, bd->dest, attrs, bd->optional, err);
    }
    if (r < 0)
      return uj_err_prefix(err, "bind %s (config line %d)", bd->source, bd->line);
  }
  return 0;
}

/* NSS clients' sockets and caches (nss_dirs), when the host has them. */
static int bind_nss(struct build *b, struct uj_err *err)
{
  for (size_t i = 0; nss_dirs[i]; i++)
    if (bind_host(b, nss_dirs[i], nss_dirs[i], UJ_ATTR_RDONLY | UJ_ATTR_SAFE | UJ_ATTR_NOEXEC,
                  true, err) < 0)
      return uj_err_prefix(err, "NSS client files");
  return 0;
}

static int mount_proc(struct build *b, struct uj_err *err)
{
  cleanup_close int procmnt = uj_fs_new("proc", NULL, UJ_ATTR_SAFE | UJ_ATTR_NOEXEC, err);
  cleanup_close int devnull = -1;
  cleanup_close int proc = -1;

  if (procmnt < 0)
    return uj_err_prefix(err, "proc");
  if (attach_at(b, procmnt, "/proc", false, err) < 0)
    return -1;
  proc = uj_open_beneath(b->root, "/proc", O_PATH | O_DIRECTORY, err);
  devnull = uj_open_beneath(b->host, "/dev/null", O_PATH, err);
  if (proc < 0 || devnull < 0)
    return uj_err_prefix(err, "mask /proc");

  for (size_t i = 0; proc_masked_files[i]; i++) {
    cleanup_close int t = uj_open_beneath(proc, proc_masked_files[i], O_PATH, err);
    cleanup_close int m = -1;
    if (t < 0)
      continue; /* not on this kernel */
    m = uj_bind_clone(devnull, false, UJ_ATTR_RDONLY | UJ_ATTR_SAFE | UJ_ATTR_NOEXEC, err);
    if (m < 0 || uj_attach(m, t, err) < 0)
      return uj_err_prefix(err, "mask /proc/%s", proc_masked_files[i]);
  }
  for (size_t i = 0; proc_masked_dirs[i]; i++) {
    static const char *const opts[] = { "size", "4k", "mode", "0555", NULL };
    cleanup_close int t = uj_open_beneath(proc, proc_masked_dirs[i], O_PATH | O_DIRECTORY, err);
    cleanup_close int m = -1;
    if (t < 0)
      continue;
    m = uj_fs_new("tmpfs", opts, UJ_ATTR_RDONLY | UJ_ATTR_SAFE | UJ_ATTR_NOEXEC, err);
    if (m < 0 || uj_attach(m, t, err) < 0)
      return uj_err_prefix(err, "mask /proc/%s", proc_masked_dirs[i]);
  }
  for (size_t i = 0; proc_readonly[i]; i++) {
    cleanup_close int t = uj_open_beneath(proc, proc_readonly[i], O_PATH, err);
    cleanup_close int m = -1;
    if (t < 0)
      continue;
    m = uj_bind_clone(t, true, UJ_ATTR_RDONLY | UJ_ATTR_SAFE | UJ_ATTR_NOEXEC, err);
    if (m < 0 || uj_attach(m, t, err) < 0)
      return uj_err_prefix(err, "read-only /proc/%s", proc_readonly[i]);
  }
  uj_err_clear(err);
  return 0;
}

/* A minimal /dev: a few nodes, the host's /dev/pts (sshd allocated the
 * session's pty there before the session began) and a private /dev/shm. */
static int mount_dev(struct build *b, struct uj_err *err)
{
  static const char *const devopts[] = { "size", "64k", "mode", "0755", NULL };
  static const struct { const char *name; unsigned maj, min; } nodes[] = {
    { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 },
    { "urandom", 1, 9 }, { "tty", 5, 0 }, { "ptmx", 5, 2 },
  };
  static const char *const links[][2] = { { "fd", "/proc/self/fd" },
                                          { "stdin", "/proc/self/fd/0" },
                                          { "stdout", "/proc/self/fd/1" },
                                          { "stderr", "/proc/self/fd/2" } };
  char size[32];
  const char *shmopts[] = { "size", size, "mode", "1777", NULL };
  /* /dev is the one mount allowed device nodes: it holds only ours. */
  cleanup_close int devmnt = uj_fs_new("tmpfs", devopts, UJ_ATTR_NOSUID | UJ_ATTR_NOEXEC, err);

  if (devmnt < 0)
    return uj_err_prefix(err, "/dev");
  for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
    if (mknodat(devmnt, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].maj, nodes[i].min)) < 0)
      return uj_err_set(err, errno, "mknod /dev/%s", nodes[i].name);
    if (fchmodat(devmnt, nodes[i].name, 0666, 0) < 0)
      return uj_err_set(err, errno, "chmod /dev/%s", nodes[i].name);
  }
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (symlinkat(links[i][1], devmnt, links[i][0]) < 0)
      return uj_err_set(err, errno, "symlink /dev/%s", links[i][0]);
  if (mkdirat(devmnt, "pts", 0755) < 0 || mkdirat(devmnt, "shm", 01777) < 0 ||
      mkdirat(devmnt, "mqueue", 0755) < 0)
    return uj_err_set(err, errno, "mkdir in /dev");
  if (attach_at(b, devmnt, "/dev", false, err) < 0)
    return -1;
  if (bind_host(b, "/dev/pts", "/dev/pts", UJ_ATTR_SAFE | UJ_ATTR_NOEXEC, true, err) < 0)
    return -1;
  snprintf(size, sizeof size, "%llu", (unsigned long long) b->spec->s->tmp_size);
  return new_fs(b, "tmpfs", shmopts, UJ_ATTR_SAFE, "/dev/shm", err);
}

static int bind_login_records(struct build *b, struct uj_err *err)
{
  const unsigned attrs = UJ_ATTR_SAFE | UJ_ATTR_NOEXEC;
  cleanup_close int run = uj_mkdir_beneath(b->root, "/run/userjail", 0755, err);
  cleanup_close int dir = run < 0 ? -1 : uj_mkdir_beneath(b->root, RECORDS_DIR, 0700, err);

  if (dir < 0)
    return uj_err_prefix(err, "login records");
  for (size_t i = 0; i < sizeof login_records / sizeof login_records[0]; i++) {
    const char *path = login_records[i][0];
    char hidden[64], parent[32];
    cleanup_close int src = uj_open_beneath(b->host, path, O_PATH, err);
    cleanup_close int pfd = -1;

    if (src < 0) {
      if (err->code == ENOENT)
        continue; /* the host keeps no such record */
      return uj_err_prefix(err, "login record");
    }
    snprintf(hidden, sizeof hidden, "%s/%s", RECORDS_DIR, login_records[i][1]);
    snprintf(parent, sizeof parent, "%.*s", (int) (strrchr(path, '/') - path), path);
    pfd = uj_mkdir_beneath(b->root, parent, 0755, err);
    if (pfd < 0)
      return uj_err_prefix(err, "login record %s", path);
    if (symlinkat(hidden, pfd, strrchr(path, '/') + 1) < 0) {
      /* An image root with its own file there: bind over it, as before
       * (readable by the user, like on the image's own system). */
      if (errno != EEXIST)
        return uj_err_set(err, errno, "symlink %s", path);
      if (bind_host(b, path, path, attrs, true, err) < 0)
        return uj_err_prefix(err, "login record");
      continue;
    }
    if (bind_host(b, path, hidden, attrs, true, err) < 0)
      return uj_err_prefix(err, "login record");
  }
  uj_err_clear(err);
  return 0;
}

static int mount_tmp_and_run(struct build *b, struct uj_err *err)
{
  char size[32];
  const char *tmpopts[] = { "size", size, "mode", "1777", NULL };
  static const char *const runopts[] = { "size", "16M", "mode", "0755", NULL };

  snprintf(size, sizeof size, "%llu", (unsigned long long) b->spec->s->tmp_size);
  if (new_fs(b, "tmpfs", tmpopts, UJ_ATTR_SAFE, "/tmp", err) < 0 ||
      new_fs(b, "tmpfs", tmpopts, UJ_ATTR_SAFE, "/var/tmp", err) < 0 ||
      new_fs(b, "tmpfs", runopts, UJ_ATTR_SAFE, "/run", err) < 0)
    return -1;
  /* /var/run and /var/lock point at the jail's own /run, as on the host. */
  if ((symlinkat("/run", b->root, "var/run") < 0 && errno != EEXIST) ||
      (symlinkat("/run/lock", b->root, "var/lock") < 0 && errno != EEXIST))
    return uj_err_set(err, errno, "symlink /var/run");
  return bind_login_records(b, err);
}

/* Own hostname, with /etc/hostname and /etc/hosts to match, bound
 * read-only over the (read-only) host or image /etc. */
static int hostname_files(struct build *b, struct uj_err *err)
{
  const char *h = b->spec->hostname;
  char hosts[512];
  static const char *const pairs[][2] = { { "/run/userjail/hostname", "/etc/hostname" },
                                          { "/run/userjail/hosts", "/etc/hosts" } };

  if (sethostname(h, strlen(h)) < 0)
    return uj_err_set(err, errno, "sethostname %s", h);
  snprintf(hosts, sizeof hosts,
           "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n", h);
  char line[80];
  snprintf(line, sizeof line, "%s\n", h);
  if (uj_write_file_beneath(b->root, pairs[0][0], line, 0644, err) < 0 ||
      uj_write_file_beneath(b->root, pairs[1][0], hosts, 0644, err) < 0)
    return -1;
  for (size_t i = 0; i < 2; i++) {
    cleanup_close int src = uj_open_beneath(b->root, pairs[i][0], O_PATH, err);
    cleanup_close int m = -1;
    cleanup_close int there = -1;
    if (src < 0)
      return -1;
    /* A host /etc without the file (read-only in the jail) cannot gain a
     * mount point: the hostname itself is still set. */
    there = uj_open_beneath(b->root, pairs[i][1], O_PATH, err);
    if (there < 0 && err->code == ENOENT && !b->spec->s->rootfs) {
      uj_err_clear(err);
      continue;
    }
    m = uj_bind_clone(src, false, UJ_ATTR_RDONLY | UJ_ATTR_SAFE | UJ_ATTR_NOEXEC, err);
    if (m < 0 || attach_at(b, m, pairs[i][1], true, err) < 0)
      return uj_err_prefix(err, "%s", pairs[i][1]);
  }
  return 0;
}

static int do_pivot(int root, struct uj_err *err)
{
  /* pivot_root(".", "."): the old root ends up stacked under the new one
   * and is detached right away, so nothing of the host stays reachable. */
  if (fchdir(root) < 0)
    return uj_err_set(err, errno, "chdir to new root");
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return uj_err_set(err, errno, "pivot_root");
  if (umount2(".", MNT_DETACH) < 0)
    return uj_err_set(err, errno, "detach old root");
  if (chdir("/") < 0)
    return uj_err_set(err, errno, "chdir /");
  return 0;
}

int uj_build_root(const struct uj_jail_spec *spec, struct uj_jail_view *view,
                  const struct uj_view_wait *wait, struct uj_err *err)
{
  static const char *const rootopts[] = { "size", "4M", "mode", "0755", NULL };
  const struct uj_settings *s = spec->s;
  cleanup_close int host = -1;
  cleanup_close int stage = -1;
  cleanup_close int rootmnt = -1;
  struct build b = { .spec = spec, .host = -1, .root = -1 };

  /* rslave, not rprivate: nothing we mount reaches the host either way,
   * and a clone of a slave stays a slave, which an autofs home needs. Every
   * other clone is made private explicitly (uj_bind_clone). */
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return uj_err_set(err, errno, "make / a slave");
  host = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (host < 0)
    return uj_err_set(err, errno, "open /");

  if (s->rootfs)
    rootmnt = uj_image_overlay_mount(s, spec->uid, spec->gid, err);
  else
    rootmnt = uj_fs_new("tmpfs", rootopts, UJ_ATTR_SAFE, err);
  if (rootmnt < 0)
    return uj_err_prefix(err, "root filesystem");
  /* The new root must be attached somewhere before pivot_root; our private
   * copy of /run/userjail serves, invisible to the host. */
  stage = uj_open_beneath(host, UJ_RUN_DIR, O_PATH | O_DIRECTORY, err);
  if (stage < 0 || uj_attach(rootmnt, stage, err) < 0)
    return uj_err_prefix(err, "stage root");
  b.host = host;
  b.root = rootmnt;

  if (!s->rootfs) {
    if (host_view(&b, err) < 0)
      return -1;
  } else {
    /* An image has its own /etc, but users are the host's: bind the
     * account databases so names resolve inside. */
    if (bind_host(&b, "/etc/passwd", "/etc/passwd", UJ_ATTR_RDONLY | UJ_ATTR_SAFE, false, err) < 0 ||
        bind_host(&b, "/etc/group", "/etc/group", UJ_ATTR_RDONLY | UJ_ATTR_SAFE, false, err) < 0)
      return -1;
  }
  if (mount_tmp_and_run(&b, err) < 0 || bind_nss(&b, err) < 0 || hostname_files(&b, err) < 0 ||
      bind_home_and_shares(&b, err) < 0 || mount_dev(&b, err) < 0 || mount_proc(&b, err) < 0 ||
      (wait && wait->fn(wait->arg, view, err) < 0) ||
      uj_view_build(host, rootmnt, spec, view, err) < 0)
    return -1;
  /* Nothing may add entries to a host-view root after this point. */
  if (!s->rootfs && uj_setattr(rootmnt, false, UJ_ATTR_RDONLY, 0, err) < 0)
    return uj_err_prefix(err, "read-only root");
  return do_pivot(rootmnt, err);
}
