/* The jail monitor's session table and the requests that arrive on its
 * socket (/run/userjail/UID.sock): a session, the jail's state (`list`) or
 * its end (`stop`). The loop that waits on all of it is monitor.c.
 *
 * Limits: at most UJ_MAX_SESSIONS sessions; past that, and whenever the fd
 * table is full, a session request gets an explicit refusal (which the PAM
 * module shows the user) rather than a closed connection, and `list` and
 * `stop` are still answered: the monitor keeps one fd in reserve for that. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/timeouts.h"
#include "jail/events.h"
#include "jail/monitor.h"
#include "jail/stats.h"

/* After an accept error that retrying at once would repeat, wait this long
 * before accepting again (the backlog keeps the clients meanwhile). */
#define ACCEPT_PAUSE_MS 100

bool uj_monitor_reserve(struct monitor *m)
{
  if (m->n_sess < m->cap_sess)
    return true;
  size_t cap = m->cap_sess ? m->cap_sess * 2 : 4;
  struct session *ns = realloc(m->sess, cap * sizeof *ns);
  if (!ns)
    return false;
  m->sess = ns;
  /* listening socket, init, two per session, pasta, limit events, leavers */
  struct pollfd *p =
      realloc(m->pfds, (2 * cap + 3 + UJ_EVENTS_MAXFDS + UJ_MAX_LEAVERS) * sizeof *p);
  if (!p)
    return false;
  m->pfds = p;
  m->cap_sess = cap;
  return true;
}

void uj_monitor_drop_session(struct monitor *m, size_t i)
{
  close(m->sess[i].sock);
  if (m->sess[i].pidfd >= 0)
    close(m->sess[i].pidfd);
  m->sess[i] = m->sess[--m->n_sess];
}

/* What a quick login (quick.c) gets beyond a helper's session: the dirs of
 * the cgroups it came from (where it goes back if entering fails) and its
 * seccomp filter, which the helper sends otherwise. */
struct quick_extra {
  int restore[UJ_CGROUP_MAXDIRS + 1];
  size_t n_restore;
};

/* The grant's filter (quick.c) as a uj_filter_msg, on the heap: 4 KiB. */
static int send_filter(const struct monitor *m, int c, struct uj_err *err)
{
  cleanup_free struct uj_filter_msg *f = malloc(sizeof *f);

  if (!f)
    return uj_err_set(err, ENOMEM, "seccomp filter");
  uj_quick_filter(m, f);
  return uj_send_fds(c, f, sizeof *f, NULL, 0, err);
}

/* moved: the session process is in the user's cgroup already (moved with
 * the init, monitor.c): no cgroup fds, so it does not move again. */
static int send_join(struct monitor *m, int c, bool moved, const struct quick_extra *q)
{
  struct uj_join_msg msg;
  int fds[1 + 2 * UJ_CGROUP_MAXDIRS + 1];
  size_t n = 0;
  struct uj_err err;

  memset(&msg, 0, sizeof msg);
  msg.status = UJ_STATUS_JAILED;
  msg.ns_flags = m->spec->ns_flags;
  msg.init_pid = m->init_pid;
  msg.n_cgroup = moved ? 0 : (uint32_t) m->cg.n;
  fds[n++] = m->pidfd;
  for (size_t i = 0; i < msg.n_cgroup; i++)
    fds[n++] = m->cg.join_fds[i];
  if (q) {
    msg.on_error_allow = uj_quick_on_error_allow(m);
    msg.n_restore = (uint32_t) q->n_restore;
    for (size_t i = 0; i < q->n_restore; i++)
      fds[n++] = q->restore[i];
  }
  /* with the jail's limits (notice, CPU pinning) as the trailer; a quick
   * login then gets the seccomp filter the helper would have sent */
  if (uj_send_join(c, &msg, &m->view.limits, fds, n, &err) < 0 ||
      (q && send_filter(m, c, &err) < 0)) {
    syslog(LOG_WARNING, "userjail: %s: send session: %s", m->spec->user, err.msg);
    return -1;
  }
  return 0;
}

/* A session the jail cannot take: say why (the PAM module shows it). */
static void refuse_session(struct monitor *m, int c, const char *why)
{
  struct uj_join_msg msg;
  struct uj_err err;

  memset(&msg, 0, sizeof msg);
  msg.magic = UJ_PROTO_MAGIC;
  msg.status = UJ_STATUS_DENY;
  snprintf(msg.msg, sizeof msg.msg, "%s", why);
  syslog(LOG_WARNING, "userjail: %s: session refused: %s", m->spec->user, why);
  uj_send_fds(c, &msg, sizeof msg, NULL, 0, &err);
}

