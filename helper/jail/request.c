#include "jail/request.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "common/cleanup.h"
#include "common/timeouts.h"
#include "jail/client.h"
#include "jail/stats.h"
#include "jail/seccomp.h"
#include "util/text.h"

static void set_msg(struct uj_join_msg *msg, enum uj_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_msg(struct uj_join_msg *msg, enum uj_status st, const char *fmt, ...)
{
  va_list ap;
  msg->status = st;
  va_start(ap, fmt);
  vsnprintf(msg->msg, sizeof msg->msg, fmt, ap);
  va_end(ap);
}

/* The session's seccomp filter, built once per login (jail/seccomp.c). */
struct uj_filter_job {
  const struct uj_settings *s;
  struct uj_filter_msg *f;
  int rc;
  bool done;
  struct uj_err err;
};

static void filter_build(void *arg)
{
  struct uj_filter_job *job = arg;

  job->done = true;
  job->rc = -1;
  if (!(job->f = calloc(1, sizeof *job->f))) {
    uj_err_set(&job->err, ENOMEM, "seccomp filter");
    return;
  }
  if (uj_seccomp_build(UJ_RUN_DIR, job->s, job->f->insns, UJ_MAX_FILTER, &job->f->n, &job->err) < 0)
    return;
  job->f->magic = UJ_FILTER_MAGIC;
  job->rc = 0;
}

int uj_resolve(const char *config, const struct uj_request_how *how, const char *user,
               bool caller_exits, struct uj_resolved *r, const struct uj_meanwhile *meanwhile,
               struct uj_err *err)
{
  struct uj_err cfg_err;
  cleanup_free const char **named = NULL;
  size_t n_named = 0;
  struct uj_lookup lookup;
  int cfg_rc;

  memset(r, 0, sizeof *r);
  uj_err_clear(&cfg_err);
  if (!config)
    config = UJ_DEFAULT_CONFIG;
  bool inline_lookup = how && how->lookup_inline;
  int lr;
  /* The user's lookup starts first, in its thread or child, and the
   * config is parsed meanwhile (no directory involved); the lookup then
   * gets the groups the config names, so one lookup resolves them too. A
   * config failure is reported only once we know the user is not root.
   * Inline (a standby's worker: the config parsed ahead, nothing left to
   * overlap) the lookup comes after the config, in this thread. */
  if (!inline_lookup &&
      uj_userinfo_start(user, UJ_TIMEOUT_LOOKUP_S, caller_exits,
                        how && how->module_groups ? how->answer_fd : -1, &lookup, err) < 0)
    return -1;
  cfg_rc = uj_config_load_or_last_good(config, UJ_RUN_DIR, true, how ? how->ahead : NULL,
                                       &r->cfg, &r->diags, &r->src, &cfg_err);
  if (cfg_rc == 0 && !(named = uj_config_group_names(r->cfg, &n_named))) {
    if (!inline_lookup)
      uj_userinfo_abort(&lookup);
    return uj_err_set(err, ENOMEM, "configuration");
  }
  if (meanwhile && meanwhile->fn)
    meanwhile->fn(meanwhile->arg);
  if (inline_lookup) {
    alarm(UJ_TIMEOUT_LOOKUP_S);
    lr = uj_userinfo_inline(user, named, n_named, &r->ui, err);
    alarm(0);
  } else {
    lr = uj_userinfo_finish(&lookup, named, n_named, &r->ui, err);
  }
  if (lr < 0)
    return -1;
  if (r->ui.u.uid == 0)
    return 1; /* root is never jailed */
  /* An invalid file falls back to its last valid copy (lastgood.c,
   * loaded above). With no copy we cannot tell who is jailed: the caller
   * refuses (root is never affected). */
  if (cfg_rc < 0 || r->src.fallback) {
    for (size_t i = 0; i < r->diags.n; i++)
      syslog(LOG_ERR, "%s", r->diags.items[i]);
  }
  if (cfg_rc < 0) {
    *err = cfg_err;
    return uj_err_prefix(err, "configuration is invalid");
  }
  r->s = uj_policy_for(r->cfg, &r->ui.u);
  if (!r->s)
    return 1;
  if (uj_jail_spec_init(&r->spec, r->s, r->ui.name, r->ui.u.uid, r->ui.u.gid, r->ui.home,
                        err) < 0)
    return -1;
  r->spec.groups = r->ui.gids;
  r->spec.n_groups = r->ui.n_gids;
  r->spec.config_hash = r->cfg->hash;
  return 0;
}

void uj_resolved_free(struct uj_resolved *r)
{
  uj_config_free(r->cfg);
  uj_diags_free(&r->diags);
  uj_userinfo_free(&r->ui);
  memset(r, 0, sizeof *r);
}

/* After a login the policy let in: later logins of this user may come in
 * through the jail's monitor alone while the config text stays the same
 * (jail/quick.c). Not from a last valid copy: a broken file sends every
 * login through the helper, which says so in the log each time. */
static void grant_quick(const char *config, const struct uj_resolved *r,
                        const struct uj_filter_msg *f, bool allow, struct uj_request_after *after)
{
  struct uj_grant_msg *g;

  if (r->src.fallback || r->cfg->quick_join_s == 0 ||
      (config && strlen(config) >= UJ_CONFIG_PATH_LEN) || !(g = calloc(1, sizeof *g)))
    return;
  g->magic = UJ_QUICK_MAGIC;
  g->ttl_s = r->cfg->quick_join_s;
  g->config_hash = r->cfg->hash;
  g->on_error_allow = allow;
  snprintf(g->config, sizeof g->config, "%s", config ? config : "");
  g->filter = *f;
  after->grant = g;
  after->uid = r->spec.uid;
}

void uj_request_after_run(struct uj_request_after *after)
{
  struct uj_err err;

  if (after->line[0])
    syslog(LOG_INFO, "%s", after->line);
  if (after->grant && after->monitor)
    uj_monitor_keep_grant(after->monitor, after->grant);
  else if (after->grant && uj_monitor_grant(after->uid, after->grant, &err) < 0)
    syslog(LOG_NOTICE, "%s: no quick logins: %s", after->user, err.msg);
  free(after->grant);
  struct monitor *m = after->monitor; /* the caller's to continue as */
  memset(after, 0, sizeof *after);
  after->monitor = m;
}

/* The cgroups the session process is in (O_PATH dirs, cgroup.h). */
struct origin_job {
  pid_t pid;
  int *fds;
  size_t n;
  int rc;
  struct uj_err err;
};

static void origin_find(void *arg)
{
  struct origin_job *oj = arg;

  oj->rc = uj_cgroup_open_current(UJ_CGROUP_ROOT, oj->pid, oj->fds, UJ_MAX_FDS / 2, &oj->n,
                                  &oj->err);
  if (oj->rc < 0)
    oj->n = 0;
}

void uj_request_jail(const char *config, const struct uj_request_how *how, const char *user,
                     pid_t restore_pid, bool caller_exits,
                     struct uj_join_msg *msg, struct uj_limits_msg *limits, int *fds,
                     size_t *nfds, struct uj_filter_msg **filter, bool *created,
                     struct uj_request_after *after)
{
  /* On the heap: a monitor this process becomes goes on using it. */
  struct uj_resolved *r = calloc(1, sizeof *r);
  struct uj_err err;
  int restore[UJ_MAX_FDS];
  size_t n = 0;
  bool allow;
  int rc;

  memset(msg, 0, sizeof *msg);
  memset(limits, 0, sizeof *limits);
  memset(after, 0, sizeof *after);
  snprintf(after->user, sizeof after->user, "%s", user);
  msg->magic = UJ_PROTO_MAGIC;
  *filter = NULL;
  *nfds = 0;
  uj_err_clear(&err);
  if (!r) {
    set_msg(msg, UJ_STATUS_DENY, "out of memory");
    syslog(LOG_ERR, "refusing session of %s: out of memory", user);
    return;
  }

  /* Where the session process is now, before a new jail's monitor moves
   * it (monitor.c): where uj_enter puts it back if entering fails. Found
   * while the user is looked up; given back below when not needed. */
  struct origin_job oj = { .pid = restore_pid, .fds = restore };
  const struct uj_meanwhile mw = { .fn = origin_find, .arg = &oj };
  rc = uj_resolve(config, how, user, caller_exits, r, &mw, &err);
  n = oj.n;
  if (r->src.fallback)
    uj_stats_bump(UJ_STAT_CONFIG_FALLBACK);
  if (rc == 1) {
    msg->status = UJ_STATUS_IGNORE;
    goto out;
  }
  allow = r->s && r->s->on_error == UJ_ONERR_ALLOW;
  if (rc == 0 && oj.rc < 0)
    syslog(LOG_WARNING, "%s: cannot record the session's cgroup: %s", user, oj.err.msg);
  struct uj_filter_job job = { .s = r->s };
  /* Becoming the monitor: what this process still needs afterwards are
   * the session's cgroups (sent with the answer) and the answer's way out. */
  int keep[UJ_MAX_FDS + 2];
  size_t n_keep = 0;
  /* A monitor has no other thread: a lookup thread that answered was
   * joined (uj_userinfo_finish), and one that did not left no jail to make. */
  bool become = how && how->become_monitor;
  if (become) {
    memcpy(keep, restore, n * sizeof *restore);
    n_keep = n;
    keep[n_keep++] = how->answer_fd;
    keep[n_keep++] = how->done_fd;
  }
  const struct uj_start_opts opts = { .meanwhile = filter_build, .arg = &job,
                                      .caller_exits = caller_exits,
                                      .become = become ? &after->monitor : NULL,
                                      .keep = keep, .n_keep = n_keep };
  if (rc == 0 && uj_jail_join(&r->spec, restore_pid, msg, limits, fds, nfds, created, &opts,
                              &err) == 0) {
    /* The filter was built while a new jail's init built its root, else
     * here, after joining a running jail: usually read back from
     * /run/userjail (seccomp_cache.c). libseccomp, when a build loads it,
     * is dlclose()d after it: a monitor forked later does not carry it. On
     * failure the session is given back (closing its connection ends it
     * at the monitor). */
    if (!job.done)
      filter_build(&job);
    struct uj_filter_msg *f = steal_pointer(&job.f);
    if (job.rc < 0) {
      err = job.err;
      free(f);
      for (size_t i = 0; i < *nfds; i++)
        close(fds[i]);
      *nfds = 0;
      memset(msg, 0, sizeof *msg);
      msg->magic = UJ_PROTO_MAGIC;
      /* A new jail's monitor may have moved the session process already. */
      struct uj_err e2;
      if (n > 0)
        uj_cgroup_move_to(restore, n, restore_pid, &e2);
      goto failed;
    }
    *filter = f;
    msg->on_error_allow = allow;
    size_t room = UJ_MAX_FDS - *nfds, take = n < room ? n : room;
    memcpy(fds + *nfds, restore, take * sizeof *restore);
    close_many(restore + take, n - take);
    msg->n_restore = (uint32_t) take;
    *nfds += take;
    n = 0;
    snprintf(after->line, sizeof after->line, "session of %s joins its jail (init pid %d)", user,
             msg->init_pid);
    grant_quick(config, r, f, allow, after);
    goto out;
  }
failed:
  /* Only a failure under a rule can be allowed; an unusable config or an
   * unknown user is always refused, and so is a jail at its session limit
   * (EUSERS): the user can reach that at will, and must not get an
   * unjailed session for it. */
  if (err.code == EUSERS)
    allow = false;
  set_msg(msg, allow ? UJ_STATUS_ALLOW : UJ_STATUS_DENY, "%s", err.msg);
  uj_stats_bump(!r->ui.name ? UJ_STAT_REFUSED_USER
                : !r->cfg    ? UJ_STAT_REFUSED_CONFIG
                : allow      ? UJ_STAT_UNJAILED
                             : UJ_STAT_REFUSED_JAIL);
  msg->on_error_allow = allow;
  syslog(LOG_ERR, "%s session of %s: %s", allow ? "UNJAILED" : "refusing", user, err.msg);
out:
  close_many(restore, n);
  if (!after->monitor) {
    uj_resolved_free(r);
    free(r);
  }
}
