/* What a monitor sets on itself and on its init as processes: its OOM
 * protection and fd limit (inherited by the init), and the CPUs the init
 * runs on while the root is built and once the login has its answer.
 * monitor.c calls these; nothing here decides anything about a jail. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include "common/enter.h"
#include "jail/monitor.h"

/* The monitor and the init are what keeps a jail endable: the kernel's OOM
 * killer must pick a jailed process before them (-1000: never them), and
 * their fd table must hold two fds per session whatever limit the login
 * that created them had (sshd: 1024). The init inherits both at clone.
 * No jailed process descends from either, so neither value reaches one. */
void uj_monitor_protect_self(const char *user)
{
  struct rlimit old, rl;
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

  /* Both need CAP_SYS_RESOURCE, which some containers withhold from root. */
  if (fd < 0 || write(fd, "-1000", 5) != 5)
    syslog(LOG_WARNING, "userjail: %s: monitor: set oom_score_adj: %m", user);
  if (fd >= 0)
    close(fd);
  if (getrlimit(RLIMIT_NOFILE, &old) < 0 || old.rlim_cur >= UJ_MONITOR_NOFILE)
    return; /* never lower a limit someone set higher */
  rl.rlim_cur = UJ_MONITOR_NOFILE;
  rl.rlim_max = old.rlim_max > rl.rlim_cur ? old.rlim_max : rl.rlim_cur;
  if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
    return;
  /* Without the capability: as far as the hard limit goes. Sessions past
   * what that holds are refused (monitor_sessions.c), never spun on. */
  rl.rlim_cur = old.rlim_max;
  rl.rlim_max = old.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  syslog(LOG_WARNING, "userjail: %s: monitor: RLIMIT_NOFILE only %llu (want %d): about %llu "
         "sessions fit", user, (unsigned long long) rl.rlim_cur, UJ_MONITOR_NOFILE,
         (unsigned long long) (rl.rlim_cur > 16 ? (rl.rlim_cur - 16) / 2 : 0));
}

/* Everything forked by the init inherits its CPUs (jail/limits.c); a
 * session brings its own mask and pins itself (common/enter.c). Done once
 * the login has its answer, not while the init builds the root: moving a
 * task that is running to another CPU makes the kernel stop it and wake
 * that CPU, which cost the login 2 to 5 ms on an idle 2-vCPU host (perf
 * trace of first logins after quiet). By now the init sleeps, so only its
 * mask changes. Nothing of the user's runs in the jail before this except
 * session processes, which are pinned already. */
void uj_monitor_pin_init(struct monitor *m)
{
  struct uj_err e2;

  if (uj_limits_pin(m->init_pid, &m->view.limits, &e2) < 0)
    syslog(LOG_WARNING, "userjail: %s: %s", m->spec->user, e2.msg);
}

/* The init builds the root while the monitor makes the user's cgroup
 * (make_cgroup, 0.5-0.8 ms on v1): both at once only on two CPUs. Left to
 * the scheduler, the new init was queued on the monitor's CPU and started
 * only once the monitor blocked (first logins on an idle 2-vCPU host:
 * 0.8 ms after the clone, against 0.2 ms on another CPU). So it starts on
 * the monitor's other CPUs and takes all of them back on our "G" (init.c),
 * before it has any child. The mask goes to the init before its first
 * instruction, which only decides where it is first queued. A host with
 * one CPU, or a failure, leaves the scheduler's choice. */
void uj_monitor_spread_prepare(struct uj_jail_view *view)
{
  view->spread = sched_getaffinity(0, sizeof view->home_cpus, &view->home_cpus) == 0 &&
                 CPU_COUNT(&view->home_cpus) > 1;
}

void uj_monitor_spread_init(const struct uj_jail_view *view, pid_t init)
{
  cpu_set_t others = view->home_cpus;
  int here = sched_getcpu();

  if (!view->spread || here < 0 || here >= CPU_SETSIZE)
    return;
  CPU_CLR(here, &others);
  if (CPU_COUNT(&others) > 0)
    sched_setaffinity(init, sizeof others, &others);
}
