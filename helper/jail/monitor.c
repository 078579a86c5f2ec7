/* The host-side owner of one jail. It is forked (and detached) by the first
 * login of a user, and:
 *   - creates the user's cgroup (helper/cgroup/) and clones the jail init into it
 *     with the new namespaces; the init builds the root (mounts.c); for
 *     network = "private" it also makes the network namespace and starts
 *     pasta on it (net.c), and kills pasta when the jail ends;
 *   - listens on /run/userjail/UID.sock and counts sessions: a connection and
 *     a pidfd of the session process each, so a session whose process is
 *     killed still ends (struct session says why both);
 *   - when the last session ends (on_logout = kill), when no first session
 *     arrives in time, on `userjail stop`, or when the init dies: kills the
 *     init (the kernel then kills everything in the pid namespace), empties
 *     and removes the cgroup, removes the state files, exits.
 * Living outside the jail, it can remove the cgroup that the init was in.
 * The init holds one end of a socketpair whose other end only the monitor
 * has (its "lifeline"): if the monitor dies (kill -9, crash, OOM), the init
 * sees the hangup and exits, which ends the jail; the next login or `userjail stop`
 * then clears what is left (remains.c).
 * The session table and the socket's requests are monitor_sessions.c. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/sched.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/child.h"
#include "common/cleanup.h"
#include "common/enter.h"
#include "common/timeouts.h"
#include "cgroup/cgroup.h"
#include "jail/events.h"
#include "jail/client.h"
#include "jail/jail.h"
#include "jail/monitor.h"

int64_t uj_monitor_now_ms(void)
{
  return uj_monitor_now_us() / 1000;
}

int64_t uj_monitor_now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static pid_t clone3_pidfd(unsigned flags, int *pidfd)
{
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = (uint64_t) (uintptr_t) pidfd;
  args.exit_signal = SIGCHLD;
  return (pid_t) syscall(SYS_clone3, &args, sizeof args);
}

static int read_all(int fd, char *buf, size_t len)
{
  size_t total = 0;
  ssize_t n;
  while (total < len - 1) {
    n = read(fd, buf + total, len - 1 - total);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    total += (size_t) n;
  }
  buf[total] = '\0';
  return (int) total;
}

static int listen_socket(uid_t uid, struct uj_err *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return uj_err_set(err, errno, "socket");
  uj_rundir_path(sa.sun_path, sizeof sa.sun_path, uid, ".sock");
  unlink(sa.sun_path);
  if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return uj_err_set(err, errno, "bind %s", sa.sun_path);
  if (chmod(sa.sun_path, 0600) < 0 || listen(fd, 128) < 0)
    return uj_err_set(err, errno, "listen %s", sa.sun_path);
  return steal_fd(&fd);
}

/* cgroup v1 with LXCFS: the init also goes into a cpuset of its CPUs, so
 * LXCFS shows that many in /proc/cpuinfo and /proc/stat (cgroup/cpuset.c
 * says why). Made before the init is cloned: the init joins it by itself
 * through m->view.cpuset_fd (no grace period, cgroup.h). Best effort:
 * without it only those two files show more. */
static void prepare_cpuset_v1(struct monitor *m, const char *name)
{
  const struct uj_jail_spec *spec = m->spec;
  cleanup_free char *dir = NULL;
  struct uj_err e;

  if (m->view.limits.ncpus == 0 || !uj_lxcfs_running(spec->s->lxcfs))
    return;
  if (uj_cpuset_v1_create(spec->cgroup_root, name, m->view.limits.cpu_mask, UJ_CPUMASK_WORDS,
                          &dir, &e) < 0 ||
      (dir && (m->view.cpuset_fd = uj_cpuset_v1_open_join(dir, &e)) < 0))
    syslog(LOG_NOTICE, "userjail: %s: /proc/cpuinfo shows all CPUs: cpuset: %s", spec->user,
           e.msg);
}

/* Set up cgroup + init (+ network namespace and pasta for network =
 * "private"); on failure undo everything. The monitor and the
 * init share one SOCK_SEQPACKET socketpair: the monitor sends "G" (the init
 * is in its cgroup now), the init answers "OK" or its setup error, and
 * from then on the monitor just keeps its end open: the init exits when
 * it hangs up (its lifeline, init.c). */
