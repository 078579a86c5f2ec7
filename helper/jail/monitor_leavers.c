/* Session processes that have logged out but not yet exited ("leavers").
 *
 * A session process (sshd's [priv], su, cron's child) joins the user's
 * cgroup at login and used to move back out at logout. Every such move is
 * a cgroup migration, which on a default kernel waits for an RCU grace
 * period after a quiet moment (~8 ms): half the cost of a later login. Now
 * it stays in the user's cgroup until it exits, which it does right after
 * its logout work (wtmp, the other PAM modules, su's exit status).
 *
 * What the move back protected is kept here: a teardown (on_logout = kill,
 * after the last session) must not SIGKILL such a process before it is
 * done. So the monitor keeps the pidfd of a session that ended by logout
 * while its process still runs, and before emptying the cgroup waits for
 * those processes to exit (UJ_TIMEOUT_LEAVE_MS at most); one that is still
 * there (a long-lived program that opened and closed a session in
 * process) is moved out of the cgroup instead (uj_cgroup_release). The
 * jail's own processes are killed first either way: only the cgroup's
 * removal waits. */
#include <errno.h>
#include <poll.h>
#include <syslog.h>
#include <unistd.h>

#include "common/timeouts.h"
#include "jail/monitor.h"

void uj_monitor_leaver_add(struct monitor *m, int pidfd)
{
  if (pidfd < 0)
    return;
  if (m->n_leave == UJ_MAX_LEAVERS) {
    /* Full: the oldest is forgotten (it has had the longest to exit). */
    close(m->leavers[0]);
    for (size_t i = 1; i < m->n_leave; i++)
      m->leavers[i - 1] = m->leavers[i];
    m->n_leave--;
  }
  m->leavers[m->n_leave++] = pidfd;
}

size_t uj_monitor_leaver_pollfds(const struct monitor *m, struct pollfd *p)
{
  for (size_t i = 0; i < m->n_leave; i++)
    p[i] = (struct pollfd){ .fd = m->leavers[i], .events = POLLIN };
  return m->n_leave;
}

void uj_monitor_leaver_reap(struct monitor *m, const struct pollfd *p)
{
  /* Backwards, the last one moves into a freed slot: p stays valid. */
  for (size_t i = m->n_leave; i-- > 0;)
    if (p[i].revents) {
      close(m->leavers[i]);
      m->leavers[i] = m->leavers[--m->n_leave];
    }
}

void uj_monitor_leavers_release(struct monitor *m, bool wait)
{
  int64_t deadline = uj_monitor_now_ms() + UJ_TIMEOUT_LEAVE_MS;
  struct pollfd p[UJ_MAX_LEAVERS];

  while (wait && m->n_leave > 0) {
    int64_t left = deadline - uj_monitor_now_ms();
    if (left <= 0)
      break;
    size_t n = uj_monitor_leaver_pollfds(m, p);
    int k = poll(p, n, (int) left);
    if (k < 0 && errno != EINTR)
      break;
    if (k > 0)
      uj_monitor_leaver_reap(m, p);
  }
  for (size_t i = 0; i < m->n_leave; i++) {
    struct uj_err err;
    if (uj_cgroup_release(&m->cg, m->spec->cgroup_root, m->leavers[i], &err) < 0)
      syslog(LOG_WARNING, "userjail: %s: %s", m->spec->user, err.msg);
    close(m->leavers[i]);
  }
  m->n_leave = 0;
}
