/* Symlink-proof path resolution (see safefs.h). The rule this file enforces:
 * a path is resolved once, to an fd, without following any symlink, and the
 * fd is what later code uses. */
#include "fs/safefs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

static const char *skip_slashes(const char *p)
{
  while (*p == '/')
    p++;
  return p;
}

/* Fallback for kernels without openat2: walk one component at a time,
 * refusing symlinks and "..". */
static int open_walk(int dirfd, const char *path, int flags, mode_t mode)
{
  cleanup_free char *copy = strdup(path);
  cleanup_close int cur = -1;
  char *save = NULL, *comp, *next;

  if (!copy)
    return -1;
  cur = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0)
    return -1;
  comp = strtok_r(copy, "/", &save);
  while (comp) {
    next = strtok_r(NULL, "/", &save);
    if (strcmp(comp, "..") == 0) {
      errno = EXDEV;
      return -1;
    }
    if (strcmp(comp, ".") != 0) {
      int f = next ? (O_PATH | O_DIRECTORY) : flags;
      int fd = openat(cur, comp, f | O_NOFOLLOW | O_CLOEXEC, next ? 0 : mode);
      struct stat st;
      if (fd < 0)
        return -1;
      if ((f & O_PATH) && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
        close(fd);
        errno = ELOOP;
        return -1;
      }
      close(cur);
      cur = fd;
    } else if (!next) {
      return openat(cur, ".", flags | O_CLOEXEC);
    }
    comp = next;
  }
  return steal_fd(&cur);
}

int uj_open_beneath(int dirfd, const char *path, int flags, struct uj_err *err)
{
  const char *rel = skip_slashes(path);
  struct open_how how = {
    .flags = (uint64_t) (flags | O_CLOEXEC),
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  int fd = -1;

  if (*rel == '\0')
    rel = ".";
  for (int tries = 0; tries < 8; tries++) {
    fd = (int) syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) /* EAGAIN: a concurrent rename; retry */
      break;
  }
  if (fd < 0 && errno == ENOSYS)
    fd = open_walk(dirfd, rel, flags, 0);
  if (fd < 0) {
    int e = errno;
    if (e == ELOOP)
      return uj_err_set(err, e, "%s: refusing to follow a symlink", path);
    if (e == EXDEV)
      return uj_err_set(err, e, "%s: path escapes its root", path);
    return uj_err_set(err, e, "%s", path);
  }
  return fd;
}

int uj_open_nofollow(const char *path, int flags, mode_t mode)
{
  struct open_how how = {
    .flags = (uint64_t) (flags | O_CLOEXEC | O_NOFOLLOW),
    .mode = (flags & O_CREAT) ? mode : 0,
    .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  int fd;

  if (path[0] != '/') {
    errno = EINVAL;
    return -1;
  }
  fd = (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) {
    cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
      return -1;
    fd = open_walk(root, skip_slashes(path), flags | O_NOFOLLOW, mode);
  }
  return fd;
}

/* One component under cur: a directory made (mkdirat, an existing one is
 * fine) or, with file_mode, the last component as an empty regular file;
 * opened beneath cur without following a symlink either way. */
static int make_one(int cur, const char *comp, bool last, mode_t mode, mode_t file_mode,
                    const char *path, struct uj_err *err)
{
  int fd;

  if (last && file_mode) {
    /* An existing file is used as it is: opening it for writing would
     * copy it up into an overlay's upper layer. */
    fd = uj_open_beneath(cur, comp, O_PATH, err);
    if (fd >= 0 || err->code != ENOENT)
      return fd >= 0 ? fd : uj_err_prefix(err, "%s", path);
    int w = openat(cur, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
                   file_mode);
    if (w < 0 && errno != EEXIST)
      return uj_err_set(err, errno, "%s: create mount point", path);
    if (w >= 0)
      close(w);
    fd = uj_open_beneath(cur, comp, O_PATH, err);
    return fd >= 0 ? fd : uj_err_prefix(err, "%s", path);
  }
  if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST)
    return uj_err_set(err, errno, "%s: mkdir %s", path, comp);
  return uj_open_beneath(cur, comp, O_PATH | O_DIRECTORY, err);
}

static bool has_dot_component(const char *p)
{
  for (;;) {
    p = skip_slashes(p);
    if (!*p)
      return false;
    size_t n = strcspn(p, "/");
    if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
      return true;
    p += n;
  }
}

/* Walk `path` creating directories; when `file_mode` is non-zero the last
 * component is created as an empty regular file instead. Most paths exist
 * already, or lack only their last component (a jail's root is built from
 * dozens of them): those take one or two openat2 calls, not three calls
 * per component; anything else (a missing parent, a symlink, an error)
 * takes the walk, which also words the errors. */
static int make_beneath(int dirfd, const char *path, mode_t mode, mode_t file_mode,
                        struct uj_err *err)
{
  cleanup_free char *copy = strdup(skip_slashes(path));
  cleanup_close int cur = -1;
  char *save = NULL, *comp, *next;
  struct uj_err e2;

