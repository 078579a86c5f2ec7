/* Image roots: rootfs = "/dir" in the config. The jail's root is an
 * overlayfs whose lower layer is the admin's image directory and whose upper
 * layer takes the user's changes: a tmpfs that goes away with the jail
 * (upper = "ephemeral"), or /var/lib/userjail/UID/upper (upper =
 * "persistent").
 *
 * Every layer is handed to overlayfs as a file descriptor opened without
 * following symlinks (FSCONFIG_SET_FD, Linux 6.13+; older kernels get
 * /proc/self/fd/N, which names the same already-open directory), so no path
 * is resolved twice. Overlay features that make the kernel follow
 * pointers stored in the upper layer's xattrs (redirect_dir, metacopy,
 * index) are off: a persistent upper outlives the jail and must stay plain
 * files and directories. The result is a detached mount; the caller
 * (mounts.c) attaches it and makes every mount point beneath it with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, so a symlink planted in the image or
 * the upper at /proc, /tmp or a home path is refused, never followed. */
#include "image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "fs/mountfd.h"
#include "fs/safefs.h"

#define STATE_PARENT "/var/lib"
#define STATE_NAME "userjail"

/* Give a layer to the fs_context by fd; by /proc/self/fd path when
 * by_path (kernels before 6.13 reject FSCONFIG_SET_FD for layers). */
static int set_layer(int fc, const char *key, int fd, bool by_path, struct uj_err *err)
{
  char p[64];
  if (!by_path)
    return uj_fs_set_fd(fc, key, fd, err);
  snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  return uj_fs_set(fc, strcmp(key, "lowerdir+") ? key : "lowerdir", p, err);
}

static int overlay_mount(int lower, int upper, int work, struct uj_err *err)
{
  static const char *const opts[][2] = {
    { "redirect_dir", "nofollow" }, /* neither create nor follow redirect xattrs */
    { "metacopy", "off" },          /* no metadata-only copies pointing at lower files */
    { "index", "off" },
    { "xino", "off" },
  };
  static const char *const keys[] = { "lowerdir+", "upperdir", "workdir" };
  const int fds[] = { lower, upper, work };
  cleanup_close int fc = -1;
  bool by_path = false;
  int m;

  for (int attempt = 0; attempt < 2; attempt++) {
    size_t i;
    fc = uj_fs_context("overlay", err);
    if (fc < 0)
      return uj_err_prefix(err, "overlay (is the overlay module available?)");
    for (i = 0; i < 3; i++)
      if (set_layer(fc, keys[i], fds[i], by_path, err) < 0)
        break;
    if (i == 3)
      break;
    if (attempt == 0 && i == 0 && err->code == EINVAL) {
      close(fc); /* no fd layers on this kernel: start over with paths */
      fc = -1;
      by_path = true;
      continue;
    }
    return uj_err_prefix(err, "overlay");
  }
  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
    if (uj_fs_set(fc, opts[i][0], opts[i][1], err) < 0)
      return uj_err_prefix(err, "overlay");
  m = uj_fs_create(fc, UJ_ATTR_SAFE, err);
  if (m < 0)
    return uj_err_prefix(err, "overlay");
  return m;
}

/* The image directory: a real directory (no symlink anywhere on its path),
 * root's, not writable by group or others — otherwise whoever can write it
 * decides what every jailed user runs. */
static int open_image(int host, const char *path, struct uj_err *err)
{
  cleanup_close int fd = uj_open_beneath(host, path, O_PATH | O_DIRECTORY, err);
  struct stat st;

  if (fd < 0)
    return uj_err_prefix(err, "rootfs image %s", path);
  if (fstat(fd, &st) < 0)
    return uj_err_set(err, errno, "rootfs image %s", path);
  if (st.st_uid != 0)
    return uj_err_set(err, 0, "rootfs image %s is owned by uid %u, not root", path,
                      (unsigned) st.st_uid);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return uj_err_set(err, 0, "rootfs image %s is writable by group or others (mode %04o)", path,
                      (unsigned) (st.st_mode & 07777));
  /* ... and so must be everything in it the jail runs from */
  if (uj_image_check_tree(fd, err) < 0)
    return uj_err_prefix(err, "rootfs image %s", path);
  return steal_fd(&fd);
}

/* A state directory beneath parent (never through a symlink): created
 * root-owned with `mode`, or, when it exists, required to be a root-owned
 * directory not writable by group or others. `exact` also forces the mode
 * (the per-user directory must stay closed to everyone but root: it holds
 * the user's files with their original owners and modes). Returns an
 * O_RDONLY directory fd. */
