/* Where every quota is written: one small function per limit, each knowing
 * the v1 and v2 spelling of its knob. Values come from the parsed settings
 * (config/); 0 means "no limit" and is written as the kernel's "max"/-1, so
 * a reused cgroup never keeps an old limit. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

#include "common/cleanup.h"
#include "cgroup/internal.h"

#define CPU_PERIOD 100000
#define CPU_MIN_QUOTA 1000 /* the kernel refuses quotas below 1 ms */

static int write_knob(const char *dir, const char *knob, const char *val, struct uj_err *err)
{
  return cg_write_knob_flags(dir, knob, val, O_TRUNC, err);
}

static bool swap_is_on(void)
{
  cleanup_fclose FILE *f = fopen("/proc/swaps", "re");
  char line[512];
  int lines = 0;
  if (!f)
    return false;
  while (fgets(line, sizeof line, f))
    lines++;
  return lines > 1; /* the first line is the header */
}

/* pids.max: the same knob on v1 and v2. */
static int limit_pids(const char *dir, uint64_t max, struct uj_err *err)
{
  char v[32];
  snprintf(v, sizeof v, "%" PRIu64, max);
  return write_knob(dir, "pids.max", max ? v : "max", err);
}

/* v2: memory.max, and memory.swap.max = 0 so the limit covers swap too.
 * Without swap accounting the kernel has no memory.swap.max; that only
 * weakens the limit when swap is actually on, which is then an error. */
static int limit_memory_v2(const char *dir, const char *pdir, uint64_t max, struct uj_err *err)
{
  char v[32];
  snprintf(v, sizeof v, "%" PRIu64, max);
  if (write_knob(dir, "memory.max", max ? v : "max", err) < 0)
    return -1;
  if (cg_knob_exists(dir, "memory.swap.max") || cg_knob_exists(pdir, "memory.swap.max"))
    return write_knob(dir, "memory.swap.max", max ? "0" : "max", err);
  if (max && swap_is_on())
    return uj_err_set(err, 0,
                      "swap is on but %s has no memory.swap.max (kernel without swap "
                      "accounting): the memory limit would not cover swap", dir);
  return 0;
}

/* v1: memory.limit_in_bytes, with memory.memsw.limit_in_bytes (memory +
 * swap) when the kernel accounts swap, else swappiness 0 when swap is on. */
static int limit_memory_v1(const char *dir, const char *pdir, uint64_t max, struct uj_err *err)
{
  char v[32] = "-1";
  if (max)
    snprintf(v, sizeof v, "%" PRIu64, max);
  if (cg_knob_exists(dir, "memory.memsw.limit_in_bytes") ||
      cg_knob_exists(pdir, "memory.memsw.limit_in_bytes")) {
    /* memsw must stay >= limit at every step: lift it, set limit, lower it. */
    if (write_knob(dir, "memory.memsw.limit_in_bytes", "-1", err) < 0 ||
        write_knob(dir, "memory.limit_in_bytes", v, err) < 0)
      return -1;
    return write_knob(dir, "memory.memsw.limit_in_bytes", v, err);
  }
  if (write_knob(dir, "memory.limit_in_bytes", v, err) < 0)
    return -1;
  if (max && swap_is_on())
    return write_knob(dir, "memory.swappiness", "0", err);
  return 0;
}

/* cpu (in CPUs, e.g. 0.5) as a CFS quota per 100 ms period. */
static uint64_t cpu_quota(double cpu)
{
  uint64_t quota;
  if (cpu <= 0)
    return 0;
  quota = (uint64_t) (cpu * CPU_PERIOD + 0.5);
  return quota < CPU_MIN_QUOTA ? CPU_MIN_QUOTA : quota;
}

static int limit_cpu_v2(const char *dir, double cpu, struct uj_err *err)
{
  char v[64];
  uint64_t quota = cpu_quota(cpu);
  if (quota)
    snprintf(v, sizeof v, "%" PRIu64 " %d", quota, CPU_PERIOD);
  else
    snprintf(v, sizeof v, "max %d", CPU_PERIOD);
  return write_knob(dir, "cpu.max", v, err);
}

static int limit_cpu_v1(const char *dir, double cpu, struct uj_err *err)
{
  char v[32];
  uint64_t quota = cpu_quota(cpu);
  snprintf(v, sizeof v, "%d", CPU_PERIOD);
  if (write_knob(dir, "cpu.cfs_period_us", v, err) < 0)
    return -1;
  snprintf(v, sizeof v, "%" PRIu64, quota);
  return write_knob(dir, "cpu.cfs_quota_us", quota ? v : "-1", err);
}

int cg_write_limits(const struct layout *L, const char *dir[C_N], const char *pdir[C_N],
                    const struct uj_settings *s, struct uj_err *err)
{
  bool v2 = L->version == 2;

  if (dir[C_PIDS] && limit_pids(dir[C_PIDS], s->pids_max, err) < 0)
    return -1;
  if (dir[C_MEMORY] && (v2 ? limit_memory_v2 : limit_memory_v1)(dir[C_MEMORY], pdir[C_MEMORY],
                                                                s->memory_max, err) < 0)
    return -1;
  if (dir[C_CPU] && (v2 ? limit_cpu_v2 : limit_cpu_v1)(dir[C_CPU], s->cpu, err) < 0)
    return -1;
  return 0;
}
