/* userjail-monitor: what a jail's monitor becomes once the jail runs
 * (helper/jail/monitor_handoff.c says why and how). The same loop, session
 * requests and teardown as the monitor the helper forked, linked without
 * the rest of the helper: it never parses a config beyond hashing it,
 * never looks up a user, never builds a root.
 *
 * It is started only by a monitor's handoff: argv is
 * { "userjail-mon USER", "--handoff", FD } with FD its state, an empty
 * environment, and the jail's fds open. Anything else is refused. */
#include <errno.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "config/config.h"
#include "jail/jail.h"
#include "jail/monitor.h"

int main(int argc, char **argv)
{
  static struct monitor m;
  static struct uj_jail_spec spec;
  static struct uj_settings s;
  struct uj_err err;
  char *end;
  long fd;

  if (argc != 3 || strcmp(argv[1], UJ_HANDOFF_ARG) != 0) {
    fprintf(stderr, "userjail-monitor: run by a jail's monitor only (see userjail(8))\n");
    return 2;
  }
  errno = 0;
  fd = strtol(argv[2], &end, 10);
  if (errno || *end || fd < 3 || fd > INT32_MAX || geteuid() != 0) {
    fprintf(stderr, "userjail-monitor: run by a jail's monitor only (see userjail(8))\n");
    return 2;
  }
  /* A bad state cannot be served: exiting hangs up the init's lifeline,
   * which ends the jail cleanly (its leftovers are cleared by the next
   * login or `userjail stop`, remains.c). Never happens when the state
   * came from the same build, which the monitor checks before the exec. */
  if (uj_monitor_resume((int) fd, &m, &spec, &s, &err) < 0) {
    syslog(LOG_ERR, "userjail: userjail-monitor: %s", err.msg);
    return 1;
  }
  close((int) fd);
  /* every fd it was handed is ours alone again */
  syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  char title[80];
  snprintf(title, sizeof title, "userjail-mon %s", spec.user);
  uj_set_proc_title(title);
  /* what the exec mapped for starting up goes back after a moment, too */
  m.trim_at = uj_monitor_now_ms() + UJ_MONITOR_TRIM_MS;
  uj_monitor_serve(&m);
}
