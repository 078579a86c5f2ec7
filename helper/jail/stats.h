/* Counters of what the helper decided, for `userjail metrics`: one small
 * file per counter in /run/userjail/stats (root, 0700), incremented under
 * flock. Cheap (a login that is refused costs one open + write) and gone
 * at reboot, like every other runtime number. */
#ifndef UJ_JAIL_STATS_H
#define UJ_JAIL_STATS_H

#include <stdint.h>

#define UJ_STATS_DIR "/run/userjail/stats"

/* Names of the counters (file names). */
#define UJ_STAT_REFUSED_CONFIG "refused_config"   /* invalid config, no valid copy */
#define UJ_STAT_REFUSED_USER "refused_user"       /* unknown user, bad name */
#define UJ_STAT_REFUSED_JAIL "refused_jail"       /* the jail could not be made/joined */
#define UJ_STAT_UNJAILED "unjailed"               /* same failure, on_error = allow */
#define UJ_STAT_CONFIG_FALLBACK "config_fallback" /* a login used the last valid copy */

/* Add one to counter `name`; failures are ignored (a count is not worth
 * failing a login over). */
void uj_stats_bump(const char *name);

/* The value of counter `name` (0 when it was never bumped). */
uint64_t uj_stats_read(const char *name);

#endif
