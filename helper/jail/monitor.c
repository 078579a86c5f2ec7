/* The host-side owner of one jail. It is forked (and detached) by the first
 * login of a user, and:
 *   - creates the user's cgroup (helper/cgroup/) and clones the jail init into it
 *     with the new namespaces; the init builds the root (mounts.c); for
 *     network = "private" it also makes the network namespace and starts
 *     pasta on it (net.c), and kills pasta when the jail ends;
 *   - listens on /run/userjail/UID.sock and counts sessions: a connection and
 *     a pidfd of the session process each, so a session whose process is
 *     killed still ends (struct session says why both);
 *   - when the last session ends (on_logout = kill), on `userjail stop`, or
 *     when the init dies: kills the init (the kernel then kills everything
 *     in the pid namespace), empties and removes the cgroup, removes the
 *     state files, exits.
 * Living outside the jail, it can remove the cgroup that the init was in. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
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
#include "common/timeouts.h"
#include "cgroup/cgroup.h"
#include "jail/jail.h"

#define MAX_SESSIONS 4096

/* One session: its connection, and a pidfd of the process that opened it.
 * Either ending ends the session: the connection alone is not enough,
 * because processes the session process forks (sshd's unprivileged child)
 * inherit it, and Linux has no close-on-fork. */
struct session {
  int sock;
  int pidfd; /* -1 when the client sent none */
};

struct monitor {
  const struct uj_jail_spec *spec;
  struct uj_cgroup cg;
  struct uj_net net; /* network = "private": pasta */
  pid_t init_pid;
  int pidfd;
  int listen_fd;
  /* Sessions, grown on demand: an idle jail's memory is what the
   * benchmark holds us to, so no fixed 4096-slot arrays. */
  struct session *sess;
  size_t n_sess, cap_sess;
  struct pollfd *pfds;
  time_t started;
};

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

static void trim_memory(void);

/* Set up cgroup + init (+ network namespace and pasta for network =
 * "private"); on failure undo everything. */
static int start_jail(struct monitor *m, struct uj_err *err)
{
  const struct uj_jail_spec *spec = m->spec;
  bool private_net = spec->s->network == UJ_NET_PRIVATE;
  unsigned flags = spec->ns_flags;
  char name[32], status[UJ_ERR_MSG];
  int go[2] = { -1, -1 }, st[2] = { -1, -1 };
  pid_t pid;

  snprintf(name, sizeof name, "%u", (unsigned) spec->uid);
  if (uj_cgroup_create(spec->cgroup_root, name, spec->s, &m->cg, err) < 0)
    return uj_err_prefix(err, "cgroup");
  if (private_net) {
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
  if (pipe2(go, O_CLOEXEC) < 0 || pipe2(st, O_CLOEXEC) < 0) {
    uj_err_set(err, errno, "pipe");
    goto undo;
  }
  /* Creating the cgroup went deep into the stack; drop those pages now so
   * the init does not start with a copy of them. */
  trim_memory();
  pid = clone3_pidfd(flags, &m->pidfd);
  if (pid < 0) {
    uj_err_set(err, errno, "clone jail init");
    goto undo;
  }
  if (pid == 0) {
    close(go[1]);
    close(st[0]);
    uj_init_main(spec, m->net.netns_fd, go[0], st[1]);
  }
  m->init_pid = pid;
  close(go[0]);
  close(st[1]);
  go[0] = st[1] = -1;
  if (uj_cgroup_attach(&m->cg, pid, err) < 0) {
    uj_err_prefix(err, "cgroup");
    goto kill_init;
  }
  if (write(go[1], "G", 1) != 1) {
    uj_err_set(err, errno, "start jail init");
    goto kill_init;
  }
  read_all(st[0], status, sizeof status);
  if (strcmp(status, "OK") != 0) {
    uj_err_set(err, 0, "%s", status[0] ? status : "jail init died during setup");
    goto kill_init;
  }
  if (private_net && uj_net_ready(&m->net, spec, err) < 0) {
    uj_err_prefix(err, "network");
    goto kill_init;
  }
  close(go[1]);
  close(st[0]);
  return 0;

kill_init:
  syscall(SYS_pidfd_send_signal, m->pidfd, SIGKILL, NULL, 0);
  waitpid(pid, NULL, 0);
  close(m->pidfd);
  m->pidfd = -1;
undo:
  uj_net_stop(&m->net);
  close_many(go, 2);
  close_many(st, 2);
  {
    struct uj_err e2;
    uj_cgroup_destroy(&m->cg, UJ_TIMEOUT_CGROUP_UNDO_MS, &e2);
  }
  return -1;
}

static void send_join(struct monitor *m, int c)
{
  struct uj_join_msg msg;
  int fds[1 + UJ_CGROUP_MAXDIRS];
  size_t n = 0;
  struct uj_err err;

  memset(&msg, 0, sizeof msg);
  msg.magic = UJ_PROTO_MAGIC;
  msg.status = UJ_STATUS_JAILED;
  msg.ns_flags = m->spec->ns_flags;
  msg.init_pid = m->init_pid;
  msg.n_cgroup = (uint32_t) m->cg.n;
  fds[n++] = m->pidfd;
  for (size_t i = 0; i < m->cg.n; i++)
    fds[n++] = m->cg.procs_fds[i];
  if (uj_send_fds(c, &msg, sizeof msg, fds, n, &err) < 0)
    syslog(LOG_WARNING, "userjail: %s: send session: %s", m->spec->user, err.msg);
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

/* Make room for one more session (and its two pollfds). */
static bool reserve_session(struct monitor *m)
{
  if (m->n_sess < m->cap_sess)
    return true;
  size_t cap = m->cap_sess ? m->cap_sess * 2 : 4;
  struct session *ns = realloc(m->sess, cap * sizeof *ns);
  if (!ns)
    return false;
  m->sess = ns;
  struct pollfd *p = realloc(m->pfds, (2 * cap + 3) * sizeof *p);
  if (!p)
    return false;
  m->pfds = p;
  m->cap_sess = cap;
  return true;
}

static void drop_session(struct monitor *m, size_t i)
{
  close(m->sess[i].sock);
  if (m->sess[i].pidfd >= 0)
    close(m->sess[i].pidfd);
  m->sess[i] = m->sess[--m->n_sess];
}

static void teardown(struct monitor *m, int stopper);

/* Accept one connection and serve its request: a command byte, with the
 * session process's pidfd attached for a session. Returns 1 when it
 * became a session. A stop request tears down (and does not return). */
static int accept_one(struct monitor *m)
{
  struct ucred cred;
  socklen_t len = sizeof cred;
  struct timeval tv = { .tv_sec = UJ_TIMEOUT_REQUEST_S };
  struct uj_err err;
  int pidfd = -1;
  size_t nfds = 0;
  char cmd;
  int c = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);

  if (c < 0)
    return 0;
  /* The socket lives in a root-only directory; check anyway. */
  if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0)
    goto close;
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (uj_recv_fds(c, &cmd, 1, &pidfd, 1, &nfds, &err) < 0)
    goto close;
  switch (cmd) {
  case UJ_CMD_SESSION:
    if (m->n_sess >= MAX_SESSIONS || !reserve_session(m))
      goto close;
    send_join(m, c);
    m->sess[m->n_sess++] = (struct session){ .sock = c, .pidfd = nfds ? pidfd : -1 };
    return 1;
  case UJ_CMD_INFO:
    send_info(m, c);
    break;
  case UJ_CMD_STOP:
    if (nfds)
      close(pidfd);
    teardown(m, c);
    return 0;
  }
close:
  if (nfds)
    close(pidfd);
  close(c);
  return 0;
}

