/* `userjail session-open` (for the PAM module) and `userjail run`: both go
 * through uj_request_jail and, for run, the same uj_enter() the module
 * uses. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/enter.h"
#include "cgroup/cgroup.h"
#include "cli/cli.h"
#include "cli/pty.h"
#include "cli/relay.h"
#include "jail/request.h"
#include "jail/stats.h"
#include "util/text.h"

/* Answer one login on the module's socket (fd 3) and leave: shared by
 * `session-open` (spawned by the module) and a standby's worker
 * (cmd_standby.c), which has the request from the socket instead of argv.
 * `session_pid` is the process that will enter (the module's). */
void uj_session_serve(const char *config, const struct uj_request_how *how, const char *user,
                      pid_t session_pid, uint64_t t0)
{
  struct uj_join_msg msg;
  struct uj_filter_msg *filter = NULL;
  struct uj_limits_msg limits;
  struct uj_request_after after;
  struct uj_err err;
  int fds[UJ_MAX_FDS];
  size_t nfds = 0;
  bool created = false;
  int rc;

  /* The jail's root (its mount points, its files) is made with a umask of
   * our own: not the caller's (su -l runs the module with the umask of the
   * user who typed it), not a standby's 077. */
  umask(022);
  /* First: the kernel's wait for the session's cgroup move runs while we
   * work (cgroup/warm.c). */
  pid_t warm = uj_cgroup_warm(UJ_CGROUP_ROOT);
  uj_request_jail(config, how, user, session_pid, true, &msg, &limits, fds, &nfds, &filter, &created,
                  &after);
  rc = uj_send_join(UJ_MODULE_FD, &msg, &limits, fds, nfds, &err) < 0 ? 1 : 0;
  /* A JAILED answer is followed by the session's seccomp filter. */
  if (rc == 0 && filter && uj_send_fds(UJ_MODULE_FD, filter, sizeof *filter, NULL, 0, &err) < 0)
    rc = 1;
  free(filter);
  /* Ours are copies (the module has its own now). A process that goes on
   * as the jail's monitor must not keep them: the first is the other end
   * of the session's connection, whose hangup ends the session. */
  close_many(fds, nfds);
  /* The module has its answer and enters: the rest waits for no one. */
  close(UJ_MODULE_FD);
  if (how && how->done_fd >= 0)
    close(how->done_fd);
  uj_request_after_run(&after);
  /* Counted once the module has its whole answer, so the count costs the
   * login nothing but the module's wait for our exit. */
  if (rc == 0 && msg.status == UJ_STATUS_JAILED)
    uj_stats_login_time(created ? UJ_STAT_LOGIN_CREATE : UJ_STAT_LOGIN_JOIN, uj_now_us() - t0);
  /* A standby's worker that made the jail is its monitor from now on
   * (how->become_monitor): whatever the answer was, the jail is ours. */
  if (after.monitor) {
    if (warm > 0)
      waitpid(warm, NULL, 0);
    uj_monitor_continue(after.monitor);
  }
  /* The user lookup ran in a thread (identity/user.h), which NSS may still
   * hold past its deadline: leave without exit handlers that could wait
   * beside it. Nothing is buffered (stdout is /dev/null, syslog is sent). */
  _exit(rc);
}

