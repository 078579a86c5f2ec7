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
 * jail's monitor and init (forked from this process later) never map it. */
int uj_seccomp_build(const struct uj_settings *s, struct sock_filter *out, uint32_t max,
                     uint32_t *n, struct uj_err *err);

#endif
