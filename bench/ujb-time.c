/* ujb-time: the benchmark's stopwatch.
 *
 * Times commands with CLOCK_MONOTONIC around fork+exec+wait, so the numbers
 * carry no shell start-up. Three ways to run the lines of a spec file:
 *
 *   ujb-time -f SPEC -n N -w W -o RAW     interleaved rounds: every round runs
 *                                         each line once (its PREP first,
 *                                         untimed), starting with a different
 *                                         line each round so that no variant
 *                                         always follows the same one
 *   ujb-time -f SPEC --sequence -o RAW    each line once, in order
 *   ujb-time -f SPEC --parallel -o RAW    all lines at once, released together;
 *                                         each latency counts from the release
 *
 *   ujb-time --cg-probe A B N GAP_MS      moves itself N times between the
 *                                         cgroup.procs files A and B, GAP_MS
 *                                         apart; times each write (the cost
 *                                         of one cgroup attach on this kernel)
 *   ujb-time --stats RAW [--base NAME]    summary per name: n, failures, median,
 *                                         min, max, p99, mean, total; with
 *                                         --base, also the median of the
 *                                         per-round differences to NAME (paired)
 *
 * SPEC lines: NAME <TAB> PREP <TAB> COMMAND. PREP ("-" for none) runs under
 * /bin/sh -c and must succeed; COMMAND is split on blanks and exec'd directly.
 * RAW lines: name,round,microseconds,exit_status (warm-up rounds are not
 * written). A command that exits non-zero is recorded with its status and
 * counted as a failure in --stats (its time is left out of the statistics).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 4096
#define MAX_ARGS 64

struct line {
  char *name, *prep;
  char *argv[MAX_ARGS];
};

static double now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static void die(const char *fmt, const char *arg)
{
  fprintf(stderr, "ujb-time: ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  exit(2);
}

static size_t read_spec(const char *path, struct line *lines)
{
  FILE *f = fopen(path, "r");
  char buf[8192];
  size_t n = 0;

  if (!f)
    die("cannot open spec %s", path);
  while (fgets(buf, sizeof buf, f)) {
    char *name, *prep, *cmd, *save = NULL, *tok;
    size_t a = 0;
    buf[strcspn(buf, "\n")] = '\0';
    if (!buf[0] || buf[0] == '#')
      continue;
    name = buf;
    prep = strchr(name, '\t');
    if (!prep)
      die("spec line without tabs: %s", buf);
    *prep++ = '\0';
    cmd = strchr(prep, '\t');
    if (!cmd)
      die("spec line without command: %s", name);
    *cmd++ = '\0';
    if (n == MAX_LINES)
      die("too many lines in %s", path);
    lines[n].name = strdup(name);
    lines[n].prep = strcmp(prep, "-") ? strdup(prep) : NULL;
    cmd = strdup(cmd);
    for (tok = strtok_r(cmd, " ", &save); tok && a < MAX_ARGS - 1; tok = strtok_r(NULL, " ", &save))
      lines[n].argv[a++] = tok;
    lines[n].argv[a] = NULL;
    if (a == 0)
      die("empty command for %s", name);
    n++;
  }
  fclose(f);
  return n;
}

/* gate: read end of the release pipe (-1: none); gate_w: its write end,
 * which the child must not hold or the release never comes. */
