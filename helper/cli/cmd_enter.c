/* `userjail enter [--user] USER [-- CMD [ARG...]]`: a shell (or CMD) inside
 * USER's live jail, to debug it: as root without any capability (CapEff
 * and CapBnd 0, no_new_privs), or with --user as the user. It takes a
 * session like a login (the jail does not end under it), joins the jail's
 * cgroup and namespaces with the same uj_enter() as the PAM module, and
 * runs the command on a pty of its own (pty.c). It never creates a jail:
 * the point is to look at the one that is running. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cli/cli.h"
#include "cli/pty.h"
#include "cli/view.h"
#include "common/enter.h"
#include "jail/client.h"
#include "jail/seccomp.h"

/* Root without privileges: no capability in any set, none to be gained by
 * exec (bounding set already empty, inheritable and ambient cleared,
 * no_new_privs). uid 0 stays, so files owned by root are still root's. */
static int drop_all_caps(struct uj_err *err)
{
  cap_t none = cap_init();

  if (!none)
    return uj_err_set(err, errno, "cap_init");
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || cap_set_proc(none) < 0) {
    cap_free(none);
    return uj_err_set(err, errno, "drop capabilities");
  }
  cap_free(none);
  return 0;
}

/* The default filter (seccomp on, nothing allowed back, no user
 * namespaces) for this process and what it forks. */
static int enter_filter(struct uj_err *err)
{
  const struct uj_settings strict = { .seccomp = true, .seccomp_allow = 0, .userns = false };
  struct uj_filter_msg *f = calloc(1, sizeof *f);
  int r;

  if (!f)
    return uj_err_set(err, ENOMEM, "seccomp filter");
  f->magic = UJ_FILTER_MAGIC;
  r = uj_seccomp_build(UJ_RUN_DIR, &strict, f->insns, UJ_MAX_FILTER, &f->n, err);
  if (r == 0)
    r = uj_enter_filter(f, err);
  free(f);
  return r;
}

static void child_main(struct uj_pty *pty, const struct passwd *pw, bool as_user, char **cmd)
    __attribute__((noreturn));
static void child_main(struct uj_pty *pty, const struct passwd *pw, bool as_user, char **cmd)
{
  const char *term = getenv("TERM");
  const char *shell = as_user ? pw->pw_shell : "/bin/sh";
  char *env[8], home[4200], user[300], logname[300], shellv[4200], termv[300];
  char *argv_shell[] = { (char *) shell, "-l", NULL };
  struct uj_err err;
  int n = 0;

  if (as_user) {
    /* the user's terminal is the user's, as login makes it */
    struct group *tty = getgrnam("tty");
    if (fchown(pty->slave, pw->pw_uid, tty ? tty->gr_gid : pw->pw_gid) < 0 ||
        fchmod(pty->slave, 0620) < 0) {
      /* cosmetic: `mesg` and `tty` work either way */
    }
  }
  if (uj_pty_child_setup(pty, &err) < 0) {
    fprintf(stderr, "userjail enter: %s\n", err.msg);
    _exit(126);
  }
  if (as_user) {
    if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
        setuid(pw->pw_uid) < 0) {
      perror("userjail enter: drop privileges");
      _exit(126);
    }
    snprintf(home, sizeof home, "HOME=%s", pw->pw_dir);
    snprintf(user, sizeof user, "USER=%s", pw->pw_name);
    snprintf(logname, sizeof logname, "LOGNAME=%s", pw->pw_name);
    env[n++] = "PATH=/usr/local/bin:/usr/bin:/bin";
    if (chdir(pw->pw_dir) < 0 && chdir("/") < 0)
      _exit(126);
  } else {
    if (setgroups(0, NULL) < 0 || drop_all_caps(&err) < 0) {
      fprintf(stderr, "userjail enter: %s\n", err.msg);
      _exit(126);
    }
    snprintf(home, sizeof home, "HOME=/");
    snprintf(user, sizeof user, "USER=root");
    snprintf(logname, sizeof logname, "LOGNAME=root");
    env[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    if (chdir(pw->pw_dir) < 0 && chdir("/") < 0)
      _exit(126);
  }
  snprintf(shellv, sizeof shellv, "SHELL=%s", shell);
  env[n++] = home;
  env[n++] = user;
  env[n++] = logname;
  env[n++] = shellv;
  if (term) {
    snprintf(termv, sizeof termv, "TERM=%s", term);
    env[n++] = termv;
  }
  env[n] = NULL;
  environ = env;
  if (!cmd || !cmd[0])
    cmd = argv_shell;
  execvp(cmd[0], cmd);
  fprintf(stderr, "userjail enter: %s: %s\n", cmd[0], strerror(errno));
  _exit(127);
}

