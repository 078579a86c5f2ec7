/* Finding or creating a user's jail and taking a session in it. The lock
 * makes "is it alive? else create it" atomic per user, so concurrent first
 * logins make exactly one jail. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "cgroup.h"
#include "jail.h"
#include "util.h"

void uj_state_path(char *buf, size_t len, uid_t uid, const char *suffix)
{
  snprintf(buf, len, "%s/%u%s", UJ_RUN_DIR, (unsigned) uid, suffix);
}

int uj_jail_spec_init(struct uj_jail_spec *spec, const struct uj_settings *s, const char *user,
                      uid_t uid, gid_t gid, const char *home, struct uj_err *err)
{
  memset(spec, 0, sizeof *spec);
  spec->s = s;
  spec->user = user;
  spec->uid = uid;
  spec->gid = gid;
  spec->home = home;
  spec->cgroup_root = UJ_CGROUP_ROOT;
  spec->ns_flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
  if (s->network == UJ_NET_NONE)
    spec->ns_flags |= CLONE_NEWNET;
  if (uj_expand_pattern(s->hostname, user, uid, spec->hostname, sizeof spec->hostname) < 0)
    return uj_err_set(err, EINVAL, "hostname pattern '%s' is too long for %s", s->hostname, user);
  /* User names may hold characters a hostname may not ("a_b"): map them
   * to '-' rather than refuse the login. */
  for (char *p = spec->hostname; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '-' || *p == '.'))
      *p = '-';
  if (!uj_valid_hostname(spec->hostname))
    return uj_err_set(err, EINVAL, "hostname pattern '%s' gives no valid hostname for %s",
                      s->hostname, user);
  if (!home || home[0] != '/' || !uj_path_is_clean(home))
    return uj_err_set(err, EINVAL, "home directory '%s' of %s is not a clean absolute path",
                      home ? home : "", user);
  return 0;
}

/* /run/userjail must be a root-owned 0700 directory, not a symlink. */
static int ensure_run_dir(struct uj_err *err)
{
  struct stat st;

  if (mkdir(UJ_RUN_DIR, 0700) < 0 && errno != EEXIST)
    return uj_err_set(err, errno, "mkdir %s", UJ_RUN_DIR);
  if (lstat(UJ_RUN_DIR, &st) < 0)
    return uj_err_set(err, errno, "%s", UJ_RUN_DIR);
  if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077))
    return uj_err_set(err, EPERM, "%s must be a directory owned by root, mode 0700",
                      UJ_RUN_DIR);
  return 0;
}

int uj_lock_user(uid_t uid, bool nonblock, struct uj_err *err)
{
  char path[108];

  if (ensure_run_dir(err) < 0)
    return -1;
  uj_state_path(path, sizeof path, uid, ".lock");
  for (;;) {
    cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    struct stat a, b;
    if (fd < 0)
      return uj_err_set(err, errno, "open %s", path);
    if (flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) < 0)
      return uj_err_set(err, errno, "lock %s", path);
    /* The file may have been removed (by a jail ending) between our open
     * and our lock: then we hold a lock nobody else will see. Retry. */
    if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
        a.st_dev == b.st_dev)
      return steal_fd(&fd);
  }
}

void uj_unlock_user(int fd, uid_t uid, bool remove)
{
  char path[108];
  if (fd < 0)
    return;
  if (remove) {
    uj_state_path(path, sizeof path, uid, ".lock");
    unlink(path);
  }
  close(fd);
}

int uj_jail_connect(uid_t uid, struct uj_err *err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return uj_err_set(err, errno, "socket");
  uj_state_path(sa.sun_path, sizeof sa.sun_path, uid, ".sock");
  if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return uj_err_set(err, errno, "connect %s", sa.sun_path);
  /* A monitor that stopped answering must not hang a login (the module
   * gives up after 30 s anyway) or `userjail list` forever. */
  struct timeval tv = { .tv_sec = 10 };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return steal_fd(&fd);
}

/* Ask the jail on `c` for a session. */
static int request_session(int c, pid_t session_pid, struct uj_join_msg *msg, int *fds,
                           size_t *nfds, struct uj_err *err)
{
  char cmd = UJ_CMD_SESSION;
  int got[UJ_MAX_FDS];
  size_t n = 0;
  /* The monitor also watches the session process itself (see monitor.c). */
  cleanup_close int pidfd = (int) syscall(SYS_pidfd_open, session_pid, 0);

  if (pidfd < 0)
    return uj_err_set(err, errno, "pidfd of session process %d", (int) session_pid);
  if (uj_send_fds(c, &cmd, 1, &pidfd, 1, err) < 0)
    return uj_err_prefix(err, "send session request");
  if (uj_recv_fds(c, msg, sizeof *msg, got, UJ_MAX_FDS - 1, &n, err) < 0)
    return uj_err_prefix(err, "session request");
  if (msg->magic != UJ_PROTO_MAGIC || msg->status != UJ_STATUS_JAILED ||
      n != 1 + (size_t) msg->n_cgroup) {
    for (size_t i = 0; i < n; i++)
      close(got[i]);
    return uj_err_set(err, EPROTO, "unexpected answer from jail monitor");
  }
  fds[0] = c;
  memcpy(fds + 1, got, n * sizeof(int));
  *nfds = n + 1;
  return 0;
}

int uj_session_acquire(const struct uj_jail_spec *spec, pid_t session_pid,
                       struct uj_join_msg *msg, int *fds, size_t *nfds, struct uj_err *err)
{
  int lock = uj_lock_user(spec->uid, false, err);
  int c;
  int ret = -1;

  if (lock < 0)
    return -1;
  c = uj_jail_connect(spec->uid, err);
  if (c < 0) {
    char path[108];
    if (err->code != ENOENT && err->code != ECONNREFUSED)
      goto out;
    /* No live jail. A socket file without a monitor is left over from a
     * crash: remove it and create a fresh jail. */
    uj_state_path(path, sizeof path, spec->uid, ".sock");
    unlink(path);
    if (uj_monitor_start(spec, err) < 0) {
      /* Nothing of a failed jail remains; the lock file goes too. */
      uj_unlock_user(lock, spec->uid, true);
      return uj_err_prefix(err, "create jail for %s", spec->user);
    }
    c = uj_jail_connect(spec->uid, err);
    if (c < 0)
      goto out;
  }
  if (request_session(c, session_pid, msg, fds, nfds, err) < 0) {
    close(c);
    goto out;
  }
  ret = 0;
out:
  uj_unlock_user(lock, spec->uid, false);
  if (ret < 0)
    uj_err_prefix(err, "jail of %s", spec->user);
  return ret;
}
