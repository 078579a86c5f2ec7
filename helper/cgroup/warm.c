/* Starting the kernel's wait for a cgroup migration early.
 *
 * On a kernel whose cgroup hierarchies are not mounted with favordynmods,
 * the first write to any cgroup.procs after a quiet moment waits for an RCU
 * grace period (cgroup_threadgroup_rwsem's rcu_sync: ~8-15 ms), and writes
 * within ~10 ms after one do not wait at all (measured, DESIGN.md). A
 * login's session process must move into the user's cgroup (common/enter.c)
 * once the helper has answered. So at its start the helper forks a child
 * that moves itself into the cgroup it is already in: that write starts the
 * grace period while the helper reads the config, looks the user up and
 * talks to the monitor, and the login's own move waits only for what is
 * left of it. Nobody waits for the child (it is never reaped by the helper:
 * it exits on its own and is reparented when the helper ends; a helper that
 * lives on as a jail's monitor reaps it), so a user
 * who is not jailed loses nothing but a fork. Best effort: any failure just
 * means no head start.
 *
 * Only on cgroup v2: on v1 every move of a login is a process joining by
 * itself through `tasks`, which waits for no grace period (cgroup.h,
 * join_fds), and a warm-up write would only hold cgroup_mutex through a
 * grace period and make those moves wait for it. */
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup/cgroup.h"

pid_t uj_cgroup_warm(const char *root)
{
  int dirs[UJ_CGROUP_MAXDIRS + 1];
  size_t n = 0;
  struct uj_err err;

  struct statfs sf;

  if (statfs(root, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
    return 0;
  pid_t pid = fork();
  if (pid != 0)
    return pid > 0 ? pid : 0;
  /* Nothing of the helper's (the module's socket) stays open in here. */
  syscall(SYS_close_range, 3, ~0U, 0);
  if (uj_cgroup_open_current(root, getpid(), dirs, UJ_CGROUP_MAXDIRS + 1, &n, &err) == 0 && n > 0) {
    /* The last one listed is where this process is (systemd: .keeper comes
     * first); writing "0" there moves it nowhere, but takes the lock. */
    int fd = openat(dirs[n - 1], "cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 && write(fd, "0", 1) != 1) {
      /* no head start, nothing else */
    }
  }
  _exit(0);
}
