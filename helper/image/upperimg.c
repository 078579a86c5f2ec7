/* A size bound for a persistent upper (upper_size = "2G"): the upper and
 * work directories live in an ext4 file system kept in
 * /var/lib/userjail/UID/upper.img, loop-mounted (nosuid,nodev) for the
 * jail's lifetime. Without it, everything a user writes outside home and
 * /tmp goes to the host's /var/lib file system with no limit.
 *
 * The image is made (sparse, mkfs.ext4) at the first login with the bound
 * and keeps its size afterwards: changing upper_size later does not resize
 * it (stop the jail, then resize2fs or remove the file). The loop device is
 * set up with autoclear, so it goes away when the jail's mount namespace
 * ends and the file system is unmounted: nothing is left attached. */
#include "image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/child.h"
#include "common/cleanup.h"
#include "fs/mountfd.h"

#define IMAGE_NAME "upper.img"

/* mkfs.ext4 on the open image (as fd 3 of the child: no path lookup of
 * ours is involved), root-owned root directory, no reserved blocks. */
static int make_fs(int img, const char *where, struct uj_err *err)
{
  static const char *const paths[] = { "/usr/sbin/mke2fs", "/sbin/mke2fs" };
  char *const envp[] = { NULL };
  int status = 0;
  pid_t pid = fork();

  if (pid < 0)
    return uj_err_set(err, errno, "fork mke2fs");
  if (pid == 0) {
    if (uj_child_fds(img, true) != 3)
      _exit(127);
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
      execve(paths[i], (char *const[]){ "mke2fs", "-q", "-F", "-t", "ext4", "-m", "0", "-E",
                                        "root_owner=0:0", "/proc/self/fd/3", NULL }, envp);
    _exit(127);
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return uj_err_set(err, 0, "mke2fs on %s failed (status %d%s)", where,
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                      WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ": is e2fsprogs installed?" : "");
  return 0;
}

/* A free loop device backed by img, detached automatically once unused. */
static int loop_attach(int img, char *dev, size_t len, struct uj_err *err)
{
  cleanup_close int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

  if (ctl < 0)
    return uj_err_set(err, errno, "/dev/loop-control");
  for (int tries = 0; tries < 16; tries++) {
    struct loop_config cfg;
    int n = ioctl(ctl, LOOP_CTL_GET_FREE);
    int loop;

    if (n < 0)
      return uj_err_set(err, errno, "find a free loop device");
    snprintf(dev, len, "/dev/loop%d", n);
    loop = open(dev, O_RDWR | O_CLOEXEC);
    if (loop < 0)
      return uj_err_set(err, errno, "%s", dev);
    memset(&cfg, 0, sizeof cfg);
    cfg.fd = (unsigned) img;
    cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    if (ioctl(loop, LOOP_CONFIGURE, &cfg) == 0)
      return loop;
    close(loop);
    if (errno != EBUSY) /* EBUSY: another process took it first */
      return uj_err_set(err, errno, "configure %s", dev);
  }
  return uj_err_set(err, EBUSY, "no free loop device");
}

int uj_upper_image_mount(int userdir, const char *user_path, uint64_t size, struct uj_err *err)
{
  cleanup_close int img = -1, loop = -1;
  char where[160], dev[32];
  struct stat st;

  snprintf(where, sizeof where, "%s/%s", user_path, IMAGE_NAME);
  img = openat(userdir, IMAGE_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (img < 0)
    return uj_err_set(err, errno, "%s", where);
  if (fstat(img, &st) < 0)
    return uj_err_set(err, errno, "%s", where);
  if (!S_ISREG(st.st_mode) || st.st_uid != 0 || st.st_nlink != 1 || (st.st_mode & 077))
    return uj_err_set(err, 0, "%s must be a root-owned regular file of mode 0600 with one link",
                      where);
  if (st.st_size == 0) {
    if (ftruncate(img, (off_t) size) < 0)
      return uj_err_set(err, errno, "size %s", where);
    if (make_fs(img, where, err) < 0) {
      /* an image without a file system would fail every later login */
      if (ftruncate(img, 0) < 0) {
        /* the next login retries mkfs on an empty file either way */
      }
      return -1;
    }
  }
  loop = loop_attach(img, dev, sizeof dev, err);
  if (loop < 0)
    return uj_err_prefix(err, "%s", where);
  {
    const char *opts[] = { "source", dev, NULL };
    /* our loop fd closes on return: the mount holds the device from here */
    int m = uj_fs_new("ext4", opts, UJ_ATTR_SAFE, err);
    if (m < 0)
      return uj_err_prefix(err, "mount %s", where);
    return m;
  }
}
