/* What a jail shows its user about itself. Runs in the jail's init with the
 * rest of mounts.c, before pivot_root, as real root:
 *
 *   - LXCFS's /proc files (meminfo, cpuinfo, stat, uptime, loadavg, swaps,
 *     diskstats) bound read-only over the jail's /proc when LXCFS runs on
 *     the host, so `free`, `top`, `uptime` show the jail's cgroup. LXCFS
 *     answers each read for the cgroup of the init of the reader's pid
 *     namespace: every process in the jail, sessions that setns()ed in
 *     included, is shown the jail. Without LXCFS the jail keeps the host's
 *     values (check-config and the info file say so);
 *   - the user's own cgroup directories, read-only, at
 *     /run/userjail/cgroup (v2: the directory itself; v1: one directory per
 *     hierarchy, named as on the host), so usage is read live from inside;
 *   - /run/userjail-info, root's, mode 0444 on the jail's private /run: the
 *     limits and where usage lives (a file the user cannot write, unlike
 *     anything in their home);
 *   - /run/screen, mode 1777, for GNU screen's sockets (the host's /run is
 *     not in the jail, and screen will not create it as a user).
 *
 * Every bind is by fd (sources resolved beneath the host's / without
 * symlinks), read-only, nosuid, nodev, noexec. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "common/cleanup.h"
#include "common/notice.h"
#include "fs/mountfd.h"
#include "fs/safefs.h"
#include "jail/jail.h"

#define VIEW_ATTRS (UJ_ATTR_RDONLY | UJ_ATTR_SAFE | UJ_ATTR_NOEXEC)

/* The files LXCFS virtualizes (its proc/ directory). slabinfo is left out:
 * the jail masks nothing of it, and LXCFS's copy needs root. */
static const char *const lxcfs_files[] = { "meminfo", "cpuinfo", "stat", "uptime",
                                           "loadavg", "swaps", "diskstats", NULL };

/* Bind LXCFS's proc files over the jail's /proc. A file LXCFS lacks (an
 * older release) keeps the kernel's. Returns 1 when bound, 0 when LXCFS does
 * not run at the configured place. */
static int bind_lxcfs(int host, int root, const char *where, struct uj_err *err)
{
  cleanup_close int lx = -1;
  cleanup_close int proc = -1;
  int n = 0;

  if (!where)
    return 0;
  lx = uj_open_beneath(host, where, O_PATH | O_DIRECTORY, err);
  if (lx < 0 || !uj_lxcfs_dir_ok(lx)) {
    uj_err_clear(err);
    return 0;
  }
  proc = uj_open_beneath(root, "/proc", O_PATH | O_DIRECTORY, err);
  if (proc < 0)
    return uj_err_prefix(err, "LXCFS views");
  for (size_t i = 0; lxcfs_files[i]; i++) {
    char src[32];
    snprintf(src, sizeof src, "proc/%s", lxcfs_files[i]);
    cleanup_close int s = uj_open_beneath(lx, src, O_PATH, err);
    cleanup_close int t = uj_open_beneath(proc, lxcfs_files[i], O_PATH, err);
    cleanup_close int m = -1;
    if (s < 0 || t < 0) {
      uj_err_clear(err);
      continue;
    }
    m = uj_bind_clone(s, false, VIEW_ATTRS, err);
    if (m < 0 || uj_attach(m, t, err) < 0)
      return uj_err_prefix(err, "LXCFS view of /proc/%s", lxcfs_files[i]);
    n++;
  }
  return n > 0;
}

/* The name a v1 hierarchy has under /sys/fs/cgroup ("memory", "cpu,cpuacct"). */
static const char *hier_name(const char *dir, char *out, size_t len)
{
  const char *p = dir + strlen(UJ_CGROUP_ROOT);
  const char *slash;

  if (strncmp(dir, UJ_CGROUP_ROOT "/", strlen(UJ_CGROUP_ROOT) + 1) != 0)
    return NULL;
  p++;
  slash = strchr(p, '/');
  if (!slash || (size_t) (slash - p) >= len || slash == p)
    return NULL;
  memcpy(out, p, (size_t) (slash - p));
  out[slash - p] = '\0';
  return out;
}

