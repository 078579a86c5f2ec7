/* Opening a path the user controls with the user's filesystem identity.
 *
 * A home on NFS exported with root_squash (or with sec=krb5) answers root
 * with EACCES: root is "nobody" there. So a user's home, and a bind whose
 * source lies in it, is opened with the user's fsuid, fsgid and
 * supplementary groups, without following any symlink, and root then mounts
 * through the fd (open_tree needs no permission on the directory's content).
 * The walk as the user is also what triggers an autofs mount of the home:
 * the open asks for a directory, so the last component is followed into the
 * automount (an O_PATH open without O_DIRECTORY would not trigger it).
 *
 * setfsuid/setfsgid are per thread, setgroups is process-wide in glibc: the
 * callers (the jail's init, a test) are single-threaded. */
#ifndef UJ_ASUSER_H
#define UJ_ASUSER_H

#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"

struct uj_fsid {
  uid_t uid;
  gid_t gid;
  const gid_t *groups;  /* supplementary groups (the primary may be among them) */
  size_t n_groups;
};

/* uj_open_beneath(dirfd, path, flags) done as `who`; root's filesystem
 * identity and groups are back in place on return. If they cannot be put
 * back the process must not go on: the error says so and is returned with
 * code EPERM, and the caller ends (the jail's init exits). */
int uj_open_as(const struct uj_fsid *who, int dirfd, const char *path, int flags,
               struct uj_err *err);

#endif