/* On cgroup v2 the login that creates the jail joins the user's cgroup
 * right after the init, in the monitor: a cgroup migration after a quiet
 * moment waits for an RCU grace period (~8 ms on a default kernel), one
 * within ~10 ms of another does not, and the login's own move
 * (common/enter.c) would come only after the root is built, too late to
 * share the init's. (On v1 it joins by itself through `tasks`, which waits
 * for nothing: cgroup.h, join_fds.) `origin`
 * (O_PATH dirs of the cgroups it came from) is where it goes back if the
 * jail cannot be made. A process that is gone or cannot be moved is left
 * to move itself. */
static void premove_session(struct monitor *m, pid_t session_pid)
{
  struct uj_err err;
  int pidfd = (int) syscall(SYS_pidfd_open, session_pid, 0);

  if (pidfd < 0)
    return;
  if (uj_cgroup_attach(&m->cg, session_pid, &err) < 0 || uj_pidfd_pid(pidfd) != session_pid) {
    close(pidfd);
    return;
  }
  m->premoved_pidfd = pidfd;
  m->premoved_pid = session_pid;
}

static void unmove_session(struct monitor *m, const int *origin, size_t n_origin)
{
  struct uj_err err;

  if (m->premoved_pidfd < 0)
    return;
  if (uj_pidfd_pid(m->premoved_pidfd) == m->premoved_pid &&
      uj_cgroup_move_to(origin, n_origin, m->premoved_pid, &err) < 0)
    syslog(LOG_WARNING, "userjail: %s: session process back out of the cgroup: %s",
           m->spec->user, err.msg);
  close(m->premoved_pidfd);
  m->premoved_pidfd = -1;
  m->premoved_pid = 0;
}

/* The user's cgroup, and on v2 where the session process is now (where it
 * goes back if the jail cannot be made). */
static int make_cgroup(struct monitor *m, const char *name, pid_t session_pid, int *origin,
                       size_t *n_origin, struct uj_err *err)
{
  const struct uj_jail_spec *spec = m->spec;

  if (uj_cgroup_create(spec->cgroup_root, name, spec->s, &m->cg, err) < 0)
    return uj_err_prefix(err, "cgroup");
  if (session_pid > 0 && m->cg.version == 2) {
    struct uj_err e2;
    if (uj_cgroup_open_current(spec->cgroup_root, session_pid, origin, UJ_CGROUP_MAXDIRS + 1,
                               n_origin, &e2) < 0)
      *n_origin = 0; /* it moves itself, as a later login does */
  }
  return 0;
}

static int start_jail(struct monitor *m, pid_t session_pid, const struct uj_start_opts *mw,
                      struct uj_err *err)
{
  const struct uj_jail_spec *spec = m->spec;
  bool private_net = spec->s->network == UJ_NET_PRIVATE;
  unsigned flags = spec->ns_flags;
  char name[32], status[UJ_ERR_MSG];
  int chan[2] = { -1, -1 };
  int origin[UJ_CGROUP_MAXDIRS + 1];
  size_t n_origin = 0;
  ssize_t n;
  pid_t pid;

