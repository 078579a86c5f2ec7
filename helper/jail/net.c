/* The jail's network namespace: loopback and ping for network = "none" and
 * "private"; for "private" also the namespace pair it lives in and pasta(1),
 * the user-mode network stack that connects it to the world.
 *
 * Why a user namespace: pasta drops to an unprivileged uid (nobody) before
 * it joins the target network namespace, and joining needs CAP_SYS_ADMIN
 * over the namespace's owner. A network namespace owned by the initial user
 * namespace would force pasta to keep root. So the monitor makes a user
 * namespace owned by pasta's uid, creates the jail's network namespace in
 * it, and pasta joins both as that uid and nothing more. The jail's init and
 * every session (root in the initial user namespace) join the network
 * namespace as before; the jail's users gain nothing over it (they are not
 * its owner), so they still cannot raw-socket, reconfigure or setns.
 *
 * What pasta is told (see pasta(1)): configure the namespace (--config-net);
 * forward nothing into it (-t none -u none: the jail is not reachable from
 * the host or other jails); forward nothing from it to the host's loopback
 * (-T none -U none) except the admin's network_allow_host_ports; and do not
 * map the gateway address onto the host's loopback (--no-map-gw). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/timeouts.h"
#include "jail/jail.h"

/* pasta runs as this user unless the host has no "nobody" (then 65534). */
#define NET_FALLBACK_ID 65534

void uj_net_init(struct uj_net *n)
{
  *n = (struct uj_net){ .userns_fd = -1, .netns_fd = -1, .pasta_pidfd = -1,
                        .starter_pidfd = -1, .pid_memfd = -1, .err_fd = -1 };
}

int uj_loopback_up(struct uj_err *err)
{
  cleanup_close int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;

  if (s < 0)
    return uj_err_set(err, errno, "socket");
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
    return uj_err_set(err, errno, "get lo flags");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
    return uj_err_set(err, errno, "bring lo up");
  return 0;
}

int uj_net_setup_inside(struct uj_err *err)
{
  /* Every group may open ICMP echo ("ping") sockets: ping then needs no
   * capability, which jailed processes never have. The file is per network
   * namespace (of the opener), so this touches only the jail's. A host
   * whose /proc/sys is read-only (a container) keeps its jails, without
   * ping: that is logged, not fatal. */
  static const char range[] = "0 2147483647";
  cleanup_close int fd = -1;

  if (uj_loopback_up(err) < 0)
    return -1;
  fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || write(fd, range, sizeof range - 1) != (ssize_t) (sizeof range - 1))
    syslog(LOG_WARNING, "userjail: jail network: set net.ipv4.ping_group_range: %m");
  return 0;
}

static void net_ids(uid_t *uid, gid_t *gid)
{
  struct passwd pw, *res = NULL;
  char buf[1024];

  *uid = NET_FALLBACK_ID;
  *gid = NET_FALLBACK_ID;
  if (getpwnam_r("nobody", &pw, buf, sizeof buf, &res) == 0 && res && pw.pw_uid != 0 &&
      pw.pw_gid != 0) {
    *uid = pw.pw_uid;
    *gid = pw.pw_gid;
  }
}

static pid_t fork_pidfd(int *pidfd)
{
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_PIDFD;
  args.pidfd = (uint64_t) (uintptr_t) pidfd;
  args.exit_signal = SIGCHLD;
  return (pid_t) syscall(SYS_clone3, &args, sizeof args);
}

/* The child that creates the namespaces: it becomes pasta's uid first, so
 * that uid owns the user namespace, but keeps CAP_SYS_ADMIN for the
 * unshare (hosts may forbid unprivileged user namespaces). Reports errno
 * (0 = done) on `report`, then waits for `hold` to close. */
static void ns_child(uid_t uid, gid_t gid, int report[2], int hold[2]) __attribute__((noreturn));
static void ns_child(uid_t uid, gid_t gid, int report[2], int hold[2])
{
  cap_value_t admin = CAP_SYS_ADMIN;
  cap_t caps = NULL;
  int e = 0;
  char c;

  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  close(report[0]);
  close(hold[1]); /* else the wait below never ends */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
      setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
    e = errno;
  if (!e && (!(caps = cap_init()) || cap_set_flag(caps, CAP_PERMITTED, 1, &admin, CAP_SET) < 0 ||
             cap_set_flag(caps, CAP_EFFECTIVE, 1, &admin, CAP_SET) < 0 || cap_set_proc(caps) < 0))
    e = errno ? errno : EPERM;
  if (!e && (unshare(CLONE_NEWUSER) < 0 || unshare(CLONE_NEWNET) < 0))
    e = errno;
  if (write(report[1], &e, sizeof e) != sizeof e)
    _exit(1);
  while (read(hold[0], &c, 1) < 0 && errno == EINTR)
    ;
  _exit(0);
}

