#include "pam_module/client.h"
#include "common/cleanup.h"
#include "common/timeouts.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

int uj_parse_module_args(int argc, const char **argv, struct uj_module_args *a,
                         struct uj_err *err)
{
  a->config = NULL;
  a->helper = UJ_HELPER_PATH;
  a->debug = 0;
  a->standby = UJ_STANDBY_SOCK;
  for (int i = 0; i < argc; i++) {
    if (strncmp(argv[i], "config=", 7) == 0 && argv[i][7] == '/')
      a->config = argv[i] + 7;
    else if (strncmp(argv[i], "helper=", 7) == 0 && argv[i][7] == '/')
      a->helper = argv[i] + 7;
    else if (strcmp(argv[i], "debug") == 0)
      a->debug = 1;
    else if (strncmp(argv[i], "standby=", 8) == 0 && argv[i][8] == '/')
      a->standby = argv[i] + 8;
    else if (strcmp(argv[i], "nostandby") == 0)
      a->standby = NULL;
    else
      return uj_err_set(err, EINVAL, "unknown or malformed module argument '%s'", argv[i]);
  }
  return 0;
}

/* Start `helper session-open --detached --module-groups [--config F] -- USER` with an
 * empty environment, stdio on /dev/null, the socket as fd 3 and nothing
 * else of this process (sshd's): posix_spawn, not fork+exec. fork copies
 * the page tables of sshd's session process; glibc's posix_spawn shares
 * them until the exec (CLONE_VM|CLONE_VFORK): measured 1.1 ms instead of
 * 3.2 ms from a 20 MB process here. Default signal dispositions, nothing
 * blocked. Returns 0 or a positive errno (it runs in spawn_detached's
 * intermediate process: no uj_err, nothing but the spawn). */
static int spawn_helper(const struct uj_module_args *a, const char *user, int sock, pid_t *pid)
{
  char *const envp[] = { NULL };
  const char *argv[10];
  int n = 0, r;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  sigset_t all, none;
  cleanup_close int moved = -1;

  /* A dup2 onto the same number would leave close-on-exec set. */
  if (sock == 3) {
    moved = fcntl(sock, F_DUPFD_CLOEXEC, 4);
    if (moved < 0)
      return errno;
    sock = moved;
  }
  argv[n++] = "userjail";
  argv[n++] = "session-open";
  argv[n++] = "--detached";
  argv[n++] = "--module-groups";
  if (a->config) {
    argv[n++] = "--config";
    argv[n++] = a->config;
  }
  argv[n++] = "--";
  argv[n++] = user;
  argv[n] = NULL;
  sigfillset(&all);
  sigemptyset(&none);
  if ((r = posix_spawn_file_actions_init(&fa)) != 0)
    return r;
  if ((r = posix_spawnattr_init(&at)) != 0) {
    posix_spawn_file_actions_destroy(&fa);
    return r;
  }
  if ((r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0)) == 0 &&
      (r = posix_spawn_file_actions_adddup2(&fa, 0, 1)) == 0 &&
      (r = posix_spawn_file_actions_adddup2(&fa, 0, 2)) == 0 &&
      (r = posix_spawn_file_actions_adddup2(&fa, sock, 3)) == 0 &&
      (r = posix_spawn_file_actions_addclosefrom_np(&fa, 4)) == 0 &&
      (r = posix_spawnattr_setsigdefault(&at, &all)) == 0 &&
      (r = posix_spawnattr_setsigmask(&at, &none)) == 0 &&
      (r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)) == 0)
    r = posix_spawn(pid, a->helper, &fa, &at, (char *const *) argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  return r;
}

/* The helper is not this process's child: it is spawned by a short-lived
 * intermediate that shares our memory (CLONE_VM|CLONE_VFORK, as
 * posix_spawn's own child does: no page tables copied) and our fd table
 * (CLONE_FILES: the pidfd it opens is ours) and exits once the helper
 * runs. So the helper, re-parented to the host's init, may go on
 * as a new jail's monitor itself instead of forking one and relaying its
 * answer (helper/jail/monitor.c, become_monitor): ~0.7 ms of a first
 * login. Nothing is left for sshd to reap but the intermediate, at once.
 * The intermediate runs with every signal blocked (none of the
 * application's handlers can run on its stack) and touches nothing of
 * ours but the job; the pidfd it opens lets us kill a helper that does not
 * answer without the risk of a reused pid. */
struct spawn_job {
  const struct uj_module_args *a;
  const char *user;
  int sock;
  pid_t pid;
  int pidfd;
  int r;
};

static int intermediate_main(void *arg)
{
  struct spawn_job *j = arg;

  j->r = spawn_helper(j->a, j->user, j->sock, &j->pid);
  /* The helper is our child until we return: it cannot have been reaped. */
  if (j->r == 0 && (j->pidfd = (int) syscall(SYS_pidfd_open, j->pid, 0)) < 0) {
    j->r = errno;
    kill(j->pid, SIGKILL);
  }
  return 0;
}

/* posix_spawn needs a few KiB of it; the lowest page is a guard, so an
 * overflow faults instead of writing into the application's memory. */
