#include "request.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cgroup.h"
#include "config.h"
#include "jail.h"
#include "user.h"

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

void uj_request_jail(const char *config, const char *user, pid_t restore_pid,
                     struct uj_join_msg *msg, int *fds, size_t *nfds)
{
  struct uj_userinfo ui;
  struct uj_config *cfg = NULL;
  struct uj_diags diags = { 0 };
  struct uj_err err;
  const struct uj_settings *s;
  struct uj_jail_spec spec;
  bool allow;

  memset(msg, 0, sizeof *msg);
  msg->magic = UJ_PROTO_MAGIC;
  *nfds = 0;
  uj_err_clear(&err);
  if (!config)
    config = UJ_DEFAULT_CONFIG;

  if (uj_userinfo_get(user, &ui, &err) < 0) {
    set_msg(msg, UJ_STATUS_DENY, "%s", err.msg);
    syslog(LOG_ERR, "%s", err.msg);
    return;
  }
  if (ui.u.uid == 0) {
    msg->status = UJ_STATUS_IGNORE;
    goto out;
  }
  /* A configuration we cannot trust or read means we cannot tell who is
   * jailed: refuse (root is never affected). */
  if (uj_config_load(config, &cfg, &diags, &err) < 0) {
    for (size_t i = 0; i < diags.n; i++)
      syslog(LOG_ERR, "%s", diags.items[i]);
    set_msg(msg, UJ_STATUS_DENY, "configuration is invalid: %s", err.msg);
    syslog(LOG_ERR, "refusing session of %s: configuration is invalid: %s", user, err.msg);
    goto out;
  }
  s = uj_policy_for(cfg, &ui.u);
  if (!s) {
    msg->status = UJ_STATUS_IGNORE;
    goto out;
  }
  allow = s->on_error == UJ_ONERR_ALLOW;
  msg->on_error_allow = allow;
  if (uj_jail_spec_init(&spec, s, ui.name, ui.u.uid, ui.u.gid, ui.home, &err) < 0 ||
      uj_session_acquire(&spec, msg, fds, nfds, &err) < 0) {
    set_msg(msg, allow ? UJ_STATUS_ALLOW : UJ_STATUS_DENY, "%s", err.msg);
    syslog(LOG_ERR, "%s session of %s: %s", allow ? "UNJAILED" : "refusing", user, err.msg);
    msg->on_error_allow = allow;
    goto out;
  }
  msg->on_error_allow = allow;
  {
    size_t n = 0;
    if (uj_cgroup_open_current(UJ_CGROUP_ROOT, restore_pid, fds + *nfds,
                               UJ_MAX_FDS - *nfds, &n, &err) < 0) {
      syslog(LOG_WARNING, "%s: cannot record the session's cgroup: %s", user, err.msg);
      n = 0;
    }
    msg->n_restore = (uint32_t) n;
    *nfds += n;
  }
  syslog(LOG_INFO, "session of %s joins its jail (init pid %d)", user, msg->init_pid);
out:
  uj_config_free(cfg);
  uj_diags_free(&diags);
  uj_userinfo_free(&ui);
}
