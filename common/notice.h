/* What a jailed user is told about their jail, in one place: the notice at
 * login (pam_userjail.so, through pam_info), the /run/userjail-info file the
 * jail's init writes, and the one-line messages when a limit bites (the
 * monitor). Pure formatting, no syscalls, so the module and the helper
 * share it and the unit tests read it directly. */
#ifndef UJ_NOTICE_H
#define UJ_NOTICE_H

#include <stddef.h>

#include "common/proto.h"

/* "256M", "1G", "unlimited" */
void uj_fmt_size(uint64_t bytes, char *buf, size_t len);
/* "64", "unlimited" */
void uj_fmt_count(uint64_t n, char *buf, size_t len);
/* "0.5 CPU", "2 CPUs", "unlimited" */
void uj_fmt_cpu(uint32_t milli, char *buf, size_t len);

/* The login notice: two or three short lines naming the jail, its limits
 * and where to look. */
void uj_notice_login(const struct uj_limits_msg *l, char *buf, size_t len);

/* Where the jail's own cgroup files are visible inside it (see
 * helper/jail/view.c), for /run/userjail-info. */
struct uj_usage_paths {
  const char *memory;   /* file with the memory in use, or NULL */
  const char *pids;     /* file with the processes in use, or NULL */
  const char *cpu;      /* file with CPU time used, or NULL */
  const char *dir;      /* where all of them are */
};

/* The text of /run/userjail-info. */
void uj_notice_info_file(const struct uj_limits_msg *l, const char *user,
                         const struct uj_usage_paths *u, char *buf, size_t len);

#endif
