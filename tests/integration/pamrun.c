/* pamrun SERVICE USER CMD [ARG...]: open a PAM session for USER under
 * SERVICE (as sshd or login would), run CMD as USER in a child (which
 * inherits whatever the session modules did to this process, e.g. the
 * jail's namespaces), wait for it, close the session. Exit status: CMD's, or
 * 100 + PAM error when the session could not be opened. With PAMRUN_CGROUP
 * set in the environment, also prints this process's /proc/self/cgroup
 * before open_session and after close_session ("before:"/"after:" lines),
 * to see where a session process is. With PAMRUN_LINGER_MS=N it stays
 * N ms after close_session (as sshd's logout work does, longer), then
 * prints its cgroups again ("later:" lines). Test tool only. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <security/pam_misc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct pam_conv conv = {misc_conv, NULL};

/* The host's /proc, opened before the session: after the module's setns
 * the path /proc is the jail's, where this process has no pid. */
static int host_proc = -1;

static void show_cgroup(const char *when) {
  char buf[4096];
  FILE *f;
  int fd;
  if (!getenv("PAMRUN_CGROUP")) return;
  if (host_proc < 0) host_proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  fd = openat(host_proc, "self/cgroup", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || !(f = fdopen(fd, "r"))) {
    printf("%s: cannot read: %m\n", when);
    return;
  }
  while (fgets(buf, sizeof buf, f)) printf("%s: %s", when, buf);
  fclose(f);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: pamrun SERVICE USER CMD [ARG...]\n");
    return 2;
  }
  struct passwd *pw = getpwnam(argv[2]);
  if (!pw) {
    fprintf(stderr, "pamrun: no user %s\n", argv[2]);
    return 2;
  }
  pam_handle_t *ph = NULL;
  show_cgroup("before");
  int rc = pam_start(argv[1], argv[2], &conv, &ph);
  if (rc == PAM_SUCCESS) rc = pam_open_session(ph, 0);
  if (rc != PAM_SUCCESS) {
    fprintf(stderr, "pamrun: open_session: %s\n", pam_strerror(ph, rc));
    pam_end(ph, rc);
    return 100 + rc;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    if (initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
      perror("pamrun: drop privileges");
      _exit(127);
    }
    if (chdir(pw->pw_dir)) chdir("/");
    execvp(argv[3], argv + 3);
    perror("pamrun: exec");
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  rc = pam_close_session(ph, 0);
  if (rc != PAM_SUCCESS) fprintf(stderr, "pamrun: close_session: %s\n", pam_strerror(ph, rc));
  show_cgroup("after");
  pam_end(ph, rc);
  if (getenv("PAMRUN_LINGER_MS")) {
    long ms = atol(getenv("PAMRUN_LINGER_MS"));
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
      ;
    show_cgroup("later");
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
