/* Talking to a jail's monitor from outside: connect, take a session, ask
 * for its state, stop it. The server side is monitor.c. */
#ifndef UJ_JAIL_CLIENT_H
#define UJ_JAIL_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/proto.h"

/* Connect to the monitor of uid's jail. -1 with err->code ENOENT or
 * ECONNREFUSED when none is alive. Replies time out (UJ_TIMEOUT_CLIENT_S). */
int uj_monitor_connect(uid_t uid, struct uj_err *err);

/* Ask the monitor on `c` for a session held by `session_pid` (cmd:
 * UJ_CMD_SESSION, or UJ_CMD_SESSION_ADMIN for `userjail enter`). On success
 * fds = [c, init pidfd, cgroup procs...], *nfds their count; msg is the
 * monitor's answer, limits its limits trailer (zeroed from a monitor of an
 * older release). A refusal (session limit reached, processes used up,
 * monitor out of fds, jail ending) is -1 with err->code EUSERS and the
 * monitor's reason. */
int uj_monitor_request_session(int c, char cmd, pid_t session_pid, struct uj_join_msg *msg,
                               struct uj_limits_msg *limits, int *fds, size_t *nfds,
                               struct uj_err *err);

/* The same in two steps: the request, and later its answer. A first
 * login queues its request at a monitor still building the jail
 * (uj_monitor_start), which answers it right after. */
int uj_monitor_send_session(int c, char cmd, pid_t session_pid, struct uj_err *err);
int uj_monitor_recv_session(int c, struct uj_join_msg *msg, struct uj_limits_msg *limits,
                            int *fds, size_t *nfds, struct uj_err *err);

/* Leave uid's monitor a grant for quick logins (jail/quick.c). Best
 * effort for the caller: without it later logins just run the helper. */
int uj_monitor_grant(uid_t uid, const struct uj_grant_msg *g, struct uj_err *err);

/* The state of uid's live jail. -1 when there is none (err says why). */
int uj_monitor_info(uid_t uid, struct uj_info_msg *info, struct uj_err *err);

/* Ask uid's monitor to end the jail and wait (up to timeout_ms) until it
 * is gone. 0 when it ended, -1 with err (ENOENT/ECONNREFUSED: no monitor;
 * ETIMEDOUT: it did not end in time; EBUSY: it ended but could not remove
 * everything, e.g. the cgroup did not empty). */
int uj_monitor_stop(uid_t uid, int timeout_ms, struct uj_err *err);

#endif
