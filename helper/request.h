/* The one code path from "USER wants a session" to "here is what to join",
 * used by `userjail session-open` (for pam_userjail.so) and `userjail run`. */
#ifndef UJ_REQUEST_H
#define UJ_REQUEST_H

#include <stddef.h>
#include <sys/types.h>

#include "../common/proto.h"

/* Decide and prepare: load config, apply policy, find or create the jail.
 * Always fills msg->status (JAILED with fds, IGNORE, DENY or ALLOW with a
 * one-line reason in msg->msg) and logs failures to syslog. `restore_pid`
 * is the process that will enter: the cgroups it is in now are opened so it
 * can move back at logout. */
void uj_request_jail(const char *config, const char *user, pid_t restore_pid,
                     struct uj_join_msg *msg, int *fds, size_t *nfds);

#endif
