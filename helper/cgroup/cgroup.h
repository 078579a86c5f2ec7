/* Per-user cgroups: where every quota is written. Works on cgroup v2
 * (unified) and v1/hybrid, detected at run time from the layout under
 * `root` (normally /sys/fs/cgroup; a temporary tree in unit tests). */
#ifndef UJ_CGROUP_H
#define UJ_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "config/config.h"

#define UJ_CGROUP_ROOT "/sys/fs/cgroup"
#define UJ_CGROUP_MAXDIRS 4

struct uj_cgroup {
  int version;                       /* 1 or 2 */
  size_t n;                          /* directories in use (v2: 1, v1: one per controller) */
  char *dirs[UJ_CGROUP_MAXDIRS];     /* absolute path of the user's cgroup in each hierarchy */
  int procs_fds[UJ_CGROUP_MAXDIRS];  /* cgroup.procs of each, opened O_WRONLY|O_CLOEXEC */
  /* What a process writes "0" to, to join by itself (the jail's init,
   * pasta, a login's session process): on v1 each hierarchy's `tasks`,
   * on v2 cgroup.procs. A cgroup.procs write takes the kernel's
   * cgroup_threadgroup_rwsem for writing, which after a quiet moment waits
   * for an RCU grace period (~7 ms here) unless the hierarchy is mounted
   * with favordynmods; a v1 `tasks` write of "0" moves only the writing
   * thread and skips that lock (measured: 0.2 ms for three hierarchies).
   * For a single-threaded process, the only kind that may join a jail
   * (common/enter.c checks), moving its one thread moves the process. v2
   * has no such file: cgroup.threads only moves threads inside a threaded
   * subtree. */
  int join_fds[UJ_CGROUP_MAXDIRS];
};

void uj_cgroup_init(struct uj_cgroup *cg);   /* empty value: no dirs, fds -1 */

/* Create the cgroup `name` (e.g. the uid as a string) under the userjail
 * parent in every needed hierarchy, and write the limits of s. On systemd
 * hosts the caller (the jail's monitor) also moves into `.keeper`. A controller
 * that a limit needs but the host lacks is an error (never silently
 * unlimited). On failure nothing is left behind. */
int uj_cgroup_create(const char *root, const char *name, const struct uj_settings *s,
                     struct uj_cgroup *cg, struct uj_err *err);

/* Find the existing cgroup `name` (for list/stop); fds are opened too. */
int uj_cgroup_open(const char *root, const char *name, struct uj_cgroup *cg, struct uj_err *err);

/* Move process `pid` into the cgroup (every hierarchy). */
int uj_cgroup_attach(const struct uj_cgroup *cg, pid_t pid, struct uj_err *err);

/* Move the calling process into the cgroup by its join_fds. It must be
 * single-threaded (a fresh fork or clone is); the cgroup's fds are not
 * closed. */
int uj_cgroup_join_self(const struct uj_cgroup *cg, struct uj_err *err);

/* pids in use and memory in use (bytes). */
int uj_cgroup_usage(const struct uj_cgroup *cg, uint64_t *pids, uint64_t *mem, struct uj_err *err);

/* Kill what is left in it, wait up to timeout_ms for it to empty, remove
 * the directories. Closes the fds. */
int uj_cgroup_destroy(struct uj_cgroup *cg, int timeout_ms, struct uj_err *err);

/* members.c — call fn for every process now in the cgroup except `skip`,
 * each pinned by a pidfd (valid during the call) and checked to be a member
 * after pinning. Returns how many, or -1 with err. */
int uj_cgroup_foreach(const struct uj_cgroup *cg, pid_t skip,
                      void (*fn)(int pidfd, pid_t pid, void *arg), void *arg, struct uj_err *err);

/* members.c — a session process that logged out stays in the user's cgroup
 * until it exits (no migration on the logout path). A teardown that cannot
 * wait for it moves it out with this: if the process pinned by pidfd is
 * still a member, into the cgroups the caller (the jail's monitor) is in
 * (uj_cgroup_open_current's order: on systemd hosts .keeper). 1 = moved,
 * 0 = not a member (or gone), -1 with err. */
int uj_cgroup_release(const struct uj_cgroup *cg, const char *root, int pidfd, struct uj_err *err);
/* Write pid into cgroup.procs under each of the n O_PATH dirs, in order (as
 * uj_cgroup_open_current returns them). 0 when at least one move worked. */
int uj_cgroup_move_to(const int *dirs, size_t n, pid_t pid, struct uj_err *err);
/* The pid a pidfd pins, -1 once the process is gone. */
pid_t uj_pidfd_pid(int pidfd);

/* warm.c — fork a child that starts the kernel's grace period for cgroup
 * migrations now, so that a login's move into its cgroup moments later
 * waits less (or not at all). Best effort. */
/* Returns the child's pid (its parent may reap it), or 0 when none. */
pid_t uj_cgroup_warm(const char *root);

/* stats.c — limits and counters for `userjail metrics`; -1 = not available
 * on this host, 0 for a limit = unlimited. */
struct uj_cgroup_stats {
  int64_t pids_max;
  int64_t memory_max;   /* bytes */
  int64_t cpu_quota;    /* millionths of one CPU */
  int64_t cpu_usec;     /* CPU time used, microseconds */
  int64_t oom_kills;
};
void uj_cgroup_stats(const struct uj_cgroup *cg, struct uj_cgroup_stats *st);

/* Release memory and fds without touching the cgroup. */
void uj_cgroup_close(struct uj_cgroup *cg);

/* Open (O_PATH) the directories of the cgroups process `pid` is in now,
 * one per relevant hierarchy, so a session process can later move itself
 * back there (logout: it opens cgroup.procs under them as root) even from
 * inside the jail's mount namespace. Never a writable cgroup.procs: see
 * procs.c for why.
 * On systemd hosts the delegated `.keeper` cgroup comes first: logind's scope
 * of the session is gone once its only process joined the jail, and a
 * process written to `.keeper` and then (if it still exists) to the scope
 * ends up in the scope when it can, in `.keeper` otherwise. */
int uj_cgroup_open_current(const char *root, pid_t pid, int *fds, size_t max, size_t *n,
                           struct uj_err *err);

/* cpuset.c, cgroup v1 only: a cpuset cgroup cpuset/userjail/NAME with the
 * CPUs of mask, for the jail's init alone (LXCFS sizes /proc/cpuinfo and
 * /proc/stat by it). Returns 0 with *dir (malloc'ed), 1 when the host has
 * no v1 cpuset hierarchy (nothing done), -1 with err (nothing left). */
int uj_cpuset_v1_create(const char *root, const char *name, const uint64_t *mask, size_t words,
                        char **dir, struct uj_err *err);
int uj_cpuset_v1_open_join(const char *dir, struct uj_err *err);
/* Remove cpuset/userjail/NAME if it exists (its process must be gone). */
void uj_cpuset_v1_remove(const char *root, const char *name);

#endif
