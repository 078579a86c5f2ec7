/* Counters in /run/userjail/stats (see stats.h). */
#include "jail/stats.h"

/* 5 ms .. 2.5 s: a join is a few ms, a jail's creation tens to hundreds
 * (more when systemd has to start userjail.service first). */
const uint64_t uj_latency_bounds_us[UJ_LATENCY_BUCKETS] = {
  5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
};

void uj_stats_bump(const char *name)
{
  uj_counter_bump(name);
}

uint64_t uj_stats_read(const char *name)
{
  uint64_t v;
  uj_counter_read(name, &v, 1);
  return v;
}

void uj_latency_delta(uint64_t us, uint64_t delta[UJ_LATENCY_VALUES])
{
  delta[0] = 1;
  delta[1] = us;
  for (size_t i = 0; i < UJ_LATENCY_BUCKETS; i++)
    delta[2 + i] = us <= uj_latency_bounds_us[i] ? 1 : 0;
}

void uj_stats_login_time(const char *kind, uint64_t us)
{
  uint64_t delta[UJ_LATENCY_VALUES];

  uj_latency_delta(us, delta);
  uj_counter_add(kind, delta, UJ_LATENCY_VALUES);
}