int uj_cmd_enter(int argc, char **argv)
{
  bool as_user = false;
  const struct uj_opt opts[] = { { "--user", false, NULL, &as_user }, { NULL } };
  struct uj_args a;
  int r = uj_cli_args(argc, argv, opts, 1, 1, true, &a);
  struct uj_join_msg msg;
  struct uj_limits_msg limits;
  int rq;
  struct uj_joined j;
  struct uj_err err;
  struct uj_pty pty;
  struct passwd *pw;
  int fds[UJ_MAX_FDS], c, status;
  size_t nfds = 0, nre = 0;
  pid_t pid;

  if (r < 0)
    return r;
  pw = getpwnam(a.ops[0]);
  if (!pw) {
    uj_view_unknown_user("enter", a.ops[0], NULL);
    return 1;
  }
  c = uj_monitor_connect(pw->pw_uid, &err);
  if (c < 0) {
    if (err.code == ENOENT || err.code == ECONNREFUSED)
      fprintf(stderr, "userjail enter: %s has no live jail\n", a.ops[0]);
    else
      fprintf(stderr, "userjail enter: %s: %s\n", a.ops[0], err.msg);
    return 1;
  }
  rq = uj_monitor_request_session(c, UJ_CMD_SESSION_ADMIN, getpid(), &msg, &limits, fds, &nfds,
                                  &err);
  if (rq < 0 && err.code == ECONNRESET) {
    /* a monitor of an older release: it knows only 'S' */
    close(c);
    c = uj_monitor_connect(pw->pw_uid, &err);
    rq = c < 0 ? -1
               : uj_monitor_request_session(c, UJ_CMD_SESSION, getpid(), &msg, &limits, fds,
                                            &nfds, &err);
  }
  if (rq < 0) {
    if (c >= 0)
      close(c);
    fprintf(stderr, "userjail enter: %s: %s\n", a.ops[0], err.msg);
    return 1;
  }
  /* where we are now, to move back if entering fails half-way */
  if (uj_cgroup_open_current(UJ_CGROUP_ROOT, getpid(), fds + nfds, UJ_MAX_FDS - nfds, &nre,
                             &err) < 0)
    nre = 0;
  msg.n_restore = (uint32_t) nre;
  nfds += nre;
  if (uj_enter(&msg, &limits, fds, nfds, &j, &err) < 0) {
    fprintf(stderr, "userjail enter: %s: %s\n", a.ops[0], err.msg);
    return 1;
  }
  /* Every process in a jail runs under a seccomp filter; here the strict
   * default one (no config is read: enter looks at the jail as it is), so
   * neither root-without-capabilities nor the user gets more than a login. */
  if (enter_filter(&err) < 0) {
    fprintf(stderr, "userjail enter: %s\n", err.msg);
    uj_leave(&j);
    return 1;
  }
  if (uj_pty_open(&pty, &err) < 0) {
    fprintf(stderr, "userjail enter: %s\n", err.msg);
    uj_leave(&j);
    return 1;
  }
  pid = fork(); /* the child is in the jail's pid namespace */
  if (pid < 0) {
    perror("userjail enter: fork");
    uj_leave(&j);
    return 1;
  }
  if (pid == 0)
    child_main(&pty, pw, as_user, a.rest);
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  status = uj_pty_relay(&pty, pid);
  uj_leave(&j);
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
