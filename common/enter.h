/* Moving the calling process into a jail, given what the helper handed
 * over (a uj_join_msg and its fds). Shared by pam_userjail.so (sshd's
 * session process) and `userjail run`, so both take the same path. */
#ifndef UJ_ENTER_H
#define UJ_ENTER_H

#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/proto.h"

struct uj_joined {
  int session_fd;                 /* held open for the session's lifetime */
};

/* limits: the jail's limits message, or NULL (a jail of an older monitor).
 * fds = [session, pidfd, cgroup procs (n_cgroup)..., restore dirs (n_restore)...].
 * Verifies the pidfd names PID 1 of a child pid namespace, joins the user's
 * cgroup(s), setns()es into the jail's namespaces and drops the capability
 * bounding set (so nothing exec'd later can regain privileges). Consumes all
 * fds (closed on error, kept in *j on success). */
int uj_enter(const struct uj_join_msg *msg, const struct uj_limits_msg *limits, int *fds,
             size_t nfds, struct uj_joined *j, struct uj_err *err);

/* Pin process `pid` (0: the caller) to the jail's CPUs in l (nothing when
 * l->ncpus is 0). uj_enter does it for the entering process, after setns:
 * its children (sshd's shell) inherit the mask, as the jail's own
 * processes inherit the init's. */
int uj_limits_pin(pid_t pid, const struct uj_limits_msg *l, struct uj_err *err);

/* After uj_enter: set no_new_privs and install the session's seccomp filter
 * (if f->n > 0) for this process and every thread of it; everything it
 * forks inherits both, and neither can be undone. A failure means the
 * caller must end the session (it is already in the jail's namespaces). */
int uj_enter_filter(const struct uj_filter_msg *f, struct uj_err *err);

/* End the session: close the session connection (the jail's monitor
 * counts it gone). The process stays in the user's cgroup until it exits:
 * no cgroup migration on the logout path; the monitor waits for it before
 * emptying the cgroup (helper/jail/monitor_leavers.c). Calling it again is
 * a no-op. */
void uj_leave(struct uj_joined *j);

#endif
