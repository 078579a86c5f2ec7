/* The jail's PID 1. A pid namespace needs a process inside it to mount its
 * /proc, and whoever is PID 1 inherits every orphan of the jail: without a
 * reaper each ended ssh session would leave a zombie behind. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <sched.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/capability.h>
#include <unistd.h>

#include "common/child.h"
#include "common/cleanup.h"
#include "fs/safefs.h"
#include "jail/jail.h"

/* The init keeps uid 0 (so a jailed user cannot signal or ptrace it) but no
 * capability at all: it only waits. */
static void drop_all_caps(void)
{
  cap_t none = cap_init();
  for (int c = 0; c <= CAP_LAST_CAP; c++)
    prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
  if (none) {
    cap_set_proc(none);
    cap_free(none);
  }
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* What `ps` shows for the monitor and the jail's PID 1: not the command
 * line of whoever created the jail (an admin's `userjail run ...`). The
 * argument strings are contiguous from argv[0] (program_invocation_name):
 * overwrite them in place, as far as /proc/self/cmdline says they reach. */
void uj_set_proc_title(const char *title)
{
  char buf[4096];
  size_t len = strlen(title) + 1;
  ssize_t n = 0;
  int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

  if (fd >= 0) {
    n = read(fd, buf, sizeof buf);
    close(fd);
  }
  if (n > (ssize_t) len) {
    memset(program_invocation_name, 0, (size_t) n);
    memcpy(program_invocation_name, title, len);
  }
  prctl(PR_SET_NAME, title, 0, 0, 0);
}

/* Reap every child (orphans of the jail land here) until the monitor is
 * gone. The other end of `lifeline` (the channel to the monitor) is the
 * monitor's alone: when it hangs up (the monitor exited, was killed or
 * crashed) the init exits, and the kernel kills every process of the pid
 * namespace with it. Race-free, unlike PR_SET_PDEATHSIG: the channel exists
 * before the clone, and a hangup that happened before we poll is still
 * reported. */
static void reap_until_orphaned(int lifeline) __attribute__((noreturn));
static void reap_until_orphaned(int lifeline)
{
  sigset_t set;
  int sfd;

  uj_set_proc_title("userjail-init");
  /* Signals are blocked: as PID 1 of its namespace it would ignore
   * unhandled ones from inside anyway; the monitor ends it with SIGKILL
   * from the parent namespace. SIGCHLD arrives through a signalfd. */
  sigfillset(&set);
  sigprocmask(SIG_BLOCK, &set, NULL);
  drop_all_caps();
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  for (;;) {
    struct pollfd p[2] = { { .fd = lifeline, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
    struct signalfd_siginfo si;
    while (waitpid(-1, NULL, WNOHANG) > 0)
      ;
    /* Without a signalfd (no fd left), reap once a second instead. */
    if (poll(p, sfd >= 0 ? 2 : 1, sfd >= 0 ? -1 : 1000) < 0)
      continue;
    if (p[0].revents)
      _exit(0); /* the monitor is gone (it never writes after "go") */
    while (sfd >= 0 && read(sfd, &si, sizeof si) == sizeof si)
      ;
  }
}

/* The reaper PID 1 becomes (helper/reaper/reaper.c), opened on the host
 * before pivot_root. -1: none (PID 1 then stays this process). */
static int open_reaper(void)
{
  return uj_open_own_program("userjail-reaper", UJ_REAPER_PATH, O_PATH);
}

/* PID 1 for the rest of the jail's life: the reaper if there is one (a few
 * pages instead of a copy of the helper), else this process's own loop.
 * The channel to the monitor is fd 3 (uj_child_fds), which the reaper
 * watches; every signal blocked and every capability dropped carry over. */
static void become_reaper(int reaper, int lifeline) __attribute__((noreturn));
static void become_reaper(int reaper, int lifeline)
{
  if (reaper >= 0 && lifeline == 3) {
    static char *const argv[] = { "userjail-init", NULL };
    static char *const envp[] = { NULL };
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    drop_all_caps();
    /* Nothing else of ours goes along. */
    syscall(SYS_close_range, 4U, ~0U, CLOSE_RANGE_CLOEXEC);
    syscall(SYS_execveat, reaper, "", argv, envp, AT_EMPTY_PATH);
    /* not executable after all: stay */
  }
  reap_until_orphaned(lifeline);
}

/* The monitor made the user's cgroup while the root was being built: wait
 * for its word, find the cgroup (every hierarchy) and join it by itself
 * (a process joining by its own write skips the grace period a move by pid
 * waits for on v1: cgroup.h, join_fds) before the view of it is built and
 * before PID 1 has any child. */
struct cgroup_wait {
  int chan;
  uid_t uid;
  const char *root;
  struct uj_cgroup cg;
};

static int join_cgroup_when_ready(void *arg, struct uj_jail_view *view, struct uj_err *err)
{
  struct cgroup_wait *w = arg;
  char name[32], c;

  if (read(w->chan, &c, 1) != 1)
    _exit(1); /* the monitor gave up on this jail */
  /* Started away from the monitor's CPU (monitor_self.c,
   * uj_monitor_spread_init): all of its CPUs again, before the jail has
   * any other process. Its current CPU is among them, so it is not moved. */
  if (view->spread)
    sched_setaffinity(0, sizeof view->home_cpus, &view->home_cpus);
  snprintf(name, sizeof name, "%u", (unsigned) w->uid);
  if (uj_cgroup_open(w->root, name, &w->cg, err) < 0 || uj_cgroup_join_self(&w->cg, err) < 0)
    return uj_err_prefix(err, "cgroup");
  view->cg = &w->cg;
  return 0;
}

void uj_init_main(const struct uj_jail_spec *spec, struct uj_jail_view *view, int netns_fd,
                  int chan)
{
  int reaper = -1;
  struct uj_err err;
  struct cgroup_wait w = { .uid = spec->uid, .root = spec->cgroup_root };
  const struct uj_view_wait wait = { .fn = join_cgroup_when_ready, .arg = &w };

  uj_err_clear(&err);
  uj_cgroup_init(&w.cg);
  /* With LXCFS on v1, the cpuset the monitor made before the clone. */
  if (view->cpuset_fd >= 0 && write(view->cpuset_fd, "0", 1) != 1) {
    /* best effort (monitor.c, prepare_cpuset_v1): /proc/cpuinfo shows all CPUs */
  }
  /* network = "private": the namespace pasta serves was made by the
   * monitor (net.c); join it before anything else. */
  if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0) {
    uj_err_set(&err, errno, "join the jail's network namespace");
    if ((chan = uj_child_fds(chan, false)) < 0)
      _exit(1);
    goto fail;
  }
  /* The jail must hold nothing of the monitor's: its listening socket,
   * cgroup files, the creator's report pipe. Only the channel stays. */
  if ((chan = uj_child_fds(chan, false)) < 0)
    _exit(1);
  w.chan = chan;
  if (spec->ns_flags & CLONE_NEWNET) {
    if (uj_net_setup_inside(&err) < 0)
      goto fail;
  }
  reaper = open_reaper(); /* on the host, before pivot_root */
  if (uj_build_root(spec, view, &wait, &err) < 0)
    goto fail;
  uj_cgroup_close(&w.cg); /* joined and bound: no cgroup fd stays in the jail */
  if (write(chan, view->limits.lxcfs ? "OKL" : "OK", view->limits.lxcfs ? 3 : 2) < 2)
    _exit(1);
  become_reaper(reaper, chan);
fail:
  if (write(chan, err.msg, strnlen(err.msg, sizeof err.msg)) < 0)
    _exit(2);
  _exit(1);
}