  snprintf(name, sizeof name, "%u", (unsigned) spec->uid);
  uj_limits_fill(spec, &m->view.limits);
  m->view.cg = &m->cg;
  if (private_net) {
    /* pasta joins the user's cgroup, so that comes first here. */
    if (make_cgroup(m, name, session_pid, origin, &n_origin, err) < 0)
      return -1;
    /* The init joins the namespace made for pasta instead of a new one. */
    flags &= ~(unsigned) CLONE_NEWNET;
    /* pasta starts first: it takes longer than the init's setup (and its
     * cgroup attach, like the init's, may wait for an RCU grace period),
     * so the two run side by side. */
    if (uj_net_create(&m->net, err) < 0 || uj_net_spawn(&m->net, spec, &m->cg, err) < 0) {
      uj_err_prefix(err, "network");
      goto undo;
    }
  }
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan) < 0) {
    uj_err_set(err, errno, "socketpair");
    goto undo;
  }
  prepare_cpuset_v1(m, name);
  /* No trim here: the init soon executes the reaper and this process
   * userjail-monitor, neither keeps a copy of these pages, and reading
   * /proc/self/maps would sit on the login's path. */
  uj_monitor_spread_prepare(&m->view);
  pid = clone3_pidfd(flags, &m->pidfd);
  if (pid < 0) {
    uj_err_set(err, errno, "clone jail init");
    goto undo;
  }
  if (pid == 0) {
    close(chan[0]);
    uj_init_main(spec, &m->view, m->net.netns_fd, chan[1]);
  }
  uj_monitor_spread_init(&m->view, pid);
  m->init_pid = pid;
  close(chan[1]);
  chan[1] = -1;
  close_many(&m->view.cpuset_fd, 1); /* the init has its copy */
  /* The init builds the root meanwhile; it waits for "G" only before the
   * view of the cgroup, and then opens and joins it by itself (init.c). */
  if (!private_net && make_cgroup(m, name, session_pid, origin, &n_origin, err) < 0)
    goto kill_init;
  /* the session process joins now only where that saves it a grace period
   * of its own (v2) */
  if (session_pid > 0 && n_origin > 0)
    premove_session(m, session_pid);
  /* The init may have failed already (it builds the root meanwhile) and
   * closed its end: its error is still queued for us to read. */
  bool go_sent = send(chan[0], "G", 1, MSG_NOSIGNAL) == 1;
  int go_errno = errno;
  /* A monitor that is its login's helper (uj_monitor_start, become) does
   * the helper's own work while the init builds the root. */
  if (mw && mw->meanwhile)
    mw->meanwhile(mw->arg);
  /* An init that failed before reading our "G" closed its end with that
   * byte unread, which sets ECONNRESET on ours; the kernel reports that
   * error before the message still queued here (its reason), so read
   * again: the error is cleared once reported. */
  do
    n = read(chan[0], status, sizeof status - 1);
  while (n < 0 && (errno == EINTR || errno == ECONNRESET));
  status[n > 0 ? n : 0] = '\0';
  if (!go_sent && n <= 0) {
    uj_err_set(err, go_errno, "start jail init");
    goto kill_init;
  }
  m->view.limits.lxcfs = strcmp(status, "OKL") == 0; /* the init bound LXCFS's files */
  if (strcmp(status, "OK") != 0 && !m->view.limits.lxcfs) {
    uj_err_set(err, 0, "%s", status[0] ? status : "jail init died during setup");
    goto kill_init;
  }
  if (private_net && uj_net_ready(&m->net, spec, err) < 0) {
    uj_err_prefix(err, "network");
    goto kill_init;
  }
  m->lifeline = chan[0];
  close_many(origin, n_origin);
  return 0;

kill_init:
  syscall(SYS_pidfd_send_signal, m->pidfd, SIGKILL, NULL, 0);
  waitpid(pid, NULL, 0);
  close(m->pidfd);
  m->pidfd = -1;
undo:
  close_many(&m->view.cpuset_fd, 1);
  uj_cpuset_v1_remove(spec->cgroup_root, name);
  uj_net_stop(&m->net);
  close_many(chan, 2);
  unmove_session(m, origin, n_origin);
  close_many(origin, n_origin);
  {
    struct uj_err e2;
    uj_cgroup_destroy(&m->cg, UJ_TIMEOUT_CGROUP_UNDO_MS, &e2);
  }
  return -1;
}

