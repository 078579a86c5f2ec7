/* What a jail is held to, as its user should see it: the limits message
 * sent with every session (for the notice at login and CPU pinning), the
 * CPUs the jail is pinned to, and whether LXCFS runs on the host.
 *
 * Why pin CPUs: a CPU quota of 0.5 still lets the jail's threads run on
 * every CPU of the host, so `nproc`, `make -j$(nproc)` and thread pools
 * size themselves for the host and then crawl under the quota. Pinning the
 * jail to ceil(quota) CPUs makes sched_getaffinity() (nproc,
 * os.sched_getaffinity) tell the truth. The jail's init is pinned by the
 * monitor and every process forked in the jail inherits it; a session
 * process that setns()es in brings its own mask, so common/enter.c pins it
 * from this message. CPUs are chosen from the monitor's own set starting at
 * uid % count, so jails of different users spread over the host's CPUs. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "jail/jail.h"

#define FUSE_MAGIC 0x65735546

void uj_limits_fill(const struct uj_jail_spec *spec, struct uj_limits_msg *l)
{
  const struct uj_settings *s = spec->s;
  cpu_set_t avail;
  int navail, want, start, seen = 0, got = 0;

  memset(l, 0, sizeof *l);
  l->memory_max = s->memory_max;
  l->pids_max = s->pids_max;
  l->tmp_size = s->tmp_size;
  l->cpu_milli = (uint32_t) (s->cpu * 1000.0 + 0.5);
  l->notice = s->notice;
  snprintf(l->hostname, sizeof l->hostname, "%s", spec->hostname);
  if (s->cpu <= 0 || sched_getaffinity(0, sizeof avail, &avail) < 0)
    return;
  navail = CPU_COUNT(&avail);
  want = (int) ((l->cpu_milli + 999) / 1000); /* rounded up */
  if (navail <= 0 || want >= navail)
    return; /* the quota covers every CPU we have: nothing to pin */
  start = (int) (spec->uid % (unsigned) navail);
  /* Take `want` CPUs of the set, in order, beginning with the start-th. */
  for (int pass = 0; pass < 2 && got < want; pass++) {
    seen = 0;
    for (int c = 0; c < CPU_SETSIZE && c < UJ_CPUMASK_WORDS * 64 && got < want; c++) {
      if (!CPU_ISSET(c, &avail))
        continue;
      bool in_range = pass == 0 ? seen >= start : seen < start;
      seen++;
      if (!in_range)
        continue;
      l->cpu_mask[c / 64] |= 1ull << (c % 64);
      got++;
    }
  }
  l->ncpus = (uint32_t) got;
}

bool uj_lxcfs_dir_ok(int dirfd)
{
  struct statfs sf;
  struct stat st;

  /* A plain directory where LXCFS would be mounted means it does not run:
   * its files would be absent anyway, but say so precisely. */
  if (fstatfs(dirfd, &sf) < 0 || sf.f_type != FUSE_MAGIC)
    return false;
  return fstatat(dirfd, "proc/meminfo", &st, 0) == 0 && S_ISREG(st.st_mode);
}

bool uj_lxcfs_running(const char *dir)
{
  cleanup_close int fd = -1;

  if (!dir)
    return false;
  fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  return fd >= 0 && uj_lxcfs_dir_ok(fd);
}
