/* Side-effect-free helpers (no syscalls): string and path checks used by the
 * config parser and the jail builder. Unit-tested in tests/unit/util/test_text.c. */
#ifndef UJ_UTIL_H
#define UJ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "64M", "1G", "512k", "4096" -> bytes (K/M/G/T, binary, case-insensitive,
 * optional trailing "B"/"iB"). Returns 0, or -1 on junk/overflow/zero. */
int uj_parse_size(const char *s, uint64_t *out);

/* Expand %u (user), %U (uid) and %% in pat. Returns 0, or -1 when the result
 * does not fit or pat has an unknown escape. */
int uj_expand_pattern(const char *pat, const char *user, uid_t uid, char *out, size_t outlen);

/* A valid hostname (RFC 1123 label chars and dots, 1..64 chars). */
bool uj_valid_hostname(const char *h);

/* Absolute, normalized path: starts with '/', no "." or ".." components,
 * no "//", no trailing '/', (except "/" itself), no control characters. */
bool uj_path_is_clean(const char *p);

/* A path that must never be bound into a jail from the config: "/", /proc,
 * /sys, /dev and anything beneath them. */
bool uj_path_is_dangerous(const char *p);

/* A user or group name as NSS may hand it out ("alice", "alice@corp.example",
 * "CORP\\alice"): 1..256 bytes, not starting with '-', no '/' and no control
 * character. The same rule the helper applies before looking a user up. */
bool uj_valid_username(const char *n);

/* Parse "LOW-HIGH" (decimal uids, LOW <= HIGH). */
int uj_parse_uid_range(const char *s, uid_t *lo, uid_t *hi);

/* Is any autofs mount in `mountinfo` (the text of /proc/PID/mountinfo)
 * at `path`, above it or beneath it? Such a tree can change under a
 * long-lived jail (automount, expiry, autofs restart), so its bind follows
 * the host (slave propagation). Mount points are unescaped (\040 ...). */
bool uj_mountinfo_autofs_near(const char *mountinfo, const char *path);

/* A size written with a fraction ("1.5G", "1,5G", "0.5M") as the same
 * amount in whole units ("1536M", "512K"), for a message that says the fix.
 * -1 when s is not such a size or the amount is not whole bytes. */
int uj_size_suggest(const char *s, char *out, size_t len);

/* The candidate closest to word (a typo: at most one edit for words of up
 * to 4 characters, two for longer ones; swaps count as one), for "did you
 * mean"; NULL when none is that close or word is exactly a candidate. */
const char *uj_near_miss(const char *word, const char *const *candidates, size_t n);

/* 64-bit FNV-1a of len bytes: tells config texts apart (config hash of a
 * jail, last-good file names). */
uint64_t uj_text_hash(const char *s, size_t len);

/* One line of /etc/environment or /etc/default/locale, read the way pam_env
 * reads them: KEY=VALUE, an optional leading "export ", the value optionally
 * in matching single or double quotes. KEY must be [A-Za-z_][A-Za-z0-9_]*.
 * Returns 1 with key and val filled, 0 for a line to skip (blank, comment,
 * no '=', bad key, too long for the buffers). */
int uj_parse_env_line(const char *line, char *key, size_t klen, char *val, size_t vlen);

#endif
