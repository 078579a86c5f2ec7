/* What a dead jail leaves behind, and the one function that clears it.
 *
 * A monitor that dies (kill -9, crash, OOM) takes its init with it (the
 * init's lifeline, init.c), so the jail's own processes end. What it cannot
 * clear itself is on the host: its socket file, and the user's cgroup, which
 * may still hold processes that entered the jail from outside (sshd's
 * session processes) or, from an older monitor, an init. Left alone, the
 * next login would be refused ("cgroup ... already has processes") and
 * `userjail stop` would say there is no jail. Both call this instead. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "common/timeouts.h"
#include "cgroup/cgroup.h"
#include "jail/client.h"
#include "jail/jail.h"
#include "jail/rundir.h"

int uj_jail_remains_clear(uid_t uid, const char *cgroup_root, struct uj_err *err)
{
  struct uj_cgroup cg;
  struct stat st;
  char name[32], sock[108];
  int found = 0;
  int c = uj_monitor_connect(uid, err);

  /* Checked under the lock: a monitor that answers owns what is there (a
   * jail made by a login since the caller last looked). */
  if (c >= 0) {
    close(c);
    return 0;
  }
  if (err->code != ENOENT && err->code != ECONNREFUSED)
    return -1;
  uj_rundir_path(sock, sizeof sock, uid, ".sock");
  if (lstat(sock, &st) == 0) {
    found = 1;
    if (unlink(sock) < 0 && errno != ENOENT)
      return uj_err_set(err, errno, "remove %s", sock);
  }
  snprintf(name, sizeof name, "%u", (unsigned) uid);
  /* v1: the init's own cpuset (cgroup/cpuset.c); the init is gone with its
   * monitor, so it is empty. */
  uj_cpuset_v1_remove(cgroup_root, name);
  uj_cgroup_init(&cg);
  if (uj_cgroup_open(cgroup_root, name, &cg, err) < 0) {
    if (err->code == ENOENT)
      return found;
    return uj_err_prefix(err, "cgroup of the dead jail");
  }
  /* Whatever runs in there belongs to a jail with no monitor: kill it all
   * (the pid-checked kill of uj_cgroup_destroy), then remove the cgroup. */
  if (uj_cgroup_destroy(&cg, UJ_TIMEOUT_CGROUP_EMPTY_MS, err) < 0)
    return uj_err_prefix(err, "clear the cgroup of the dead jail");
  syslog(LOG_WARNING, "userjail: uid %u: cleared the remains of a jail whose monitor had died",
         (unsigned) uid);
  return 1;
}
