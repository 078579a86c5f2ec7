/* Looking up a user for the policy and the jail: one passwd lookup and one
 * group-list (initgroups) lookup of that user, plus one getgrnam of each
 * group the configuration names. Never an enumeration, never a getgrgid per
 * group the user is in, never a group's member list. All of it runs in a
 * child process bounded in time, so a slow or hung directory (sssd, nslcd,
 * LDAP) gives a clear refusal instead of a login that hangs. */
#ifndef UJ_USER_H
#define UJ_USER_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "config/config.h"

struct uj_userinfo {
  struct uj_user u;      /* points into the fields below */
  char *name, *home, *shell;
  gid_t *gids;           /* primary and supplementary groups (getgrouplist) */
  size_t n_gids;
  char **groups;         /* of the groups the config names, those the user is in */
  size_t n_groups;
};

/* Look up `name`; `named` are the group names (without '@') the config
 * mentions, resolved to see which the user belongs to. Gives up after
 * timeout_s seconds with ETIMEDOUT. An unknown user is ENOENT. */
int uj_userinfo_get(const char *name, const char *const *named, size_t n_named,
                    unsigned timeout_s, struct uj_userinfo *ui, struct uj_err *err);
void uj_userinfo_free(struct uj_userinfo *ui);

/* The same in two steps, so the caller can work meanwhile: start forks the
 * lookup child (or, `threaded`, starts a thread), which looks up the
 * user's passwd entry and group list at once; finish hands it the group
 * names (which the caller learns from the config it parsed meanwhile),
 * waits for the answer (bounded by the timeout given to start) and reaps
 * it. Every started lookup is finished or aborted.
 * `threaded` is for a caller that exits soon after, with _exit (nothing
 * may wait for a thread that NSS keeps past the deadline), and that never
 * setns()es into a mount namespace (the kernel refuses that to a process
 * whose threads are not all gone). */
struct uj_lookup {
  pid_t pid;
  bool threaded;
  pthread_t thread;
  int answer_fd, names_fd;
  long long deadline;  /* CLOCK_MONOTONIC ms */
  unsigned timeout_s;
  char name[257];
};
/* groups_fd >= 0: the PAM module sends the user's group list there
 * (common/proto.h, uj_groups_msg), read by the lookup in place of its own
 * getgrouplist when it has arrived by then and was made for the passwd
 * entry the lookup finds. The lookup reads it through its own copy of the
 * fd (a thread) or its inherited one (a child): the caller may close
 * groups_fd once uj_userinfo_start returned. */
int uj_userinfo_start(const char *name, unsigned timeout_s, bool threaded, int groups_fd,
                      struct uj_lookup *lk, struct uj_err *err);
int uj_userinfo_finish(struct uj_lookup *lk, const char *const *named, size_t n_named,
                       struct uj_userinfo *ui, struct uj_err *err);
void uj_userinfo_abort(struct uj_lookup *lk);

/* The same lookup in the calling thread, unbounded: for a caller that
 * bounds it itself and can afford to die for it (a standby's worker, with
 * an alarm: its login then goes to a spawned helper, cli/cmd_standby.c). */
int uj_userinfo_inline(const char *name, const char *const *named, size_t n_named,
                       struct uj_userinfo *ui, struct uj_err *err);

#endif