/* A login needs a few processes in the jail beyond its session process
 * (sshd's unprivileged child and the shell): with fewer free, it would end
 * with a bare "fork: Resource temporarily unavailable" or a broken pipe.
 * Is the user's process limit that close? Then *why says so, for the user. */
#define LOGIN_PIDS_NEEDED 3
static bool pids_exhausted(struct monitor *m, char *why, size_t len)
{
  uint64_t pids, mem;
  struct uj_err err;

  if (m->view.limits.pids_max == 0 || uj_cgroup_usage(&m->cg, &pids, &mem, &err) < 0)
    return false;
  if (pids + LOGIN_PIDS_NEEDED <= m->view.limits.pids_max)
    return false;
  snprintf(why, len, "your jail has reached its process limit (%llu, %llu in use): end some "
           "processes (e.g. from a running session: kill %%1, pkill -u %s) or ask an "
           "administrator to run `userjail stop %s`",
           (unsigned long long) m->view.limits.pids_max, (unsigned long long) pids,
           m->spec->user, m->spec->user);
  return true;
}

static void send_info(struct monitor *m, int c)
{
  struct uj_info_msg info = {
    .magic = UJ_PROTO_MAGIC,
    .init_pid = m->init_pid,
    .sessions = (uint32_t) m->n_sess,
    .linger = m->spec->s->on_logout == UJ_LOGOUT_LINGER,
    .started = m->started,
    .uid = m->spec->uid,
    .version = UJ_INFO_VERSION,
    .config_hash = m->spec->config_hash,
  };
  struct uj_err err;
  uj_send_fds(c, &info, sizeof info, NULL, 0, &err);
}

/* accept4, using the spare fd when the table is full. *short_of_fds tells
 * the caller that the connection was accepted into the reserve slot: it
 * can be answered, but nothing that needs another fd can be done. */
static int accept_client(struct monitor *m, bool *short_of_fds)
{
  int c = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);

  *short_of_fds = false;
  if (c >= 0 || (errno != EMFILE && errno != ENFILE) || m->spare_fd < 0) {
    if (c < 0 && errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
      m->accept_paused_until = uj_monitor_now_ms() + ACCEPT_PAUSE_MS;
    return c;
  }
  close(m->spare_fd);
  m->spare_fd = -1;
  c = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) /* someone else took the slot (ENFILE: the whole system is full) */
    m->accept_paused_until = uj_monitor_now_ms() + ACCEPT_PAUSE_MS;
  else
    *short_of_fds = true;
  return c;
}