#define INTERMEDIATE_STACK (64 * 1024)

static int spawn_detached(struct spawn_job *j, struct uj_err *err)
{
  sigset_t all, old;
  struct sigaction dfl = { .sa_handler = SIG_DFL }, old_chld;
  int status, e = 0;
  pid_t ip;
  long page = sysconf(_SC_PAGESIZE);
  void *stack = mmap(NULL, INTERMEDIATE_STACK, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

  if (stack == MAP_FAILED)
    return uj_err_set(err, errno, "spawn helper: stack");
  if (page <= 0 || mprotect(stack, (size_t) page, PROT_NONE) < 0) {
    e = page <= 0 ? EINVAL : errno;
    munmap(stack, INTERMEDIATE_STACK);
    return uj_err_set(err, e, "spawn helper: stack guard");
  }
  j->pidfd = -1;
  j->r = EIO; /* unless the intermediate says otherwise */
  /* An application that ignores SIGCHLD would have the intermediate
   * reaped behind our back; the default until we have reaped it. */
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGCHLD, &dfl, &old_chld);
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  ip = clone(intermediate_main, (char *) stack + INTERMEDIATE_STACK,
             CLONE_VM | CLONE_FILES | CLONE_VFORK | SIGCHLD, j);
  if (ip < 0)
    e = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  /* CLONE_VFORK: the intermediate has exited by now */
  if (ip > 0)
    while (waitpid(ip, &status, 0) < 0 && errno == EINTR)
      ;
  sigaction(SIGCHLD, &old_chld, NULL);
  munmap(stack, INTERMEDIATE_STACK);
  if (ip < 0)
    return uj_err_set(err, e, "spawn helper");
  if (j->r != 0)
    return uj_err_set(err, j->r, "cannot run helper %s", j->a->helper);
  return 0;
}

/* The answer of session-open, from the helper or a standby's worker:
 * the join message, then for JAILED the session's seccomp filter. */
static int recv_answer(int sock, struct uj_join_msg *msg, struct uj_limits_msg *limits, int *fds,
                       size_t *nfds, struct uj_filter_msg *filter, struct uj_err *err)
{
  int have_limits, r;

  r = uj_recv_join(sock, msg, limits, &have_limits, fds, UJ_MAX_FDS, nfds, err);
  filter->magic = 0;
  filter->n = 0;
  if (r == 0 && msg->status == UJ_STATUS_JAILED) {
    int extra[1];
    size_t nextra = 0;
    r = uj_recv_fds(sock, filter, sizeof *filter, extra, 0, &nextra, err);
    if (r < 0) {
      close_many(fds, *nfds);
      *nfds = 0;
    }
  }
  return r;
}

/* The user's group list for the helper (--module-groups), sent while it
 * starts: this process's NSS modules are loaded and the user was just
 * looked up here, so getgrouplist costs less than in the freshly exec'd
 * helper (0.2-0.7 against 0.85 ms with nss_systemd here), and it runs
 * while the helper execs instead of on the way to its jail. The helper
 * takes it only if it has arrived when its lookup needs it
 * (helper/identity/user.c). No list (a failed lookup, too many groups):
 * the helper looks it up itself. A send that stops short ends our side of
 * the stream, so the helper reads EOF, not a wait, and looks it up too. */
static void send_groups(int sock, const struct uj_account *acct)
{
  struct uj_groups_msg m = { .magic = UJ_GROUPS_MAGIC, .uid = (uint32_t) acct->uid,
                             .gid = (uint32_t) acct->gid, .n_gids = UJ_GROUPS_NONE };
  cleanup_free char *buf = malloc(sizeof m + UJ_GROUPS_MAX * sizeof(gid_t));
  const char *out = (const char *) &m;
  size_t len = sizeof m;
  int ng = UJ_GROUPS_MAX;

  if (buf && acct->name[0] &&
      getgrouplist(acct->name, acct->gid, (gid_t *) (buf + sizeof m), &ng) >= 0 && ng > 0) {
    m.n_gids = (uint32_t) ng;
    memcpy(buf, &m, sizeof m);
    out = buf;
    len = sizeof m + (size_t) ng * sizeof(gid_t);
  }
  while (len > 0) {
    ssize_t w = send(sock, out, len, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      shutdown(sock, SHUT_WR);
      return;
    }
    out += w;
    len -= (size_t) w;
  }
}

int uj_run_helper(const struct uj_module_args *a, const char *user, const struct uj_account *acct,
                  struct uj_join_msg *msg, struct uj_limits_msg *limits, int *fds, size_t *nfds,
                  struct uj_filter_msg *filter, struct uj_err *err)
{
  int sv[2];
  struct timeval tv = { .tv_sec = UJ_TIMEOUT_HELPER_S };
  struct spawn_job job = { .a = a, .user = user };
  int r;

