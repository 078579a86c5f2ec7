#include "common/enter.h"
#include "common/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

/* Read "NSpid:" of a pidfd from /proc/self/fdinfo: the pid in each pid
 * namespace level, outermost first. A jail init shows exactly "<host> 1". */
static int pidfd_is_ns_init(int pidfd, struct uj_err *err)
{
  char path[64], buf[1024];
  FILE *f;
  int ok = 0;

  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
  f = fopen(path, "re");
  if (!f)
    return uj_err_set(err, errno, "%s", path);
  while (fgets(buf, sizeof buf, f)) {
    long host, inner;
    char extra;
    if (strncmp(buf, "NSpid:", 6) == 0 &&
        sscanf(buf + 6, "%ld %ld %c", &host, &inner, &extra) == 2 && host > 1 && inner == 1)
      ok = 1;
  }
  fclose(f);
  if (!ok)
    return uj_err_set(err, ESRCH, "jail init is gone or is not the init of a pid namespace");
  return 0;
}

/* Only a single-threaded process may join: the cgroup fds the helper
 * sends are v1 `tasks` files, which move the writing thread alone (no
 * grace period to wait for, helper/cgroup/cgroup.h), and the kernel lets
 * only a process with its own fs_struct (no threads) setns into a mount
 * namespace anyway. Said up front so the refusal names the cause. */
static int check_single_threaded(struct uj_err *err)
{
  char buf[256];
  long threads = -1;
  FILE *f = fopen("/proc/self/status", "re");

  if (!f)
    return uj_err_set(err, errno, "/proc/self/status");
  while (fgets(buf, sizeof buf, f))
    if (strncmp(buf, "Threads:", 8) == 0) {
      threads = strtol(buf + 8, NULL, 10);
      break;
    }
  fclose(f);
  if (threads != 1)
    return uj_err_set(err, EINVAL, "the session process has %ld threads; only a "
                      "single-threaded process can enter a jail", threads);
  return 0;
}

/* Move this process into the cgroup whose directory `dirfd` is (O_PATH).
 * cgroup.procs is opened here, by this root process, and closed at once:
 * no writable cgroup fd outlives the move (see cgroup/procs.c). */
static int cgroup_dir_join_self(int dirfd)
{
  int fd = openat(dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  ssize_t w;
  int e;

  if (fd < 0)
    return -1;
  w = write(fd, "0", 1); /* "0" is the writing process itself */
  e = errno;
  close(fd);
  errno = e;
  return w == 1 ? 0 : -1;
}

int uj_limits_pin(pid_t pid, const struct uj_limits_msg *l, struct uj_err *err)
{
  cpu_set_t set;

  if (!l || l->ncpus == 0)
    return 0;
  CPU_ZERO(&set);
  for (int c = 0; c < CPU_SETSIZE && c < UJ_CPUMASK_WORDS * 64; c++)
    if (l->cpu_mask[c / 64] & (1ull << (c % 64)))
      CPU_SET(c, &set);
  if (sched_setaffinity(pid, sizeof set, &set) < 0)
    return uj_err_set(err, errno, "pin to the jail's %u CPU(s)", l->ncpus);
  return 0;
}

int uj_enter(const struct uj_join_msg *msg, const struct uj_limits_msg *limits, int *fds,
             size_t nfds, struct uj_joined *j, struct uj_err *err)
{
  size_t ncg = msg->n_cgroup, nre = msg->n_restore;
  int pidfd;

  j->session_fd = -1;
  if (nfds < 2 || nfds != 2 + ncg + nre || nre > UJ_MAX_FDS) {
    close_many(fds, nfds);
    return uj_err_set(err, EPROTO, "malformed join message (%zu fds)", nfds);
  }
  pidfd = fds[1];
  if (pidfd_is_ns_init(pidfd, err) < 0 || check_single_threaded(err) < 0)
    goto fail;
  for (size_t i = 0; i < ncg; i++) {
    /* "0" is the writing process itself (v1 `tasks`: its one thread). */
    if (write(fds[2 + i], "0", 1) != 1) {
      uj_err_set(err, errno, "join the user's cgroup");
      goto fail;
    }
  }
  if (setns(pidfd, (int) msg->ns_flags) < 0) {
    uj_err_set(err, errno, "setns into the jail");
    goto fail;
  }
  {
    /* The jail's CPUs: a pin that fails (a CPU went offline since the jail
     * started) leaves the quota, which is the limit, in force. */
    struct uj_err ignored;
    uj_limits_pin(0, limits, &ignored);
  }
  /* Caps are kept for the caller's own remaining work (sshd still has to
   * finish the session as root), but nothing it executes from now on can
   * hold a capability. */
  for (int c = 0; c <= CAP_LAST_CAP; c++)
    prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
  j->session_fd = fds[0];
  fds[0] = -1;
  /* The restore dirs served the failure path above only: at logout this
   * process stays in the user's cgroup until it exits (a move back is a
   * cgroup migration, ~8 ms on a default kernel); the jail's monitor waits
   * for it before emptying the cgroup (helper/jail/monitor_leavers.c). */
  close_many(fds, nfds);
  return 0;
fail:
  /* Undo a partial cgroup move: back where we came from (best effort; the
   * process keeps running either way). */
  for (size_t i = 0; i < nre; i++)
    cgroup_dir_join_self(fds[2 + ncg + i]);
  close_many(fds, nfds);
  return -1;
}

int uj_enter_filter(const struct uj_filter_msg *f, struct uj_err *err)
{
  struct sock_fprog prog;
  long r;

  if (!f || f->magic != UJ_FILTER_MAGIC || f->n > UJ_MAX_FILTER)
    return uj_err_set(err, EPROTO, "malformed seccomp filter message");
  if (f->n == 0)
    return 0;
  /* Nothing executed from now on gains privileges (set-uid, file caps),
   * and the filter cannot be dropped by exec'ing something privileged. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return uj_err_set(err, errno, "set no_new_privs");
  prog.len = (unsigned short) f->n;
  prog.filter = (struct sock_filter *) f->insns;
  /* TSYNC: a PAM module may have started threads; all of them get it. A
   * positive return is the id of a thread that could not be synced. */
  r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
  if (r != 0)
    return uj_err_set(err, r < 0 ? errno : EBUSY, "install the seccomp filter");
  return 0;
}

void uj_leave(struct uj_joined *j)
{
  if (j->session_fd >= 0) {
    close(j->session_fd);
    j->session_fd = -1;
  }
}
