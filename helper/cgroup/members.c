/* Visiting the processes of a user's cgroup from outside (`userjail stop`:
 * a note to their terminals, SIGTERM). A pid read from cgroup.procs may
 * exit and be reused by an unrelated host process before we act, so each
 * one is pinned with a pidfd first and its membership checked after. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "cgroup/internal.h"

/* Is pid (pinned by the caller's pidfd) in the cgroup at `dir`? dir is a
 * hierarchy root plus the path /proc/PID/cgroup shows, so that path is a
 * suffix of dir. */
static bool is_member(pid_t pid, const char *dir)
{
  char path[64];
  struct uj_err ignored;
  size_t dl = strlen(dir);

  snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
  cleanup_free char *cgs = cg_read_all(path, &ignored);
  for (char *save = NULL, *line = cgs ? strtok_r(cgs, "\n", &save) : NULL; line;
       line = strtok_r(NULL, "\n", &save)) {
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2 || strcmp(c2 + 1, "/") == 0)
      continue;
    size_t pl = strlen(c2 + 1);
    if (pl <= dl && strcmp(dir + dl - pl, c2 + 1) == 0)
      return true;
  }
  return false;
}

int uj_cgroup_foreach(const struct uj_cgroup *cg, pid_t skip,
                      void (*fn)(int pidfd, pid_t pid, void *arg), void *arg, struct uj_err *err)
{
  char path[PATH_MAX];
  int n = 0;

  if (cg->n == 0)
    return uj_err_set(err, EINVAL, "no cgroup");
  if (cg_join(path, cg->dirs[0], "cgroup.procs", err) < 0)
    return -1;
  cleanup_free char *procs = cg_read_all(path, err);
  if (!procs)
    return -1;
  for (char *save = NULL, *l = strtok_r(procs, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    pid_t pid = (pid_t) strtol(l, NULL, 10);
    if (pid <= 0 || pid == skip)
      continue;
    cleanup_close int pfd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (pfd < 0 || !is_member(pid, cg->dirs[0]))
      continue;
    fn(pfd, pid, arg);
    n++;
  }
  return n;
}

/* The pid a pidfd pins, from /proc/self/fdinfo ("Pid:"); -1 once it exited. */
pid_t uj_pidfd_pid(int pidfd)
{
  char path[64];
  struct uj_err ignored;
  long pid = -1;

  /* by pid: cg_read_all follows no symlink, and /proc/self is one */
  snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int) getpid(), pidfd);
  cleanup_free char *info = cg_read_all(path, &ignored);
  const char *p = info ? strstr(info, "\nPid:") : NULL;
  if (p)
    pid = strtol(p + 5, NULL, 10);
  return pid > 0 ? (pid_t) pid : -1;
}

int uj_cgroup_move_to(const int *dirs, size_t n, pid_t pid, struct uj_err *err)
{
  char buf[32];
  int len = snprintf(buf, sizeof buf, "%d\n", (int) pid), moved = 0;

  uj_err_set(err, ENOENT, "no cgroup to move process %d to", (int) pid);
  for (size_t i = 0; i < n; i++) {
    int fd = openat(dirs[i], "cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd >= 0 && write(fd, buf, (size_t) len) == len)
      moved = 1;
    else
      uj_err_set(err, errno, "move process %d", (int) pid);
    if (fd >= 0)
      close(fd);
  }
  return moved ? 0 : -1;
}

int uj_cgroup_release(const struct uj_cgroup *cg, const char *root, int pidfd, struct uj_err *err)
{
  int fds[UJ_CGROUP_MAXDIRS + 1];
  size_t n = 0;
  pid_t pid = uj_pidfd_pid(pidfd);

  if (cg->n == 0 || pid <= 0 || !is_member(pid, cg->dirs[0]))
    return 0;
  if (uj_cgroup_open_current(root, getpid(), fds, UJ_CGROUP_MAXDIRS + 1, &n, err) < 0)
    return uj_err_prefix(err, "release process %d from its jail's cgroup", (int) pid);
  int r = uj_cgroup_move_to(fds, n, pid, err);
  close_many(fds, n);
  if (r < 0)
    return uj_err_prefix(err, "out of %s", cg->dirs[0]);
  return 1;
}