  *nfds = 0;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return uj_err_set(err, errno, "socketpair");
  job.sock = sv[1];
  r = spawn_detached(&job, err);
  close(sv[1]);
  if (r < 0) {
    close(sv[0]);
    return -1;
  }
  setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  send_groups(sv[0], acct);
  r = recv_answer(sv[0], msg, limits, fds, nfds, filter, err);
  if (r < 0 && (err->code == EAGAIN || err->code == EWOULDBLOCK)) {
    syscall(SYS_pidfd_send_signal, job.pidfd, SIGKILL, NULL, 0);
    uj_err_set(err, ETIMEDOUT, "helper %s did not answer within %d s", a->helper,
               UJ_TIMEOUT_HELPER_S);
  }
  close(sv[0]);
  close(job.pidfd);
  /* Answered: the helper only has its bookkeeping left (counters, the
   * grant for quick logins), or goes on as the jail's monitor. A helper
   * that died first (EOF) said nothing: refused as any helper failure. */
  if (r < 0)
    return uj_err_prefix(err, "helper %s", a->helper);
  return 0;
}

int uj_standby_join(const struct uj_module_args *a, const char *user, struct uj_join_msg *msg,
                    struct uj_limits_msg *limits, int *fds, size_t *nfds,
                    struct uj_filter_msg *filter)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  struct timeval tv = { .tv_sec = UJ_TIMEOUT_HELPER_S };
  struct uj_standby_req req;
  struct uj_err err;
  cleanup_close int c = -1;

  *nfds = 0;
  if (!a->standby || strlen(a->standby) >= sizeof sa.sun_path || strlen(user) >= sizeof req.user ||
      (a->config && strlen(a->config) >= sizeof req.config))
    return 0;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", a->standby);
  c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  /* No standby running (the usual case unless the admin started one). */
  if (c < 0 || connect(c, (struct sockaddr *) &sa, sizeof sa) < 0)
    return 0;
  /* Only root's standby decides about a login: whatever else listens
   * there (a socket left in a directory someone else could write) is
   * ignored, and the helper is spawned. */
  struct ucred cred;
  socklen_t clen = sizeof cred;
  if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 || cred.uid != 0)
    return 0;
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  memset(&req, 0, sizeof req);
  req.magic = UJ_STANDBY_MAGIC;
  snprintf(req.user, sizeof req.user, "%s", user);
  snprintf(req.config, sizeof req.config, "%s", a->config ? a->config : "");
  if (uj_send_fds(c, &req, sizeof req, NULL, 0, &err) < 0)
    return 0;
  /* Anything short of a whole answer (a standby ending, a worker that
   * died, a timeout) is no answer: closing our end ends whatever session
   * a worker may have begun, and the spawned helper starts over. */
  if (recv_answer(c, msg, limits, fds, nfds, filter, &err) < 0) {
    memset(msg, 0, sizeof *msg);
    return 0;
  }
  return 1;
}

int uj_quick_join(const struct uj_module_args *a, uid_t uid, struct uj_join_msg *msg,
                  struct uj_limits_msg *limits, int *fds, size_t *nfds,
                  struct uj_filter_msg *filter)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  struct timeval tv = { .tv_sec = UJ_TIMEOUT_CLIENT_S };
  char req[1 + sizeof(struct uj_quick_req)];
  struct uj_quick_req *q = (struct uj_quick_req *) (req + 1);
  int got[UJ_MAX_FDS - 1];
  size_t n = 0, extra = 0;
  int have_limits;
  struct uj_err err;
  cleanup_close int c = -1;
  cleanup_close int pidfd = -1;

  *nfds = 0;
  if (a->config && strlen(a->config) >= UJ_CONFIG_PATH_LEN)
    return 0;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%u.sock", UJ_RUN_DIR, (unsigned) uid);
  c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  /* No socket: no live jail (or a stale file): the helper deals with it. */
  if (c < 0 || connect(c, (struct sockaddr *) &sa, sizeof sa) < 0)
    return 0;
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  /* The monitor watches this process as the session's (as with the helper). */
  pidfd = (int) syscall(SYS_pidfd_open, getpid(), 0);
  if (pidfd < 0)
    return 0;
  memset(req, 0, sizeof req);
  req[0] = UJ_CMD_QUICK;
  q->magic = UJ_QUICK_MAGIC;
  snprintf(q->config, sizeof q->config, "%s", a->config ? a->config : "");
  if (uj_send_fds(c, req, sizeof req, &pidfd, 1, &err) < 0 ||
      uj_recv_join(c, msg, limits, &have_limits, got, UJ_MAX_FDS - 1, &n, &err) < 0)
    return 0; /* an older monitor closes on 'Q' */
  if (msg->status == UJ_STATUS_DENY && n == 0) {
    msg->msg[sizeof msg->msg - 1] = '\0';
    return 1;
  }
  if (msg->status != UJ_STATUS_JAILED || n != 1 + (size_t) msg->n_cgroup + msg->n_restore ||
      uj_recv_fds(c, filter, sizeof *filter, NULL, 0, &extra, &err) < 0 ||
      filter->magic != UJ_FILTER_MAGIC) {
    /* RETRY, or anything unexpected: closing the connection ends a
     * session the monitor may have counted. */
    close_many(got, n);
    return 0;
  }
  fds[0] = steal_fd(&c);
  memcpy(fds + 1, got, n * sizeof got[0]);
  *nfds = n + 1;
  return 1;
}
