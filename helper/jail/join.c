/* Finding or creating a user's jail and taking a session in it. The rundir
 * lock makes "is it alive? else create it" atomic per user, so concurrent
 * first logins make exactly one jail. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "jail/client.h"
#include "jail/jail.h"
#include "jail/rundir.h"

int uj_jail_join(const struct uj_jail_spec *spec, pid_t session_pid,
                 struct uj_join_msg *msg, struct uj_limits_msg *limits, int *fds, size_t *nfds,
                 bool *created, const struct uj_start_opts *opts, struct uj_err *err)
{
  int lock = uj_rundir_lock(spec->uid, false, err);
  int c;
  int ret = -1;

  if (created)
    *created = false;
  if (lock < 0)
    return -1;
  c = uj_monitor_connect(spec->uid, err);
  if (c < 0) {
    if (err->code != ENOENT && err->code != ECONNREFUSED)
      goto out;
    /* No live jail (we hold the lock, so none is being made either). What
     * a dead one left (socket file, processes in the cgroup) goes first. */
    if (uj_jail_remains_clear(spec->uid, spec->cgroup_root, err) < 0)
      goto out;
    /* A process that becomes the monitor keeps the lock open (ours to
     * release below) with what its caller keeps. */
    struct uj_start_opts o = opts ? *opts : (struct uj_start_opts){ 0 };
    int keep[UJ_MAX_FDS + 3];
    if (o.become) {
      size_t n = o.n_keep < UJ_MAX_FDS + 2 ? o.n_keep : UJ_MAX_FDS + 2;
      memcpy(keep, o.keep, n * sizeof *keep);
      keep[n++] = lock;
      o.keep = keep;
      o.n_keep = n;
    }
    if (uj_monitor_start(spec, session_pid, &o, &c, err) < 0) {
      /* Nothing of a failed jail remains; the lock file goes too. */
      uj_rundir_unlock(lock, spec->uid, true);
      return uj_err_prefix(err, "create jail for %s", spec->user);
    }
    if (created)
      *created = true;
    /* our request is queued there already: its answer comes first */
  } else if (uj_monitor_send_session(c, UJ_CMD_SESSION, session_pid, err) < 0) {
    close(c);
    goto out;
  }
  if (uj_monitor_recv_session(c, msg, limits, fds, nfds, err) < 0) {
    close(c);
    goto out;
  }
  ret = 0;
out:
  uj_rundir_unlock(lock, spec->uid, false);
  if (ret < 0)
    uj_err_prefix(err, "jail of %s", spec->user);
  return ret;
}
