/* See asuser.h. The identity switch is fsuid/fsgid plus groups only: the
 * real and saved uids stay 0, so nothing the user does can signal or trace
 * this process while it is switched, and going back needs no privilege. */
#include "fs/asuser.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "fs/safefs.h"

/* setfsuid() reports no error: it returns the previous value whatever
 * happened. Calling it again with the same value returns the current one. */
static int set_fsuid(uid_t uid)
{
  setfsuid(uid);
  return (uid_t) setfsuid(uid) == uid ? 0 : -1;
}

static int set_fsgid(gid_t gid)
{
  setfsgid(gid);
  return (gid_t) setfsgid(gid) == gid ? 0 : -1;
}

static int restore(gid_t *saved, int n_saved, struct uj_err *err)
{
  if (set_fsuid(0) < 0 || set_fsgid(0) < 0 || setgroups((size_t) n_saved, saved) < 0)
    return uj_err_set(err, EPERM, "cannot return to root's filesystem identity");
  return 0;
}

int uj_open_as(const struct uj_fsid *who, int dirfd, const char *path, int flags,
               struct uj_err *err)
{
  cleanup_free gid_t *saved = NULL;
  int n_saved, fd, e = 0;

  if (who->uid == 0)
    return uj_open_beneath(dirfd, path, flags, err);
  n_saved = getgroups(0, NULL);
  if (n_saved < 0)
    return uj_err_set(err, errno, "getgroups");
  saved = calloc((size_t) n_saved + 1, sizeof *saved);
  if (!saved)
    return uj_err_set(err, ENOMEM, "getgroups");
  n_saved = getgroups(n_saved, saved);
  if (n_saved < 0)
    return uj_err_set(err, errno, "getgroups");

  /* Groups first, then gid, then uid: while fsuid is still 0 the switch
   * cannot fail half-way for lack of privilege. */
  if (setgroups(who->n_groups, who->groups) < 0)
    e = errno;
  else if (set_fsgid(who->gid) < 0 || set_fsuid(who->uid) < 0)
    e = EPERM;
  if (e) {
    if (restore(saved, n_saved, err) < 0)
      return -1;
    return uj_err_set(err, e, "take the filesystem identity of uid %u", (unsigned) who->uid);
  }
  fd = uj_open_beneath(dirfd, path, flags, err);
  if (restore(saved, n_saved, err) < 0) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}
