/* `userjail standby`: the helper, started once by the admin (a service),
 * with one worker forked ahead of the next first login. A login through it
 * skips what every spawned helper pays before its first useful
 * instruction: the exec, the dynamic loader and the first load of the NSS
 * modules (README, Performance). The worker then runs the very code
 * session-open runs (uj_session_serve): the configuration is read and the
 * user looked up afresh for each login, nothing is cached between them.
 *
 * One worker waits in accept() at a time. Once it has a login it tells the
 * parent ("t" on its pipe), answers, and closes the pipe; the parent forks
 * the next worker then (or at once when another login already waits: not
 * while the login's jail is being built, on the CPU it needs). A worker
 * exits after answering, unless its login made a new jail: then it is that
 * jail's monitor (jail/monitor.c, become_monitor) and stays our child until
 * the jail ends. The module falls back to spawning session-open whenever
 * the standby gives no answer (no socket, a closed connection), so
 * stopping it, or a crashed one, only costs logins the time it saves. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/cleanup.h"
#include "common/proto.h"
#include "common/timeouts.h"
#include "config/config.h"
#include "jail/request.h"

/* A worker's exit status when this binary was replaced on disk (an
 * upgrade): the login falls back to a spawned helper (the new one) and the
 * standby ends; its service manager starts the new binary. */
#define EXIT_STALE 3
/* The next worker is forked when the login before has its answer, or this
 * long after it was taken, whichever comes first (see the loop). */
#define NEXT_WORKER_US 50000

/* glibc loads an NSS module the first time a lookup reaches it. A name
 * that exists nowhere goes through every source of passwd and group (a
 * name found in "files" would stop there), so after this the workers have
 * them all loaded. It asks the directory once, at start. */
static void load_nss_modules(void)
{
  gid_t g[4];
  int n = 4;

  (void) getpwnam("userjail-standby-no-such-user");
  (void) getgrnam("userjail-standby-no-such-group");
  (void) getgrouplist("userjail-standby-no-such-user", 0, g, &n);
  endpwent();
  endgrent();
}

static bool exe_replaced(void)
{
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

  if (n < 0)
    return false;
  exe[n] = '\0';
  return n > 10 && strcmp(exe + n - 10, " (deleted)") == 0;
}

/* Read the request in full, within the monitor's request bound. */
static int read_request(int c, struct uj_standby_req *req)
{
  struct timeval tv = { .tv_sec = UJ_TIMEOUT_REQUEST_S };
  struct uj_err err;
  size_t nfds;

  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (uj_recv_fds(c, req, sizeof *req, NULL, 0, &nfds, &err) < 0)
    return -1;
  if (req->magic != UJ_STANDBY_MAGIC || !memchr(req->user, '\0', sizeof req->user) ||
      !memchr(req->config, '\0', sizeof req->config) || !req->user[0] ||
      (req->config[0] && req->config[0] != '/'))
    return -1;
  return 0;
}

/* The pages of the stack a login goes through, written once now: a fork
 * shares its parent's pages until written, and each first write would
 * otherwise be a copy-on-write fault in the login's time. */
static __attribute__((noinline)) void touch_stack(void)
{
  char b[256 * 1024];
  memset(b, 0, sizeof b);
  __asm__ volatile("" : : "r"(b) : "memory");
}

/* A worker: read the config ahead, wait for one login, tell the parent
 * (`taken`), serve it. */
