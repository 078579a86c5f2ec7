/* The one code path from "USER wants a session" to "here is what to join",
 * used by `userjail session-open` (for pam_userjail.so) and `userjail run`. */
#ifndef UJ_REQUEST_H
#define UJ_REQUEST_H

#include <stddef.h>
#include <sys/types.h>

#include "common/proto.h"
#include "config/config.h"
#include "jail/jail.h"
#include "identity/user.h"

/* A user resolved against the configuration. */
struct uj_resolved {
  struct uj_userinfo ui;
  struct uj_config *cfg;
  struct uj_diags diags;         /* the file's problems (also when src.fallback) */
  struct uj_config_source src;   /* fallback: cfg is the last valid copy */
  const struct uj_settings *s;   /* NULL: not jailed */
  struct uj_jail_spec spec;      /* valid when s != NULL and resolve returned 0 */
};

/* Load `config` (NULL: the default), look up `user`, apply the policy and
 * fill the jail spec. Returns 0 (jailed: r->s set), 1 (not jailed), or -1
 * with err set (r->s is set when the failure is the rule's, so its on_error
 * applies; NULL when the config itself is unusable). */
/* `meanwhile` (may be NULL) runs while the user lookup asks the
 * directory, after the config was read: work that does not depend on the
 * user, done in time this process would spend waiting. */
struct uj_meanwhile {
  void (*fn)(void *arg);
  void *arg;
};
/* `caller_exits`: the caller is session-open or a standby's worker, which
 * exits (_exit) right after its answer or goes on as the monitor it
 * became (a lookup thread that answered is joined by then): the lookup
 * runs in a thread, not a child (user.h). */
/* How a standby's worker (cli/cmd_standby.c) or session-open asks, unlike
 * `run` (which passes NULL). */
struct uj_request_how {
  /* a config parsed ahead (config.h), taken when the file still holds its
   * text */
  struct uj_config_ahead *ahead;
  /* the config first, then the user looked up in this thread, bounded by
   * an alarm whose signal (SIGALRM, default action) ends this process:
   * nothing is left to overlap with the lookup, and handing it to a thread
   * costs a wake-up of another CPU */
  bool lookup_inline;
  /* a new jail's monitor is this process (jail.h, uj_start_opts.become):
   * uj_request_after.monitor then says it must go on as that monitor;
   * `answer_fd`, where the caller sends the answer, and `done_fd` (the
   * caller closes it once answered: a standby's worker tells its parent)
   * stay open */
  bool become_monitor;
  int answer_fd, done_fd;
  /* the PAM module sends the user's group list on answer_fd before it
   * reads the answer (session-open --module-groups, identity/user.h) */
  bool module_groups;
};
int uj_resolve(const char *config, const struct uj_request_how *how, const char *user,
               bool caller_exits, struct uj_resolved *r, const struct uj_meanwhile *meanwhile,
               struct uj_err *err);
void uj_resolved_free(struct uj_resolved *r);

/* Decide and prepare: resolve, then find or create the jail. Always fills
 * msg->status (JAILED with fds, IGNORE, DENY or ALLOW with a one-line
 * reason in msg->msg) and logs failures to syslog. limits: the jail's, for
 * the notice and CPU pinning (zeroed unless JAILED by a current monitor). `restore_pid` is the
 * session process that will enter: the session ends when it exits, and the
 * cgroups it is in now are opened so it can move back at logout. */
/* *filter: with JAILED, the session's seccomp filter (malloc'd, the caller
 * frees it), else NULL. It is built after the jail exists, so the monitor
 * forked on the way never holds libseccomp's traces; one that cannot be
 * built gives the session back and answers DENY or ALLOW like any other
 * jail failure. */
/* *created (may be NULL): with JAILED, whether this request started the
 * jail (for the login latency in `metrics`). */
/* caller_exits: see uj_start_opts (jail.h). */
/* *after: what a jailed login leaves for the caller to do once it has
 * answered (uj_request_after_run; always call it): the log line and the
 * grant for quick logins. Both wake another process (the log daemon, the
 * jail's monitor) which, before the answer, the session would wait for. */
struct uj_request_after {
  /* The jail's monitor is this process (uj_request_how.become_monitor):
   * once the answer is sent and the rest below run, the caller goes on as
   * it (uj_monitor_continue). The request's config and user stay
   * allocated for it. */
  struct monitor *monitor;
  struct uj_grant_msg *grant; /* NULL: none */
  uid_t uid;
  char user[257];  /* as uj_lookup's name */
  char line[340];
};
void uj_request_jail(const char *config, const struct uj_request_how *how, const char *user,
                     pid_t restore_pid, bool caller_exits,
                     struct uj_join_msg *msg, struct uj_limits_msg *limits, int *fds,
                     size_t *nfds, struct uj_filter_msg **filter, bool *created,
                     struct uj_request_after *after);
void uj_request_after_run(struct uj_request_after *after);

#endif
