/* /run/userjail: the runtime state of every jail (a socket and a lock file
 * per uid) and the per-user lock that makes "is it alive? else create it"
 * atomic, so concurrent first logins make exactly one jail. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "jail/rundir.h"

void uj_rundir_path(char *buf, size_t len, uid_t uid, const char *suffix)
{
  snprintf(buf, len, "%s/%u%s", UJ_RUN_DIR, (unsigned) uid, suffix);
}

/* /run/userjail must be a root-owned 0700 directory, not a symlink. */
static int ensure_run_dir(struct uj_err *err)
{
  struct stat st;

  if (mkdir(UJ_RUN_DIR, 0700) < 0 && errno != EEXIST)
    return uj_err_set(err, errno, "mkdir %s", UJ_RUN_DIR);
  if (lstat(UJ_RUN_DIR, &st) < 0)
    return uj_err_set(err, errno, "%s", UJ_RUN_DIR);
  if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077))
    return uj_err_set(err, EPERM, "%s must be a directory owned by root, mode 0700",
                      UJ_RUN_DIR);
  return 0;
}

int uj_rundir_lock(uid_t uid, bool nonblock, struct uj_err *err)
{
  char path[108];

  if (ensure_run_dir(err) < 0)
    return -1;
  uj_rundir_path(path, sizeof path, uid, ".lock");
  for (;;) {
    cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    struct stat a, b;
    if (fd < 0)
      return uj_err_set(err, errno, "open %s", path);
    if (flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) < 0)
      return uj_err_set(err, errno, "lock %s", path);
    /* The file may have been removed (by a jail ending) between our open
     * and our lock: then we hold a lock nobody else will see. Retry. */
    if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
        a.st_dev == b.st_dev)
      return steal_fd(&fd);
  }
}

void uj_rundir_unlock(int fd, uid_t uid, bool remove)
{
  char path[108];
  if (fd < 0)
    return;
  if (remove) {
    uj_rundir_path(path, sizeof path, uid, ".lock");
    unlink(path);
  }
  close(fd);
}