static void teardown(struct monitor *m, int stopper)
{
  struct uj_err err;
  char path[108];
  int lock = -1;

  /* Take the user's lock so no helper joins or re-creates this jail while
   * it is going away. A helper holding it may be waiting for our answer to
   * its session request: then serve it (the jail stays) instead of waiting. */
  for (;;) {
    lock = uj_rundir_lock(m->spec->uid, true, &err);
    if (lock >= 0)
      break;
    struct pollfd p = { .fd = m->listen_fd, .events = POLLIN };
    if (poll(&p, 1, 10) > 0 && accept_one(m) && stopper < 0)
      return; /* a new session arrived: the jail lives on */
  }
  uj_rundir_path(path, sizeof path, m->spec->uid, ".sock");
  unlink(path);
  close(m->listen_fd);
  syscall(SYS_pidfd_send_signal, m->pidfd, SIGKILL, NULL, 0);
  waitpid(m->init_pid, NULL, 0);
  uj_net_stop(&m->net);
  while (m->n_sess)
    drop_session(m, 0);
  if (uj_cgroup_destroy(&m->cg, UJ_TIMEOUT_CGROUP_EMPTY_MS, &err) < 0)
    syslog(LOG_ERR, "userjail: %s: remove cgroup: %s", m->spec->user, err.msg);
  uj_rundir_unlock(lock, m->spec->uid, true);
  syslog(LOG_INFO, "userjail: jail of %s ended", m->spec->user);
  if (stopper >= 0)
    close(stopper); /* `userjail stop` waits for this */
  _exit(0);
}