void uj_monitor_teardown(struct monitor *m, int stopper, bool final)
{
  struct uj_err err;
  char path[108];
  int lock = -1;

  uj_err_clear(&err);
  if (final) {
    /* Sessions no longer count; their fds go now, so that even a monitor
     * whose fd table is full can open the lock file below. */
    m->ending = true;
    while (m->n_sess)
      uj_monitor_drop_session(m, 0);
  }
  /* Take the user's lock so no helper joins or re-creates this jail while
   * it is going away. A helper holding it may be waiting for our answer to
   * its session request: answer it (a session when not final, then the
   * jail stays; a refusal when final) instead of waiting for each other. */
  for (;;) {
    lock = uj_rundir_lock(m->spec->uid, true, &err);
    if (lock >= 0)
      break;
    if (err.code != EWOULDBLOCK)
      syslog(LOG_ERR, "userjail: %s: teardown: %s", m->spec->user, err.msg);
    struct pollfd p = { .fd = m->listen_fd, .events = POLLIN };
    if (poll(&p, 1, 10) > 0 && uj_monitor_accept(m) && !final)
      return; /* a new session arrived: the jail lives on */
  }
  uj_rundir_path(path, sizeof path, m->spec->uid, ".sock");
  unlink(path);
  close(m->listen_fd);
  syscall(SYS_pidfd_send_signal, m->pidfd, SIGKILL, NULL, 0);
  waitpid(m->init_pid, NULL, 0);
  uj_net_stop(&m->net);
  {
    char name[32];
    snprintf(name, sizeof name, "%u", (unsigned) m->spec->uid);
    uj_cpuset_v1_remove(m->spec->cgroup_root, name);
  }
  while (m->n_sess)
    uj_monitor_drop_session(m, 0);
  if (m->premoved_pidfd >= 0) { /* its session never came: treat it as logged out */
    uj_monitor_leaver_add(m, m->premoved_pidfd);
    m->premoved_pidfd = -1;
  }
  /* The jail's processes are gone with its init; session processes that
   * logged out get to finish (not for `stop`: it moves them out at once). */
  uj_monitor_leavers_release(m, !final);
  if (uj_cgroup_destroy(&m->cg, UJ_TIMEOUT_CGROUP_EMPTY_MS, &err) < 0)
    syslog(LOG_ERR, "userjail: %s: remove cgroup: %s", m->spec->user, err.msg);
  else
    uj_err_clear(&err);
  uj_rundir_unlock(lock, m->spec->uid, true);
  syslog(LOG_INFO, "userjail: jail of %s ended", m->spec->user);
  if (stopper >= 0) {
    /* `userjail stop` waits for the close; a message before it is an error. */
    if (err.msg[0] && send(stopper, err.msg, strnlen(err.msg, sizeof err.msg), MSG_NOSIGNAL) < 0) {
      /* it gave up waiting; the log has the error */
    }
    close(stopper);
  }
  _exit(0);
}

/* How long poll may sleep: until the first-session deadline or the end of
 * an accept pause, whichever comes first; -1 when neither is pending. */
static int poll_timeout(const struct monitor *m, int64_t now)
{
  int64_t t = -1;
  int ev = uj_events_timeout_ms(m->events); /* a held-back limit report, v1 checks */
  if (m->first_session_deadline)
    t = m->first_session_deadline - now;
  if (m->accept_paused_until > now && (t < 0 || m->accept_paused_until - now < t))
    t = m->accept_paused_until - now;
  if (t < 0 && m->first_session_deadline)
    t = 0;
  if (ev >= 0 && (t < 0 || ev < t))
    t = ev;
  if (m->trim_at && (t < 0 || m->trim_at - now < t))
    t = m->trim_at > now ? m->trim_at - now : 0;
  if (t > INT_MAX)
    t = INT_MAX;
  return (int) t;
}

