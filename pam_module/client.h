/* Running the userjail helper from inside the PAM application's process. */
#ifndef UJ_PAM_CLIENT_H
#define UJ_PAM_CLIENT_H

#include <stddef.h>
#include <signal.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/proto.h"

struct uj_module_args {
  const char *config;   /* NULL: helper default */
  const char *helper;   /* path of the userjail binary */
  int debug;
  const char *standby;  /* a standby helper's socket to ask first ("standby=PATH",
                           default UJ_STANDBY_SOCK); NULL: "nostandby" */
};

/* Parse module arguments; unknown ones are an error naming them. */
int uj_parse_module_args(int argc, const char **argv, struct uj_module_args *a,
                         struct uj_err *err);

/* The user's passwd entry as the module looked it up (copied at once:
 * getpwnam's storage is shared with the application). */
struct uj_account {
  uid_t uid;
  gid_t gid;
  char name[257];  /* pw_name; "" when too long to copy */
};

/* Spawn `helper session-open --detached --module-groups [--config F] --
 * USER` with an empty environment, stdio on /dev/null and one socketpair
 * end as fd 3; send it acct's group list (common/proto.h, uj_groups_msg)
 * while it starts, and wait for its answer. The helper is not left as this process's child
 * (client.c, spawn_detached): nothing to reap afterwards. On success
 * msg/fds hold what it sent (fds may be empty), limits the jail's limits
 * (zeroed from a helper that sent none) and, for a JAILED answer, *filter
 * the session's seccomp filter (the last message). Never calls exit() in
 * this process. */
int uj_run_helper(const struct uj_module_args *a, const char *user, const struct uj_account *acct,
                  struct uj_join_msg *msg, struct uj_limits_msg *limits, int *fds, size_t *nfds,
                  struct uj_filter_msg *filter, struct uj_err *err);

/* The quick way in for a later login (helper/jail/quick.c): ask the
 * monitor of uid's live jail directly. 1: it answered (msg/fds/filter as
 * from uj_run_helper: JAILED, or DENY for a jail at its limits); 0: no
 * quick answer (no live jail, no valid grant, a monitor of an older
 * release, any error): run the helper. Never fails otherwise. */
int uj_quick_join(const struct uj_module_args *a, uid_t uid, struct uj_join_msg *msg,
                  struct uj_limits_msg *limits, int *fds, size_t *nfds,
                  struct uj_filter_msg *filter);

/* A first login through `userjail standby` (helper/cli/cmd_standby.c):
 * 1: its worker answered as session-open would (nothing to reap); 0: no
 * answer (no standby, or it closed or timed out before a whole answer):
 * run the helper. */
int uj_standby_join(const struct uj_module_args *a, const char *user, struct uj_join_msg *msg,
                    struct uj_limits_msg *limits, int *fds, size_t *nfds,
                    struct uj_filter_msg *filter);
#endif
