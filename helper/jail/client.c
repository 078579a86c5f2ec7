/* The client side of a jail monitor's socket (/run/userjail/UID.sock): the
 * only place that speaks the monitor protocol from outside (monitor.c is
 * the server). Used by logins (join.c), `userjail run`, list and stop. */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/timeouts.h"
#include "jail/client.h"
#include "jail/rundir.h"

int uj_monitor_connect(uid_t uid, struct uj_err *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return uj_err_set(err, errno, "socket");
  uj_rundir_path(sa.sun_path, sizeof sa.sun_path, uid, ".sock");
  if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return uj_err_set(err, errno, "connect %s", sa.sun_path);
  /* A monitor that stopped answering must not hang a login (the module
   * gives up after 30 s anyway) or `userjail list` forever. */
  struct timeval tv = { .tv_sec = UJ_TIMEOUT_CLIENT_S };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return steal_fd(&fd);
}

int uj_monitor_send_session(int c, char cmd, pid_t session_pid, struct uj_err *err)
{
  /* The monitor also watches the session process itself (see monitor.c). */
  cleanup_close int pidfd = (int) syscall(SYS_pidfd_open, session_pid, 0);

  if (pidfd < 0)
    return uj_err_set(err, errno, "pidfd of session process %d", (int) session_pid);
  if (uj_send_fds(c, &cmd, 1, &pidfd, 1, err) < 0)
    return uj_err_prefix(err, "send session request");
  return 0;
}

int uj_monitor_recv_session(int c, struct uj_join_msg *msg, struct uj_limits_msg *limits,
                            int *fds, size_t *nfds, struct uj_err *err)
{
  int have_limits;
  int got[UJ_MAX_FDS];
  size_t n = 0;

  if (uj_recv_join(c, msg, limits, &have_limits, got, UJ_MAX_FDS - 1, &n, err) < 0)
    return uj_err_prefix(err, "session request");
  if (msg->status == UJ_STATUS_DENY && n == 0) {
    /* The jail is full, ending, or its processes are used up: a limit,
     * which the caller must not turn into an unjailed session under
     * on_error = allow. */
    msg->msg[sizeof msg->msg - 1] = '\0';
    uj_err_set(err, 0, "%s", msg->msg);
    err->code = EUSERS;
    return -1;
  }
  if (msg->status != UJ_STATUS_JAILED || n != 1 + (size_t) msg->n_cgroup) {
    close_many(got, n);
    if (msg->magic != UJ_PROTO_MAGIC && msg->magic != UJ_PROTO_MAGIC_LIMITS)
      return uj_err_set(err, EPROTO, "jail monitor speaks another protocol version; stop that "
                        "jail to restart it with this version");
    return uj_err_set(err, EPROTO, "unexpected answer from jail monitor");
  }
  fds[0] = c;
  memcpy(fds + 1, got, n * sizeof(int));
  *nfds = n + 1;
  return 0;
}

int uj_monitor_request_session(int c, char cmd, pid_t session_pid, struct uj_join_msg *msg,
                               struct uj_limits_msg *limits, int *fds, size_t *nfds,
                               struct uj_err *err)
{
  if (uj_monitor_send_session(c, cmd, session_pid, err) < 0)
    return -1;
  return uj_monitor_recv_session(c, msg, limits, fds, nfds, err);
}

int uj_monitor_grant(uid_t uid, const struct uj_grant_msg *g, struct uj_err *err)
{
  cleanup_close int c = uj_monitor_connect(uid, err);
  char cmd = UJ_CMD_GRANT;

  if (c < 0)
    return -1;
  /* A monitor of an older release closes the connection on 'V': the
   * write may fail with EPIPE (MSG_NOSIGNAL: no SIGPIPE), nothing else. */
  if (send(c, &cmd, 1, MSG_NOSIGNAL) != 1 || send(c, g, sizeof *g, MSG_NOSIGNAL) != (ssize_t) sizeof *g)
    return uj_err_set(err, errno, "grant to jail monitor of uid %u", (unsigned) uid);
  return 0;
}

int uj_monitor_info(uid_t uid, struct uj_info_msg *info, struct uj_err *err)
{
  cleanup_close int c = uj_monitor_connect(uid, err);
  char cmd = UJ_CMD_INFO;
  size_t got = 0;

  if (c < 0)
    return -1;
  memset(info, 0, sizeof *info);
  if (write(c, &cmd, 1) != 1)
    return uj_err_set(err, errno, "ask jail monitor of uid %u", (unsigned) uid);
  /* A monitor sends its reply and closes: read until the end, so a shorter
   * reply of an older monitor is taken too (see proto.h). */
  while (got < sizeof *info) {
    ssize_t r = read(c, (char *) info + got, sizeof *info - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return uj_err_set(err, errno, "jail monitor of uid %u", (unsigned) uid);
    if (r == 0)
      break;
    got += (size_t) r;
  }
  if (got < UJ_INFO_V1_LEN || info->magic != UJ_PROTO_MAGIC)
    return uj_err_set(err, EPROTO, "jail monitor of uid %u speaks another protocol version "
                      "(%zu bytes); stop that jail to restart it with this version",
                      (unsigned) uid, got);
  if (got < offsetof(struct uj_info_msg, config_hash) + sizeof info->config_hash) {
    /* a version 1 monitor: everything past its reply is unknown */
    memset((char *) info + UJ_INFO_V1_LEN, 0, sizeof *info - UJ_INFO_V1_LEN);
  }
  return 0;
}

int uj_monitor_stop(uid_t uid, int timeout_ms, struct uj_err *err)
{
  cleanup_close int c = uj_monitor_connect(uid, err);
  char cmd = UJ_CMD_STOP, why[UJ_ERR_MSG];
  size_t got = 0;
  struct pollfd p;
  ssize_t r;

  if (c < 0)
    return -1;
  if (write(c, &cmd, 1) != 1)
    return uj_err_set(err, errno, "ask jail monitor of uid %u to stop", (unsigned) uid);
  /* The monitor closes the connection once everything is gone, after
   * writing what went wrong, if anything did. */
  p = (struct pollfd){ .fd = c, .events = POLLIN };
  for (;;) {
    int k = poll(&p, 1, timeout_ms);
    if (k == 0)
      return uj_err_set(err, ETIMEDOUT, "jail of uid %u did not end within %d ms",
                        (unsigned) uid, timeout_ms);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0)
      return uj_err_set(err, errno, "wait for jail of uid %u", (unsigned) uid);
    r = read(c, why + got, sizeof why - 1 - got);
    if (r == 0 && got == 0)
      return 0;
    if (r == 0) {
      why[got] = '\0';
      return uj_err_set(err, EBUSY, "jail of uid %u: %s", (unsigned) uid, why);
    }
    if (r > 0 && (got += (size_t) r) == sizeof why - 1)
      got--; /* keep the beginning; read the rest into the last byte */
    if (r < 0 && errno != EINTR && errno != EAGAIN)
      return uj_err_set(err, errno, "wait for jail of uid %u", (unsigned) uid);
  }
}