static pid_t spawn(char *const *argv, int gate, int gate_w)
{
  pid_t pid = fork();
  if (pid < 0) {
    perror("ujb-time: fork");
    exit(2);
  }
  if (pid == 0) {
    if (gate >= 0) {
      char c;
      close(gate_w);
      /* Wait for the release: the parent closes the write end. */
      while (read(gate, &c, 1) < 0 && errno == EINTR)
        ;
      close(gate);
    }
    { /* stdin and stdout on /dev/null: only errors reach the terminal */
      int dn = open("/dev/null", O_RDWR);
      if (dn >= 0) {
        dup2(dn, 0);
        dup2(dn, 1);
        if (dn > 2)
          close(dn);
      }
    }
    execvp(argv[0], argv);
    fprintf(stderr, "ujb-time: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  return pid;
}

static int wait_status(pid_t pid)
{
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void run_prep(const struct line *l)
{
  if (l->prep) {
    int rc = system(l->prep);
    if (rc != 0) {
      fprintf(stderr, "ujb-time: prep of %s failed (%d): %s\n", l->name, rc, l->prep);
      exit(3);
    }
  }
}

/* gap_ms > 0: sleep that long before each timed run (after its prep), so
 * every run meets the machine as a real login does, after a quiet moment:
 * back to back, the kernel's cgroup-attach path stays warm and hides the
 * RCU grace period each attach waits for on a default kernel. */
static int cmd_rounds(struct line *lines, size_t n, int rounds, int warm, int gap_ms, FILE *out,
                      int quiet)
{
  for (int r = 0; r < warm + rounds; r++) {
    for (size_t k = 0; k < n; k++) {
      struct line *l = &lines[(k + (size_t) r) % n];
      double t0, t1;
      int rc;
      run_prep(l);
      if (gap_ms > 0)
        usleep((useconds_t) gap_ms * 1000);
      t0 = now_us();
      rc = wait_status(spawn(l->argv, -1, -1));
      t1 = now_us();
      if (r >= warm)
        fprintf(out, "%s,%d,%.1f,%d\n", l->name, r - warm, t1 - t0, rc);
      else if (rc != 0 && !quiet)
        fprintf(stderr, "ujb-time: warm-up run of %s exited %d\n", l->name, rc);
    }
    fflush(out);
  }
  return 0;
}

static int cmd_sequence(struct line *lines, size_t n, FILE *out)
{
  for (size_t i = 0; i < n; i++) {
    double t0, t1;
    int rc;
    run_prep(&lines[i]);
    t0 = now_us();
    rc = wait_status(spawn(lines[i].argv, -1, -1));
    t1 = now_us();
    fprintf(out, "%s,%zu,%.1f,%d\n", lines[i].name, i, t1 - t0, rc);
  }
  return 0;
}

static int cmd_parallel(struct line *lines, size_t n, FILE *out)
{
  static pid_t pids[MAX_LINES];
  static double done[MAX_LINES];
  static int rcs[MAX_LINES];
  int gate[2];
  double t0;
  size_t left = n;

  for (size_t i = 0; i < n; i++)
    run_prep(&lines[i]);
  if (pipe(gate) < 0) {
    perror("ujb-time: pipe");
    return 2;
  }
  for (size_t i = 0; i < n; i++)
    pids[i] = spawn(lines[i].argv, gate[0], gate[1]);
  close(gate[0]);
  usleep(100000); /* let every child reach its read() */
  t0 = now_us();
  close(gate[1]);
  while (left > 0) {
    int st = 0;
    pid_t p = wait(&st);
    double t = now_us();
    if (p < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (size_t i = 0; i < n; i++) {
      if (pids[i] == p) {
        done[i] = t - t0;
        rcs[i] = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        left--;
        break;
      }
    }
  }
  for (size_t i = 0; i < n; i++)
    fprintf(out, "%s,%zu,%.1f,%d\n", lines[i].name, i, done[i], rcs[i]);
  return 0;
}

/* ---- statistics over a RAW file ---- */

struct sample {
  char name[128];
  int round;
  double us;
  int rc;
};

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double pct(const double *v, size_t n, double p)
{
  size_t k;
  if (n == 0)
    return 0;
  if (p <= 0)
    return v[0];
  k = (size_t) ((p / 100.0) * (double) n + 0.999999);
  if (k < 1)
    k = 1;
  if (k > n)
    k = n;
  return v[k - 1];
}

static double median(double *v, size_t n)
{
  if (n == 0)
    return 0;
  qsort(v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int cmd_stats(const char *path, const char *base)
{
  FILE *f = fopen(path, "r");
  static struct sample s[200000];
  static double v[200000], d[200000];
  char names[256][128];
  size_t n = 0, nn = 0;
  char buf[512];

  if (!f)
    die("cannot open %s", path);
  while (n < sizeof s / sizeof s[0] && fgets(buf, sizeof buf, f)) {
    if (sscanf(buf, "%127[^,],%d,%lf,%d", s[n].name, &s[n].round, &s[n].us, &s[n].rc) == 4)
      n++;
  }
  fclose(f);
  for (size_t i = 0; i < n; i++) {
    size_t k;
    for (k = 0; k < nn && strcmp(names[k], s[i].name); k++)
      ;
    if (k == nn && nn < 256)
      memcpy(names[nn++], s[i].name, sizeof names[0]);
  }
  printf("name,n,fail,median_us,min_us,max_us,p99_us,mean_us,total_us,paired_diff_median_us,"
         "paired_diff_min_us,paired_diff_max_us\n");
  for (size_t k = 0; k < nn; k++) {
    size_t m = 0, fail = 0, nd = 0;
    double sum = 0, med, mn, mx, p99;
    for (size_t i = 0; i < n; i++) {
      if (strcmp(s[i].name, names[k]))
        continue;
      if (s[i].rc != 0) {
        fail++;
        continue;
      }
      v[m++] = s[i].us;
      sum += s[i].us;
    }
    med = median(v, m);
    mn = m ? v[0] : 0;
    mx = m ? v[m - 1] : 0;
    p99 = pct(v, m, 99);
    printf("%s,%zu,%zu,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f", names[k], m + fail, fail, med, mn, mx, p99,
           m ? sum / (double) m : 0, sum);
    if (base && strcmp(base, names[k])) {
      /* Pair each sample with the base's sample of the same round. */
      for (size_t i = 0; i < n; i++) {
        if (strcmp(s[i].name, names[k]) || s[i].rc != 0)
          continue;
        for (size_t j = 0; j < n; j++) {
          if (s[j].round == s[i].round && !strcmp(s[j].name, base) && s[j].rc == 0) {
            d[nd++] = s[i].us - s[j].us;
            break;
          }
        }
      }
    }
    if (nd > 0) {
      double dm = median(d, nd);
      printf(",%.1f,%.1f,%.1f\n", dm, d[0], d[nd - 1]);
    } else {
      printf(",,,\n");
    }
  }
  return 0;
}

/* One cgroup attach = one write of our pid to a cgroup.procs file. Without
 * favordynmods the kernel waits for an RCU grace period in it whenever no
 * other attach happened just before: GAP_MS apart, every write pays. */
static int cmd_cg_probe(const char *a, const char *b, int n, int gap_ms, FILE *out)
{
  char pid[32];
  int len = snprintf(pid, sizeof pid, "%d", (int) getpid());
  for (int i = 0; i < n; i++) {
    const char *f = (i % 2) ? b : a;
    int fd = open(f, O_WRONLY | O_CLOEXEC);
    double t0, t1;
    ssize_t w;
    if (fd < 0)
      die("cannot open %s", f);
    usleep((useconds_t) gap_ms * 1000);
    t0 = now_us();
    w = write(fd, pid, (size_t) len);
    t1 = now_us();
    close(fd);
    fprintf(out, "cgroup-attach,%d,%.1f,%d\n", i, t1 - t0, w == len ? 0 : 1);
  }
  return 0;
}

static void usage(void)
{
  fprintf(stderr, "usage: ujb-time -f SPEC [-n N] [-w W] [-g GAP_MS] [--sequence|--parallel] [-o RAW]\n"
                  "       ujb-time --stats RAW [--base NAME]\n");
  exit(2);
}

int main(int argc, char **argv)
{
  static struct line lines[MAX_LINES];
  const char *spec = NULL, *outp = NULL, *stats = NULL, *base = NULL;
  int rounds = 20, warm = 3, mode = 0, quiet = 0, gap_ms = 0;
  FILE *out = stdout;
  size_t n;

  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-f") && i + 1 < argc)
      spec = argv[++i];
    else if (!strcmp(argv[i], "-n") && i + 1 < argc)
      rounds = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-w") && i + 1 < argc)
      warm = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-o") && i + 1 < argc)
      outp = argv[++i];
    else if (!strcmp(argv[i], "-g") && i + 1 < argc)
      gap_ms = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-q"))
      quiet = 1;
    else if (!strcmp(argv[i], "--sequence"))
      mode = 1;
    else if (!strcmp(argv[i], "--parallel"))
      mode = 2;
    else if (!strcmp(argv[i], "--cg-probe") && i + 4 < argc) {
      FILE *o = outp ? fopen(outp, "a") : stdout;
      if (!o)
        die("cannot write %s", outp);
      return cmd_cg_probe(argv[i + 1], argv[i + 2], atoi(argv[i + 3]), atoi(argv[i + 4]), o);
    } else if (!strcmp(argv[i], "--stats") && i + 1 < argc)
      stats = argv[++i];
    else if (!strcmp(argv[i], "--base") && i + 1 < argc)
      base = argv[++i];
    else
      usage();
  }
  if (stats)
    return cmd_stats(stats, base);
  if (!spec)
    usage();
  /* A SIGCHLD disposition of SIG_IGN inherited from a caller would make
   * wait() lose our children's statuses. */
  signal(SIGCHLD, SIG_DFL);
  n = read_spec(spec, lines);
  if (outp) {
    out = fopen(outp, "a");
    if (!out)
      die("cannot write %s", outp);
  }
  if (mode == 1)
    cmd_sequence(lines, n, out);
  else if (mode == 2)
    cmd_parallel(lines, n, out);
  else
    cmd_rounds(lines, n, rounds, warm, gap_ms, out, quiet);
  if (out != stdout)
    fclose(out);
  return 0;
}
