/* Counters of what the helper decided, for `userjail metrics`: one small
 * file per counter in /run/userjail/stats (root, 0700), changed under
 * flock (common/counter.c, shared with the PAM module, which counts its
 * own refusals there). Cheap (a login costs one open + write) and gone at
 * reboot, like every other runtime number. */
#ifndef UJ_JAIL_STATS_H
#define UJ_JAIL_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/counter.h"

#define UJ_STATS_DIR UJ_COUNTER_DIR

/* Names of the counters (file names). */
#define UJ_STAT_REFUSED_CONFIG "refused_config"   /* invalid config, no valid copy */
#define UJ_STAT_REFUSED_USER "refused_user"       /* unknown user, bad name */
#define UJ_STAT_REFUSED_JAIL "refused_jail"       /* the jail could not be made/joined */
#define UJ_STAT_REFUSED_HELPER UJ_COUNTER_REFUSED_HELPER /* counted by the module */
#define UJ_STAT_UNJAILED "unjailed"               /* same failure, on_error = allow */
#define UJ_STAT_CONFIG_FALLBACK "config_fallback" /* a login used the last valid copy */
/* Histograms of the helper's time for a successful login: this login
 * started the jail, or joined a running one. */
#define UJ_STAT_LOGIN_CREATE "login_create"
#define UJ_STAT_LOGIN_JOIN "login_join"
/* ... or came in the quick way (jail/quick.c): timed by the monitor. */
#define UJ_STAT_LOGIN_QUICK "login_quick"

/* Add one to counter `name`; failures are ignored (a count is not worth
 * failing a login over). */
void uj_stats_bump(const char *name);

/* The value of counter `name` (0 when it was never bumped). */
uint64_t uj_stats_read(const char *name);

/* ---- login latency histogram ----------------------------------------------
 * One counter file per kind holding [count, sum in microseconds, then one
 * cumulative count per bucket bound below] (+Inf is the count). Bounds in
 * microseconds, ascending. */
#define UJ_LATENCY_BUCKETS 9
extern const uint64_t uj_latency_bounds_us[UJ_LATENCY_BUCKETS];
#define UJ_LATENCY_VALUES (2 + UJ_LATENCY_BUCKETS)

/* Pure: the increments one observation of `us` microseconds adds to a
 * histogram's values (count 1, sum us, 1 in every bucket whose bound is at
 * least us). */
void uj_latency_delta(uint64_t us, uint64_t delta[UJ_LATENCY_VALUES]);

/* Record one successful login of kind `kind` (UJ_STAT_LOGIN_*) that took
 * `us` microseconds in the helper (quick: in the monitor). */
void uj_stats_login_time(const char *kind, uint64_t us);

#endif
