/* systemd hosts (cgroup v2 with systemd as PID 1): the only subtree we may
 * write is the one systemd delegates to userjail.service (Delegate=yes;
 * conf/userjail.service). This file starts that unit on demand, waits until
 * its keeper has left the delegated cgroup, and parks the jail monitor in
 * its ".keeper" leaf. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/child.h"
#include "common/cleanup.h"
#include "common/timeouts.h"
#include "cgroup/internal.h"

/* systemd hosts: wait until the delegated cgroup holds no process, i.e. the
 * keeper of userjail.service has moved itself into ".keeper" (`systemctl
 * start` returns as soon as it is forked). Enabling a controller before that
 * is not just refused with EBUSY: a threaded one (pids, cpu) is accepted while
 * the keeper is still there, which turns the cgroup into a thread root; then
 * "+memory" fails with EOPNOTSUPP and the keeper's move into .keeper too, so
 * the unit fails. A missing cgroup.procs is a unit-test tree: nothing to wait for. */
int cg_sd_wait_delegated_empty(const char *dir, struct uj_err *err)
{
  char path[PATH_MAX];
  if (cg_join(path, dir, "cgroup.procs", err) < 0)
    return -1;
  for (int tries = 0;; tries++) {
    if (!cg_path_exists(path))
      return 0;
    cleanup_free char *procs = cg_read_all(path, err);
    if (!procs)
      return -1;
    if (procs[strspn(procs, " \n")] == '\0')
      return 0;
    if (tries >= UJ_TIMEOUT_DELEGATION_MS / 5) /* slow machines, emulated VMs */
      return uj_err_set(err, EBUSY,
                        "%s still holds processes (the keeper of %s did not move into "
                        "%s/.keeper)", dir, SD_UNIT, dir);
    nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
  }
}

/* systemd hosts: move the calling process (the jail's monitor) into the
 * delegated unit's ".keeper" leaf. It was forked by the first login's helper,
 * after pam_systemd, so it sits in that login's logind session scope: there it
 * would keep the session "closing" after that login ends (while other sessions
 * of the jail go on) and die with it on `loginctl terminate-session` or
 * KillUserProcesses=yes. A tree without .keeper (unit tests) is left alone. */
int cg_sd_join_keeper(const struct layout *L, struct uj_err *err)
{
  char keeper[PATH_MAX];
  if (cg_join(keeper, L->parent, ".keeper", err) < 0)
    return -1;
  if (!cg_is_dir(keeper))
    return 0;
  if (cg_write_knob_flags(keeper, "cgroup.procs", "0", 0, err) < 0)
    return uj_err_prefix(err, "move the jail monitor into %s", keeper);
  return 0;
}

/* systemd hosts: start the delegated unit when its cgroup is missing. */
int cg_sd_start_unit(const char *parent, struct uj_err *err)
{
  static const char *const paths[] = {"/usr/bin/systemctl", "/bin/systemctl"};
  const char *exe = NULL;
  for (size_t i = 0; i < sizeof paths / sizeof *paths && !exe; i++)
    if (access(paths[i], X_OK) == 0)
      exe = paths[i];
  if (!exe)
    return uj_err_set(err, 0, "%s missing and systemctl not found to start %s", parent, SD_UNIT);
  pid_t pid = fork();
  if (pid < 0)
    return uj_err_set(err, errno, "fork");
  if (pid == 0) {
    char *const argv[] = {(char *) "systemctl", (char *) "start", (char *) SD_UNIT, NULL};
    char *const envp[] = {(char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    if (uj_child_fds(-1, true) == 0)
      execve(exe, argv, envp);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return uj_err_set(err, errno, "waitpid systemctl");
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    return uj_err_set(err, 0, "systemctl start %s failed (status %d)", SD_UNIT,
                      WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  if (!cg_is_dir(parent))
    return uj_err_set(err, 0, "%s still missing after systemctl start %s (is Delegate=yes set?)",
                      parent, SD_UNIT);
  return 0;
}

