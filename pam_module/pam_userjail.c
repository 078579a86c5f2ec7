/* pam_userjail.so: the PAM entry points, and the only place that talks to
 * the user (pam_error). Thin by design: the helper decides and builds, the
 * shared enter code (common/enter.c) moves this process into the jail.
 * Nothing here may exit(): this runs inside sshd's session process. */
#include <errno.h>
#include <stdbool.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "common/enter.h"
#include "common/cleanup.h"
#include "common/counter.h"
#include "common/notice.h"
#include "pam_module/client.h"
#include "pam_module/log.h"

#define DATA_KEY "pam_userjail_session"
/* Built with -fvisibility=hidden; module.map also limits the exports. */
#define UJ_EXPORT __attribute__((visibility("default")))

/* What the module keeps between open_session and close_session. */
struct module_session {
  struct uj_joined j;
  int log_fd;       /* to the host's /dev/log, connected before setns (log.h) */
  int debug;
};

/* End the session (connection closed; the process stays in the user's
 * cgroup until it exits, see common/enter.h) and say so through the host's
 * syslog. Idempotent (uj_leave is). */
static void leave_and_log(pam_handle_t *pamh, struct module_session *ms)
{
  const void *user = NULL;

  if (ms->j.session_fd < 0)
    return;
  uj_leave(&ms->j);
  if (ms->debug) {
    pam_get_item(pamh, PAM_USER, &user);
    uj_modlog(pamh, ms->log_fd, LOG_DEBUG, "session of %s left its jail",
              user ? (const char *) user : "?");
  }
}

static void cleanup_joined(pam_handle_t *pamh, void *data, int error_status)
{
  struct module_session *ms = data;
  /* pam_end in a child that only forked (PAM_DATA_SILENT) must not end the
   * session for the parent; the fd copies just close. */
  if (!ms)
    return;
  if (!(error_status & PAM_DATA_SILENT)) {
    leave_and_log(pamh, ms);
  } else {
    if (ms->j.session_fd >= 0)
      close(ms->j.session_fd);
  }
  if (ms->log_fd >= 0)
    close(ms->log_fd);
  free(ms);
}

/* log_fd: the module's log socket once in the jail (log.h), else -1. */
static int deny_logged(pam_handle_t *pamh, int flags, const char *user, const char *why,
                       int log_fd)
{
  uj_modlog(pamh, log_fd, LOG_ERR, "denying session of %s: %s", user, why);
  if (!(flags & PAM_SILENT))
    pam_error(pamh, "userjail: login refused: %s", why);
  return PAM_SESSION_ERR;
}

/* The notice goes to logins on a terminal only: `su -l USER -c CMD` in a
 * script or a cron job would get it mixed into their output. PAM_TTY is a
 * device ("/dev/pts/3", "tty1") at a terminal, unset for su without one,
 * "cron" for cron. sshd sets "ssh" (it allocates the pty later) and itself
 * shows session messages only to interactive logins, never into the output
 * of `ssh host CMD`. */
static bool on_terminal(pam_handle_t *pamh)
{
  const void *item = NULL;
  const char *tty;

  if (pam_get_item(pamh, PAM_TTY, &item) != PAM_SUCCESS || !item)
    return false;
  tty = item;
  return strncmp(tty, "/dev/", 5) == 0 || strncmp(tty, "tty", 3) == 0 ||
         strncmp(tty, "pts/", 4) == 0 || strcmp(tty, "ssh") == 0;
}

static int deny(pam_handle_t *pamh, int flags, const char *user, const char *why)
{
  return deny_logged(pamh, flags, user, why, -1);
}