static int write_map(pid_t pid, const char *file, unsigned outside, struct uj_err *err)
{
  char path[64], line[32];
  int len = snprintf(line, sizeof line, "0 %u 1\n", outside);
  cleanup_close int fd = -1;

  snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, file);
  fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, line, (size_t) len) != len)
    return uj_err_set(err, errno, "write %s", path);
  return 0;
}

int uj_net_create(struct uj_net *n, struct uj_err *err)
{
  int report[2] = { -1, -1 }, hold[2] = { -1, -1 }, e = 0, rc = -1;
  char path[64];
  pid_t pid;

  net_ids(&n->uid, &n->gid);
  if (pipe2(report, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0) {
    uj_err_set(err, errno, "pipe");
    goto out;
  }
  pid = fork();
  if (pid < 0) {
    uj_err_set(err, errno, "fork");
    goto out;
  }
  if (pid == 0)
    ns_child(n->uid, n->gid, report, hold);
  close_many(&report[1], 1);
  if (read(report[0], &e, sizeof e) != sizeof e)
    e = ECHILD;
  if (e) {
    uj_err_set(err, e, "create the jail's network namespace");
    goto reap;
  }
  /* Root of the user namespace is pasta's uid: nothing else is mapped. */
  if (write_map(pid, "uid_map", n->uid, err) < 0 || write_map(pid, "gid_map", n->gid, err) < 0)
    goto reap;
  snprintf(path, sizeof path, "/proc/%d/ns/user", (int) pid);
  if ((n->userns_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
    uj_err_set(err, errno, "open %s", path);
    goto reap;
  }
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int) pid);
  if ((n->netns_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
    uj_err_set(err, errno, "open %s", path);
    close_many(&n->userns_fd, 1);
    goto reap;
  }
  rc = 0;
reap:
  close_many(&hold[1], 1);
  waitpid(pid, NULL, 0);
out:
  close_many(report, 2);
  close_many(hold, 2);
  return rc;
}

/* -T for pasta: "none" or the allowed host loopback ports "5432,6379". */
static void host_ports_arg(const struct uj_settings *s, char *buf, size_t len)
{
  size_t o = 0;

  snprintf(buf, len, "none");
  for (size_t i = 0; i < s->n_host_ports && o + 7 < len; i++)
    o += (size_t) snprintf(buf + o, len - o, "%s%u", i ? "," : "", (unsigned) s->host_ports[i]);
}

/* In the forked child: into the user's cgroup, fds in place, exec pasta
 * with an empty environment. Failures go to stderr (the pipe), which the
 * monitor quotes in its error. */
static void pasta_child(const struct uj_net *n, const struct uj_cgroup *cg, const char *pasta,
                        char *const argv[], int errw) __attribute__((noreturn));
static void pasta_child(const struct uj_net *n, const struct uj_cgroup *cg, const char *pasta,
                        char *const argv[], int errw)
{
  static char *const envp[] = { NULL };
  int hi[4], nul;

  /* Counted in the user's quotas: its memory and pids are the user's
   * traffic. "0" is the writing process; the daemon pasta forks inherits. */
  struct uj_err err;
  if (uj_cgroup_join_self(cg, &err) < 0) {
    dprintf(errw, "cannot join the user's cgroup: %s", err.msg);
    _exit(126);
  }
  /* Move the kept fds out of the way, then down to 2..5 (dup2 clears
   * close-on-exec); everything else is closed. */
  hi[0] = fcntl(errw, F_DUPFD, 10);
  hi[1] = fcntl(n->netns_fd, F_DUPFD, 10);
  hi[2] = fcntl(n->userns_fd, F_DUPFD, 10);
  hi[3] = fcntl(n->pid_memfd, F_DUPFD, 10);
  nul = open("/dev/null", O_RDWR);
  if (hi[0] < 0 || hi[1] < 0 || hi[2] < 0 || hi[3] < 0 || nul < 0 || dup2(nul, 0) < 0 ||
      dup2(nul, 1) < 0 || dup2(hi[0], 2) < 0 || dup2(hi[1], 3) < 0 || dup2(hi[2], 4) < 0 ||
      dup2(hi[3], 5) < 0) {
    dprintf(errw, "set up descriptors: %s", strerror(errno));
    _exit(126);
  }
  syscall(SYS_close_range, 6U, ~0U, 0);
  execve(pasta, argv, envp);
  dprintf(2, "cannot run it: %s", strerror(errno));
  _exit(127);
}

int uj_net_spawn(struct uj_net *n, const struct uj_jail_spec *spec, const struct uj_cgroup *cg,
                 struct uj_err *err)
{
  const char *pasta = spec->s->pasta ? spec->s->pasta : UJ_DEFAULT_PASTA;
  char tports[UJ_MAX_HOST_PORTS * 6 + 8], runas[32];
  char *argv[] = { (char *) "pasta", (char *) "--quiet", (char *) "--config-net",
                   (char *) "--no-map-gw", (char *) "-t", (char *) "none", (char *) "-u",
                   (char *) "none", (char *) "-T", tports, (char *) "-U", (char *) "none",
                   (char *) "--netns", (char *) "/proc/self/fd/3", (char *) "--userns",
                   (char *) "/proc/self/fd/4", (char *) "--pid", (char *) "/proc/self/fd/5",
                   (char *) "--runas", runas, NULL };
  int errp[2];
  pid_t pid;

  host_ports_arg(spec->s, tports, sizeof tports);
  snprintf(runas, sizeof runas, "%u:%u", (unsigned) n->uid, (unsigned) n->gid);
  /* The daemon pasta forks into the background is re-parented to us, so we
   * can reap it and it cannot outlive the jail unnoticed. */
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return uj_err_set(err, errno, "pasta: become subreaper");
  /* pasta writes its daemon's pid here. It opens the path after dropping
   * to its uid: a memfd is reopenable by anyone, and is no state file. */
  n->pid_memfd = (int) syscall(SYS_memfd_create, "pasta-pid", MFD_CLOEXEC);
  if (n->pid_memfd < 0)
    return uj_err_set(err, errno, "pasta: memfd");
  if (pipe2(errp, O_CLOEXEC) < 0)
    return uj_err_set(err, errno, "pasta: pipe");
  pid = fork_pidfd(&n->starter_pidfd);
  if (pid < 0) {
    close_many(errp, 2);
    return uj_err_set(err, errno, "pasta: fork");
  }
  if (pid == 0) {
    close(errp[0]);
    pasta_child(n, cg, pasta, argv, errp[1]);
  }
  close(errp[1]);
  n->err_fd = errp[0];
  n->starter = pid;
  n->spawned = true;
  return 0;
}

/* What pasta said on stderr, for the error message: its last line (pasta
 * may first complain that it cannot reach syslog). */
static void read_err(int fd, char *buf, size_t len)
{
  char all[2048], *end, *start;
  ssize_t r;

  fcntl(fd, F_SETFL, O_NONBLOCK);
  r = read(fd, all, sizeof all - 1);
  all[r > 0 ? r : 0] = '\0';
  end = all + strlen(all);
  while (end > all && (end[-1] == '\n' || end[-1] == ' '))
    *--end = '\0';
  start = strrchr(all, '\n');
  snprintf(buf, len, "%s", start ? start + 1 : all);
}

int uj_net_ready(struct uj_net *n, const struct uj_jail_spec *spec, struct uj_err *err)
{
  const char *pasta = spec->s->pasta ? spec->s->pasta : UJ_DEFAULT_PASTA;
  struct pollfd p = { .fd = n->starter_pidfd, .events = POLLIN };
  char msg[160] = "", num[24] = "", status[64] = "", want[32];
  int st = 0, r;
  ssize_t len;
  pid_t pid;

  while ((r = poll(&p, 1, UJ_TIMEOUT_PASTA_MS)) < 0 && errno == EINTR)
    ;
  if (r == 0) {
    syscall(SYS_pidfd_send_signal, n->starter_pidfd, SIGKILL, NULL, 0);
    uj_err_set(err, ETIMEDOUT, "pasta (%s) did not set up the network in %d ms", pasta,
               UJ_TIMEOUT_PASTA_MS);
  }
  waitpid(n->starter, &st, 0);
  n->starter = 0;
  close_many(&n->starter_pidfd, 1);
  if (r == 0)
    return -1;
  read_err(n->err_fd, msg, sizeof msg);
  close_many(&n->err_fd, 1);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    if (!msg[0])
      snprintf(msg, sizeof msg, "exit status %d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return uj_err_set(err, 0, "pasta (%s) failed: %s", pasta, msg);
  }
  len = pread(n->pid_memfd, num, sizeof num - 1, 0);
  close_many(&n->pid_memfd, 1);
  pid = len > 0 ? (pid_t) strtol(num, NULL, 10) : 0;
  if (pid <= 1)
    return uj_err_set(err, ESRCH, "pasta (%s) wrote no pid", pasta);
  n->pasta_pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
  if (n->pasta_pidfd < 0)
    return uj_err_set(err, errno, "pasta (%s) exited after setup", pasta);
  n->pasta_pid = pid;
  /* It must be our child now (we are its subreaper): only then is the pid
   * ours to wait for and to kill at the end. */
  snprintf(want, sizeof want, "%d", (int) getpid());
  {
    char path[64], line[128];
    FILE *f;
    snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
    if ((f = fopen(path, "re"))) {
      while (fgets(line, sizeof line, f))
        if (sscanf(line, "PPid: %63s", status) == 1)
          break;
      fclose(f);
    }
  }
  if (strcmp(status, want) != 0) {
    close_many(&n->pasta_pidfd, 1);
    n->pasta_pid = 0;
    return uj_err_set(err, ESRCH, "pasta (%s): daemon %d is not ours", pasta, (int) pid);
  }
  /* pasta and the init hold the namespaces from now on. */
  close_many(&n->userns_fd, 1);
  close_many(&n->netns_fd, 1);
  return 0;
}

void uj_net_reap(struct uj_net *n)
{
  if (n->pasta_pidfd < 0)
    return;
  waitpid(n->pasta_pid, NULL, WNOHANG);
  close_many(&n->pasta_pidfd, 1);
  n->pasta_pid = 0;
  n->spawned = false;
}

static void kill_children(void)
{
  char path[64], buf[512];
  ssize_t len;
  int fd;

  snprintf(path, sizeof path, "/proc/self/task/%d/children", (int) getpid());
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  len = read(fd, buf, sizeof buf - 1);
  close(fd);
  buf[len > 0 ? len : 0] = '\0';
  for (char *p = buf, *e; *p; p = e) {
    long pid = strtol(p, &e, 10);
    if (e == p)
      break;
    if (pid > 1) {
      kill((pid_t) pid, SIGKILL);
      waitpid((pid_t) pid, NULL, 0);
    }
  }
}

void uj_net_stop(struct uj_net *n)
{
  if (n->starter > 0) {
    syscall(SYS_pidfd_send_signal, n->starter_pidfd, SIGKILL, NULL, 0);
    waitpid(n->starter, NULL, 0);
    n->starter = 0;
  }
  /* pasta does not quit when the jail does (it holds the namespaces): kill
   * it and its daemon, which the first one may have forked by now. */
  if (n->pid_memfd >= 0) {
    char num[24] = "";
    ssize_t len = pread(n->pid_memfd, num, sizeof num - 1, 0);
    pid_t pid = len > 0 ? (pid_t) strtol(num, NULL, 10) : 0;
    int fd = pid > 1 ? (int) syscall(SYS_pidfd_open, pid, 0) : -1;
    if (fd >= 0 && n->pasta_pidfd < 0) {
      n->pasta_pidfd = fd;
      n->pasta_pid = pid;
    } else if (fd >= 0) {
      close(fd);
    }
  }
  if (n->pasta_pidfd >= 0) {
    syscall(SYS_pidfd_send_signal, n->pasta_pidfd, SIGKILL, NULL, 0);
    waitpid(n->pasta_pid, NULL, 0);
  }
  /* A daemon whose pid we never learnt (the starter killed on a timeout
   * before writing it) is our child too, being its subreaper: by now the
   * init is gone, so every child left is pasta's. */
  if (n->spawned)
    kill_children();
  close_many(&n->pasta_pidfd, 1);
  close_many(&n->starter_pidfd, 1);
  close_many(&n->pid_memfd, 1);
  close_many(&n->err_fd, 1);
  close_many(&n->userns_fd, 1);
  close_many(&n->netns_fd, 1);
  n->pasta_pid = 0;
  n->spawned = false;
}