void uj_monitor_serve(struct monitor *m)
{
  for (;;) {
    struct pollfd *p;
    size_t n = 0;
    int64_t now = uj_monitor_now_ms();
    bool paused = m->accept_paused_until > now;

    if (!uj_monitor_reserve(m)) {
      syslog(LOG_ERR, "userjail: %s: out of memory", m->spec->user);
      uj_monitor_teardown(m, -1, true);
    }
    p = m->pfds;
    /* fd -1: poll ignores the listening socket while accepting is paused. */
    p[n++] = (struct pollfd){ .fd = paused ? -1 : m->listen_fd, .events = POLLIN };
    p[n++] = (struct pollfd){ .fd = m->pidfd, .events = POLLIN };
    for (size_t i = 0; i < m->n_sess; i++) {
      p[n++] = (struct pollfd){ .fd = m->sess[i].sock, .events = POLLIN };
      p[n++] = (struct pollfd){ .fd = m->sess[i].pidfd, .events = POLLIN };
    }
    size_t leave_at = n;
    n += uj_monitor_leaver_pollfds(m, p + n);
    /* then pasta (fd -1, ignored by poll, when there is none) */
    size_t pasta_at = n;
    p[n++] = (struct pollfd){ .fd = m->net.pasta_pidfd, .events = POLLIN };
    size_t ev_at = n; /* limit events (events.c) come last */
    n += uj_events_pollfds(m->events, p + n);
    int k = poll(p, n, poll_timeout(m, now));
    if (k < 0) {
      if (errno == EINTR)
        continue;
      syslog(LOG_ERR, "userjail: %s: poll: %m", m->spec->user);
      uj_monitor_teardown(m, -1, true);
    }
    if (p[1].revents) {
      syslog(LOG_WARNING, "userjail: init of %s's jail died", m->spec->user);
      uj_monitor_teardown(m, -1, true);
    }
    /* pasta gone: the jail lives on without outbound network (its own
     * loopback still works); sessions are not cut for it. */
    if (p[pasta_at].revents) {
      syslog(LOG_WARNING, "userjail: pasta of %s's jail exited; the jail has no outbound network",
             m->spec->user);
      uj_net_reap(&m->net);
    }
    uj_events_handle(m->events, p + ev_at, n - ev_at);
    uj_monitor_leaver_reap(m, p + leave_at);
    /* A session ends on any input or hangup on its connection, or when its
     * process exits. Walk backwards: drop_session moves the last one in.
     * Ended by logout while its process runs on: a leaver (see
     * monitor_leavers.c), which the teardown waits for. */
    for (size_t i = m->n_sess; i-- > 0;) {
      if (p[2 + 2 * i].revents || p[3 + 2 * i].revents) {
        if (!p[3 + 2 * i].revents && m->sess[i].pidfd >= 0) {
          uj_monitor_leaver_add(m, m->sess[i].pidfd);
          m->sess[i].pidfd = -1;
        }
        uj_monitor_drop_session(m, i);
      }
    }
    if (p[0].revents & POLLIN)
      uj_monitor_accept(m);
    /* Until the first session, a jail lives at most this long: its creator
     * may have died, or failed to send its request. */
    if (m->first_session_deadline && uj_monitor_now_ms() >= m->first_session_deadline) {
      syslog(LOG_WARNING, "userjail: %s: no session arrived within %d ms; ending the jail",
             m->spec->user, UJ_TIMEOUT_FIRST_SESSION_MS);
      m->first_session_deadline = 0;
      uj_monitor_teardown(m, -1, false);
      continue;
    }
    if (m->n_sess == 0 && !m->first_session_deadline &&
        m->spec->s->on_logout == UJ_LOGOUT_KILL)
      uj_monitor_teardown(m, -1, false);
    /* A second after the last login or logout: idle, give back what
     * serving it dirtied or mapped (off every login's path). */
    if (k > 0)
      m->trim_at = uj_monitor_now_ms() + UJ_MONITOR_TRIM_MS;
    else if (m->trim_at && uj_monitor_now_ms() >= m->trim_at) {
      /* idle: become userjail-monitor (returns when that cannot be) */
      if (!m->handed_off)
        uj_monitor_handoff(m);
      uj_monitor_trim_memory();
      uj_monitor_trim_text(true);
      m->trim_at = 0;
    } else if (!m->trim_at) {
      /* a timer while idle (v1's periodic limit check): give back what it
       * faulted in */
      uj_monitor_trim_text(false);
    }
  }
}