static void worker(int lfd, int taken, const char *config) __attribute__((noreturn));
static void worker(int lfd, int taken, const char *config)
{
  struct uj_standby_req req;
  struct uj_config_ahead ahead = { 0 };
  struct ucred cred;
  socklen_t len = sizeof cred;
  sigset_t none;
  int c;

  /* A waiting worker ends with its parent (a stopped standby leaves no
   * process behind holding the socket); one serving a login does not. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
    _exit(0);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* An unusable file is simply not parsed ahead: the login reads it again
   * and reports it (or falls back to its last valid copy) as ever. */
  (void) uj_config_ahead_prepare(&ahead, config);
  touch_stack();
  do
    c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
  while (c < 0 && errno == EINTR);
  if (c < 0)
    _exit(1);
  uint64_t t0 = uj_now_us();
  prctl(PR_SET_PDEATHSIG, 0);
  /* "taken" now; the pipe's close (uj_session_serve) says "answered" */
  (void) !write(taken, "t", 1);
  close(lfd);
  /* Only root (a PAM application's session process) asks; the socket is
   * 0600 as well. The peer is the process that will enter the jail. */
  if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.uid != 0 ||
      cred.pid <= 0 || read_request(c, &req) < 0)
    _exit(0);
  if (exe_replaced())
    _exit(EXIT_STALE); /* unanswered: the module spawns the new helper */
  if (taken == UJ_MODULE_FD && (taken = fcntl(taken, F_DUPFD_CLOEXEC, UJ_MODULE_FD + 1)) < 0)
    _exit(1);
  if (c != UJ_MODULE_FD && (dup2(c, UJ_MODULE_FD) < 0 || close(c) < 0))
    _exit(1);
  /* Its lookup in this process, bounded by an alarm (request.h): a worker
   * killed by it leaves its login unanswered, and the module then spawns
   * the helper, which looks the user up again under its own bound. */
  /* A jail it makes has this process as its monitor (no fork, no relay
   * of the monitor's answer: jail/monitor.c, become_monitor). */
  const struct uj_request_how how = { .ahead = &ahead, .lookup_inline = true,
                                      .become_monitor = true, .answer_fd = UJ_MODULE_FD,
                                      .done_fd = taken };
  signal(SIGALRM, SIG_DFL);
  uj_session_serve(req.config[0] ? req.config : NULL, &how, req.user, cred.pid, t0);
}

/* The listening socket, created under a temporary name and renamed into
 * place, so a module never finds a socket nobody listens on yet. */
static int listen_at(const char *path)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  char tmp[sizeof sa.sun_path];
  int fd;

  snprintf(tmp, sizeof tmp, "%s.%d", path, (int) getpid());
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", tmp);
  unlink(tmp);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || chmod(tmp, 0600) < 0 ||
      listen(fd, 128) < 0 || rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

static pid_t fork_worker(int lfd, const char *config, int *taken_r)
{
  int p[2];
  pid_t pid;

  if (pipe2(p, O_CLOEXEC) < 0)
    return -1;
  pid = fork();
  if (pid == 0) {
    close(p[0]);
    worker(lfd, p[1], config);
  }
  close(p[1]);
  if (pid < 0) {
    close(p[0]);
    return -1;
  }
  *taken_r = p[0];
  return pid;
}

