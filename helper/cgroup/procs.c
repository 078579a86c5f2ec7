/* What runs in a user's cgroup: usage (pids, memory), killing everything in
 * it and removing it, and the cgroups a process is in now (so a session can
 * move itself back out at logout). Layout is layout.c, creation create.c. */
#include "cgroup/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "fs/safefs.h"
#include "cgroup/internal.h"

static int read_u64(const char *dir, const char *knob, uint64_t *out, struct uj_err *err)
{
  char path[PATH_MAX];
  if (cg_join(path, dir, knob, err) < 0)
    return -1;
  cleanup_free char *s = cg_read_all(path, err);
  if (!s)
    return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || s[0] == '-' || end[strspn(end, " \n")] != '\0')
    return uj_err_set(err, 0, "%s: not a number: \"%.32s\"", path, s);
  *out = v;
  return 0;
}

static uint64_t count_lines(const char *s)
{
  uint64_t n = 0;
  for (const char *p = s; *p; p++)
    if (*p == '\n')
      n++;
  if (*s && s[strlen(s) - 1] != '\n')
    n++;
  return n;
}

/* /proc/PID/cgroup, one "ID:CONTROLLERS:PATH" line per hierarchy ("0::PATH"
 * for v2). */
static char *read_proc_cgroup(pid_t pid, struct uj_err *err)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
  return cg_read_all(path, err);
}

/* Splits such a line in place: false when it has not two colons. */
static bool split_proc_line(char *line, const char **ctrls, const char **cgpath)
{
  char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (!c2)
    return false;
  *c1 = *c2 = '\0';
  *ctrls = c1 + 1;
  *cgpath = c2 + 1;
  return true;
}

int uj_cgroup_usage(const struct uj_cgroup *cg, uint64_t *pids, uint64_t *mem, struct uj_err *err)
{
  bool got_pids = false;
  *pids = 0;
  *mem = 0;
  if (cg->n == 0)
    return uj_err_set(err, EINVAL, "no cgroup");
  const char *memknob = cg->version == 2 ? "memory.current" : "memory.usage_in_bytes";
  for (size_t i = 0; i < cg->n; i++) {
    if (!got_pids && cg_knob_exists(cg->dirs[i], "pids.current")) {
      if (read_u64(cg->dirs[i], "pids.current", pids, err) < 0)
        return -1;
      got_pids = true;
    }
    if (cg_knob_exists(cg->dirs[i], memknob) && read_u64(cg->dirs[i], memknob, mem, err) < 0)
      return -1;
  }
  if (!got_pids) { /* no pids controller: count the processes */
    char path[PATH_MAX];
    if (cg_join(path, cg->dirs[0], "cgroup.procs", err) < 0)
      return -1;
    cleanup_free char *procs = cg_read_all(path, err);
    if (!procs)
      return -1;
    *pids = count_lines(procs);
  }
  return 0;
}

/* SIGKILL pid, but only if it is still a member of `dir`: a pid read from
 * cgroup.procs may have exited and been reused by an unrelated process. The
 * pidfd pins the process; its /proc/PID/cgroup then tells where it lives. */
