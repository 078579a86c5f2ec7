/* Small load generators and meters for the VM quota tests (tests/vm/),
 * linked statically so they run inside the jail and on the VM's host side
 * alike.
 *
 *   vmtool hog MB            allocate and touch MB MiB, 1 MiB at a time
 *   vmtool spin SECONDS      burn CPU for SECONDS of wall-clock time
 *   vmtool bomb SECONDS      fork bomb: every process forks until SECONDS
 *                            have passed, then all exit; prints how many
 *                            forks the top process saw fail with EAGAIN
 *   vmtool cpufrac DIR SECS  CPU used by cgroup DIR (cpu.stat usage_usec)
 *                            per second of wall clock over SECS seconds
 *   vmtool peakcg DIR SECS   polling cgroup DIR every 10 ms for SECS seconds,
 *                            two figures: the highest pids.current, and the
 *                            most tasks (threads) listed in the
 *                            cgroup.threads files of DIR's tree
 *   vmtool forkloop N        fork + _exit + wait, N times: median, mean us
 *   vmtool cgprobe A B N MS  move itself between the cgroup.procs files A
 *                            and B N times, MS ms apart: median, mean us
 *                            per move (bench/vm-cgmodes.sh) */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int hog(long mb)
{
  long got = 0;
  for (long i = 0; i < mb; i++) {
    char *p = malloc(1 << 20);
    if (!p)
      break;
    memset(p, 0x5a, 1 << 20);
    got++;
  }
  printf("hog: allocated %ld MiB\n", got);
  return got == mb ? 0 : 1;
}

static int spin(double secs)
{
  volatile uint64_t x = 0;
  double end = now() + secs;
  while (now() < end)
    for (int i = 0; i < 100000; i++)
      x++;
  return 0;
}

static int bomb(double secs)
{
  double end = now() + secs;
  long eagain = 0, forked = 0;
  pid_t top = getpid();
  while (now() < end) {
    pid_t p = fork();
    if (p == 0)
      continue; /* the child joins the bomb */
    if (p > 0)
      forked++;
    else if (errno == EAGAIN)
      eagain++;
    else
      usleep(1000);
  }
  if (getpid() == top) {
    while (wait(NULL) > 0 || errno == EINTR)
      ;
    printf("bomb: forked %ld, EAGAIN %ld\n", forked, eagain);
  }
  return 0;
}

static long long read_num(const char *path, const char *key)
{
  char line[256];
  long long v = -1;
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  while (fgets(line, sizeof line, f)) {
    if (!key) {
      v = strtoll(line, NULL, 10);
      break;
    }
    size_t kl = strlen(key);
    if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
      v = strtoll(line + kl + 1, NULL, 10);
      break;
    }
  }
  fclose(f);
  return v;
}

static int cpufrac(const char *dir, double secs)
{
  char path[512];
  snprintf(path, sizeof path, "%s/cpu.stat", dir);
  long long u0 = read_num(path, "usage_usec");
  double t0 = now();
  usleep((useconds_t) (secs * 1e6));
  long long u1 = read_num(path, "usage_usec");
  double t1 = now();
  if (u0 < 0 || u1 < 0) {
    fprintf(stderr, "cpufrac: cannot read %s\n", path);
    return 1;
  }
  printf("%.3f usage_usec=%lld wall_usec=%.0f\n", (double) (u1 - u0) / ((t1 - t0) * 1e6),
         u1 - u0, (t1 - t0) * 1e6);
  return 0;
}

/* Tasks listed in cgroup.threads of dir and every cgroup below it: the
 * processes that really are in the jail, as opposed to pids.current, which
 * a fork about to be refused charges for an instant (the kernel's
 * pids_try_charge adds, compares with pids.max, then takes it back). */
static long count_tasks(const char *dir)
{
  char path[1024];
  long n = 0;
  int c;
  FILE *f;
  DIR *d;
  struct dirent *e;

  snprintf(path, sizeof path, "%s/cgroup.threads", dir);
  f = fopen(path, "r");
  if (!f)
    return 0;
  while ((c = getc(f)) != EOF)
    n += c == '\n';
  fclose(f);
  d = opendir(dir);
  if (!d)
    return n;
  while ((e = readdir(d)))
    if (e->d_type == DT_DIR && e->d_name[0] != '.') {
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      n += count_tasks(path);
    }
  closedir(d);
  return n;
}

static int peakcg(const char *dir, double secs)
{
  char cur[1024];
  double end = now() + secs;
  long long max = -1;
  long tasks = 0;
  snprintf(cur, sizeof cur, "%s/pids.current", dir);
  while (now() < end) {
    long long v = read_num(cur, NULL);
    long t = count_tasks(dir);
    if (v > max)
      max = v;
    if (t > tasks)
      tasks = t;
    usleep(10000);
  }
  printf("%lld %ld\n", max, tasks);
  return 0;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void print_stats(const char *what, double *us, int n)
{
  double sum = 0;
  for (int i = 0; i < n; i++)
    sum += us[i];
  qsort(us, (size_t) n, sizeof *us, cmp_double);
  printf("%s n=%d median_us=%.1f mean_us=%.1f\n", what, n, us[n / 2], sum / n);
}

static int forkloop(int n)
{
  double *us = calloc((size_t) n, sizeof *us);
  for (int i = 0; us && i < n; i++) {
    double t0 = now();
    pid_t p = fork();
    if (p == 0)
      _exit(0);
    if (p < 0 || waitpid(p, NULL, 0) != p)
      return 1;
    us[i] = (now() - t0) * 1e6;
  }
  if (!us)
    return 1;
  print_stats("forkloop", us, n);
  return 0;
}

static int cgprobe(const char *a, const char *b, int n, int gap_ms)
{
  double *us = calloc((size_t) n, sizeof *us);
  for (int i = 0; us && i < n; i++) {
    FILE *f = fopen(i % 2 ? b : a, "w");
    usleep((useconds_t) gap_ms * 1000);
    if (!f)
      return 1;
    double t0 = now();
    if (fprintf(f, "0\n") < 0 || fclose(f) != 0)
      return 1;
    us[i] = (now() - t0) * 1e6;
  }
  if (!us)
    return 1;
  print_stats("cgprobe", us, n);
  return 0;
}

int main(int argc, char **argv)
{
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 3 && !strcmp(argv[1], "hog"))
    return hog(atol(argv[2]));
  if (argc == 3 && !strcmp(argv[1], "spin"))
    return spin(atof(argv[2]));
  if (argc == 3 && !strcmp(argv[1], "bomb"))
    return bomb(atof(argv[2]));
  if (argc == 4 && !strcmp(argv[1], "cpufrac"))
    return cpufrac(argv[2], atof(argv[3]));
  if (argc == 4 && !strcmp(argv[1], "peakcg"))
    return peakcg(argv[2], atof(argv[3]));
  if (argc == 3 && !strcmp(argv[1], "forkloop"))
    return forkloop(atoi(argv[2]));
  if (argc == 6 && !strcmp(argv[1], "cgprobe"))
    return cgprobe(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
  fprintf(stderr, "usage: vmtool hog MB | spin S | bomb S | cpufrac DIR S | peakcg DIR S | "
          "forkloop N | cgprobe A B N MS\n");
  return 2;
}