int uj_cmd_session_open(int argc, char **argv)
{
  const char *config = NULL, *user = NULL;
  bool detached = false, module_groups = false;
  struct stat st;
  struct ucred cred;
  socklen_t len = sizeof cred;
  uint64_t t0 = uj_now_us();

  const struct uj_opt opts[] = { { "--config", true, &config, NULL },
                                 { "--detached", false, NULL, &detached },
                                 { "--module-groups", false, NULL, &module_groups },
                                 { NULL } };
  struct uj_args a;

  if (uj_cli_args(argc, argv, opts, 0, 0, true, &a) < 0 || a.n_rest != 1)
    return UJ_EXIT_USAGE;
  user = a.rest[0];
  /* The session process is the module's, which made the socketpair (its
   * credentials are the pair's): not our parent when --detached. */
  if (fstat(UJ_MODULE_FD, &st) < 0 || !S_ISSOCK(st.st_mode) ||
      getsockopt(UJ_MODULE_FD, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0) {
    fprintf(stderr, "userjail session-open: for pam_userjail.so only\n");
    return 2;
  }
  if (chdir("/") < 0)
    return 1;
  /* Copies: a monitor this process becomes writes its title over argv,
   * where both strings are (the quick-login grant names the config). */
  if ((config && !(config = strdup(config))) || !(user = strdup(user)))
    return 1;
  /* --detached: the module spawned us through a process that has exited
   * (pam_module/client.c), so we are nobody's child for long and a jail
   * we make has this process as its monitor: no fork, no relay of the
   * monitor's answer (jail/monitor.c, become_monitor). Without it (an
   * older module) our parent, the session process, would wait for us:
   * a monitor is forked. */
  /* --module-groups: the module sends the user's group list on fd 3
   * first, from its NSS (warm: it has just looked the user up), so this
   * freshly exec'd process does not pay for the dearest lookup cold
   * (identity/user.c, module_groups). */
  const struct uj_request_how how = { .become_monitor = detached, .answer_fd = UJ_MODULE_FD,
                                      .done_fd = -1, .module_groups = module_groups };
  uj_session_serve(config, &how, user, cred.pid, t0);
}

/* The files pam_env reads in a Debian login's session stack (sshd, login,
 * su -l): /etc/environment, then /etc/default/locale (LANG, LC_*). Read
 * inside the jail, as the user, so `userjail run` sees what a login sees.
 * /etc/security/pam_env.conf (its own ${}/@{} syntax, empty by default) is
 * not read. */
static const char *const env_files[] = { "/etc/environment", "/etc/default/locale", NULL };

static void load_env_files(void)
{
  for (size_t i = 0; env_files[i]; i++) {
    FILE *f = fopen(env_files[i], "re");
    char line[4096], key[256], val[4096];
    int n = 0;
    if (!f)
      continue;
    while (fgets(line, sizeof line, f) && n++ < 256)
      if (uj_parse_env_line(line, key, sizeof key, val, sizeof val) == 1)
        setenv(key, val, 1);
    fclose(f);
  }
}

/* The environment of a login: what sshd sets (HOME USER LOGNAME SHELL PATH
 * MAIL, TERM from the caller), then what pam_env adds. */
static void child_exec(const struct passwd *pw, char **cmd) __attribute__((noreturn));
static void child_exec(const struct passwd *pw, char **cmd)
{
  const char *term = getenv("TERM");
  char termv[256] = "", mail[300];

  if (term)
    snprintf(termv, sizeof termv, "%s", term);
  if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
      setuid(pw->pw_uid) < 0) {
    perror("userjail run: drop privileges");
    _exit(126);
  }
  if (chdir(pw->pw_dir) < 0 && chdir("/") < 0)
    _exit(126);
  clearenv();
  snprintf(mail, sizeof mail, "/var/mail/%s", pw->pw_name);
  if (setenv("HOME", pw->pw_dir, 1) < 0 || setenv("USER", pw->pw_name, 1) < 0 ||
      setenv("LOGNAME", pw->pw_name, 1) < 0 || setenv("SHELL", pw->pw_shell, 1) < 0 ||
      setenv("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/games", 1) < 0 ||
      setenv("MAIL", mail, 1) < 0 || (termv[0] && setenv("TERM", termv, 1) < 0)) {
    perror("userjail run: environment");
    _exit(126);
  }
  load_env_files();
  execvp(cmd[0], cmd);
  fprintf(stderr, "userjail run: %s: %s\n", cmd[0], strerror(errno));
  _exit(127);
}

/* A terminal on stdin: the command on a new pty (cli/pty.c), its own
 * session with the pty as controlling terminal, owned by the user as a
 * login's is; our terminal raw meanwhile. Returns the wait status, or -1. */
static int run_on_pty(const struct passwd *pw, char **cmd, struct uj_err *err)
{
  struct uj_pty pty;
  pid_t pid;

  if (uj_pty_open(&pty, err) < 0)
    return -1;
  pid = fork(); /* the child is in the jail's pid namespace */
  if (pid < 0) {
    close(pty.master);
    close(pty.slave);
    return uj_err_set(err, errno, "fork");
  }
  if (pid == 0) {
    struct group *tty = getgrnam("tty");
    struct uj_err e;
    if (fchown(pty.slave, pw->pw_uid, tty ? tty->gr_gid : pw->pw_gid) < 0 ||
        fchmod(pty.slave, 0620) < 0) {
      /* cosmetic: the command has the fds either way */
    }
    if (uj_pty_child_setup(&pty, &e) < 0) {
      fprintf(stderr, "userjail run: %s\n", e.msg);
      _exit(126);
    }
    child_exec(pw, cmd);
  }
  /* The terminal is raw: ^C and ^\ reach the command through its pty. */
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  return uj_pty_relay(&pty, pid);
}