static void kill_member(pid_t pid, const char *dir)
{
  int pfd = (int) syscall(SYS_pidfd_open, pid, 0);
  if (pfd < 0) {
    if (errno == ENOSYS)
      kill(pid, SIGKILL);
    return;
  }
  struct uj_err ignored;
  cleanup_free char *cgs = read_proc_cgroup(pid, &ignored);
  bool member = false;
  size_t dl = strlen(dir);
  for (char *save = NULL, *line = cgs ? strtok_r(cgs, "\n", &save) : NULL; line && !member;
       line = strtok_r(NULL, "\n", &save)) {
    const char *ctrls, *cgpath;
    if (!split_proc_line(line, &ctrls, &cgpath) || strcmp(cgpath, "/") == 0)
      continue;
    size_t pl = strlen(cgpath);
    /* dir is HIERARCHY_ROOT + path, so the path is a suffix of dir */
    member = pl <= dl && strcmp(dir + dl - pl, cgpath) == 0;
  }
  if (member)
    syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
  close(pfd);
}

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int uj_cgroup_destroy(struct uj_cgroup *cg, int timeout_ms, struct uj_err *err)
{
  const struct timespec step = {0, 5 * 1000 * 1000};
  int64_t deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
  int rc = 0;

  close_many(cg->procs_fds, cg->n);
  close_many(cg->join_fds, cg->n);
  if (cg->version == 2)
    for (size_t i = 0; i < cg->n; i++)
      if (cg_knob_exists(cg->dirs[i], "cgroup.kill")) {
        struct uj_err ignored;
        cg_write_knob_flags(cg->dirs[i], "cgroup.kill", "1", 0, &ignored);
      }

  /* Kill until empty: a fork bomb may add processes while we read. */
  for (;;) {
    const char *busy = NULL;
    for (size_t i = 0; i < cg->n; i++) {
      char path[PATH_MAX];
      struct uj_err rerr;
      if (cg_join(path, cg->dirs[i], "cgroup.procs", err) < 0)
        goto out_fail;
      cleanup_free char *procs = cg_read_all(path, &rerr);
      if (!procs) {
        if (rerr.code == ENOENT) /* directory already gone */
          continue;
        *err = rerr;
        goto out_fail;
      }
      for (char *save = NULL, *l = strtok_r(procs, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        long pid = strtol(l, NULL, 10);
        if (pid > 0) {
          busy = cg->dirs[i];
          kill_member((pid_t) pid, cg->dirs[i]);
        }
      }
    }
    if (!busy)
      break;
    if (now_ms() >= deadline) {
      uj_err_set(err, EBUSY, "cgroup %s still has processes after %d ms", busy, timeout_ms);
      goto out_fail;
    }
    nanosleep(&step, NULL);
  }

  /* Exiting tasks can keep a cgroup busy a little after cgroup.procs is empty. */
  for (size_t i = 0; i < cg->n; i++) {
    for (;;) {
      if (cg_remove_dir(cg->dirs[i], err) == 0)
        break;
      if (err->code != EBUSY || now_ms() >= deadline) {
        rc = -1;
        break;
      }
      nanosleep(&step, NULL);
    }
    if (rc < 0)
      break;
  }
  uj_cgroup_close(cg);
  return rc;

out_fail:
  uj_cgroup_close(cg);
  return -1;
}

int uj_cgroup_open_current(const char *root, pid_t pid, int *fds, size_t max, size_t *n,
                           struct uj_err *err)
{
  struct layout L;
  char path[PATH_MAX], dirs[C_N + 1][PATH_MAX];
  size_t nd = 0;

  *n = 0;
  if (cg_detect(root, &L, err) < 0)
    return -1;
  /* systemd: the session joins its jail from the logind scope pam_systemd
   * made for it, which it leaves empty, so systemd removes that scope; the
   * move back at logout then fails (ENODEV) and the session process stays
   * in the jail's cgroup, where the jail's teardown SIGKILLs it (su exits
   * 137, sshd loses its cleanup). So the delegated unit's ".keeper" leaf
   * (there while the unit runs) comes first and the original cgroup second:
   * the process ends up back where it was if that still exists, else in
   * .keeper, from where it exits (su, sshd, login, cron all do). */
  if (L.version == 2 && L.systemd && cg_join(path, L.parent, ".keeper", err) == 0 &&
      cg_is_dir(path))
    snprintf(dirs[nd++], PATH_MAX, "%s", path);
  cleanup_free char *text = read_proc_cgroup(pid, err);
  if (!text)
    return -1;

  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    const char *ctrls, *cgpath, *base = NULL;
    if (!split_proc_line(line, &ctrls, &cgpath))
      continue;
    if (L.version == 2) {
      if (strcmp(line, "0") == 0 && *ctrls == '\0')
        base = root;
    } else {
      for (int c = 0; c < C_N && !base; c++)
        if (L.hier[c][0] && cg_names_controller(ctrls, c))
          base = L.hier[c];
    }
    if (!base)
      continue;
    if (strcmp(cgpath, "/") == 0)
      cgpath = "";
    if (snprintf(path, sizeof path, "%s%s", base, cgpath) >= PATH_MAX)
      return uj_err_set(err, ENAMETOOLONG, "cgroup path of %d", (int) pid);
    bool dup = false;
    for (size_t i = 0; i < nd; i++)
      dup = dup || strcmp(dirs[i], path) == 0;
    if (!dup && nd < C_N + 1)
      snprintf(dirs[nd++], PATH_MAX, "%s", path);
  }
  if (nd == 0)
    return uj_err_set(err, 0, "process %d: no cgroup found under %s", (int) pid, root);
  if (nd > max)
    return uj_err_set(err, 0, "process %d is in %zu cgroups, room for %zu", (int) pid, nd, max);
  /* O_PATH directories, not cgroup.procs opened for writing: the session
   * process that keeps them is forked by sshd into the user's unprivileged
   * child, and on cgroup v2 a write to cgroup.procs is judged by the
   * opener's credentials: a root-opened writable fd there would let a
   * process of the user move itself out of its limits. The session process
   * (still root) opens cgroup.procs under these at logout (common/enter.c). */
  for (size_t i = 0; i < nd; i++) {
    fds[i] = uj_open_nofollow(dirs[i], O_PATH | O_DIRECTORY, 0);
    if (fds[i] < 0) {
      uj_err_set(err, errno, "open %s", dirs[i]);
      goto fail;
    }
    *n = i + 1;
  }
  return 0;
fail:
  close_many(fds, *n);
  *n = 0;
  return -1;
}
