/* Numbers of a user's cgroup for `userjail metrics`: limits, CPU time and
 * OOM kills, read the same way on v1 and v2 (usage is procs.c). A knob a
 * hierarchy lacks is simply not reported. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "cgroup/internal.h"

/* The first line of dir/knob, or NULL. */
static char *knob(const char *dir, const char *name)
{
  char path[PATH_MAX];
  struct uj_err err;

  if (!cg_knob_exists(dir, name) || cg_join(path, dir, name, &err) < 0)
    return NULL;
  return cg_read_all(path, &err);
}

/* "max", a number, or (v1) a number so large it means no limit. */
static void limit(const char *dir, const char *name, int64_t *out)
{
  cleanup_free char *s = knob(dir, name);
  char *end;

  if (!s)
    return;
  if (strncmp(s, "max", 3) == 0) {
    *out = 0;
    return;
  }
  unsigned long long v = strtoull(s, &end, 10);
  if (end == s)
    return;
  *out = v >= (1ull << 62) ? 0 : (int64_t) v;
}

/* "key value" lines (memory.events, cpu.stat, memory.oom_control). */
static void keyed(const char *dir, const char *name, const char *key, int64_t *out)
{
  cleanup_free char *s = knob(dir, name);
  size_t kl = strlen(key);

  for (char *save = NULL, *l = s ? strtok_r(s, "\n", &save) : NULL; l;
       l = strtok_r(NULL, "\n", &save))
    if (strncmp(l, key, kl) == 0 && l[kl] == ' ')
      *out = strtoll(l + kl + 1, NULL, 10);
}

void uj_cgroup_stats(const struct uj_cgroup *cg, struct uj_cgroup_stats *st)
{
  *st = (struct uj_cgroup_stats){ .pids_max = -1, .memory_max = -1, .cpu_quota = -1,
                                  .cpu_usec = -1, .oom_kills = -1 };
  for (size_t i = 0; i < cg->n; i++) {
    const char *d = cg->dirs[i];
    limit(d, "pids.max", &st->pids_max);
    if (cg->version == 2) {
      limit(d, "memory.max", &st->memory_max);
      keyed(d, "memory.events", "oom_kill", &st->oom_kills);
      keyed(d, "cpu.stat", "usage_usec", &st->cpu_usec);
      cleanup_free char *cpu = knob(d, "cpu.max");
      long long q, p;
      if (cpu && strncmp(cpu, "max", 3) == 0)
        st->cpu_quota = 0;
      else if (cpu && sscanf(cpu, "%lld %lld", &q, &p) == 2 && p > 0)
        st->cpu_quota = q * 1000000 / p; /* millionths of a CPU */
    } else {
      limit(d, "memory.limit_in_bytes", &st->memory_max);
      keyed(d, "memory.oom_control", "oom_kill", &st->oom_kills);
      cleanup_free char *ns = knob(d, "cpuacct.usage");
      if (ns)
        st->cpu_usec = strtoll(ns, NULL, 10) / 1000;
      int64_t q = -1, p = -1;
      cleanup_free char *qs = knob(d, "cpu.cfs_quota_us");
      cleanup_free char *ps = knob(d, "cpu.cfs_period_us");
      if (qs && ps) {
        q = strtoll(qs, NULL, 10);
        p = strtoll(ps, NULL, 10);
        st->cpu_quota = q < 0 ? 0 : p > 0 ? q * 1000000 / p : -1;
      }
    }
  }
}
