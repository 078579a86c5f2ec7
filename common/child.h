/* Descriptor setup of a freshly forked child, before it execs or becomes a
 * long-lived process: the one way the helper, the monitor, the jail init and
 * the PAM module hand a child exactly the fds it should have, so nothing of
 * sshd's or of a caller's (sockets, keys, locks, the PAM handle) leaks. */
#ifndef UJ_CHILD_H
#define UJ_CHILD_H

#include <stdbool.h>
#include <stddef.h>

/* In a child after fork: with null_stdio, point fds 0-2 at /dev/null; move
 * `keep` (when >= 0) to fd 3; close every fd above the last one kept.
 * Returns 3 (the kept fd) or 0 when none was kept; -1 on failure, after
 * which the child must _exit. */
int uj_child_fds(int keep, bool null_stdio);

/* The same with two fds kept: `keep` becomes fd 3 and `keep2` fd 4, both
 * without close-on-exec. Returns 0 or -1 (then _exit). */
int uj_child_fds2(int keep, int keep2, bool null_stdio);

/* Close every fd from 3 up but the n in `keep` (in any order, at most 64),
 * which stay as they are; with null_stdio, then point fds 0-2 at
 * /dev/null. Returns 0, or -1 with errno. */
int uj_close_fds_except(const int *keep, size_t n, bool null_stdio);

#endif
