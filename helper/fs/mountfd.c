/* The fd-based mount API, wrapped (see mountfd.h). Only this file includes
 * <linux/mount.h>; glibc's <sys/mount.h> clashes with it. */
#include "fs/mountfd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"

static int sys_fsopen(const char *fs, unsigned flags)
{
  return (int) syscall(SYS_fsopen, fs, flags);
}
static int sys_fsconfig(int fd, unsigned cmd, const char *key, const void *val, int aux)
{
  return (int) syscall(SYS_fsconfig, fd, cmd, key, val, aux);
}
static int sys_fsmount(int fd, unsigned flags, unsigned attrs)
{
  return (int) syscall(SYS_fsmount, fd, flags, attrs);
}
static int sys_open_tree(int dfd, const char *path, unsigned flags)
{
  return (int) syscall(SYS_open_tree, dfd, path, flags);
}
static int sys_move_mount(int fdfd, const char *fp, int tdfd, const char *tp, unsigned flags)
{
  return (int) syscall(SYS_move_mount, fdfd, fp, tdfd, tp, flags);
}
static int sys_mount_setattr(int dfd, const char *path, unsigned flags, struct mount_attr *a)
{
  return (int) syscall(SYS_mount_setattr, dfd, path, flags, a, sizeof *a);
}

/* The filesystem's own explanation, queued on the fs_context fd. */
static void fs_log(int fd, char *buf, size_t len)
{
  ssize_t n;
  buf[0] = '\0';
  n = read(fd, buf, len - 1);
  if (n > 0) {
    buf[n] = '\0';
    if (buf[n - 1] == '\n')
      buf[n - 1] = '\0';
  } else {
    buf[0] = '\0';
  }
}

static int fs_fail(int fc, int e, const char *what, const char *key, struct uj_err *err)
{
  char log[256];
  fs_log(fc, log, sizeof log);
  return uj_err_set(err, e, "%s %s%s%s", what, key, *log ? ": " : "", log);
}

int uj_fs_context(const char *fstype, struct uj_err *err)
{
  int fc = sys_fsopen(fstype, FSOPEN_CLOEXEC);
  if (fc < 0)
    return uj_err_set(err, errno, "fsopen %s", fstype);
  return fc;
}

int uj_fs_set(int fc, const char *key, const char *value, struct uj_err *err)
{
  int r = value ? sys_fsconfig(fc, FSCONFIG_SET_STRING, key, value, 0)
                : sys_fsconfig(fc, FSCONFIG_SET_FLAG, key, NULL, 0);
  return r < 0 ? fs_fail(fc, errno, "option", key, err) : 0;
}

int uj_fs_set_fd(int fc, const char *key, int fd, struct uj_err *err)
{
  if (sys_fsconfig(fc, FSCONFIG_SET_FD, key, NULL, fd) < 0)
    return fs_fail(fc, errno, "option", key, err);
  return 0;
}

int uj_fs_create(int fc, unsigned attrs, struct uj_err *err)
{
  int m;
  if (sys_fsconfig(fc, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return fs_fail(fc, errno, "create", "filesystem", err);
  m = sys_fsmount(fc, FSMOUNT_CLOEXEC, attrs);
  if (m < 0)
    return uj_err_set(err, errno, "fsmount");
  return m;
}

int uj_fs_new(const char *fstype, const char *const *opts, unsigned attrs, struct uj_err *err)
{
  cleanup_close int fc = uj_fs_context(fstype, err);
  int m;

  if (fc < 0)
    return -1;
  for (size_t i = 0; opts && opts[i]; i += 2)
    if (uj_fs_set(fc, opts[i], opts[i + 1], err) < 0)
      return uj_err_prefix(err, "%s", fstype);
  m = uj_fs_create(fc, attrs, err);
  if (m < 0)
    return uj_err_prefix(err, "%s", fstype);
  return m;
}

int uj_bind_clone(int src_fd, bool recursive, unsigned attrs, struct uj_err *err)
{
  return uj_bind_clone_prop(src_fd, recursive, attrs, MS_PRIVATE, err);
}

int uj_bind_clone_prop(int src_fd, bool recursive, unsigned attrs, unsigned long propagation,
                       struct uj_err *err)
{
  unsigned rec = recursive ? AT_RECURSIVE : 0;
  cleanup_close int t = sys_open_tree(src_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                                      AT_EMPTY_PATH | rec);
  struct mount_attr a = { .attr_set = attrs, .propagation = propagation };

  if (t < 0)
    return uj_err_set(err, errno, "clone mount");
  if (sys_mount_setattr(t, "", AT_EMPTY_PATH | rec, &a) < 0)
    return uj_err_set(err, errno, "set mount attributes");
  return steal_fd(&t);
}

int uj_attach(int mnt_fd, int target_fd, struct uj_err *err)
{
  if (sys_move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH |
                                                   MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return uj_err_set(err, errno, "attach mount");
  return 0;
}

int uj_setattr(int target_fd, bool recursive, unsigned set, unsigned clr, struct uj_err *err)
{
  struct mount_attr a = { .attr_set = set, .attr_clr = clr };
  if (sys_mount_setattr(target_fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a) < 0)
    return uj_err_set(err, errno, "set mount attributes");
  return 0;
}
