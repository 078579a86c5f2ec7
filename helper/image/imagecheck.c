/* Whole-image permission check for rootfs = "/dir". The image is the lower
 * layer of every jail that uses it: whoever can write into it on the host
 * decides what every jailed user runs (a 0777 /etc, a group-writable
 * /usr/bin). Checking only the top directory, as before, let such images
 * through. So the tree is walked once per jail creation (a debootstrapped
 * Debian 12, ~7000 entries, takes a few ms):
 *  - system trees (everything but the lenient ones below): every directory
 *    and regular file root-owned and not writable by group or others;
 *  - sticky directories anywhere (a /tmp-like scratch area the admin made)
 *    and /var, /srv, /mnt, /media (data trees whose Debian defaults have
 *    group-writable entries: /var/mail root:mail 2775, /var/local
 *    root:staff 2775, /var/log/wtmp root:utmp 0664): nothing writable by
 *    others unless it is a sticky directory;
 *  - /tmp, /var/tmp, /run, /home, /proc, /sys, /dev: not walked; the jail
 *    mounts its own over them (homes are bound from the host).
 * Symlinks are never followed (their own mode means nothing); submounts are
 * not part of an overlay's lower layer and are skipped. */
#include "image/image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 64

struct walk {
  dev_t dev;
  char path[4096];   /* relative to the image, for messages */
  struct uj_err *err;
};

static bool top_is(const char *rel, const char *const *names)
{
  for (; *names; names++)
    if (strcmp(rel, *names) == 0)
      return true;
  return false;
}

static int judge(struct walk *w, const struct stat *st, bool strict)
{
  mode_t m = st->st_mode;

  if (!S_ISDIR(m) && !S_ISREG(m))
    return 0;
  if ((m & S_IWOTH) && !(S_ISDIR(m) && (m & S_ISVTX)))
    return uj_err_set(w->err, 0, "%s is writable by others (mode %04o)", w->path,
                      (unsigned) (m & 07777));
  if (!strict)
    return 0;
  if (st->st_uid != 0)
    return uj_err_set(w->err, 0, "%s is owned by uid %u, not root", w->path,
                      (unsigned) st->st_uid);
  if (m & S_IWGRP)
    return uj_err_set(w->err, 0, "%s is writable by group %u (mode %04o)", w->path,
                      (unsigned) st->st_gid, (unsigned) (m & 07777));
  return 0;
}

static int walk_dir(struct walk *w, int dfd, bool strict, int depth)
{
  static const char *const skip[] = { "tmp", "run", "home", "proc", "sys", "dev", NULL };
  static const char *const lenient[] = { "var", "srv", "mnt", "media", NULL };
  size_t len = strlen(w->path);
  DIR *d;
  struct dirent *e;
  int ret = 0;

  if (depth > MAX_DEPTH)
    return uj_err_set(w->err, ELOOP, "%s: directories nested deeper than %d", w->path, MAX_DEPTH);
  d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return uj_err_set(w->err, errno, "%s", w->path);
  }
  while (ret == 0 && (errno = 0, e = readdir(d))) {
    struct stat st;
    bool sub_strict = strict;

    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    if (snprintf(w->path + len, sizeof w->path - len, "/%s", e->d_name) >=
        (int) (sizeof w->path - len)) {
      ret = uj_err_set(w->err, ENAMETOOLONG, "%.200s...: path too long", w->path);
      break;
    }
    if (depth == 0 && top_is(e->d_name, skip))
      goto next;
    if (depth == 1 && !strcmp(w->path, "/var/tmp"))
      goto next;
    if (depth == 0 && top_is(e->d_name, lenient))
      sub_strict = false;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      ret = uj_err_set(w->err, errno, "%s", w->path);
      break;
    }
    if (st.st_dev != w->dev)
      goto next; /* a submount: not in the overlay */
    /* A sticky directory is /tmp-like by the admin's choice (a shared
     * scratch area): nobody can replace what others put there. Its
     * contents are judged like a data tree's. */
    if (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX))
      sub_strict = false;
    ret = judge(w, &st, sub_strict);
    if (ret == 0 && S_ISDIR(st.st_mode)) {
      int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        ret = uj_err_set(w->err, errno, "%s", w->path);
      else
        ret = walk_dir(w, sub, sub_strict, depth + 1);
    }
  next:
    w->path[len] = '\0';
  }
  if (ret == 0 && errno)
    ret = uj_err_set(w->err, errno, "%s", w->path);
  closedir(d);
  return ret;
}

int uj_image_check_tree(int image, struct uj_err *err)
{
  struct walk w = { .err = err };
  struct stat st;
  int fd;

  /* image may be an O_PATH fd: reopen it for reading */
  fd = openat(image, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return uj_err_set(err, errno, "open image");
  if (fstat(fd, &st) < 0) {
    close(fd);
    return uj_err_set(err, errno, "stat image");
  }
  w.dev = st.st_dev;
  return walk_dir(&w, fd, true, 0);
}