/* Take the reserve fd back once a slot is free again. */
static void restore_spare(struct monitor *m)
{
  if (m->spare_fd < 0)
    m->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Take the session on c, or refuse it with a reason. True when taken. A
 * session is only taken while the spare fd is held too, so that the next
 * client can always be answered. */
static bool serve_session(struct monitor *m, int c, int pidfd, bool short_of_fds, bool admin,
                          const struct quick_extra *q)
{
  char why[UJ_MSG_LEN];
  bool moved = false;

  /* The first request after the jail was made: from the process moved in
   * with the init? Anyone else moves itself; that process, if its request
   * never comes, counts as logged out (teardown waits for it). */
  if (m->premoved_pidfd >= 0) {
    moved = pidfd >= 0 && uj_pidfd_pid(pidfd) == m->premoved_pid;
    if (moved)
      close(m->premoved_pidfd);
    else
      uj_monitor_leaver_add(m, m->premoved_pidfd);
    m->premoved_pidfd = -1;
  }

  restore_spare(m);
  if (m->ending) {
    refuse_session(m, c, "the jail is ending; log in again");
  } else if (m->n_sess >= UJ_MAX_SESSIONS) {
    snprintf(why, sizeof why, "%zu sessions already open (the limit)", m->n_sess);
    refuse_session(m, c, why);
  } else if (short_of_fds || pidfd < 0 || m->spare_fd < 0) {
    /* pidfd < 0: the descriptor did not fit (MSG_CTRUNC), fd table full. */
    snprintf(why, sizeof why, "the jail's monitor is out of file descriptors (%zu sessions)",
             m->n_sess);
    refuse_session(m, c, why);
  } else if (!admin && pids_exhausted(m, why, sizeof why)) {
    /* `userjail enter` (admin) is let in: it may come to end some */
    refuse_session(m, c, why);
  } else if (!uj_monitor_reserve(m)) {
    refuse_session(m, c, "the jail's monitor is out of memory");
  } else if (send_join(m, c, moved, q) == 0) {
    m->sess[m->n_sess++] = (struct session){ .sock = c, .pidfd = pidfd };
    m->first_session_deadline = 0;
    return true;
  }
  if (pidfd >= 0)
    close(pidfd);
  close(c);
  return false;
}

bool uj_monitor_take_first(struct monitor *m, int c, int pidfd)
{
  return serve_session(m, c, pidfd, false, false, NULL);
}

/* UJ_CMD_QUICK: let a later login in without the helper (quick.c), or
 * answer RETRY, and the module runs the helper. */
static bool serve_quick(struct monitor *m, int c, int pidfd, bool short_of_fds)
{
  int64_t t0 = uj_monitor_now_us();
  struct quick_extra q = { .n_restore = 0 };
  char why[128];
  struct uj_err err;
  bool taken;

  if (m->ending || !uj_quick_allowed(m, c, why, sizeof why) ||
      uj_cgroup_open_current(m->spec->cgroup_root, uj_pidfd_pid(pidfd), q.restore,
                             UJ_CGROUP_MAXDIRS + 1, &q.n_restore, &err) < 0) {
    /* An ending jail: the helper waits for the user's lock, then makes a
     * new one; the quick way would only refuse. */
    struct uj_join_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.magic = UJ_PROTO_MAGIC;
    msg.status = UJ_STATUS_RETRY;
    uj_send_fds(c, &msg, sizeof msg, NULL, 0, &err);
    close(pidfd);
    close(c);
    return false;
  }
  taken = serve_session(m, c, pidfd, short_of_fds, false, &q);
  close_many(q.restore, q.n_restore);
  if (taken) {
    uj_stats_login_time(UJ_STAT_LOGIN_QUICK, (uint64_t) (uj_monitor_now_us() - t0));
    syslog(LOG_INFO, "userjail: session of %s joins its jail (quick, init pid %d)",
           m->spec->user, (int) m->init_pid);
  }
  return taken;
}

int uj_monitor_accept(struct monitor *m)
{
  struct ucred cred;
  socklen_t len = sizeof cred;
  struct timeval tv = { .tv_sec = UJ_TIMEOUT_REQUEST_S };
  struct uj_err err;
  int pidfd = -1;
  size_t nfds = 0;
  char cmd = 0;
  bool short_of_fds;
  int c = accept_client(m, &short_of_fds);
  int became_session = 0;

  if (c < 0)
    return 0;
  /* The socket lives in a root-only directory; check anyway. */
  if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0)
    goto close;
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (uj_recv_fds(c, &cmd, 1, &pidfd, 1, &nfds, &err) < 0) {
    /* A session request whose pidfd found no free slot arrives truncated. */
    if (err.code == EMSGSIZE && (cmd == UJ_CMD_SESSION || cmd == UJ_CMD_SESSION_ADMIN))
      serve_session(m, c, -1, true, false, NULL);
    else
      close(c);
    goto out;
  }
  switch (cmd) {
  case UJ_CMD_SESSION:
  case UJ_CMD_SESSION_ADMIN:
    if (nfds == 0) /* every client sends one (client.c); none is a bad client */
      break;
    became_session = serve_session(m, c, pidfd, short_of_fds, cmd == UJ_CMD_SESSION_ADMIN, NULL);
    goto out;
  case UJ_CMD_QUICK:
    if (nfds == 0)
      break;
    became_session = serve_quick(m, c, pidfd, short_of_fds);
    goto out;
  case UJ_CMD_GRANT:
    uj_quick_grant_take(m, c);
    break;
  case UJ_CMD_INFO:
    send_info(m, c);
    break;
  case UJ_CMD_STOP:
    /* Already ending: closing tells `stop` we are on it; it then waits for
     * the user's lock, which the ending monitor holds until it is done. */
    if (m->ending)
      break;
    if (nfds)
      close(pidfd);
    nfds = 0;
    restore_spare(m);
    uj_monitor_teardown(m, c, true);
    return 0;
  }
close:
  if (nfds)
    close(pidfd);
  close(c);
out:
  restore_spare(m);
  return became_session;
}