/* What every monitor is before its jail exists. */
static void monitor_prepare(struct monitor *m, const struct uj_jail_spec *spec, int listen_fd)
{
  *m = (struct monitor){ .spec = spec, .pidfd = -1, .lifeline = -1, .listen_fd = listen_fd,
                         .premoved_pidfd = -1, .view = { .cpuset_fd = -1 } };
  uj_cgroup_init(&m->cg);
  uj_net_init(&m->net);
  /* Before the clone: the init inherits its OOM protection (a jail whose
   * PID 1 the OOM killer picked would end). */
  uj_monitor_protect_self(spec->user);
  m->started = time(NULL);
  {
    char title[64];
    snprintf(title, sizeof title, "userjail-mon %s", spec->user);
    uj_set_proc_title(title);
  }
  m->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* The jail is up. Its creator asks for the first session right away.
 * Until that arrives the count is zero, which must not end the jail, but
 * neither may a creator that died or failed keep it alive: a bounded
 * wait. */
static void monitor_started(struct monitor *m)
{
  m->first_session_deadline = uj_monitor_now_ms() + UJ_TIMEOUT_FIRST_SESSION_MS;
  m->trim_at = uj_monitor_now_ms() + UJ_MONITOR_TRIM_MS;
}

/* The rest of a monitor's set-up, once the login that made the jail has
 * its answer (nothing waits for this), then its loop. */
static void monitor_run(struct monitor *m) __attribute__((noreturn));
static void monitor_run(struct monitor *m)
{
  const struct uj_jail_spec *spec = m->spec;
  struct uj_err err;

  uj_monitor_pin_init(m);
  if (spec->s->lxcfs && !m->view.limits.lxcfs)
    syslog(LOG_NOTICE, "userjail: jail of %s: no LXCFS at %s, so free and top in the jail show "
           "the host's memory and CPUs", spec->user, spec->s->lxcfs);
  if (uj_events_open(&m->cg, spec->user, &m->view.limits, &m->events, &err) < 0)
    syslog(LOG_WARNING, "userjail: jail of %s: limit events not watched: %s", spec->user,
           err.msg);
  uj_monitor_serve(m);
  _exit(1); /* not reached: the loop ends in a teardown */
}

static void monitor_main(const struct uj_jail_spec *spec, int report_fd, int listen_fd,
                         pid_t session_pid) __attribute__((noreturn));
static void monitor_main(const struct uj_jail_spec *spec, int report_fd, int listen_fd,
                         pid_t session_pid)
{
  struct monitor m;
  struct uj_err err;

  uj_err_clear(&err);
  monitor_prepare(&m, spec, listen_fd);
  if (start_jail(&m, session_pid, NULL, &err) < 0) {
    char path[108];
    uj_rundir_path(path, sizeof path, spec->uid, ".sock");
    unlink(path);
    if (write(report_fd, err.msg, strnlen(err.msg, sizeof err.msg)) < 0)
      _exit(2);
    _exit(1);
  }
  if (write(report_fd, "OK", 2) != 2)
    _exit(1);
  close(report_fd);
  monitor_started(&m);
  {
    /* The creator's request usually waits in the backlog already
     * (uj_monitor_start): answered before the rest of our set-up, which
     * no one waits for. The session process has not forked the user's
     * shell yet, so no limit event can fall in between. */
    struct pollfd lp = { .fd = m.listen_fd, .events = POLLIN };
    if (poll(&lp, 1, 0) == 1 && (lp.revents & POLLIN))
      uj_monitor_accept(&m);
  }
  monitor_run(&m);
}

/* A standby's worker (cli/cmd_standby.c) is a helper that exits after its
 * login: instead of forking a monitor and relaying the monitor's answer,
 * it becomes the monitor itself. That saves a login the fork, the new
 * process's wait for a CPU, and a hand-over between two processes once
 * the jail is up. The first session is taken as a request on the
 * listening socket would be, over a socketpair whose other end (*conn) the
 * caller reads the answer from and hands to the module as the session's
 * connection. On success this process must go on as the monitor
 * (uj_monitor_continue) once its login has the answer; the jail has no
 * other owner. Everything the caller holds but `keep` was closed before
 * (uj_monitor_start), so the monitor carries nothing of the worker's. */
static int become_monitor(const struct uj_jail_spec *spec, pid_t session_pid,
                          const struct uj_start_opts *opts, int lfd, int *conn, struct uj_err *err)
{
  cleanup_free struct monitor *m = malloc(sizeof *m);
  cleanup_close int pidfd = -1;
  int sv[2] = { -1, -1 };
  char path[108];
  bool prepared = false;
  int ok;

  /* Everything that can fail without a jail to undo comes first. */
  if (!m)
    ok = uj_err_set(err, ENOMEM, "monitor");
  else if ((pidfd = (int) syscall(SYS_pidfd_open, session_pid, 0)) < 0)
    ok = uj_err_set(err, errno, "pidfd of session process %d", (int) session_pid);
  else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    ok = uj_err_set(err, errno, "socketpair");
  else
    ok = 0;
  if (ok == 0) {
    /* Its own session, as a forked monitor's: nothing sent to the
     * standby's process group reaches the jail. */
    setsid();
    monitor_prepare(m, spec, lfd);
    prepared = true;
    ok = start_jail(m, session_pid, opts, err);
  }
  if (ok < 0) {
    uj_rundir_path(path, sizeof path, spec->uid, ".sock");
    unlink(path);
    close(lfd);
    if (prepared)
      close_many(&m->spare_fd, 1);
    close_many(sv, 2);
    return -1;
  }
  monitor_started(m);
  /* Taken or refused (serve_session says why on sv[0]): either way the
   * caller reads the answer. A refused first session leaves the jail to
   * its first-session deadline, as a forked monitor's would. */
  uj_monitor_take_first(m, sv[0], steal_fd(&pidfd));
  *conn = sv[1];
  *opts->become = steal_pointer(&m);
  return 0;
}

void uj_monitor_keep_grant(struct monitor *m, const struct uj_grant_msg *g)
{
  uj_quick_grant_keep(m, g);
}

void uj_monitor_continue(struct monitor *m)
{
  monitor_run(m);
}

int uj_monitor_start(const struct uj_jail_spec *spec, pid_t session_pid,
                     const struct uj_start_opts *opts, int *conn, struct uj_err *err)
{
  bool caller_exits = opts && opts->caller_exits;
  cleanup_close int lfd = -1, c = -1;
  int rp[2];
  pid_t mid;
  int status;
  char msg[UJ_ERR_MSG], path[108];

  *conn = -1;
  if (opts && opts->become) {
    /* This process is about to become a monitor: nothing it holds but
     * what its caller still needs goes along (glibc's syslog socket and
     * whatever the user's lookup left open, e.g. sssd's). */
    closelog();
    /* ... and its stdio is /dev/null, as a forked monitor's (uj_child_fds2) */
    if (uj_close_fds_except(opts->keep, opts->n_keep, true) < 0)
      return uj_err_set(err, errno, "close the worker's fds");
  }
  uj_rundir_path(path, sizeof path, spec->uid, ".sock");
  /* The socket listens before the monitor exists (we hold the user's lock,
   * so no other login looks at it yet): our session request waits in its
   * backlog while the jail is built and is answered first, without a
   * round trip after the monitor's report. */
  lfd = listen_socket(spec->uid, err);
  if (lfd < 0)
    return -1;
  if (opts && opts->become)
    return become_monitor(spec, session_pid, opts, steal_fd(&lfd), conn, err);
  if (pipe2(rp, O_CLOEXEC) < 0) {
    unlink(path);
    return uj_err_set(err, errno, "pipe");
  }
  /* The monitor outlives the helper and ends up re-parented to the host's
   * init (or subreaper): forked twice, or once when the caller exits right
   * after answering (uj_start_opts.caller_exits). */
  mid = fork();
  if (mid < 0) {
    int e = errno;
    close(rp[0]);
    close(rp[1]);
    unlink(path);
    return uj_err_set(err, e, "fork");
  }
  if (mid == 0) {
    close(rp[0]);
    setsid();
    /* The caller may have logged already: its syslog socket is about to be
     * closed below and its number reused (by the listening socket), where
     * the next syslog() would write, fail and close it. Start afresh. */
    closelog();
    /* Nothing of the caller (its session socket, the lock) stays open:
     * the report pipe becomes fd 3, the listening socket fd 4 (not
     * inherited by pasta or anything else it executes), and everything
     * above is closed. */
    if (uj_child_fds2(rp[1], lfd, true) < 0 || fcntl(4, F_SETFD, FD_CLOEXEC) < 0)
      _exit(1);
    if (!caller_exits && fork() != 0)
      _exit(0);
    monitor_main(spec, 3, 4, session_pid);
  }
  close(rp[1]);
  /* Queued now; the listening socket stays the monitor's alone. A monitor
   * that fails closes it, and the request is dropped with it. */
  c = uj_monitor_connect(spec->uid, err);
  close(lfd);
  lfd = -1;
  if (c >= 0 && uj_monitor_send_session(c, UJ_CMD_SESSION, session_pid, err) < 0) {
    close(c);
    c = -1;
  }
  /* The init builds the jail's root meanwhile (~2 ms). */
  if (opts && opts->meanwhile)
    opts->meanwhile(opts->arg);
  /* The intermediate process, not the monitor (which is ours until we
   * exit when caller_exits: never waited for). */
  if (!caller_exits)
    waitpid(mid, &status, 0);
  read_all(rp[0], msg, sizeof msg);
  close(rp[0]);
  if (strcmp(msg, "OK") != 0)
    return uj_err_set(err, 0, "%s", msg[0] ? msg : "jail monitor died during setup");
  /* A request that could not be queued (err says why) is made now. */
  if (c < 0 && (c = uj_monitor_connect(spec->uid, err)) >= 0 &&
      uj_monitor_send_session(c, UJ_CMD_SESSION, session_pid, err) < 0)
    return -1;
  if (c < 0)
    return -1;
  *conn = steal_fd(&c);
  return 0;
}