static void serve(struct monitor *m) __attribute__((noreturn));
static void serve(struct monitor *m)
{
  for (;;) {
    struct pollfd *p;
    size_t n = 0;
    if (!reserve_session(m)) {
      syslog(LOG_ERR, "userjail: %s: out of memory", m->spec->user);
      teardown(m, -1);
      continue;
    }
    p = m->pfds;
    p[n++] = (struct pollfd){ .fd = m->listen_fd, .events = POLLIN };
    p[n++] = (struct pollfd){ .fd = m->pidfd, .events = POLLIN };
    for (size_t i = 0; i < m->n_sess; i++) {
      p[n++] = (struct pollfd){ .fd = m->sess[i].sock, .events = POLLIN };
      p[n++] = (struct pollfd){ .fd = m->sess[i].pidfd, .events = POLLIN };
    }
    /* last: pasta (fd -1, ignored by poll, when there is none) */
    p[n++] = (struct pollfd){ .fd = m->net.pasta_pidfd, .events = POLLIN };
    if (poll(p, n, -1) < 0) {
      if (errno == EINTR)
        continue;
      syslog(LOG_ERR, "userjail: %s: poll: %m", m->spec->user);
      teardown(m, -1);
      continue;
    }
    if (p[1].revents) {
      syslog(LOG_WARNING, "userjail: init of %s's jail died", m->spec->user);
      teardown(m, -1);
      continue;
    }
    /* pasta gone: the jail lives on without outbound network (its own
     * loopback still works); sessions are not cut for it. */
    if (p[n - 1].revents) {
      syslog(LOG_WARNING, "userjail: pasta of %s's jail exited; the jail has no outbound network",
             m->spec->user);
      uj_net_reap(&m->net);
    }
    /* A session ends on any input or hangup on its connection, or when its
     * process exits. Walk backwards: drop_session moves the last one in. */
    for (size_t i = m->n_sess; i-- > 0;) {
      if (p[2 + 2 * i].revents || p[3 + 2 * i].revents)
        drop_session(m, i);
    }
    if (p[0].revents & POLLIN)
      accept_one(m);
    if (m->n_sess == 0 && m->spec->s->on_logout == UJ_LOGOUT_KILL)
      teardown(m, -1);
  }
}

/* Give back the pages that resolving the user dirtied (NSS and libconfig
 * go deep into the stack and the heap) before the init is cloned from us:
 * an idle jail is these two processes, and their memory is its cost. The
 * stack below our frame is dead by the ABI (beyond the 128-byte red zone). */
static void trim_memory(void)
{
  char line[256];
  FILE *f = fopen("/proc/self/maps", "re");
  uintptr_t lo, hi, sp = (uintptr_t) __builtin_frame_address(0);
  long page = sysconf(_SC_PAGESIZE);

  while (f && fgets(line, sizeof line, f)) {
    if (strstr(line, "[stack]") && sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2) {
      uintptr_t end = (sp - 2 * (uintptr_t) page) & ~((uintptr_t) page - 1);
      if (end > lo)
        madvise((void *) lo, end - lo, MADV_DONTNEED);
    }
  }
  if (f)
    fclose(f);
  malloc_trim(0);
}

static void monitor_main(const struct uj_jail_spec *spec, int report_fd)
    __attribute__((noreturn));
static void monitor_main(const struct uj_jail_spec *spec, int report_fd)
{
  struct monitor m = { .spec = spec, .pidfd = -1, .listen_fd = -1 };
  struct uj_err err;

  uj_err_clear(&err);
  uj_cgroup_init(&m.cg);
  uj_net_init(&m.net);
  trim_memory();
  m.started = time(NULL);
  {
    char title[64];
    snprintf(title, sizeof title, "userjail-mon %s", spec->user);
    uj_set_proc_title(title);
  }
  m.listen_fd = listen_socket(spec->uid, &err);
  if (m.listen_fd < 0 || start_jail(&m, &err) < 0) {
    char path[108];
    if (m.listen_fd >= 0) {
      uj_rundir_path(path, sizeof path, spec->uid, ".sock");
      unlink(path);
    }
    if (write(report_fd, err.msg, strnlen(err.msg, sizeof err.msg)) < 0)
      _exit(2);
    _exit(1);
  }
  if (write(report_fd, "OK", 2) != 2)
    _exit(1);
  close(report_fd);
  /* A session arrives right after this report: the creator holds it.
   * Until then the count is zero, which must not end the jail. */
  {
    struct pollfd p = { .fd = m.listen_fd, .events = POLLIN };
    if (poll(&p, 1, UJ_TIMEOUT_FIRST_SESSION_MS) > 0)
      accept_one(&m);
  }
  serve(&m);
}

int uj_monitor_start(const struct uj_jail_spec *spec, struct uj_err *err)
{
  int rp[2];
  pid_t mid;
  int status;
  char msg[UJ_ERR_MSG];

  if (pipe2(rp, O_CLOEXEC) < 0)
    return uj_err_set(err, errno, "pipe");
  /* Fork twice so the monitor is not our child: it outlives the helper and
   * is re-parented to the host's init (or subreaper). */
  mid = fork();
  if (mid < 0) {
    close(rp[0]);
    close(rp[1]);
    return uj_err_set(err, errno, "fork");
  }
  if (mid == 0) {
    close(rp[0]);
    setsid();
    /* Nothing of the caller (its session socket, the lock) stays open:
     * the report pipe becomes fd 3 and everything above is closed. */
    if (uj_child_fds(rp[1], true) < 0)
      _exit(1);
    if (fork() != 0)
      _exit(0);
    monitor_main(spec, 3);
  }
  close(rp[1]);
  waitpid(mid, &status, 0);
  read_all(rp[0], msg, sizeof msg);
  close(rp[0]);
  if (strcmp(msg, "OK") != 0)
    return uj_err_set(err, 0, "%s", msg[0] ? msg : "jail monitor died during setup");
  return 0;
}
