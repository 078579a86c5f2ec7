/* cgroup v1 only: a cpuset cgroup for the jail's init alone, at the same
 * path as its other cgroups (cpuset/userjail/UID), holding the CPUs the jail
 * is pinned to (jail/limits.c).
 *
 * Why: LXCFS answers /proc/cpuinfo and /proc/stat with the CPUs of the
 * cpuset cgroup of the init of the reader's pid namespace. On v2 that is
 * the user's one cgroup (and `lxcfs --enable-cfs` sizes it by the quota);
 * on v1 the init would sit in the root cpuset and every jail would show
 * all the host's CPUs to os.cpu_count() and sysconf(), which read
 * /proc/stat when /sys is absent. Only the init is put there: LXCFS looks at
 * nobody else, and sessions are pinned by affinity already (common/enter.c),
 * so the session path (and its cgroup fds) stays as it is.
 *
 * Best effort by design: a host without a v1 cpuset hierarchy, or a write
 * the kernel refuses, leaves the jail as it was (the caller logs it). The
 * directory is removed when the jail ends, and by `userjail stop` after a
 * monitor died. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fcntl.h>

#include "cgroup/cgroup.h"
#include "cgroup/internal.h"
#include "common/cleanup.h"
#include "fs/safefs.h"

#define CGROUP_V1_MAGIC 0x27e0eb

/* The v1 cpuset hierarchy under root, or false (v2 host, no cpuset). */
static bool cpuset_hier(const char *root, char *out, struct uj_err *err)
{
  struct statfs sf;

  if (cg_join(out, root, "cpuset", err) < 0)
    return false;
  if (!cg_knob_exists(out, "cpuset.cpus") || statfs(out, &sf) < 0 ||
      sf.f_type != CGROUP_V1_MAGIC)
    return false;
  return true;
}

/* "0,3,5" from a mask of `words` 64-bit words. */
static void mask_list(const uint64_t *mask, size_t words, char *out, size_t len)
{
  size_t o = 0;
  out[0] = '\0';
  for (size_t c = 0; c < words * 64 && o + 12 < len; c++)
    if (mask[c / 64] & (1ull << (c % 64)))
      o += (size_t) snprintf(out + o, len - o, "%s%zu", o ? "," : "", c);
}

/* A new v1 cpuset cgroup has empty cpus and mems, and takes no task until
 * both are set: copy the parent's (the userjail parent from the root). */
static int inherit(const char *parent, const char *dir, const char *knob, struct uj_err *err)
{
  char path[PATH_MAX];
  cleanup_free char *v = NULL;

  if (cg_join(path, parent, knob, err) < 0 || !(v = cg_read_all(path, err)))
    return -1;
  v[strcspn(v, "\n")] = '\0';
  if (!v[0])
    return uj_err_set(err, EINVAL, "%s is empty", path);
  return cg_write_knob_flags(dir, knob, v, 0, err);
}

int uj_cpuset_v1_create(const char *root, const char *name, const uint64_t *mask, size_t words,
                        char **dir_out, struct uj_err *err)
{
  char hier[PATH_MAX], parent[PATH_MAX], dir[PATH_MAX], cpus[1024];

  *dir_out = NULL;
  if (!cpuset_hier(root, hier, err))
    return 1;
  mask_list(mask, words, cpus, sizeof cpus);
  if (!cpus[0])
    return 1;
  if (cg_join(parent, hier, PARENT_NAME, err) < 0 || cg_join(dir, parent, name, err) < 0)
    return -1;
  if (mkdir(parent, 0755) < 0 && errno != EEXIST)
    return uj_err_set(err, errno, "mkdir %s", parent);
  if (inherit(hier, parent, "cpuset.cpus", err) < 0 ||
      inherit(hier, parent, "cpuset.mems", err) < 0)
    return uj_err_prefix(err, "cpuset parent");
  if (mkdir(dir, 0755) < 0 && errno != EEXIST)
    return uj_err_set(err, errno, "mkdir %s", dir);
  if (inherit(parent, dir, "cpuset.mems", err) < 0 ||
      cg_write_knob_flags(dir, "cpuset.cpus", cpus, 0, err) < 0) {
    struct uj_err e2;
    cg_remove_dir(dir, &e2);
    return uj_err_prefix(err, "cpuset %s", cpus);
  }
  *dir_out = strdup(dir);
  if (!*dir_out) {
    struct uj_err e2;
    cg_remove_dir(dir, &e2);
    return uj_err_set(err, ENOMEM, "cpuset");
  }
  return 0;
}

int uj_cpuset_v1_open_join(const char *dir, struct uj_err *err)
{
  char path[PATH_MAX];
  if (cg_join(path, dir, "tasks", err) < 0)
    return -1;
  int fd = uj_open_nofollow(path, O_WRONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return uj_err_set(err, errno, "open %s", path);
  return fd;
}

void uj_cpuset_v1_remove(const char *root, const char *name)
{
  char hier[PATH_MAX], parent[PATH_MAX], dir[PATH_MAX];
  struct uj_err err;

  if (!cpuset_hier(root, hier, &err) || cg_join(parent, hier, PARENT_NAME, &err) < 0 ||
      cg_join(dir, parent, name, &err) < 0)
    return;
  /* Only the init was in it: empty once the init is gone. */
  cg_remove_dir(dir, &err);
}
