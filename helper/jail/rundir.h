/* /run/userjail: per-uid state files of live jails and the per-user lock. */
#ifndef UJ_RUNDIR_H
#define UJ_RUNDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/proto.h" /* UJ_RUN_DIR */

/* buf = /run/userjail/UID<suffix> (".sock", ".lock"). */
void uj_rundir_path(char *buf, size_t len, uid_t uid, const char *suffix);

/* Take the lock of a user's jail state (/run/userjail/UID.lock), creating
 * /run/userjail (root, 0700) when needed. Returns the lock fd. */
int uj_rundir_lock(uid_t uid, bool nonblock, struct uj_err *err);
/* Release it; `remove` also deletes the lock file (the jail is gone). */
void uj_rundir_unlock(int fd, uid_t uid, bool remove);

#endif
