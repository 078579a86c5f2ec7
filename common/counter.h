/* Counters for `userjail metrics`, shared by the helper (jail/stats.c) and
 * the PAM module (its own refusals): one small file per counter in
 * /run/userjail/stats (root, 0700), holding one or more unsigned numbers
 * on one line ("3\n", or "12 5300 ..." for a histogram), changed under
 * flock so concurrent logins never lose an increment. Gone at reboot, like
 * every other runtime number.
 *
 * Safe to call from inside sshd: never exits, never follows a symlink
 * (each step is opened by fd with O_NOFOLLOW and checked to be root's and
 * private), never waits long for the lock, and any failure just loses the
 * count (a count is not worth failing or delaying a login over). */
#ifndef UJ_COMMON_COUNTER_H
#define UJ_COMMON_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#define UJ_COUNTER_RUN_DIR "/run/userjail"
#define UJ_COUNTER_DIR "/run/userjail/stats"
/* Numbers one counter file holds at most. */
#define UJ_COUNTER_MAX 16

/* Counted by the PAM module: the helper could not be run, crashed, did not
 * answer in time, or sent an answer the module cannot read. */
#define UJ_COUNTER_REFUSED_HELPER "refused_helper"

/* Add delta[0..n) to the numbers of counter `name` (a plain file name),
 * creating it (and the directories) when missing. */
void uj_counter_add(const char *name, const uint64_t *delta, size_t n);

/* uj_counter_add of 1 to a single-number counter. */
void uj_counter_bump(const char *name);

/* Read counter `name` into v[0..n) (numbers it lacks are 0; all 0 when it
 * does not exist). */
void uj_counter_read(const char *name, uint64_t *v, size_t n);

/* Pure (unit-tested): parse up to n space-separated decimal numbers from
 * text into v (the rest 0; junk ends the parse); returns how many were
 * read. */
size_t uj_counter_parse(const char *text, uint64_t *v, size_t n);

/* Pure: v[0..n) as "a b c\n" into buf. Returns the length, or -1 when it
 * does not fit. */
int uj_counter_format(char *buf, size_t len, const uint64_t *v, size_t n);

#endif