/* No terminal: three pipes (cli/relay.c). Returns the wait status, or -1. */
static int run_on_pipes(const struct passwd *pw, char **cmd, struct uj_err *err)
{
  struct uj_pipes pipes;
  pid_t pid;

  if (uj_pipes_prepare(&pipes, err) < 0)
    return -1;
  pid = fork();
  if (pid < 0) {
    uj_pipes_close(&pipes);
    return uj_err_set(err, errno, "fork");
  }
  if (pid == 0) {
    struct uj_err e;
    if (uj_pipes_child(&pipes, &e) < 0) {
      fprintf(stderr, "userjail run: %s\n", e.msg);
      _exit(126);
    }
    /* Like sshd's session child: only stdio reaches the command. */
    syscall(SYS_close_range, 3, ~0U, 0);
    child_exec(pw, cmd);
  }
  return uj_pipes_run(&pipes, pid);
}

int uj_cmd_run(int argc, char **argv)
{
  const char *config = NULL, *user = NULL;
  char **cmd = NULL;
  struct uj_join_msg msg;
  struct uj_limits_msg limits;
  struct uj_joined j;
  struct uj_err err;
  struct passwd *pw;
  int fds[UJ_MAX_FDS];
  size_t nfds = 0;
  struct uj_filter_msg *filter = NULL;
  struct uj_request_after after;
  int status = 0, rc;

  const struct uj_opt opts[] = { { "--config", true, &config, NULL }, { NULL } };
  struct uj_args a;
  int r = uj_cli_args(argc, argv, opts, 1, 1, true, &a);

  if (r < 0)
    return r;
  if (!a.rest || a.n_rest == 0) {
    fprintf(stderr, "userjail run: missing '-- CMD'\n");
    return UJ_EXIT_USAGE;
  }
  user = a.ops[0];
  cmd = a.rest;
  /* The jail first: its lookup is the bounded one (a slow directory is
   * refused there), and afterwards the user is in the NSS caches. */
  uj_request_jail(config, NULL, user, getpid(), false, &msg, &limits, fds, &nfds, &filter, NULL,
                  &after);
  uj_request_after_run(&after);
  switch (msg.status) {
  case UJ_STATUS_JAILED:
    break;
  case UJ_STATUS_IGNORE:
    fprintf(stderr, "userjail run: %s is not jailed by %s\n", user,
            config ? config : "/etc/security/userjail.conf");
    return 1;
  default:
    fprintf(stderr, "userjail run: %s: %s\n", user, msg.msg);
    return 1;
  }
  pw = getpwnam(user);
  if (!pw) {
    fprintf(stderr, "userjail run: unknown user '%s'\n", user);
    return 1;
  }
  if (uj_enter(&msg, &limits, fds, nfds, &j, &err) < 0) {
    fprintf(stderr, "userjail run: %s: %s\n", user, err.msg);
    free(filter);
    return 1;
  }
  /* This process is the session process, as sshd's [priv] is for a login:
   * the filter applies to it and to the command it forks. */
  rc = uj_enter_filter(filter, &err);
  free(filter);
  if (rc < 0) {
    fprintf(stderr, "userjail run: %s: %s\n", user, err.msg);
    uj_leave(&j);
    return 1;
  }
  /* The command's stdio is a pty of its own or pipes, relayed by this
   * process: never a descriptor of the caller's. A pty only for an
   * interactive use (stdin and stdout terminals): output being captured
   * ($(userjail run ...), a pipe, a file) gets the command's bytes
   * unchanged, without a terminal's \r\n. */
  if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
    status = run_on_pty(pw, cmd, &err);
  else
    status = run_on_pipes(pw, cmd, &err);
  if (status < 0) {
    fprintf(stderr, "userjail run: %s\n", err.msg);
    uj_leave(&j);
    return 1;
  }
  uj_leave(&j);
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