UJ_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
  struct uj_module_args args;
  struct uj_join_msg msg;
  struct uj_filter_msg *filter;
  struct uj_limits_msg limits;
  struct uj_err err;
  struct module_session *ms;
  const char *user = NULL;
  struct passwd *pw;
  int fds[UJ_MAX_FDS];
  size_t nfds = 0;

  uj_err_clear(&err);
  if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !*user)
    return deny(pamh, flags, "(unknown)", "no user name");
  pw = getpwnam(user);
  if (!pw)
    return deny(pamh, flags, user, "unknown user");
  /* Root is never jailed and never refused, whatever else is wrong: a typo
   * in the pam.d line must not lock the administrator out. */
  if (pw->pw_uid == 0)
    return PAM_IGNORE;
  struct uj_account acct = { .uid = pw->pw_uid, .gid = pw->pw_gid };
  if (strlen(pw->pw_name) < sizeof acct.name)
    strcpy(acct.name, pw->pw_name);
  if (uj_parse_module_args(argc, argv, &args, &err) < 0) {
    pam_syslog(pamh, LOG_ERR, "%s", err.msg);
    return deny(pamh, flags, user, "module misconfigured");
  }

  memset(&msg, 0, sizeof msg);
  filter = calloc(1, sizeof *filter);
  if (!filter)
    return deny(pamh, flags, user, "out of memory");
  /* A later login of a user whose jail runs may come in through the
   * jail's monitor alone (helper/jail/quick.c); otherwise the helper. */
  int quick = uj_quick_join(&args, acct.uid, &msg, &limits, fds, &nfds, filter);
  if (args.debug && quick)
    pam_syslog(pamh, LOG_DEBUG, "%s: quick answer from the jail's monitor", user);
  /* Else a standby helper, if the admin runs one; else spawn the helper. */
  int standby = !quick && uj_standby_join(&args, user, &msg, &limits, fds, &nfds, filter);
  if (args.debug && standby)
    pam_syslog(pamh, LOG_DEBUG, "%s: answer from the standby helper", user);
  if (!quick && !standby &&
      uj_run_helper(&args, user, &acct, &msg, &limits, fds, &nfds, filter, &err) < 0) {
    free(filter);
    uj_counter_bump(UJ_COUNTER_REFUSED_HELPER); /* for `userjail metrics` */
    return deny(pamh, flags, user, err.msg); /* policy unknown: fail closed */
  }
  if (msg.status != UJ_STATUS_JAILED) {
    free(filter);
    filter = NULL;
  }

  switch (msg.status) {
  case UJ_STATUS_IGNORE:
    if (args.debug)
      pam_syslog(pamh, LOG_DEBUG, "%s is not jailed", user);
    return PAM_IGNORE;
  case UJ_STATUS_DENY:
    return deny(pamh, flags, user, msg.msg);
  case UJ_STATUS_ALLOW:
    pam_syslog(pamh, LOG_WARNING, "session of %s continues UNJAILED (on_error = allow): %s",
               user, msg.msg);
    return PAM_IGNORE;
  case UJ_STATUS_JAILED:
    break;
  default:
    close_many(fds, nfds);
    uj_counter_bump(UJ_COUNTER_REFUSED_HELPER);
    return deny(pamh, flags, user, "helper sent an unknown status");
  }

  ms = calloc(1, sizeof *ms);
  if (!ms) {
    close_many(fds, nfds);
    free(filter);
    return deny(pamh, flags, user, "out of memory");
  }
  ms->debug = args.debug;
  /* Still on the host: after uj_enter there is no /dev/log to connect to. */
  ms->log_fd = uj_modlog_open();
  if (uj_enter(&msg, &limits, fds, nfds, &ms->j, &err) < 0) {
    if (ms->log_fd >= 0)
      close(ms->log_fd);
    free(ms);
    free(filter);
    if (msg.on_error_allow) {
      pam_syslog(pamh, LOG_WARNING, "session of %s continues UNJAILED: %s", user, err.msg);
      return PAM_IGNORE;
    }
    return deny(pamh, flags, user, err.msg);
  }
  /* In the jail now: the seccomp filter for this process and all it forks
   * (sshd's user-side child, the shell). If it cannot be installed the
   * session ends: it is already inside, so on_error cannot let it go on
   * unjailed, and a jailed session without its filter is not served. */
  if (uj_enter_filter(filter, &err) < 0) {
    int rc;
    free(filter);
    leave_and_log(pamh, ms);
    rc = deny_logged(pamh, flags, user, err.msg, ms->log_fd);
    if (ms->log_fd >= 0)
      close(ms->log_fd);
    free(ms);
    return rc;
  }
  free(filter);
  if (pam_set_data(pamh, DATA_KEY, ms, cleanup_joined) != PAM_SUCCESS) {
    /* We are in the jail's namespaces now: refuse, after leaving. */
    int rc;
    leave_and_log(pamh, ms);
    rc = deny_logged(pamh, flags, user, "cannot store session data", ms->log_fd);
    if (ms->log_fd >= 0)
      close(ms->log_fd);
    free(ms);
    return rc;
  }
  if (args.debug)
    uj_modlog(pamh, ms->log_fd, LOG_DEBUG, "%s entered its jail (init pid %d)", user,
              msg.init_pid);
  /* The notice comes through the application's conversation (sshd shows it
   * before the shell's first prompt), not from a file the user could
   * change. The rule's `notice = false` turns it off. */
  if (limits.notice && !(flags & PAM_SILENT) && on_terminal(pamh)) {
    char text[600];
    uj_notice_login(&limits, text, sizeof text);
    pam_info(pamh, "%s", text);
  }
  return PAM_SUCCESS;
}

UJ_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
  const void *data = NULL;

  if (pam_get_data(pamh, DATA_KEY, &data) != PAM_SUCCESS || !data)
    return PAM_IGNORE;
  leave_and_log(pamh, (struct module_session *) data);
  /* Replacing the data with NULL runs cleanup_joined: closes and frees. */
  pam_set_data(pamh, DATA_KEY, NULL, NULL);
  return PAM_SUCCESS;
}
