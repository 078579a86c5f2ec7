/* The default seccomp filter of jailed sessions (README "seccomp"). */
#ifndef UJ_SECCOMP_H
#define UJ_SECCOMP_H

#include <stdint.h>
#include <linux/filter.h>

#include "common/err.h"
#include "config/config.h"

/* Build the filter `s` asks for (s->seccomp, s->seccomp_allow, s->userns)
 * as a classic BPF program in out[0..*n). *n = 0 when the rule turns the
 * filter off. libseccomp is dlopen()ed for the build and closed again, so a
 * jail's monitor and init (forked from this process later) never map it.
 * With a cache_dir (root's, mode 0700: UJ_RUN_DIR), a program built before
 * from the same inputs is read from there instead (seccomp_cache.c), and a
 * new one is stored; NULL builds every time. */
int uj_seccomp_build(const char *cache_dir, const struct uj_settings *s, struct sock_filter *out,
                     uint32_t max, uint32_t *n, struct uj_err *err);

/* What a program depends on besides the library: the rule's settings and
 * the compiled-in filter list, hashed. Side-effect free. */
uint64_t uj_seccomp_key(const struct uj_settings *s);

/* seccomp_cache.c: 0 and the program when a valid one is stored for key
 * under dir, else -1 (a miss, whatever the reason). */
int uj_seccomp_cache_load(const char *dir, uint64_t key, struct sock_filter *out, uint32_t max,
                          uint32_t *n);
/* Store a program built by the libseccomp at path `lib`; best effort. */
void uj_seccomp_cache_store(const char *dir, uint64_t key, const char *lib,
                            const struct sock_filter *prog, uint32_t n);

#endif
