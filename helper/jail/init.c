/* The jail's PID 1. A pid namespace needs a process inside it to mount its
 * /proc, and whoever is PID 1 inherits every orphan of the jail: without a
 * reaper each ended ssh session would leave a zombie behind. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/capability.h>
#include <unistd.h>

#include "common/child.h"
#include "common/cleanup.h"
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

static void reap_forever(void) __attribute__((noreturn));
static void reap_forever(void)
{
  sigset_t set;

  uj_set_proc_title("userjail-init");
  /* Signals other than SIGCHLD are blocked: as PID 1 of its namespace it
   * would ignore unhandled ones from inside anyway; the monitor ends it with
   * SIGKILL from the parent namespace. */
  sigfillset(&set);
  sigprocmask(SIG_BLOCK, &set, NULL);
  drop_all_caps();
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (;;) {
    while (waitpid(-1, NULL, WNOHANG) > 0)
      ;
    sigwaitinfo(&set, NULL);
  }
}

void uj_init_main(const struct uj_jail_spec *spec, int netns_fd, int go_fd, int status_fd)
{
  struct uj_err err;
  char c;

  uj_err_clear(&err);
  if (read(go_fd, &c, 1) != 1)
    _exit(1);
  close(go_fd);
  /* network = "private": the namespace pasta serves was made by the
   * monitor (net.c); join it before anything else. */
  if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0) {
    uj_err_set(&err, errno, "join the jail's network namespace");
    if ((status_fd = uj_child_fds(status_fd, false)) < 0)
      _exit(1);
    goto fail;
  }
  /* The jail must hold nothing of the monitor's: its listening socket,
   * cgroup files, the creator's report pipe. Only the status pipe stays. */
  if ((status_fd = uj_child_fds(status_fd, false)) < 0)
    _exit(1);
  if (spec->ns_flags & CLONE_NEWNET) {
    if (uj_net_setup_inside(&err) < 0)
      goto fail;
  }
  if (uj_build_root(spec, &err) < 0)
    goto fail;
  if (write(status_fd, "OK", 2) != 2)
    _exit(1);
  close(status_fd);
  reap_forever();
fail:
  if (write(status_fd, err.msg, strnlen(err.msg, sizeof err.msg)) < 0)
    _exit(2);
  _exit(1);
}