struct usage {
  char dir[64];
  char memory[PATH_MAX];
  char pids[PATH_MAX];
  char cpu[PATH_MAX];
};

/* Bind the user's cgroup directories read-only at /run/userjail/cgroup.
 * Optional: a directory that cannot be bound is left out of the info file,
 * it does not fail the jail. */
static void bind_cgroup(int host, int root, const struct uj_cgroup *cg, struct usage *u)
{
  static const struct { const char *knob, *v1knob; size_t off; } files[] = {
    { "memory.current", "memory.usage_in_bytes", offsetof(struct usage, memory) },
    { "pids.current", "pids.current", offsetof(struct usage, pids) },
    { "cpu.stat", "cpuacct.usage", offsetof(struct usage, cpu) },
  };
  struct uj_err err;

  if (!cg || cg->n == 0)
    return;
  snprintf(u->dir, sizeof u->dir, "/run/userjail/cgroup");
  for (size_t i = 0; i < cg->n; i++) {
    char name[64], dst[256];
    cleanup_close int s = -1;
    cleanup_close int m = -1;
    cleanup_close int t = -1;

    if (cg->version == 2)
      snprintf(dst, sizeof dst, "%s", u->dir);
    else if (hier_name(cg->dirs[i], name, sizeof name))
      snprintf(dst, sizeof dst, "%s/%s", u->dir, name);
    else
      continue;
    s = uj_open_beneath(host, cg->dirs[i], O_PATH | O_DIRECTORY, &err);
    if (s < 0)
      continue;
    m = uj_bind_clone(s, false, VIEW_ATTRS, &err);
    t = uj_mkdir_beneath(root, dst, 0755, &err);
    if (m < 0 || t < 0 || uj_attach(m, t, &err) < 0)
      continue;
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
      const char *knob = cg->version == 2 ? files[k].knob : files[k].v1knob;
      char *slot = (char *) u + files[k].off;
      struct stat st;
      if (slot[0] || fstatat(s, knob, &st, 0) < 0)
        continue;
      snprintf(slot, PATH_MAX, "%s/%s", dst, knob);
    }
  }
}

int uj_view_build(int host, int root, const struct uj_jail_spec *spec,
                  struct uj_jail_view *view, struct uj_err *err)
{
  char text[2048];
  struct usage u;
  struct uj_usage_paths paths = { 0 };
  int lx;

  lx = bind_lxcfs(host, root, spec->s->lxcfs, err);
  if (lx < 0)
    return -1;
  view->limits.lxcfs = (uint32_t) lx;

  memset(&u, 0, sizeof u);
  bind_cgroup(host, root, view->cg, &u);
  if (u.memory[0] || u.pids[0] || u.cpu[0]) {
    paths.dir = u.dir;
    paths.memory = u.memory[0] ? u.memory : NULL;
    paths.pids = u.pids[0] ? u.pids : NULL;
    paths.cpu = u.cpu[0] ? u.cpu : NULL;
  }
  uj_notice_info_file(&view->limits, spec->user, &paths, text, sizeof text);
  if (uj_write_file_beneath(root, "/run/userjail-info", text, 0444, err) < 0)
    return uj_err_prefix(err, "/run/userjail-info");

  /* GNU screen keeps its sockets in /run/screen/S-USER; Debian's screen is
   * not set-uid, so the directory must exist and be world-writable+sticky,
   * as /tmp is (the jail's /run is private to this one user anyway). */
  {
    cleanup_close int d = uj_mkdir_beneath(root, "/run/screen", 0755, err);
    if (d < 0)
      return uj_err_prefix(err, "/run/screen");
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", d);
    if (chmod(p, 01777) < 0)
      return uj_err_set(err, errno, "chmod /run/screen");
  }
  return 0;
}
