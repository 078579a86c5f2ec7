/* What the default seccomp filter refuses, as data: the config parser checks
 * `seccomp_allow` names against it and the filter builder (jail/seccomp.c)
 * turns it into rules. No syscalls here. */
#ifndef UJ_FILTERLIST_H
#define UJ_FILTERLIST_H

#include <stddef.h>
#include <stdint.h>

enum uj_filter_kind {
  UJ_FILTER_SYSCALL,  /* the whole syscall fails with EPERM */
  UJ_FILTER_IOCTL,    /* ioctl(fd, value, ...) fails with EPERM (low 32 bits compared) */
};

struct uj_filter_entry {
  const char *name;   /* syscall name as libseccomp knows it, or the ioctl's name */
  enum uj_filter_kind kind;
  unsigned long value;/* the ioctl request (UJ_FILTER_IOCTL only) */
  const char *why;    /* one line for the documentation and `check-config` */
};

extern const struct uj_filter_entry uj_filter_entries[];
extern const size_t uj_filter_n_entries;

/* Index of `name` in uj_filter_entries (exact, case-sensitive), or -1. At
 * most 32 entries, so a rule's allow-back list is a bit mask. */
int uj_filter_index(const char *name);

#endif