  if (!copy)
    return uj_err_set(err, ENOMEM, "%s", path);
  if (has_dot_component(copy))
    return uj_err_set(err, EINVAL, "%s: '.' or '..' in path", path);
  if (*copy) {
    int fd = uj_open_beneath(dirfd, copy, file_mode ? O_PATH : O_PATH | O_DIRECTORY, &e2);
    if (fd >= 0)
      return fd;
    char *slash = strrchr(copy, '/');
    if (e2.code == ENOENT && slash) {
      *slash = '\0';
      cleanup_close int parent = uj_open_beneath(dirfd, copy, O_PATH | O_DIRECTORY, &e2);
      *slash = '/';
      if (parent >= 0)
        return make_one(parent, slash + 1, true, mode, file_mode, path, err);
    } else if (e2.code == ENOENT) {
      return make_one(dirfd, copy, true, mode, file_mode, path, err);
    }
  }
  cur = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0)
    return uj_err_set(err, errno, "%s", path);
  comp = strtok_r(copy, "/", &save);
  while (comp) {
    next = strtok_r(NULL, "/", &save);
    int fd = make_one(cur, comp, !next, mode, file_mode, path, err);
    if (fd < 0)
      return -1;
    close(cur);
    cur = fd;
    comp = next;
  }
  return steal_fd(&cur);
}

int uj_mkdir_beneath(int dirfd, const char *path, mode_t mode, struct uj_err *err)
{
  return make_beneath(dirfd, path, mode, 0, err);
}

int uj_mkfile_beneath(int dirfd, const char *path, mode_t mode, struct uj_err *err)
{
  return make_beneath(dirfd, path, 0755, mode ? mode : 0644, err);
}

int uj_write_file_beneath(int dirfd, const char *path, const char *content, mode_t mode,
                          struct uj_err *err)
{
  cleanup_free char *dir = strdup(skip_slashes(path));
  cleanup_close int dfd = -1;
  cleanup_close int fd = -1;
  const char *base;
  char *slash;
  size_t len = strlen(content);

  if (!dir)
    return uj_err_set(err, ENOMEM, "%s", path);
  slash = strrchr(dir, '/');
  if (slash) {
    *slash = '\0';
    base = slash + 1;
    dfd = uj_mkdir_beneath(dirfd, dir, 0755, err);
  } else {
    base = dir;
    dfd = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
      uj_err_set(err, errno, "%s", path);
  }
  if (dfd < 0)
    return -1;
  fd = openat(dfd, base, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0)
    return uj_err_set(err, errno, "write %s", path);
  if (write(fd, content, len) != (ssize_t) len)
    return uj_err_set(err, errno ? errno : EIO, "write %s", path);
  if (fchmod(fd, mode) < 0)
    return uj_err_set(err, errno, "chmod %s", path);
  return 0;
}

int uj_read_small(const char *path, char *buf, size_t len, struct uj_err *err)
{
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  ssize_t n, total = 0;

  if (fd < 0)
    return uj_err_set(err, errno, "open %s", path);
  while ((size_t) total < len - 1) {
    n = read(fd, buf + total, len - 1 - total);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return uj_err_set(err, errno, "read %s", path);
    if (n == 0)
      break;
    total += n;
  }
  buf[total] = '\0';
  return (int) total;
}

int uj_replace_file(const char *dir, const char *path, const void *buf, size_t len,
                    struct uj_err *err)
{
  char tmp[PATH_MAX];
  cleanup_close int fd = -1;
  size_t done = 0;

  if (snprintf(tmp, sizeof tmp, "%s/.tmp.XXXXXX", dir) >= (int) sizeof tmp)
    return uj_err_set(err, ENAMETOOLONG, "%s", path);
  fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return uj_err_set(err, errno, "create %s", tmp);
  if (fchmod(fd, 0600) < 0) {
    uj_err_set(err, errno, "chmod %s", tmp);
    goto fail;
  }
  while (done < len) {
    ssize_t w = write(fd, (const char *) buf + done, len - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      uj_err_set(err, w < 0 ? errno : EIO, "write %s", tmp);
      goto fail;
    }
    done += (size_t) w;
  }
  if (fsync(fd) < 0 || rename(tmp, path) < 0) {
    uj_err_set(err, errno, "save %s", path);
    goto fail;
  }
  return 0;
fail:
  unlink(tmp);
  return -1;
}

int uj_read_exact(int fd, void *buf, size_t len)
{
  size_t got = 0;

  while (got < len) {
    ssize_t r = read(fd, (char *) buf + got, len - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    got += (size_t) r;
  }
  return 0;
}

int uj_write_str(const char *path, const char *s, struct uj_err *err)
{
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  size_t len = strlen(s);

  if (fd < 0)
    return uj_err_set(err, errno, "open %s", path);
  if (write(fd, s, len) != (ssize_t) len)
    return uj_err_set(err, errno, "write '%s' to %s", s, path);
  return 0;
}

int uj_open_own_program(const char *name, const char *installed, int flags)
{
  char self[PATH_MAX], path[PATH_MAX + 64];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  const char *where[2] = { NULL, installed };

  if (n > 0) {
    char *slash;
    self[n] = '\0';
    if ((slash = strrchr(self, '/'))) {
      *slash = '\0';
      snprintf(path, sizeof path, "%s/%s", self, name);
      where[0] = path;
    }
  }
  for (size_t i = 0; i < 2; i++) {
    struct stat st;
    if (!where[i])
      continue;
    int fd = open(where[i], flags | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
      continue;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 &&
        !(st.st_mode & (S_IWGRP | S_IWOTH)) && (st.st_mode & S_IXUSR))
      return fd;
    close(fd);
  }
  return -1;
}
