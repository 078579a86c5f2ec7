/* ujb-pam: time pam_open_session and pam_close_session inside one process,
 * without pamtester's exec and argument handling around them.
 *
 *   ujb-pam -n N -w W -o RAW -v NAME SERVICE USER PREP [-v ...]
 *
 * Each sample runs in a fresh forked child: after pam_open_session with
 * pam_userjail.so the process lives in the jail's namespaces and cannot go
 * back, so a long-lived process would time its next open from inside the
 * jail. Rounds are interleaved like ujb-time's. PREP ("-" for none) runs
 * under /bin/sh -c before each timed sample. RAW gets three rows per sample,
 * NAME-open, NAME-close and NAME-total, in ujb-time's raw format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define MAX_V 16

struct variant {
  const char *name, *service, *user, *prep;
};

static double now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

/* No module in a session stack should ask anything; answer nothing. */
static int no_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
  (void) n;
  (void) msg;
  (void) data;
  *resp = NULL;
  return PAM_CONV_ERR;
}

/* In the child: one open+close, times written to fd as two doubles. */
static void sample(const struct variant *v, int fd) __attribute__((noreturn));
static void sample(const struct variant *v, int fd)
{
  struct pam_conv conv = { no_conv, NULL };
  pam_handle_t *h = NULL;
  double t[3];
  int rc;

  if (pam_start(v->service, v->user, &conv, &h) != PAM_SUCCESS)
    _exit(10);
  t[0] = now_us();
  rc = pam_open_session(h, PAM_SILENT);
  t[1] = now_us();
  if (rc != PAM_SUCCESS) {
    fprintf(stderr, "ujb-pam: %s: open_session: %s\n", v->name, pam_strerror(h, rc));
    _exit(11);
  }
  rc = pam_close_session(h, PAM_SILENT);
  t[2] = now_us();
  if (rc != PAM_SUCCESS)
    _exit(12);
  pam_end(h, PAM_SUCCESS);
  {
    double d[2] = { t[1] - t[0], t[2] - t[1] };
    if (write(fd, d, sizeof d) != (ssize_t) sizeof d)
      _exit(13);
  }
  _exit(0);
}

int main(int argc, char **argv)
{
  struct variant vs[MAX_V];
  size_t nv = 0;
  int rounds = 20, warm = 3;
  FILE *out = stdout;

  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-n") && i + 1 < argc) {
      rounds = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "-w") && i + 1 < argc) {
      warm = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
      out = fopen(argv[++i], "a");
      if (!out) {
        perror("ujb-pam: output");
        return 2;
      }
    } else if (!strcmp(argv[i], "-v") && i + 4 < argc && nv < MAX_V) {
      vs[nv].name = argv[i + 1];
      vs[nv].service = argv[i + 2];
      vs[nv].user = argv[i + 3];
      vs[nv].prep = strcmp(argv[i + 4], "-") ? argv[i + 4] : NULL;
      nv++;
      i += 4;
    } else {
      fprintf(stderr, "usage: ujb-pam [-n N] [-w W] [-o RAW] -v NAME SERVICE USER PREP ...\n");
      return 2;
    }
  }
  for (int r = 0; r < warm + rounds; r++) {
    for (size_t k = 0; k < nv; k++) {
      const struct variant *v = &vs[(k + (size_t) r) % nv];
      double d[2] = { 0, 0 };
      int p[2], st = 0, rc;
      pid_t pid;

      if (v->prep && system(v->prep) != 0) {
        fprintf(stderr, "ujb-pam: prep of %s failed: %s\n", v->name, v->prep);
        return 3;
      }
      if (pipe(p) < 0)
        return 2;
      pid = fork();
      if (pid < 0)
        return 2;
      if (pid == 0) {
        close(p[0]);
        sample(v, p[1]);
      }
      close(p[1]);
      rc = read(p[0], d, sizeof d) == (ssize_t) sizeof d ? 0 : 1;
      close(p[0]);
      while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
      if (rc == 0)
        rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      if (r < warm)
        continue;
      fprintf(out, "%s-open,%d,%.1f,%d\n", v->name, r - warm, d[0], rc);
      fprintf(out, "%s-close,%d,%.1f,%d\n", v->name, r - warm, d[1], rc);
      fprintf(out, "%s-total,%d,%.1f,%d\n", v->name, r - warm, d[0] + d[1], rc);
    }
    fflush(out);
  }
  if (out != stdout)
    fclose(out);
  return 0;
}
