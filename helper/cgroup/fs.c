/* File access for the cgroup code: every path under the cgroup root is
 * opened with the one safe opener, uj_open_nofollow() (cgroupfs has no
 * symlinks, so one showing up means something is wrong), knobs are read and written whole,
 * and cgroup directories are removed the same way on cgroupfs and on the
 * plain directory trees the unit tests use. */
#include "cgroup/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "fs/safefs.h"

bool cg_path_exists(const char *path)
{
  cleanup_close int fd = uj_open_nofollow(path, O_PATH, 0);
  return fd >= 0;
}

bool cg_is_dir(const char *path)
{
  struct stat st;
  cleanup_close int fd = uj_open_nofollow(path, O_PATH | O_DIRECTORY, 0);
  return fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

int cg_join(char *out, const char *a, const char *b, struct uj_err *err)
{
  int n = snprintf(out, PATH_MAX, "%s/%s", a, b);
  if (n < 0 || n >= PATH_MAX)
    return uj_err_set(err, ENAMETOOLONG, "cgroup path %s/%s", a, b);
  return 0;
}

/* Read a whole (small or large) file into a malloc'ed NUL-terminated buffer. */
char *cg_read_all(const char *path, struct uj_err *err)
{
  cleanup_close int fd = uj_open_nofollow(path, O_RDONLY, 0);
  size_t len = 0, cap = 4096;
  cleanup_free char *buf = NULL;

  if (fd < 0) {
    uj_err_set(err, errno, "open %s", path);
    return NULL;
  }
  if (!(buf = malloc(cap))) {
    uj_err_set(err, ENOMEM, "read %s", path);
    return NULL;
  }
  for (;;) {
    if (cap - len < 2) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        uj_err_set(err, ENOMEM, "read %s", path);
        return NULL;
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + len, cap - len - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      uj_err_set(err, errno, "read %s", path);
      return NULL;
    }
    if (r == 0)
      break;
    len += (size_t) r;
  }
  buf[len] = '\0';
  return steal_pointer(&buf);
}

int cg_write_knob_flags(const char *dir, const char *knob, const char *val, int extra,
                        struct uj_err *err)
{
  char path[PATH_MAX];
  if (cg_join(path, dir, knob, err) < 0)
    return -1;
  cleanup_close int fd = uj_open_nofollow(path, O_WRONLY | O_CREAT | extra, 0644);
  if (fd < 0)
    return uj_err_set(err, errno, "open %s", path);
  size_t len = strlen(val);
  ssize_t w = write(fd, val, len);
  if (w < 0)
    return uj_err_set(err, errno, "write \"%s\" to %s", val, path);
  if ((size_t) w != len)
    return uj_err_set(err, EIO, "short write to %s", path);
  return 0;
}

bool cg_knob_exists(const char *dir, const char *knob)
{
  char path[PATH_MAX];
  return snprintf(path, sizeof path, "%s/%s", dir, knob) < (int) sizeof path &&
         cg_path_exists(path);
}

static bool is_cgroupfs(int fd)
{
  struct statfs sf;
  return fstatfs(fd, &sf) == 0 &&
         (sf.f_type == CGROUP_SUPER_MAGIC || sf.f_type == CGROUP2_SUPER_MAGIC);
}

/* rmdir a cgroup. On cgroupfs the knob files vanish with the directory; on a
 * plain test tree they are regular files that must go first. */
int cg_remove_dir(const char *path, struct uj_err *err)
{
  char parent[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", path);
  char *slash = strrchr(parent, '/');
  if (!slash || slash == parent)
    return uj_err_set(err, EINVAL, "refusing to remove %s", path);
  *slash = '\0';
  const char *name = slash + 1;
  cleanup_close int pfd = uj_open_nofollow(parent, O_PATH | O_DIRECTORY, 0);
  if (pfd < 0)
    return errno == ENOENT ? 0 : uj_err_set(err, errno, "open %s", parent);
  if (unlinkat(pfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
    return 0;
  if (errno == ENOTEMPTY && !is_cgroupfs(pfd)) {
    int dfd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *de;
    if (!d) {
      if (dfd >= 0)
        close(dfd);
      return uj_err_set(err, errno, "open %s", path);
    }
    while ((de = readdir(d)))
      if (de->d_type == DT_REG)
        unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
    if (unlinkat(pfd, name, AT_REMOVEDIR) == 0)
      return 0;
  }
  return uj_err_set(err, errno, "rmdir %s", path);
}