static int state_dir(int parent, const char *parent_path, const char *name, mode_t mode,
                     bool exact, struct uj_err *err)
{
  cleanup_close int fd = -1;
  bool created = mkdirat(parent, name, mode) == 0;
  struct stat st;

  if (!created && errno != EEXIST)
    return uj_err_set(err, errno, "mkdir %s/%s", parent_path, name);
  fd = uj_open_beneath(parent, name, O_RDONLY | O_DIRECTORY, err);
  if (fd < 0)
    return uj_err_prefix(err, "%s", parent_path);
  if (fstat(fd, &st) < 0)
    return uj_err_set(err, errno, "%s/%s", parent_path, name);
  if (created && (fchown(fd, 0, 0) < 0 || fchmod(fd, mode) < 0))
    return uj_err_set(err, errno, "chmod %s/%s", parent_path, name);
  if (created)
    return steal_fd(&fd);
  if (st.st_uid != 0)
    return uj_err_set(err, 0, "%s/%s is owned by uid %u, not root", parent_path, name,
                      (unsigned) st.st_uid);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return uj_err_set(err, 0, "%s/%s is writable by group or others (mode %04o)", parent_path,
                      name, (unsigned) (st.st_mode & 07777));
  if (exact && (st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
    return uj_err_set(err, errno, "chmod %s/%s", parent_path, name);
  return steal_fd(&fd);
}

/* /var/lib/userjail/UID/{upper,work}: 0700 root above, so no host user can
 * reach the upper layer outside the jail (it holds files the user made
 * inside, with their modes: a path in from the host would let them be used
 * from the host too). */
static int persistent_upper(int host, uid_t uid, uint64_t size, int *mnt, int *upper, int *work,
                            struct uj_err *err)
{
  cleanup_close int parent = uj_open_beneath(host, STATE_PARENT, O_PATH | O_DIRECTORY, err);
  cleanup_close int state = -1;
  cleanup_close int user = -1;
  char state_path[64], user_path[96], uidname[32];

  if (parent < 0)
    return uj_err_prefix(err, "persistent upper");
  snprintf(state_path, sizeof state_path, "%s/%s", STATE_PARENT, STATE_NAME);
  snprintf(uidname, sizeof uidname, "%u", (unsigned) uid);
  snprintf(user_path, sizeof user_path, "%s/%s", state_path, uidname);
  state = state_dir(parent, STATE_PARENT, STATE_NAME, 0700, false, err);
  if (state < 0)
    return -1;
  user = state_dir(state, state_path, uidname, 0700, true, err);
  if (user < 0)
    return -1;
  /* upper_size: upper/ and work/ inside the user's ext4 image instead
   * (*mnt, like an ephemeral tmpfs, stays open until the overlay exists) */
  if (size) {
    char img_path[160];
    *mnt = uj_upper_image_mount(user, user_path, size, err);
    if (*mnt < 0)
      return uj_err_prefix(err, "persistent upper");
    snprintf(img_path, sizeof img_path, "%s/upper.img", user_path);
    close(user);
    user = -1;
    *upper = state_dir(*mnt, img_path, "upper", 0755, false, err);
    if (*upper < 0)
      return -1;
    *work = state_dir(*mnt, img_path, "work", 0700, true, err);
    if (*work < 0) {
      close(*upper);
      *upper = -1;
      return -1;
    }
    return 0;
  }
  *upper = state_dir(user, user_path, "upper", 0755, false, err);
  if (*upper < 0)
    return -1;
  *work = state_dir(user, user_path, "work", 0700, true, err);
  if (*work < 0) {
    close(*upper);
    *upper = -1;
    return -1;
  }
  return 0;
}

/* A private tmpfs holding upper/ and work/; the overlay keeps it alive, and
 * it ends with the jail's mount namespace. Its size is the jail's tmp_size
 * (what a user can write outside home, /tmp and shared directories).
 * *tmpfs must stay open until the overlay is created: closing the last fd
 * of a detached mount unmounts it, and overlayfs refuses an unmounted
 * upper ("failed to clone upperpath"). */
static int ephemeral_upper(const struct uj_settings *s, int *tmpfs, int *upper, int *work,
                           struct uj_err *err)
{
  char size[32];
  const char *opts[] = { "mode", "0755", "size", size, NULL };
  int t;

  snprintf(size, sizeof size, "%llu", (unsigned long long) s->tmp_size);
  if (s->tmp_size == 0)
    opts[2] = NULL; /* size=0 would mean unlimited anyway */
  t = *tmpfs = uj_fs_new("tmpfs", opts, UJ_ATTR_SAFE, err);
  if (t < 0)
    return uj_err_prefix(err, "ephemeral upper");
  if (mkdirat(t, "upper", 0755) < 0 || mkdirat(t, "work", 0700) < 0)
    return uj_err_set(err, errno, "ephemeral upper: mkdir");
  *upper = uj_open_beneath(t, "upper", O_RDONLY | O_DIRECTORY, err);
  if (*upper < 0)
    return uj_err_prefix(err, "ephemeral upper");
  /* the root of the jail takes the upper directory's mode, whatever the umask */
  if (fchmod(*upper, 0755) < 0)
    return uj_err_set(err, errno, "ephemeral upper: chmod");
  *work = uj_open_beneath(t, "work", O_RDONLY | O_DIRECTORY, err);
  if (*work < 0) {
    close(*upper);
    *upper = -1;
    return uj_err_prefix(err, "ephemeral upper");
  }
  return 0;
}

int uj_image_overlay_mount(const struct uj_settings *s, uid_t uid, gid_t gid, struct uj_err *err)
{
  cleanup_close int host = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int lower = -1;
  cleanup_close int upper = -1;
  cleanup_close int work = -1;
  cleanup_close int tmpfs = -1;
  int m;

  (void) gid; /* the upper's root is root's; the user's files keep their owners */
  if (!s->rootfs || s->rootfs[0] != '/')
    return uj_err_set(err, EINVAL, "rootfs image: not an absolute path");
  if (host < 0)
    return uj_err_set(err, errno, "open /");
  lower = open_image(host, s->rootfs, err);
  if (lower < 0)
    return -1;
  if ((s->upper == UJ_UPPER_PERSISTENT ? persistent_upper(host, uid, s->upper_size, &tmpfs, &upper,
                                                          &work, err)
                                       : ephemeral_upper(s, &tmpfs, &upper, &work, err)) < 0)
    return -1;
  m = overlay_mount(lower, upper, work, err);
  if (m < 0)
    return uj_err_prefix(err, "rootfs image %s", s->rootfs);
  return m;
}