int uj_cmd_standby(int argc, char **argv)
{
  const char *path = UJ_STANDBY_SOCK, *config = UJ_DEFAULT_CONFIG;
  const struct uj_opt opts[] = { { "--socket", true, &path, NULL },
                                 { "--config", true, &config, NULL }, { NULL } };
  struct uj_args a;
  char lockpath[PATH_MAX], dir[PATH_MAX];
  cleanup_close int lock = -1, lfd = -1, sfd = -1;
  int taken = -1, serving = -1, rc = 0;
  pid_t waiting = -1;
  uint64_t not_before = 0, serve_until = 0;
  struct stat st;
  sigset_t sigs;

  if (uj_cli_args(argc, argv, opts, 0, 0, false, &a) < 0)
    return UJ_EXIT_USAGE;
  /* Whoever started us, the workers and the monitors they fork are root
   * through and through: no caller's uid may signal them. */
  if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0) {
    perror("userjail standby: become root");
    return 1;
  }
  umask(077);
  if (path[0] != '/' || strlen(path) + 16 > sizeof ((struct sockaddr_un *) 0)->sun_path) {
    fprintf(stderr, "userjail standby: --socket wants an absolute path of at most %zu bytes\n",
            sizeof ((struct sockaddr_un *) 0)->sun_path - 16);
    return UJ_EXIT_USAGE;
  }
  snprintf(lockpath, sizeof lockpath, "%s.lock", path);
  snprintf(dir, sizeof dir, "%s", path);
  *strrchr(dir, '/') = '\0';
  /* Its own directory (root, 0700): the scripts and tools that look for
   * jails' UID.sock files in /run/userjail never meet it. */
  if (chdir("/") < 0 || (mkdir(UJ_RUN_DIR, 0700) < 0 && errno != EEXIST) ||
      (dir[0] && mkdir(dir, 0700) < 0 && errno != EEXIST)) {
    fprintf(stderr, "userjail standby: %s: %s\n", dir, strerror(errno));
    return 1;
  }
  /* Like /run/userjail for the helper (rundir.c): the directory holding
   * the socket is root's and nobody else may write it, or someone could
   * put a socket of their own where the module connects. */
  struct stat ds;
  if (lstat(dir[0] ? dir : "/", &ds) < 0 || !S_ISDIR(ds.st_mode) || ds.st_uid != 0 ||
      (ds.st_mode & 022)) {
    fprintf(stderr, "userjail standby: %s must be a directory owned by root, not writable by "
            "group or others\n", dir[0] ? dir : "/");
    return 1;
  }
  lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) {
    fprintf(stderr, "userjail standby: %s: %s\n", lockpath,
            errno == EWOULDBLOCK ? "another standby runs on this socket" : strerror(errno));
    return 1;
  }
  load_nss_modules();
  lfd = listen_at(path);
  if (lfd < 0 || stat(path, &st) < 0) {
    fprintf(stderr, "userjail standby: %s: %s\n", path, strerror(errno));
    return 1;
  }
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGCHLD);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  sigprocmask(SIG_BLOCK, &sigs, NULL);
  sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
  if (sfd < 0) {
    perror("userjail standby: signalfd");
    unlink(path);
    return 1;
  }
  syslog(LOG_INFO, "standby helper ready on %s", path);
  for (;;) {
    /* sfd; the waiting worker's pipe ("t": taken); the serving worker's
     * (closed: answered); the socket, while no worker waits */
    struct pollfd pf[4] = { { .fd = sfd, .events = POLLIN }, { .fd = taken, .events = POLLIN },
                            { .fd = serving, .events = POLLIN }, { .fd = -1, .events = POLLIN } };
    uint64_t now = uj_now_us();
    /* The next worker once the login before has its answer: forked and
     * preparing meanwhile, it would take the CPU the login's jail is
     * being built on. Sooner when another login already waits, and at
     * most NEXT_WORKER_US later. */
    if (waiting < 0 && now >= not_before && (serving < 0 || now >= serve_until)) {
      waiting = fork_worker(lfd, config, &taken);
      if (waiting < 0) {
        syslog(LOG_ERR, "standby: fork: %m; trying again in 1 s");
        not_before = now + 1000000;
      }
      pf[1].fd = taken;
    }
    int timeout = -1;
    if (waiting < 0) {
      uint64_t at = now < not_before ? not_before : serve_until;
      timeout = at > now ? (int) ((at - now + 999) / 1000) : 0;
      if (now >= not_before)
        pf[3].fd = lfd;
    }
    if (poll(pf, 4, timeout) < 0 && errno != EINTR)
      break;
    if (pf[3].revents)
      serve_until = 0; /* a login waits: its worker now */
    if (serving >= 0 && pf[2].revents) {
      close(serving);
      serving = -1;
    }
    if (taken >= 0 && pf[1].revents) {
      /* Taken (a byte): its pipe now tells when it has answered. The
       * worker died waiting (EOF): the next in a second, so one that
       * cannot even accept does not make us spin. */
      char b;
      ssize_t n = read(taken, &b, 1);
      if (serving >= 0)
        close(serving);
      serving = -1;
      if (n == 1) {
        serving = taken;
        serve_until = uj_now_us() + NEXT_WORKER_US;
      } else {
        close(taken);
        not_before = uj_now_us() + 1000000;
      }
      taken = -1;
      waiting = -1;
    }
    if (pf[0].revents) {
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) != sizeof si)
        continue;
      if (si.ssi_signo != SIGCHLD)
        break;
      int status;
      pid_t pid;
      bool stale = false;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_STALE)
          stale = true;
      if (stale) {
        syslog(LOG_NOTICE, "standby: its binary was replaced: ending (logins spawn the new one)");
        rc = EXIT_STALE;
        break;
      }
    }
  }
  /* Ours still? (A newer standby may have renamed its socket over it.) */
  struct stat now;
  if (stat(path, &now) == 0 && now.st_ino == st.st_ino && now.st_dev == st.st_dev)
    unlink(path);
  if (waiting > 0)
    kill(waiting, SIGTERM);
  if (taken >= 0)
    close(taken);
  if (serving >= 0)
    close(serving);
  return rc;
}
